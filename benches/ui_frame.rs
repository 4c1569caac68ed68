//! UI frame time of a tab's log table with a huge log, on a headless `egui::Context` (no window,
//! no GPU): one `LogView` filled with N 64-byte UDP Rx/Tx events, one full frame per iteration.
//! Run with `cargo bench --bench ui_frame`; figures are recorded in docs/performance.md.
//!
//! Measured, for N = 1,000 (baseline), 1,000,000 and 10,000,000 rows:
//! - `follow newest`: the default view, scrolled to the newest row (`Context::run_ui` only);
//! - `follow newest + tessellate`: the same frame plus `Context::tessellate` (the CPU part of
//!   painting that eframe does after every frame);
//! - `filter caught up`: a text filter matching 1 row in 16, its index already complete.
//!
//! Also measured: a new text filter scanning 1,000,000 rows through the public UI path (set the
//! filter text, run frames until the "{0} of {1} rows" label appears); the same at 10,000,000
//! rows is timed once and printed. The 10M store takes about 2–3 GB and is built once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use egui::epaint::{ClippedShape, Shape};
use socklab::codec::Encoding;
use socklab::engine::{Event, EventKind, Proto};
use socklab::i18n::{self, Lang};
use socklab::log::LogStore;
use socklab::ui::log_view::LogView;

/// Peers the synthetic traffic comes from / goes to.
const PEERS: u64 = 16;
/// Filter texts used by the filter benchmarks; each matches the rows of one peer (1 in 16).
const FILTERS: [(&str, u64); 2] = [("sensor-03", 3), ("sensor-05", 5)];

/// A log view holding `n` events: even rows are 64-byte datagrams received from one of 16 peers,
/// odd rows the 64-byte replies sent back, 10 µs apart.
struct Fixture {
    view: LogView,
    store: LogStore,
    n: u64,
}

fn event(i: u64, base_us: i64) -> Event {
    let k = (i / 2) % PEERS;
    let rx = i.is_multiple_of(2);
    let head = if rx { "PING" } else { "PONG" };
    let mut data = Vec::with_capacity(64);
    data.extend_from_slice(format!("{head} sensor-{k:02} seq={i:010} temp=21.5 ").as_bytes());
    data.resize(64, b'.');
    let kind = if rx { EventKind::Rx { data, lost: 0 } } else { EventKind::Tx { data } };
    Event {
        time: jiff::Timestamp::from_microsecond(base_us + i as i64 * 10).unwrap(),
        tab: 0,
        source: 0,
        proto: Proto::Udp,
        conn: None,
        local: None,
        peer: Some(format!("10.0.0.{}:{}", 10 + k, 50_000 + k).parse().unwrap()),
        kind,
    }
}

impl Fixture {
    fn new(n: u64) -> Fixture {
        let started = Instant::now();
        let base_us = jiff::Timestamp::now().as_microsecond() - n as i64 * 10;
        let view = LogView::default();
        let mut store = LogStore::with_budget(usize::MAX);
        for i in 0..n {
            store.push(event(i, base_us));
        }
        eprintln!(
            "built {n} rows in {:.1} s, store.memory() = {} MiB",
            started.elapsed().as_secs_f64(),
            store.memory() >> 20
        );
        Fixture { view, store, n }
    }

    /// Rows the filter `sensor-{k:02}` matches: the Rx and the Tx row of that peer's turns.
    fn matching(&self, k: u64) -> u64 {
        (0..self.n).filter(|i| (i / 2) % PEERS == k).count() as u64
    }
}

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 800.0))),
        ..Default::default()
    }
}

/// One full frame: the tab's log view in a central panel, as the app shows it.
fn frame(ctx: &egui::Context, view: &mut LogView, store: &LogStore) -> egui::FullOutput {
    ctx.run_ui(input(), |ui| {
        egui::CentralPanel::default().show(ui, |ui| view.ui(ui, store, &[], Lang::En, Encoding::Utf8, "bench"));
    })
}

fn discard(mut out: egui::FullOutput) {
    out.textures_delta.clear();
}

/// Every text drawn in a frame, with its position.
fn texts(shapes: &[ClippedShape]) -> Vec<(f32, String)> {
    fn walk(s: &Shape, out: &mut Vec<(f32, String)>) {
        match s {
            Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            Shape::Text(t) => out.push((t.pos.y, t.galley.text().to_string())),
            _ => {}
        }
    }
    let mut out = Vec::new();
    shapes.iter().for_each(|c| walk(&c.shape, &mut out));
    out
}

