//! TCP client tab: connect with a timeout, watch the states, send, half-close.

use std::net::SocketAddr;
use std::time::Duration;

use crate::codec::framing::Framing;
use crate::engine::problem::Field;
use crate::engine::tcp_client::TcpClientConfig;
use crate::engine::{self, CloseReason, Command, EventKind, Problem};
use crate::i18n::{self, Lang};

use super::send_box::SendBox;
use super::wire::{self, Shared, Wire};
use crate::ui::widgets;
use crate::ui::widgets::lifecycle;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Connecting(Option<SocketAddr>),
    Connected { peer: SocketAddr, local: SocketAddr },
    HalfClosed { peer: SocketAddr },
    Closed { peer: Option<SocketAddr>, reason: CloseReason },
    Failed,
}

pub struct TcpClientTab {
    pub server: String,
    pub timeout_ms: String,
    pub recv_buffer: String,
    /// How many messages the sticky-packet demo sends back to back.
    pub burst: String,
    /// Framing as typed: none, line, fixed:N, len8, len16, len32, delim:HEX.
    pub framing: String,
    /// TCP_NODELAY: Nagle's algorithm off.
    pub nodelay: bool,
    state: State,
    /// Local and peer address of the last connection, for the kernel-state check.
    endpoints: Option<(SocketAddr, SocketAddr)>,
    kernel: Option<String>,
    /// The sticky-packet demo was clicked this frame.
    demo_clicked: bool,
    pub send: SendBox,
    /// Writes a message again and again at a rate (a load test of the server).
    pub generator: super::generator::GeneratorUi,
    code: widgets::CodeView,
    pub tls: super::tls::TlsClientUi,
    /// Connect once one of this app's servers listens on `server` (a lesson's client, whose
    /// server worker is still starting).
    pub(crate) connect_when_listening: bool,
    pub wire: Wire,
}

impl TcpClientTab {
    pub fn new(sink: &crate::engine::EventSink, tab: u16) -> TcpClientTab {
        TcpClientTab {
            server: "127.0.0.1:9999".into(),
            timeout_ms: "3000".into(),
            recv_buffer: crate::engine::DEFAULT_RECV_BUFFER.to_string(),
            burst: "10".into(),
            framing: "none".into(),
            nodelay: false,
            state: State::Idle,
            endpoints: None,
            kernel: None,
            demo_clicked: false,
            send: SendBox::default(),
            generator: super::generator::GeneratorUi::stream(),
            code: widgets::CodeView::default(),
            tls: super::tls::TlsClientUi::default(),
            connect_when_listening: false,
            wire: Wire::new(sink, tab),
        }
    }

    fn busy(&self) -> bool {
        matches!(self.state, State::Connecting(_) | State::Connected { .. } | State::HalfClosed { .. })
    }

    /// Updates the tab's state from one of its events (before the event goes into the log).
    pub fn seen(&mut self, ev: &crate::engine::Event) {
        self.wire.seen(ev);
        self.generator.seen(&ev.kind);
        let (state, endpoints, kernel) = (&mut self.state, &mut self.endpoints, &mut self.kernel);
        match (&ev.kind, ev.peer) {
            (EventKind::Connecting { peer }, _) => *state = State::Connecting(Some(*peer)),
            (EventKind::Connected { local, tls, .. }, Some(peer)) => {
                self.tls.info = tls.as_deref().cloned();
                *state = State::Connected { peer, local: *local };
                *endpoints = Some((*local, peer));
                *kernel = None;
            }
            (EventKind::HalfClosed, Some(peer)) => *state = State::HalfClosed { peer },
            (EventKind::Closed { reason }, peer) => *state = State::Closed { peer, reason: *reason },
            (EventKind::Stopped, _) => {
                if matches!(*state, State::Connecting(_)) {
                    *state = State::Failed;
                }
            }
            _ => {}
        }
    }

