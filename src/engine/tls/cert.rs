//! Certificates: PEM files in, a self-signed certificate for `localhost` made at start, and what
//! a certificate says (subject, issuer, names, validity, fingerprint) for the tab and the log.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::TlsProblem;

/// What one certificate says, as openssl x509 -text would show the parts that matter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// Subject alternative names: DNS names and IP addresses.
    #[serde(default)]
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// SHA-256 of the DER bytes, upper-case hex pairs joined by `:` (as browsers show it).
    pub sha256: String,
}

impl CertSummary {
    /// Reads a DER certificate; one that does not parse keeps its fingerprint and says so.
    pub fn of(der: &[u8]) -> CertSummary {
        let sha256 = fingerprint(der);
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
            return CertSummary { subject: "(unreadable certificate)".into(), sha256, ..CertSummary::default() };
        };
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            use x509_parser::extensions::GeneralName as G;
            for name in &ext.value.general_names {
                match name {
                    G::DNSName(d) => sans.push((*d).to_string()),
                    G::IPAddress(b) => sans.push(ip_text(b)),
                    G::RFC822Name(m) => sans.push(format!("email:{m}")),
                    G::URI(u) => sans.push(format!("URI:{u}")),
                    _ => {}
                }
            }
        }
        let time = |t: &x509_parser::time::ASN1Time| {
            jiff::Timestamp::from_second(t.timestamp()).map(|t| t.to_string()).unwrap_or_default()
        };
        CertSummary {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            sans,
            not_before: time(&cert.validity().not_before),
            not_after: time(&cert.validity().not_after),
            sha256,
        }
    }
}

fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).map(|a| std::net::IpAddr::from(a).to_string()).unwrap_or_default(),
        16 => <[u8; 16]>::try_from(b).map(|a| std::net::IpAddr::from(a).to_string()).unwrap_or_default(),
        _ => crate::codec::to_hex(b),
    }
}

/// `AB:CD:…`, the SHA-256 fingerprint of DER bytes.
pub fn fingerprint(der: &[u8]) -> String {
    sha2::Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn file_problem(path: &Path, why: impl ToString) -> TlsProblem {
    TlsProblem::File { path: path.display().to_string(), why: why.to_string() }
}

/// Every certificate of a PEM file, in order.
pub fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsProblem> {
    let data = std::fs::read(path).map_err(|e| file_problem(path, e))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&data)
        .collect::<Result<_, _>>()
        .map_err(|e| file_problem(path, format!("{e:?}")))?;
    if certs.is_empty() {
        return Err(TlsProblem::NoCert(path.display().to_string()));
    }
    Ok(certs)
}

/// The first private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsProblem> {
    let data = std::fs::read(path).map_err(|e| file_problem(path, e))?;
    PrivateKeyDer::from_pem_slice(&data).map_err(|_| TlsProblem::NoKey(path.display().to_string()))
}

/// The system's trusted authorities. A machine without any (no `ca-certificates`) trusts none,
/// and every certificate is then from an unknown issuer.
pub fn system_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(found.certs);
    roots
}

/// The authorities of a PEM file.
pub fn roots_from(path: &Path) -> Result<rustls::RootCertStore, TlsProblem> {
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(load_chain(path)?);
    if added == 0 {
        return Err(file_problem(path, "no certificate in it can be used as an authority"));
    }
    Ok(roots)
}

/// A certificate and key made on the spot.
pub struct SelfSigned {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    #[cfg_attr(not(feature = "test-support"), allow(dead_code, reason = "the tests write it for openssl s_server"))]
    pub key_pem: String,
    key_pkcs8: Vec<u8>,
}

impl SelfSigned {
    /// For `localhost`, `127.0.0.1` and `::1`, valid from yesterday for a year (ECDSA P-256).
    pub fn for_localhost() -> Result<SelfSigned, TlsProblem> {
        let now = jiff::Timestamp::now();
        let day = jiff::SignedDuration::from_hours(24);
        SelfSigned::new(&["localhost", "127.0.0.1", "::1"], "SockLab self-signed", now - day, now + day * 365)
    }

    /// A self-signed certificate for `names` (DNS names or IP addresses), valid between the two
    /// times (to the day, UTC).
    pub fn new(
        names: &[&str],
        common_name: &str,
        from: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<SelfSigned, TlsProblem> {
        let e = |e: rcgen::Error| TlsProblem::Other(e.to_string());
        let mut params = rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .map_err(e)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(rcgen::DnType::CommonName, common_name);
        let ymd = |t: jiff::Timestamp| {
            let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
            rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
        };
        params.not_before = ymd(from);
        params.not_after = ymd(until);
        let key = rcgen::KeyPair::generate().map_err(e)?;
        let cert = params.self_signed(&key).map_err(e)?;
        Ok(SelfSigned {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            key_pkcs8: key.serialize_der(),
            cert_der: cert.der().clone(),
        })
    }

    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()))
    }

    #[cfg_attr(not(feature = "test-support"), allow(dead_code, reason = "for the tests"))]
    pub fn summary(&self) -> CertSummary {
        CertSummary::of(&self.cert_der)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_says_what_it_is() {
        let made = SelfSigned::for_localhost().unwrap();
        let s = made.summary();
        assert_eq!(s.subject, "CN=SockLab self-signed");
        assert_eq!(s.issuer, s.subject);
        assert_eq!(s.sans, vec!["localhost", "127.0.0.1", "::1"]);
        assert_eq!(s.sha256.len(), 32 * 3 - 1);
        assert!(s.not_before < s.not_after, "{s:?}");
        assert!(made.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }

    #[test]
    fn files_that_are_not_there_or_hold_nothing_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        assert!(matches!(load_chain(&missing), Err(TlsProblem::File { .. })));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "hello\n").unwrap();
        assert_eq!(load_chain(&empty), Err(TlsProblem::NoCert(empty.display().to_string())));
        assert!(matches!(load_key(&empty), Err(TlsProblem::NoKey(_))));
    }
}
