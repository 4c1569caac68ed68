//! TLS problems in words: what failed in a handshake, and what to do about it.

use super::{Lang, fill};
use crate::engine::tls::TlsProblem;

pub fn tls_problem(lang: Lang, p: &TlsProblem) -> String {
    let t = lang.tr();
    match p {
        TlsProblem::UnknownIssuer => t.tls_unknown_issuer.into(),
        TlsProblem::NameMismatch { expected, presented } if presented.is_empty() => {
            fill(t.tls_name_mismatch_unknown, &[expected])
        }
        TlsProblem::NameMismatch { expected, presented } => fill(t.tls_name_mismatch, &[expected, &presented.join(", ")]),
        TlsProblem::Expired { not_after: Some(when) } => fill(t.tls_expired, &[when]),
        TlsProblem::Expired { not_after: None } => t.tls_expired_unknown.into(),
        TlsProblem::NotYetValid { not_before: Some(when) } => fill(t.tls_not_yet_valid, &[when]),
        TlsProblem::NotYetValid { not_before: None } => t.tls_not_yet_valid_unknown.into(),
        TlsProblem::CaAsServerCert => t.tls_ca_as_server_cert.into(),
        TlsProblem::BadCertificate(why) => fill(t.tls_bad_certificate, &[why]),
        TlsProblem::ProtocolVersion => t.tls_protocol_version.into(),
        TlsProblem::Incompatible(why) => fill(t.tls_incompatible, &[why]),
        TlsProblem::AlertReceived(name) => fill(t.tls_alert, &[name]),
        TlsProblem::HandshakeClosed => t.tls_handshake_closed.into(),
        TlsProblem::HandshakeReset => t.tls_handshake_reset.into(),
        TlsProblem::HandshakeTimeout(ms) => fill(t.tls_handshake_timeout, &[ms]),
        TlsProblem::NotTls(first) => fill(t.tls_not_tls, &[first]),
        TlsProblem::PlainClient(first) => fill(t.tls_plain_client, &[first]),
        TlsProblem::PeerSpeaksTls => t.tls_peer_speaks_tls.into(),
        TlsProblem::Other(why) => fill(t.tls_other, &[why]),
        TlsProblem::File { path, why } => fill(t.tls_file, &[path, why]),
        TlsProblem::NoKey(path) => fill(t.tls_no_key, &[path]),
        TlsProblem::NoCaFile => t.tls_no_ca_file.into(),
        TlsProblem::NoCert(path) => fill(t.tls_no_cert, &[path]),
        TlsProblem::BadAlpn(name) => fill(t.tls_bad_alpn, &[name]),
        TlsProblem::BadServerName(name) => fill(t.tls_bad_server_name, &[name]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_name_the_names() {
        let p = TlsProblem::NameMismatch { expected: "example.org".into(), presented: vec!["localhost".into()] };
        for lang in Lang::ALL {
            let s = tls_problem(lang, &p);
            assert!(s.contains("example.org") && s.contains("localhost"), "{s}");
        }
        assert!(tls_problem(Lang::Zh, &TlsProblem::UnknownIssuer).contains("未知颁发者"));
    }
}
