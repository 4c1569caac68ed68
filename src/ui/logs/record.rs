//! *Record to file*: the view's rows from now on go to a file as they arrive (JSON lines, CSV,
//! pcap or pcapng by the file's name), flushed at least every 100 ms, so a long run keeps all
//! it saw even after the log's memory budget evicts old rows (`log::recorder`).

use std::path::PathBuf;

use crate::engine::Problem;
use crate::i18n::{self, Lang, fill};
use crate::log::LogStore;
use crate::ui::logs::{LogView, LogViewCtx};
use crate::ui::widgets::theme::{AMBER, RED};

/// The record's `text` of an error, in the words the CLI's `--log-file` uses.
fn english(p: &Problem) -> String {
    i18n::problem(Lang::En, p)
}

/// The record row's state in a view.
#[derive(Default)]
pub struct RecordUi {
    /// The row is shown.
    open: bool,
    path: String,
    /// The recording running, by its id in the store.
    id: Option<u64>,
    /// Why the last start failed, or what the last recording wrote.
    note: Option<(bool, String)>,
}

fn default_path() -> String {
    let home = directories::UserDirs::new().map(|d| d.home_dir().to_path_buf());
    home.unwrap_or_default().join("socklab-recording.jsonl").display().to_string()
}

impl LogView {
    /// The toolbar's *Record…* button (lit while recording).
    pub(super) fn record_button(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let t = cx.tr;
        let label = if self.record.id.is_some() { t.rec_active } else { t.rec_button };
        let button = egui::Button::new(label).selected(self.record.open || self.record.id.is_some());
        if ui.add(button).on_hover_text(t.rec_tip).clicked() {
            self.record.open = !self.record.open;
            if self.record.path.is_empty() {
                self.record.path = default_path();
            }
        }
    }

    /// The record row under the toolbar, when opened or while recording.
    pub(super) fn record_row(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let (t, store) = (cx.tr, cx.store);
        let running = self.record.id.and_then(|id| store.recording(id));
        if running.is_none() && self.record.id.is_some() {
            self.record.id = None;
        }
        if !self.record.open && running.is_none() {
            return;
        }
        ui.horizontal_wrapped(|ui| match running {
            None => {
                let l = ui.label(t.rec_to);
                ui.add(egui::TextEdit::singleline(&mut self.record.path).desired_width(360.0).id_salt((cx.id, "rec")))
                    .labelled_by(l.id)
                    .on_hover_text(t.rec_formats);
                if ui.button(t.rec_start).clicked() {
                    self.start_recording(store, cx);
                }
                if let Some((bad, note)) = &self.record.note {
                    ui.colored_label(if *bad { RED } else { ui.visuals().weak_text_color() }, note);
                }
            }
            Some((path, stats)) => {
                use std::sync::atomic::Ordering::Relaxed;
                ui.colored_label(RED, "•");
                let (n, bytes) = (stats.written.load(Relaxed), stats.bytes.load(Relaxed));
                ui.label(fill(t.rec_running, &[&path.display(), &n, &(bytes / 1024)]));
                let missed = stats.missed.load(Relaxed);
                if missed > 0 {
                    ui.colored_label(AMBER, fill(t.rec_missed, &[&missed]));
                }
                if let Some(e) = stats.error() {
                    ui.colored_label(RED, fill(t.rec_failed, &[&e]));
                }
                if ui.button(t.rec_stop).clicked() {
                    self.stop_recording(store, cx.lang);
                }
                // The figures move while events come.
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
            }
        });
    }

    fn start_recording(&mut self, store: &LogStore, cx: &LogViewCtx<'_>) {
        let path = PathBuf::from(self.record.path.trim());
        let t = cx.tr;
        if self.record.path.trim().is_empty() {
            self.record.note = Some((true, t.rec_no_path.to_string()));
            return;
        }
        match store.start_recording(&path, self.scope, cx.encoding, &english) {
            Ok(id) => {
                self.record.id = Some(id);
                self.record.note = None;
            }
            Err(e) => self.record.note = Some((true, fill(t.rec_cannot, &[&path.display(), &e]))),
        }
    }

    fn stop_recording(&mut self, store: &LogStore, lang: Lang) {
        let t = lang.tr();
        let Some(id) = self.record.id.take() else { return };
        let path = store.recording(id).map(|(p, _)| p);
        if let (Some(stats), Some(path)) = (store.stop_recording(id), path) {
            use std::sync::atomic::Ordering::Relaxed;
            let n = stats.written.load(Relaxed);
            let note = match stats.error() {
                Some(e) => (true, fill(t.rec_failed, &[&e])),
                None => (false, fill(t.rec_done, &[&n, &path.display()])),
            };
            self.record.note = Some(note);
        }
    }

    /// Whether a recording runs (for the tests).
    #[cfg(any(test, feature = "test-support"))]
    pub fn recording(&self) -> bool {
        self.record.id.is_some()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_path_is_a_jsonl_file() {
        assert!(super::default_path().ends_with("socklab-recording.jsonl"));
    }
}
