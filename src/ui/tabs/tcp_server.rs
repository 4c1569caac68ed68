//! TCP server tab: listen, accept many clients, send to one or all, auto-reply modes.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use egui::RichText;

use crate::engine::problem::Field;
use crate::engine::tcp_server::TcpServerConfig;
use crate::engine::{self, CloseReason, Command, ConnId, EventKind, Problem, ReplyMode};
use crate::i18n::{self, Lang};

use super::send_box::SendBox;
use super::wire::{self, Shared, Wire};
use crate::ui::widgets;
use crate::ui::widgets::lifecycle;
use crate::ui::widgets::reply_combo;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Stopped,
    Starting,
    Listening(SocketAddr),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientState {
    Connected,
    HalfClosed,
    Closed(CloseReason),
}

struct Client {
    peer: SocketAddr,
    state: ClientState,
    rx: u64,
    tx: u64,
}

pub struct TcpServerTab {
    pub bind: String,
    pub backlog: String,
    pub recv_buffer: String,
    /// Clients at once.
    pub max_clients: String,
    /// Bytes that may wait for one client, in KiB.
    pub send_limit_kib: String,
    pub reuse_addr: bool,
    /// TCP_NODELAY on accepted connections.
    pub nodelay: bool,
    pub reply: ReplyMode,
    /// Framing as typed: none, line, fixed:N, len8, len16, len32, delim:HEX.
    pub framing: String,
    state: State,
    clients: BTreeMap<ConnId, Client>,
    /// Where the send box sends: one client, or all when `None`.
    target: Option<ConnId>,
    pub send: SendBox,
    code: widgets::CodeView,
    pub rules: super::rules::RulesEditor,
    pub tls: super::tls::TlsServerUi,
    pub wire: Wire,
}

impl TcpServerTab {
    pub fn new(sink: &crate::engine::EventSink, tab: u16) -> TcpServerTab {
        TcpServerTab {
            bind: "127.0.0.1:9999".into(),
            backlog: "128".into(),
            max_clients: "1000".into(),
            send_limit_kib: (engine::tcp_server::DEFAULT_MAX_PENDING / 1024).to_string(),
            recv_buffer: crate::engine::DEFAULT_RECV_BUFFER.to_string(),
            reuse_addr: true,
            nodelay: false,
            reply: ReplyMode::None,
            framing: "none".into(),
            state: State::Stopped,
            clients: BTreeMap::new(),
            target: None,
            send: SendBox::default(),
            code: widgets::CodeView::default(),
            rules: super::rules::RulesEditor::default(),
            tls: super::tls::TlsServerUi::default(),
            wire: Wire::new(sink, tab),
        }
    }

    /// Updates the tab's state from one of its events (before the event goes into the log).
    pub fn seen(&mut self, ev: &crate::engine::Event) {
        self.wire.seen(ev);
        let (state, clients) = (&mut self.state, &mut self.clients);
        {
            let entry = ev.conn.and_then(|id| clients.get_mut(&id));
            match (&ev.kind, entry) {
                (EventKind::Listening { local }, _) => *state = State::Listening(*local),
                (EventKind::Stopped, _) => *state = State::Stopped,
                (EventKind::Connected { .. }, _) => {
                    if let (Some(id), Some(peer)) = (ev.conn, ev.peer) {
                        clients.insert(id, Client { peer, state: ClientState::Connected, rx: 0, tx: 0 });
                    }
                }
                (EventKind::Rx { data, .. }, Some(c)) => c.rx += data.len() as u64,
                (EventKind::Tx { data }, Some(c)) => c.tx += data.len() as u64,
                (EventKind::HalfClosed, Some(c)) => c.state = ClientState::HalfClosed,
                (EventKind::Closed { reason }, Some(c)) => c.state = ClientState::Closed(*reason),
                _ => {}
            }
        }
    }

    /// The settings as typed, checked.
    fn config(&self) -> Result<TcpServerConfig, Problem> {
        let backlog = widgets::parse_number(&self.backlog, 1..=65_535, Field::Backlog)?;
        engine::split_host_port(&self.bind)?;
        let max_clients = widgets::parse_number(&self.max_clients, 1..=100_000usize, Field::MaxClients)?;
        let send_limit = widgets::parse_number(&self.send_limit_kib, 16..=1_048_576usize, Field::SendLimit)?;
        Ok(TcpServerConfig {
            max_concurrent: Some(max_clients),
            max_pending: send_limit * 1024,
            framing: widgets::parse_framing(&self.framing)?,
            recv_buffer: widgets::parse_recv_buffer(&self.recv_buffer)?,
            bind: self.bind.clone(),
            backlog,
            reuse_addr: self.reuse_addr,
            nodelay: self.nodelay,
            reply: self.reply,
            rules: self.rules.active.clone(),
            encoding: self.wire.encoding,
            ..TcpServerConfig::default()
        })
    }

