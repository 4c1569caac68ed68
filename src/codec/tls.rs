//! The TLS record layer as it crosses the wire: record headers (type, version, length), the
//! handshake messages of plaintext records (ClientHello, ServerHello, Certificate…), alerts, and
//! which records are encrypted. Read from the raw bytes, one direction of one connection at a
//! time, so a class sees what TLS adds around the application's bytes. No decryption here: the
//! contents of encrypted records stay opaque (a key log lets Wireshark open them).
//!
//! The names are the protocol's own (RFC 8446, RFC 5246), as Wireshark shows them; they are not
//! translated.

use serde::{Deserialize, Serialize};

/// Record content types (RFC 8446 §5.1).
pub mod content {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
}

/// A record header is 5 bytes: type, version (2), length (2).
const HEADER: usize = 5;
/// A handshake message header is 4 bytes: type, length (3).
const HS_HEADER: usize = 4;

/// One TLS record, as far as its bytes show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRecord {
    /// The content type byte (see [`content`]).
    #[serde(rename = "type")]
    pub content: u8,
    /// The record's version field (0x0303 for TLS 1.2 and, for compatibility, TLS 1.3).
    pub version: u16,
    /// The length of the record's body, bytes.
    pub len: u16,
    /// The handshake messages that begin in this record, when it is a plaintext handshake record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handshake: Vec<u8>,
    /// A plaintext alert's level (1 warning, 2 fatal) and description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<(u8, u8)>,
    /// Its body is encrypted (after ChangeCipherSpec, or any TLS 1.3 application-data record).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
    /// It crossed while the handshake was going on: an encrypted record then carries handshake
    /// messages (TLS 1.3: EncryptedExtensions, Certificate, CertificateVerify, Finished).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub during_handshake: bool,
}

impl TlsRecord {
    /// The content type's name, e.g. `Handshake`.
    pub fn type_name(&self) -> &'static str {
        content_name(self.content)
    }

    /// A short description, e.g. `Handshake: ClientHello`, `ApplicationData (encrypted handshake)`,
    /// `Alert: fatal unknown_ca`.
    pub fn summary(&self) -> String {
        let mut s = self.type_name().to_string();
        if !self.handshake.is_empty() {
            let names: Vec<&str> = self.handshake.iter().map(|t| handshake_name(*t)).collect();
            s.push_str(": ");
            s.push_str(&names.join(", "));
        } else if let Some((level, desc)) = self.alert {
            s.push_str(&format!(": {} {}", if level == 2 { "fatal" } else { "warning" }, alert_name(desc)));
        } else if self.encrypted && self.during_handshake {
            s.push_str(" (encrypted handshake)");
        } else if self.encrypted && self.content != content::APPLICATION_DATA {
            s.push_str(" (encrypted)");
        }
        s
    }
}

/// The names of records, for a row: `Handshake: ClientHello · ChangeCipherSpec`.
pub fn summarize(records: &[TlsRecord]) -> String {
    records.iter().map(TlsRecord::summary).collect::<Vec<_>>().join(" · ")
}

pub fn content_name(t: u8) -> &'static str {
    match t {
        content::CHANGE_CIPHER_SPEC => "ChangeCipherSpec",
        content::ALERT => "Alert",
        content::HANDSHAKE => "Handshake",
        content::APPLICATION_DATA => "ApplicationData",
        content::HEARTBEAT => "Heartbeat",
        _ => "Unknown",
    }
}

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
pub fn handshake_name(t: u8) -> &'static str {
    match t {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        24 => "KeyUpdate",
        254 => "MessageHash",
        _ => "UnknownHandshake",
    }
}

/// Alert descriptions (RFC 8446 §6), as they are spelled there.
pub fn alert_name(d: u8) -> &'static str {
    match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown_alert",
    }
}

/// `TLS 1.3` for 0x0304 and so on.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        v => format!("0x{v:04x}"),
    }
}

