//! "Open log" tab: a saved capture or log, read off the UI thread, inspected with the same
//! table, filters, conversation view, plot and export as live traffic. A file opens from the
//! native dialog, from a typed path (when no dialog can be shown, or by choice), from the
//! recent files, from the command line or dropped on the window. A file that stops early keeps
//! the rows read before it and says where and why it stopped.

use egui::RichText;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::codec::Encoding;
use crate::i18n::{self, Lang};
use crate::log::LogStore;
use crate::log::export::Progress;
use crate::log::import::{self, ImportError, ImportSummary, ImportWarning};

use crate::ui::job::Job;
use crate::ui::logs::LogView;
use crate::ui::tabs::viewer_words;
use crate::ui::widgets::dialog::{self, Picked};
use crate::ui::widgets::path_field::{self, Action, PathField, Purpose};
use crate::ui::widgets::RED;

/// What the reader thread gives back: the rows read (also when reading failed part way), how
/// it ended, and what the file's blocks, records or lines are called.
type Read = (LogStore, Result<ImportSummary, ImportError>);

enum Step {
    /// The open dialog runs on its own thread.
    Picking(Job<Picked>),
    Reading {
        path: PathBuf,
        /// File size, for the progress bar.
        total: u64,
        progress: Arc<Progress>,
        /// The reader fills a store of its own, so that opening it costs the UI thread
        /// nothing however many events and flows the file holds.
        job: Job<Read>,
    },
}

enum Status {
    Opened { name: String, summary: Box<ImportSummary> },
    /// Reading failed; `rows` read before the failure are shown.
    Failed { name: String, error: Failure, rows: usize },
    Cancelled { name: String },
    /// A file dropped without a path (the desktop gave only its name).
    NoPath { name: String },
}

/// Why a file could not be opened, worded when shown (in the UI's language of the moment).
enum Failure {
    Import(ImportError),
    /// The reader thread could not be started (the system's message).
    Spawn(String),
    /// The reader thread failed.
    Reader,
}

pub struct ViewerTab {
    /// The opened file's events (not mixed with live traffic).
    pub store: LogStore,
    pub log: LogView,
    pub encoding: Encoding,
    job: Option<Step>,
    /// What the last open said.
    status: Option<Status>,
    /// Several files were dropped at once: how many (the last one is open).
    dropped_many: Option<usize>,
    warnings: Vec<ImportWarning>,
    /// The reader's notes are listed (a toggle).
    show_warnings: bool,
    /// The files opened last, newest first (saved with the settings).
    pub recent: Vec<PathBuf>,
    /// The typed-path field, while shown.
    path_field: Option<PathField>,
}

impl Default for ViewerTab {
    fn default() -> Self {
        ViewerTab {
            store: LogStore::default(),
            log: LogView::default(),
            encoding: Encoding::Utf8,
            job: None,
            status: None,
            dropped_many: None,
            warnings: Vec::new(),
            show_warnings: false,
            recent: Vec::new(),
            path_field: None,
        }
    }
}

impl ViewerTab {
    /// Reads `path` on a background thread; the events replace what the tab showed.
    /// A read under way is cancelled (its thread ends at its next look at the flag).
    pub fn open(&mut self, path: PathBuf, ctx: &egui::Context) {
        if let Some(Step::Reading { progress, .. }) = &self.job {
            progress.cancel.store(true, Ordering::Relaxed);
        }
        let progress = Arc::new(Progress::default());
        let total = std::fs::metadata(&path).map_or(0, |m| m.len());
        let (p, prog) = (path.clone(), progress.clone());
        let budget = self.store.budget();
        self.dropped_many = None;
        let t = Job::spawn_repainting("import", ctx, move || {
            let mut store = LogStore::with_budget(budget);
            let r = import::read_file_into(&p, &prog, &mut |ev, comment| {
                store.push_commented(ev, comment);
                None
            });
            (store, r)
        });
        match t {
            Ok(job) => self.job = Some(Step::Reading { path, total, progress, job }),
            Err(e) => {
                let error = Failure::Spawn(e.to_string());
                self.status = Some(Status::Failed { name: display_name(&path), error, rows: 0 });
            }
        }
    }

