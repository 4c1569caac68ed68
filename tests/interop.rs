//! Interop: SockLab against peers it did not write. Python programs written from the tutorial's
//! code (tests/peers/), socat and nc. A test whose tool is missing says so and skips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command as Proc, Stdio};
use std::time::Duration;

use common::Events;
use socklab::codec::Encoding;
use socklab::engine::tcp_client::TcpClientConfig;
use socklab::engine::tcp_server::TcpServerConfig;
use socklab::engine::udp::UdpConfig;
use socklab::engine::{self, CloseReason, Command, EventKind, ReplyMode};

fn have(tool: &str) -> bool {
    common::bin::have(tool, "this test")
}

use common::bin::peer;

/// Starts a Python peer that prints its port on the first line.
fn python_server(script: &str, args: &[&str]) -> (Child, u16, BufReader<std::process::ChildStdout>) {
    let mut child =
        Proc::new("python3").arg(peer(script)).args(args).stdout(Stdio::piped()).spawn().expect("python3 runs");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("port line");
    let port = line.trim().parse().expect("a port number");
    (child, port, out)
}

fn wait_ok(mut child: Child) {
    for _ in 0..200 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "peer failed: {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("peer did not finish in 10 s");
}

fn client(addr: &str) -> (engine::WorkerHandle, Events) {
    let (sink, ev) = Events::new();
    let cfg = TcpClientConfig { connect: addr.into(), timeout: Duration::from_secs(5), ..TcpClientConfig::default() };
    (engine::tcp_client::spawn(cfg, sink).unwrap(), ev)
}

fn server(reply: ReplyMode, encoding: Encoding) -> (engine::WorkerHandle, Events, SocketAddr) {
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { bind: "127.0.0.1:0".into(), reply, encoding, ..TcpServerConfig::default() };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    (h, ev, addr)
}

#[test]
fn socklab_client_talks_to_tutorial_upper_server() {
    if !have("python3") {
        return;
    }
    let (child, port, _) = python_server("upper_server.py", &[]);
    let (h, mut ev) = client(&format!("127.0.0.1:{port}"));
    ev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    h.send(Command::Send { conn: None, data: b"zyl".to_vec() }).unwrap();
    assert_eq!(ev.rx_bytes(3), b"ZYL");
    h.send(Command::Disconnect { conn: None }).unwrap();
    ev.wait_for("closed", |e| e.kind == EventKind::Closed { reason: CloseReason::LocalClose });
    wait_ok(child);
}

#[test]
fn three_socklab_clients_talk_to_tutorial_threaded_hello_server() {
    if !have("python3") {
        return;
    }
    let (child, port, _) = python_server("hello_server.py", &["3"]);
    let mut clients: Vec<_> = (0..3).map(|_| client(&format!("127.0.0.1:{port}"))).collect();
    for (i, (h, ev)) in clients.iter_mut().enumerate() {
        assert_eq!(ev.rx_bytes(8), b"welcome!");
        h.send(Command::Send { conn: None, data: format!("c{i}").into_bytes() }).unwrap();
        let want = format!("welcome!hello, c{i}!");
        assert_eq!(ev.rx_bytes(want.len()), want.as_bytes());
        h.send(Command::Send { conn: None, data: b"exit".to_vec() }).unwrap();
        ev.wait_for("server closes", |e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    }
    wait_ok(child);
}

#[test]
fn tutorial_hello_client_talks_to_socklab_hello_server() {
    if !have("python3") {
        return;
    }
    let (h, mut ev, addr) = server(ReplyMode::Hello, Encoding::Utf8);
    let out = Proc::new("python3").arg(peer("hello_client.py")).arg(addr.port().to_string()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text, "welcome!\nhello, Michael!\nhello, Tracy!\nhello, Sarah!\nafter exit: b''\n");
    ev.wait_for("closed by us on exit", |e| e.kind == EventKind::Closed { reason: CloseReason::LocalClose });
    h.request_stop();
}

#[test]
fn tutorial_timestamp_client_talks_to_socklab_timestamp_server() {
    if !have("python3") {
        return;
    }
    let (h, _ev, addr) = server(ReplyMode::Timestamp, Encoding::Utf8);
    let out = Proc::new("python3")
        .arg(peer("timestamp_client.py"))
        .args([&addr.port().to_string(), "hello", "你好"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    // [2026-11-23 12:00:00]:hello
    for (line, msg) in lines.iter().zip(["hello", "你好"]) {
        assert!(line.starts_with('[') && line.ends_with(&format!("]:{msg}")), "{line}");
        assert_eq!(line.find(']'), Some(20), "{line}");
    }
    h.request_stop();
}

#[test]
fn tutorial_udp_chat_talks_to_socklab_udp_in_utf8_and_gbk() {
    if !have("python3") {
        return;
    }
    for enc in [Encoding::Utf8, Encoding::Gbk] {
        let (sink, mut ev) = Events::new();
        let cfg =
            UdpConfig { bind: "127.0.0.1:0".into(), reply: ReplyMode::Upper, encoding: enc, ..UdpConfig::default() };
        let h = engine::udp::spawn(cfg, sink).unwrap();
        let addr = ev.listening();
        let py_enc = if enc == Encoding::Gbk { "gbk" } else { "utf-8" };
        let out = Proc::new("python3")
            .arg(peer("udp_chat.py"))
            .args([&addr.port().to_string(), "hello 你好", py_enc])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.trim(), format!("127.0.0.1({})>>>HELLO 你好", addr.port()));
        let rx = ev.wait_for("rx", |e| matches!(e.kind, EventKind::Rx { .. }));
        if let EventKind::Rx { data, .. } = rx.kind {
            assert_eq!(enc.decode_lossy(&data), "hello 你好");
        }
        h.request_stop();
    }
}

#[test]
fn socklab_udp_talks_to_tutorial_udp_receiver() {
    if !have("python3") {
        return;
    }
    let (mut child, port, mut out) = python_server("udp_receiver.py", &[]);
    let (sink, mut ev) = Events::new();
    let h = engine::udp::spawn(UdpConfig::default(), sink).unwrap();
    let me = ev.listening();
    h.send(Command::SendTo { to: format!("127.0.0.1:{port}"), data: b"Tracy".to_vec() }).unwrap();
    assert_eq!(ev.rx_bytes(13), b"hello, Tracy!");
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), format!("127.0.0.1({})>>>Tracy", me.port()));
    let _ = child.wait();
    h.request_stop();
}

