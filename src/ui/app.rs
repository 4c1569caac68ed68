//! The app: a tab bar and the active tab. Events are drained in `logic`, within a time budget.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{Event, EventSink, Notify};
use crate::i18n::Lang;

use super::addresses::AddressesTab;
use super::all::AllTab;
use super::broadcast::BroadcastTab;
use super::files::FilesTab;
use super::instances::{Instance, Kind, Tab};
use super::layout::{self, Arrange, MAX_PANES};
use super::tcp_client::TcpClientTab;
use super::tcp_server::TcpServerTab;
use super::udp::UdpTab;
use super::viewer::ViewerTab;
use super::widgets::{Shared, TabInfo};

/// Time per frame spent moving events into the logs; the rest waits for the next frame.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Ready-made lessons from the tutorial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lesson {
    UpperEcho,
    HelloServer,
    StickyPackets,
    /// Two UDP sockets chatting (tutorial lesson 3).
    UdpChat,
    /// Two broadcast receivers on one port.
    BroadcastTwo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TabId {
    Udp,
    TcpServer,
    TcpClient,
    Broadcast,
    Files,
    /// One more instance of a socket tab, by its number in the log.
    Extra(u16),
    All,
    Viewer,
    Addresses,
}

/// The log memory budget the app starts with, shared by its tabs.
pub const DEFAULT_LOG_BUDGET_MIB: usize = 256;

/// Numbers of the tabs in the shared log (each event carries one).
pub const TAB_UDP: u16 = 1;
pub const TAB_TCP_SERVER: u16 = 2;
pub const TAB_TCP_CLIENT: u16 = 3;
pub const TAB_BROADCAST: u16 = 4;
pub const TAB_FILES: u16 = 5;

pub struct SockLabApp {
    pub lang: Lang,
    /// Where settings are saved at exit (set only for the real window).
    settings_path: Option<std::path::PathBuf>,
    /// A notice about the settings file (e.g. it was corrupt), shown once.
    settings_notice: Option<String>,
    /// The lesson set up from the Lessons menu, whose explanation is shown.
    pub lesson: Option<Lesson>,
    /// Presentation mode: large text, thick lines, high-contrast light theme.
    pub presenting: bool,
    /// The About window is open.
    pub about: bool,
    pub theme: egui::ThemePreference,
    /// Memory for all tabs' logs together, in MiB.
    pub log_budget_mib: usize,
    pub active: TabId,
    /// The traffic of every tab, in one append-only store.
    pub log: crate::log::LogStore,
    /// Saved packets, shared by the tabs' send boxes.
    pub packets: std::cell::RefCell<super::saved::SavedPackets>,
    /// More instances of the socket tabs, opened with "+".
    pub extra: Vec<Instance>,
    /// Closed instances: their workers are ending; their names stay for their rows in the log.
    retired: Vec<Instance>,
    /// Number in the log for the next instance.
    next_tab: u16,
    /// Shown together with the active tab (which comes first), in this order.
    pub also: Vec<TabId>,
    /// How the tabs shown together share the window.
    pub arrange: Arrange,
    /// The app's event channel, for new instances' workers.
    sink: EventSink,
    /// The one channel every tab's workers send on (each event says which tab it is for).
    events: crossbeam_channel::Receiver<Event>,
    pub udp: UdpTab,
    pub tcp_server: TcpServerTab,
    pub tcp_client: TcpClientTab,
    pub broadcast: BroadcastTab,
    pub files: FilesTab,
    pub all: AllTab,
    pub viewer: ViewerTab,
    pub addresses: AddressesTab,
}

impl SockLabApp {
    /// `lang`: from `--lang`; otherwise the system locale.
    pub fn new(cc: &eframe::CreationContext<'_>, lang: Option<Lang>) -> SockLabApp {
        super::fonts::install(&cc.egui_ctx);
        let ctx = cc.egui_ctx.clone();
        let notify: Notify = Arc::new(move || ctx.request_repaint());
        let (sink, events) = EventSink::channel(Some(notify));
        let mut app = SockLabApp {
            settings_path: None,
            settings_notice: None,
            lesson: None,
            presenting: false,
            about: false,
            theme: egui::ThemePreference::System,
            log_budget_mib: DEFAULT_LOG_BUDGET_MIB,
            lang: lang.unwrap_or_else(Lang::from_env),
            active: TabId::Udp,
            log: crate::log::LogStore::default(),
            packets: Default::default(),
            udp: UdpTab::new(&sink, TAB_UDP),
            tcp_server: TcpServerTab::new(&sink, TAB_TCP_SERVER),
            tcp_client: TcpClientTab::new(&sink, TAB_TCP_CLIENT),
            broadcast: BroadcastTab::new(&sink, TAB_BROADCAST),
            files: FilesTab::new(&sink, TAB_FILES),
            extra: Vec::new(),
            retired: Vec::new(),
            next_tab: TAB_FILES + 1,
            also: Vec::new(),
            arrange: Arrange::Columns,
            sink,
            events,
            all: AllTab::default(),
            viewer: ViewerTab::default(),
            addresses: AddressesTab::default(),
        };
        app.apply_budget();
        app
    }

