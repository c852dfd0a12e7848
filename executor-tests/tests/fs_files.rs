//! Files and directories through the public API: round trips of every free
//! function, a `File` read back exactly through its read-ahead (in pieces
//! of every size, across seeks and writes in the middle), a directory of
//! 10k entries listed in full, and a write error (`/dev/full`) surfaced by
//! `flush`, never dropped.

use bobbin::fs::{self, File, OpenOptions};
use executor_tests::{LIMIT, pattern, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use futures::{FutureExt, StreamExt};
use std::io::{ErrorKind, SeekFrom};
use std::path::PathBuf;

/// A fresh directory for one test, removed by the test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bobbin-fs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_free_function_round_trips() {
    with_timeout(LIMIT, || {
        let dir = scratch("free");
        runtime(2, "fs-free").block_on(async move {
            let a = dir.join("a.txt");
            fs::write(&a, "hello").await.unwrap();
            assert_eq!(fs::read(&a).await.unwrap(), b"hello");
            assert_eq!(fs::read_to_string(&a).await.unwrap(), "hello");
            assert_eq!(fs::metadata(&a).await.unwrap().len(), 5);

            let b = dir.join("b.txt");
            assert_eq!(fs::copy(&a, &b).await.unwrap(), 5);
            let c = dir.join("c.txt");
            fs::rename(&b, &c).await.unwrap();
            assert!(!fs::try_exists(&b).await.unwrap());
            assert!(fs::try_exists(&c).await.unwrap());

            let link = dir.join("link");
            fs::symlink(&a, &link).await.unwrap();
            assert_eq!(fs::read_link(&link).await.unwrap(), a);
            assert!(fs::symlink_metadata(&link).await.unwrap().is_symlink());
            assert_eq!(
                fs::canonicalize(&link).await.unwrap(),
                fs::canonicalize(&a).await.unwrap()
            );
            let hard = dir.join("hard");
            fs::hard_link(&a, &hard).await.unwrap();
            assert_eq!(fs::read(&hard).await.unwrap(), b"hello");

            let mut permissions = fs::metadata(&c).await.unwrap().permissions();
            permissions.set_readonly(true);
            fs::set_permissions(&c, permissions).await.unwrap();
            assert!(fs::metadata(&c).await.unwrap().permissions().readonly());

            let deep = dir.join("x/y/z");
            fs::create_dir_all(&deep).await.unwrap();
            fs::create_dir(deep.join("w")).await.unwrap();
            let err = fs::create_dir(deep.join("w")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists);
            fs::remove_dir(deep.join("w")).await.unwrap();
            let err = fs::remove_dir(dir.join("x")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DirectoryNotEmpty);
            fs::remove_file(&hard).await.unwrap();
            let err = fs::read(dir.join("missing")).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            fs::remove_dir_all(&dir).await.unwrap();
            assert!(!fs::try_exists(&dir).await.unwrap());
        });
    });
}

#[test]
fn a_file_reads_back_exactly_in_pieces_of_every_size() {
    with_timeout(LIMIT, || {
        let dir = scratch("pieces");
        runtime(2, "fs-pieces").block_on(async move {
            let path = dir.join("data");
            let data = pattern(3, (5 << 20) + 12345);
            let mut file = File::create(&path).await.unwrap();
            for chunk in data.chunks(100_000) {
                file.write_all(chunk).await.unwrap();
            }
            file.flush().await.unwrap();
            drop(file);

            for piece in [1usize, 7, 4096, 65536, 100_000, 3 << 20] {
                let mut file = File::open(&path).await.unwrap();
                let mut read = Vec::with_capacity(data.len());
                let mut buf = vec![0u8; piece];
                loop {
                    let n = file.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    read.extend_from_slice(&buf[..n]);
                    if piece == 1 && read.len() == 300_000 {
                        // A byte at a time is slow: finish in one go.
                        file.read_to_end(&mut read).await.unwrap();
                        break;
                    }
                }
                assert!(read == data, "read back in pieces of {piece}");
            }
            fs::remove_dir_all(&dir).await.unwrap();
        });
    });
}

