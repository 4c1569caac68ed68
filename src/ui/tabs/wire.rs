//! A tab's link to the app: the shared log it reads ([`Shared`]), the wire to its workers
//! ([`Wire`]) and the status line under its settings.

use egui::{Color32, RichText};

use crate::codec::Encoding;
use crate::engine::{Event, EventKind, EventSink, Problem, WorkerHandle};
use crate::i18n::{self, Lang};
use crate::log::{Counters, LogStore};
use crate::ui::job::Job;
use crate::ui::logs::{LogView, TabInfo};
use crate::ui::widgets::theme::RED;

/// What every tab reads from the app: the shared log and how tabs are named in it.
#[derive(Clone, Copy)]
pub struct Shared<'a> {
    pub store: &'a LogStore,
    pub tabs: &'a [TabInfo],
    pub packets: &'a std::cell::RefCell<crate::ui::tabs::saved::SavedPackets>,
}

/// A tab's link to its workers: the sink they send on (tagged with the tab's number; the app
/// owns the one channel every tab shares, so the log keeps the order things happened in), the
/// workers it started, and its view of the shared log.
pub struct Wire {
    /// The tab's number in the shared log.
    pub tab: u16,
    sink: EventSink,
    /// Source number for the next worker, so connection ids of different workers never mix.
    next_source: u16,
    pub workers: Vec<WorkerHandle>,
    pub log: LogView,
    /// The latest problem, shown under the settings until the user acts again.
    pub error: Option<Problem>,
    /// For "port in use": the socket that holds the port, when visible.
    pub error_detail: Option<String>,
    /// Looks up `error_detail` off the UI thread (it scans /proc).
    detail_job: Option<Job<Option<String>>>,
    pub encoding: Encoding,
    /// The counters when the user last reset them; the status line shows what came since.
    baseline: Counters,
}

impl Wire {
    /// `sink`: the app's event channel; the wire tags it with `tab`.
    pub fn new(sink: &EventSink, tab: u16) -> Wire {
        Wire {
            tab,
            sink: sink.with_tab(tab),
            next_source: 100,
            workers: Vec::new(),
            log: LogView::for_tab(tab),
            error: None,
            error_detail: None,
            detail_job: None,
            encoding: Encoding::Utf8,
            baseline: Counters::default(),
        }
    }

    /// A sink for a new worker, tagged with a source number no earlier worker of this tab had.
    pub fn fresh_sink(&mut self) -> EventSink {
        self.next_source = self.next_source.wrapping_add(1).max(100);
        self.sink.with_source(self.next_source)
    }

    /// A sink tagged with a fixed source number (below 100).
    pub fn sink_with_source(&self, source: u16) -> EventSink {
        self.sink.with_source(source)
    }

    /// This tab's counters in the shared log.
    pub fn counters(&self, store: &LogStore) -> Counters {
        store.tab(self.tab).map(|t| t.counters).unwrap_or_default()
    }

    /// The counters since the user last reset them (connections open now are counted as they
    /// are: they are not history).
    pub fn shown_counters(&self, store: &LogStore) -> Counters {
        let (c, b) = (self.counters(store), &self.baseline);
        Counters {
            rx_packets: c.rx_packets.saturating_sub(b.rx_packets),
            rx_bytes: c.rx_bytes.saturating_sub(b.rx_bytes),
            tx_packets: c.tx_packets.saturating_sub(b.tx_packets),
            tx_bytes: c.tx_bytes.saturating_sub(b.tx_bytes),
            connections: c.connections.saturating_sub(b.connections),
            open_connections: c.open_connections,
            errors: c.errors.saturating_sub(b.errors),
            up_bytes: c.up_bytes.saturating_sub(b.up_bytes),
            down_bytes: c.down_bytes.saturating_sub(b.down_bytes),
            up_datagrams: c.up_datagrams.saturating_sub(b.up_datagrams),
            down_datagrams: c.down_datagrams.saturating_sub(b.down_datagrams),
            dropped: c.dropped.saturating_sub(b.dropped),
            duplicated: c.duplicated.saturating_sub(b.duplicated),
            reordered: c.reordered.saturating_sub(b.reordered),
        }
    }

