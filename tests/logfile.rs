//! `--log-file` and `--pcap` survive `kill -9`: what was logged more than ~100 ms before the
//! kill is on disk, line by line.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn log_file_and_capture_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.jsonl");
    let pcap = dir.path().join("run.pcap");
    let mut child = Command::new(env!("CARGO_BIN_EXE_socklab"))
        .args(["udp", "--bind", "127.0.0.1:0", "--json", "--log-file"])
        .arg(&log)
        .arg("--pcap")
        .arg(&pcap)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
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
    // A quiet moment longer than the flush interval, then no chance to clean up.
    std::thread::sleep(Duration::from_millis(300));
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
    let bytes = std::fs::read(&pcap).unwrap();
    assert!(bytes.len() > 24);
    let mut at = 24;
    let mut records = 0;
    while at + 16 <= bytes.len() {
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + incl;
        records += 1;
    }
    assert_eq!(at, bytes.len(), "the capture ends on a whole record");
    assert_eq!(records, 300);
}
