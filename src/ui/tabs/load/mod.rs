//! Load tab: `socklab bench` with buttons — N connections against one server at a target rate,
//! QPS and p99 plotted live second by second, the round-trip percentiles, failures by kind with
//! the first of each, and a report (CSV or JSON) that repeats the run.
//!
//! The settings become the same command-line arguments the CLI takes (`cli::bench`), so a
//! report saved here runs again with `socklab bench --repeat` and the other way round.

use std::time::Instant;

use egui::RichText;

use crate::cli::bench::{self as cli_bench, ArgProblem, BenchArgs, BenchProto};
use crate::codec::Encoding;
use crate::engine::bench::{self, Bench, BenchEvent, BenchSpec, Ended, Expect, FailureKind, Figures, Mode, Outcome, Rate, SpecError, report};
use crate::i18n::{self, Lang, fill};
use crate::ui::widgets::{self, BLUE, GREEN, RED};

/// The seconds a run keeps for its plots (a 24-hour run keeps the last hour).
mod settings;

const MAX_SECONDS: usize = 3600;

struct Running {
    bench: Bench,
    spec: BenchSpec,
    args: Vec<String>,
    started: String,
    at: Instant,
}

struct Finished {
    outcome: Box<Outcome>,
    spec: BenchSpec,
    args: Vec<String>,
    started: String,
}

pub struct LoadTab {
    pub udp: bool,
    pub mode: Mode,
    pub server: String,
    pub connections: String,
    pub threads: String,
    pub rate: String,
    pub duration: String,
    pub count: String,
    pub timeout: String,
    pub ramp_up: String,
    pub message: String,
    pub hex: bool,
    pub expect: String,
    pub report_path: String,
    /// The run in progress; dropping it stops the run and joins its threads.
    run: Option<Running>,
    /// The seconds of the run shown (live, or the last one).
    seconds: Vec<Figures>,
    last: Option<Finished>,
    /// Why the run could not start.
    error: Option<String>,
    /// What the last report action did (is it an error, the words).
    note: Option<(bool, String)>,
}

impl Default for LoadTab {
    fn default() -> LoadTab {
        LoadTab {
            udp: false,
            mode: Mode::PingPong,
            server: "127.0.0.1:9999".into(),
            connections: "10".into(),
            threads: BenchSpec::default_threads().to_string(),
            rate: "1000".into(),
            duration: "10".into(),
            count: String::new(),
            timeout: "2".into(),
            ramp_up: "0".into(),
            message: "hello ${seq}\\n".into(),
            hex: false,
            expect: "line".into(),
            report_path: default_report_path(),
            run: None,
            seconds: Vec::new(),
            last: None,
            error: None,
            note: None,
        }
    }
}

fn default_report_path() -> String {
    let home = directories::UserDirs::new().map(|d| d.home_dir().to_path_buf());
    home.unwrap_or_default().join("socklab-load-report.json").display().to_string()
}

/// A settings field that did not parse.
fn bad_number(lang: Lang, field: &str) -> String {
    fill(lang.tr().ld_bad_number, &[&field])
}

/// A refused spec in words.
pub fn spec_error(lang: Lang, e: &SpecError) -> String {
    let t = lang.tr();
    match e {
        SpecError::ModeProto(m, p) => fill(t.ld_e_mode, &[&mode_name(lang, *m), &p.name().to_uppercase()]),
        SpecError::Connections(_) => fill(t.ld_e_connections, &[&bench::MAX_CONNECTIONS]),
        SpecError::Threads(_) => fill(t.ld_e_threads, &[&bench::MAX_THREADS]),
        SpecError::Rate(_) => fill(t.ld_e_rate, &[&bench::MIN_RATE, &bench::MAX_RATE]),
        SpecError::Unbounded => t.ld_e_unbounded.to_string(),
        SpecError::Duration(_) | SpecError::RampUp(_) => fill(t.ld_e_duration, &[&bench::MAX_DURATION.as_secs()]),
        SpecError::Timeout(_) => fill(t.ld_e_timeout, &[&bench::MAX_TIMEOUT.as_secs()]),
        SpecError::Message(m) => fill(t.ld_e_message, &[m]),
        SpecError::MessageTooLong(n) => fill(t.ld_e_too_long, &[n, &bench::MAX_MESSAGE]),
        SpecError::EmptyMessage => t.ld_e_empty.to_string(),
    }
}

