//! Libraries written for tokio's I/O traits, on bobbin sockets through the
//! `tokio-io` feature (`bobbin::compat::tokio`), with no tokio runtime in
//! the process: tokio-util's `Framed` line codec, and a tokio-rustls
//! handshake and echo.

use bobbin::compat::tokio::Compat;
use bobbin::net::{TcpListener, TcpStream};
use executor_tests::{LIMIT, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_util::codec::{Framed, LinesCodec};

/// Inside a bobbin task there is no tokio runtime to lean on.
fn assert_no_tokio_runtime() {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "a tokio runtime is current; the bridge must work without one"
    );
}

#[test]
fn a_framed_line_codec_echoes_over_bobbin_tcp() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "compat-framed");
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = bobbin::spawn(async move {
                assert_no_tokio_runtime();
                let (stream, _) = listener.accept().await.unwrap();
                let mut lines = Framed::new(stream, LinesCodec::new());
                while let Some(line) = lines.next().await {
                    lines
                        .send(format!("echo: {}", line.unwrap()))
                        .await
                        .unwrap();
                }
            });
            let client = bobbin::spawn(async move {
                assert_no_tokio_runtime();
                let stream = TcpStream::connect(addr).await.unwrap();
                let mut lines = Framed::new(stream, LinesCodec::new());
                let mut replies = Vec::new();
                for n in 0..100 {
                    lines.send(format!("line {n}")).await.unwrap();
                    replies.push(lines.next().await.unwrap().unwrap());
                }
                replies
            });
            let replies = client.await.unwrap();
            assert_eq!(replies.len(), 100);
            assert_eq!(replies[42], "echo: line 42");
            server.await.unwrap();
        });
    });
}

#[test]
fn a_tokio_rustls_handshake_and_echo_over_bobbin_tcp() {
    with_timeout(LIMIT, || {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = certified.cert.der().clone();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
        #[allow(
            deprecated,
            reason = "ring has no post-quantum key exchange; this test needs a handshake, not \
                      the strongest one, and aws-lc-rs would need cmake to build"
        )]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client_config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));

        let rt = runtime(2, "compat-tls");
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = bobbin::spawn(async move {
                assert_no_tokio_runtime();
                let (stream, _) = listener.accept().await.unwrap();
                // tokio-rustls speaks tokio's traits; Compat turns the TLS
                // stream back into a futures-io one for the echo loop.
                let tls = Compat::new(acceptor.accept(stream).await.unwrap());
                let (mut reader, mut writer) = tls.split();
                futures::io::copy(&mut reader, &mut writer).await.unwrap();
                writer.close().await.unwrap();
            });
            let client = bobbin::spawn(async move {
                assert_no_tokio_runtime();
                let stream = TcpStream::connect(addr).await.unwrap();
                let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                let mut tls = Compat::new(connector.connect(name, stream).await.unwrap());
                let message = executor_tests::pattern(7, 64 * 1024);
                tls.write_all(&message).await.unwrap();
                let mut echo = vec![0; message.len()];
                tls.read_exact(&mut echo).await.unwrap();
                tls.close().await.unwrap();
                echo == message
            });
            assert!(client.await.unwrap(), "the echo matches what was sent");
            server.await.unwrap();
        });
    });
}

#[test]
fn tokio_s_read_write_and_seek_work_on_a_bobbin_file_and_a_child_s_pipes() {
    with_timeout(LIMIT, || {
        runtime(1, "compat-fs").block_on(async {
            assert_no_tokio_runtime();
            let path =
                std::env::temp_dir().join(format!("bobbin-compat-fs-{}", std::process::id()));
            let mut file = bobbin::fs::File::create(&path).await.unwrap();
            tokio::io::AsyncWriteExt::write_all(&mut file, b"0123456789")
                .await
                .unwrap();
            tokio::io::AsyncWriteExt::flush(&mut file).await.unwrap();
            drop(file);
            let mut file = bobbin::fs::File::open(&path).await.unwrap();
            assert_eq!(
                tokio::io::AsyncSeekExt::seek(&mut file, std::io::SeekFrom::Start(4))
                    .await
                    .unwrap(),
                4
            );
            let mut rest = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut file, &mut rest)
                .await
                .unwrap();
            assert_eq!(rest, "456789");
            bobbin::fs::remove_file(&path).await.unwrap();

            let mut cat = bobbin::process::Command::new("cat")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = cat.stdin.take().unwrap();
            tokio::io::AsyncWriteExt::write_all(&mut stdin, b"through tokio's traits")
                .await
                .unwrap();
            drop(stdin);
            let mut out = String::new();
            let mut stdout = cat.stdout.take().unwrap();
            tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut out)
                .await
                .unwrap();
            assert_eq!(out, "through tokio's traits");
            cat.wait().await.unwrap();
        });
    });
}
