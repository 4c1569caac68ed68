//! The GUI's traffic generator, measured through the real app, headless: `SockLabApp` in an
//! egui_kittest harness (no window, no GPU), its UDP tab started through the UI on `127.0.0.1:0`,
//! the generator section set to 64-byte datagrams "as fast as possible" to a sink socket, and its
//! Generate button clicked. The main thread runs frames (`App::logic` drains the worker's events
//! into the tab's log within its 8 ms budget, then `App::ui`) until the tab shows the run done.
//!
//! The generator runs on the UDP worker, as in the CLI's `udp --rate max`; what the GUI adds is
//! the consumer of its events. A Tx event per datagram goes into the log store; if the frames
//! drained them slower than the worker sends, the bounded event channel would fill and hold the
//! worker back, so the rate below is the GUI's rate, consumer included.
//!
//! It prints the worker's own report (datagrams, microseconds, datagrams/s), the datagrams the
//! sink's kernel counted (the sink never reads: each arrival is a drop in its 4 KiB buffer, or
//! waits in it), the tab's TX counter, and frames/s during the run. No timing assertions; it
//! exits with an error if a count is wrong.
//!
//! `cargo bench --bench ui_generator` runs frames back to back; `-- --vsync` waits for the next
//! 60 Hz tick before each frame, as eframe does with vsync on. Without `--bench` (e.g.
//! `cargo test --benches`) it sends 20,000 datagrams instead of 500,000.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use socklab::ui::generator::Unit;

mod common;

/// Longest run, after which the bench gives up.
const LIMIT: Duration = Duration::from_secs(30);

/// The datagrams the kernel dropped for a full buffer on the UDP socket bound to `addr`, from
/// the `drops` column of /proc/net/udp (IPv4 loopback only). `None` where unavailable.
fn socket_drops(addr: SocketAddr) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    let local = format!("0100007F:{:04X}", addr.port());
    let fields =
        table.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).find(|f| f.get(1) == Some(&&*local))?;
    fields.get(12)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let vsync = args.iter().any(|a| a == "--vsync");
    let count: u64 = if full { 500_000 } else { 20_000 };
    let mut failures = Vec::new();

    // The sink never reads: with a 4 KiB buffer almost every datagram is a counted drop.
    let sink = UdpSocket::bind("127.0.0.1:0").expect("bind the sink");
    let _ = socket2::SockRef::from(&sink).set_recv_buffer_size(4096);
    sink.set_nonblocking(true).expect("non-blocking sink");
    let sink_addr = sink.local_addr().expect("the sink's address");
    let drops_before = socket_drops(sink_addr);

    let (mut h, bound) = common::app_with_udp_bound();
    {
        let udp = &mut h.state_mut().udp;
        udp.remote = sink_addr.to_string();
        udp.generator.size = "64".into();
        udp.generator.unit = Unit::Max;
        udp.generator.count = count.to_string();
        udp.generator.seconds = "60".into();
    }
    h.get_by_label("Traffic generator").click();
    h.run_steps(3);
    let tx_before = h.state().log.counters().tx_packets;

    h.get_by_label("Generate").click();
    let started = Instant::now();
    let mut frames = 0u64;
    while h.state().udp.generator.last_done().is_none() {
        if started.elapsed() > LIMIT {
            eprintln!("ui_generator FAILED: the run did not end within {LIMIT:?}");
            std::process::exit(1);
        }
        if vsync {
            common::wait_tick(started, common::VSYNC);
        }
        h.step();
        frames += 1;
    }
    let window = started.elapsed();
    let (packets, bytes, micros) = h.state().udp.generator.last_done().unwrap_or_default();
    // Let the log take the last events (not measured).
    let settle = Instant::now();
    while h.state().log.counters().tx_packets - tx_before < packets && settle.elapsed() < Duration::from_secs(10) {
        h.step();
    }
    h.run_steps(2);
    let tx = h.state().log.counters().tx_packets - tx_before;
    std::thread::sleep(Duration::from_millis(100));
    let mut waiting = 0u64;
    let mut buf = [0u8; 128];
    while sink.recv(&mut buf).is_ok() {
        waiting += 1;
    }
    let arrived = socket_drops(sink_addr).zip(drops_before).map(|(after, before)| after - before + waiting);

    let rate = packets as f64 / (micros as f64 / 1e6).max(1e-9);
    let mode = if vsync { "paced at 60 Hz (--vsync)" } else { "back to back" };
    println!("ui_generator: frames {mode}, 1280×800; UDP tab bound to {bound}, sending to the sink {sink_addr}");
    println!(
        "  the worker's report: {packets} datagrams, {bytes} bytes in {:.3} s: {rate:.0} datagrams/s",
        micros as f64 / 1e6
    );
    println!(
        "  frames during the run: {frames} in {:.2} s ({:.1} frames/s)",
        window.as_secs_f64(),
        frames as f64 / window.as_secs_f64()
    );
    println!(
        "  the tab's TX counter: {tx}; arrived at the sink (kernel drops + waiting): {}",
        arrived.map_or("n/a".into(), |a| a.to_string())
    );
    println!("ui_generator: {rate:.0} datagrams/s");

    if packets != count {
        failures.push(format!("the run sent {packets} of {count}"));
    }
    if tx != packets {
        failures.push(format!("the TX counter says {tx}, the worker sent {packets}"));
    }
    if let Some(a) = arrived
        && a != packets
    {
        failures.push(format!("{a} datagrams arrived, {packets} were sent"));
    }
    drop(h);
    if !failures.is_empty() {
        eprintln!("ui_generator FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
}
