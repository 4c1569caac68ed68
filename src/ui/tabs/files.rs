//! File transfer tab: the tutorial's file downloader without its hole. A server shares one folder
//! the user picked (nothing before that), in the tutorial's protocol or SockLab's framed one; a
//! client downloads into a folder with progress, cancel, resume and a checksum check.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::RichText;

use crate::engine::files::{self, DownloadConfig, Downloaded, FileError, FileProtocol, FileServerConfig, Progress};
use crate::engine::{EventKind, Problem};
use crate::i18n::{self, Lang};

use super::wire::{self, Shared, Wire};
use crate::ui::job::Job;
use crate::ui::widgets::{self, AMBER, GREEN, RED};

/// Event sources within this tab's wire.
const SERVER: u16 = 1;
const CLIENT: u16 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum ServerState {
    Stopped,
    Starting,
    Listening(SocketAddr),
}

/// A download in progress.
struct Download {
    progress: Arc<Progress>,
    job: Job<Result<Downloaded, FileError>>,
    started: Instant,
    /// Bytes already there when it started (a resumed part), for the rate.
    resumed: Option<u64>,
}

pub struct FilesTab {
    /// The shared folder; empty until the user picks one.
    pub root: String,
    pub bind: String,
    pub protocol: FileProtocol,
    pub max_size_mib: String,
    pub max_clients: String,
    server: ServerState,
    server_error: Option<String>,
    pub connect: String,
    pub name: String,
    pub out_dir: String,
    pub get_protocol: FileProtocol,
    pub resume: bool,
    download: Option<Download>,
    /// The target exists: the download waits for the user to say whether to replace it.
    pub ask_overwrite: Option<PathBuf>,
    /// How the last download ended.
    last: Option<Result<Downloaded, FileError>>,
    pub wire: Wire,
}

impl FilesTab {
    pub fn new(sink: &crate::engine::EventSink, tab: u16) -> FilesTab {
        FilesTab {
            root: String::new(),
            bind: "127.0.0.1:7890".into(),
            protocol: FileProtocol::Framed,
            max_size_mib: (files::DEFAULT_MAX_FILE_SIZE >> 20).to_string(),
            max_clients: files::DEFAULT_MAX_CLIENTS.to_string(),
            server: ServerState::Stopped,
            server_error: None,
            connect: "127.0.0.1:7890".into(),
            name: String::new(),
            out_dir: std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
            get_protocol: FileProtocol::Framed,
            resume: true,
            download: None,
            ask_overwrite: None,
            last: None,
            wire: Wire::new(sink, tab),
        }
    }

    /// Updates the tab's state from one of its events (before the event goes into the log).
    pub fn seen(&mut self, ev: &crate::engine::Event) {
        // The status line under the server shows the server's problems; a download's end is
        // shown in the client section.
        let before = self.wire.error.clone();
        self.wire.seen(ev);
        if ev.source != SERVER {
            self.wire.error = before;
            return;
        }
        match &ev.kind {
            EventKind::Listening { local } => self.server = ServerState::Listening(*local),
            EventKind::Stopped => self.server = ServerState::Stopped,
            _ => {}
        }
    }

    pub fn server_running(&self) -> bool {
        self.server != ServerState::Stopped
    }

