//! Safe file transfer: `socklab file-server` and `socklab file-get` against each other, against
//! the tutorial's own Python downloader (tests/peers/file_client.py, file_server.py) and against
//! raw TCP. Loopback only, temporary folders only, each test bounded in time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};
use socklab::engine::files::{self, DownloadConfig, FileError, FileProtocol, FileServerConfig, Progress};
use socklab::engine::{EventKind, EventSink};

const LIMIT: Duration = Duration::from_secs(10);

mod common;
use common::bin::{peer, socklab};

fn have_python() -> bool {
    common::bin::have("python3", "this test")
}

/// Runs a command to its end, killing it after [`LIMIT`].
fn output_within(cmd: &mut Command) -> Output {
    common::bin::output_within(cmd, LIMIT)
}

fn sha_hex(data: &[u8]) -> String {
    files::hex(&Sha256::digest(data))
}

/// Deterministic bytes that do not compress or repeat (xorshift).
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A shared folder `share/` with `secret.txt` next to it (outside), and an empty `out/`.
struct Dirs {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    share: PathBuf,
    out: PathBuf,
    secret: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(tmp.path()).unwrap();
    let (share, out) = (base.join("share"), base.join("out"));
    std::fs::create_dir(&share).unwrap();
    std::fs::create_dir(&out).unwrap();
    let secret = base.join("secret.txt");
    std::fs::write(&secret, "the secret outside the shared folder\n").unwrap();
    Dirs { _tmp: tmp, base, share, out, secret }
}

/// A running `socklab file-server --json` and the JSON lines it printed.
struct Server {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<Value>,
    seen: Vec<Value>,
}

impl Server {
    fn start(root: &Path, extra: &[&str]) -> Server {
        let mut child = socklab()
            .args(["file-server", "--root"])
            .arg(root)
            .args(["--bind", "127.0.0.1:0", "--json"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        // Keeps reading so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        let mut s = Server { child, port: 0, lines, seen: Vec::new() };
        let v = s.wait_for("listening", |v| v["event"] == "listening");
        let local: std::net::SocketAddr = v["local"].as_str().unwrap().parse().unwrap();
        s.port = local.port();
        s
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn wait_for(&mut self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.iter().find(|v| f(v)) {
            return v.clone();
        }
        let deadline = Instant::now() + LIMIT;
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if f(&v) {
                        return v;
                    }
                }
                Err(_) => panic!("timed out waiting for {what}; saw {:#?}", self.seen),
            }
        }
    }