    /// Where the server listens, once it does.
    pub(crate) fn listening_on(&self) -> Option<SocketAddr> {
        match self.state {
            State::Listening(a) => Some(a),
            _ => None,
        }
    }

    /// The open connection whose peer is `peer`.
    pub(crate) fn conn_of(&self, peer: SocketAddr) -> Option<ConnId> {
        let open = |c: &Client| !matches!(c.state, ClientState::Closed(_));
        self.clients.iter().find(|(_, c)| c.peer == peer && open(c)).map(|(id, _)| *id)
    }

    /// Holds the reads of connection `conn` until `bytes` bytes have arrived (for the
    /// sticky-packet demo); false if the server cannot be told.
    pub(crate) fn hold_reads(&mut self, conn: ConnId, bytes: usize) -> bool {
        match (self.listening_on(), self.wire.workers.last()) {
            (Some(_), Some(w)) => w.send(Command::HoldReads { conn, bytes }).is_ok(),
            _ => false,
        }
    }

    /// Changes the auto-reply, also for a server that is running.
    pub(crate) fn use_reply(&mut self, reply: ReplyMode) {
        self.reply = reply;
        if let (Some(_), Some(w)) = (self.listening_on(), self.wire.workers.last()) {
            let _ = w.send(Command::SetReply(reply));
        }
    }

    pub(crate) fn start(&mut self) {
        self.wire.error = None;
        let started = self.tls.build().and_then(|tls| {
            let cfg = TcpServerConfig { tls, ..self.config()? };
            engine::tcp_server::spawn(cfg, self.wire.fresh_sink())
        });
        match started {
            Ok(h) => {
                self.wire.workers.push(h);
                self.state = State::Starting;
            }
            Err(p) => self.wire.error = Some(p),
        }
    }