    /// Starts the shown counters from zero (the log and its exact totals stay as they are).
    pub fn reset_counters(&mut self, store: &LogStore) {
        self.baseline = self.counters(store);
    }

    /// Shows this tab's view of the shared log.
    pub fn log_ui(&mut self, ui: &mut egui::Ui, shared: Shared<'_>, lang: Lang, id: &str) {
        self.log.ui(ui, shared.store, shared.tabs, lang, self.encoding, id);
    }

    /// Notes an event of this tab's workers (before it goes into the log): errors are shown
    /// under the settings.
    pub fn seen(&mut self, ev: &Event) {
        let EventKind::Error(p) = &ev.kind else { return };
        self.error = Some(p.clone());
        self.error_detail = None;
        self.detail_job = match *p {
            Problem::AddrInUse(a) => {
                let (tcp, sink) = (ev.proto == crate::engine::Proto::Tcp, self.sink.clone());
                // The sink's flush repaints, to show it.
                Job::spawn("port-holder", move || sink.flush(), move || port_holder(a, tcp)).ok()
            }
            _ => None,
        };
    }

    /// Once per frame: collects finished workers and the port-holder lookup.
    pub fn tick(&mut self) {
        if let Some(done) = self.detail_job.as_mut().and_then(Job::poll) {
            self.detail_job = None;
            self.error_detail = done.ok().flatten();
        }
        self.workers.retain_mut(|w| {
            if w.is_finished() {
                w.join();
                false
            } else {
                true
            }
        });
    }

    /// Asks every worker to stop (at app exit); [`Wire::join`] waits for them.
    pub fn request_stop(&self) {
        for w in &self.workers {
            w.request_stop();
        }
    }

    pub fn all_finished(&self) -> bool {
        self.workers.iter().all(|w| w.is_finished())
    }

    pub fn join(&mut self) {
        for w in &mut self.workers {
            w.join();
        }
        self.workers.clear();
    }
}

/// The status line: a coloured state, the counters, and the latest error.
pub fn status_line(
    ui: &mut egui::Ui,
    lang: Lang,
    state: &str,
    color: Color32,
    wire: &mut Wire,
    shared: Shared<'_>,
    extra: Option<String>,
) {
    let t = lang.tr();
    let c = wire.shown_counters(shared.store);
    ui.horizontal_wrapped(|ui| {
        // First in the row: the state and the counters that follow change length as traffic
        // comes, so the button never moves under the pointer.
        if ui.small_button(t.reset_counters).on_hover_text(t.reset_counters_tip).clicked() {
            wire.reset_counters(shared.store);
        }
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 5.0, color);
        ui.label(RichText::new(state).strong());
        ui.separator();
        ui.label(
            RichText::new(i18n::fill(t.counters, &[&c.rx_packets, &c.rx_bytes, &c.tx_packets, &c.tx_bytes]))
                .monospace(),
        );
        if let Some(x) = extra {
            ui.separator();
            ui.label(x);
        }
    });
    if let Some(p) = &wire.error {
        ui.colored_label(RED, i18n::problem(lang, p));
        if let (Problem::AddrInUse(_), Some(d)) = (p, &wire.error_detail) {
            ui.colored_label(RED, i18n::fill(t.port_held_by, &[d]));
        }
    }
}

/// For "port in use": which socket of this machine holds the port, if the OS lets us see it.
pub fn port_holder(addr: std::net::SocketAddr, tcp: bool) -> Option<String> {
    use crate::basics::sockets::{self, TcpState};
    let list = sockets::list().ok()?;
    let s = list.iter().find(|s| {
        s.local.port() == addr.port()
            && (s.proto == crate::engine::Proto::Tcp) == tcp
            && (!tcp || s.state == TcpState::Listen)
    })?;
    let who = match (s.pid, &s.command) {
        (Some(p), Some(c)) => format!("{c} (pid {p})"),
        (Some(p), None) => format!("pid {p}"),
        _ => "?".into(),
    };
    Some(format!("{} {} {} — {who}", s.proto.name(), s.local, s.state.name()))
}