    /// How each tab is named and coloured in the shared log.
    pub fn tab_infos(&self) -> Vec<TabInfo> {
        let t = self.lang.tr();
        let info = |id, name: &str, color| TabInfo { id, name: name.to_string(), color };
        let mut v = vec![
            info(TAB_UDP, t.tab_udp, egui::Color32::from_rgb(0x8e, 0x44, 0xad)),
            info(TAB_TCP_SERVER, t.tab_tcp_server, egui::Color32::from_rgb(0x13, 0x8d, 0x90)),
            info(TAB_TCP_CLIENT, t.tab_tcp_client, egui::Color32::from_rgb(0xd3, 0x6b, 0x00)),
            info(TAB_BROADCAST, t.tab_broadcast, egui::Color32::from_rgb(0xc2, 0x18, 0x5b)),
            info(TAB_FILES, t.tab_files, egui::Color32::from_rgb(0x2e, 0x7d, 0x32)),
        ];
        for i in self.extra.iter().chain(&self.retired) {
            v.push(TabInfo { id: i.id, name: i.name(self.lang), color: i.color });
        }
        v
    }

    /// A tab's name in the settings file.
    fn tab_name(&self, id: TabId) -> Option<String> {
        Some(match id {
            TabId::Udp => "udp".into(),
            TabId::TcpServer => "tcp_server".into(),
            TabId::TcpClient => "tcp_client".into(),
            TabId::Broadcast => "broadcast".into(),
            TabId::Files => "files".into(),
            TabId::All => "all".into(),
            TabId::Extra(n) => format!("instance:{}", self.extra.iter().position(|i| i.id == n)?),
            TabId::Addresses => "addresses".into(),
            TabId::Viewer => return None,
        })
    }

    fn tab_by_name(&self, name: &str) -> Option<TabId> {
        Some(match name {
            "udp" => TabId::Udp,
            "tcp_server" => TabId::TcpServer,
            "tcp_client" => TabId::TcpClient,
            "broadcast" => TabId::Broadcast,
            "files" => TabId::Files,
            "addresses" => TabId::Addresses,
            "all" => TabId::All,
            other => {
                let pos: usize = other.strip_prefix("instance:")?.parse().ok()?;
                TabId::Extra(self.extra.get(pos)?.id)
            }
        })
    }

    /// Opens one more instance of a socket tab and shows it. Returns its number in the log.
    pub fn open_instance(&mut self, kind: Kind) -> u16 {
        let id = self.next_tab;
        self.next_tab = self.next_tab.saturating_add(1);
        // The fixed tab is number 1 of its kind.
        let number = 2 + self.extra.iter().chain(&self.retired).filter(|i| i.kind == kind).count();
        self.extra.push(Instance::new(kind, id, number, &self.sink));
        self.active = TabId::Extra(id);
        id
    }

    /// Closes an instance: its workers are asked to stop and are joined as they end.
    pub fn close_instance(&mut self, id: u16) {
        let Some(pos) = self.extra.iter().position(|i| i.id == id) else { return };
        let mut inst = self.extra.remove(pos);
        inst.wire_mut().request_stop();
        let fixed = match inst.kind {
            Kind::Udp => TabId::Udp,
            Kind::TcpServer => TabId::TcpServer,
            Kind::TcpClient => TabId::TcpClient,
            Kind::Broadcast => TabId::Broadcast,
        };
        if self.active == TabId::Extra(id) {
            self.active = fixed;
        }
        self.also.retain(|t| *t != TabId::Extra(id));
        self.retired.push(inst);
    }

    fn view_menu(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        ui.label(egui::RichText::new(t.theme).strong());
        let before = self.theme;
        for th in [egui::ThemePreference::System, egui::ThemePreference::Light, egui::ThemePreference::Dark] {
            ui.radio_value(&mut self.theme, th, theme_name(t, th));
        }
        if self.theme != before && !self.presenting {
            ui.ctx().set_theme(self.theme);
        }
        ui.separator();
        let (used, _) = self.log_memory();
        ui.label(
            egui::RichText::new(crate::i18n::fill(t.memory_used, &[&human_bytes(used), &self.log_budget_mib])).strong(),
        );
        ui.label(t.memory_tip);
        let before = self.log_budget_mib;
        ui.horizontal(|ui| {
            let l = ui.label(t.memory_budget);
            ui.add(egui::DragValue::new(&mut self.log_budget_mib).range(16..=16_384).suffix(" MiB")).labelled_by(l.id);
        });
        if self.log_budget_mib != before {
            self.apply_budget();
        }
        ui.separator();
        self.together_menu(ui);
        ui.separator();
        if ui.button(t.about).clicked() {
            self.about = true;
            ui.close();
        }
    }

