//! The app: a tab bar and the active tab. Events are drained in `logic`, within a time budget.
//! Its other jobs are methods in the files beside this one: the lessons, the menus and bars,
//! the panes shown side by side, files dropped on the window, and the settings saved at exit.

mod drop;
mod lessons;
mod menus;
mod panes;
mod persist;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{Event, EventSink, Notify};
use crate::i18n::Lang;
use crate::ui::instances::{Instance, Kind};
use crate::ui::layout::Arrange;
use crate::ui::logs::TabInfo;
use crate::ui::tabs::addresses::AddressesTab;
use crate::ui::tabs::all::AllTab;
use crate::ui::tabs::broadcast::BroadcastTab;
use crate::ui::tabs::files::FilesTab;
use crate::ui::tabs::relay::RelayTab;
use crate::ui::tabs::tcp_client::TcpClientTab;
use crate::ui::tabs::tcp_server::TcpServerTab;
use crate::ui::tabs::udp::UdpTab;
use crate::ui::tabs::viewer::ViewerTab;
use crate::ui::tabs::wire::Wire;
use crate::ui::widgets;

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
    /// TCP is a stream: the upper-case server behind a relay that slices every send.
    StreamSlicer,
    /// UDP is not reliable: two UDP sockets talking through a relay that loses datagrams.
    UdpLoss,
    /// What TLS adds: the upper-case server and client in plain TCP and in TLS, side by side.
    TlsAdds,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TabId {
    Udp,
    TcpServer,
    TcpClient,
    Broadcast,
    Files,
    Relay,
    /// One more instance of a socket tab, by its number in the log.
    Extra(u16),
    All,
    Viewer,
    Addresses,
    /// Load tests.
    Load,
}

/// The log memory budget the app starts with, shared by its tabs.
pub const DEFAULT_LOG_BUDGET_MIB: usize = 256;

/// Numbers of the tabs in the shared log (each event carries one).
pub const TAB_UDP: u16 = 1;
pub const TAB_TCP_SERVER: u16 = 2;
pub const TAB_TCP_CLIENT: u16 = 3;
pub const TAB_BROADCAST: u16 = 4;
pub const TAB_FILES: u16 = 5;
pub const TAB_RELAY: u16 = 6;

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
    pub packets: std::cell::RefCell<crate::ui::tabs::saved::SavedPackets>,
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
    pub relay: RelayTab,
    pub all: AllTab,
    pub viewer: ViewerTab,
    pub addresses: AddressesTab,
    pub load: crate::ui::tabs::load::LoadTab,
}

impl SockLabApp {
    /// `lang`: from `--lang`; otherwise the system locale.
    pub fn new(cc: &eframe::CreationContext<'_>, lang: Option<Lang>) -> SockLabApp {
        crate::ui::fonts::install(&cc.egui_ctx);
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
            relay: RelayTab::new(&sink, TAB_RELAY),
            extra: Vec::new(),
            retired: Vec::new(),
            next_tab: TAB_RELAY + 1,
            also: Vec::new(),
            arrange: Arrange::Columns,
            sink,
            events,
            all: AllTab::default(),
            viewer: ViewerTab::default(),
            addresses: AddressesTab::default(),
            load: Default::default(),
        };
        app.apply_budget();
        app
    }

    /// Opens captures or logs in the Open log tab and shows it (the command line's files, files
    /// dropped on the window).
    pub fn open_files(&mut self, ctx: &egui::Context, files: Vec<std::path::PathBuf>) {
        // The viewer shows one file at a time: the last one given.
        if let Some(path) = files.into_iter().last() {
            self.viewer.open(path, ctx);
            self.active = TabId::Viewer;
        }
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
            info(TAB_RELAY, t.tab_relay, egui::Color32::from_rgb(0x45, 0x5a, 0x64)),
        ];
        for i in self.extra.iter().chain(&self.retired) {
            v.push(TabInfo { id: i.id, name: i.name(self.lang), color: i.color });
        }
        v
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
            Kind::Relay => TabId::Relay,
        };
        if self.active == TabId::Extra(id) {
            self.active = fixed;
        }
        self.also.retain(|t| *t != TabId::Extra(id));
        self.retired.push(inst);
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
}

impl eframe::App for SockLabApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.drain(Instant::now() + DRAIN_BUDGET) {
            ctx.request_repaint();
        }
        // A load test reports whether its tab is shown or not.
        if self.load.poll() {
            ctx.request_repaint();
        }
        if self.load.running() {
            // The elapsed seconds in the status line.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        widgets::set_ui_lang(ui.ctx(), self.lang);
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
                    ui.add(egui::Label::new(egui::RichText::new(n).color(widgets::AMBER)).wrap());
                });
            }
            if dismiss {
                self.settings_notice = None;
            }
            self.lesson_panel(ui);
        });
        let use_ip = self.panes(ui);
        self.drop_ui(ui.ctx());
        self.sticky_demos();
        self.lesson_connects();
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
                TAB_RELAY => self.relay.seen(&ev),
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

    fn wires_mut(&mut self) -> Vec<&mut Wire> {
        let mut v = vec![
            &mut self.udp.wire,
            &mut self.tcp_server.wire,
            &mut self.tcp_client.wire,
            &mut self.broadcast.wire,
            &mut self.files.wire,
            &mut self.relay.wire,
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
