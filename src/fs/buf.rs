//! The byte buffer a [`File`](super::File) moves between the task and a
//! pool thread: filled by a read there and handed out here, or filled here
//! and written there.

use std::io::{self, Read, Write};

/// Bytes `data[pos..end]` not yet handed out (after a read) or not yet
/// written (before a write).
///
/// `data` keeps its length (initialized bytes) across uses, so a reused
/// buffer is not zeroed again before each read: at 512 KiB a chunk, that
/// memset was a third pass over every byte a streamed read moves.
#[derive(Debug, Default)]
pub(super) struct Buf {
    data: Vec<u8>,
    pos: usize,
    end: usize,
}

impl Buf {
    pub(super) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    pub(super) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(super) fn clear(&mut self) {
        self.pos = 0;
        self.end = 0;
    }

    /// At least `len` initialized bytes to fill (zeroed only when grown).
    fn room(&mut self, len: usize) -> &mut [u8] {
        if self.data.len() < len {
            self.data.resize(len, 0);
        }
        &mut self.data[..len]
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
        self.room(n).copy_from_slice(&src[..n]);
        self.end = n;
        n
    }

    /// Reads up to `len` bytes from `file` (on a pool thread); returns how
    /// many (0 at the end of the file).
    pub(super) fn read_from(&mut self, mut file: impl Read, len: usize) -> io::Result<usize> {
        self.clear();
        let room = self.room(len);
        let result = loop {
            match file.read(room) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        self.end = *result.as_ref().unwrap_or(&0);
        result
    }

    /// Writes every byte to `file` (on a pool thread).
    pub(super) fn write_to(&mut self, mut file: impl Write) -> io::Result<()> {
        let result = file.write_all(&self.data[self.pos..self.end]);
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

    #[test]
    fn a_reused_buffer_hands_out_only_what_its_last_fill_brought() {
        let mut buf = Buf::default();
        buf.read_from(&b"0123456789"[..], 10).unwrap();
        buf.clear();
        assert_eq!(buf.read_from(&b"abc"[..], 10).unwrap(), 3);
        let mut out = [0u8; 10];
        assert_eq!(buf.copy_to(&mut out), 3);
        assert_eq!(&out[..3], b"abc");

        buf.clear();
        assert_eq!(buf.copy_from(b"xy", 10), 2);
        let mut sink = Vec::new();
        buf.write_to(&mut sink).unwrap();
        assert_eq!(sink, b"xy");
    }
}
