//! The real app opening a big capture, headless: `SockLabApp` in an egui_kittest harness (no
//! window, no GPU), a pcapng file of 1,400-byte UDP datagrams (as Wireshark saves them) opened in
//! the Open log tab the way `socklab FILE` opens it, and every frame timed while the reader
//! thread loads it. Then it prints the load time and speed, the frame time distribution during
//! the load, the rows held and evicted against the log budget, and the process's peak memory
//! against its memory before the load. No timing assertions; it exits with an error if a count
//! is wrong or memory went past the log budget + 64 MiB.
//!
//! `cargo bench --bench ui_import` loads a 1 GiB capture (written first, into a temporary
//! directory, unless `-- --file PATH` names one); without `--bench` (e.g. `cargo test --benches`)
//! a 16 MiB smoke version. Figures are recorded in docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use socklab::i18n::Lang;
use socklab::ui::SockLabApp;

/// Payload of each datagram.
const PAYLOAD: usize = 1_400;
/// Frame: Ethernet 14 + IPv4 20 + UDP 8 + payload.
const FRAME: usize = 14 + 20 + 8 + PAYLOAD;
/// Longest the load may take before the bench gives up.
const LIMIT: Duration = Duration::from_secs(300);

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

/// A line of /proc/self/status in MiB, e.g. `VmHWM` (peak resident memory).
fn proc_status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the peak (VmHWM) to the current RSS, so the peak measured is the load's.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One pcapng block: type, total length, body (padded to 4 bytes), total length again.
fn block(out: &mut impl Write, ty: u32, body: &[u8]) {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    out.write_all(&ty.to_le_bytes()).unwrap();
    out.write_all(&len.to_le_bytes()).unwrap();
    out.write_all(body).unwrap();
    out.write_all(&[0u8; 3][..pad]).unwrap();
    out.write_all(&len.to_le_bytes()).unwrap();
}

/// Writes a little-endian pcapng capture of `count` UDP datagrams, 10.0.0.1:5000 →
/// 10.0.0.2:6000, 1 µs apart, each payload numbered.
fn write_capture(path: &Path, count: u64) {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    // Section Header Block: byte-order magic, version 1.0, section length unknown.
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    // Interface Description Block: Ethernet, snap length 262144 (microseconds, the default).
    let mut idb = Vec::new();
    idb.extend_from_slice(&1u16.to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&262_144u32.to_le_bytes());
    block(&mut out, 1, &idb);
    let mut frame = vec![0u8; FRAME];
    frame[..12].copy_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip = &mut frame[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((20 + 8 + PAYLOAD) as u16).to_be_bytes());
    ip[6] = 0x40; // don't fragment
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&[10, 0, 0, 1]);
    ip[16..20].copy_from_slice(&[10, 0, 0, 2]);
    let udp = &mut frame[34..42];
    udp[0..2].copy_from_slice(&5000u16.to_be_bytes());
    udp[2..4].copy_from_slice(&6000u16.to_be_bytes());
    udp[4..6].copy_from_slice(&((8 + PAYLOAD) as u16).to_be_bytes());
    frame[42..].fill(b'.');
    let start_us: u64 = 1_796_000_000 * 1_000_000;
    let mut epb = Vec::with_capacity(20 + FRAME);
    for i in 0..count {
        frame[42..62].copy_from_slice(format!("datagram {i:011}").as_bytes());
        let ts = start_us + i;
        epb.clear();
        epb.extend_from_slice(&0u32.to_le_bytes()); // interface 0
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(FRAME as u32).to_le_bytes());
        epb.extend_from_slice(&(FRAME as u32).to_le_bytes());
        epb.extend_from_slice(&frame);
        block(&mut out, 6, &epb);
    }
    out.flush().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let given = args.iter().position(|a| a == "--file").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let (path, count) = match given {
        Some(p) => (p, None),
        None => {
            let size: u64 = if full { 1 << 30 } else { 16 << 20 };
            let count = size / (FRAME as u64 + 32);
            let p = dir.path().join("big.pcapng");
            let t = Instant::now();
            write_capture(&p, count);
            println!("ui_import: wrote {count} datagrams to {} in {:.1} s", p.display(), t.elapsed().as_secs_f64());
            (p, Some(count))
        }
    };
    let file_size = std::fs::metadata(&path).unwrap().len();

    let mut h = Harness::builder().with_size([1280.0, 800.0]).build_eframe(|cc| SockLabApp::new(cc, Some(Lang::En)));
    h.run_steps(3);
    let budget = h.state().viewer.store.budget();
    reset_peak();
    let rss_before = proc_status_mib("VmRSS");

    let ctx = h.ctx.clone();
    let started = Instant::now();
    h.state_mut().open_files(&ctx, vec![path.clone()]);
    let mut frames = Vec::new();
    while h.state().viewer.busy() {
        assert!(started.elapsed() < LIMIT, "the capture did not load within {LIMIT:?}");
        let t = Instant::now();
        h.step();
        let shapes = h.output().shapes.clone();
        let ppp = h.output().pixels_per_point;
        std::hint::black_box(h.ctx.tessellate(shapes, ppp));
        frames.push(t.elapsed());
        // eframe paces frames at 60 Hz; the reader keeps the other core.
        std::thread::sleep(Duration::from_millis(16).saturating_sub(t.elapsed()));
    }
    let load = started.elapsed();
    h.run_steps(3);
    let peak = proc_status_mib("VmHWM");
    let store = &h.state().viewer.store;
    let (held, evicted, memory) = (store.len() as u64, store.evicted(), store.memory());
    let rx = store.counters().rx_packets;

    println!(
        "ui_import: {} ({:.0} MiB) opened in {:.2} s, {:.0} MB/s",
        path.display(),
        file_size as f64 / 1048576.0,
        load.as_secs_f64(),
        file_size as f64 / 1e6 / load.as_secs_f64()
    );
    let slow = frames.iter().filter(|f| ms(**f) > 16.0).count();
    println!("  {} frames while loading: {}; over 16 ms: {slow}", frames.len(), distribution(&frames));
    println!(
        "  rows: {held} held + {evicted} evicted; rx_packets {rx}; log memory {:.1} MiB of a {:.0} MiB budget",
        memory as f64 / 1048576.0,
        budget as f64 / 1048576.0
    );
    let mib = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:.0} MiB"));
    println!("  process: VmRSS {} before the load, peak {} during it", mib(rss_before), mib(peak));

    let mut failures = Vec::new();
    if let Some(n) = count {
        if rx != n {
            failures.push(format!("rx_packets {rx}, the capture holds {n}"));
        }
        if held + evicted != n {
            failures.push(format!("{held} held + {evicted} evicted != {n}"));
        }
    }
    if memory > budget {
        failures.push(format!("the log holds {memory} B, over its budget of {budget} B"));
    }
    if let (Some(before), Some(peak)) = (rss_before, peak) {
        let allowed = budget as f64 / 1048576.0 + 64.0;
        if peak - before > allowed {
            failures.push(format!("peak memory grew by {:.0} MiB, more than the budget + 64 MiB", peak - before));
        }
    }
    drop(h);
    if !failures.is_empty() {
        eprintln!("ui_import FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
}
