//! The log's Export… button: a save dialog and the writing both run off the UI thread, with a
//! progress line and Cancel.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;

use crate::codec::Encoding;
use crate::i18n::{self, Lang};
use crate::log::LogStore;
use crate::log::export::{self, Format, Progress};

use super::log_view::LogView;
use super::widgets::RED;

/// An export in progress, or its outcome.
pub enum ExportJob {
    /// The save dialog is open (on its own thread).
    Picking(Receiver<Option<PathBuf>>),
    Writing {
        path: PathBuf,
        total: u64,
        progress: Arc<Progress>,
        thread: Option<JoinHandle<std::io::Result<export::Report>>>,
    },
    Done(Result<(export::Report, PathBuf), String>),
}

fn dialog_thread(ctx: egui::Context) -> Option<Receiver<Option<PathBuf>>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let spawned = std::thread::Builder::new().name("export-dialog".into()).spawn(move || {
        let path = rfd::FileDialog::new()
            .set_title("SockLab: export log")
            .set_file_name("socklab.pcap")
            .add_filter("pcap (Wireshark)", &["pcap"])
            .add_filter("JSON lines", &["jsonl"])
            .add_filter("CSV", &["csv"])
            .save_file();
        let _ = tx.send(path);
        ctx.request_repaint();
    });
    spawned.ok().map(|_| rx)
}

impl LogView {
    /// Starts writing the rows shown (all, or the filtered ones) to `path` on a background thread.
    pub fn start_export(&mut self, path: PathBuf, encoding: Encoding, ctx: &egui::Context, store: &LogStore) {
        // The filtered view if a filter is active, else everything.
        let events = self.shown_rows(store);
        let total = events.len() as u64;
        let progress = Arc::new(Progress::default());
        let (p, target, ctx) = (progress.clone(), path.clone(), ctx.clone());
        let format = Format::from_path(&path);
        let thread = std::thread::Builder::new()
            .name("export".into())
            .spawn(move || {
                let r = export::write_file(&events, &target, format, encoding, &p);
                ctx.request_repaint();
                r
            })
            .ok();
        self.export = match thread {
            Some(t) => Some(ExportJob::Writing { path, total, progress, thread: Some(t) }),
            None => Some(ExportJob::Done(Err("cannot start a thread".into()))),
        };
    }

    /// Moves a running export along; true while it still runs.
    pub fn poll_export(&mut self, encoding: Encoding, ctx: &egui::Context, store: &LogStore) -> bool {
        match &mut self.export {
            Some(ExportJob::Picking(rx)) => match rx.try_recv() {
                Ok(Some(path)) => {
                    self.start_export(path, encoding, ctx, store);
                    true
                }
                Ok(None) | Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    self.export = None;
                    false
                }
                Err(crossbeam_channel::TryRecvError::Empty) => true,
            },
            Some(ExportJob::Writing { path, thread, .. }) => {
                if thread.as_ref().is_some_and(|t| !t.is_finished()) {
                    return true;
                }
                let outcome = match thread.take().map(|t| t.join()) {
                    Some(Ok(Ok(n))) => Ok((n, path.clone())),
                    Some(Ok(Err(e))) => Err(e.to_string()),
                    _ => Err("the export thread failed".into()),
                };
                self.export = Some(ExportJob::Done(outcome));
                false
            }
            _ => false,
        }
    }
}

pub fn export_button(ui: &mut egui::Ui, lang: Lang, view: &mut LogView, store: &LogStore) {
    let t = lang.tr();
    let busy = matches!(view.export, Some(ExportJob::Picking(_) | ExportJob::Writing { .. }));
    let b = ui.add_enabled(!busy && view.shown_len(store) > 0, egui::Button::new(t.export)).on_hover_text(t.export_tip);
    if b.clicked() {
        view.export = dialog_thread(ui.ctx().clone()).map(ExportJob::Picking);
    }
}

pub fn export_status(ui: &mut egui::Ui, lang: Lang, view: &mut LogView) {
    let t = lang.tr();
    match &view.export {
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