    /// The settings as typed, checked.
    fn config(&self) -> Result<TcpClientConfig, Problem> {
        let ms = widgets::parse_number(&self.timeout_ms, 1..=600_000u64, Field::Timeout)?;
        engine::split_host_port(&self.server)?;
        Ok(TcpClientConfig {
            connect: self.server.trim().to_string(),
            timeout: Duration::from_millis(ms),
            framing: widgets::parse_framing(&self.framing)?,
            recv_buffer: widgets::parse_recv_buffer(&self.recv_buffer)?,
            nodelay: self.nodelay,
            tls: self.tls.build()?,
            ..TcpClientConfig::default()
        })
    }

    pub(crate) fn connect(&mut self) {
        self.wire.error = None;
        self.tls.info = None;
        let started = self.config().and_then(|cfg| engine::tcp_client::spawn(cfg, self.wire.fresh_sink()));
        match started {
            Ok(h) => {
                self.wire.workers.push(h);
                self.state = State::Connecting(None);
            }
            Err(p) => self.wire.error = Some(p),
        }
    }

    fn command(&mut self, cmd: Command, lang: Lang) -> bool {
        let connected = matches!(self.state, State::Connected { .. } | State::HalfClosed { .. });
        match self.wire.workers.last() {
            Some(w) if connected => match w.send(cmd) {
                Ok(()) => true,
                Err(p) => {
                    self.send.error = Some(i18n::problem(lang, &p));
                    false
                }
            },
            _ => {
                self.send.error = Some(i18n::problem(lang, &Problem::NotConnected));
                false
            }
        }
    }