/// Could these be the first bytes of a TLS record? (A known content type and version 3.x.)
pub fn looks_like_tls(data: &[u8]) -> bool {
    match data {
        [t, 3, ..] => (content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(t),
        [t] => (content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(t),
        _ => data.is_empty(),
    }
}

/// Reads one direction of a connection's records from its bytes as they arrive in pieces (a
/// record may span reads, a read may hold many records). Memory: a few bytes of state.
#[derive(Debug, Default)]
pub struct RecordReader {
    header: [u8; HEADER],
    have: usize,
    /// Body bytes of the current record still to come.
    body_left: usize,
    /// The current record is a plaintext handshake or alert record started in this piece (its
    /// index in the output), so what its body shows is added to it.
    current: Option<usize>,
    current_type: u8,
    /// Plaintext handshake messages: header bytes gathered, and body bytes still to skip.
    hs_header: [u8; HS_HEADER],
    hs_have: usize,
    hs_left: usize,
    alert: [u8; 2],
    alert_have: usize,
    /// A ChangeCipherSpec went this way: what follows is encrypted.
    encrypted: bool,
    /// The bytes are not TLS records; nothing more is read.
    broken: bool,
}

impl RecordReader {
    pub fn new() -> RecordReader {
        RecordReader::default()
    }

    /// The stream was found not to be TLS.
    pub fn broken(&self) -> bool {
        self.broken
    }

    /// The records that begin in `data`, the next piece of this direction's bytes;
    /// `during_handshake` marks them as crossing during the handshake.
    pub fn push(&mut self, mut data: &[u8], during_handshake: bool) -> Vec<TlsRecord> {
        let mut out: Vec<TlsRecord> = Vec::new();
        self.current = None;
        while !data.is_empty() && !self.broken {
            if self.body_left > 0 {
                let n = self.body_left.min(data.len());
                let (body, rest) = data.split_at(n);
                self.body(body, &mut out);
                self.body_left -= n;
                data = rest;
                continue;
            }
            let n = (HEADER - self.have).min(data.len());
            let (head, rest) = data.split_at(n);
            self.header[self.have..self.have + n].copy_from_slice(head);
            self.have += n;
            data = rest;
            if self.have < HEADER {
                break;
            }
            self.have = 0;
            let [t, major, minor, hi, lo] = self.header;
            if !(content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(&t) || major != 3 {
                self.broken = true;
                break;
            }
            let len = u16::from_be_bytes([hi, lo]);
            let encrypted = self.encrypted || t == content::APPLICATION_DATA;
            out.push(TlsRecord {
                content: t,
                version: u16::from_be_bytes([major, minor]),
                len,
                encrypted,
                during_handshake,
                ..TlsRecord::default()
            });
            self.body_left = usize::from(len);
            self.current_type = t;
            self.current = (!encrypted).then_some(out.len() - 1);
            self.alert_have = 0;
            if t == content::CHANGE_CIPHER_SPEC {
                self.encrypted = true;
            }
        }
        out
    }

    /// Part of the current record's body.
    fn body(&mut self, mut body: &[u8], out: &mut [TlsRecord]) {
        let Some(rec) = self.current.and_then(|i| out.get_mut(i)) else { return };
        match self.current_type {
            content::HANDSHAKE => {
                while !body.is_empty() {
                    if self.hs_left > 0 {
                        let n = self.hs_left.min(body.len());
                        self.hs_left -= n;
                        body = body.get(n..).unwrap_or_default();
                        continue;
                    }
                    let n = (HS_HEADER - self.hs_have).min(body.len());
                    let (head, rest) = body.split_at(n);
                    self.hs_header[self.hs_have..self.hs_have + n].copy_from_slice(head);
                    self.hs_have += n;
                    body = rest;
                    if self.hs_have == HS_HEADER {
                        self.hs_have = 0;
                        let [t, a, b, c] = self.hs_header;
                        rec.handshake.push(t);
                        self.hs_left = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
                    }
                }
            }
            content::ALERT => {
                for &b in body {
                    if self.alert_have < 2 {
                        self.alert[self.alert_have] = b;
                        self.alert_have += 1;
                    }
                }
                if self.alert_have == 2 {
                    rec.alert = Some((self.alert[0], self.alert[1]));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.3 client's first flight: ClientHello; then ChangeCipherSpec and an encrypted
    /// Finished, split at awkward places.
    #[test]
    fn records_across_reads() {
        let mut hello = vec![22, 3, 1, 0, 8, 1, 0, 0, 4, 9, 9, 9, 9];
        hello.extend([20, 3, 3, 0, 1, 1]);
        hello.extend([23, 3, 3, 0, 3, 0xaa, 0xbb, 0xcc]);
        for split in 0..hello.len() {
            let mut r = RecordReader::new();
            let (a, b) = hello.split_at(split);
            let mut got = r.push(a, true);
            got.extend(r.push(b, true));
            assert_eq!(got.len(), 3, "split at {split}");
            assert_eq!(got[0].content, content::HANDSHAKE);
            assert_eq!(got[0].version, 0x0301);
            assert_eq!(got[0].len, 8);
            if split == 0 || split >= 9 {
                // The handshake header came with the record's own piece.
                assert_eq!(got[0].handshake, vec![1], "split at {split}");
                assert_eq!(got[0].summary(), "Handshake: ClientHello");
            }
            assert_eq!(got[1].summary(), "ChangeCipherSpec");
            assert!(got[2].encrypted);
            assert_eq!(got[2].summary(), "ApplicationData (encrypted handshake)");
        }
    }

    #[test]
    fn many_handshake_messages_in_one_record_and_a_plain_alert() {
        // TLS 1.2 server flight: ServerHello, Certificate, ServerHelloDone in one record.
        let mut flight = vec![22, 3, 3, 0, 4 + 2 + 4 + 3 + 4];
        flight.extend([2, 0, 0, 2, 0, 0]);
        flight.extend([11, 0, 0, 3, 1, 2, 3]);
        flight.extend([14, 0, 0, 0]);
        flight.extend([21, 3, 3, 0, 2, 2, 48]);
        let got = RecordReader::new().push(&flight, true);
        assert_eq!(summarize(&got), "Handshake: ServerHello, Certificate, ServerHelloDone · Alert: fatal unknown_ca");
    }

    #[test]
    fn plain_text_is_not_tls() {
        let mut r = RecordReader::new();
        assert!(r.push(b"hello\n", false).is_empty());
        assert!(r.broken());
        assert!(!looks_like_tls(b"GET / HTTP/1.1"));
        assert!(looks_like_tls(&[22, 3, 1, 2, 0]));
        assert_eq!(version_name(0x0304), "TLS 1.3");
    }

    #[test]
    fn records_survive_json() {
        let r = TlsRecord { content: 22, version: 0x0303, len: 5, handshake: vec![1], ..TlsRecord::default() };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"type":22,"version":771,"len":5,"handshake":[1]}"#);
        assert_eq!(serde_json::from_str::<TlsRecord>(&json).unwrap(), r);
    }
}
