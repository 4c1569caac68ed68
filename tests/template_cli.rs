//! Message templates from the command line: `--send 'A${seq}'`, `--hex '… ${crc16-modbus}'`,
//! a length field over TCP, a bad template refused with its position and nothing sent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

mod common;
use common::bin::{output_within, socklab};

const LIMIT: Duration = Duration::from_secs(20);

/// A UDP socket on loopback that gives up after 5 s, and its address.
fn receiver() -> (UdpSocket, String) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let addr = s.local_addr().unwrap().to_string();
    (s, addr)
}

fn datagrams(s: &UdpSocket, n: usize) -> Vec<Vec<u8>> {
    let mut buf = [0u8; 2048];
    (0..n)
        .map(|_| {
            let (len, _) = s.recv_from(&mut buf).unwrap();
            buf[..len].to_vec()
        })
        .collect()
}

#[test]
fn a_sequence_number_counts_the_datagrams_of_a_run() {
    let (rx, to) = receiver();
    let out = output_within(
        socklab().args([
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--to",
            &to,
            "--send",
            "A${seq}",
            "--rate",
            "max",
            "--count",
            "3",
            "--quiet",
        ]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(datagrams(&rx, 3), [b"A1".to_vec(), b"A2".to_vec(), b"A3".to_vec()]);

    // Without --rate, one number per message given, in command-line order.
    let (rx, to) = receiver();
    let out = output_within(
        socklab().args([
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--to",
            &to,
            "--send",
            "A${seq:width=3}",
            "--hex",
            "${seq:u8}",
            "--wait",
            "0",
        ]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(datagrams(&rx, 2), [b"A001".to_vec(), vec![2]]);
}

#[test]
fn a_modbus_request_gets_its_crc() {
    let (rx, to) = receiver();
    let out = output_within(
        socklab().args([
            "udp",
            "--bind",
            "127.0.0.1:0",
            "--to",
            &to,
            "--hex",
            "01 03 00 00 00 0A ${crc16-modbus}",
            "--wait",
            "0",
            "--json",
        ]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(datagrams(&rx, 1), [vec![0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]]);
    // The log says what left: the same eight bytes.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("01 03 00 00 00 0a c5 cd"), "{stdout}");
}

#[test]
fn tcp_messages_with_a_length_field() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        got
    });
    let out = output_within(
        socklab().args(["tcp-client", "--connect", &addr, "--send", "n=${seq};", "--hex", "${len:u16be} 01 02 03"]),
        LIMIT,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(server.join().unwrap(), b"n=1;\x00\x03\x01\x02\x03");
}

#[test]
fn a_bad_template_says_where_and_sends_nothing() {
    let (rx, to) = receiver();
    rx.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    for (flag, bad, says) in [
        ("--send", "hi ${nope}", "character 4: ${nope} is not a field"),
        ("--hex", "01 0${crc8}", "character 1:"),
        ("--send", "${rand:9-1}", "rand takes A-B"),
        ("--send", "x${seq", "character 2: ${ has no closing }"),
    ] {
        let out = output_within(
            socklab().args(["udp", "--bind", "127.0.0.1:0", "--to", &to, flag, bad, "--wait", "0"]),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{bad}: {err}");
        assert!(err.contains("Nothing was sent"), "{err}");
    }
    let mut buf = [0u8; 64];
    assert!(rx.recv_from(&mut buf).is_err(), "a datagram was sent");
}
