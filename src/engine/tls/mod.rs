//! TLS on the TCP tabs: rustls over the workers' own non-blocking mio sockets.
//!
//! Crypto provider: `ring`. Both rustls providers need a C compiler, which a machine that builds
//! Rust already has; `aws-lc-rs` also needs CMake (and NASM on Windows) and takes minutes more
//! to build, so `ring` is the one that builds on a fresh machine with nothing else installed.
//!
//! - [`ClientTls`] and [`ServerTls`] are built by a face from [`ClientSettings`] and
//!   [`ServerSettings`] (files are read there, before a worker starts) and handed to the worker
//!   in its config. The worker wraps each connection in a [`layer::TlsLayer`].
//! - What a handshake gave ([`TlsInfo`]: version, cipher, ALPN, the peer's certificates) comes
//!   with the `Connected` event; the records that crossed the wire come as `TlsRecords` events
//!   (their raw bytes, and what `codec::tls` reads in them); failures as [`TlsProblem`]s.

pub mod cert;
mod keylog;
pub(crate) mod layer;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};

pub use cert::{CertSummary, SelfSigned};

/// Default of the handshake timeout: a peer that has not finished its handshake by then is
/// dropped, so a stalled handshake cannot hold a connection for ever.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The crypto every config here uses. rustls deprecates ring's provider only because it lacks
/// the post-quantum key exchange (X25519MLKEM768) that aws-lc-rs has; X25519 and the NIST curves
/// are there, which is what the peers SockLab is tested against offer too.
#[allow(deprecated, reason = "ring is chosen for its build, see the module's comment")]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Which server certificates a client accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// The system's trusted authorities (`/etc/ssl/certs`, through rustls-native-certs).
    #[default]
    System,
    /// Only the authorities (or self-signed certificates) in this PEM file, like `curl --cacert`.
    CaFile(PathBuf),
    /// Any certificate, unchecked: the connection is encrypted but anyone may be at the other
    /// end. Said in the tab and in the log.
    Insecure,
}

/// What a TLS client is asked for.
#[derive(Clone, Debug, Default)]
pub struct ClientSettings {
    pub trust: Trust,
    /// The name sent as SNI and checked against the certificate; `None`: the host of the address.
    pub sni: Option<String>,
    /// Protocols offered by ALPN, in order of preference (e.g. `h2`, `http/1.1`).
    pub alpn: Vec<String>,
    /// A client certificate and its key (PEM files).
    pub cert: Option<(PathBuf, PathBuf)>,
    /// Append the session keys to this file (`SSLKEYLOGFILE` format) so Wireshark can decrypt.
    pub keylog: Option<PathBuf>,
}

/// What a TLS server is asked for.
#[derive(Clone, Debug, Default)]
pub struct ServerSettings {
    /// Certificate chain and key (PEM files); `None`: a self-signed certificate made at start.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// Protocols the server accepts by ALPN, in order of preference.
    pub alpn: Vec<String>,
    pub keylog: Option<PathBuf>,
}

/// A client's TLS set-up, ready for a worker.
#[derive(Clone, Debug)]
pub struct ClientTls {
    pub(crate) config: Arc<rustls::ClientConfig>,
    pub(crate) sni: Option<String>,
    pub(crate) verify: Verify,
    pub handshake_timeout: Duration,
}

/// A server's TLS set-up, ready for a worker.
#[derive(Clone, Debug)]
pub struct ServerTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    /// The certificate it presents (the first of its chain).
    pub cert: CertSummary,
    /// The certificate as PEM, to save so a client can trust it.
    pub cert_pem: String,
    /// It was made at start (not read from files).
    pub self_signed: bool,
    pub handshake_timeout: Duration,
}

/// How the peer's certificate was checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verify {
    /// Against the trusted authorities: it is who it says.
    Ok,
    /// Not at all ("accept any certificate").
    Insecure,
    /// No certificate was asked for (a server without client authentication).
    #[default]
    None,
}

impl Verify {
    pub fn name(self) -> &'static str {
        match self {
            Verify::Ok => "ok",
            Verify::Insecure => "insecure",
            Verify::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Verify> {
        [Verify::Ok, Verify::Insecure, Verify::None].into_iter().find(|v| v.name() == s)
    }
}

/// What a finished handshake agreed on, carried by the `Connected` event of a TLS connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// `TLSv1.3`, `TLSv1.2` (as openssl and Wireshark write them).
    pub version: String,
    /// The IANA name, e.g. `TLS_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub cipher: String,
    /// The key exchange group, e.g. `X25519`.
    pub group: Option<String>,
    /// The protocol ALPN chose, e.g. `h2`.
    pub alpn: Option<String>,
    /// The server name the client sent (SNI).
    pub sni: Option<String>,
    pub verify: Verify,
    /// The peer's certificate chain, its own certificate first.
    pub certs: Vec<CertSummary>,
}