    #[cfg(any(test, feature = "test-support"))]
    pub fn listening_on(&self) -> Option<SocketAddr> {
        match self.server {
            ServerState::Listening(a) => Some(a),
            _ => None,
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    pub fn downloading(&self) -> bool {
        self.download.is_some()
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The last download's result, once it ended.
    pub fn last_download(&self) -> Option<&Result<Downloaded, FileError>> {
        self.last.as_ref()
    }

    /// Starts the server on the shared folder.
    pub fn start_server(&mut self, lang: Lang) {
        self.server_error = None;
        let t = lang.tr();
        let max_size = self.max_size_mib.trim().parse::<u64>().ok().filter(|m| (1..=1 << 20).contains(m));
        let Some(max_size) = max_size else {
            self.server_error = Some(i18n::fill(t.files_bad_max_size, &[&self.max_size_mib.trim()]));
            return;
        };
        let max_clients = self.max_clients.trim().parse::<usize>().ok().filter(|m| (1..=10_000).contains(m));
        let Some(max_clients) = max_clients else {
            self.server_error = Some(i18n::fill(t.files_bad_max_clients, &[&self.max_clients.trim()]));
            return;
        };
        let cfg = FileServerConfig {
            bind: self.bind.trim().to_string(),
            root: PathBuf::from(self.root.trim()),
            protocol: self.protocol,
            max_file_size: max_size << 20,
            max_clients,
            min_send_rate: files::DEFAULT_MIN_SEND_RATE,
            thread_name: format!("file-server-{}", self.wire.tab),
        };
        match files::start(cfg, self.wire.sink_with_source(SERVER)) {
            Ok(h) => {
                self.wire.workers.push(h);
                self.server = ServerState::Starting;
            }
            Err(e) => self.server_error = Some(error_text(lang, &e)),
        }
    }

    pub fn stop_server(&mut self) {
        for w in &self.wire.workers {
            w.request_stop();
        }
    }

    /// Starts a download, or asks first when it would replace a file.
    pub fn start_download(&mut self, overwrite: bool) {
        self.last = None;
        let out_dir = PathBuf::from(self.out_dir.trim());
        let target = files::client::local_name(&self.name).map(|n| out_dir.join(n));
        if let (false, Ok(target)) = (overwrite, &target)
            && target.exists()
        {
            self.ask_overwrite = Some(target.clone());
            return;
        }
        self.ask_overwrite = None;
        let cfg = DownloadConfig {
            connect: self.connect.trim().to_string(),
            name: self.name.clone(),
            out_dir: out_dir.clone(),
            protocol: self.get_protocol,
            overwrite,
            resume: self.resume,
            max_size: files::DEFAULT_MAX_FILE_SIZE,
        };
        let resumed = match &target {
            Ok(t) if self.resume && self.get_protocol == FileProtocol::Framed => part_len(t),
            _ => None,
        };
        let progress = Arc::new(Progress::new());
        match files::spawn_download(cfg, progress.clone(), self.wire.sink_with_source(CLIENT)) {
            Ok(handle) => {
                let job = Job::adopt(handle);
                self.download = Some(Download { progress, job, started: Instant::now(), resumed });
            }
            Err(e) => self.last = Some(Err(FileError::Net(Problem::io(crate::engine::problem::Op::Thread, None, &e)))),
        }
    }

    pub fn cancel_download(&self) {
        if let Some(d) = &self.download {
            d.progress.cancel();
        }
    }

    /// Once per frame: collects a finished download.
    pub fn tick(&mut self) {
        if let Some(done) = self.download.as_mut().and_then(|d| d.job.poll()) {
            self.download = None;
            self.last = Some(done.unwrap_or(Err(FileError::Cancelled)));
        }
    }

    /// At exit: cancels a download and waits for it (it notices within about 200 ms).
    pub fn shutdown(&mut self) {
        if let Some(d) = self.download.take() {
            d.progress.cancel();
            let _ = d.job.join();
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        ui.label(RichText::new(t.files_explain).weak());
        egui::CollapsingHeader::new(RichText::new(t.files_server).strong())
            .id_salt(("files-server", self.wire.tab))
            .default_open(true)
            .show(ui, |ui| self.server_ui(ui, lang, shared));
        egui::CollapsingHeader::new(RichText::new(t.files_client).strong())
            .id_salt(("files-client", self.wire.tab))
            .default_open(true)
            .show(ui, |ui| self.client_ui(ui, lang));
        ui.separator();
        self.wire.log_ui(ui, shared, lang, "files-log");
    }

    fn server_ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        let on = !self.server_running();
        ui.horizontal_wrapped(|ui| {
            widgets::labelled_edit_on(ui, on, t.files_root, &mut self.root, 260.0).on_hover_text(t.files_root_tip);
            if ui.add_enabled(on, egui::Button::new(t.files_choose)).clicked()
                && let Some(dir) = rfd::FileDialog::new().pick_folder()
            {
                self.root = dir.display().to_string();
            }
        });
        ui.horizontal_wrapped(|ui| {
            widgets::address_edit_on(ui, lang, on, t.local_address, &mut self.bind, 170.0);
            protocol_combo(ui, lang, on, ("files-server-proto", self.wire.tab), &mut self.protocol);
            widgets::labelled_edit_on(ui, on, t.files_max_size, &mut self.max_size_mib, 60.0)
                .on_hover_text(i18n::fill(t.files_max_size_tip, &[&(files::DEFAULT_MAX_FILE_SIZE >> 20)]));
            widgets::labelled_edit_on(ui, on, t.files_max_clients, &mut self.max_clients, 50.0).on_hover_text(
                i18n::fill(
                    t.files_max_clients_tip,
                    &[
                        &files::server::REQUEST_TIMEOUT.as_secs(),
                        &(files::DEFAULT_MIN_SEND_RATE / 1024),
                        &files::server::RATE_WINDOW.as_secs(),
                    ],
                ),
            );
            if on {
                let ready = !self.root.trim().is_empty();
                let b = ui.add_enabled(ready, egui::Button::new(t.start)).on_disabled_hover_text(t.files_no_root);
                if b.clicked() {
                    self.start_server(lang);
                }
            } else if ui.button(t.stop).clicked() {
                self.stop_server();
            }
        });
        widgets::exposure_note(ui, lang, &self.bind);
        let (state, color) = match self.server {
            ServerState::Stopped if self.root.trim().is_empty() => (t.files_nothing_shared.to_string(), RED),
            ServerState::Stopped => (t.state_stopped.to_string(), RED),
            ServerState::Starting => (t.state_starting.to_string(), AMBER),
            ServerState::Listening(a) => (i18n::fill(t.files_sharing, &[&self.root.trim(), &a]), GREEN),
        };
        wire::status_line(ui, lang, &state, color, &mut self.wire, shared, None);
        if let Some(e) = &self.server_error {
            ui.colored_label(RED, e);
        }
    }

    fn client_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        let on = self.download.is_none();
        ui.horizontal_wrapped(|ui| {
            widgets::address_edit_on(ui, lang, on, t.server_address, &mut self.connect, 170.0);
            widgets::labelled_edit_on(ui, on, t.files_name, &mut self.name, 200.0).on_hover_text(t.files_name_tip);
            protocol_combo(ui, lang, on, ("files-get-proto", self.wire.tab), &mut self.get_protocol);
        });
        ui.horizontal_wrapped(|ui| {
            widgets::labelled_edit_on(ui, on, t.files_out_dir, &mut self.out_dir, 260.0);
            if ui.add_enabled(on, egui::Button::new(t.files_choose_out)).clicked()
                && let Some(dir) = rfd::FileDialog::new().pick_folder()
            {
                self.out_dir = dir.display().to_string();
            }
            let framed = self.get_protocol == FileProtocol::Framed;
            ui.add_enabled(on && framed, egui::Checkbox::new(&mut self.resume, t.files_resume))
                .on_hover_text(t.files_resume_tip);
            if on {
                let ready = !self.name.trim().is_empty() && self.ask_overwrite.is_none();
                if ui.add_enabled(ready, egui::Button::new(t.files_download)).clicked() {
                    self.start_download(false);
                }
            } else if ui.button(t.cancel).clicked() {
                self.cancel_download();
            }
        });
        if let Some(target) = self.ask_overwrite.clone() {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(AMBER, i18n::fill(t.files_exists, &[&target.display()]));
                if ui.button(t.files_overwrite).clicked() {
                    self.start_download(true);
                }
                if ui.button(t.files_keep).clicked() {
                    self.ask_overwrite = None;
                }
            });
        }
        if let Some(d) = &self.download {
            progress_ui(ui, lang, d);
        }
        match &self.last {
            Some(Ok(done)) => {
                let check = if done.verified { t.files_verified } else { t.files_not_verified };
                let text = i18n::fill(t.files_saved, &[&done.path.display(), &done.bytes, &done.sha256, &check]);
                ui.colored_label(if done.verified { GREEN } else { AMBER }, text);
                if done.resumed_from > 0 {
                    ui.label(i18n::fill(t.files_resumed_from, &[&done.resumed_from]));
                }
            }
            Some(Err(e)) => {
                ui.colored_label(RED, error_text(lang, e));
            }
            None => {}
        }
    }
}