    /// Version, licenses and keys.
    fn about_window(&mut self, ctx: &egui::Context) {
        let t = self.lang.tr();
        let mut open = self.about;
        egui::Window::new(t.about).open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            ui.heading(format!("SockLab {}", env!("CARGO_PKG_VERSION")));
            ui.label(t.about_text);
            ui.separator();
            ui.label(t.about_licenses);
            ui.separator();
            ui.label(egui::RichText::new(t.about_keys).monospace());
        });
        self.about = open;
    }

    /// Large text and thick lines on a light theme for a projector, or back to normal.
    fn apply_presentation(&mut self, ctx: &egui::Context) {
        if self.presenting {
            ctx.set_zoom_factor(1.35);
            ctx.set_theme(egui::ThemePreference::Light);
            ctx.global_style_mut(|s| {
                s.visuals.widgets.noninteractive.bg_stroke.width = 1.5;
                s.visuals.widgets.inactive.fg_stroke.width = 1.5;
                s.visuals.override_text_color = Some(egui::Color32::BLACK);
            });
        } else {
            ctx.set_zoom_factor(1.0);
            ctx.set_theme(self.theme);
            ctx.global_style_mut(|s| s.visuals.override_text_color = None);
        }
    }

    /// Sets a lesson up: a TCP server on a free loopback port with the right auto-reply,
    /// started, and the TCP client pointed at it; the explanation says what to do next.
    pub fn set_up(&mut self, lesson: Lesson) {
        let reply = match lesson {
            Lesson::UpperEcho => crate::engine::ReplyMode::Upper,
            Lesson::HelloServer => crate::engine::ReplyMode::Hello,
            Lesson::StickyPackets => crate::engine::ReplyMode::None,
            Lesson::UdpChat => return self.set_up_udp_chat(),
            Lesson::BroadcastTwo => return self.set_up_broadcast_two(),
        };
        self.tcp_client.framing = "none".into();
        let addr = match self.tcp_server.listening_on() {
            // A running server keeps its port and gets the lesson's auto-reply.
            Some(a) => {
                self.tcp_server.use_reply(reply);
                a.to_string()
            }
            None => {
                // A free port below the ephemeral range, so it stays the same for the lesson.
                let port = (9000..9999).find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()).unwrap_or(0);
                self.tcp_server.bind = format!("127.0.0.1:{port}");
                self.tcp_server.framing = "none".into();
                self.tcp_server.use_reply(reply);
                self.tcp_server.start();
                self.tcp_server.bind.clone()
            }
        };
        self.tcp_client.server = addr.clone();
        self.active = TabId::TcpClient;
        self.also.clear();
        if lesson == Lesson::HelloServer {
            // Three clients, like the tutorial's threaded server with several users.
            let have = self.extra.iter().filter(|i| i.kind == Kind::TcpClient).count();
            for _ in have..2 {
                self.open_instance(Kind::TcpClient);
            }
            for i in self.extra.iter_mut() {
                if let Tab::TcpClient(c) = &mut i.tab {
                    c.server = addr.clone();
                }
            }
            // The server and the three clients on one screen.
            self.active = TabId::TcpServer;
            self.also = vec![TabId::TcpClient];
            self.also.extend(self.extra.iter().filter(|i| i.kind == Kind::TcpClient).map(|i| TabId::Extra(i.id)));
            self.also.truncate(MAX_PANES - 1);
            self.arrange = Arrange::Grid;
        }
        self.lesson = Some(lesson);
    }

    /// The tutorial's chat room: two UDP sockets on free loopback ports, each sending to the
    /// other, side by side.
    fn set_up_udp_chat(&mut self) {
        let free = |skip: u16| {
            (9000..9999).find(|p| *p != skip && std::net::UdpSocket::bind(("127.0.0.1", *p)).is_ok()).unwrap_or(0)
        };
        let a = free(0);
        let b = free(a);
        if self.udp.running() {
            self.udp.stop();
        }
        self.udp.bind = format!("127.0.0.1:{a}");
        self.udp.remote = format!("127.0.0.1:{b}");
        self.udp.start();
        let id = self.open_instance(Kind::Udp);
        if let Some(Tab::Udp(u)) = self.extra.iter_mut().find(|i| i.id == id).map(|i| &mut i.tab) {
            u.bind = format!("127.0.0.1:{b}");
            u.remote = format!("127.0.0.1:{a}");
            u.start();
        }
        self.active = TabId::Udp;
        self.also = vec![TabId::Extra(id)];
        self.arrange = Arrange::Columns;
        self.lesson = Some(Lesson::UdpChat);
    }

    /// Two broadcast receivers sharing one port (SO_REUSEADDR), side by side.
    fn set_up_broadcast_two(&mut self) {
        let port = (9000..9999).find(|p| std::net::UdpSocket::bind(("0.0.0.0", *p)).is_ok()).unwrap_or(0);
        let port = port.to_string();
        self.broadcast.listen_port = port.clone();
        self.broadcast.dest_port = port.clone();
        self.broadcast.start_receiver();
        let id = self.open_instance(Kind::Broadcast);
        if let Some(Tab::Broadcast(b)) = self.extra.iter_mut().find(|i| i.id == id).map(|i| &mut i.tab) {
            b.listen_port = port.clone();
            b.dest_port = port;
            b.start_receiver();
        }
        self.active = TabId::Broadcast;
        self.also = vec![TabId::Extra(id)];
        self.arrange = Arrange::Columns;
        self.lesson = Some(Lesson::BroadcastTwo);
    }

    fn lesson_panel(&mut self, ui: &mut egui::Ui) {
        let Some(l) = self.lesson else { return };
        let t = self.lang.tr();
        let text = match l {
            Lesson::UpperEcho => t.lesson_upper_text,
            Lesson::HelloServer => t.lesson_hello_text,
            Lesson::StickyPackets => t.lesson_sticky_text,
            Lesson::UdpChat => t.lesson_chat_text,
            Lesson::BroadcastTwo => t.lesson_broadcast_text,
        };
        // The sticky-packet lesson names how long its server may hold its reads.
        let text = crate::i18n::fill(text, &[&crate::engine::tcp_server::HOLD_READS_MAX.as_secs()]);
        egui::Frame::group(ui.style()).fill(super::widgets::BLUE.gamma_multiply(0.15)).show(ui, |ui| {
            // The button first: a long explanation wraps instead of pushing it off the edge.
            ui.horizontal(|ui| {
                if ui.small_button(t.close_detail).clicked() {
                    self.lesson = None;
                }
                ui.add(egui::Label::new(egui::RichText::new(text)).wrap());
            });
        });
    }

    /// Runs the sticky-packet demos clicked this frame. A client connected to one of this app's
    /// TCP servers first has that server hold its reads of the connection until all the demo's
    /// bytes have landed (at most `HOLD_READS_MAX`), so they always arrive merged: one recv().
    /// The hold is queued before the sends, and the server takes commands before it reads.
    fn sticky_demos(&mut self) {
        let lang = self.lang;
        let mut clients: Vec<&mut TcpClientTab> = vec![&mut self.tcp_client];
        let mut servers: Vec<&mut TcpServerTab> = vec![&mut self.tcp_server];
        for i in self.extra.iter_mut() {
            match &mut i.tab {
                Tab::TcpClient(c) => clients.push(c),
                Tab::TcpServer(s) => servers.push(s),
                _ => {}
            }
        }
        for c in clients {
            if !c.take_demo() {
                continue;
            }
            if let Some(local) = c.local_addr() {
                let bytes = c.demo_bytes(lang);
                if let Some((s, conn)) = servers.iter_mut().find_map(|s| s.conn_of(local).map(|id| (s, id))) {
                    s.hold_reads(conn, bytes);
                }
            }
            c.sticky_demo(lang);
        }
    }

    /// Puts `ip` into the local address of the UDP and TCP Server tabs, keeping their ports.
    fn use_address(&mut self, ip: std::net::IpAddr) {
        for field in [&mut self.udp.bind, &mut self.tcp_server.bind] {
            let port = field.trim().rsplit_once(':').map_or("0", |(_, p)| p).to_string();
            *field = std::net::SocketAddr::new(ip, port.parse().unwrap_or(0)).to_string();
        }
    }

    /// Loads saved settings (the language only if `--lang` did not choose one) and remembers
    /// where to save them.
    pub fn restore(&mut self, ctx: &egui::Context, path: std::path::PathBuf, lang_given: bool) {
        use super::settings::{Loaded, load};
        let loaded = load(&path);
        let may_save = loaded.may_save();
        let t = self.lang.tr();
        match loaded {
            Loaded::Fresh => {}
            Loaded::Ok(s) => {
                if let (false, Some(l)) = (lang_given, s.lang) {
                    self.lang = l;
                }
                self.theme = match s.theme.as_str() {
                    "light" => egui::ThemePreference::Light,
                    "dark" => egui::ThemePreference::Dark,
                    _ => egui::ThemePreference::System,
                };
                ctx.set_theme(self.theme);
                if let Some(b) = s.log_budget_mib {
                    self.log_budget_mib = b.clamp(16, 16_384);
                    self.apply_budget();
                }
                let fields = [
                    (&mut self.udp.bind, s.udp_bind),
                    (&mut self.udp.remote, s.udp_remote),
                    (&mut self.tcp_server.bind, s.tcp_server_bind),
                    (&mut self.tcp_client.server, s.tcp_client_server),
                    (&mut self.broadcast.listen_port, s.broadcast_port),
                ];
                for (field, saved) in fields {
                    if let Some(v) = saved {
                        *field = v;
                    }
                }
                // The instances come back stopped, with their addresses.
                for si in s.instances.iter().take(64) {
                    let id = self.open_instance(si.kind);
                    if let Some(i) = self.extra.iter_mut().find(|i| i.id == id) {
                        i.restore(si);
                    }
                }
                self.active = TabId::Udp;
                // Older settings files name one tab in side_by_side.
                let names = if s.also.is_empty() { s.side_by_side.into_iter().collect() } else { s.also };
                self.also = names.iter().filter_map(|n| self.tab_by_name(n)).take(MAX_PANES - 1).collect();
                self.arrange = s.arrange;
            }
            Loaded::Corrupt { why, backup: Ok(backup) } => {
                let why = settings_why(self.lang, &why);
                self.settings_notice = Some(crate::i18n::fill(t.settings_corrupt, &[&why, &backup.display()]));
            }
            Loaded::Corrupt { why, backup: Err(e) } => {
                let why = settings_why(self.lang, &why);
                let bak = super::settings::backup_path(&path);
                self.settings_notice = Some(crate::i18n::fill(t.settings_no_backup, &[&why, &bak.display(), &e]));
            }
            Loaded::Unusable { why } => {
                let why = settings_why(self.lang, &why);
                self.settings_notice = Some(crate::i18n::fill(t.settings_unusable, &[&path.display(), &why]));
            }
        }
        // Saved packets live next to the settings.
        if let Some(dir) = path.parent() {
            let (packets, notice) = super::saved::SavedPackets::load(dir.join("packets.json"));
            self.packets = std::cell::RefCell::new(packets);
            if let Some(n) = notice {
                let n = crate::i18n::fill(self.lang.tr().saved_corrupt, &[&n]);
                self.settings_notice = Some(match self.settings_notice.take() {
                    Some(s) => format!("{s}\n{n}"),
                    None => n,
                });
            }
        }
        // A file that could not be read and could not be set aside is not overwritten.
        self.settings_path = may_save.then_some(path);
    }

    /// Writes the settings file (at exit).
    pub fn save_settings(&self) {
        let Some(path) = &self.settings_path else { return };
        let s = super::settings::Settings {
            lang: Some(self.lang),
            theme: match self.theme {
                egui::ThemePreference::Light => "light",
                egui::ThemePreference::Dark => "dark",
                egui::ThemePreference::System => "system",
            }
            .into(),
            log_budget_mib: Some(self.log_budget_mib),
            udp_bind: Some(self.udp.bind.clone()),
            udp_remote: Some(self.udp.remote.clone()),
            tcp_server_bind: Some(self.tcp_server.bind.clone()),
            tcp_client_server: Some(self.tcp_client.server.clone()),
            broadcast_port: Some(self.broadcast.listen_port.clone()),
            instances: self.extra.iter().map(Instance::saved).collect(),
            side_by_side: None,
            also: self.also.iter().filter_map(|id| self.tab_name(*id)).collect(),
            arrange: self.arrange,
        };
        if let Err(e) = super::settings::save(path, &s) {
            eprintln!("socklab: cannot save settings to {}: {e}", path.display());
        }
    }

    /// Gives the shared log its budget (an opened file gets the same, separately).
    fn apply_budget(&mut self) {
        let bytes = self.log_budget_mib.max(1) * 1024 * 1024;
        self.log.set_budget(bytes);
        self.viewer.store.set_budget(bytes);
    }

    /// Memory in use by the logs, and how many rows were dropped to stay within the budget.
    fn log_memory(&mut self) -> (usize, u64) {
        (self.log.memory() + self.viewer.store.memory(), self.log.evicted() + self.viewer.store.evicted())
    }

    /// The opened instances, with their colour and a close button.
    fn instances_bar(&mut self, ui: &mut egui::Ui) {
        if self.extra.is_empty() {
            return;
        }
        let t = self.lang.tr();
        let mut close = None;
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(t.instances).weak());
            for i in &self.extra {
                let name = i.name(self.lang);
                let text = egui::RichText::new(&name).size(15.0).color(i.color);
                ui.selectable_value(&mut self.active, TabId::Extra(i.id), text);
                let l = format!("{} {name}", t.close_instance);
                if ui.small_button("x").on_hover_text(&l).clicked() {
                    close = Some(i.id);
                }
                ui.separator();
            }
        });
        if let Some(id) = close {
            self.close_instance(id);
        }
    }

    /// Which tabs show together with the active one, and how they are arranged.
    fn together_menu(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        ui.label(egui::RichText::new(t.side_by_side).strong()).on_hover_text(t.side_by_side_tip);
        let mut choices = vec![
            (TabId::Udp, t.tab_udp.to_string()),
            (TabId::TcpServer, t.tab_tcp_server.to_string()),
            (TabId::TcpClient, t.tab_tcp_client.to_string()),
            (TabId::Broadcast, t.tab_broadcast.to_string()),
            (TabId::Files, t.tab_files.to_string()),
        ];
        choices.extend(self.extra.iter().map(|i| (TabId::Extra(i.id), i.name(self.lang))));
        choices.push((TabId::All, t.tab_all.to_string()));
        choices.push((TabId::Addresses, t.tab_addresses.to_string()));
        let full = self.also.len() >= MAX_PANES - 1;
        for (id, name) in choices {
            let mut on = id == self.active || self.also.contains(&id);
            let enabled = id != self.active && (on || !full);
            let r = ui.add_enabled(enabled, egui::Checkbox::new(&mut on, name));
            let r =
                if full && !on { r.on_disabled_hover_text(crate::i18n::fill(t.panes_full, &[&MAX_PANES])) } else { r };
            if r.changed() {
                if on {
                    self.also.push(id);
                } else {
                    self.also.retain(|a| *a != id);
                }
            }
        }
        if ui.add_enabled(!self.also.is_empty(), egui::Button::new(t.side_by_side_none)).clicked() {
            self.also.clear();
        }
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(t.arrange);
            for a in Arrange::ALL {
                let name = match a {
                    Arrange::Columns => t.arrange_columns,
                    Arrange::Rows => t.arrange_rows,
                    Arrange::Grid => t.arrange_grid,
                };
                ui.radio_value(&mut self.arrange, a, name).labelled_by(l.id);
            }
        });
    }

    /// A pane's title: the tab's name in its colour in the log.
    fn pane_title(&self, id: TabId) -> (String, egui::Color32) {
        let t = self.lang.tr();
        let infos = self.tab_infos();
        let by_number = |n: u16| infos.iter().find(|i| i.id == n).map(|i| (i.name.clone(), i.color));
        let found = match id {
            TabId::Udp => by_number(TAB_UDP),
            TabId::TcpServer => by_number(TAB_TCP_SERVER),
            TabId::TcpClient => by_number(TAB_TCP_CLIENT),
            TabId::Broadcast => by_number(TAB_BROADCAST),
            TabId::Files => by_number(TAB_FILES),
            TabId::Extra(n) => by_number(n),
            TabId::All => None,
            TabId::Viewer => Some((t.tab_viewer.to_string(), egui::Color32::GRAY)),
            TabId::Addresses => Some((t.tab_addresses.to_string(), egui::Color32::GRAY)),
        };
        found.unwrap_or_else(|| (t.tab_all.to_string(), egui::Color32::GRAY))
    }

    fn tab_bar(&mut self, ui: &mut egui::Ui) {
        // The menus keep their place on the right; the tabs take the rest of the width and wrap
        // to a second row when the window (or the zoom) leaves them too little.
        let right_to_left = egui::Layout::right_to_left(egui::Align::Min);
        ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), 0.0), right_to_left, |ui| {
            self.menus(ui);
            let wrap = egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true);
            ui.with_layout(wrap, |ui| self.tabs(ui));
        });
    }

    fn tabs(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        ui.heading("SockLab");
        ui.separator();
        for (id, name) in [
            (TabId::Udp, t.tab_udp),
            (TabId::TcpServer, t.tab_tcp_server),
            (TabId::TcpClient, t.tab_tcp_client),
            (TabId::Broadcast, t.tab_broadcast),
            (TabId::Files, t.tab_files),
            (TabId::All, t.tab_all),
            (TabId::Viewer, t.tab_viewer),
            (TabId::Addresses, t.tab_addresses),
        ] {
            let text = egui::RichText::new(name).size(16.0);
            ui.selectable_value(&mut self.active, id, text);
        }
        let plus = ui.menu_button(egui::RichText::new("+").size(16.0), |ui| {
            for k in Kind::ALL {
                if ui.button(crate::i18n::fill(t.new_instance, &[&k.name(self.lang)])).clicked() {
                    self.open_instance(k);
                    ui.close();
                }
            }
        });
        plus.response.on_hover_text(t.new_instance_tip);
    }

    /// View, Lessons, Present and the language, right to left.
    fn menus(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        // View menu: theme and log memory. Language and presentation stay one click away.
        ui.menu_button(t.view_menu, |ui| self.view_menu(ui));
        ui.menu_button(t.lessons, |ui| {
            for (l, name) in [
                (Lesson::UpperEcho, t.lesson_upper),
                (Lesson::HelloServer, t.lesson_hello),
                (Lesson::StickyPackets, t.lesson_sticky),
                (Lesson::UdpChat, t.lesson_chat),
                (Lesson::BroadcastTwo, t.lesson_broadcast),
            ] {
                if ui.button(name).clicked() {
                    self.set_up(l);
                    ui.close();
                }
            }
        });
        let label = if self.presenting { t.presenting_off } else { t.presenting_on };
        if ui.selectable_label(self.presenting, label).on_hover_text(t.presenting_tip).clicked() {
            self.presenting = !self.presenting;
            self.apply_presentation(ui.ctx());
        }
        let combo = egui::ComboBox::from_id_salt("language").selected_text(self.lang.native_name()).show_ui(ui, |ui| {
            for l in Lang::ALL {
                ui.selectable_value(&mut self.lang, l, l.native_name());
            }
        });
        let label = ui.label(t.language);
        combo.response.labelled_by(label.id);
    }
}