/// Everything TLS can fail at, as data (the words are in `i18n`). Serde's names are part of the
/// JSONL log format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsProblem {
    /// The certificate is not signed by an authority we trust.
    UnknownIssuer,
    /// The certificate is for other names.
    NameMismatch { expected: String, presented: Vec<String> },
    /// The certificate's validity ended (`not_after`, RFC 3339 when known).
    Expired { not_after: Option<String> },
    NotYetValid { not_before: Option<String> },
    /// The peer presented a CA certificate (basicConstraints CA:TRUE, as `openssl req -x509`
    /// makes by default) as its own.
    CaAsServerCert,
    /// Another certificate problem (rustls's words).
    BadCertificate(String),
    /// The two sides share no TLS version.
    ProtocolVersion,
    /// No cipher suite, key exchange group or signature scheme in common (rustls's words).
    Incompatible(String),
    /// The peer sent an alert (its name, e.g. `unknown_ca`).
    AlertReceived(String),
    /// The peer closed the connection in the middle of the handshake.
    HandshakeClosed,
    /// The peer reset the connection in the middle of the handshake.
    HandshakeReset,
    /// The handshake did not finish within this many milliseconds.
    HandshakeTimeout(u64),
    /// We spoke TLS and the server answered with bytes that are not TLS (its first bytes).
    NotTls(String),
    /// A client spoke plain TCP (or HTTP) to our TLS server (its first bytes).
    PlainClient(String),
    /// We speak plain TCP and the peer answered in TLS.
    PeerSpeaksTls,
    /// Another TLS error (rustls's words).
    Other(String),
    /// A certificate, key or CA file could not be used: path, and why.
    File { path: String, why: String },
    /// No usable private key in the key file.
    NoKey(String),
    /// "Trust a CA file" without a file named.
    NoCaFile,
    /// No certificate in the file.
    NoCert(String),
    /// An ALPN protocol name that is empty or longer than 255 bytes.
    BadAlpn(String),
    /// The name to check the certificate against is not a DNS name or an IP address.
    BadServerName(String),
}

impl From<TlsProblem> for super::Problem {
    fn from(p: TlsProblem) -> Self {
        super::Problem::Tls(p)
    }
}

/// `h2,http/1.1` as ALPN protocols.
pub fn parse_alpn(list: &str) -> Result<Vec<String>, TlsProblem> {
    let names: Vec<String> = list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    match names.iter().find(|n| n.len() > 255) {
        Some(n) => Err(TlsProblem::BadAlpn(n.clone())),
        None => Ok(names),
    }
}

fn alpn_bytes(names: &[String]) -> Vec<Vec<u8>> {
    names.iter().map(|n| n.as_bytes().to_vec()).collect()
}

impl ClientTls {
    /// Reads the CA, client certificate and key files, and builds the client's config.
    pub fn new(s: &ClientSettings) -> Result<ClientTls, TlsProblem> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsProblem::Other(e.to_string()))?;
        let (builder, verify) = match &s.trust {
            Trust::Insecure => (
                builder.dangerous().with_custom_certificate_verifier(Arc::new(verify::AcceptAny(provider))),
                Verify::Insecure,
            ),
            Trust::System => (builder.with_root_certificates(cert::system_roots()), Verify::Ok),
            Trust::CaFile(path) => (builder.with_root_certificates(cert::roots_from(path)?), Verify::Ok),
        };
        let mut config = match &s.cert {
            None => builder.with_no_client_auth(),
            Some((c, k)) => builder
                .with_client_auth_cert(cert::load_chain(c)?, cert::load_key(k)?)
                .map_err(|e| TlsProblem::File { path: k.display().to_string(), why: e.to_string() })?,
        };
        config.alpn_protocols = alpn_bytes(&s.alpn);
        if let Some(path) = &s.keylog {
            config.key_log = Arc::new(keylog::KeyLogFile::create(path)?);
        }
        Ok(ClientTls {
            config: Arc::new(config),
            sni: s.sni.clone(),
            verify,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        })
    }

    /// Certificates are not checked.
    pub fn insecure(&self) -> bool {
        self.verify == Verify::Insecure
    }

    /// The name sent and checked for a connection to `connect` (`host:port`): the SNI asked for,
    /// else the host. An IP address is checked against the certificate's IP names and sends no
    /// SNI (as browsers and openssl do).
    pub(crate) fn server_name(&self, connect: &str) -> Result<ServerName<'static>, TlsProblem> {
        let name = self.sni.clone().unwrap_or_else(|| host_of(connect).to_string());
        ServerName::try_from(name.clone()).map_err(|_| TlsProblem::BadServerName(name))
    }
}

/// The host part of `host:port`, `[v6]:port` or `v6%zone` addresses.
fn host_of(connect: &str) -> &str {
    let c = connect.trim();
    if let Some(rest) = c.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).split('%').next().unwrap_or(rest);
    }
    match c.rsplit_once(':') {
        Some((h, _)) if !h.contains(':') => h,
        _ => c,
    }
}

impl ServerTls {
    /// Reads the certificate and key, or makes a self-signed certificate, and builds the config.
    pub fn new(s: &ServerSettings) -> Result<ServerTls, TlsProblem> {
        let (chain, key, cert_pem, self_signed) = match &s.cert {
            Some((c, k)) => {
                let chain = cert::load_chain(c)?;
                let pem = std::fs::read_to_string(c).unwrap_or_default();
                (chain, cert::load_key(k)?, pem, false)
            }
            None => {
                let made = SelfSigned::for_localhost()?;
                (vec![made.cert_der.clone()], made.key_der(), made.cert_pem.clone(), true)
            }
        };
        let summary = chain.first().map(|c| CertSummary::of(c)).unwrap_or_default();
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsProblem::Other(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsProblem::Other(e.to_string()))?;
        config.alpn_protocols = alpn_bytes(&s.alpn);
        if let Some(path) = &s.keylog {
            config.key_log = Arc::new(keylog::KeyLogFile::create(path)?);
        }
        Ok(ServerTls {
            config: Arc::new(config),
            cert: summary,
            cert_pem,
            self_signed,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_addresses() {
        assert_eq!(host_of("example.com:443"), "example.com");
        assert_eq!(host_of("127.0.0.1:9000"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9000"), "::1");
        assert_eq!(host_of("[fe80::1%eth0]:9000"), "fe80::1");
    }

    #[test]
    fn alpn_lists() {
        assert_eq!(parse_alpn("h2, http/1.1,").unwrap(), vec!["h2", "http/1.1"]);
        assert!(matches!(parse_alpn(&"x".repeat(256)), Err(TlsProblem::BadAlpn(_))));
    }
}
