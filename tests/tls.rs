//! TLS on the TCP tabs against peers SockLab did not write: `openssl s_client` and `s_server`,
//! `curl`, `tshark` (the capture's records and the key log), and hostile clients (garbage instead
//! of a ClientHello, a handshake that stalls). A test whose tool is missing says so and skips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

use common::Events;
use common::bin::{have, json_lines, output_within, socklab};
use common::ports::free_port;
use socklab::engine::tcp_client::TcpClientConfig;
use socklab::engine::tcp_server::TcpServerConfig;
use socklab::engine::tls::{ClientSettings, ClientTls, SelfSigned, ServerSettings, ServerTls, TlsProblem, Trust};
use socklab::engine::{self, Command, EventKind, Problem, ReplyMode};

const LIMIT: Duration = Duration::from_secs(20);

/// A certificate and key for `names`, written as PEM files in `dir`.
fn cert_files(
    dir: &Path,
    stem: &str,
    names: &[&str],
    from: jiff::Timestamp,
    until: jiff::Timestamp,
) -> (PathBuf, PathBuf) {
    let made = SelfSigned::new(names, &format!("SockLab test {stem}"), from, until).unwrap();
    let (c, k) = (dir.join(format!("{stem}.pem")), dir.join(format!("{stem}.key")));
    std::fs::write(&c, &made.cert_pem).unwrap();
    std::fs::write(&k, &made.key_pem).unwrap();
    (c, k)
}

fn valid_now() -> (jiff::Timestamp, jiff::Timestamp) {
    let now = jiff::Timestamp::now();
    let day = jiff::SignedDuration::from_hours(24);
    (now - day, now + day * 30)
}

/// The engine's TLS server with an upper-case reply and the given handshake timeout.
fn tls_server(settings: &ServerSettings, timeout: Duration) -> (engine::WorkerHandle, Events, SocketAddr, ServerTls) {
    let mut tls = ServerTls::new(settings).unwrap();
    tls.handshake_timeout = timeout;
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig {
        bind: "127.0.0.1:0".into(),
        reply: ReplyMode::Upper,
        tls: Some(tls.clone()),
        ..TcpServerConfig::default()
    };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    (h, ev, addr, tls)
}

/// Reads from `r` until `want` bytes came or the limit passed.
fn read_n(r: &mut impl Read, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + LIMIT;
    while got.len() < want && Instant::now() < deadline {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read: {e}"),
        }
    }
    got
}

