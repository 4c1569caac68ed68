//! The log's Export… button: a save dialog and the writing both run off the UI thread, with a
//! progress line and Cancel.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::codec::Encoding;
use crate::engine::Event;
use crate::i18n::{self, Lang};
use crate::log::export::{self, Format, Progress};
use crate::ui::job::Job;
use crate::ui::widgets::theme::RED;

/// An export in progress, or its outcome.
pub enum ExportJob {
    /// The save dialog is open (on its own thread).
    Picking(Job<Option<PathBuf>>),
    Writing {
        path: PathBuf,
        total: u64,
        progress: Arc<Progress>,
        job: Job<std::io::Result<export::Report>>,
    },
    Done(Result<(export::Report, PathBuf), String>),
}

/// An error's words in an exported record: English, like the CLI's (the record also keeps the
/// problem as data, so the viewer shows it in the reader's language).
fn english(p: &crate::engine::Problem) -> String {
    i18n::problem(Lang::En, p)
}

fn dialog_job(ctx: &egui::Context) -> Option<Job<Option<PathBuf>>> {
    let spawned = Job::spawn_repainting("export-dialog", ctx, || {
        rfd::FileDialog::new()
            .set_title("SockLab: export log")
            .set_file_name("socklab.pcap")
            .add_filter("pcap (Wireshark)", &["pcap"])
            .add_filter("JSON lines", &["jsonl"])
            .add_filter("CSV", &["csv"])
            .save_file()
    });
    spawned.ok()
}

impl ExportJob {
    /// Starts writing `events` to `path` on a background thread.
    pub fn write(events: Vec<(u64, Event)>, path: PathBuf, encoding: Encoding, ctx: &egui::Context) -> ExportJob {
        let total = events.len() as u64;
        let progress = Arc::new(Progress::default());
        let (p, target) = (progress.clone(), path.clone());
        let format = Format::from_path(&path);
        let job = Job::spawn_repainting("export", ctx, move || {
            export::write_file(&events, &target, format, encoding, &p, &english, &export::Notes::default())
        });
        match job {
            Ok(job) => ExportJob::Writing { path, total, progress, job },
            Err(_) => ExportJob::Done(Err("cannot start a thread".into())),
        }
    }

    /// True while the dialog is open or the file is being written.
    pub fn busy(&self) -> bool {
        matches!(self, ExportJob::Picking(_) | ExportJob::Writing { .. })
    }
}

/// Moves an export along. Returns the path the user just picked: the caller starts writing
/// to it (with [`ExportJob::write`]).
pub fn poll(export: &mut Option<ExportJob>) -> Option<PathBuf> {
    match export {
        Some(ExportJob::Picking(job)) => match job.poll()? {
            Ok(Some(path)) => Some(path),
            // Cancelled, or the dialog's thread failed.
            Ok(None) | Err(_) => {
                *export = None;
                None
            }
        },
        Some(ExportJob::Writing { path, job, .. }) => {
            let outcome = match job.poll()? {
                Ok(Ok(n)) => Ok((n, path.clone())),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("the export thread failed".into()),
            };
            *export = Some(ExportJob::Done(outcome));
            None
        }
        _ => None,
    }
}

/// The Export… button; `rows`: how many rows the view shows (none: nothing to export).
pub fn export_button(ui: &mut egui::Ui, lang: Lang, export: &mut Option<ExportJob>, rows: usize) {
    let t = lang.tr();
    let busy = export.as_ref().is_some_and(ExportJob::busy);
    let b = ui.add_enabled(!busy && rows > 0, egui::Button::new(t.export)).on_hover_text(t.export_tip);
    if b.clicked() {
        *export = dialog_job(ui.ctx()).map(ExportJob::Picking);
    }
}

/// The export's progress (with Cancel) or its outcome.
pub fn export_status(ui: &mut egui::Ui, lang: Lang, export: &Option<ExportJob>) {
    let t = lang.tr();
    match export {
        Some(ExportJob::Writing { total, progress, .. }) => {
            let done = progress.done.load(Ordering::Relaxed);
            let progress = progress.clone();
            ui.horizontal(|ui| {
                let frac = if *total == 0 { 1.0 } else { done as f32 / *total as f32 };
                ui.add(egui::ProgressBar::new(frac).desired_width(200.0));
                ui.label(i18n::fill(t.export_progress, &[&done, total]));
                if ui.button(t.cancel).clicked() {
                    progress.cancel.store(true, Ordering::Relaxed);
                }
            });
        }
        Some(ExportJob::Done(Ok((report, path)))) => {
            let msg = i18n::fill(t.export_done, &[&report.written, &path.display()]);
            ui.label(msg);
            // What a capture could not hold as it was: said, never silently dropped.
            if report.no_peer > 0 {
                ui.colored_label(RED, i18n::fill(t.export_no_peer, &[&report.no_peer]));
            }
            if report.split > 0 {
                ui.label(i18n::fill(t.export_split, &[&report.split]));
            }
        }
        Some(ExportJob::Done(Err(e))) => {
            let msg = if e == "cancelled" { t.export_cancelled.to_string() } else { i18n::fill(t.export_failed, &[e]) };
            ui.colored_label(RED, msg);
        }
        _ => {}
    }
}
