//! Relay tab: sit between a client and its server, see both directions in the log, and give the
//! link network conditions (faults) that can change while it runs.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use egui::RichText;

use crate::engine::relay::{self, Faults, RelayConfig};
use crate::engine::{self, CloseReason, Command, ConnId, EventKind, Problem, Proto};
use crate::i18n::{self, Lang};
use crate::ui::widgets;

use super::wire::{self, Shared, Wire};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Stopped,
    Starting,
    Listening(SocketAddr),
}

/// One relayed connection (TCP) or client session (UDP).
struct Link {
    client: SocketAddr,
    upstream: Option<SocketAddr>,
    closed: Option<CloseReason>,
    up: u64,
    down: u64,
}

pub struct RelayTab {
    /// Where clients connect.
    pub listen: String,
    /// The real server.
    pub to: String,
    pub udp: bool,
    /// One `--fault` spec a line, e.g. `up:slice=8`.
    pub faults: String,
    pub seed: String,
    state: State,
    links: BTreeMap<ConnId, Link>,
    /// What is wrong with the faults as typed (shown under them).
    faults_error: Option<String>,
    pub wire: Wire,
}

impl RelayTab {
    pub fn new(sink: &engine::EventSink, tab: u16) -> RelayTab {
        RelayTab {
            listen: "127.0.0.1:7000".into(),
            to: "127.0.0.1:9999".into(),
            udp: false,
            faults: String::new(),
            seed: "1".into(),
            state: State::Stopped,
            links: BTreeMap::new(),
            faults_error: None,
            wire: Wire::new(sink, tab),
        }
    }

    /// Updates the tab's state from one of its events (before the event goes into the log).
    pub fn seen(&mut self, ev: &engine::Event) {
        self.wire.seen(ev);
        let link = ev.conn.and_then(|id| self.links.get_mut(&id));
        match (&ev.kind, link) {
            (EventKind::Listening { local }, _) => self.state = State::Listening(*local),
            (EventKind::Stopped, _) => self.state = State::Stopped,
            (EventKind::Connected { .. }, None) | (EventKind::UpstreamConnected { .. }, None) => {
                if let (Some(id), Some(client)) = (ev.conn, ev.peer) {
                    let upstream = match ev.kind {
                        EventKind::UpstreamConnected { upstream, .. } => Some(upstream),
                        _ => None,
                    };
                    self.links.insert(id, Link { client, upstream, closed: None, up: 0, down: 0 });
                }
            }
            (EventKind::UpstreamConnected { upstream, .. }, Some(l)) => l.upstream = Some(*upstream),
            (EventKind::Relayed { dir, data, .. }, Some(l)) => match dir {
                engine::Dir::Up => l.up += data.len() as u64,
                engine::Dir::Down => l.down += data.len() as u64,
            },
            (EventKind::Closed { reason }, Some(l)) => l.closed = Some(*reason),
            _ => {}
        }
        // A long-running relay forgets closed links past a bound, oldest first.
        while self.links.len() > MAX_LINKS {
            let oldest_closed = self.links.iter().find(|(_, l)| l.closed.is_some()).map(|(id, _)| *id);
            match oldest_closed.or_else(|| self.links.keys().next().copied()) {
                Some(id) => self.links.remove(&id),
                None => break,
            };
        }
    }

    fn proto(&self) -> Proto {
        if self.udp { Proto::Udp } else { Proto::Tcp }
    }

