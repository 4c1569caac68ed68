//! "Open log" tab: a saved capture or log, read off the UI thread, inspected with the same
//! table, filters, conversation view, plot and export as live traffic.

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
use crate::ui::widgets::RED;

enum Step {
    /// The open dialog runs on its own thread.
    Picking(Job<Option<PathBuf>>),
    Reading {
        path: PathBuf,
        /// File size, for the progress bar.
        total: u64,
        progress: Arc<Progress>,
        /// The reader fills a store of its own, so that opening it costs the UI thread
        /// nothing however many events and flows the file holds.
        job: Job<Result<(LogStore, ImportSummary), ImportError>>,
    },
}

enum Status {
    Opened { name: String, events: usize, skipped: usize },
    Failed { name: String, error: Failure },
    Cancelled { name: String },
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
    warnings: Vec<ImportWarning>,
}

impl Default for ViewerTab {
    fn default() -> Self {
        ViewerTab {
            store: LogStore::default(),
            log: LogView::default(),
            encoding: Encoding::Utf8,
            job: None,
            status: None,
            warnings: Vec::new(),
        }
    }
}

impl ViewerTab {
    /// Reads `path` on a background thread; the events replace what the tab showed.
    pub fn open(&mut self, path: PathBuf, ctx: &egui::Context) {
        let progress = Arc::new(Progress::default());
        let total = std::fs::metadata(&path).map_or(0, |m| m.len());
        let (p, prog) = (path.clone(), progress.clone());
        let budget = self.store.budget();
        let t = Job::spawn_repainting("import", ctx, move || {
            let mut store = LogStore::with_budget(budget);
            let r = import::read_file_into(&p, &prog, &mut |ev, comment| {
                store.push_commented(ev, comment);
            });
            r.map(|summary| (store, summary))
        });
        match t {
            Ok(job) => self.job = Some(Step::Reading { path, total, progress, job }),
            Err(e) => {
                self.status = Some(Status::Failed { name: display_name(&path), error: Failure::Spawn(e.to_string()) })
            }
        }
    }

    fn pick(&mut self, ctx: &egui::Context) {
        let spawned = Job::spawn_repainting("open-dialog", ctx, || {
            rfd::FileDialog::new()
                .set_title("SockLab: open a capture or log")
                .add_filter("pcap / SockLab log", &["pcap", "cap", "jsonl", "json", "log"])
                .add_filter("All files", &["*"])
                .pick_file()
        });
        if let Ok(job) = spawned {
            self.job = Some(Step::Picking(job));
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        match &mut self.job {
            Some(Step::Picking(job)) => {
                let Some(picked) = job.poll() else { return };
                self.job = None;
                // Cancelled, or the dialog's thread failed: nothing to open.
                if let Ok(Some(path)) = picked {
                    self.open(path, ctx);
                }
            }
            Some(Step::Reading { path, job, .. }) => {
                let Some(done) = job.poll() else { return };
                let name = display_name(path);
                self.job = None;
                match done {
                    Ok(Ok((store, summary))) => {
                        self.log = LogView::default();
                        self.store = store;
                        self.warnings = summary.warnings;
                        self.status = Some(Status::Opened { name, events: summary.events, skipped: summary.skipped });
                    }
                    Ok(Err(ImportError::Cancelled)) => self.status = Some(Status::Cancelled { name }),
                    Ok(Err(e)) => self.status = Some(Status::Failed { name, error: Failure::Import(e) }),
                    Err(_) => self.status = Some(Status::Failed { name, error: Failure::Reader }),
                }
            }
            None => {}
        }
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
            crate::ui::widgets::encoding_combo(ui, lang, "viewer-encoding", &mut self.encoding);
            match (&self.job, &self.status) {
                (Some(Step::Reading { path, total, progress, .. }), _) => {
                    let done = progress.done.load(Ordering::Relaxed).min(*total);
                    let frac = if *total == 0 { 0.0 } else { done as f32 / *total as f32 };
                    ui.add(egui::ProgressBar::new(frac).desired_width(160.0).show_percentage());
                    ui.label(i18n::fill(t.opening, &[&display_name(path)]));
                    // The reader stops at its next look at the flag; poll() then reports it.
                    if ui.button(t.cancel).clicked() {
                        progress.cancel.store(true, Ordering::Relaxed);
                    }
                    ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
                }
                (_, Some(Status::Opened { name, events, skipped })) => {
                    ui.label(i18n::fill(t.opened, &[name, events, skipped]));
                }
                (_, Some(Status::Failed { name, error })) => {
                    let error = match error {
                        Failure::Import(e) => i18n::import_error(lang, e),
                        Failure::Spawn(e) => e.clone(),
                        Failure::Reader => t.imp_err_reader_failed.to_string(),
                    };
                    ui.colored_label(RED, i18n::fill(t.open_failed, &[name, &error]));
                }
                (_, Some(Status::Cancelled { name })) => {
                    ui.label(i18n::fill(t.open_cancelled, &[name]));
                }
                _ => {}
            }
        });
        for w in &self.warnings {
            ui.label(RichText::new(i18n::import_warning(lang, w)).weak().small());
        }
        ui.separator();
        if self.store.is_empty() && self.status.is_none() {
            ui.label(RichText::new(t.viewer_empty).weak());
            return;
        }
        self.log.ui(ui, &self.store, &[], lang, self.encoding, "viewer-log");
    }
}

fn display_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string())
}
