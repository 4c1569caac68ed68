//! `socklab bench`: its figures checked against ground truth, not against a stopwatch — a
//! server that answers after a known delay (the percentiles cannot be below it), a server that
//! counts what it got (the report's counts equal the server's), a server that stalls once for
//! 500 ms at a fixed rate (coordinated omission corrected: the stall shows in p99, while the
//! same stall at `max` is one sample) — and the CLI's surface: flags, exit codes, reports that
//! repeat their run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

mod common;
use common::bin::{output_within, socklab};

const LIMIT: Duration = Duration::from_secs(60);

/// A line server on loopback, one thread per client: every line is answered in upper case
/// after `delay`; line number `stall_at` (counted over all clients) waits 500 ms more first.
/// It counts the lines and the connections it got.
struct LineServer {
    addr: SocketAddr,
    lines: Arc<AtomicU64>,
    conns: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl LineServer {
    fn start(delay: Duration, stall_at: Option<u64>, greeting: Option<&'static [u8]>) -> LineServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        let (lines, conns, stop) =
            (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        let (lc, cc, sc) = (lines.clone(), conns.clone(), stop.clone());
        std::thread::spawn(move || {
            while !sc.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((s, _)) => {
                        cc.fetch_add(1, Ordering::SeqCst);
                        let lc = lc.clone();
                        std::thread::spawn(move || serve(s, delay, stall_at, greeting, lc));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        LineServer { addr, lines, conns, stop }
    }
}

impl Drop for LineServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(s: TcpStream, delay: Duration, stall_at: Option<u64>, greeting: Option<&[u8]>, lines: Arc<AtomicU64>) {
    s.set_nonblocking(false).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut w = s.try_clone().unwrap();
    if let Some(g) = greeting {
        let _ = w.write_all(g);
    }
    let mut r = BufReader::new(s);
    let mut line = Vec::new();
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let n = lines.fetch_add(1, Ordering::SeqCst) + 1;
        if stall_at == Some(n) {
            std::thread::sleep(Duration::from_millis(500));
        }
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        if greeting.is_some() {
            let name = String::from_utf8_lossy(&line).trim().to_string();
            let _ = w.write_all(format!("hello, {name}!").as_bytes());
        } else if w.write_all(&line.to_ascii_uppercase()).is_err() {
            return;
        }
    }
}

/// A UDP server that answers every datagram after `delay`, and counts them.
fn udp_server(delay: Duration) -> (SocketAddr, Arc<AtomicU64>) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let addr = s.local_addr().unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = s.recv_from(&mut buf) {
            c.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            let _ = s.send_to(&buf[..n].to_ascii_uppercase(), from);
        }
    });
    (addr, count)
}

/// Runs `socklab bench ARGS --json`: the exit code and the summary.
fn bench(args: &[&str]) -> (i32, serde_json::Value) {
    let out = output_within(socklab().arg("bench").args(args).arg("--json"), LIMIT);
    let text = String::from_utf8_lossy(&out.stdout);
    let line =
        text.lines().last().unwrap_or_else(|| panic!("no summary: stderr {}", String::from_utf8_lossy(&out.stderr)));
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (out.status.code().unwrap_or(-1), v)
}

fn no_failures(v: &serde_json::Value) {
    for (k, n) in v["failures"].as_object().unwrap() {
        assert_eq!(n, 0, "{k} failures: {}", v["failure_examples"]);
    }
}

#[test]
fn tcp_round_trips_sit_at_the_servers_delay() {
    let server = LineServer::start(Duration::from_millis(5), None, None);
    let addr = server.addr.to_string();
    let (code, v) = bench(&["tcp", "--connect", &addr, "--connections", "4", "--count", "200", "--expect", "line"]);
    assert_eq!(code, 0, "{v}");
    no_failures(&v);
    assert_eq!((v["sent"].as_u64(), v["received"].as_u64()), (Some(200), Some(200)));
    assert_eq!(server.lines.load(Ordering::SeqCst), 200, "the server got every request");
    let p50 = v["p50_us"].as_f64().unwrap();
    assert!(p50 >= 5000.0, "no round trip can be shorter than the server's 5 ms: {v}");
    assert!(p50 < 5000.0 * 3.0, "the median sits at the delay, not far above it: {v}");
    for k in ["p90_us", "p99_us", "p999_us", "max_us"] {
        assert!(v[k].as_f64().unwrap() >= p50, "{k} below p50: {v}");
    }
    assert_eq!(v["corrected"], false);
    assert_eq!(v["ended"], "count");
}

#[test]
fn udp_round_trips_sit_at_the_servers_delay_and_counts_match() {
    let (addr, count) = udp_server(Duration::from_millis(3));
    let addr = addr.to_string();
    let (code, v) =
        bench(&["udp", "--connect", &addr, "--connections", "2", "--count", "100", "--send", "ping ${seq}"]);
    assert_eq!(code, 0, "{v}");
    no_failures(&v);
    assert_eq!(v["received"], 100);
    assert_eq!(count.load(Ordering::SeqCst), 100);
    let p50 = v["p50_us"].as_f64().unwrap();
    assert!((3000.0..9000.0).contains(&p50), "{v}");
}

#[test]
fn the_counts_equal_the_servers_counters_at_a_rate() {
    let server = LineServer::start(Duration::ZERO, None, None);
    let addr = server.addr.to_string();
    let (code, v) = bench(&[
        "tcp",
        "--connect",
        &addr,
        "--connections",
        "10",
        "--rate",
        "2000",
        "--duration",
        "1",
        "--expect",
        "line",
        "--threads",
        "2",
    ]);
    assert_eq!(code, 0, "{v}");
    no_failures(&v);
    let sent = v["sent"].as_u64().unwrap();
    assert!(sent > 500, "{v}");
    assert_eq!(v["received"].as_u64(), Some(sent));
    assert_eq!(server.lines.load(Ordering::SeqCst), sent, "the server's count");
    assert_eq!(server.conns.load(Ordering::SeqCst), 10);
    assert_eq!(v["connects"], 10);
    assert_eq!(v["corrected"], true);
}

#[test]
fn a_stall_at_a_fixed_rate_shows_in_p99_not_in_one_sample() {
    // At 1000 requests/s, a 500 ms stall holds up the ~500 requests due meanwhile: measured from
    // when each should have gone, they all count it, and p99 (the slowest 1% of ~2000) is in it.
    let server = LineServer::start(Duration::ZERO, Some(300), None);
    let addr = server.addr.to_string();
    let (_, v) = bench(&["tcp", "--connect", &addr, "--rate", "1000", "--duration", "2", "--expect", "line"]);
    no_failures(&v);
    assert!(v["p99_us"].as_f64().unwrap() >= 300_000.0, "the stall is in p99: {v}");
    assert!(v["max_us"].as_f64().unwrap() >= 500_000.0, "{v}");
    assert!(v["p50_us"].as_f64().unwrap() < 100_000.0, "most requests were not held up: {v}");

    // The same stall with no target rate: the one request that waited, and the test waited with it.
    let server = LineServer::start(Duration::ZERO, Some(300), None);
    let addr = server.addr.to_string();
    let (_, v) = bench(&["tcp", "--connect", &addr, "--count", "2000", "--expect", "line"]);
    no_failures(&v);
    assert!(v["max_us"].as_f64().unwrap() >= 500_000.0, "{v}");
    assert!(v["p99_us"].as_f64().unwrap() < 100_000.0, "uncorrected, the stall is one sample: {v}");
    assert_eq!(v["corrected"], false);
}

#[test]
fn churn_against_the_tutorials_greeting_server() {
    // The tutorial's threaded server says "welcome!" first, then "hello, NAME!" to NAME.
    let server = LineServer::start(Duration::ZERO, None, Some(b"welcome!"));
    let addr = server.addr.to_string();
    let (code, v) = bench(&[
        "tcp",
        "--connect",
        &addr,
        "--mode",
        "churn",
        "--connections",
        "4",
        "--count",
        "100",
        "--send",
        "bob\n",
        "--expect",
        "regex:hello, [^!]*!",
    ]);
    assert_eq!(code, 0, "{v}");
    no_failures(&v);
    assert_eq!((v["received"].as_u64(), v["connects"].as_u64()), (Some(100), Some(100)));
    common::wait_until("the server counted", Duration::from_secs(5), || server.conns.load(Ordering::SeqCst) == 100);
}

#[test]
fn throughput_and_blast_count_what_went() {
    let server = LineServer::start(Duration::ZERO, None, None);
    let addr = server.addr.to_string();
    let (code, v) =
        bench(&["tcp", "--connect", &addr, "--mode", "throughput", "--connections", "2", "--count", "5000"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["sent"], 5000);
    assert_eq!(v["bytes_sent"], 5000 * 6);
    common::wait_until("the server read every line", Duration::from_secs(10), || {
        server.lines.load(Ordering::SeqCst) == 5000
    });
    assert!(v["p50_us"].is_null(), "throughput measures no round trip");

    let (addr, count) = udp_server(Duration::ZERO);
    let (code, v) =
        bench(&["udp", "--connect", &addr.to_string(), "--mode", "blast", "--rate", "20000", "--count", "2000"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["sent"], 2000);
    common::wait_until("the server got the datagrams", Duration::from_secs(10), || {
        count.load(Ordering::SeqCst) == 2000
    });
}

#[test]
fn failures_are_counted_by_kind_with_the_first_example() {
    // Nothing listens on a port we bound and closed.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let (code, v) = bench(&["tcp", "--connect", &addr, "--count", "3"]);
    assert_eq!(code, 1, "failures make the run fail: {v}");
    assert_eq!(v["failures"]["refused"], 3, "{v}");
    assert!(v["failure_examples"]["refused"]["detail"].as_str().unwrap().to_lowercase().contains("refused"), "{v}");

    // A server that never answers: timeouts.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let (code, v) = bench(&["tcp", "--connect", &addr, "--count", "2", "--timeout", "0.2"]);
    assert_eq!(code, 1);
    assert_eq!(v["failures"]["timeout"], 2, "{v}");

    // A reply that is not the message.
    let server = LineServer::start(Duration::ZERO, None, None);
    let (code, v) = bench(&["tcp", "--connect", &server.addr.to_string(), "--count", "5", "--expect", "echo"]);
    assert_eq!(code, 1);
    assert_eq!(v["failures"]["wrong"], 5, "HELLO is not hello: {v}");
    assert_eq!(v["failure_examples"]["wrong"]["detail"], "HELLO\\n");
}

#[test]
fn a_report_repeats_its_run() {
    let server = LineServer::start(Duration::ZERO, None, None);
    let addr = server.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let (csv, json) = (dir.path().join("r.csv"), dir.path().join("r.json"));
    let out = output_within(
        socklab()
            .args([
                "bench",
                "tcp",
                "--connect",
                &addr,
                "--count",
                "50",
                "--send",
                "n${seq}\n",
                "--expect",
                "line",
                "--report",
            ])
            .arg(&csv)
            .arg("--report")
            .arg(&json),
        LIMIT,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("round trip µs: p50"), "{text}");
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert!(csv_text.contains("\nsecond,sent,received,failures,qps,mbit_s,p50_us"), "{csv_text}");
    assert!(csv_text.lines().last().unwrap().starts_with("all,50,50,0,"), "{csv_text}");
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["format"], "socklab-bench-report");
    assert_eq!(j["summary"]["received"], 50);
    assert_eq!(j["settings"]["expect"], "line");
    assert_eq!(j["histogram"].as_array().unwrap().iter().map(|b| b[1].as_u64().unwrap()).sum::<u64>(), 50);
    assert!(j["machine"]["cores"].as_u64().unwrap() >= 1);
    for report in [&csv, &json] {
        let before = server.lines.load(Ordering::SeqCst);
        let out = output_within(socklab().args(["bench", "--json", "--repeat"]).arg(report), LIMIT);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["received"], 50);
        assert_eq!(server.lines.load(Ordering::SeqCst) - before, 50);
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n").unwrap();
    let out = output_within(socklab().args(["bench", "--repeat"]).arg(&bad), LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a SockLab bench report"));
}

#[test]
fn bad_flags_are_refused_before_anything_is_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    for (args, says) in [
        (vec!["tcp", "--connect", &addr, "--connections", "0"], "--connections 0"),
        (vec!["tcp", "--connect", &addr, "--connections", "10001"], "from 1 to 10000"),
        (vec!["tcp", "--connect", &addr, "--mode", "blast"], "does not work over tcp"),
        (vec!["udp", "--connect", &addr, "--mode", "churn"], "does not work over udp"),
        (vec!["tcp", "--connect", &addr, "--rate", "fast"], "messages/s"),
        (vec!["tcp", "--connect", &addr, "--expect", "bytes:0"], "bytes:N"),
        (vec!["tcp", "--connect", &addr, "--send", "${nope}"], "--send"),
        (vec!["tcp", "--connect", "127.0.0.1:99999"], "--connect"),
        (vec!["tcp"], "--connect"),
        (vec!["tcp", "--connect", &addr, "--timeout", "100"], "--timeout"),
    ] {
        let out = output_within(socklab().arg("bench").args(&args), LIMIT);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(listener.accept().is_err(), "nothing connected");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let server = LineServer::start(Duration::ZERO, None, None);
    let mut child = socklab()
        .args(["bench", "tcp", "--connect", &server.addr.to_string(), "--duration", "30", "--rate", "100"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let status = common::bin::exits_within(&mut child, Duration::from_secs(10), "bench with its reader gone");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A raw TCP echo server: every read sent back as it came.
fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Splits a README command line as sh does ('single' and "double" quotes).
fn sh_words(line: &str) -> Vec<String> {
    let (mut words, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => (quote, any) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if any {
                    words.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
}

/// Every `socklab bench` example in the README runs as written against servers of the kind
/// it names (an echo server on :9000, a UDP echo on :7788, a greeting server on :9999), with
/// its real port in place of the README's, durations cut to 1 s and reports in a scratch
/// folder; each exits 0 with no failures.
#[test]
fn the_readme_bench_examples_run() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme.split("A load test, headless").nth(1).expect("the README's bench section");
    let block = section.split("```sh").nth(1).and_then(|b| b.split("```").next()).expect("an sh block");
    let (echo, (udp, _), greeter) =
        (echo_server(), udp_server(Duration::ZERO), LineServer::start(Duration::ZERO, None, Some(b"welcome!")));
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for line in block.lines().filter_map(|l| l.trim().strip_prefix("socklab bench ")) {
        let mut args: Vec<String> = sh_words(line)
            .into_iter()
            .map(|w| match w.as_str() {
                "127.0.0.1:9000" => echo.to_string(),
                "127.0.0.1:7788" => udp.to_string(),
                "127.0.0.1:9999" => greeter.addr.to_string(),
                w if w.ends_with(".csv") || w.ends_with(".json") => dir.path().join(w).display().to_string(),
                _ => w,
            })
            .collect();
        if let Some(i) = args.iter().position(|a| a == "--duration") {
            args[i + 1] = "1".into();
        }
        if !args.iter().any(|a| a == "--json") {
            args.push("--json".into());
        }
        let out = output_within(socklab().arg("bench").args(&args), LIMIT);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{line}: {text} {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        no_failures(&v);
        assert!(v["received"].as_u64().unwrap() > 0, "{line}: {v}");
        ran += 1;
    }
    assert!(ran >= 5, "the README shows the bench examples ({ran} found)");
    assert!(dir.path().join("again.json").exists(), "--repeat wrote its report");
}
