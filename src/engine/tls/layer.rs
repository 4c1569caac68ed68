//! One connection's TLS: a rustls connection between the socket and the plaintext that the
//! connection logs, frames and answers. The raw bytes that cross the socket are kept for the log
//! (`TlsRecords` events) with what [`RecordReader`] reads in them.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use super::{CertSummary, ClientTls, ServerTls, TlsInfo, TlsProblem, Verify};
use crate::codec::tls::{RecordReader, alert_name};
use crate::engine::EventKind;

/// Ciphertext read from the socket in one go, at most (see [`TlsLayer::read_from`]).
const READ_RECORDS: usize = 64 * 1024;
/// How many first received bytes are kept to say what a peer that is not TLS sent.
const PREVIEW: usize = 24;

pub(crate) struct TlsLayer {
    pub(crate) conn: rustls::Connection,
    rx: RecordReader,
    tx: RecordReader,
    /// The handshake has not been reported finished yet.
    pub(crate) handshaking: bool,
    /// We are the server.
    pub(crate) inbound: bool,
    verify: Verify,
    /// The name a client sent as SNI (none for an IP address).
    sni: Option<String>,
    /// The first bytes received, to say what a peer that is not TLS sent.
    first_rx: Vec<u8>,
    /// The handshake must be done by then.
    pub(crate) deadline: Instant,
    pub(crate) timeout: Duration,
    /// Our close_notify is queued.
    pub(crate) close_sent: bool,
}

/// A reader that keeps a copy of what it read.
struct Tap<'a, S> {
    inner: &'a mut S,
    seen: &'a mut Vec<u8>,
}

impl<S: Read> Read for Tap<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl<S: Write> Write for Tap<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.seen.extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// rustls writes the names a certificate holds as `DnsName("localhost")`, `IpAddress(0::1)`:
/// the names alone, as the certificate's own text has them.
fn bare_name(presented: &str) -> String {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map_or(presented, |s| s.trim_matches('"'));
    match inner.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => inner.to_string(),
    }
}

impl TlsLayer {
    fn new(conn: rustls::Connection, inbound: bool, verify: Verify, sni: Option<String>, timeout: Duration) -> Self {
        TlsLayer {
            conn,
            rx: RecordReader::new(),
            tx: RecordReader::new(),
            handshaking: true,
            inbound,
            verify,
            sni,
            first_rx: Vec::new(),
            deadline: Instant::now() + timeout,
            timeout,
            close_sent: false,
        }
    }

    /// A client's side of a connection to `connect` (`host:port`, for the name to check).
    pub(crate) fn client(tls: &ClientTls, connect: &str) -> Result<TlsLayer, TlsProblem> {
        let name = tls.server_name(connect)?;
        let sni = match &name {
            ServerName::DnsName(d) => Some(d.as_ref().to_string()),
            _ => None,
        };
        let conn = rustls::ClientConnection::new(tls.config.clone(), name).map_err(|e| TlsProblem::Other(e.to_string()))?;
        Ok(TlsLayer::new(conn.into(), false, tls.verify, sni, tls.handshake_timeout))
    }

    pub(crate) fn server(tls: &ServerTls) -> Result<TlsLayer, TlsProblem> {
        let conn = rustls::ServerConnection::new(tls.config.clone()).map_err(|e| TlsProblem::Other(e.to_string()))?;
        Ok(TlsLayer::new(conn.into(), true, Verify::None, None, tls.handshake_timeout))
    }

    /// Reads ciphertext from the socket once: the bytes read (0: the peer closed) and the event
    /// that logs them.
    pub(crate) fn read_from<S: Read>(&mut self, stream: &mut S) -> io::Result<(usize, Option<EventKind>)> {
        let mut seen = Vec::new();
        // rustls takes at most a record or so per call: several calls make one row of the log
        // (and one event), up to READ_RECORDS bytes or until rustls wants its plaintext read.
        loop {
            match self.conn.read_tls(&mut Tap { inner: stream, seen: &mut seen }) {
                Ok(0) => break,
                Ok(_) if seen.len() >= READ_RECORDS || !self.conn.wants_read() => break,
                Ok(_) => {}
                Err(_) if !seen.is_empty() => break,
                Err(e) => return Err(e),
            }
        }
        let n = seen.len();
        if n == 0 {
            return Ok((0, None));
        }
        if self.first_rx.len() < PREVIEW {
            let take = (PREVIEW - self.first_rx.len()).min(seen.len());
            self.first_rx.extend_from_slice(seen.get(..take).unwrap_or_default());
        }
        let records = self.rx.push(&seen, self.handshaking);
        Ok((n, Some(EventKind::TlsRecords { sent: false, data: seen, records })))
    }