/// Runs frames until the filter's "{0} of {1} rows" label appears; returns the frames run.
fn frames_until_filtered(ctx: &egui::Context, view: &mut LogView, store: &LogStore, label: &str) -> usize {
    for frames in 1..=10_000 {
        let mut out = frame(ctx, view, store);
        let done = texts(&out.shapes).iter().any(|(_, t)| t == label);
        out.shapes.clear();
        discard(out);
        if done {
            return frames;
        }
    }
    panic!("the filter label {label:?} never appeared");
}

fn filter_label(f: &Fixture, k: u64) -> String {
    i18n::fill(Lang::En.tr().filter_count, &[&f.matching(k), &f.store.len()])
}

/// Checks that a frame shows the newest rows, and prints how regularly they are spaced (the
/// table lays rows out in f32 screen coordinates, which lose precision on huge tables).
fn check_newest_rows(ctx: &egui::Context, f: &mut Fixture, what: &str) {
    let mut out = frame(ctx, &mut f.view, &f.store);
    let mut rows: Vec<(f32, String)> =
        texts(&out.shapes).into_iter().filter(|(_, t)| t.starts_with("PING") || t.starts_with("PONG")).collect();
    out.shapes.clear();
    discard(out);
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let gaps: Vec<f32> = rows.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let min = gaps.iter().copied().fold(f32::INFINITY, f32::min);
    let max = gaps.iter().copied().fold(0.0, f32::max);
    eprintln!("{what}: {} data rows drawn, row spacing {min:.2}–{max:.2} px", rows.len());
    let newest = format!("seq={:010}", f.n - 1);
    assert!(
        rows.iter().any(|(_, t)| t.contains(&newest)),
        "{what}: the newest row ({newest}) is not drawn; drew {:?}",
        rows.iter().map(|r| &r.1).collect::<Vec<_>>()
    );
}

fn bench_rows(c: &mut Criterion, n: u64, name: &str) {
    let mut f = Fixture::new(n);
    let ctx = egui::Context::default();
    // Let the fonts, the table's column widths and the stick-to-bottom scroll settle.
    for _ in 0..5 {
        discard(frame(&ctx, &mut f.view, &f.store));
    }
    check_newest_rows(&ctx, &mut f, &format!("follow newest, {name} rows"));

    let mut g = c.benchmark_group("ui_frame");
    g.bench_function(BenchmarkId::new("follow newest", name), |b| {
        b.iter(|| discard(black_box(frame(&ctx, &mut f.view, &f.store))))
    });
    g.bench_function(BenchmarkId::new("follow newest + tessellate", name), |b| {
        b.iter(|| {
            let mut out = frame(&ctx, &mut f.view, &f.store);
            let shapes = std::mem::take(&mut out.shapes);
            black_box(ctx.tessellate(shapes, out.pixels_per_point));
            discard(out);
        })
    });

    let (text, k) = FILTERS[0];
    f.view.filter.text = text.into();
    let label = filter_label(&f, k);
    let scan = Instant::now();
    let frames = frames_until_filtered(&ctx, &mut f.view, &f.store, &label);
    eprintln!(
        "new filter {text:?} over {name} rows: {frames} frames, {:.0} ms (first pass, {label:?})",
        scan.elapsed().as_secs_f64() * 1e3
    );
    g.bench_function(BenchmarkId::new("filter caught up", name), |b| {
        b.iter(|| discard(black_box(frame(&ctx, &mut f.view, &f.store))))
    });
    g.finish();

    if n == 1_000_000 {
        // A new filter each iteration (alternating texts, so the index is rebuilt every time).
        let labels: Vec<(String, String)> =
            FILTERS.iter().map(|(t, k)| (t.to_string(), filter_label(&f, *k))).collect();
        let mut g = c.benchmark_group("ui_filter");
        g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(5));
        let mut turn = 1;
        g.bench_function(BenchmarkId::new("new filter until caught up", name), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (text, label) = &labels[turn % 2];
                    turn += 1;
                    f.view.filter.text.clone_from(text);
                    let t = Instant::now();
                    black_box(frames_until_filtered(&ctx, &mut f.view, &f.store, label));
                    total += t.elapsed();
                }
                total
            })
        });
        g.finish();
    }
    f.view.filter.text.clear();
}

fn ui_frame(c: &mut Criterion) {
    bench_rows(c, 1_000, "1k");
    bench_rows(c, 1_000_000, "1M");
    bench_rows(c, 10_000_000, "10M");
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = ui_frame
}
criterion_main!(benches);