    /// A file was dropped that has no path (only a name): it cannot be read.
    pub fn no_path(&mut self, name: String) {
        self.status = Some(Status::NoPath { name });
    }

    /// `n` files were dropped at once; the last is being opened.
    pub fn dropped(&mut self, n: usize) {
        self.dropped_many = (n > 1).then_some(n);
    }

    /// Shows the typed-path field (`no_dialog`: because no file dialog can be shown).
    pub fn show_path_field(&mut self, no_dialog: bool) {
        let field = self.path_field.get_or_insert_with(PathField::default);
        field.no_dialog |= no_dialog;
    }

    fn pick(&mut self, ctx: &egui::Context) {
        if !dialog::dialog_possible() {
            self.show_path_field(true);
            return;
        }
        let spawned = dialog::spawn("open-dialog", ctx, || {
            rfd::FileDialog::new()
                .set_title("SockLab: open a capture or log")
                .add_filter("pcap, pcapng, SockLab log", &["pcap", "pcapng", "cap", "gz", "jsonl", "json", "log"])
                .add_filter("All files", &["*"])
                .pick_file()
        });
        match spawned {
            Ok(job) => self.job = Some(Step::Picking(job)),
            Err(_) => self.show_path_field(true),
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        match &mut self.job {
            Some(Step::Picking(job)) => {
                let Some(picked) = dialog::poll(job) else { return };
                self.job = None;
                match picked {
                    Picked::Path(path) => self.open(path, ctx),
                    Picked::NoDialog => self.show_path_field(true),
                    Picked::Cancelled => {}
                }
            }
            Some(Step::Reading { path, job, .. }) => {
                let Some(done) = job.poll() else { return };
                let path = std::mem::take(path);
                self.job = None;
                self.finish(path, done.ok());
            }
            None => {}
        }
    }

    /// Takes what the reader gave (`None`: its thread failed).
    fn finish(&mut self, path: PathBuf, done: Option<Read>) {
        let name = display_name(&path);
        let Some((store, result)) = done else {
            self.status = Some(Status::Failed { name, error: Failure::Reader, rows: 0 });
            return;
        };
        match result {
            Err(ImportError::Cancelled) => {
                self.status = Some(Status::Cancelled { name });
                return;
            }
            Ok(summary) => {
                self.warnings.clone_from(&summary.warnings);
                self.status = Some(Status::Opened { name, summary: Box::new(summary) });
            }
            Err(e) => {
                self.warnings.clear();
                self.status = Some(Status::Failed { name, error: Failure::Import(e), rows: store.len() });
                // Nothing was read: what the tab showed stays.
                if store.is_empty() {
                    return;
                }
            }
        }
        path_field::remember(&mut self.recent, &path);
        self.log = LogView::default();
        self.store = store;
    }

    /// True while a file is being picked or read.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        self.poll(ui.ctx());
        ui.horizontal(|ui| {
            let b = ui.add_enabled(!self.busy(), egui::Button::new(t.open_file)).on_hover_text(t.open_tip);
            if b.clicked() {
                self.pick(ui.ctx());
            }
            let typing = self.path_field.is_some();
            if ui.selectable_label(typing, t.vw_type_path).on_hover_text(t.vw_type_path_tip).clicked() {
                self.path_field = if typing { None } else { Some(PathField::default()) };
            }
            crate::ui::widgets::encoding_combo(ui, lang, "viewer-encoding", &mut self.encoding);
            self.status_ui(ui, lang);
        });
        if let Some(field) = &mut self.path_field {
            match field.ui(ui, lang, Purpose::Open, &self.recent, "viewer") {
                Action::Go(path) => self.open(path, ui.ctx()),
                Action::Close => self.path_field = None,
                Action::None => {}
            }
        }
        self.notes_ui(ui, lang);
        ui.separator();
        if self.store.is_empty() && self.status.is_none() {
            ui.label(RichText::new(t.viewer_empty).weak());
            ui.label(RichText::new(t.vw_empty_drop).weak());
            return;
        }
        self.log.ui(ui, &self.store, &[], lang, self.encoding, "viewer-log");
    }

