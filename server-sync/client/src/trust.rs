//! How a device trusts the server it talks to, and the HTTP client that enforces it.
//!
//! A kiosk is provisioned with one of three links ([`ServerTrust`]):
//!
//! - **a pinned certificate**: the SHA-256 fingerprint of the server's certificate. The TLS
//!   handshake must present exactly that certificate (its signature over the handshake is still
//!   checked); names and dates are not, so a kiosk whose clock has not been set yet can still
//!   reach the server it gets its time from. This is the link for a self-signed certificate.
//! - **a provisioned CA**: the server's chain must lead to one of these CA certificates and name
//!   the URL's host, as a browser checks. A device clock earlier than [`CLOCK_FLOOR`] is taken
//!   as unset and the certificate's dates are judged at the floor instead.
//! - **an insecure LAN**: plain `http://`, only when the settings say `insecure_lan = true`;
//!   the device reports it ([`hadir_protocol::health::ServerLink`]) and the dashboard shows it
//!   in red.
//!
//! Whatever the link, the client follows no redirect (a `3xx` is an error, never a new
//! destination) and reads no answer beyond a size cap ([`read_capped`]).
//!
//! The cryptography is rustls with the *ring* provider, chosen here and nowhere else: the
//! process-wide default provider is never consulted.

use hadir_protocol::health::ServerLink;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest as _, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// Device clocks before this instant (2026-01-01T00:00:00Z) are taken as never set when a
/// certificate's validity is judged: a board without a battery-backed clock boots in 1970.
pub const CLOCK_FLOOR: UnixTime = UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600));

/// Why a trust setting cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The URL and the link do not go together.
    #[error("{url}: {reason}")]
    Url {
        /// The server URL.
        url: String,
        /// What to change.
        reason: &'static str,
    },
    /// A fingerprint is not 64 hexadecimal digits.
    #[error("certificate fingerprint {given:?}: give the 64 hex digits of the certificate's SHA-256 (colons allowed), as `openssl x509 -noout -fingerprint -sha256` prints them")]
    Fingerprint {
        /// What was given.
        given: String,
    },
    /// The CA file holds no usable certificate.
    #[error("CA certificates ({source_name}): {detail}")]
    Ca {
        /// Where the PEM came from.
        source_name: String,
        /// What was wrong.
        detail: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Tls(String),
}

/// How the device trusts the server (see the module's documentation).
#[derive(Clone)]
pub enum ServerTrust {
    /// HTTPS; the server's certificate must have this SHA-256 fingerprint.
    Pinned([u8; 32]),
    /// HTTPS; the server's chain must lead to one of these CA certificates.
    Ca(Vec<CertificateDer<'static>>),
    /// Plain HTTP on a closed network (`insecure_lan = true`).
    InsecureLan,
}

impl std::fmt::Debug for ServerTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerTrust::Pinned(fp) => write!(f, "Pinned({})", hex(fp)),
            ServerTrust::Ca(certs) => write!(f, "Ca({} certificate(s))", certs.len()),
            ServerTrust::InsecureLan => f.write_str("InsecureLan"),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ServerTrust {
    /// A pin from a fingerprint as people copy it ([`hadir_protocol::Digest::from_fingerprint`]).
    pub fn pinned(fingerprint: &str) -> Result<ServerTrust, TrustError> {
        hadir_protocol::Digest::from_fingerprint(fingerprint)
            .map(|d| ServerTrust::Pinned(d.0))
            .map_err(|_| TrustError::Fingerprint { given: fingerprint.chars().take(120).collect() })
    }

    /// CA certificates from PEM text (`source_name` names the file in errors).
    pub fn ca_pem(pem: &[u8], source_name: &str) -> Result<ServerTrust, TrustError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TrustError::Ca { source_name: source_name.to_owned(), detail: e.to_string() })?;
        if certs.is_empty() {
            return Err(TrustError::Ca { source_name: source_name.to_owned(), detail: "no CERTIFICATE block".into() });
        }
        Ok(ServerTrust::Ca(certs))
    }

    /// The link the device reports to the server.
    pub fn link(&self) -> ServerLink {
        match self {
            ServerTrust::Pinned(_) => ServerLink::PinnedCertificate,
            ServerTrust::Ca(_) => ServerLink::ProvisionedCa,
            ServerTrust::InsecureLan => ServerLink::InsecureLan,
        }
    }

    /// Checks that `url` goes with this link: `https://` for a pin or a CA, `http://` only for
    /// an insecure LAN.
    pub fn check_url(&self, url: &str) -> Result<(), TrustError> {
        let https = url.starts_with("https://");
        let http = url.starts_with("http://");
        let reason = match self {
            ServerTrust::InsecureLan if https => "insecure_lan is for an http:// server; with https:// give the certificate's fingerprint or CA instead",
            ServerTrust::InsecureLan if http => return Ok(()),
            _ if https => return Ok(()),
            _ if http => "plain http:// needs insecure_lan = true (a closed network only); otherwise use https://",
            _ => "use an http:// or https:// URL",
        };
        Err(TrustError::Url { url: url.to_owned(), reason })
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig, TrustError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match self {
            ServerTrust::Pinned(fp) => Arc::new(PinnedVerifier { fingerprint: *fp, algorithms: provider.signature_verification_algorithms }),
            ServerTrust::Ca(certs) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in certs {
                    roots.add(cert.clone()).map_err(|e| TrustError::Ca { source_name: "CA".into(), detail: e.to_string() })?;
                }
                let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| TrustError::Tls(e.to_string()))?;
                Arc::new(FlooredClock { inner })
            }
            // No certificate is trusted: an https:// URL cannot pass `check_url`, and a redirect
            // is never followed, so this verifier is never asked; if it were, it refuses.
            ServerTrust::InsecureLan => Arc::new(PinnedVerifier { fingerprint: [0; 32], algorithms: provider.signature_verification_algorithms }),
        };
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TrustError::Tls(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }
}

