//! The real app under a UDP flood, headless: `SockLabApp` in an egui_kittest harness (no window, no
//! GPU, no snapshots), its UDP tab started through the UI on `127.0.0.1:0`, and a loopback peer
//! thread sending 64-byte datagrams at about 100,000/s for 5 s (at most 600,000 datagrams). The
//! main thread runs frames (`Harness::step`: `App::logic`, which drains events into the tab's log
//! within its 8 ms budget, then `App::ui`) plus `Context::tessellate`, and times each one for the
//! flood and 1 s after it. Then it prints frames per second and the frame time distribution, the
//! tab's `rx_packets` against the datagrams sent and the kernel's drops, and the log's memory
//! against its budget. No timing assertions; it exits with an error if a count or the budget is
//! wrong.
//!
//! `cargo bench --bench ui_flood` runs frames back to back (as fast as the app can go);
//! `cargo bench --bench ui_flood -- --vsync` waits for the next 60 Hz tick before each frame, as
//! eframe does with vsync on. Without `--bench` (e.g. `cargo test --benches`) it runs a 0.5 s
//! smoke version. Figures are recorded in docs/performance.md.
//!
//! `-- --relay` floods the Relay tab instead (UDP, no faults, toward a loopback socket that
//! drains what arrives): each datagram is a relayed row, counted as `up_datagrams`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use socklab::ui::SockLabApp;

mod common;

const RATE: u64 = 100_000;
const MAX_DATAGRAMS: u64 = 600_000;
/// Frames measured after the sender stopped.
const AFTER: Duration = Duration::from_secs(1);
/// Longest wait, after the measured window, for the log to catch up with the flood.
const SETTLE: Duration = Duration::from_secs(10);
/// Idle frames timed before the flood, for comparison.
const IDLE_FRAMES: usize = 300;

/// The kernel's count of UDP datagrams dropped for a full receive buffer (`RcvbufErrors` in the
/// `Udp:` lines of /proc/net/snmp). Global to the network namespace. `None` where unavailable.
fn rcvbuf_errors() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut lines = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let names = lines.next()?.split_whitespace();
    let values = lines.next()?.split_whitespace();
    names.zip(values).find(|(n, _)| *n == "RcvbufErrors").and_then(|(_, v)| v.parse().ok())
}

/// A line of /proc/self/status in MiB, e.g. `VmHWM` (peak resident memory).
fn proc_status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A 64-byte datagram carrying its sequence number.
fn datagram(seq: u64) -> Vec<u8> {
    let mut d = format!("flood {seq:010} ").into_bytes();
    d.resize(64, b'.');
    d
}