fn arg_problem(lang: Lang, p: &ArgProblem) -> String {
    let t = lang.tr();
    match p {
        ArgProblem::Connect(_, p) => format!("{}: {}", t.server_address, i18n::problem(lang, p)),
        ArgProblem::Template { error, .. } => format!("{}: {}", t.ld_message, i18n::template_error(lang, error)),
        ArgProblem::Secs { flag, max, .. } => match *flag {
            "timeout" => fill(t.ld_e_timeout, &[&max.as_secs()]),
            _ => fill(t.ld_e_duration, &[&max.as_secs()]),
        },
        ArgProblem::Spec(e) => spec_error(lang, e),
    }
}

pub fn mode_name(lang: Lang, m: Mode) -> &'static str {
    let t = lang.tr();
    match m {
        Mode::PingPong => t.ld_mode_pingpong,
        Mode::Throughput => t.ld_mode_throughput,
        Mode::Churn => t.ld_mode_churn,
        Mode::Blast => t.ld_mode_blast,
    }
}

fn kind_name(lang: Lang, k: FailureKind) -> &'static str {
    let t = lang.tr();
    match k {
        FailureKind::Refused => t.ld_k_refused,
        FailureKind::Reset => t.ld_k_reset,
        FailureKind::Timeout => t.ld_k_timeout,
        FailureKind::Short => t.ld_k_short,
        FailureKind::Wrong => t.ld_k_wrong,
        FailureKind::Closed => t.ld_k_closed,
        FailureKind::Error => t.ld_k_error,
    }
}

fn us(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.1}"))
}

impl LoadTab {
    pub fn running(&self) -> bool {
        self.run.is_some()
    }