#[test]
fn tutorial_broadcast_sender_reaches_socklab_receivers() {
    if !have("python3") {
        return;
    }
    let port = common::ports::free_port();
    let (s1, mut e1) = Events::new();
    let (s2, mut e2) = Events::new();
    let r1 = engine::udp::spawn(engine::broadcast::receiver_config(port, Encoding::Utf8), s1).unwrap();
    let r2 = engine::udp::spawn(engine::broadcast::receiver_config(port, Encoding::Utf8), s2).unwrap();
    e1.listening();
    e2.listening();
    let st =
        Proc::new("python3").arg(peer("broadcast_sender.py")).args([&port.to_string(), "大家好"]).status().unwrap();
    assert!(st.success());
    for e in [&mut e1, &mut e2] {
        assert_eq!(e.rx_bytes(9), "大家好".as_bytes());
    }
    r1.request_stop();
    r2.request_stop();
}

#[test]
fn socat_client_talks_to_socklab_echo_server() {
    if !have("socat") {
        return;
    }
    let (h, mut ev, addr) = server(ReplyMode::Echo, Encoding::Utf8);
    let mut child = Proc::new("socat")
        .args(["-t", "2", "-", &format!("TCP:{addr}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all("ping 你好\n".as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ping 你好\n");
    // socat half-closes after stdin ends: the server sees recv() == 0.
    ev.wait_for("peer closed", |e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    h.request_stop();
}

/// A port below the ephemeral range that is free for TCP on 127.0.0.1 right now.
fn free_tcp_port(from: u16) -> u16 {
    (from..from + 500).find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()).expect("free port")
}

#[test]
fn socklab_client_talks_to_socat_server() {
    if !have("socat") {
        return;
    }
    let port = free_tcp_port(22_000);
    let mut srv = Proc::new("socat")
        .args([&format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"), "SYSTEM:tr a-z A-Z"])
        .spawn()
        .unwrap();
    let (h, mut ev) = loop_connect(port);
    h.send(Command::Send { conn: None, data: b"abc\n".to_vec() }).unwrap();
    // Half-close: tr sees end of input, answers, and socat closes.
    h.send(Command::ShutdownWrite { conn: None }).unwrap();
    assert_eq!(ev.rx_bytes(4), b"ABC\n");
    ev.wait_for("closed by peer", |e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    let _ = srv.kill();
    let _ = srv.wait();
}

/// Connects, retrying while the peer is still starting.
fn loop_connect(port: u16) -> (engine::WorkerHandle, Events) {
    for _ in 0..100 {
        let (h, mut ev) = client(&format!("127.0.0.1:{port}"));
        let first = ev.wait_for("outcome", |e| matches!(e.kind, EventKind::Connected { .. } | EventKind::Stopped));
        if matches!(first.kind, EventKind::Connected { .. }) {
            return (h, ev);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("could not connect to 127.0.0.1:{port}");
}

#[test]
fn nc_udp_and_tcp_talk_to_socklab() {
    if !have("nc") {
        return;
    }
    // UDP: nc sends one datagram to a SockLab echo socket and prints the echo.
    let (sink, mut ev) = Events::new();
    let cfg = UdpConfig { bind: "127.0.0.1:0".into(), reply: ReplyMode::Echo, ..UdpConfig::default() };
    let h = engine::udp::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let mut child = Proc::new("nc")
        .args(["-u", "-w", "1", "127.0.0.1", &addr.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"via nc\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "via nc\n");
    assert_eq!(ev.rx_bytes(7), b"via nc\n");
    h.request_stop();

    // TCP: SockLab's hello server answers nc.
    let (h, _ev, addr) = server(ReplyMode::Upper, Encoding::Utf8);
    let mut child = Proc::new("nc")
        .args(["-q", "1", "127.0.0.1", &addr.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"shout\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "SHOUT\n");
    h.request_stop();
}