    /// Waits for an error line containing all of `parts`.
    fn wait_error(&mut self, parts: &[&str]) -> String {
        let v = self.wait_for(&format!("an error with {parts:?}"), |v| {
            v["kind"] == "error" && parts.iter().all(|p| v["text"].as_str().unwrap_or("").contains(p))
        });
        v["text"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn file_get(addr: &str, name: &str, out: &Path, extra: &[&str]) -> Output {
    output_within(socklab().args(["file-get", "--connect", addr, name, "--out"]).arg(out).arg("--json").args(extra))
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "file-get failed: {}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON object: {text}");
    serde_json::from_str(lines[0]).unwrap()
}

fn stderr_of(o: &Output) -> String {
    assert!(!o.status.success(), "expected a failure; stdout {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Sends `request` raw and reads until the server closes.
fn raw(addr: &str, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.write_all(request).unwrap();
    // Like `nc -N`: done sending.
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    got
}

fn run_python_client(dir: &Path, port: u16, name: &str) -> String {
    let o = output_within(
        Command::new("python3")
            .arg(peer("file_client.py"))
            .args(["127.0.0.1", &port.to_string(), name])
            .current_dir(dir),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn tutorial_client_gets_files_but_not_the_secret() {
    if !have_python() {
        return;
    }
    let d = dirs();
    let text = "hello from the shared folder\nsecond line\n";
    std::fs::write(d.share.join("hello.txt"), text).unwrap();
    let mut srv = Server::start(&d.share, &["--protocol", "tutorial"]);

    let said = run_python_client(&d.out, srv.port, "hello.txt");
    assert!(said.contains("received: b'hello from"), "{said}");
    assert_eq!(std::fs::read_to_string(d.out.join("hello.txt")).unwrap(), text);
    srv.wait_for("the file sent", |v| v["kind"] == "tx" && v["text"] == "[file data]");

    // The tutorial's own attack: the file exists right outside the shared folder.
    let said = run_python_client(&d.out, srv.port, "../secret.txt");
    assert!(said.contains("received: b''"), "{said}");
    assert!(!d.out.join("secret.txt").exists());
    let log = srv.wait_error(&["refused \"../secret.txt\" from 127.0.0.1:", "climbs out of the shared folder"]);
    assert!(log.ends_with("the name climbs out of the shared folder with .."), "{log}");

    // The /etc/passwd way: an absolute path to a file that exists.
    let secret = d.secret.to_str().unwrap();
    let said = run_python_client(&d.out, srv.port, secret);
    assert!(said.contains("received: b''"), "{said}");
    srv.wait_error(&[&format!("refused {secret:?}"), "absolute path"]);
    assert!(!d.out.join("secret.txt").exists());
}

#[test]
fn file_get_talks_to_the_tutorial_python_server() {
    if !have_python() {
        return;
    }
    let d = dirs();
    let text = "notes from the tutorial server\n".repeat(20);
    std::fs::write(d.share.join("notes.txt"), &text).unwrap();
    let mut child = Command::new("python3")
        .arg(peer("file_server.py"))
        .args(["127.0.0.1", "0"])
        .current_dir(&d.share)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port: u16 = line.trim().parse().unwrap();
    let o = file_get(&format!("127.0.0.1:{port}"), "notes.txt", &d.out, &["--protocol", "tutorial"]);
    let _ = child.kill();
    let _ = child.wait();
    let v = json_of(&o);
    assert_eq!(std::fs::read_to_string(d.out.join("notes.txt")).unwrap(), text);
    assert_eq!(v["protocol"], "tutorial");
    assert_eq!(v["verified"], false, "the tutorial protocol has no checksum");
    assert_eq!(v["bytes"], text.len());
    assert_eq!(v["sha256"], sha_hex(text.as_bytes()));
    assert_eq!(v["name"], "notes.txt");
    assert!(!d.out.join("notes.txt.socklab-part").exists());
}

fn big_file(d: &Dirs) -> Vec<u8> {
    let data = random_bytes(5 * 1024 * 1024, 7);
    std::fs::write(d.share.join("big.bin"), &data).unwrap();
    data
}

#[test]
fn framed_download_of_5_mib_is_verified() {
    let d = dirs();
    let data = big_file(&d);
    let mut srv = Server::start(&d.share, &[]);
    let v = json_of(&file_get(&srv.addr(), "big.bin", &d.out, &[]));
    assert_eq!(v["sha256"], sha_hex(&data));
    assert_eq!(v["verified"], true);
    assert_eq!(v["resumed_from"], 0);
    assert_eq!(v["protocol"], "framed");
    assert_eq!(v["bytes"], data.len());
    assert_eq!(v["path"], d.out.join("big.bin").to_str().unwrap());
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["name", "path", "bytes", "sha256", "verified", "resumed_from", "protocol"] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    assert!(std::fs::read(d.out.join("big.bin")).unwrap() == data);
    assert!(!d.out.join("big.bin.socklab-part").exists());
    // The server logged the header whole and the file as one summary line per chunk.
    let head = srv
        .wait_for("the OK header", |v| v["kind"] == "tx" && v["text"].as_str().is_some_and(|t| t.starts_with("OK ")));
    assert_eq!(head["text"], format!("OK {} {}\n", data.len(), sha_hex(&data)));
    srv.wait_for("closed", |v| v["kind"] == "disconnect");
    let chunks: Vec<&Value> = srv.seen.iter().filter(|v| v["kind"] == "tx" && v["text"] == "[file data]").collect();
    assert!(!chunks.is_empty());
    assert!(chunks.iter().all(|c| c["hex"] == "" && c["len"].as_u64().unwrap() <= 65536));
    let sent: u64 = chunks.iter().map(|c| c["len"].as_u64().unwrap()).sum();
    assert_eq!(sent, data.len() as u64);
}

#[test]
fn resume_continues_a_part_file() {
    let d = dirs();
    let data = big_file(&d);
    let srv = Server::start(&d.share, &[]);
    std::fs::write(d.out.join("big.bin.socklab-part"), &data[..2 * 1024 * 1024]).unwrap();
    let v = json_of(&file_get(&srv.addr(), "big.bin", &d.out, &[]));
    assert_eq!(v["resumed_from"], 2_097_152);
    assert_eq!(v["verified"], true);
    assert_eq!(v["sha256"], sha_hex(&data));
    assert!(std::fs::read(d.out.join("big.bin")).unwrap() == data);
    assert!(!d.out.join("big.bin.socklab-part").exists());
}

#[test]
fn a_damaged_part_file_fails_verification_and_saves_nothing() {
    let d = dirs();
    let data = big_file(&d);
    let srv = Server::start(&d.share, &[]);
    let mut wrong = data[..2 * 1024 * 1024].to_vec();
    wrong[1000] ^= 0xff;
    std::fs::write(d.out.join("big.bin.socklab-part"), &wrong).unwrap();
    let err = stderr_of(&file_get(&srv.addr(), "big.bin", &d.out, &[]));
    assert!(err.contains("SHA-256") && err.contains("damaged"), "{err}");
    assert_eq!(err.trim().lines().last().unwrap().matches("socklab:").count(), 1, "{err}");
    assert!(!d.out.join("big.bin").exists());
    // --no-resume ignores (and replaces) a part file.
    std::fs::write(d.out.join("big.bin.socklab-part"), &wrong).unwrap();
    let v = json_of(&file_get(&srv.addr(), "big.bin", &d.out, &["--no-resume"]));
    assert_eq!((v["resumed_from"].as_u64(), v["verified"].as_bool()), (Some(0), Some(true)));
}

#[test]
fn an_existing_file_is_kept_unless_overwrite() {
    let d = dirs();
    std::fs::write(d.share.join("a.txt"), "new contents\n").unwrap();
    std::fs::write(d.out.join("a.txt"), "mine, keep me\n").unwrap();
    let srv = Server::start(&d.share, &[]);
    let err = stderr_of(&file_get(&srv.addr(), "a.txt", &d.out, &[]));
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(d.out.join("a.txt")).unwrap(), "mine, keep me\n");
    assert!(!d.out.join("a.txt.socklab-part").exists(), "it failed before connecting");
    let v = json_of(&file_get(&srv.addr(), "a.txt", &d.out, &["--overwrite"]));
    assert_eq!(v["verified"], true);
    assert_eq!(std::fs::read_to_string(d.out.join("a.txt")).unwrap(), "new contents\n");
    // Text mode: the final line.
    std::fs::remove_file(d.out.join("a.txt")).unwrap();
    let o = output_within(socklab().args(["file-get", "--connect", &srv.addr(), "a.txt", "--out"]).arg(&d.out));
    assert!(o.status.success());
    let line = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(line, format!("saved a.txt (13 bytes, sha256 {}, verified)", sha_hex(b"new contents\n")));
}

#[test]
fn four_clients_at_once_get_their_files() {
    let d = dirs();
    let srv = Server::start(&d.share, &[]);
    let datas: Vec<Vec<u8>> = (0..4).map(|i| random_bytes(1024 * 1024 + i * 4099, 100 + i as u64)).collect();
    for (i, data) in datas.iter().enumerate() {
        std::fs::write(d.share.join(format!("f{i}.bin")), data).unwrap();
    }
    let addr = srv.addr();
    let runs: Vec<_> = (0..4)
        .map(|i| {
            let (addr, out) = (addr.clone(), d.out.clone());
            std::thread::spawn(move || file_get(&addr, &format!("f{i}.bin"), &out, &[]))
        })
        .collect();
    for (i, r) in runs.into_iter().enumerate() {
        let v = json_of(&r.join().unwrap());
        assert_eq!(v["sha256"], sha_hex(&datas[i]));
        assert_eq!(v["verified"], true);
        assert!(std::fs::read(d.out.join(format!("f{i}.bin"))).unwrap() == datas[i]);
    }
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_shared_folder_is_refused() {
    let d = dirs();
    std::os::unix::fs::symlink(&d.secret, d.share.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("../secret.txt", d.share.join("rel.txt")).unwrap();
    let mut srv = Server::start(&d.share, &[]);
    let err = stderr_of(&file_get(&srv.addr(), "link.txt", &d.out, &[]));
    assert!(err.contains("refused") && err.contains("outside the shared folder"), "{err}");
    assert!(!d.out.join("link.txt").exists() && !d.out.join("link.txt.socklab-part").exists());
    srv.wait_error(&["refused \"link.txt\" from 127.0.0.1:", "outside the shared folder"]);
    let got = raw(&srv.addr(), b"GET 0 rel.txt\n");
    assert!(got.starts_with(b"ERR refused "), "{}", String::from_utf8_lossy(&got));
    assert!(!String::from_utf8_lossy(&got).contains("secret outside"));
}

#[test]
fn raw_requests_over_tcp_as_with_nc() {
    let d = dirs();
    let body = b"0123456789 abcdef\n";
    std::fs::write(d.share.join("a.txt"), body).unwrap();
    let srv = Server::start(&d.share, &[]);
    let a = srv.addr();
    let want_head = format!("OK {} {}\n", body.len(), sha_hex(body));

    let got = raw(&a, b"GET 0 a.txt\n");
    assert_eq!(String::from_utf8_lossy(&got), format!("{want_head}{}", String::from_utf8_lossy(body)));
    // nc -C sends \r\n; an offset sends the rest, the header still describes the whole file.
    let got = raw(&a, b"GET 11 a.txt\r\n");
    assert_eq!(String::from_utf8_lossy(&got), format!("{want_head}abcdef\n"));
    let got = raw(&a, format!("GET {} a.txt\n", body.len()).as_bytes());
    assert_eq!(String::from_utf8_lossy(&got), want_head);

    let starts = |req: &[u8], code: &str| {
        let got = String::from_utf8_lossy(&raw(&a, req)).to_string();
        assert!(got.starts_with(&format!("ERR {code} ")) && got.ends_with('\n'), "{req:?}: {got}");
        assert_eq!(got.lines().count(), 1, "{got}");
        got
    };
    starts(b"GET 0 nope.txt\n", "not_found");
    starts(b"GET 0 ../secret.txt\n", "refused");
    starts(b"GET 0 /etc/passwd\n", "refused");
    starts(b"GET 99 a.txt\n", "bad_offset");
    starts(b"HELLO\n", "bad_request");
    starts(b"GET x a.txt\n", "bad_request");
    starts(&[b'A'; 3000], "bad_request");
    // Split across writes, and the request half-closed without its newline.
    let mut s = TcpStream::connect(&a).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    for piece in [&b"GE"[..], b"T 0 a", b".txt\n"] {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert!(got.ends_with(body));
    let got = starts(b"GET 0 a.txt", "bad_request");
    assert!(got.contains("ended before"), "{got}");
}

#[test]
fn a_file_over_max_size_is_too_big() {
    let d = dirs();
    std::fs::write(d.share.join("eleven.txt"), "eleven byte").unwrap();
    std::fs::write(d.share.join("ten.txt"), "ten bytes!").unwrap();
    let mut srv = Server::start(&d.share, &["--max-size", "10"]);
    let got = String::from_utf8_lossy(&raw(&srv.addr(), b"GET 0 eleven.txt\n")).to_string();
    assert!(got.starts_with("ERR too_big ") && got.contains("11 bytes"), "{got}");
    srv.wait_error(&["\"eleven.txt\" is 11 bytes, more than the 10 bytes"]);
    let got = raw(&srv.addr(), b"GET 0 ten.txt\n");
    assert!(got.ends_with(b"\nten bytes!"));
}

#[test]
fn file_server_needs_an_existing_folder() {
    let d = dirs();
    let o = output_within(socklab().args(["file-server", "--root"]).arg(d.base.join("missing")));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
    let o = output_within(socklab().args(["file-server", "--root"]).arg(&d.secret));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a folder"));
}

#[test]
fn library_server_and_download_log_the_conversation() {
    let d = dirs();
    std::fs::write(d.share.join("a.txt"), "library\n").unwrap();
    let (ssink, sev) = EventSink::channel(None);
    let cfg = FileServerConfig { bind: "127.0.0.1:0".into(), root: d.share.clone(), ..FileServerConfig::default() };
    let mut srv = files::start(cfg, ssink).unwrap();
    let local = match sev.recv_timeout(LIMIT).unwrap().kind {
        EventKind::Listening { local } => local,
        other => panic!("{other:?}"),
    };
    let (csink, cev) = EventSink::channel(None);
    let cfg = DownloadConfig {
        connect: local.to_string(),
        name: "a.txt".into(),
        out_dir: d.out.clone(),
        ..DownloadConfig::default()
    };
    let progress = Progress::new();
    let got = files::download(&cfg, &progress, &csink).unwrap();
    assert!(got.verified && progress.is_done());
    assert_eq!((progress.received(), progress.total()), (8, Some(8)));
    let client: Vec<EventKind> = cev.try_iter().map(|e| e.kind).collect();
    let rx: Vec<u8> = client
        .iter()
        .filter_map(|k| match k {
            EventKind::Rx { data, .. } => Some(data.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(rx, format!("OK 8 {}\nlibrary\n", sha_hex(b"library\n")).into_bytes());
    assert!(client.iter().any(|k| *k == EventKind::Tx { data: b"GET 0 a.txt\n".to_vec() }), "{client:?}");
    assert!(matches!(client.last(), Some(EventKind::Closed { .. })), "{client:?}");
    srv.request_stop();
    let mut server = Vec::new();
    while let Ok(e) = sev.recv_timeout(LIMIT) {
        let stop = e.kind == EventKind::Stopped;
        server.push(e.kind);
        if stop {
            break;
        }
    }
    srv.join();
    assert!(server.iter().any(|k| matches!(k, EventKind::Connected { inbound: true, .. })), "{server:?}");
    assert!(server.iter().any(|k| *k == EventKind::Rx { data: b"GET 0 a.txt\n".to_vec(), lost: 0 }), "{server:?}");
    assert!(server.iter().any(|k| *k == EventKind::Tx { data: b"library\n".to_vec() }), "{server:?}");
    assert!(server.iter().any(|k| matches!(k, EventKind::Closed { .. })), "{server:?}");
    assert_eq!(server.last(), Some(&EventKind::Stopped));
    assert!(files::start(FileServerConfig::default(), EventSink::channel(None).0).is_err(), "no root, no server");
}

#[test]
fn cancel_stops_a_download_promptly_and_saves_nothing() {
    let d = dirs();
    // A server that announces 1 MB, sends 1000 bytes, then stalls with the connection open.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (finished, wait) = mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut req = [0u8; 64];
        let _ = s.read(&mut req).unwrap();
        s.write_all(format!("OK 1000000 {}\n", "ab".repeat(32)).as_bytes()).unwrap();
        s.write_all(&[7u8; 1000]).unwrap();
        let _ = wait.recv_timeout(LIMIT);
    });
    let progress = Arc::new(Progress::new());
    let (sink, _events) = EventSink::channel(None);
    let cfg = DownloadConfig {
        connect: addr.to_string(),
        name: "slow.bin".into(),
        out_dir: d.out.clone(),
        protocol: FileProtocol::Framed,
        ..DownloadConfig::default()
    };
    let p = progress.clone();
    let worker = std::thread::spawn(move || files::download(&cfg, &p, &sink));
    let deadline = Instant::now() + LIMIT;
    while progress.received() < 1000 {
        assert!(Instant::now() < deadline, "no bytes arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(progress.total(), Some(1_000_000));
    let asked = Instant::now();
    progress.cancel();
    let r = worker.join().unwrap();
    assert!(asked.elapsed() < Duration::from_millis(1000), "took {:?}", asked.elapsed());
    assert_eq!(r, Err(FileError::Cancelled));
    assert!(progress.is_done());
    assert!(!d.out.join("slow.bin").exists());
    assert_eq!(std::fs::read(d.out.join("slow.bin.socklab-part")).unwrap(), vec![7u8; 1000], "kept for resuming");
    finished.send(()).unwrap();
    server.join().unwrap();
}

/// A hand-written server for one connection: reads the request (up to its newline or a pause),
/// then lets `answer` write whatever it likes.
fn fake_server(answer: impl FnOnce(&mut TcpStream) + Send + 'static) -> (String, std::thread::JoinHandle<()>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        s.set_write_timeout(Some(LIMIT)).unwrap();
        let mut req = [0u8; 256];
        let _ = s.read(&mut req);
        answer(&mut s);
    });
    (addr, t)
}

fn lib_download(cfg: &DownloadConfig) -> (Result<files::Downloaded, FileError>, Progress) {
    let (sink, _events) = EventSink::channel(None);
    let progress = Progress::new();
    let r = files::download(cfg, &progress, &sink);
    (r, progress)
}

#[test]
fn tutorial_download_stops_at_the_size_limit() {
    let d = dirs();
    const MAX: u64 = 1 << 20;
    // A hostile server: streams up to 64 MiB (or until the client goes), never saying how much.
    let (addr, server) = fake_server(|s| {
        let chunk = vec![0x5au8; 64 * 1024];
        for _ in 0..1024 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let cfg = DownloadConfig {
        connect: addr,
        name: "endless.bin".into(),
        out_dir: d.out.clone(),
        protocol: FileProtocol::Tutorial,
        max_size: MAX,
        ..DownloadConfig::default()
    };
    let (r, progress) = lib_download(&cfg);
    assert_eq!(r, Err(FileError::DownloadOverLimit { max: MAX }));
    assert!(progress.received() <= MAX, "{} bytes kept", progress.received());
    assert!(!d.out.join("endless.bin").exists());
    assert!(!d.out.join("endless.bin.socklab-part").exists(), "the partial file is deleted");
    server.join().unwrap();
    let text = socklab::i18n::file_error(socklab::i18n::Lang::En, &r.unwrap_err());
    assert_eq!(
        text,
        "the server sent more than the download limit of 1048576 bytes; stopped and deleted the partial file"
    );

    // Exactly the limit is fine.
    let (addr, server) = fake_server(|s| s.write_all(&vec![1u8; MAX as usize]).unwrap());
    let (r, _) = lib_download(&DownloadConfig { connect: addr, ..cfg });
    assert_eq!(r.unwrap().bytes, MAX);
    server.join().unwrap();
    assert_eq!(DownloadConfig::default().max_size, files::DEFAULT_MAX_FILE_SIZE);
}

#[test]
fn framed_download_refuses_an_announced_size_over_the_limit() {
    let d = dirs();
    let (addr, server) = fake_server(|s| {
        let _ = s.write_all(format!("OK 2147483648 {}\n", "ab".repeat(32)).as_bytes());
        let _ = s.write_all(&[0u8; 64 * 1024]);
    });
    let cfg =
        DownloadConfig { connect: addr, name: "huge.bin".into(), out_dir: d.out.clone(), ..DownloadConfig::default() };
    let (r, _) = lib_download(&cfg);
    assert_eq!(r, Err(FileError::DownloadTooBig { size: 2_147_483_648, max: files::DEFAULT_MAX_FILE_SIZE }));
    assert!(!d.out.join("huge.bin.socklab-part").exists(), "nothing was written");
    server.join().unwrap();
}

#[test]
fn a_server_sending_more_than_it_announced_leaves_no_oversize_part_file() {
    let d = dirs();
    let (addr, server) = fake_server(|s| {
        let _ = s.write_all(format!("OK 10 {}\n", sha_hex(b"0123456789")).as_bytes());
        let _ = s.write_all(b"0123456789 and ten more");
    });
    let cfg =
        DownloadConfig { connect: addr, name: "ten.txt".into(), out_dir: d.out.clone(), ..DownloadConfig::default() };
    let (r, _) = lib_download(&cfg);
    // `actual` counts what had arrived when the client stopped reading: 11 to 23 bytes.
    assert!(matches!(r, Err(FileError::SizeMismatch { expected: 10, actual: 11..=23 })), "{r:?}");
    let part = std::fs::metadata(d.out.join("ten.txt.socklab-part")).map(|m| m.len()).unwrap_or(0);
    assert!(part <= 10, "the part file has {part} bytes, more than the file's 10: resuming would fail");
    server.join().unwrap();
}

#[test]
fn a_part_file_longer_than_the_file_is_started_over() {
    let d = dirs();
    let body = random_bytes(100, 3);
    std::fs::write(d.share.join("a.bin"), &body).unwrap();
    std::fs::write(d.out.join("a.bin.socklab-part"), random_bytes(150, 4)).unwrap();
    let srv = Server::start(&d.share, &[]);
    let v = json_of(&file_get(&srv.addr(), "a.bin", &d.out, &[]));
    assert_eq!((v["resumed_from"].as_u64(), v["verified"].as_bool()), (Some(0), Some(true)));
    assert!(std::fs::read(d.out.join("a.bin")).unwrap() == body);
    assert!(!d.out.join("a.bin.socklab-part").exists());
}

#[test]
fn download_creates_its_output_folder() {
    let d = dirs();
    std::fs::write(d.share.join("a.txt"), "into a new folder\n").unwrap();
    let srv = Server::start(&d.share, &[]);
    let out = d.out.join("new").join("sub");
    let v = json_of(&file_get(&srv.addr(), "a.txt", &out, &[]));
    assert_eq!(v["verified"], true);
    assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "into a new folder\n");
    // A file where the folder should be is an error, before connecting.
    let err = stderr_of(&file_get(&srv.addr(), "a.txt", &out.join("a.txt"), &["--overwrite"]));
    assert!(err.contains("cannot create"), "{err}");
}

/// A library file server on `127.0.0.1:0` and its events.
fn lib_server(
    cfg: FileServerConfig,
) -> (socklab::engine::WorkerHandle, std::net::SocketAddr, crossbeam_channel::Receiver<socklab::engine::Event>) {
    let (sink, events) = EventSink::channel(None);
    let h = files::start(FileServerConfig { bind: "127.0.0.1:0".into(), ..cfg }, sink).unwrap();
    let local = match events.recv_timeout(LIMIT).unwrap().kind {
        EventKind::Listening { local } => local,
        other => panic!("{other:?}"),
    };
    (h, local, events)
}

/// Waits (at most `within`) for an event that `f` picks, keeping the others in `seen`.
fn wait_event(
    events: &crossbeam_channel::Receiver<socklab::engine::Event>,
    seen: &mut Vec<socklab::engine::Event>,
    within: Duration,
    what: &str,
    f: impl Fn(&socklab::engine::Event) -> bool,
) -> socklab::engine::Event {
    if let Some(e) = seen.iter().find(|e| f(e)) {
        return e.clone();
    }
    let deadline = Instant::now() + within;
    loop {
        match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(e) => {
                seen.push(e.clone());
                if f(&e) {
                    return e;
                }
            }
            Err(_) => {
                panic!("no {what} within {within:?}; saw {:#?}", seen.iter().map(|e| &e.kind).collect::<Vec<_>>())
            }
        }
    }
}

fn file_error(e: &socklab::engine::Event) -> Option<&FileError> {
    match &e.kind {
        EventKind::Error(socklab::engine::Problem::File(f)) => Some(f),
        _ => None,
    }
}

#[test]
fn tutorial_request_deadline_is_total_however_the_bytes_trickle() {
    let d = dirs();
    std::fs::write(d.share.join("aaaa"), "x").unwrap();
    let cfg = FileServerConfig { root: d.share.clone(), protocol: FileProtocol::Tutorial, ..Default::default() };
    let (mut h, local, events) = lib_server(cfg);
    let mut s = TcpStream::connect(local).unwrap();
    // One byte every 100 ms, each within the tutorial's 200 ms pause, for at most 14 s.
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let start = Instant::now();
    let closed_after = loop {
        assert!(start.elapsed() < Duration::from_secs(14), "the server still listens after {:?}", start.elapsed());
        if s.write_all(b"a").is_err() {
            break start.elapsed();
        }
        let mut b = [0u8; 16];
        match s.read(&mut b) {
            Ok(0) => break start.elapsed(),
            Ok(n) => panic!("the server answered {:?}", &b[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break start.elapsed(),
        }
    };
    eprintln!("the trickling client was closed after {closed_after:?}");
    assert!(closed_after >= files::server::REQUEST_TIMEOUT - Duration::from_millis(300), "{closed_after:?}");
    let mut seen = Vec::new();
    let e = wait_event(&events, &mut seen, LIMIT, "a NoRequest error", |e| {
        matches!(file_error(e), Some(FileError::NoRequest { secs: 10, .. }))
    });
    assert!(e.conn.is_some());
    h.request_stop();
    h.join();
}

#[test]
fn a_client_turned_away_because_the_server_is_full_reads_err_busy() {
    let d = dirs();
    std::fs::write(d.share.join("a.txt"), "abc").unwrap();
    for protocol in [FileProtocol::Framed, FileProtocol::Tutorial] {
        let cfg = FileServerConfig { root: d.share.clone(), protocol, max_clients: 1, ..Default::default() };
        let (mut h, local, events) = lib_server(cfg);
        let mut seen = Vec::new();
        // The only slot: a client that says nothing yet.
        let holder = TcpStream::connect(local).unwrap();
        wait_event(&events, &mut seen, LIMIT, "the first client", |e| matches!(e.kind, EventKind::Connected { .. }));
        for _ in 0..3 {
            let mut s = TcpStream::connect(local).unwrap();
            s.set_read_timeout(Some(LIMIT)).unwrap();
            let req: &[u8] = if protocol == FileProtocol::Framed { b"GET 0 a.txt\n" } else { b"a.txt" };
            s.write_all(req).unwrap();
            let mut got = Vec::new();
            let r = s.read_to_end(&mut got);
            assert!(
                r.is_ok(),
                "{protocol:?}: {r:?} after {:?} (a reset instead of a close)",
                String::from_utf8_lossy(&got)
            );
            let got = String::from_utf8_lossy(&got).to_string();
            if protocol == FileProtocol::Framed {
                assert_eq!(got, "ERR busy the server is already serving 1 clients, its limit; try again later\n");
            } else {
                assert_eq!(got, "", "the tutorial protocol has no error messages");
            }
        }
        let turned = seen
            .iter()
            .chain(events.try_iter().collect::<Vec<_>>().iter())
            .filter(|e| e.kind == EventKind::Error(socklab::engine::Problem::TooManyClients(1)))
            .count();
        assert!(turned >= 1, "{protocol:?}: the server logs TooManyClients");
        drop(holder);
        h.request_stop();
        h.join();
    }
}

#[test]
fn clients_reading_slower_than_the_minimum_rate_are_dropped() {
    let d = dirs();
    std::fs::File::create(d.share.join("big.bin")).unwrap().set_len(256 << 20).unwrap();
    assert_eq!(FileServerConfig::default().min_send_rate, files::DEFAULT_MIN_SEND_RATE);
    // 1 MiB/s minimum; the client takes about 20 KiB/s.
    let min = 1 << 20;
    let cfg = FileServerConfig {
        root: d.share.clone(),
        protocol: FileProtocol::Tutorial,
        min_send_rate: min,
        ..Default::default()
    };
    let (mut h, local, events) = lib_server(cfg);
    let mut s = TcpStream::connect(local).unwrap();
    s.write_all(b"big.bin").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let start = Instant::now();
    let mut got = 0u64;
    let mut b = [0u8; 2048];
    let ended = loop {
        assert!(start.elapsed() < 3 * files::server::RATE_WINDOW, "still served after {:?}", start.elapsed());
        match s.read(&mut b) {
            Ok(0) => break start.elapsed(),
            Ok(n) => got += n as u64,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break start.elapsed(),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("the slow reader got {got} bytes and was dropped after {ended:?}");
    let mut seen = Vec::new();
    let e = wait_event(&events, &mut seen, LIMIT, "a ClientTooSlow error", |e| {
        matches!(file_error(e), Some(FileError::ClientTooSlow { .. }))
    });
    let Some(FileError::ClientTooSlow { rate, min: m, secs, .. }) = file_error(&e) else { unreachable!() };
    assert!(*rate < min && *m == min && *secs == files::server::RATE_WINDOW.as_secs(), "{e:?}");
    h.request_stop();
    h.join();
}

/// Runs the test `name` of this test binary alone in a child process with `SOCKLAB_CHILD` set
/// (for tests that change process-wide state, like the file descriptor limit).
fn run_alone_in_a_child(name: &str) {
    let exe = std::env::current_exe().unwrap();
    let o = output_within(
        Command::new(exe).args(["--exact", name, "--nocapture", "--test-threads=1"]).env("SOCKLAB_CHILD", name),
    );
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success() && out.contains("1 passed"), "the child failed:\n{out}\n{err}");
    eprint!("{err}");
}

#[cfg(unix)]
#[test]
fn accept_is_retried_after_running_out_of_file_descriptors() {
    use socklab::engine::Problem;
    const NAME: &str = "accept_is_retried_after_running_out_of_file_descriptors";
    if std::env::var("SOCKLAB_CHILD").as_deref() != Ok(NAME) {
        return run_alone_in_a_child(NAME);
    }
    // From here on, in a process of its own.
    let d = dirs();
    std::fs::write(d.share.join("a.txt"), "abc").unwrap();
    let (mut h, local, events) = lib_server(FileServerConfig { root: d.share.clone(), ..Default::default() });
    // Lower (never raise) the soft limit, like `ulimit -n 256`, then use up every descriptor.
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into `lim`, a valid, exclusively borrowed struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur = lim.rlim_cur.min(256);
    // SAFETY: setrlimit only reads the valid rlimit `lim` points to.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let mut hog = Vec::new();
    let full = loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => hog.push(f),
            Err(e) => break e,
        }
        assert!(hog.len() < 1000, "the limit did not apply");
    };
    assert_eq!(full.raw_os_error(), Some(libc::EMFILE));
    // The kernel completes the connection into the listen queue; the server cannot accept it.
    client.connect(&local.into()).unwrap();
    let mut stream: TcpStream = client.into();
    stream.write_all(b"GET 0 a.txt\n").unwrap();
    let mut seen = Vec::new();
    wait_event(&events, &mut seen, LIMIT, "an accept error", |e| matches!(e.kind, EventKind::Error(_)));
    // Several retries fail meanwhile.
    std::thread::sleep(Duration::from_millis(500));
    let freed_at = Instant::now();
    drop(hog);
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).unwrap();
    eprintln!("served {:?} after the descriptors were freed", freed_at.elapsed());
    assert_eq!(String::from_utf8_lossy(&got), format!("OK 3 {}\nabc", sha_hex(b"abc")));
    h.request_stop();
    h.join();
    seen.extend(events.try_iter());
    let errors: Vec<&EventKind> = seen.iter().map(|e| &e.kind).filter(|k| matches!(k, EventKind::Error(_))).collect();
    assert_eq!(errors, [&EventKind::Error(Problem::TooManyOpenFiles)], "reported once, not at every retry");
}

/// A folder for big sparse files: tmpfs when there is one (holes are read without allocating).
fn sparse_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap();
    let base = std::fs::canonicalize(tmp.path()).unwrap();
    (tmp, base)
}

fn count_closed(seen: &[socklab::engine::Event]) -> usize {
    seen.iter().filter(|e| matches!(e.kind, EventKind::Closed { .. })).count()
}

#[test]
fn departed_clients_free_their_slots_and_their_hashing_at_once() {
    let (_tmp, share) = sparse_dir();
    for i in 0..10 {
        std::fs::File::create(share.join(format!("big{i}.bin"))).unwrap().set_len(64 << 30).unwrap();
    }
    std::fs::write(share.join("tiny.txt"), "abc").unwrap();
    let cfg = FileServerConfig { root: share.clone(), max_clients: 10, max_file_size: u64::MAX, ..Default::default() };
    let (mut h, local, events) = lib_server(cfg);
    let mut seen = Vec::new();
    let clients: Vec<TcpStream> = (0..10)
        .map(|i| {
            let mut s = TcpStream::connect(local).unwrap();
            s.write_all(format!("GET 0 big{i}.bin\n").as_bytes()).unwrap();
            s
        })
        .collect();
    for i in 0..10 {
        let line = format!("GET 0 big{i}.bin\n").into_bytes();
        wait_event(
            &events,
            &mut seen,
            LIMIT,
            "a request",
            |e| matches!(&e.kind, EventKind::Rx { data, .. } if *data == line),
        );
    }
    // All ten leave at once, with a reset (as a cancelled `file-get` does).
    for s in clients {
        socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO)).unwrap();
    }
    let left = Instant::now();
    let deadline = left + LIMIT;
    while count_closed(&seen) < 10 {
        match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(e) => seen.push(e),
            Err(_) => panic!("{} of 10 departed clients closed within {LIMIT:?}", count_closed(&seen)),
        }
    }
    eprintln!("the 10 departed clients were closed {:?} after they left", left.elapsed());
    // The next client gets a slot, and its 3-byte file without waiting for 640 GiB of hashing.
    let asked = Instant::now();
    let got = raw(&local.to_string(), b"GET 0 tiny.txt\n");
    eprintln!("the next client's 3-byte file came in {:?}", asked.elapsed());
    assert_eq!(String::from_utf8_lossy(&got), format!("OK 3 {}\nabc", sha_hex(b"abc")));
    h.request_stop();
    h.join();
}

#[test]
fn a_cancelled_download_frees_the_server_at_once() {
    let (_tmp, share) = sparse_dir();
    std::fs::File::create(share.join("big.bin")).unwrap().set_len(64 << 30).unwrap();
    let d = dirs();
    let cfg = FileServerConfig { root: share.clone(), max_file_size: u64::MAX, ..Default::default() };
    let (mut h, local, events) = lib_server(cfg);
    let progress = Arc::new(Progress::new());
    let (sink, _client_events) = EventSink::channel(None);
    let cfg = DownloadConfig {
        connect: local.to_string(),
        name: "big.bin".into(),
        out_dir: d.out.clone(),
        max_size: u64::MAX,
        ..DownloadConfig::default()
    };
    let p = progress.clone();
    let worker = std::thread::spawn(move || files::download(&cfg, &p, &sink));
    let mut seen = Vec::new();
    wait_event(&events, &mut seen, LIMIT, "the request", |e| matches!(&e.kind, EventKind::Rx { .. }));
    progress.cancel();
    assert_eq!(worker.join().unwrap(), Err(FileError::Cancelled));
    let closed = wait_event(&events, &mut seen, LIMIT, "the server closing the cancelled client", |e| {
        matches!(e.kind, EventKind::Closed { .. })
    });
    assert_eq!(closed.kind, EventKind::Closed { reason: socklab::engine::CloseReason::Reset });
    h.request_stop();
    h.join();
}

#[test]
fn a_small_file_is_not_kept_waiting_behind_big_files_of_clients_that_closed() {
    let (_tmp, share) = sparse_dir();
    for i in 0..10 {
        std::fs::File::create(share.join(format!("big{i}.bin"))).unwrap().set_len(64 << 30).unwrap();
    }
    std::fs::write(share.join("tiny.txt"), "abc").unwrap();
    let cfg = FileServerConfig { root: share.clone(), max_file_size: u64::MAX, ..Default::default() };
    let (mut h, local, events) = lib_server(cfg);
    let mut seen = Vec::new();
    let clients: Vec<TcpStream> = (0..10)
        .map(|i| {
            let mut s = TcpStream::connect(local).unwrap();
            s.write_all(format!("GET 0 big{i}.bin\n").as_bytes()).unwrap();
            s
        })
        .collect();
    for i in 0..10 {
        let line = format!("GET 0 big{i}.bin\n").into_bytes();
        wait_event(
            &events,
            &mut seen,
            LIMIT,
            "a request",
            |e| matches!(&e.kind, EventKind::Rx { data, .. } if *data == line),
        );
    }
    // They close politely: the server cannot tell that from a half-close (see
    // docs/reliability.md), so their files are still hashed, but by turns.
    drop(clients);
    let asked = Instant::now();
    let got = raw(&local.to_string(), b"GET 0 tiny.txt\n");
    eprintln!("behind 10 x 64 GiB being hashed, the 3-byte file came in {:?}", asked.elapsed());
    assert_eq!(String::from_utf8_lossy(&got), format!("OK 3 {}\nabc", sha_hex(b"abc")));
    h.request_stop();
    h.join();
}
