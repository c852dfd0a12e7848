//! The byte buffer a [`File`](super::File) moves between the task and a
//! pool thread: filled by a read there and handed out here, or filled here
//! and written there.

use std::io::{self, Read, Write};

/// Bytes `data[pos..]` not yet handed out (after a read) or not yet
/// written (before a write).
#[derive(Debug, Default)]
pub(super) struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    pub(super) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(super) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(super) fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    /// Hands out up to `dst.len()` bytes; returns how many.
    pub(super) fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.remaining().min(dst.len());
        dst[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    /// Takes up to `max` bytes of `src` to write; returns how many.
    pub(super) fn copy_from(&mut self, src: &[u8], max: usize) -> usize {
        debug_assert!(self.is_empty(), "a write buffer starts empty");
        self.clear();
        let n = src.len().min(max);
        self.data.extend_from_slice(&src[..n]);
        n
    }

    /// Reads up to `len` bytes from `file` (on a pool thread); returns how
    /// many (0 at the end of the file).
    pub(super) fn read_from(&mut self, mut file: impl Read, len: usize) -> io::Result<usize> {
        self.clear();
        self.data.resize(len, 0);
        let result = loop {
            match file.read(&mut self.data) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        let n = *result.as_ref().unwrap_or(&0);
        self.data.truncate(n);
        result
    }

    /// Writes every byte to `file` (on a pool thread).
    pub(super) fn write_to(&mut self, mut file: impl Write) -> io::Result<()> {
        let result = file.write_all(&self.data[self.pos..]);
        self.clear();
        result
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_are_handed_out_in_order_and_a_write_drains_it() {
        let mut buf = Buf::default();
        assert_eq!(buf.read_from(&b"hello world"[..], 8).unwrap(), 8);
        let mut out = [0u8; 5];
        assert_eq!(buf.copy_to(&mut out), 5);
        assert_eq!(&out, b"hello");
        assert_eq!(buf.remaining(), 3);
        assert_eq!(buf.copy_to(&mut out), 3);
        assert!(buf.is_empty());

        assert_eq!(buf.copy_from(b"abcdef", 4), 4);
        let mut sink = Vec::new();
        buf.write_to(&mut sink).unwrap();
        assert_eq!(sink, b"abcd");
        assert!(buf.is_empty());
    }
}
