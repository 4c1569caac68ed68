//! The generated Python code runs, and talks to SockLab (loopback only, bounded in time).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command as Proc, Stdio};
use std::time::Duration;

use common::Events;
use socklab::codec::Encoding;
use socklab::codegen::{Setup, python};
use socklab::engine::tcp_client::TcpClientConfig;
use socklab::engine::tcp_server::TcpServerConfig;
use socklab::engine::udp::UdpConfig;
use socklab::engine::{self, Command, EventKind, ReplyMode};

fn have_python() -> bool {
    common::bin::have("python3", "this test")
}

/// A Python program running in the background, killed when dropped (even if the test fails).
struct Background(std::process::Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_python(code: &str, stdout: Stdio) -> Background {
    Background(Proc::new("python3").args(["-u", "-c", code]).stdout(stdout).stderr(Stdio::null()).spawn().unwrap())
}

fn run_python(code: &str) -> String {
    let o = Proc::new("timeout").args(["10", "python3", "-c", code]).output().unwrap();
    assert!(o.status.success(), "python failed:\n{code}\n{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn udp_code_talks_to_socklab() {
    if !have_python() {
        return;
    }
    let (sink, mut ev) = Events::new();
    let h = engine::udp::spawn(UdpConfig { reply: ReplyMode::Upper, ..UdpConfig::default() }, sink).unwrap();
    let addr = ev.listening();
    let code = python(&Setup::Udp {
        bind: "127.0.0.1:0".into(),
        remote: addr.to_string(),
        encoding: Encoding::Utf8,
        recv_buffer: 1024,
    });
    let out = run_python(&code);
    assert!(out.contains(&format!("127.0.0.1:{} >>> HELLO", addr.port())), "{out}");
    h.request_stop();
}

#[test]
fn tcp_client_code_talks_to_socklab_server() {
    if !have_python() {
        return;
    }
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { reply: ReplyMode::Upper, ..TcpServerConfig::default() };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let code = python(&Setup::TcpClient {
        server: addr.to_string(),
        encoding: Encoding::Utf8,
        recv_buffer: 1024,
        nodelay: true,
    });
    assert_eq!(run_python(&code).trim(), "HELLO");
    h.request_stop();
}

#[test]
fn tcp_server_code_answers_a_socklab_client_in_each_reply_mode() {
    if !have_python() {
        return;
    }
    for (reply, send, want) in [
        (ReplyMode::Upper, "abc", "ABC"),
        (ReplyMode::Echo, "abc", "abc"),
        (ReplyMode::Hello, "bob", "welcome!hello, bob!"),
        (ReplyMode::Timestamp, "hi", "]:hi"),
    ] {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let code = python(&Setup::TcpServer {
            bind: format!("127.0.0.1:{port}"),
            backlog: 5,
            reuse_addr: true,
            reply,
            encoding: Encoding::Utf8,
            recv_buffer: 1024,
            nodelay: true,
        });
        let server = spawn_python(&code, Stdio::null());
        // Connect once the server listens.
        let mut connected = None;
        for _ in 0..200 {
            let (sink, mut ev) = Events::new();
            let cfg = TcpClientConfig { connect: format!("127.0.0.1:{port}"), ..TcpClientConfig::default() };
            let c = engine::tcp_client::spawn(cfg, sink).unwrap();
            let first = ev.wait_for("outcome", |e| matches!(e.kind, EventKind::Connected { .. } | EventKind::Stopped));
            if matches!(first.kind, EventKind::Connected { .. }) {
                connected = Some((c, ev));
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let (c, mut ev) = connected.expect("the generated server listens");
        if reply == ReplyMode::Hello {
            ev.rx_bytes(8);
        }
        c.send(Command::Send { conn: None, data: send.as_bytes().to_vec() }).unwrap();
        let mut got = String::new();
        for _ in 0..100 {
            ev.settle(Duration::from_millis(50));
            let all = ev.all_rx();
            got = String::from_utf8_lossy(&all).into_owned();
            if got.contains(want) {
                break;
            }
        }
        assert!(got.contains(want), "{reply:?}: {got}");
        drop(server);
    }
}

#[test]
fn broadcast_code_reaches_socklab_and_back() {
    if !have_python() {
        return;
    }
    let port = common::ports::free_port();
    // Python receiver, SockLab sender.
    let code = python(&Setup::BroadcastReceiver { port });
    let mut rx = spawn_python(&code, Stdio::piped());
    let (sink, mut ev) = Events::new();
    let tx = engine::udp::spawn(engine::broadcast::sender_config(Encoding::Utf8), sink).unwrap();
    ev.listening();
    let mut line = String::new();
    let mut out = BufReader::new(rx.0.stdout.take().unwrap());
    // Send until the receiver (which may still be starting) prints it; bounded.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = out.read_line(&mut line);
        let _ = done_tx.send(line);
    });
    let mut got = None;
    for _ in 0..50 {
        tx.send(Command::SendTo { to: format!("127.255.255.255:{port}"), data: b"from socklab".to_vec() }).unwrap();
        if let Ok(l) = done_rx.recv_timeout(Duration::from_millis(100)) {
            got = Some(l);
            break;
        }
    }
    drop(rx);
    assert!(got.expect("python received the broadcast").contains(">>> from socklab"));

    // Python sender, SockLab receiver.
    let (sink, mut ev) = Events::new();
    let r = engine::udp::spawn(engine::broadcast::receiver_config(port, Encoding::Utf8), sink).unwrap();
    ev.listening();
    run_python(&python(&Setup::BroadcastSender { to: "127.255.255.255".into(), port, encoding: Encoding::Utf8 }));
    assert_eq!(ev.rx_bytes(14), b"hello everyone");
    r.request_stop();
    tx.request_stop();
}