#[test]
fn openssl_s_client_gets_the_upper_case_reply_byte_exact() {
    if !have("openssl", "this test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (h, mut ev, addr, tls) = tls_server(&ServerSettings::default(), Duration::from_secs(10));
    let ca = dir.path().join("server.pem");
    std::fs::write(&ca, &tls.cert_pem).unwrap();
    let mut child = Proc::new("openssl")
        .args(["s_client", "-quiet", "-verify_return_error", "-connect", &addr.to_string(), "-CAfile"])
        .arg(&ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.as_mut().unwrap().write_all("hello tls, 你好\n".as_bytes()).unwrap();
    let got = read_n(child.stdout.as_mut().unwrap(), "HELLO TLS, 你好\n".len());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(String::from_utf8_lossy(&got), "HELLO TLS, 你好\n");
    let connected = ev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    let EventKind::Connected { tls: Some(info), inbound: true, .. } = connected.kind else { panic!("{connected:?}") };
    assert_eq!(info.version, "TLSv1.3");
    assert!(info.cipher.starts_with("TLS_AES_") || info.cipher.starts_with("TLS_CHACHA20"), "{}", info.cipher);
    // The records: the client's hello came in plain, the rest encrypted.
    let first = ev.wait_for("records", |e| matches!(e.kind, EventKind::TlsRecords { sent: false, .. }));
    let EventKind::TlsRecords { records, .. } = first.kind else { unreachable!() };
    assert_eq!(records[0].summary(), "Handshake: ClientHello");
    drop(h);
}

#[test]
fn socklab_client_against_openssl_s_server_rev_and_www() {
    if !have("openssl", "this test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (from, until) = valid_now();
    let (cert, key) = cert_files(dir.path(), "srv", &["localhost", "127.0.0.1"], from, until);
    for (mode, send, want) in [("-rev", "hello\n", "olleh"), ("-www", "GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 ok")] {
        let port = free_port();
        let mut server = Proc::new("openssl")
            .args(["s_server", "-accept", &port.to_string(), mode, "-cert"])
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // s_server says ACCEPT when it listens.
        let mut line = [0u8; 256];
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("ACCEPT") {
            let n = server.stdout.as_mut().unwrap().read(&mut line).unwrap();
            assert!(n > 0, "s_server ended: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&line[..n]);
        }
        let out = output_within(
            socklab()
                .args(["tcp-client", "--connect", &format!("localhost:{port}"), "--tls", "--ca"])
                .arg(&cert)
                .args(["--send", send, "--wait", "1000", "--json"]),
            LIMIT,
        );
        let _ = server.kill();
        let _ = server.wait();
        assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
        let lines = json_lines(&out.stdout);
        let connected = lines.iter().find(|l| l["event"] == "connected").expect("a connected row");
        assert_eq!(connected["tls_version"], "TLSv1.3", "{connected}");
        assert!(connected["cipher"].as_str().unwrap().starts_with("TLS_"), "{connected}");
        assert_eq!(connected["verify"], "ok");
        assert_eq!(connected["sni"], "localhost");
        assert_eq!(connected["certs"][0]["subject"], "CN=SockLab test srv");
        let rx: String = lines.iter().filter(|l| l["event"] == "rx").map(|l| l["text"].as_str().unwrap()).collect();
        assert!(rx.contains(want), "{mode}: {rx}");
        // The handshake rows came first: ClientHello out, ServerHello back.
        let records: Vec<&str> =
            lines.iter().filter(|l| l["event"] == "tls_records").map(|l| l["text"].as_str().unwrap()).collect();
        assert_eq!(records.first(), Some(&"Handshake: ClientHello"), "{records:?}");
        assert!(records.iter().any(|r| r.starts_with("Handshake: ServerHello")), "{records:?}");
    }
}

#[test]
fn curl_gets_an_http_answer_from_a_rule_over_tls() {
    if !have("curl", "this test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cert = dir.path().join("cert.pem");
    let mut server = socklab()
        .args(["tcp-server", "--bind", &format!("127.0.0.1:{port}"), "--tls", "--save-cert"])
        .arg(&cert)
        .args([
            "--rule",
            r"regex:^GET (\S+) => HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nyou asked for {1}\n ; close",
            "--duration",
            "15",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_until("the server", LIMIT, || TcpStream::connect(("127.0.0.1", port)).is_ok());
    let out = output_within(
        Proc::new("curl")
            .args(["-sS", "--http1.0", "--cacert"])
            .arg(&cert)
            .arg(format!("https://localhost:{port}/lesson")),
        LIMIT,
    );
    let _ = server.kill();
    let mut stderr = String::new();
    server.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let _ = server.wait();
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "you asked for /lesson\n");
    assert!(stderr.contains("SHA-256 fingerprint"), "{stderr}");
}

/// What `socklab tcp-client --tls` says on stderr against a server presenting `cert`.
fn client_refusal(cert: &Path, key: &Path, ca: &Path, connect_host: &str) -> (bool, String) {
    let settings = ServerSettings { cert: Some((cert.into(), key.into())), ..ServerSettings::default() };
    let (h, _ev, addr, _) = tls_server(&settings, Duration::from_secs(10));
    let out = output_within(
        socklab()
            .args(["tcp-client", "--connect", &format!("{connect_host}:{}", addr.port()), "--tls", "--ca"])
            .arg(ca)
            .args(["--send", "hi", "--wait", "200"]),
        LIMIT,
    );
    drop(h);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_wrong_name_and_an_expired_certificate_are_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let (from, until) = valid_now();
    let (cert, key) = cert_files(dir.path(), "other", &["other.example"], from, until);
    let (ok, err) = client_refusal(&cert, &key, &cert, "127.0.0.1");
    assert!(!ok);
    assert!(err.contains("name mismatch") && err.contains("other.example") && err.contains("127.0.0.1"), "{err}");

    let old = jiff::Timestamp::from_second(1_577_836_800).unwrap(); // 2020-01-01
    let (cert, key) =
        cert_files(dir.path(), "old", &["localhost"], old, old + jiff::SignedDuration::from_hours(24 * 365));
    let (ok, err) = client_refusal(&cert, &key, &cert, "localhost");
    assert!(!ok);
    assert!(err.contains("expired on 2020-12-31T00:00:00Z"), "{err}");

    // Trusting the system's authorities only: a self-signed certificate is from an unknown issuer.
    let (cert, key) = cert_files(dir.path(), "self", &["localhost"], from, until);
    let settings = ServerSettings { cert: Some((cert, key)), ..ServerSettings::default() };
    let (h, _ev, addr, _) = tls_server(&settings, Duration::from_secs(10));
    let out = output_within(
        socklab().args(["tcp-client", "--connect", &format!("localhost:{}", addr.port()), "--tls", "--send", "x"]),
        LIMIT,
    );
    drop(h);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown issuer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn plain_and_tls_spoken_to_each_other_say_so() {
    // A TLS client to a plain server that greets in plain text.
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig {
        bind: "127.0.0.1:0".into(),
        rules: std::sync::Arc::new(socklab::engine::rules::Rules::parse("greeting => hello, plain world\\n").unwrap()),
        ..TcpServerConfig::default()
    };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let out = output_within(
        socklab().args(["tcp-client", "--connect", &addr.to_string(), "--tls", "--insecure", "--send", "x"]),
        LIMIT,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("answered in plain text, not TLS") && err.contains("hello, plain world"), "{err}");
    // The plain server saw a ClientHello and says what it is.
    ev.wait_for("the hint", |e| e.kind == EventKind::Error(Problem::Tls(TlsProblem::PeerSpeaksTls)));
    drop(h);

    // A plain client to the TLS server.
    let (h, mut ev, addr, _) = tls_server(&ServerSettings::default(), Duration::from_secs(10));
    let out = output_within(
        socklab().args(["tcp-client", "--connect", &addr.to_string(), "--send", "GET / HTTP/1.1"]),
        LIMIT,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("speaks TLS"), "{}", String::from_utf8_lossy(&out.stderr));
    ev.wait_for("plain client", |e| matches!(&e.kind, EventKind::Error(Problem::Tls(TlsProblem::PlainClient(first))) if first.starts_with("GET /")));
    drop(h);
}

/// A TLS client of the engine, trusting `ca`.
fn engine_client(addr: SocketAddr, ca: &Path) -> (engine::WorkerHandle, Events) {
    let tls = ClientTls::new(&ClientSettings { trust: Trust::CaFile(ca.into()), ..ClientSettings::default() }).unwrap();
    let (sink, ev) = Events::new();
    let cfg = TcpClientConfig { connect: addr.to_string(), tls: Some(tls), ..TcpClientConfig::default() };
    (engine::tcp_client::spawn(cfg, sink).unwrap(), ev)
}

#[test]
fn garbage_and_a_stalled_handshake_leave_other_clients_served() {
    let dir = tempfile::tempdir().unwrap();
    let (h, mut ev, addr, tls) = tls_server(&ServerSettings::default(), Duration::from_millis(400));
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &tls.cert_pem).unwrap();
    // Half a ClientHello, then silence.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled.write_all(&[22, 3, 1, 2, 0, 1, 0, 1]).unwrap();
    // A handshake record holding a ClientHello that is four bytes of junk.
    let mut garbage = TcpStream::connect(addr).unwrap();
    garbage.write_all(&[22, 3, 3, 0, 8, 1, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef]).unwrap();
    // Meanwhile a real client is served at once.
    let (c, mut cev) = engine_client(addr, &ca);
    cev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { tls: Some(_), .. }));
    c.send(Command::Send { conn: None, data: b"still here".to_vec() }).unwrap();
    assert_eq!(cev.rx_bytes(10), b"STILL HERE");
    // The garbage got an alert and a close; the stalled one times out.
    let mut buf = Vec::new();
    garbage.set_read_timeout(Some(LIMIT)).unwrap();
    let _ = garbage.read_to_end(&mut buf);
    assert_eq!(buf.first(), Some(&21), "an alert record came back: {buf:?}");
    ev.wait_for("the garbage's error", |e| matches!(e.kind, EventKind::Error(Problem::Tls(TlsProblem::Other(_)))));
    ev.wait_for("timeout", |e| e.kind == EventKind::Error(Problem::Tls(TlsProblem::HandshakeTimeout(400))));
    stalled.set_read_timeout(Some(LIMIT)).unwrap();
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    // The server is still serving.
    let (c2, mut cev2) = engine_client(addr, &ca);
    cev2.wait_for("connected again", |e| matches!(e.kind, EventKind::Connected { tls: Some(_), .. }));
    drop((c, c2, h));
}

#[test]
fn the_capture_holds_the_encrypted_records_and_the_key_log_opens_them() {
    if !have("tshark", "this test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (pcap, keylog, ca) = (dir.path().join("tls.pcapng"), dir.path().join("keys.txt"), dir.path().join("ca.pem"));
    let (h, _ev, addr, tls) = tls_server(&ServerSettings::default(), Duration::from_secs(10));
    std::fs::write(&ca, &tls.cert_pem).unwrap();
    let out = output_within(
        socklab()
            .args(["tcp-client", "--connect", &addr.to_string(), "--tls", "--ca"])
            .arg(&ca)
            .arg("--keylog")
            .arg(&keylog)
            .arg("--pcap")
            .arg(&pcap)
            .args(["--send", "secret hello", "--wait", "300"]),
        LIMIT,
    );
    drop(h);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let keys = std::fs::read_to_string(&keylog).unwrap();
    for label in ["CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_TRAFFIC_SECRET_0 ", "CLIENT_TRAFFIC_SECRET_0 "] {
        assert!(keys.lines().any(|l| l.starts_with(label) && l.split(' ').count() == 3), "{label}: {keys}");
    }
    let tshark = |extra: &[&str]| {
        let out = output_within(Proc::new("tshark").arg("-r").arg(&pcap).args(extra), LIMIT);
        assert!(out.status.success(), "tshark: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Without the keys: a ClientHello and a ServerHello, and no plaintext anywhere.
    let types = tshark(&["-d", &format!("tcp.port=={},tls", addr.port()), "-T", "fields", "-e", "tls.handshake.type"]);
    assert!(types.lines().any(|l| l.split(',').any(|t| t == "1")), "{types}");
    assert!(types.lines().any(|l| l.split(',').any(|t| t == "2")), "{types}");
    let raw = std::fs::read(&pcap).unwrap();
    assert!(!raw.windows(12).any(|w| w == b"secret hello"), "plaintext in the capture");
    // With the key log, Wireshark's TLS dissector decrypts the application data.
    let keylog_pref = format!("tls.keylog_file:{}", keylog.display());
    let data = tshark(&[
        "-d",
        &format!("tcp.port=={},tls", addr.port()),
        "-o",
        &keylog_pref,
        "-T",
        "fields",
        "-e",
        "tls.app_data",
        "-e",
        "data.data",
        "-Y",
        "tls.app_data || data",
    ]);
    let hex: String = "secret hello".bytes().map(|b| format!("{b:02x}")).collect();
    let upper: String = "SECRET HELLO".bytes().map(|b| format!("{b:02x}")).collect();
    let flat = data.replace([':', ',', '\t', '\n'], "");
    assert!(flat.contains(&hex) && flat.contains(&upper), "decrypted: {data}");
}

#[test]
fn a_tls_log_reads_back_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (h, _ev, addr, tls) = tls_server(&ServerSettings::default(), Duration::from_secs(10));
    let (ca, log) = (dir.path().join("ca.pem"), dir.path().join("log.jsonl"));
    std::fs::write(&ca, &tls.cert_pem).unwrap();
    let out = output_within(
        socklab()
            .args(["tcp-client", "--connect", &addr.to_string(), "--tls", "--alpn", "h2,http/1.1", "--ca"])
            .arg(&ca)
            .arg("--log-file")
            .arg(&log)
            .args(["--send", "hi", "--wait", "200"]),
        LIMIT,
    );
    drop(h);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&log).unwrap();
    let imported = socklab::log::import::read_jsonl(text.as_bytes()).unwrap();
    assert_eq!((imported.skipped, imported.warnings.len()), (0, 0), "{:?}", imported.warnings);
    let connected = imported.events.iter().find_map(|e| match &e.kind {
        EventKind::Connected { tls: Some(info), .. } => Some(info.clone()),
        _ => None,
    });
    let info = connected.expect("the connected row keeps its TLS fields");
    assert_eq!(info.version, "TLSv1.3");
    assert_eq!(info.certs.len(), 1);
    assert_eq!(info.certs[0].sha256, tls.cert.sha256);
    assert_eq!(info.alpn, None, "the server offers no ALPN");
    let records = imported.events.iter().filter(|e| matches!(e.kind, EventKind::TlsRecords { .. })).count();
    assert!(records >= 3, "{records} record rows");
    // Written again, each line is the same.
    let again: Vec<String> = imported
        .events
        .iter()
        .filter_map(|e| {
            socklab::log::record::Record::from_event(
                e,
                socklab::codec::Encoding::Utf8,
                &jiff::tz::TimeZone::system(),
                None,
                &|p| socklab::i18n::problem(socklab::i18n::Lang::En, p),
            )
        })
        .map(|r| serde_json::to_value(&r).unwrap())
        .collect::<Vec<_>>()
        .iter()
        .map(|v| v["text"].to_string())
        .collect();
    let before: Vec<String> =
        json_lines(text.as_bytes()).iter().filter(|l| l["kind"] != "summary").map(|l| l["text"].to_string()).collect();
    assert_eq!(again, before);
}
