//! `--tls` and its flags on tcp-server and tcp-client: the files read and the config built
//! before any socket opens (a file that cannot be used exits 2 with nothing sent), the
//! certificate a server presents said on standard error, and the chain a client got printed.

use std::time::Duration;

use super::args::TlsOpts;
use super::printer::say;
use super::{Failure, english};
use crate::engine::tls::{self, CertSummary, ClientSettings, ClientTls, ServerSettings, ServerTls, TlsInfo, Trust};

fn usage(p: tls::TlsProblem) -> Failure {
    Failure::Usage(english(&p.into()))
}

fn alpn(o: &TlsOpts) -> Result<Vec<String>, Failure> {
    o.alpn.as_deref().map(tls::parse_alpn).transpose().map(Option::unwrap_or_default).map_err(usage)
}

fn pair(o: &TlsOpts) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    o.cert.clone().zip(o.key.clone())
}

pub(super) fn client(o: &TlsOpts) -> Result<Option<ClientTls>, Failure> {
    if !o.tls {
        return Ok(None);
    }
    if o.save_cert.is_some() {
        return Err(Failure::Usage("--save-cert is a tcp-server flag".into()));
    }
    let trust = match (&o.ca, o.insecure) {
        (Some(ca), _) => Trust::CaFile(ca.clone()),
        (None, true) => Trust::Insecure,
        (None, false) => Trust::System,
    };
    let settings = ClientSettings { trust, sni: o.sni.clone(), alpn: alpn(o)?, cert: pair(o), keylog: o.keylog.clone() };
    let mut c = ClientTls::new(&settings).map_err(usage)?;
    c.handshake_timeout = Duration::from_millis(o.handshake_timeout);
    if c.insecure() {
        say!("socklab: warning: --insecure: the server's certificate is not checked; anyone may be at the other end");
    }
    Ok(Some(c))
}

pub(super) fn server(o: &TlsOpts) -> Result<Option<ServerTls>, Failure> {
    if !o.tls {
        return Ok(None);
    }
    for (set, flag) in [(o.ca.is_some(), "--ca"), (o.insecure, "--insecure"), (o.sni.is_some(), "--sni")] {
        if set {
            return Err(Failure::Usage(format!("{flag} is a tcp-client flag (a server presents --cert)")));
        }
    }
    let settings = ServerSettings { cert: pair(o), alpn: alpn(o)?, keylog: o.keylog.clone() };
    let mut s = ServerTls::new(&settings).map_err(usage)?;
    s.handshake_timeout = Duration::from_millis(o.handshake_timeout);
    if let Some(path) = &o.save_cert {
        std::fs::write(path, &s.cert_pem)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
    }
    let made = if s.self_signed { "self-signed certificate made for this run" } else { "certificate" };
    say!("socklab: TLS {made}: {} ({})", s.cert.subject, s.cert.sans.join(", "));
    say!("socklab: SHA-256 fingerprint {}", s.cert.sha256);
    Ok(Some(s))
}

/// What a handshake agreed on and the peer's certificates, as lines for a terminal.
pub(super) fn describe(info: &TlsInfo) -> Vec<String> {
    let mut lines = Vec::new();
    let mut agreed = vec![format!("{} {}", info.version, info.cipher)];
    if let Some(g) = &info.group {
        agreed.push(format!("key exchange {g}"));
    }
    agreed.push(format!("ALPN {}", info.alpn.as_deref().unwrap_or("none")));
    if let Some(sni) = &info.sni {
        agreed.push(format!("SNI {sni}"));
    }
    agreed.push(format!("certificate check: {}", info.verify.name()));
    lines.push(format!("  tls {}", agreed.join(", ")));
    for (i, c) in info.certs.iter().enumerate() {
        lines.extend(cert_lines(i, c));
    }
    lines
}

fn cert_lines(i: usize, c: &CertSummary) -> Vec<String> {
    let mut v = vec![format!("  certificate {i}: {}", c.subject), format!("    issuer  {}", c.issuer)];
    if !c.sans.is_empty() {
        v.push(format!("    names   {}", c.sans.join(", ")));
    }
    v.push(format!("    valid   {} to {}", c.not_before, c.not_after));
    v.push(format!("    sha256  {}", c.sha256));
    v
}