/// Sends paced datagrams to `to` until `max_time` or `max` datagrams; returns (sent, send errors,
/// time taken). Sets `done` when finished.
fn flood(to: SocketAddr, max: u64, max_time: Duration, done: Arc<AtomicBool>) -> (u64, u64, Duration) {
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind the sender");
    let started = Instant::now();
    let (mut sent, mut failed, mut next) = (0u64, 0u64, 0u64);
    while next < max && started.elapsed() < max_time {
        // Pace to RATE: catch up with the schedule, then sleep a little.
        let due = ((started.elapsed().as_secs_f64() * RATE as f64) as u64).min(max);
        if next >= due {
            std::thread::sleep(Duration::from_micros(500));
            continue;
        }
        while next < due {
            match sender.send_to(&datagram(next), to) {
                Ok(_) => sent += 1,
                Err(_) => failed += 1,
            }
            next += 1;
        }
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Release);
    (sent, failed, elapsed)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `min / median / p99 / max` of a sample, in ms.
fn distribution(sample: &[Duration]) -> String {
    let mut s = sample.to_vec();
    s.sort();
    let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    format!(
        "min {:.2} / median {:.2} / p99 {:.2} / max {:.2} ms",
        ms(s[0]),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(s[s.len() - 1])
    )
}

/// One frame: `App::logic` + `App::ui` (the harness step), then the CPU side of painting.
/// Returns (step time, tessellation time).
fn frame(h: &mut Harness<'_, SockLabApp>) -> (Duration, Duration) {
    let t = Instant::now();
    h.step();
    let step = t.elapsed();
    let shapes = h.output().shapes.clone();
    let ppp = h.output().pixels_per_point;
    let t = Instant::now();
    std::hint::black_box(h.ctx.tessellate(shapes, ppp));
    (step, t.elapsed())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let vsync = args.iter().any(|a| a == "--vsync");
    let flood_time = if full { Duration::from_secs(5) } else { Duration::from_millis(500) };
    let after = if full { AFTER } else { Duration::from_millis(200) };
    let mut failures = Vec::new();

    let relay = args.iter().any(|a| a == "--relay");
    let (mut h, udp_to) = common::app_with_udp_bound();
    // With --relay: a drain behind the Relay tab, and the flood goes to the relay.
    let drain_done = Arc::new(AtomicBool::new(false));
    let (to, drain) = if relay {
        let sink = UdpSocket::bind("127.0.0.1:0").expect("bind the drain");
        sink.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let sink_addr = sink.local_addr().unwrap();
        let stop = drain_done.clone();
        let drain = std::thread::spawn(move || {
            let (mut buf, mut n) = ([0u8; 2048], 0u64);
            while !stop.load(Ordering::Acquire) {
                if sink.recv(&mut buf).is_ok() {
                    n += 1;
                }
            }
            n
        });
        let r = &mut h.state_mut().relay;
        r.listen = "127.0.0.1:0".into();
        r.to = sink_addr.to_string();
        r.udp = true;
        r.start();
        let deadline = Instant::now() + Duration::from_secs(10);
        let listening = loop {
            h.step();
            match h.state().relay.listening_or_bound() {
                Some(a) if !a.ends_with(":0") => break a,
                _ => assert!(Instant::now() < deadline, "the relay did not listen within 10 s"),
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        (listening.parse().expect("the relay's address"), Some(drain))
    } else {
        (udp_to, None)
    };
    // What the log counts for each datagram of the flood.
    let counted = move |c: &socklab::log::Counters| if relay { c.up_datagrams } else { c.rx_packets };

    // Idle frames: the app bound, nothing arriving.
    let epoch = Instant::now();
    let idle: Vec<Duration> = (0..IDLE_FRAMES)
        .map(|_| {
            if vsync {
                common::wait_tick(epoch, common::VSYNC);
            }
            let (s, t) = frame(&mut h);
            s + t
        })
        .collect();

    let budget = h.state().log.budget();
    let rx_before = counted(h.state().log.counters());
    let rss_before = proc_status_mib("VmRSS");
    let drops_before = rcvbuf_errors();
    let done = Arc::new(AtomicBool::new(false));
    let sender = {
        let done = done.clone();
        std::thread::spawn(move || flood(to, MAX_DATAGRAMS, flood_time, done))
    };

    // The measured window: the flood, then `after`.
    let (mut steps, mut tess, mut frames) = (Vec::new(), Vec::new(), Vec::new());
    let (mut max_per_frame, mut peak_memory, mut over_budget) = (0u64, 0usize, 0u64);
    let started = Instant::now();
    let mut flood_end: Option<Instant> = None;
    let mut rx_flood_end = 0;
    loop {
        if let Some(end) = flood_end
            && end.elapsed() >= after
        {
            break;
        }
        if flood_end.is_none() && done.load(Ordering::Acquire) {
            flood_end = Some(Instant::now());
            rx_flood_end = counted(h.state().log.counters()) - rx_before;
        }
        if vsync {
            common::wait_tick(started, common::VSYNC);
        }
        let rx0 = counted(h.state().log.counters());
        let (s, t) = frame(&mut h);
        steps.push(s);
        tess.push(t);
        frames.push(s + t);
        let store = &h.state().log;
        max_per_frame = max_per_frame.max(counted(store.counters()) - rx0);
        peak_memory = peak_memory.max(store.memory());
        over_budget += u64::from(store.memory() > budget);
    }
    let window = started.elapsed();
    let rx_window = counted(h.state().log.counters()) - rx_before;
    let (sent, send_errors, send_time) = sender.join().expect("the sender thread");
    let drops = rcvbuf_errors().zip(drops_before).map(|(after, before)| after - before);

    // Let the log catch up (not measured), then compare the counters with what was sent.
    let settle = Instant::now();
    let rx_now = |h: &Harness<'_, SockLabApp>| counted(h.state().log.counters()) - rx_before;
    while rx_now(&h) + drops.unwrap_or(0) < sent && settle.elapsed() < SETTLE {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(3);
    let rx = rx_now(&h);
    let store = &h.state().log;
    let (held, evicted, memory) = (store.len(), store.evicted(), store.memory());
    let counters_label = if relay { String::from("(relay: see up_datagrams)") } else { common::label_after(&h, "RX ") };
    // The memory line is in the View menu.
    h.get_by_label("View").click();
    h.run_steps(2);
    let memory_label = common::label_after(&h, "Log memory:");

    let mode = if vsync { "paced at 60 Hz (--vsync)" } else { "back to back" };
    let target = if relay { "the Relay tab (UDP)" } else { "the UDP tab" };
    println!("ui_flood: {target}, frames {mode}, 1280×800, {} flood + {} after", fmt_s(flood_time), fmt_s(after));
    println!("  bound to {to}; idle frames: {}", distribution(&idle));
    println!(
        "  sent {sent} datagrams in {:.2} s ({:.0}/s, {send_errors} send errors)",
        send_time.as_secs_f64(),
        sent as f64 / send_time.as_secs_f64()
    );
    println!(
        "  window {:.2} s: {} frames, {:.1} frames/s; at most {max_per_frame} datagrams logged in one frame",
        window.as_secs_f64(),
        frames.len(),
        frames.len() as f64 / window.as_secs_f64()
    );
    println!("  frame (step + tessellate): {}", distribution(&frames));
    println!("  step (logic + ui):         {}", distribution(&steps));
    println!("  tessellate:                {}", distribution(&tess));
    let slow = |limit: f64| frames.iter().filter(|f| ms(**f) > limit).count();
    println!("  frames over 16.7 ms: {}; over 33.3 ms: {}", slow(1e3 / 60.0), slow(1e3 / 30.0));
    println!(
        "  {} {rx} (when the sender stopped {rx_flood_end}, at the window's end {rx_window}); \
         kernel RcvbufErrors delta {}; rx + drops - sent = {}",
        if relay { "up_datagrams" } else { "rx_packets" },
        drops.map_or("n/a".into(), |d| d.to_string()),
        drops.map_or("n/a".into(), |d| (rx as i64 + d as i64 - sent as i64).to_string()),
    );
    println!("  status line: \"RX {counters_label}\"; tab bar: \"Log memory: {memory_label}\"");
    println!(
        "  UDP log: {held} rows held, {evicted} evicted; memory {memory} B, peak {peak_memory} B, budget {budget} B \
         ({:.1} of {:.1} MiB); frames over budget: {over_budget}",
        peak_memory as f64 / 1048576.0,
        budget as f64 / 1048576.0
    );
    let mib = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:.0} MiB"));
    println!(
        "  process: VmRSS {} before the flood, {} after; VmHWM {}",
        mib(rss_before),
        mib(proc_status_mib("VmRSS")),
        mib(proc_status_mib("VmHWM"))
    );

    if sent == 0 {
        failures.push("nothing was sent".to_string());
    }
    if rx > sent {
        failures.push(format!("received {rx} of {sent} sent"));
    }
    if let Some(d) = drops
        && rx + d < sent
    {
        // Other sockets may add to the global drop counter too, hence < rather than !=.
        failures.push(format!("{sent} sent, {rx} received, only {d} dropped by the kernel"));
    }
    if peak_memory > budget || over_budget > 0 {
        failures.push(format!("the log held {peak_memory} B, over its budget of {budget} B"));
    }
    if held as u64 + evicted < rx {
        failures.push(format!("{held} rows held + {evicted} evicted < {rx} received"));
    }
    drain_done.store(true, Ordering::Release);
    if let Some(d) = drain {
        let passed = d.join().expect("the drain thread");
        println!("  relay: {passed} datagrams reached the drain behind it");
    }
    drop(h);
    if !failures.is_empty() {
        eprintln!("ui_flood FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
}

fn fmt_s(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