impl eframe::App for SockLabApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.drain(Instant::now() + DRAIN_BUDGET) {
            ctx.request_repaint();
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        super::widgets::set_ui_lang(ui.ctx(), self.lang);
        // F11 or Ctrl+Shift+P toggles presentation mode (Ctrl +/-/0 zoom is built in).
        let toggle = ui.input_mut(|i| {
            i.consume_key(egui::Modifiers::NONE, egui::Key::F11)
                || i.consume_key(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::P)
        });
        if toggle {
            self.presenting = !self.presenting;
            self.apply_presentation(ui.ctx());
        }
        if self.about {
            self.about_window(ui.ctx());
        }
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.add_space(4.0);
            self.tab_bar(ui);
            self.instances_bar(ui);
            ui.add_space(2.0);
            let mut dismiss = false;
            if let Some(n) = &self.settings_notice {
                // The button first: a long notice wraps instead of pushing it off the edge.
                ui.horizontal(|ui| {
                    dismiss = ui.small_button(self.lang.tr().notice_ok).clicked();
                    ui.add(egui::Label::new(egui::RichText::new(n).color(super::widgets::AMBER)).wrap());
                });
            }
            if dismiss {
                self.settings_notice = None;
            }
            self.lesson_panel(ui);
        });
        // The active tab first, then the ones shown with it.
        let mut shown = vec![self.active];
        shown.extend(self.also.iter().filter(|id| **id != self.active));
        shown.truncate(MAX_PANES);
        let titles: Vec<_> =
            if shown.len() > 1 { shown.iter().map(|id| self.pane_title(*id)).collect() } else { vec![] };
        let (active, arrange) = (self.active, self.arrange);
        let tabs = self.tab_infos();
        self.packets.borrow_mut().window(ui.ctx(), self.lang);
        let shared = Shared { store: &self.log, tabs: &tabs, packets: &self.packets };
        let lang = self.lang;
        let mut use_ip = None;
        let mut tabs = TabsMut {
            udp: &mut self.udp,
            tcp_server: &mut self.tcp_server,
            tcp_client: &mut self.tcp_client,
            broadcast: &mut self.broadcast,
            files: &mut self.files,
            extra: &mut self.extra,
            all: &mut self.all,
            viewer: &mut self.viewer,
            addresses: &mut self.addresses,
        };
        let t = lang.tr();
        let mut hide = None;
        egui::CentralPanel::default().show(ui, |ui| {
            if shown.len() == 1 {
                use_ip = tabs.show(active, ui, lang, shared);
                return;
            }
            let area = ui.available_rect_before_wrap();
            let rects = layout::panes(area, shown.len(), arrange);
            for (i, (id, rect)) in shown.iter().zip(rects).enumerate() {
                let builder = egui::UiBuilder::new().max_rect(rect).id_salt(("pane", i)).layout(*ui.layout());
                ui.scope_builder(builder, |ui| {
                    ui.set_clip_rect(rect.intersect(ui.clip_rect()));
                    let (name, color) = &titles[i];
                    ui.horizontal(|ui| {
                        ui.label(egui::RichText::new(name).strong().color(*color));
                        if i > 0 && ui.small_button(t.hide_pane).on_hover_text(t.hide_pane_tip).clicked() {
                            hide = Some(*id);
                        }
                    });
                    ui.separator();
                    // A pane too low for the tab's settings and its log scrolls, so the log
                    // keeps a readable height below the settings.
                    let shown = if ui.available_height() < layout::MIN_PANE_HEIGHT {
                        egui::ScrollArea::vertical()
                            .id_salt(("pane-scroll", i))
                            .auto_shrink(false)
                            .show(ui, |ui| {
                                ui.set_min_height(layout::MIN_PANE_HEIGHT);
                                ui.set_max_height(layout::MIN_PANE_HEIGHT);
                                tabs.show(*id, ui, lang, shared)
                            })
                            .inner
                    } else {
                        tabs.show(*id, ui, lang, shared)
                    };
                    if let Some(ip) = shown {
                        use_ip = Some(ip);
                    }
                });
                // A line between neighbouring panes.
                let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
                if rect.max.x + layout::GAP < area.max.x {
                    let x = rect.max.x + layout::GAP / 2.0;
                    ui.painter().vline(x, rect.y_range(), stroke);
                }
                if rect.max.y + layout::GAP < area.max.y {
                    let y = rect.max.y + layout::GAP / 2.0;
                    ui.painter().hline(rect.x_range(), y, stroke);
                }
            }
            ui.allocate_rect(area, egui::Sense::hover());
        });
        if let Some(id) = hide {
            self.also.retain(|a| *a != id);
        }
        self.sticky_demos();
        if let Some(ip) = use_ip {
            self.use_address(ip);
        }
    }

    fn on_exit(&mut self) {
        self.save_settings();
        self.shutdown();
    }
}