    /// The progress of a read (with Cancel) or what the last one said, on the buttons' row.
    fn status_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        match (&self.job, &self.status) {
            (Some(Step::Reading { path, total, progress, .. }), _) => {
                let done = progress.done.load(Ordering::Relaxed).min(*total);
                let frac = if *total == 0 { 0.0 } else { done as f32 / *total as f32 };
                ui.add(egui::ProgressBar::new(frac).desired_width(160.0).show_percentage());
                // The reader stops at its next look at the flag; poll() then reports it.
                if ui.button(t.cancel).clicked() {
                    progress.cancel.store(true, Ordering::Relaxed);
                }
                ui.label(i18n::fill(t.opening, &[&display_name(path)]));
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
            }
            (_, Some(Status::Opened { name, summary, .. })) => {
                ui.label(i18n::fill(t.opened, &[name, &summary.events, &summary.skipped]));
            }
            (_, Some(Status::Failed { name, error, rows })) => {
                let error = match error {
                    Failure::Import(e) => i18n::import_error(lang, e),
                    Failure::Spawn(e) => e.clone(),
                    Failure::Reader => t.imp_err_reader_failed.to_string(),
                };
                let text = if *rows > 0 {
                    i18n::fill(t.vw_failed_kept, &[name, &error, rows])
                } else {
                    i18n::fill(t.open_failed, &[name, &error])
                };
                ui.add(egui::Label::new(RichText::new(text).color(RED)).truncate());
            }
            (_, Some(Status::Cancelled { name })) => {
                ui.label(i18n::fill(t.open_cancelled, &[name]));
            }
            (_, Some(Status::NoPath { name })) => {
                ui.add(egui::Label::new(RichText::new(i18n::fill(t.vw_no_path, &[name])).color(RED)).truncate());
            }
            (_, None) => {}
        }
    }

    /// Under the buttons, two lines always laid out while a file is shown (so the log's bar
    /// never moves when they fill): where a file stopped (red) or how many files were dropped;
    /// what was skipped by kind, rows the memory budget dropped, and a toggle for the reader's
    /// notes.
    fn notes_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        if self.status.is_none() && self.job.is_none() {
            return;
        }
        let summary = match (&self.job, &self.status) {
            (None, Some(Status::Opened { summary, .. })) => Some(summary),
            _ => None,
        };
        let first = match (summary.and_then(|s| s.fault.as_ref()), self.dropped_many) {
            (Some(f), _) => {
                let rows = self.store.len() as u64 + self.store.evicted();
                Some(RichText::new(viewer_words::fault(lang, f, rows)).color(RED).strong())
            }
            (None, Some(n)) => Some(RichText::new(i18n::fill(t.vw_dropped_many, &[&n]))),
            (None, None) => None,
        };
        let mut second = Vec::new();
        if let Some(text) = summary.and_then(|s| viewer_words::skipped(lang, s)) {
            second.push(text);
        }
        let evicted = self.store.evicted();
        if summary.is_some() && evicted > 0 {
            let mib = self.store.budget() / (1024 * 1024);
            second.push(i18n::fill(t.vw_evicted_load, &[&evicted, &mib]));
        }
        let height = ui.spacing().interact_size.y;
        let line = |ui: &mut egui::Ui, add: &mut dyn FnMut(&mut egui::Ui)| {
            let size = egui::vec2(ui.available_width(), height);
            ui.allocate_ui_with_layout(size, egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.set_min_size(size);
                add(ui);
            });
        };
        line(ui, &mut |ui| {
            if let Some(text) = first.clone() {
                ui.add(egui::Label::new(text).truncate());
            }
        });
        let notes = self.warnings.len();
        let mut show = self.show_warnings;
        line(ui, &mut |ui| {
            if notes > 0 {
                let label = i18n::fill(t.vw_reader_notes, &[&notes]);
                if ui.selectable_label(show, label).clicked() {
                    show = !show;
                }
            }
            if !second.is_empty() {
                ui.add(egui::Label::new(second.join("  ·  ")).truncate());
            }
        });
        self.show_warnings = show;
        if show {
            for w in &self.warnings {
                ui.label(RichText::new(i18n::import_warning(lang, w)).weak().small());
            }
        }
    }
}

fn display_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string())
}