    /// Writes queued ciphertext to the socket once: the bytes written and the event logging them.
    pub(crate) fn write_to<S: Write>(&mut self, stream: &mut S) -> io::Result<(usize, Option<EventKind>)> {
        let mut seen = Vec::new();
        let n = self.conn.write_tls(&mut Tap { inner: stream, seen: &mut seen })?;
        if seen.is_empty() {
            return Ok((n, None));
        }
        // What we write right after the handshake finished still holds its last messages (our
        // Finished): plaintext is only handed over once that is out, see `Conn::flush`.
        let records = self.tx.push(&seen, self.handshaking || self.conn.is_handshaking());
        Ok((n, Some(EventKind::TlsRecords { sent: true, data: seen, records })))
    }

    /// The peer spoke something that is not TLS.
    fn not_tls(&self) -> bool {
        self.rx.broken() || (!self.first_rx.is_empty() && !crate::codec::tls::looks_like_tls(&self.first_rx))
    }

    fn preview(&self) -> String {
        String::from_utf8_lossy(&self.first_rx).escape_debug().to_string()
    }

    /// A rustls error in words the user can act on.
    pub(crate) fn problem(&self, e: &rustls::Error) -> TlsProblem {
        use rustls::CertificateError as C;
        use rustls::Error as E;
        let time = |t: &rustls::pki_types::UnixTime| {
            i64::try_from(t.as_secs()).ok().and_then(|s| jiff::Timestamp::from_second(s).ok()).map(|t| t.to_string())
        };
        match e {
            E::InvalidCertificate(c) => match c {
                // A trusted authority with the issuer's name but another key did not sign it
                // either (e.g. /etc/ssl/certs's snakeoil "CN=localhost" against another one).
                C::UnknownIssuer | C::BadSignature | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                    TlsProblem::UnknownIssuer
                }
                C::NotValidForName => TlsProblem::NameMismatch {
                    expected: self.sni.clone().unwrap_or_default(),
                    presented: Vec::new(),
                },
                C::NotValidForNameContext { expected, presented } => TlsProblem::NameMismatch {
                    expected: expected.to_str().into_owned(),
                    presented: presented.iter().map(|p| bare_name(p)).collect(),
                },
                C::Expired => TlsProblem::Expired { not_after: None },
                C::ExpiredContext { not_after, .. } => TlsProblem::Expired { not_after: time(not_after) },
                C::NotValidYet => TlsProblem::NotYetValid { not_before: None },
                C::NotValidYetContext { not_before, .. } => TlsProblem::NotYetValid { not_before: time(not_before) },
                C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => TlsProblem::CaAsServerCert,
                _ => TlsProblem::BadCertificate(e.to_string()),
            },
            E::AlertReceived(a) => {
                let code = u8::from(*a);
                if code == 70 {
                    TlsProblem::ProtocolVersion
                } else {
                    TlsProblem::AlertReceived(alert_name(code).to_string())
                }
            }
            E::PeerIncompatible(p) => {
                let what = format!("{p:?}");
                if what.contains("Tls12") || what.contains("Tls13") || what.contains("Version") {
                    TlsProblem::ProtocolVersion
                } else {
                    TlsProblem::Incompatible(e.to_string())
                }
            }
            _ if self.not_tls() && self.inbound => TlsProblem::PlainClient(self.preview()),
            _ if self.not_tls() => TlsProblem::NotTls(self.preview()),
            _ => TlsProblem::Other(e.to_string()),
        }
    }

    /// The connection ended while the handshake was going on: what that means.
    pub(crate) fn ended_in_handshake(&self, reset: bool) -> TlsProblem {
        if self.not_tls() {
            return if self.inbound { TlsProblem::PlainClient(self.preview()) } else { TlsProblem::NotTls(self.preview()) };
        }
        if reset { TlsProblem::HandshakeReset } else { TlsProblem::HandshakeClosed }
    }

    /// What the finished handshake agreed on.
    pub(crate) fn info(&self) -> TlsInfo {
        let c = &self.conn;
        let version = match c.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
            Some(v) => format!("{v:?}"),
            None => String::new(),
        };
        // rustls names TLS 1.3 suites TLS13_…; IANA (and openssl, Wireshark) TLS_….
        let cipher = c
            .negotiated_cipher_suite()
            .map(|s| {
                let name = s.suite().as_str().map_or_else(|| format!("{:?}", s.suite()), str::to_string);
                name.strip_prefix("TLS13_").map_or(name.clone(), |rest| format!("TLS_{rest}"))
            })
            .unwrap_or_default();
        let group = c.negotiated_key_exchange_group().map(|g| {
            let n = g.name();
            n.as_str().map_or_else(|| format!("{n:?}"), |s| s.to_string())
        });
        let alpn = c.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
        let sni = match c {
            rustls::Connection::Server(s) => s.server_name().map(str::to_string),
            rustls::Connection::Client(_) => self.sni.clone(),
        };
        let certs = c.peer_certificates().map(|cs| cs.iter().map(|d| CertSummary::of(d)).collect()).unwrap_or_default();
        TlsInfo { version, cipher, group, alpn, sni, verify: self.verify, certs }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn presented_names_are_bare() {
        assert_eq!(super::bare_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(super::bare_name("IpAddress(0::1)"), "::1");
        assert_eq!(super::bare_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(super::bare_name("plain"), "plain");
    }
}