impl SockLabApp {
    /// Moves events from the workers into the shared log, in the order they were sent, until
    /// `until`; each tab sees its own events first. Returns true if events are still waiting.
    pub fn drain(&mut self, until: Instant) -> bool {
        let mut n = 0u32;
        let mut more = false;
        while let Ok(ev) = self.events.try_recv() {
            match ev.tab {
                TAB_UDP => self.udp.seen(&ev),
                TAB_TCP_SERVER => self.tcp_server.seen(&ev),
                TAB_TCP_CLIENT => self.tcp_client.seen(&ev),
                TAB_BROADCAST => self.broadcast.seen(&ev),
                TAB_FILES => self.files.seen(&ev),
                id => {
                    if let Some(i) = self.extra.iter_mut().chain(&mut self.retired).find(|i| i.id == id) {
                        i.seen(&ev);
                    }
                }
            }
            self.log.push(ev);
            n += 1;
            if n.is_multiple_of(256) && Instant::now() >= until {
                more = !self.events.is_empty();
                break;
            }
        }
        for w in self.wires_mut() {
            w.tick();
        }
        self.files.tick();
        more
    }

    fn wires_mut(&mut self) -> Vec<&mut super::widgets::Wire> {
        let mut v = vec![
            &mut self.udp.wire,
            &mut self.tcp_server.wire,
            &mut self.tcp_client.wire,
            &mut self.broadcast.wire,
            &mut self.files.wire,
        ];
        v.extend(self.extra.iter_mut().chain(&mut self.retired).map(Instance::wire_mut));
        v
    }

