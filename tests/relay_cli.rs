//! `socklab relay` as a script runs it: a real client and server on either side, over loopback.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::process::Stdio;
use std::time::Duration;

mod common;

use common::bin::{JsonReader, exits_within, output_within, socklab, spawn_json};

/// The tutorial's upper-case server: reads until the client shuts down its side, answers the
/// upper case of everything, closes.
fn upper_server() -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        s.write_all(&got.to_ascii_uppercase()).unwrap();
        got
    });
    (addr, t)
}

#[test]
fn a_tcp_exchange_through_the_relay_is_printed_both_ways_and_counted() {
    let (server, seen) = upper_server();
    let (mut child, first, out) = spawn_json(
        socklab()
            .args(["relay", "--listen", "127.0.0.1:0", "--to", &server.to_string(), "--json", "--count", "2"])
            .stderr(Stdio::piped()),
    );
    assert_eq!(first["event"], "listening", "{first}");
    let listen = first["local"].as_str().unwrap().to_string();
    let mut c = TcpStream::connect(&listen).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"hello relay").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    c.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"HELLO RELAY", "half-close forwarded, the reply still came back");
    assert_eq!(seen.join().unwrap(), b"hello relay");
    exits_within(&mut child, Duration::from_secs(10), "relay --count 2");
    let mut r = JsonReader::new(out);
    let summary = r.wait_for("summary", Duration::from_secs(5), |v| v["kind"] == "summary");
    let rows = r.seen.clone();
    let up = rows.iter().find(|v| v["event"] == "relayed" && v["dir"] == "up").expect("an up row");
    let down = rows.iter().find(|v| v["event"] == "relayed" && v["dir"] == "down").expect("a down row");
    for v in [up, down] {
        assert_eq!(v["conn"], 1, "{v}");
        assert_eq!(v["upstream"], server.to_string(), "{v}");
        assert_eq!(v["client"], c.local_addr().unwrap().to_string(), "{v}");
    }
    assert_eq!((up["text"].as_str(), down["text"].as_str()), (Some("hello relay"), Some("HELLO RELAY")));
    assert_eq!((summary["up_bytes"].as_u64(), summary["down_bytes"].as_u64()), (Some(11), Some(11)), "{summary}");
}

#[test]
fn a_bad_fault_is_refused_before_anything_starts() {
    for (spec, says) in [
        ("sideways:loss=1%", "is not a direction"),
        ("up:wobble=3", "unknown fault \"wobble\""),
        ("up:loss=150%", "\"150%\" is not a value it takes"),
        ("up:loss=10%", "loss is a fault of the other protocol; this relay is TCP"),
    ] {
        let out = output_within(
            socklab().args(["relay", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--fault", spec]),
            Duration::from_secs(10),
        );
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{spec}: {err}");
    }
}

#[test]
fn a_udp_relay_with_full_loss_delivers_nothing_and_counts_every_drop() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let (mut child, first, out) = spawn_json(
        socklab()
            .args(["relay", "--udp", "--listen", "127.0.0.1:0", "--to"])
            .arg(server.local_addr().unwrap().to_string())
            .args(["--fault", "up:loss=100%", "--json", "--duration", "2"])
            .stderr(Stdio::piped()),
    );
    assert_eq!(first["event"], "listening", "{first}");
    let listen = first["local"].as_str().unwrap().to_string();
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..10 {
        c.send_to(format!("datagram {i}").as_bytes(), &listen).unwrap();
    }
    exits_within(&mut child, Duration::from_secs(10), "relay --duration 2");
    let mut buf = [0u8; 64];
    assert!(server.recv_from(&mut buf).is_err(), "nothing passes a 100 % loss");
    let mut r = JsonReader::new(out);
    let summary = r.wait_for("summary", Duration::from_secs(5), |v| v["kind"] == "summary");
    assert_eq!(summary["up_datagrams"], 10, "{summary}");
    assert_eq!(summary["dropped"], 10, "received + dropped = sent: {summary}");
    let drops = r.seen.iter().filter(|v| v["fault"] == "drop").count();
    assert_eq!(drops, 10);
}
