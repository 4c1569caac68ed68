//! The traffic generator of the UDP and TCP client tabs: a datagram (or a message on the TCP
//! stream) of N bytes again and again at a rate, bounded by a count and a duration, with a
//! progress bar and the rate actually achieved.

use std::time::{Duration, Instant};

use egui::RichText;

use crate::engine::generator::{GenSpec, MAX_DATAGRAM, MAX_MESSAGE, Rate};
use crate::engine::{Command, EventKind, Problem, WorkerHandle};
use crate::i18n::{self, Lang};
use crate::log::Counters;

use crate::ui::widgets::{self, RED};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    PacketsPerSec,
    BytesPerSec,
    Max,
}

enum Last {
    Done { packets: u64, bytes: u64, micros: u64 },
    Failed(String),
}

/// A run the UI started, to show its progress.
struct Run {
    started: Instant,
    /// The tab's sent counters when the run started.
    before: Counters,
    count: u64,
    /// Bytes of one datagram or message.
    size: usize,
    duration: Duration,
}

pub struct GeneratorUi {
    pub size: String,
    pub rate: String,
    pub unit: Unit,
    pub count: String,
    pub seconds: String,
    run: Option<Run>,
    /// What the last run did, or why it could not start.
    last: Option<Last>,
    /// Messages on a TCP stream rather than datagrams.
    stream: bool,
    /// The send box's message when it has `${…}` fields: each datagram is rendered anew (the
    /// size field does not apply).
    pub template: Option<std::sync::Arc<crate::codec::template::Template>>,
}

impl Default for GeneratorUi {
    fn default() -> Self {
        GeneratorUi {
            size: "64".into(),
            rate: "1000".into(),
            unit: Unit::PacketsPerSec,
            count: "1000".into(),
            seconds: "10".into(),
            run: None,
            last: None,
            stream: false,
            template: None,
        }
    }
}

/// `payload` repeated (or cut) to `size` bytes; a readable filler when there is no payload.
pub fn fill(payload: &[u8], size: usize) -> Vec<u8> {
    let pattern: &[u8] = if payload.is_empty() { b"SockLab generator " } else { payload };
    pattern.iter().copied().cycle().take(size).collect()
}

impl GeneratorUi {
    /// The TCP client's generator: messages written on the connection.
    pub fn stream() -> GeneratorUi {
        GeneratorUi { stream: true, size: "1024".into(), ..GeneratorUi::default() }
    }