    /// Stops and joins every worker of every tab.
    pub fn shutdown(&mut self) {
        self.files.shutdown();
        for w in self.wires_mut() {
            w.request_stop();
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            // Keep the channel moving so no worker waits on a full queue.
            while self.events.try_recv().is_ok() {}
            if self.wires_mut().iter().all(|w| w.all_finished()) || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        for w in self.wires_mut() {
            w.join();
        }
    }
}

impl Drop for SockLabApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Why the settings file could not be used, in words.
fn settings_why(lang: Lang, why: &super::settings::Why) -> String {
    use super::settings::{MAX_FIELD_BYTES, MAX_FILE_BYTES, Why};
    let t = lang.tr();
    match why {
        Why::NotJson(e) => crate::i18n::fill(t.settings_why_json, &[e]),
        Why::NotUtf8 { valid_up_to } => crate::i18n::fill(t.settings_why_utf8, &[valid_up_to]),
        Why::FieldTooLong { field, bytes } => crate::i18n::fill(t.settings_why_long, &[field, bytes, &MAX_FIELD_BYTES]),
        Why::FileTooBig { bytes } => crate::i18n::fill(t.settings_why_big, &[bytes, &MAX_FILE_BYTES]),
        Why::NotAFile => t.settings_why_not_file.to_string(),
        Why::Unreadable(e) => e.clone(),
    }
}

/// `512 B`, `12.3 KiB`, `4.5 MiB`.
fn human_bytes(n: usize) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{:.1} MiB", f / KIB / KIB)
    }
}

