//! The uploader behind TLS, as a kiosk meets its server: the scripted server of `main.rs`
//! (which answers `stored` to every record) sits behind a TLS front made with certificates the
//! `openssl` command line makes, as an operator would make them. A man in the middle is the same
//! front with another certificate: its `stored` answers must never reach the outbox.

use super::{Script, fake_server, records_for, uploader, uploader_trusting};
use axum::Router;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::routing::post;
use hadir_client::{ClientError, ServerTrust, TrustError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A certificate and its private key (PEM files).
struct Pair {
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}: the TLS tests make their certificates with it; `cargo xtask setup` installs it (apt-get install openssl)"));
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/// A self-signed certificate for `localhost` and 127.0.0.1.
fn self_signed(dir: &Path, name: &str) -> Pair {
    let (key, cert) = (format!("{name}.key"), format!("{name}.pem"));
    let mut args = vec!["req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost"];
    args.extend(EC);
    args.extend(["-keyout", &key, "-out", &cert, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
    openssl(dir, &args);
    Pair { cert: dir.join(cert), key: dir.join(key) }
}

/// A CA (its certificate's path) and a server certificate it signed for `localhost` only.
fn ca_signed(dir: &Path, name: &str) -> (PathBuf, Pair) {
    let (ca_key, ca_cert, key, csr, cert, ext) =
        (format!("{name}-ca.key"), format!("{name}-ca.pem"), format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"), format!("{name}.ext"));
    let subject = format!("/CN={name} CA");
    let mut args = vec!["req", "-x509", "-nodes", "-days", "2", "-subj", &subject];
    args.extend(EC);
    args.extend(["-keyout", &ca_key, "-out", &ca_cert, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    openssl(dir, &args);
    let mut args = vec!["req", "-nodes", "-subj", "/CN=localhost", "-keyout", &key, "-out", &csr];
    args.extend(EC);
    openssl(dir, &args);
    std::fs::write(dir.join(&ext), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(dir, &["x509", "-req", "-in", &csr, "-CA", &ca_cert, "-CAkey", &ca_key, "-CAcreateserial", "-days", "2", "-out", &cert, "-extfile", &ext]);
    (dir.join(ca_cert), Pair { cert: dir.join(cert), key: dir.join(key) })
}

/// The fingerprint as an operator copies it from `openssl x509 -fingerprint -sha256`
/// (`AB:CD:…`).
fn fingerprint(cert: &Path) -> String {
    let out = Command::new("openssl").args(["x509", "-noout", "-fingerprint", "-sha256", "-in"]).arg(cert).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().split_once('=').expect("sha256 Fingerprint=…").1.to_owned()
}

/// Terminates TLS with `pair` on 127.0.0.1 and forwards the bytes to `backend` (`host:port`);
/// returns the port.
async fn tls_front(pair: &Pair, backend: &str) -> u16 {
    let certs = CertificateDer::pem_file_iter(&pair.cert).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(&pair.key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let backend = backend.to_owned();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, backend) = (acceptor.clone(), backend.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to forward.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut plain) = tokio::net::TcpStream::connect(&backend).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

fn is_tls_refusal(e: &ClientError) -> bool {
    matches!(e, ClientError::Transport { .. })
}

#[tokio::test]
async fn only_the_pinned_certificate_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mitm) = (self_signed(dir.path(), "server"), self_signed(dir.path(), "mitm"));
    let (url, script) = fake_server(Script::default()).await;
    let backend = url.trim_start_matches("http://");
    let (honest_port, mitm_port) = (tls_front(&server, backend).await, tls_front(&mitm, backend).await);
    let pin = ServerTrust::pinned(&fingerprint(&server.cert)).unwrap();

    // The man in the middle answers `stored` to everything; the handshake fails first.
    let mut outbox = records_for(5);
    let up = uploader_trusting(&format!("https://localhost:{mitm_port}"), 10, pin.clone()).unwrap();
    let e = up.drain(&mut outbox).await.unwrap_err();
    assert!(is_tls_refusal(&e), "{e}");
    assert!(format!("{e:?}").contains("not the pinned one"), "{e:?}");
    assert_eq!((outbox.pending.len(), outbox.acknowledged.len()), (5, 0), "nothing acknowledged on a forged answer");
    assert_eq!(script.lock().unwrap().requests, 0, "no request went through the man in the middle");

    // The pin names the certificate, not the host: 127.0.0.1 or localhost, both reach it.
    for host in ["localhost", "127.0.0.1"] {
        let mut outbox = records_for(5);
        let up = uploader_trusting(&format!("https://{host}:{honest_port}"), 10, pin.clone()).unwrap();
        assert_eq!(up.drain(&mut outbox).await.unwrap().acknowledged, 5, "{host}");
    }

    // A pinned kiosk never speaks plain HTTP, even to the right server.
    let refused = uploader_trusting(&url, 10, pin).unwrap_err();
    assert!(matches!(refused, ClientError::Trust(TrustError::Url { .. })), "{refused}");
}

#[tokio::test]
async fn a_provisioned_ca_checks_the_chain_and_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let (office_ca, server) = ca_signed(dir.path(), "office");
    let (stranger_ca, _) = ca_signed(dir.path(), "stranger");
    let mitm = self_signed(dir.path(), "mitm");
    let (url, script) = fake_server(Script::default()).await;
    let backend = url.trim_start_matches("http://");
    let (port, mitm_port) = (tls_front(&server, backend).await, tls_front(&mitm, backend).await);
    let trust = |ca: &Path| ServerTrust::ca_pem(&std::fs::read(ca).unwrap(), &ca.display().to_string()).unwrap();

    let mut outbox = records_for(3);
    let up = uploader_trusting(&format!("https://localhost:{port}"), 10, trust(&office_ca)).unwrap();
    assert_eq!(up.drain(&mut outbox).await.unwrap().acknowledged, 3);
    let served = script.lock().unwrap().requests;

    let refused = [
        // Another CA's device does not trust this server.
        (format!("https://localhost:{port}"), trust(&stranger_ca)),
        // The certificate names localhost, not 127.0.0.1.
        (format!("https://127.0.0.1:{port}"), trust(&office_ca)),
        // A self-signed certificate is not the office CA's.
        (format!("https://localhost:{mitm_port}"), trust(&office_ca)),
    ];
    for (url, trust) in refused {
        let mut outbox = records_for(3);
        let e = uploader_trusting(&url, 10, trust).unwrap().drain(&mut outbox).await.unwrap_err();
        assert!(is_tls_refusal(&e), "{url}: {e}");
        assert_eq!(outbox.pending.len(), 3, "{url}");
    }
    assert_eq!(script.lock().unwrap().requests, served, "no refused connection reached the server");
}

#[tokio::test]
async fn redirects_are_not_followed_and_answers_are_capped() {
    // Where a redirect would lead: it must never be called.
    let elsewhere_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&elsewhere_hits);
    let elsewhere = Router::new().route(
        "/api/v1/records",
        post(move || {
            hits.fetch_add(1, Ordering::SeqCst);
            async { "{}" }
        }),
    );
    let elsewhere_url = serve(elsewhere).await;
    let location = format!("{elsewhere_url}/api/v1/records");
    let redirecting = Router::new().route(
        "/api/v1/records",
        post(move || {
            let location = location.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]) }
        }),
    );
    let mut outbox = records_for(4);
    let e = uploader(&serve(redirecting).await, 10).drain(&mut outbox).await.unwrap_err();
    assert!(matches!(e, ClientError::Status { status: 307, .. }), "{e}");
    assert_eq!((elsewhere_hits.load(Ordering::SeqCst), outbox.pending.len()), (0, 4));

    // An answer larger than the cap is refused, whether its length is announced or not.
    let announced = Router::new().route("/api/v1/records", post(|| async { vec![b' '; hadir_client::MAX_ANSWER_BYTES + 1] }));
    for url in [serve(announced).await, chunked_server(hadir_client::MAX_ANSWER_BYTES + 1).await] {
        let mut outbox = records_for(4);
        let e = uploader(&url, 10).drain(&mut outbox).await.unwrap_err();
        assert!(matches!(&e, ClientError::Protocol { detail, .. } if detail.contains("larger than")), "{url}: {e}");
        assert_eq!(outbox.pending.len(), 4);
    }
}

/// A server that answers every request with `len` bytes in 64 KiB chunks and no length, as a
/// streaming (or hostile) server does.
async fn chunked_server(len: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 16 * 1024];
                let _ = tcp.read(&mut request).await;
                let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
                let mut left = len;
                while left > 0 {
                    let n = left.min(64 * 1024);
                    out.extend(format!("{n:x}\r\n").bytes());
                    out.extend(std::iter::repeat_n(b' ', n));
                    out.extend(b"\r\n");
                    left -= n;
                }
                out.extend(b"0\r\n\r\n");
                let _ = tcp.write_all(&out).await;
            });
        }
    });
    url
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}