    /// Notes the end of a run.
    pub fn seen(&mut self, kind: &EventKind) {
        if let EventKind::GeneratorDone { packets, bytes, micros } = *kind {
            self.run = None;
            self.last = Some(Last::Done { packets, bytes, micros });
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    pub fn running(&self) -> bool {
        self.run.is_some()
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The last finished run as the worker reported it: (packets, bytes, microseconds).
    pub fn last_done(&self) -> Option<(u64, u64, u64)> {
        match self.last {
            Some(Last::Done { packets, bytes, micros }) => Some((packets, bytes, micros)),
            _ => None,
        }
    }

    /// The settings as typed, checked, for datagrams to `to` built from `payload`.
    fn spec(&self, to: &str, payload: &[u8]) -> Result<GenSpec, Problem> {
        use crate::engine::problem::Field;
        let max = if self.stream { MAX_MESSAGE } else { MAX_DATAGRAM };
        let size = widgets::parse_number(&self.size, 1..=max, Field::GenSize)?;
        let count = widgets::parse_number(&self.count, 1..=100_000_000u64, Field::GenCount)?;
        let secs = widgets::parse_number(&self.seconds, 1..=3600u64, Field::GenSeconds)?;
        let rate = match self.unit {
            Unit::Max => Rate::Max,
            u => {
                let r = self.rate.trim().parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0);
                let got = self.rate.trim().to_string();
                let r = r.ok_or(Problem::NotPositive { field: Field::GenRate, got })?;
                if u == Unit::PacketsPerSec { Rate::PacketsPerSec(r) } else { Rate::BytesPerSec(r) }
            }
        };
        Ok(GenSpec {
            to: to.trim().to_string(),
            // With fields, the first message (for the size checks); the worker renders each one.
            data: match &self.template {
                Some(t) => t.bytes(1).map_err(Problem::Template)?,
                None => fill(payload, size),
            },
            template: self.template.clone(),
            rate,
            count: Some(count),
            duration: Some(Duration::from_secs(secs)),
        })
    }

    /// The generator section. `payload`: the send box's bytes (may be empty); `worker`: the
    /// running socket; `sent`: the tab's counters now.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        to: &str,
        payload: &[u8],
        worker: Option<&WorkerHandle>,
        sent: Counters,
    ) {
        let t = lang.tr();
        let (salt, size_tip, tip) = if self.stream {
            ("tcp-generator", t.gen_size_tip_tcp, t.gen_tip_tcp)
        } else {
            ("udp-generator", t.gen_size_tip, t.gen_tip)
        };
        egui::CollapsingHeader::new(t.gen_title).id_salt(salt).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.add_enabled_ui(self.run.is_none(), |ui| {
                    widgets::labelled_edit(ui, t.gen_size, &mut self.size, 60.0).on_hover_text(size_tip);
                    let l = ui.label(t.gen_rate);
                    let on = self.unit != Unit::Max;
                    widgets::capped_edit(ui, on, &mut self.rate, widgets::MAX_FIELD_CHARS, |e| e.desired_width(70.0))
                        .labelled_by(l.id);
                    egui::ComboBox::from_id_salt("gen-unit")
                        .selected_text(unit_name(t, self.unit, self.stream))
                        .show_ui(ui, |ui| {
                            for u in [Unit::PacketsPerSec, Unit::BytesPerSec, Unit::Max] {
                                ui.selectable_value(&mut self.unit, u, unit_name(t, u, self.stream));
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    widgets::labelled_edit(ui, t.gen_count, &mut self.count, 80.0);
                    widgets::labelled_edit(ui, t.gen_seconds, &mut self.seconds, 50.0);
                });
                match (&self.run, worker) {
                    (Some(_), Some(w)) => {
                        if ui.button(t.gen_stop).clicked() {
                            let _ = w.send(Command::StopGenerate);
                        }
                    }
                    (Some(_), None) => self.run = None,
                    (None, w) => {
                        if ui.add_enabled(w.is_some(), egui::Button::new(t.gen_start)).on_hover_text(tip).clicked()
                            && let Some(w) = w
                        {
                            self.start(w, to, payload, sent, lang);
                        }
                    }
                }
            });
            if let Some(run) = &self.run {
                let elapsed = run.started.elapsed();
                let packets = sent.tx_packets.saturating_sub(run.before.tx_packets);
                let bytes = sent.tx_bytes.saturating_sub(run.before.tx_bytes);
                // A TCP write may carry several messages or part of one: count bytes there.
                let done = if self.stream {
                    bytes as f32 / (run.count as f32 * run.size as f32)
                } else {
                    packets as f32 / run.count as f32
                };
                let frac = done.max(elapsed.as_secs_f32() / run.duration.as_secs_f32());
                ui.add(egui::ProgressBar::new(frac.min(1.0)).desired_width(300.0).show_percentage());
                let secs = elapsed.as_secs_f64().max(1e-3);
                let mbits = format!("{:.2}", bytes as f64 * 8.0 / secs / 1e6);
                if self.stream {
                    ui.label(RichText::new(i18n::fill(t.gen_progress_tcp, &[&bytes, &mbits])).monospace());
                } else {
                    ui.label(
                        RichText::new(i18n::fill(
                            t.gen_progress,
                            &[&packets, &run.count, &bytes, &format!("{:.0}", packets as f64 / secs), &mbits],
                        ))
                        .monospace(),
                    );
                }
                ui.ctx().request_repaint_after(Duration::from_millis(100));
            } else {
                match &self.last {
                    Some(Last::Done { packets, bytes, micros }) => {
                        let proto = if self.stream { crate::engine::Proto::Tcp } else { crate::engine::Proto::Udp };
                        ui.label(i18n::generated_text(t, proto, *packets, *bytes, *micros));
                    }
                    Some(Last::Failed(e)) => {
                        ui.colored_label(RED, e);
                    }
                    None => {}
                }
            }
        });
    }

    fn start(&mut self, w: &WorkerHandle, to: &str, payload: &[u8], sent: Counters, lang: Lang) {
        let spec = self.spec(to, payload).and_then(|spec| {
            let (count, duration) = (spec.count.unwrap_or(u64::MAX), spec.duration.unwrap_or(Duration::MAX));
            let size = spec.data.len();
            w.send(Command::Generate(Box::new(spec))).map(|()| (count, size, duration))
        });
        match spec {
            Ok((count, size, duration)) => {
                self.run = Some(Run { started: Instant::now(), before: sent, count, size, duration });
                self.last = None;
            }
            Err(p) => self.last = Some(Last::Failed(i18n::problem(lang, &p))),
        }
    }
}

fn unit_name(t: &i18n::Tr, u: Unit, stream: bool) -> &'static str {
    match u {
        Unit::PacketsPerSec if stream => t.gen_mps,
        Unit::PacketsPerSec => t.gen_pps,
        Unit::BytesPerSec => t.gen_bps,
        Unit::Max => t.gen_max,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fill_repeats_or_cuts_the_payload() {
        assert_eq!(super::fill(b"ab", 5), b"ababa");
        assert_eq!(super::fill(b"abcdef", 3), b"abc");
        assert_eq!(super::fill(b"", 9), b"SockLab g");
    }
}