#[test]
fn a_seek_after_a_cancelled_seek_goes_where_it_was_asked() {
    with_timeout(LIMIT, || {
        let dir = scratch("cancelled-seek");
        runtime(2, "fs-cancelled-seek").block_on(async move {
            let path = dir.join("data");
            let data = pattern(3, 4096);
            fs::write(&path, &data).await.unwrap();
            let mut file = fs::File::open(&path).await.unwrap();
            // Started on the pool, then given up on.
            assert!(file.seek(SeekFrom::Start(100)).now_or_never().is_none());
            assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
            let mut head = [0u8; 4];
            file.read_exact(&mut head).await.unwrap();
            assert_eq!(head, data[..4]);
            fs::remove_dir_all(&dir).await.unwrap();
        });
    });
}

#[test]
fn seeks_and_writes_after_a_read_ahead_land_where_the_reader_is() {
    with_timeout(LIMIT, || {
        let dir = scratch("seek");
        runtime(2, "fs-seek").block_on(async move {
            let path = dir.join("data");
            let data = pattern(9, 1 << 20);
            fs::write(&path, &data).await.unwrap();
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .await
                .unwrap();
            let mut head = [0u8; 10];
            file.read_exact(&mut head).await.unwrap();
            assert_eq!(head, data[..10]);
            // The file read ahead (64 KiB or more); the position seen by
            // the caller is 10.
            assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 10);
            file.read_exact(&mut head).await.unwrap();
            assert_eq!(head, data[10..20]);
            // A write goes where the reader is, not where the read-ahead got.
            file.write_all(b"XYZ").await.unwrap();
            file.flush().await.unwrap();
            assert_eq!(file.seek(SeekFrom::Start(18)).await.unwrap(), 18);
            let mut around = [0u8; 7];
            file.read_exact(&mut around).await.unwrap();
            assert_eq!(&around[..2], &data[18..20]);
            assert_eq!(&around[2..5], b"XYZ");
            assert_eq!(&around[5..], &data[23..25]);
            assert_eq!(file.seek(SeekFrom::End(-4)).await.unwrap(), (1 << 20) - 4);
            let mut tail = Vec::new();
            file.read_to_end(&mut tail).await.unwrap();
            assert_eq!(tail, data[data.len() - 4..]);
            file.set_len(100).await.unwrap();
            assert_eq!(file.metadata().await.unwrap().len(), 100);
            let std = file.into_std().await.unwrap();
            assert_eq!(std.metadata().unwrap().len(), 100);
            fs::remove_dir_all(&dir).await.unwrap();
        });
    });
}

#[test]
fn a_directory_of_ten_thousand_entries_is_listed_in_full() {
    with_timeout(LIMIT, || {
        let dir = scratch("list");
        for i in 0..10_000 {
            std::fs::write(dir.join(format!("f{i:05}")), b"").unwrap();
        }
        runtime(2, "fs-list").block_on(async move {
            let mut names: Vec<String> = fs::read_dir(&dir)
                .await
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect()
                .await;
            names.sort();
            let expected: Vec<String> = (0..10_000).map(|i| format!("f{i:05}")).collect();
            assert_eq!(names, expected);
            let mut entries = fs::read_dir(&dir).await.unwrap();
            let entry = entries.next_entry().await.unwrap().unwrap();
            assert!(entry.file_type().await.unwrap().is_file());
            assert_eq!(entry.metadata().await.unwrap().len(), 0);
            fs::remove_dir_all(&dir).await.unwrap();
        });
    });
}

#[test]
fn a_write_to_a_full_device_fails_at_flush_and_is_not_dropped() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    with_timeout(LIMIT, || {
        runtime(1, "fs-full").block_on(async {
            let mut full = OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .await
                .unwrap();
            // The write is accepted into the buffer; the device refuses it.
            full.write_all(b"no room").await.unwrap();
            let err = full.flush().await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(28), "ENOSPC, got {err}");
            // Reported once; the file is usable (and fails) again.
            full.flush().await.unwrap();
            full.write_all(b"again").await.unwrap();
            let err = full.sync_all().await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(28));
            full.write_all(b"and").await.unwrap();
            let err = full.write_all(b"next").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(28), "the next write reports it");
        });
    });
}