    /// The settings as the CLI's flags.
    pub fn args(&self, lang: Lang) -> Result<BenchArgs, String> {
        let t = lang.tr();
        let num = |s: &str, field: &str| s.trim().parse::<usize>().map_err(|_| bad_number(lang, field));
        let secs = |s: &str, field: &str| match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(bad_number(lang, field)),
        };
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Ok(BenchArgs {
            proto: Some(if self.udp { BenchProto::Udp } else { BenchProto::Tcp }),
            connect: Some(self.server.trim().to_string()),
            mode: self.mode,
            connections: num(&self.connections, t.ld_connections)?,
            rate: Rate::parse(&self.rate).ok_or_else(|| t.ld_bad_rate.to_string())?,
            duration: opt(&self.duration).map(|d| secs(&d, t.ld_duration)).transpose()?,
            count: opt(&self.count)
                .map(|c| c.parse::<u64>().ok().filter(|c| *c > 0).ok_or_else(|| bad_number(lang, t.ld_count)))
                .transpose()?,
            send: (!self.hex).then(|| self.message.clone()),
            hex: self.hex.then(|| self.message.clone()),
            expect: Expect::parse(&self.expect).map_err(|_| t.ld_bad_expect.to_string())?,
            threads: Some(num(&self.threads, t.ld_threads)?),
            timeout: secs(&self.timeout, t.ld_timeout)?,
            ramp_up: secs(&self.ramp_up, t.ld_ramp)?,
            escapes: !self.hex,
            encoding: Encoding::Utf8,
            json: false,
            quiet: true,
            report: Vec::new(),
            repeat: None,
        })
    }

    /// Puts a report's settings in the fields.
    fn load_args(&mut self, a: &BenchArgs) {
        self.udp = a.proto == Some(BenchProto::Udp);
        self.mode = a.mode;
        self.server = a.connect.clone().unwrap_or_default();
        self.connections = a.connections.to_string();
        if let Some(t) = a.threads {
            self.threads = t.to_string();
        }
        self.rate = a.rate.cli_name();
        self.duration = a.duration.map(|d| d.to_string()).unwrap_or_default();
        self.count = a.count.map(|c| c.to_string()).unwrap_or_default();
        self.timeout = a.timeout.to_string();
        self.ramp_up = a.ramp_up.to_string();
        self.hex = a.hex.is_some();
        let text = a.hex.clone().or_else(|| a.send.clone()).unwrap_or_else(|| cli_bench::DEFAULT_MESSAGE.into());
        // The GUI's box takes escapes: a report from the CLI has the characters themselves.
        self.message = if a.escapes || self.hex { text } else { escape(&text) };
        self.expect = a.expect.cli_name();
    }

    /// Starts a run with the settings; says why not in the tab.
    pub fn start(&mut self, lang: Lang, ctx: &egui::Context) {
        self.error = None;
        self.note = None;
        let a = match self.args(lang) {
            Ok(a) => a,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let spec = match cli_bench::spec_of(&a) {
            Ok(s) => s,
            Err(p) => {
                self.error = Some(arg_problem(lang, &p));
                return;
            }
        };
        let ctx = ctx.clone();
        let notify: crate::engine::Notify = std::sync::Arc::new(move || ctx.request_repaint());
        match Bench::start(spec.clone(), Some(notify)) {
            Ok(b) => {
                self.seconds.clear();
                self.last = None;
                let started = jiff::Timestamp::now().to_string();
                self.run = Some(Running { bench: b, spec, args: cli_bench::args_of(&a), started, at: Instant::now() });
            }
            Err(e) => self.error = Some(spec_error(lang, &e)),
        }
    }

    pub fn stop(&mut self) {
        if let Some(r) = &self.run {
            r.bench.stop();
        }
    }

    /// Takes in what the run reported (called every frame, shown or not). Returns true when
    /// something changed.
    pub fn poll(&mut self) -> bool {
        let Some(r) = &mut self.run else { return false };
        let mut changed = false;
        let mut done = None;
        while let Ok(ev) = r.bench.events.try_recv() {
            changed = true;
            match ev {
                BenchEvent::Second { figures, .. } => {
                    self.seconds.push(figures);
                    if self.seconds.len() > MAX_SECONDS {
                        self.seconds.remove(0);
                    }
                }
                BenchEvent::Done(o) => {
                    done = Some(o);
                    break;
                }
            }
        }
        if let Some(outcome) = done
            && let Some(mut r) = self.run.take()
        {
            r.bench.join();
            // The outcome has every second, also those the tab missed.
            self.seconds = outcome.seconds.iter().rev().take(MAX_SECONDS).rev().cloned().collect();
            self.last = Some(Finished { outcome, spec: r.spec, args: r.args, started: r.started });
        }
        changed
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, packets: &std::cell::RefCell<crate::ui::tabs::saved::SavedPackets>) {
        let t = lang.tr();
        ui.label(RichText::new(t.ld_tip).weak());
        ui.add_space(4.0);
        let idle = self.run.is_none();
        ui.add_enabled_ui(idle, |ui| self.settings(ui, lang, packets));
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if idle {
                let b = egui::Button::new(RichText::new(t.ld_start).strong()).min_size(egui::vec2(140.0, 26.0));
                if ui.add(b).clicked() {
                    self.start(lang, ui.ctx());
                }
            } else if ui.add(egui::Button::new(t.ld_stop).min_size(egui::vec2(140.0, 26.0))).clicked() {
                self.stop();
            }
            ui.label(self.status(lang));
        });
        // One line, always laid out, for why it could not start.
        ui.label(RichText::new(self.error.as_deref().unwrap_or("")).color(RED));
        // The report row above the results: failures listed below never move its buttons.
        self.report_row(ui, lang);
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            self.figures(ui, lang);
            self.plots(ui, lang);
            self.failures(ui, lang);
        });
    }

    fn status(&self, lang: Lang) -> String {
        let t = lang.tr();
        if let Some(r) = &self.run {
            let limit = r.spec.duration.map_or(String::new(), |d| format!(" / {}", d.as_secs_f64()));
            return fill(t.ld_running, &[&format!("{:.0}{limit}", r.at.elapsed().as_secs_f64()), &r.spec.connections]);
        }
        match &self.last {
            None => t.ld_none.to_string(),
            Some(f) => match &f.outcome.ended {
                Ended::Failed(e) => fill(t.ld_failed, &[e]),
                Ended::Stopped => fill(t.ld_stopped, &[&format!("{:.1}", f.outcome.elapsed.as_secs_f64())]),
                _ => fill(t.ld_done, &[&format!("{:.1}", f.outcome.elapsed.as_secs_f64())]),
            },
        }
    }

    /// The figures of the run so far (live: added up from its seconds), or of the last run.
    fn figures(&self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        let (f, corrected) = match (&self.run, &self.last) {
            (Some(r), _) => {
                let sum = self.seconds.iter().fold(Figures::default(), |mut a, s| {
                    a.sent += s.sent;
                    a.received += s.received;
                    a.failures += s.failures;
                    a
                });
                let last = self.seconds.last().cloned().unwrap_or_default();
                (Figures { qps: last.qps, mbit_s: last.mbit_s, p50_us: last.p50_us, p90_us: last.p90_us, p99_us: last.p99_us, p999_us: last.p999_us, max_us: last.max_us, ..sum }, r.spec.rate != Rate::Max)
            }
            (None, Some(l)) => (l.outcome.figures(), l.outcome.corrected),
            (None, None) => (Figures::default(), false),
        };
        egui::Grid::new("load-figures").num_columns(10).spacing([18.0, 4.0]).show(ui, |ui| {
            for h in [t.ld_sent, t.ld_received, t.ld_failures, t.ld_qps, "Mbit/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs"] {
                ui.label(RichText::new(h).weak());
            }
            ui.end_row();
            let big = |ui: &mut egui::Ui, s: String, c: Option<egui::Color32>| {
                let r = RichText::new(s).size(18.0).strong();
                ui.label(match c {
                    Some(c) => r.color(c),
                    None => r,
                });
            };
            big(ui, f.sent.to_string(), None);
            big(ui, f.received.to_string(), Some(GREEN));
            big(ui, f.failures.to_string(), (f.failures > 0).then_some(RED));
            big(ui, format!("{:.0}", f.qps), Some(BLUE));
            big(ui, format!("{:.2}", f.mbit_s), None);
            for v in [f.p50_us, f.p90_us, f.p99_us, f.p999_us, f.max_us] {
                big(ui, us(v), None);
            }
            ui.end_row();
        });
        let note = if self.run.is_none() && self.last.is_none() {
            ""
        } else if corrected {
            t.ld_corrected
        } else {
            t.ld_uncorrected
        };
        ui.label(RichText::new(note).weak());
    }

    fn plots(&self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        let qps: Vec<[f64; 2]> = self.seconds.iter().enumerate().map(|(i, f)| [i as f64 + 1.0, f.qps]).collect();
        let p99: Vec<[f64; 2]> =
            self.seconds.iter().enumerate().filter_map(|(i, f)| f.p99_us.map(|p| [i as f64 + 1.0, p])).collect();
        let p50: Vec<[f64; 2]> =
            self.seconds.iter().enumerate().filter_map(|(i, f)| f.p50_us.map(|p| [i as f64 + 1.0, p])).collect();
        let w = ((ui.available_width() - 12.0) / 2.0).max(200.0);
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new(t.ld_plot_qps).strong());
                egui_plot::Plot::new("load-qps")
                    .width(w)
                    .height(170.0)
                    .include_y(0.0)
                    .x_axis_label(t.ld_second)
                    .allow_scroll(false)
                    .show(ui, |p| p.line(egui_plot::Line::new(t.ld_qps, qps).color(BLUE)));
            });
            ui.vertical(|ui| {
                ui.label(RichText::new(t.ld_plot_latency).strong());
                egui_plot::Plot::new("load-p99")
                    .width(w)
                    .height(170.0)
                    .include_y(0.0)
                    .x_axis_label(t.ld_second)
                    .allow_scroll(false)
                    .legend(egui_plot::Legend::default())
                    .show(ui, |p| {
                        p.line(egui_plot::Line::new("p99", p99).color(RED));
                        p.line(egui_plot::Line::new("p50", p50).color(GREEN));
                    });
            });
        });
    }

    fn failures(&self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        let Some(l) = &self.last else { return };
        let total = &l.outcome.total;
        if total.total_failures() == 0 {
            ui.label(RichText::new(t.ld_no_failures).color(GREEN));
            return;
        }
        ui.label(RichText::new(t.ld_failures).strong());
        egui::Grid::new("load-failures").num_columns(3).striped(true).show(ui, |ui| {
            ui.label(RichText::new(t.ld_fail_kind).weak());
            ui.label(RichText::new(t.ld_fail_count).weak());
            ui.label(RichText::new(t.ld_fail_first).weak());
            ui.end_row();
            for k in FailureKind::ALL {
                let n = total.failures(k);
                if n == 0 {
                    continue;
                }
                ui.label(kind_name(lang, k));
                ui.label(n.to_string());
                let first = total.example(k).map_or(String::new(), |e| {
                    fill(t.ld_first, &[&e.connection, &e.message, &format!("{:.3}", e.at_ms as f64 / 1000.0), &e.detail])
                });
                ui.add(egui::Label::new(first).wrap());
                ui.end_row();
            }
        });
    }

    fn report_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        ui.horizontal(|ui| {
            let l = ui.label(t.ld_report);
            widgets::capped_edit(ui, true, &mut self.report_path, widgets::MAX_FIELD_CHARS, |e| e.desired_width(320.0))
                .labelled_by(l.id)
                .on_hover_text(t.ld_report_tip);
            let can_save = self.last.is_some();
            let save = ui.add_enabled(can_save, egui::Button::new(t.ld_save));
            if save.on_disabled_hover_text(t.ld_save_none).clicked() {
                self.save_report(lang);
            }
            let repeat = ui.add_enabled(self.run.is_none(), egui::Button::new(t.ld_repeat));
            if repeat.on_hover_text(t.ld_repeat_tip).on_disabled_hover_text(t.ld_repeat_running).clicked() {
                self.repeat(lang, ui.ctx());
            }
        });
        let (err, text) = self.note.clone().unwrap_or((false, String::new()));
        ui.label(RichText::new(text).color(if err { RED } else { GREEN }));
    }

    pub fn save_report(&mut self, lang: Lang) {
        let t = lang.tr();
        let Some(l) = &self.last else { return };
        let path = widgets::path_field::expand(self.report_path.trim());
        self.note = Some(match report::write(&path, &l.args, &l.spec, &l.outcome, &l.started) {
            Ok(()) => (false, fill(t.ld_saved, &[&path.display()])),
            Err(e) => (true, fill(t.ld_save_failed, &[&path.display(), &e])),
        });
    }

    /// Loads the settings of the report at the path and runs them.
    pub fn repeat(&mut self, lang: Lang, ctx: &egui::Context) {
        let t = lang.tr();
        let path = widgets::path_field::expand(self.report_path.trim());
        let args = match report::read_args(&path) {
            Ok(a) => a,
            Err(report::ReadError::Io(e)) => {
                self.note = Some((true, fill(t.ld_save_failed, &[&path.display(), &e])));
                return;
            }
            Err(_) => {
                self.note = Some((true, fill(t.ld_not_report, &[&path.display()])));
                return;
            }
        };
        match cli_bench::parse_args(&args) {
            Ok(a) => {
                self.load_args(&a);
                self.start(lang, ctx);
                if self.error.is_none() {
                    self.note = Some((false, fill(t.ld_repeated, &[&path.display()])));
                }
            }
            Err(_) => self.note = Some((true, fill(t.ld_not_report, &[&path.display()]))),
        }
    }

    /// The figures of the last finished run (for tests).
    #[cfg(any(test, feature = "test-support"))]
    pub fn last_figures(&self) -> Option<Figures> {
        self.last.as_ref().map(|l| l.outcome.figures())
    }
}

/// Text as the send box writes it: `\`, CR, LF and tab as escapes.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\r', "\\r").replace('\n', "\\n").replace('\t', "\\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_the_clis_flags_and_back() {
        let tab = LoadTab::default();
        let a = tab.args(Lang::En).unwrap();
        let args = cli_bench::args_of(&a);
        let back = cli_bench::parse_args(&args).unwrap();
        let mut other = LoadTab { server: String::new(), ..LoadTab::default() };
        other.load_args(&back);
        assert_eq!(other.server, tab.server);
        assert_eq!(other.message, tab.message);
        assert_eq!(other.rate, "1000");
        assert_eq!(other.expect, "line");
        assert!(args.contains(&"--escapes".to_string()));
        let bad = LoadTab { connections: "many".into(), ..LoadTab::default() };
        assert!(bad.args(Lang::En).unwrap_err().contains("Connections"));
    }
}