    /// The messages of the sticky-packet demo, or `None` (and the reason shown) if the count
    /// is not 1 to 100.
    fn burst_messages(&mut self, lang: Lang) -> Option<Vec<Vec<u8>>> {
        let n = match self.burst.trim().parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                self.send.error = Some(i18n::fill(lang.tr().burst_bad, &[&self.burst.trim()]));
                return None;
            }
        };
        // Without framing a ';' shows where each message ended; with framing the framing does.
        let sep = if Framing::parse(&self.framing).is_ok_and(|f| f != Framing::None) { "" } else { ";" };
        Some((1..=n).map(|i| format!("msg{i}{sep}").into_bytes()).collect())
    }

    /// The demo button was clicked: the app holds the reads of its own server first (when this
    /// client is connected to it), then calls [`TcpClientTab::sticky_demo`].
    pub(crate) fn take_demo(&mut self) -> bool {
        std::mem::take(&mut self.demo_clicked) && matches!(self.state, State::Connected { .. })
    }

    /// Our end of the connection, as the server sees its peer.
    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        match self.state {
            State::Connected { local, .. } => Some(local),
            _ => None,
        }
    }

    /// The bytes the demo puts on the wire (framed as this tab frames them).
    pub(crate) fn demo_bytes(&mut self, lang: Lang) -> usize {
        let framing = Framing::parse(&self.framing).unwrap_or(Framing::None);
        let msgs = self.burst_messages(lang).unwrap_or_default();
        msgs.iter().map(|m| framing.encode(m).map_or(m.len(), |f| f.len())).sum()
    }

    /// Sends `msg1;` … `msgN;` as N separate send() calls, back to back. TCP is a byte stream:
    /// a server that reads after they have landed gets them merged into one recv() (the app's
    /// own server is told to, see `SockLabApp::sticky_demos`); another may read some alone.
    pub(crate) fn sticky_demo(&mut self, lang: Lang) {
        let Some(msgs) = self.burst_messages(lang) else { return };
        for data in msgs {
            if !self.command(Command::Send { conn: None, data }, lang) {
                return;
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        let busy = self.busy();
        ui.horizontal_wrapped(|ui| {
            let on = !busy;
            widgets::address_edit_on(ui, lang, on, t.server_address, &mut self.server, 170.0);
            widgets::labelled_edit_on(ui, on, t.timeout_ms, &mut self.timeout_ms, 60.0);
            widgets::labelled_edit_on(ui, on, t.recv_buffer, &mut self.recv_buffer, 60.0)
                .on_hover_text(t.recv_buffer_tcp_tip);
            widgets::labelled_edit_on(ui, on, t.framing, &mut self.framing, 70.0).on_hover_text(t.framing_tip);
            ui.add_enabled(on, egui::Checkbox::new(&mut self.nodelay, "TCP_NODELAY")).on_hover_text(t.nodelay_tip);
            if busy {
                if ui.button(t.disconnect).clicked() {
                    for w in &self.wire.workers {
                        w.request_stop();
                    }
                }
            } else if ui.button(t.connect).clicked() {
                self.connect();
            }
            self.code.button(ui, lang);
            let can_half = matches!(self.state, State::Connected { .. });
            ui.separator();
            widgets::labelled_edit(ui, t.burst_count, &mut self.burst, 30.0);
            let demo = ui
                .add_enabled(can_half, egui::Button::new(t.sticky_demo))
                .on_hover_text(i18n::fill(t.sticky_tip, &[&engine::tcp_server::HOLD_READS_MAX.as_secs()]));
            if demo.clicked() {
                // Sent after this frame's tabs, once the app has told its server (if that is
                // the peer) to read only when they have all landed.
                self.demo_clicked = true;
            }
            if ui.add_enabled(can_half, egui::Button::new(t.half_close)).on_hover_text(t.half_close_tip).clicked() {
                self.command(Command::ShutdownWrite { conn: None }, lang);
            }
        });
        self.tls.ui(ui, lang, !busy);
        let (state, color) = match self.state {
            State::Idle => (t.state_stopped.to_string(), widgets::RED),
            State::Connecting(Some(p)) => (i18n::fill(t.state_connecting, &[&p]), widgets::AMBER),
            State::Connecting(None) => (i18n::fill(t.state_connecting, &[&self.server.trim()]), widgets::AMBER),
            State::Connected { peer, local } => (i18n::fill(t.state_connected, &[&peer, &local]), widgets::GREEN),
            State::HalfClosed { peer } => (i18n::fill(t.state_half_closed, &[&peer]), widgets::AMBER),
            State::Closed { peer, reason } => {
                let p = peer.map(|p| p.to_string()).unwrap_or_default();
                let s = match reason {
                    CloseReason::PeerClosed => i18n::fill(t.state_closed_by_peer, &[&p]),
                    CloseReason::Reset => i18n::fill(t.state_reset, &[&p]),
                    CloseReason::LocalClose => t.state_closed.to_string(),
                    CloseReason::Failed => t.state_failed.to_string(),
                };
                (s, widgets::RED)
            }
            State::Failed => (t.state_failed.to_string(), widgets::RED),
        };
        wire::status_line(ui, lang, &state, color, &mut self.wire, shared, None);
        let step = match self.state {
            State::Idle | State::Failed => None,
            State::Connecting(_) => Some(1),
            State::Connected { .. } => Some(2),
            State::HalfClosed { .. } => Some(3),
            State::Closed { .. } => Some(4),
        };
        lifecycle::steps_ui(ui, lang, &lifecycle::CLIENT_STEPS, step);
        if let Some((local, peer)) = self.endpoints {
            lifecycle::kernel_state_ui(ui, lang, &mut self.kernel, local, Some(peer));
        }
        ui.separator();
        let saved = super::saved::SavedCtx {
            packets: shared.packets,
            tab: crate::packets::PacketTab::TcpClient,
            destination: "",
        };
        if let Some(bytes) = self.send.ui(ui, lang, &mut self.wire.encoding, "tcp-client", Some(saved))
            && self.command(Command::Send { conn: None, data: bytes }, lang)
        {
            self.send.sent();
        }
        let payload = self.send.payload(self.wire.encoding);
        self.generator.template = self.send.fields_template(self.wire.encoding);
        let worker = match self.state {
            State::Connected { .. } => self.wire.workers.last(),
            _ => None,
        };
        let sent = self.wire.counters(shared.store);
        self.generator.ui(ui, lang, "", &payload, worker, sent);
        ui.separator();
        let setup = crate::codegen::Setup::TcpClient {
            server: self.server.clone(),
            encoding: self.wire.encoding,
            recv_buffer: widgets::parse_recv_buffer(&self.recv_buffer).unwrap_or(engine::DEFAULT_RECV_BUFFER),
            nodelay: self.nodelay,
        };
        self.code.window(ui, lang, t.tab_tcp_client, || setup);
        self.wire.log_ui(ui, shared, lang, "tcp-client-log");
    }
}
