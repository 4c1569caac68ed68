//! Benchmarks of the hot paths: codecs, log append, records (the `--json` line), and a UDP
//! round trip through a worker.
//! Run with `cargo bench --bench core`; figures are recorded in docs/performance.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::hint::black_box;
use std::net::UdpSocket;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use socklab::codec::{self, Encoding};
use socklab::engine::udp::UdpConfig;
use socklab::engine::{self, Event, EventKind, EventSink, ReplyMode};
use socklab::log::record::{self, Record};
use socklab::log::{LogStore, MAX_FLOWS, MAX_OPEN_FLOWS};

fn codecs(c: &mut Criterion) {
    let bytes: Vec<u8> = (0..1024u32).map(|i| (i * 7) as u8).collect();
    let hex = codec::to_hex(&bytes);
    let gbk = Encoding::Gbk.encode(&"网络调试助手 socket ".repeat(40)).unwrap();
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("to_hex 1 KiB", |b| b.iter(|| codec::to_hex(black_box(&bytes))));
    g.bench_function("parse_hex 1 KiB", |b| b.iter(|| codec::parse_hex(black_box(&hex))));
    g.throughput(Throughput::Bytes(gbk.len() as u64));
    g.bench_function("decode gbk", |b| b.iter(|| Encoding::Gbk.decode_lossy(black_box(&gbk))));
    g.finish();
}

/// Rendering a message template for one send: the Modbus request with its CRC, and a text
/// message with a sequence number, a length and a CRC-32 (the generator renders one per
/// datagram).
fn templates(c: &mut Criterion) {
    use socklab::codec::InputMode;
    use socklab::codec::template;
    let modbus = template::compile("01 03 00 00 00 0A ${crc16-modbus}", InputMode::Hex, Encoding::Utf8, false).unwrap();
    let text =
        template::compile("${len:u16be}msg ${seq:width=8} payload${crc32}", InputMode::Text, Encoding::Utf8, false)
            .unwrap();
    let mut g = c.benchmark_group("template");
    g.bench_function("modbus request", |b| b.iter(|| modbus.bytes(black_box(1)).unwrap()));
    let mut n = 0u64;
    g.bench_function("seq + len + crc32", |b| {
        b.iter(|| {
            n += 1;
            text.bytes(black_box(n)).unwrap()
        })
    });
    g.finish();
}

fn log_append(c: &mut Criterion) {
    let ev = Event {
        time: jiff::Timestamp::now(),
        tab: 0,
        source: 0,
        proto: engine::Proto::Udp,
        conn: Some(1),
        local: None,
        peer: Some("127.0.0.1:9000".parse().unwrap()),
        kind: EventKind::Rx { data: vec![0x42; 64], lost: 0 },
    };
    let mut g = c.benchmark_group("log");
    g.throughput(Throughput::Elements(1));
    let mut store = LogStore::with_budget(64 * 1024 * 1024);
    g.bench_function("push 64-byte event (evicting at 64 MiB)", |b| b.iter(|| store.push(black_box(ev.clone()))));
    g.finish();

    // One `--json` line or exported row: the record, then its JSON.
    let tz = jiff::tz::TimeZone::system();
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Elements(1));
    g.bench_function("rfc3339 time", |b| b.iter(|| record::rfc3339(black_box(ev.time), &tz)));
    g.bench_function("64-byte datagram to a JSON line", |b| {
        b.iter(|| {
            Record::from_event(black_box(&ev), Encoding::Utf8, &tz, Some(1), &|_| String::new()).map(|r| r.to_json())
        })
    });
    g.finish();
}

/// Issue 15 item 4: flow counting with a million flows, most of them open TCP connections
/// that never close (a capture of unclosed connections), then a million UDP peers.
fn flows(c: &mut Criterion) {
    const FLOWS: u64 = 1_000_000;
    let local = "127.0.0.1:9000".parse().unwrap();
    let ev = |conn: u64, kind: EventKind| Event {
        time: jiff::Timestamp::now(),
        tab: 0,
        source: 0,
        proto: engine::Proto::Tcp,
        conn: Some(conn),
        local: None,
        peer: Some("127.0.0.1:40000".parse().unwrap()),
        kind,
    };
    let connected: Vec<Event> =
        (1..=FLOWS).map(|c| ev(c, EventKind::Connected { local, inbound: true, tls: None })).collect();
    let udp: Vec<Event> = (0..FLOWS)
        .map(|i| Event {
            proto: engine::Proto::Udp,
            conn: None,
            peer: Some(std::net::SocketAddr::from(([127, (i >> 16) as u8, (i >> 8) as u8, i as u8], 5000))),
            ..ev(0, EventKind::Rx { data: vec![1; 16], lost: 0 })
        })
        .collect();
    let mut g = c.benchmark_group("flows");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FLOWS));
    g.bench_function("1M unclosed TCP connections into a fresh store", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut store = LogStore::with_budget(64 * 1024 * 1024);
                let start = std::time::Instant::now();
                for e in &connected {
                    store.push(e.clone());
                }
                total += start.elapsed();
                assert_eq!(store.flows_kept(), MAX_OPEN_FLOWS);
                assert!(store.flow_probes() <= 2 * FLOWS);
            }
            total
        })
    });
    g.bench_function("1M UDP peers into a fresh store", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut store = LogStore::with_budget(64 * 1024 * 1024);
                let start = std::time::Instant::now();
                for e in &udp {
                    store.push(e.clone());
                }
                total += start.elapsed();
                assert_eq!(store.flows_kept(), MAX_FLOWS);
            }
            total
        })
    });
    g.finish();
}

fn udp_round_trip(c: &mut Criterion) {
    let (sink, events) = EventSink::channel(None);
    let cfg = UdpConfig { bind: "127.0.0.1:0".into(), reply: ReplyMode::Echo, ..UdpConfig::default() };
    let mut h = engine::udp::spawn(cfg, sink).unwrap();
    let addr = loop {
        match events.recv_timeout(Duration::from_secs(5)).unwrap().kind {
            EventKind::Listening { local } => break local,
            _ => continue,
        }
    };
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 2048];
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(1));
    g.bench_function("udp echo round trip, 64 B", |b| {
        b.iter(|| {
            client.send_to(&[7u8; 64], addr).unwrap();
            let n = client.recv(&mut buf).unwrap();
            // Keep the event channel from filling up.
            while events.try_recv().is_ok() {}
            n
        })
    });
    g.finish();
    h.request_stop();
    while events.recv_timeout(Duration::from_secs(1)).is_ok_and(|e| e.kind != EventKind::Stopped) {}
    h.join();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = codecs, templates, log_append, flows, udp_round_trip
}
criterion_main!(benches);