    /// The faults as typed, one spec a line.
    fn parsed_faults(&self) -> Result<Faults, Problem> {
        let mut faults = Faults::default();
        for line in self.faults.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            relay::fault::parse(line, &mut faults).map_err(Problem::FaultSpec)?;
        }
        faults.check(self.proto()).map_err(Problem::FaultSpec)?;
        Ok(faults)
    }

    fn config(&self) -> Result<RelayConfig, Problem> {
        engine::split_host_port(&self.listen)?;
        engine::split_host_port(&self.to)?;
        let seed = self.seed.trim().parse::<u64>().unwrap_or(1);
        Ok(RelayConfig {
            listen: self.listen.clone(),
            upstream: self.to.clone(),
            proto: self.proto(),
            faults: self.parsed_faults()?,
            seed,
            thread_name: format!("relay-{}", self.listen),
            ..RelayConfig::default()
        })
    }

    pub fn running(&self) -> bool {
        self.state != State::Stopped
    }

    /// Asks the running relay to stop.
    pub(crate) fn stop(&mut self) {
        for w in &self.wire.workers {
            w.request_stop();
        }
    }

    /// Where clients reach the relay: the address it listens on, or the one it was started on
    /// while it is still starting.
    pub fn listening_or_bound(&self) -> Option<String> {
        match self.state {
            State::Listening(a) => Some(a.to_string()),
            State::Starting => Some(self.listen.clone()),
            State::Stopped => None,
        }
    }

    pub fn start(&mut self) {
        self.wire.error = None;
        self.faults_error = None;
        let started = self.config().and_then(|cfg| relay::start(cfg, self.wire.fresh_sink()));
        match started {
            Ok(h) => {
                self.wire.workers.push(h);
                self.state = State::Starting;
                self.links.clear();
            }
            Err(p) => self.wire.error = Some(p),
        }
    }

    /// Sends the faults as typed to the running relay.
    fn apply_faults(&mut self, lang: Lang) {
        match self.parsed_faults() {
            Ok(f) => {
                self.faults_error = None;
                if let Some(w) = self.wire.workers.last()
                    && let Err(p) = w.send(Command::SetFaults(Box::new(f)))
                {
                    self.faults_error = Some(i18n::problem(lang, &p));
                }
            }
            Err(p) => self.faults_error = Some(i18n::problem(lang, &p)),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        let running = self.state != State::Stopped;
        ui.label(RichText::new(t.relay_tip).weak());
        ui.horizontal_wrapped(|ui| {
            let on = !running;
            widgets::address_edit_on(ui, lang, on, t.relay_listen, &mut self.listen, 170.0).on_hover_text(t.port0_hint);
            widgets::address_edit_on(ui, lang, on, t.relay_to, &mut self.to, 170.0);
            ui.add_enabled(on, egui::Checkbox::new(&mut self.udp, t.relay_udp))
                .on_hover_text(i18n::fill(t.relay_udp_tip, &[&relay::DEFAULT_IDLE_TIMEOUT.as_secs()]));
            widgets::labelled_edit_on(ui, on, t.relay_seed, &mut self.seed, 60.0).on_hover_text(t.relay_seed_tip);
            if running {
                if ui.button(t.stop).clicked() {
                    self.stop();
                }
            } else if ui.button(t.start).clicked() {
                self.start();
            }
        });
        widgets::exposure_note(ui, lang, &self.listen);
        ui.horizontal(|ui| {
            let l = ui.label(t.relay_faults);
            let edit = egui::TextEdit::multiline(&mut self.faults)
                .desired_rows(2)
                .desired_width(420.0)
                .hint_text(t.relay_faults_hint)
                .char_limit(crate::ui::widgets::MAX_FIELD_CHARS)
                .font(egui::TextStyle::Monospace);
            ui.add(edit).labelled_by(l.id).on_hover_text(t.relay_faults_tip);
            if ui.add_enabled(running, egui::Button::new(t.relay_apply)).on_hover_text(t.relay_apply_tip).clicked() {
                self.apply_faults(lang);
            }
        });
        if let Some(e) = &self.faults_error {
            ui.colored_label(widgets::RED, e);
        }
        let (state, color) = match self.state {
            State::Stopped => (t.state_stopped.to_string(), widgets::RED),
            State::Starting => (t.state_starting.to_string(), widgets::AMBER),
            State::Listening(a) => (i18n::fill(t.state_listening, &[&a]), widgets::GREEN),
        };
        let c = self.wire.shown_counters(shared.store);
        let counts = i18n::fill(
            t.relay_counts,
            &[&c.up_datagrams, &c.up_bytes, &c.down_datagrams, &c.down_bytes, &c.dropped],
        );
        wire::status_line(ui, lang, &state, color, &mut self.wire, shared, None);
        // On a line of its own, so that a narrow pane (a lesson shows three) wraps it whole.
        ui.add(egui::Label::new(RichText::new(counts).strong()).wrap());
        ui.separator();
        self.links_ui(ui, lang);
        ui.separator();
        self.wire.log_ui(ui, shared, lang, "relay-log");
    }

    fn links_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        ui.strong(t.relay_conns);
        // The same height with no link, one or many, so the log's controls below never move.
        let area = egui::ScrollArea::vertical()
            .id_salt("relay-links")
            .max_height(LINKS_HEIGHT)
            .min_scrolled_height(LINKS_HEIGHT)
            .auto_shrink([false, false]);
        if self.links.is_empty() {
            area.show(ui, |ui| ui.label(RichText::new(t.relay_no_conns).weak()));
            return;
        }
        area.show(ui, |ui| {
            egui::Grid::new("relay-grid").striped(true).num_columns(4).show(ui, |ui| {
                for (id, l) in &self.links {
                    ui.monospace(format!("#{id}"));
                    let upstream = l.upstream.map_or_else(|| "…".to_string(), |u| u.to_string());
                    ui.monospace(format!("{} ⇄ {} ⇄ {upstream}", l.client, self.listen));
                    let (s, color) = match l.closed {
                        None => (t.client_connected, widgets::GREEN),
                        Some(CloseReason::Reset) => (t.client_reset, widgets::RED),
                        Some(CloseReason::Failed) => (t.client_failed, widgets::RED),
                        Some(_) => (t.client_closed_peer, widgets::AMBER),
                    };
                    ui.colored_label(color, s);
                    ui.monospace(i18n::fill(t.client_bytes, &[&l.up, &l.down]));
                    ui.end_row();
                }
            });
        });
    }
}

/// The height of the links list, in points: four rows.
const LINKS_HEIGHT: f32 = 76.0;

/// Links the tab lists at most (closed ones are forgotten first).
const MAX_LINKS: usize = 1000;