/// An HTTP client for `url` under `trust`: no redirects, TLS only as `trust` allows.
pub fn http_client(url: &str, trust: &ServerTrust, timeout: Duration) -> Result<reqwest::Client, TrustError> {
    trust.check_url(url)?;
    client_builder(trust)?
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| TrustError::Tls(e.to_string()))
}

/// A `reqwest` builder with this crate's TLS setup and no redirects, for callers that set the
/// rest themselves (tests and tools calling a server over plain HTTP use
/// [`ServerTrust::InsecureLan`]).
pub fn client_builder(trust: &ServerTrust) -> Result<reqwest::ClientBuilder, TrustError> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(trust.tls_config()?)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(!matches!(trust, ServerTrust::InsecureLan)))
}

/// Reads an answer's body, refusing more than `cap` bytes (by its `Content-Length` before
/// reading, and by what arrives while reading).
pub async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge { cap });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge { cap });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Why an answer's body was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The connection failed while reading.
    #[error(transparent)]
    Transport(reqwest::Error),
    /// The answer was larger than the cap.
    #[error("answer larger than {cap} bytes")]
    TooLarge {
        /// The cap.
        cap: usize,
    },
}

/// Accepts exactly the certificate whose SHA-256 is `fingerprint`, whatever its name and dates.
#[derive(Debug)]
struct PinnedVerifier {
    fingerprint: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if got == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!("server certificate SHA-256 {} is not the pinned one", hex(&got))))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The CA check with an unset device clock raised to [`CLOCK_FLOOR`].
#[derive(Debug)]
struct FlooredClock {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
}

impl ServerCertVerifier for FlooredClock {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let now = if now.as_secs() < CLOCK_FLOOR.as_secs() { CLOCK_FLOOR } else { now };
        self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_as_people_copy_them() {
        let hexed = "AB:".repeat(31) + "CD";
        let cases: &[(&str, bool)] = &[
            (&hexed, true),
            (&"ab".repeat(32), true),
            (&"ab ".repeat(32), true),
            (&"ab".repeat(31), false),
            (&"zz".repeat(32), false),
            (&"é".repeat(32), false),
            ("", false),
        ];
        for (given, ok) in cases {
            assert_eq!(ServerTrust::pinned(given).is_ok(), *ok, "{given:?}");
        }
        let ServerTrust::Pinned(fp) = ServerTrust::pinned(&hexed).unwrap() else { panic!("not a pin") };
        assert_eq!((fp[0], fp[31]), (0xab, 0xcd));
    }

    #[test]
    fn urls_go_with_their_link() {
        let pin = ServerTrust::Pinned([1; 32]);
        let lan = ServerTrust::InsecureLan;
        let cases: &[(&ServerTrust, &str, bool)] = &[
            (&pin, "https://hadir.badungkab.go.id", true),
            (&pin, "http://10.0.0.2:8080", false),
            (&lan, "http://10.0.0.2:8080", true),
            (&lan, "https://hadir.badungkab.go.id", false),
            (&pin, "ftp://x", false),
            (&lan, "hadir.local", false),
        ];
        for (trust, url, ok) in cases {
            assert_eq!(trust.check_url(url).is_ok(), *ok, "{trust:?} {url}");
        }
        assert_eq!(pin.link(), ServerLink::PinnedCertificate);
        assert_eq!(lan.link(), ServerLink::InsecureLan);
    }

    #[test]
    fn a_pem_without_certificates_is_refused() {
        assert!(matches!(ServerTrust::ca_pem(b"not a pem", "ca.pem"), Err(TrustError::Ca { .. })));
        assert!(ServerTrust::ca_pem(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", "ca.pem").is_err());
    }
}
