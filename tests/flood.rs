//! A bounded UDP flood over loopback: about 100,000 datagrams/s for at most 3 s (at most 300,000
//! datagrams) from a std socket to a SockLab UDP worker, its events logged into a small store.
//! The log must stay within its memory budget, evict old rows, and count every datagram that
//! reached the worker; the worker must still answer afterwards. No timing assertions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::collections::HashSet;
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use socklab::engine::udp::UdpConfig;
use socklab::engine::{self, EventKind, EventSink, Problem};
use socklab::log::LogStore;

const RATE: u64 = 100_000;
const MAX_DATAGRAMS: u64 = 300_000;
const MAX_TIME: Duration = Duration::from_secs(3);
const BUDGET: usize = 8 * 1024 * 1024;
/// Longest wait for the next event before the flood's tail is considered delivered.
const QUIET: Duration = Duration::from_millis(500);

/// The kernel's count of UDP datagrams dropped for a full receive buffer (`RcvbufErrors` in the
/// `Udp:` lines of /proc/net/snmp). Global to the network namespace. `None` where unavailable.
fn rcvbuf_errors() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut lines = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let names = lines.next()?.split_whitespace();
    let values = lines.next()?.split_whitespace();
    names.zip(values).find(|(n, _)| *n == "RcvbufErrors").and_then(|(_, v)| v.parse().ok())
}

/// A 64-byte datagram carrying its sequence number.
fn datagram(seq: u64) -> Vec<u8> {
    let mut d = format!("flood {seq:010} ").into_bytes();
    d.resize(64, b'.');
    d
}

fn seq_of(data: &[u8]) -> Option<u64> {
    std::str::from_utf8(data.get(6..16)?).ok()?.parse().ok()
}

#[test]
fn udp_flood_stays_within_budget_and_counts_every_received_datagram() {
    let (sink, events) = EventSink::channel(None);
    let cfg = UdpConfig { bind: "127.0.0.1:0".into(), ..UdpConfig::default() };
    let mut worker = engine::udp::spawn(cfg, sink).unwrap();
    let addr = loop {
        match events.recv_timeout(Duration::from_secs(10)).expect("listening").kind {
            EventKind::Listening { local } => break local,
            EventKind::Error(p) => panic!("the worker failed to start: {p:?}"),
            _ => {}
        }
    };
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sender_addr = sender.local_addr().unwrap();
    let drops_before = rcvbuf_errors();

    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let flood = {
        let sender = sender.try_clone().unwrap();
        let done = done.clone();
        std::thread::spawn(move || {
            let (mut sent, mut failed) = (0u64, 0u64);
            let mut next = 0u64;
            while next < MAX_DATAGRAMS && started.elapsed() < MAX_TIME {
                // Pace to RATE: catch up with the schedule, then sleep a little.
                let due = (started.elapsed().as_secs_f64() * RATE as f64) as u64;
                let due = due.min(MAX_DATAGRAMS);
                if next >= due {
                    std::thread::sleep(Duration::from_micros(500));
                    continue;
                }
                while next < due {
                    match sender.send_to(&datagram(next), addr) {
                        Ok(_) => sent += 1,
                        Err(_) => failed += 1,
                    }
                    next += 1;
                }
            }
            let elapsed = started.elapsed();
            done.store(true, Ordering::Release);
            (sent, failed, elapsed)
        })
    };

    let mut store = LogStore::with_budget(BUDGET);
    let mut rx_events = 0u64;
    let mut seen = HashSet::new();
    let mut max_memory = 0;
    let mut last_rx = started;
    // The worker's own count of datagrams the kernel dropped (reported at most once a second).
    let (mut reported_drops, mut drop_reports) = (0u64, 0u64);
    loop {
        match events.recv_timeout(QUIET) {
            Ok(ev) => {
                if let EventKind::Rx { data, .. } = &ev.kind {
                    assert_eq!(ev.peer, Some(sender_addr), "only the flood sends here");
                    let seq = seq_of(data).unwrap_or_else(|| panic!("not a flood datagram: {data:?}"));
                    assert!(seen.insert(seq), "datagram {seq} logged twice");
                    rx_events += 1;
                    last_rx = Instant::now();
                }
                if let EventKind::Error(Problem::KernelDrops(n)) = ev.kind {
                    reported_drops = n;
                    drop_reports += 1;
                } else {
                    assert!(
                        !matches!(ev.kind, EventKind::Error(_) | EventKind::Stopped),
                        "worker reported {:?}",
                        ev.kind
                    );
                }
                store.push(ev);
                max_memory = max_memory.max(store.memory());
                assert!(store.memory() <= BUDGET, "store holds {} bytes, budget {BUDGET}", store.memory());
            }
            Err(_) if done.load(Ordering::Acquire) => break,
            Err(_) => {}
        }
    }
    let (sent, failed, send_time) = flood.join().unwrap();
    let receive_time = last_rx - started;
    let drops = rcvbuf_errors().zip(drops_before).map(|(after, before)| after - before);

    eprintln!(
        "flood: sent {sent} datagrams in {:.2} s ({:.0}/s, {failed} send errors); \
         received {rx_events} in {:.2} s ({:.0}/s); kernel RcvbufErrors delta: {}; \
         the worker reported {reported_drops} dropped",
        send_time.as_secs_f64(),
        sent as f64 / send_time.as_secs_f64(),
        receive_time.as_secs_f64(),
        rx_events as f64 / receive_time.as_secs_f64(),
        drops.map_or("n/a".to_string(), |d| d.to_string()),
    );
    eprintln!(
        "store: {} rows held, {} evicted, peak memory {max_memory} of {BUDGET} bytes",
        store.len(),
        store.evicted()
    );

    assert!(sent > 0);
    assert!(store.memory() <= BUDGET);
    assert!(store.evicted() > 0, "an 8 MiB store must evict during the flood");
    assert_eq!(store.len() as u64 + store.evicted(), rx_events + drop_reports, "every event was logged");
    // The last report may come up to a second after the flood: at most what is missing so far.
    assert!(rx_events + reported_drops <= sent, "{sent} sent, {rx_events} received, {reported_drops} reported dropped");
    assert_eq!(store.counters().rx_packets, rx_events, "counters survive eviction");
    assert!(rx_events <= sent, "received {rx_events} of {sent} sent");
    assert!(seen.iter().all(|s| *s < MAX_DATAGRAMS));
    if let Some(drops) = drops {
        // Other sockets may add to the global counter too, hence >= rather than ==.
        assert!(
            rx_events + drops >= sent,
            "{sent} sent, {rx_events} received, only {drops} dropped by the kernel: datagrams went missing"
        );
    }

    // The worker still answers after the flood.
    sender.send_to(b"still there?", addr).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = events.recv_timeout(left).expect("the worker stopped answering after the flood");
        store.push(ev.clone());
        if ev.kind == (EventKind::Rx { data: b"still there?".to_vec(), lost: 0 }) {
            assert_eq!(ev.peer, Some(sender_addr));
            break;
        }
    }
    assert_eq!(store.counters().rx_packets, rx_events + 1);

    worker.request_stop();
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(ev) = events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if ev.kind == EventKind::Stopped {
            break;
        }
    }
    worker.join();
}
