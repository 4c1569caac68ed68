//! `--log-file` and `--pcap` are written while the program runs (flushed about every 100 ms, not
//! only at a clean exit) and survive `kill -9` whole, line by line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::BufRead;
use std::net::UdpSocket;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;

#[test]
fn log_file_and_capture_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.jsonl");
    let pcap = dir.path().join("run.pcap");
    let (mut child, v, out) = common::bin::spawn_json(
        common::bin::socklab()
            .args(["udp", "--bind", "127.0.0.1:0", "--json", "--log-file"])
            .arg(&log)
            .arg("--pcap")
            .arg(&pcap)
            .stderr(Stdio::null()),
    );
    let to: std::net::SocketAddr = v["local"].as_str().unwrap().parse().unwrap();
    // Keep reading stdout so the program never blocks on a full pipe.
    let reader = std::thread::spawn(move || out.lines().count());

    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..300 {
        tx.send_to(format!("datagram {i:03}").as_bytes(), to).unwrap();
        if i % 50 == 49 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    // Kill once everything is on disk, with no chance to clean up: what was written while the
    // program ran (flushed every ~100 ms) must stay whole.
    let sent = Instant::now();
    common::wait_until("the log and the capture on disk", Duration::from_secs(10), || {
        rx_rows(&log) == 300 && pcap_records(&pcap).0 == 300
    });
    eprintln!("on disk {:?} after the last datagram", sent.elapsed());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let rx: Vec<&str> = rows.iter().filter(|r| r["kind"] == "rx").map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(rx.len(), 300, "every datagram received before the kill is in the log");
    assert_eq!(rx[299], "datagram 299");
    assert!(text.ends_with('\n'), "no half-written line");

    // The capture: 24-byte header, then one record (16-byte header + frame) per datagram.
    let (records, whole) = pcap_records(&pcap);
    assert!(whole, "the capture ends on a whole record");
    assert_eq!(records, 300);
}

/// The `rx` rows in the log file so far (a line still being written does not count).
fn rx_rows(log: &Path) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).filter(|r| r["kind"] == "rx").count()
}

/// The records in a capture file so far (after its 24-byte header, each a 16-byte header and a
/// frame), and whether the file ends on a whole record.
fn pcap_records(pcap: &Path) -> (usize, bool) {
    let bytes = std::fs::read(pcap).unwrap_or_default();
    if bytes.len() < 24 {
        return (0, false);
    }
    let (mut at, mut records) = (24, 0);
    while at + 16 <= bytes.len() {
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + incl;
        records += 1;
    }
    if at > bytes.len() {
        records -= 1;
    }
    (records, at == bytes.len())
}