fn theme_name(t: &crate::i18n::Tr, th: egui::ThemePreference) -> &'static str {
    match th {
        egui::ThemePreference::System => t.theme_system,
        egui::ThemePreference::Light => t.theme_light,
        egui::ThemePreference::Dark => t.theme_dark,
    }
}

/// The tabs, borrowed apart from the log and the saved packets that `Shared` borrows.
struct TabsMut<'a> {
    udp: &'a mut UdpTab,
    tcp_server: &'a mut TcpServerTab,
    tcp_client: &'a mut TcpClientTab,
    broadcast: &'a mut BroadcastTab,
    files: &'a mut FilesTab,
    extra: &'a mut Vec<Instance>,
    all: &'a mut AllTab,
    viewer: &'a mut ViewerTab,
    addresses: &'a mut AddressesTab,
}

impl TabsMut<'_> {
    /// Shows one tab; returns an address the Addresses tab asked to use.
    fn show(&mut self, id: TabId, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) -> Option<std::net::IpAddr> {
        match id {
            TabId::Udp => self.udp.ui(ui, lang, shared),
            TabId::TcpServer => self.tcp_server.ui(ui, lang, shared),
            TabId::TcpClient => self.tcp_client.ui(ui, lang, shared),
            TabId::Broadcast => self.broadcast.ui(ui, lang, shared),
            TabId::Files => self.files.ui(ui, lang, shared),
            TabId::Extra(n) => {
                if let Some(i) = self.extra.iter_mut().find(|i| i.id == n) {
                    i.ui(ui, lang, shared);
                }
            }
            TabId::All => self.all.ui(ui, lang, shared),
            TabId::Viewer => self.viewer.ui(ui, lang),
            TabId::Addresses => return self.addresses.ui(ui, lang),
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(512), "512 B");
        assert_eq!(super::human_bytes(12_600), "12.3 KiB");
        assert_eq!(super::human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