/// The protocol picker, explained on hover.
fn protocol_combo(ui: &mut egui::Ui, lang: Lang, enabled: bool, salt: (&str, u16), value: &mut FileProtocol) {
    let t = lang.tr();
    let name = |p: FileProtocol| match p {
        FileProtocol::Framed => t.files_framed,
        FileProtocol::Tutorial => t.files_tutorial,
    };
    let l = ui.label(t.files_protocol);
    ui.add_enabled_ui(enabled, |ui| {
        egui::ComboBox::from_id_salt(salt)
            .selected_text(name(*value))
            .show_ui(ui, |ui| {
                for p in [FileProtocol::Framed, FileProtocol::Tutorial] {
                    ui.selectable_value(value, p, name(p));
                }
            })
            .response
            .labelled_by(l.id)
            .on_hover_text(t.files_protocol_tip);
    });
}

fn progress_ui(ui: &mut egui::Ui, lang: Lang, d: &Download) {
    let t = lang.tr();
    let got = d.progress.received();
    let secs = d.started.elapsed().as_secs_f64().max(1e-3);
    let rate = got.saturating_sub(d.resumed.unwrap_or(0)) as f64 / secs;
    match d.progress.total() {
        Some(total) => {
            let frac = if total == 0 { 1.0 } else { got as f32 / total as f32 };
            ui.add(egui::ProgressBar::new(frac.min(1.0)).desired_width(320.0).show_percentage());
            let eta = if rate > 0.0 { format!("{:.0}", total.saturating_sub(got) as f64 / rate) } else { "?".into() };
            let mb = |b: f64| format!("{:.1}", b / 1_048_576.0);
            ui.label(
                RichText::new(i18n::fill(t.files_progress, &[&mb(got as f64), &mb(total as f64), &mb(rate), &eta]))
                    .monospace(),
            );
        }
        None => {
            ui.add(egui::ProgressBar::new(0.0).desired_width(320.0).animate(true));
            ui.label(RichText::new(i18n::fill(t.files_progress_unknown, &[&got])).monospace());
        }
    }
    ui.ctx().request_repaint_after(Duration::from_millis(100));
}

/// Bytes already in the `.socklab-part` file next to `target`, if there is one.
fn part_len(target: &Path) -> Option<u64> {
    let mut part = target.as_os_str().to_owned();
    part.push(files::PART_SUFFIX);
    std::fs::metadata(PathBuf::from(part)).ok().map(|m| m.len())
}

/// A file-transfer error in the UI's language.
pub fn error_text(lang: Lang, e: &FileError) -> String {
    crate::i18n::file_error(lang, e)
}