    fn command(&mut self, cmd: Command, lang: Lang) -> bool {
        match self.wire.workers.last() {
            Some(w) if self.state != State::Stopped => match w.send(cmd) {
                Ok(()) => true,
                Err(p) => {
                    self.send.error = Some(i18n::problem(lang, &p));
                    false
                }
            },
            _ => {
                self.send.error = Some(lang.tr().err_not_started.to_string());
                false
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        let running = self.state != State::Stopped;
        ui.horizontal_wrapped(|ui| {
            let on = !running;
            widgets::address_edit_on(ui, lang, on, t.local_address, &mut self.bind, 170.0).on_hover_text(t.port0_hint);
            widgets::labelled_edit_on(ui, on, t.backlog, &mut self.backlog, 50.0).on_hover_text(t.backlog_tip);
            widgets::labelled_edit_on(ui, on, t.max_clients, &mut self.max_clients, 50.0)
                .on_hover_text(i18n::fill(t.max_clients_tip, &[&(engine::tcp_server::DEFAULT_MAX_UNFINISHED >> 20)]));
            widgets::labelled_edit_on(ui, on, t.send_limit, &mut self.send_limit_kib, 60.0)
                .on_hover_text(t.send_limit_tip);
            widgets::labelled_edit_on(ui, on, t.recv_buffer, &mut self.recv_buffer, 60.0)
                .on_hover_text(t.recv_buffer_tcp_tip);
            ui.add_enabled(on, egui::Checkbox::new(&mut self.reuse_addr, t.reuse_addr)).on_hover_text(t.reuse_addr_tip);
            ui.add_enabled(on, egui::Checkbox::new(&mut self.nodelay, "TCP_NODELAY")).on_hover_text(t.nodelay_tip);
            widgets::labelled_edit_on(ui, on, t.framing, &mut self.framing, 70.0).on_hover_text(t.framing_tip);
            if reply_combo(ui, lang, "tcp-server", &mut self.reply, &ReplyMode::ALL) && running {
                self.command(Command::SetReply(self.reply), lang);
            }
            self.rules.button(ui, lang);
            if running {
                if ui.button(t.stop).clicked() {
                    for w in &self.wire.workers {
                        w.request_stop();
                    }
                }
            } else if ui.button(t.start).clicked() {
                self.start();
            }
            self.code.button(ui, lang);
        });
        self.tls.ui(ui, lang, !running);
        widgets::exposure_note(ui, lang, &self.bind);
        let (state, color) = match self.state {
            State::Stopped => (t.state_stopped.to_string(), widgets::RED),
            State::Starting => (t.state_starting.to_string(), widgets::AMBER),
            State::Listening(a) => (i18n::fill(t.state_listening, &[&a]), widgets::GREEN),
        };
        let c = self.wire.shown_counters(shared.store);
        let conns = i18n::fill(t.connections_count, &[&c.open_connections, &c.connections]);
        wire::status_line(ui, lang, &state, color, &mut self.wire, shared, Some(conns));
        let open = self.clients.values().any(|c| !matches!(c.state, ClientState::Closed(_)));
        let step = match self.state {
            State::Stopped => None,
            State::Starting => Some(1),
            State::Listening(_) if open => Some(4),
            State::Listening(_) => Some(3),
        };
        lifecycle::steps_ui(ui, lang, &lifecycle::SERVER_STEPS, step);
        ui.separator();
        self.clients_ui(ui, lang);
        ui.separator();
        let saved = super::saved::SavedCtx {
            packets: shared.packets,
            tab: crate::packets::PacketTab::TcpServer,
            destination: "",
        };
        if let Some(bytes) = self.send.ui(ui, lang, &mut self.wire.encoding, "tcp-server", Some(saved)) {
            if self.target.is_none() && !self.clients.values().any(|c| !matches!(c.state, ClientState::Closed(_))) {
                self.send.error = Some(i18n::problem(lang, &Problem::NotConnected));
            } else if self.command(Command::Send { conn: self.target, data: bytes }, lang) {
                self.send.sent();
            }
        }
        ui.separator();
        let setup = crate::codegen::Setup::TcpServer {
            bind: self.bind.clone(),
            backlog: self.backlog.trim().parse().unwrap_or(128),
            reuse_addr: self.reuse_addr,
            reply: self.reply,
            encoding: self.wire.encoding,
            recv_buffer: widgets::parse_recv_buffer(&self.recv_buffer).unwrap_or(engine::DEFAULT_RECV_BUFFER),
            nodelay: self.nodelay,
        };
        self.code.window(ui, lang, t.tab_tcp_server, || setup);
        if let Some(r) = self.rules.window(ui.ctx(), lang, t.tab_tcp_server, &ReplyMode::ALL)
            && running
        {
            self.command(Command::SetRules(r), lang);
        }
        self.wire.log_ui(ui, shared, lang, "tcp-server-log");
    }

    fn clients_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        ui.horizontal(|ui| {
            ui.strong(t.clients);
            ui.label(t.send_to);
            ui.radio_value(&mut self.target, None, t.all_clients);
            if ui.small_button(t.clear_closed).clicked() {
                self.clients.retain(|_, c| !matches!(c.state, ClientState::Closed(_)));
                if self.target.is_some_and(|id| !self.clients.contains_key(&id)) {
                    self.target = None;
                }
            }
        });
        if self.clients.is_empty() {
            ui.label(RichText::new(t.no_clients).weak());
            return;
        }
        let mut action = None;
        egui::ScrollArea::vertical().id_salt("clients").max_height(110.0).auto_shrink([false, true]).show(ui, |ui| {
            egui::Grid::new("client-grid").striped(true).num_columns(6).show(ui, |ui| {
                for (id, c) in &self.clients {
                    let open = !matches!(c.state, ClientState::Closed(_));
                    ui.add_enabled_ui(open, |ui| ui.radio_value(&mut self.target, Some(*id), format!("#{id}")));
                    ui.monospace(c.peer.to_string());
                    let (s, color) = match c.state {
                        ClientState::Connected => (t.client_connected, widgets::GREEN),
                        ClientState::HalfClosed => (t.client_half_closed, widgets::AMBER),
                        ClientState::Closed(CloseReason::PeerClosed) => (t.client_closed_peer, widgets::AMBER),
                        ClientState::Closed(CloseReason::Reset) => (t.client_reset, widgets::RED),
                        ClientState::Closed(CloseReason::LocalClose) => (t.client_closed_local, widgets::AMBER),
                        ClientState::Closed(CloseReason::Failed) => (t.client_failed, widgets::RED),
                    };
                    ui.colored_label(color, s);
                    ui.monospace(i18n::fill(t.client_bytes, &[&c.rx, &c.tx]));
                    if ui.add_enabled(open, egui::Button::new(t.disconnect).small()).clicked() {
                        action = Some(Command::Disconnect { conn: Some(*id) });
                    }
                    if ui
                        .add_enabled(c.state == ClientState::Connected, egui::Button::new(t.half_close).small())
                        .on_hover_text(t.half_close_tip)
                        .clicked()
                    {
                        action = Some(Command::ShutdownWrite { conn: Some(*id) });
                    }
                    ui.end_row();
                }
            });
        });
        if let Some(cmd) = action {
            self.command(cmd, lang);
        }
    }
}
