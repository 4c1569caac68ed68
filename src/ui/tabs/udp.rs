//! UDP tab: bind, send to anyone, receive from anyone, reply to the last sender.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::engine::udp::{Multicast, UdpConfig};
use crate::engine::{self, Command, EventKind, Problem, ReplyMode};
use crate::i18n::{self, Lang};
use crate::packets::PacketTab;

use super::saved::SavedCtx;
use super::send_box::SendBox;
use super::wire::{self, Shared, Wire};
use crate::ui::widgets;
use crate::ui::widgets::reply_combo;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Stopped,
    Starting,
    Bound(SocketAddr),
}

pub struct UdpTab {
    pub bind: String,
    pub remote: String,
    pub recv_buffer: String,
    /// SO_RCVBUF as typed; empty: the system default.
    pub so_rcvbuf: String,
    /// Connected mode: connect() to the remote address.
    pub connected: bool,
    pub reply: ReplyMode,
    /// Multicast group to join (empty: none) and the interface to use.
    pub group: String,
    pub interface: String,
    /// Multicast TTL (IPv4) or hop limit (IPv6), as typed.
    pub ttl: String,
    state: State,
    /// The group joined by the running socket, for the status line.
    joined: Option<String>,
    last_sender: Option<SocketAddr>,
    pub send: SendBox,
    code: widgets::CodeView,
    pub rules: super::rules::RulesEditor,
    pub generator: super::generator::GeneratorUi,
    pub wire: Wire,
}

impl UdpTab {
    pub fn new(sink: &crate::engine::EventSink, tab: u16) -> UdpTab {
        UdpTab {
            bind: "127.0.0.1:0".into(),
            remote: "127.0.0.1:7788".into(),
            recv_buffer: engine::DEFAULT_RECV_BUFFER.to_string(),
            so_rcvbuf: engine::udp::DEFAULT_SO_RCVBUF.to_string(),
            connected: false,
            reply: ReplyMode::None,
            group: String::new(),
            interface: "127.0.0.1".into(),
            ttl: "1".into(),
            state: State::Stopped,
            joined: None,
            last_sender: None,
            send: SendBox::default(),
            code: widgets::CodeView::default(),
            rules: super::rules::RulesEditor::default(),
            generator: super::generator::GeneratorUi::default(),
            wire: Wire::new(sink, tab),
        }
    }

    /// Updates the tab's state from one of its events (before the event goes into the log).
    pub fn seen(&mut self, ev: &crate::engine::Event) {
        self.wire.seen(ev);
        self.generator.seen(&ev.kind);
        let (state, last, joined) = (&mut self.state, &mut self.last_sender, &mut self.joined);
        match &ev.kind {
            EventKind::Listening { local } => *state = State::Bound(*local),
            EventKind::Stopped => {
                *state = State::Stopped;
                *joined = None;
            }
            EventKind::Rx { .. } => *last = ev.peer,
            EventKind::Membership { group, joined: true } => *joined = Some(group.to_string()),
            EventKind::Membership { joined: false, .. } => *joined = None,
            _ => {}
        }
    }

    /// The settings as typed, checked.
    fn config(&self) -> Result<UdpConfig, Problem> {
        engine::split_host_port(&self.bind)?;
        let multicast = self.multicast()?;
        Ok(UdpConfig {
            reuse_addr: multicast.as_ref().is_some_and(|m| m.join.is_some()),
            multicast,
            bind: self.bind.clone(),
            reply: self.reply,
            rules: self.rules.active.clone(),
            encoding: self.wire.encoding,
            recv_buffer: widgets::parse_recv_buffer(&self.recv_buffer)?,
            connect: self.connected.then(|| self.remote.trim().to_string()),
            so_rcvbuf: match self.so_rcvbuf.trim() {
                "" => None,
                n => Some(widgets::parse_number(n, 1024..=1 << 30, crate::engine::problem::Field::SoRcvbuf)?),
            },
            thread_name: "udp".into(),
            ..UdpConfig::default()
        })
    }

    pub fn running(&self) -> bool {
        self.state != State::Stopped
    }

    pub(crate) fn start(&mut self) {
        self.wire.error = None;
        let started = self.config().and_then(|cfg| engine::udp::spawn(cfg, self.wire.fresh_sink()));
        match started {
            Ok(h) => {
                self.wire.workers.push(h);
                self.state = State::Starting;
            }
            Err(p) => self.wire.error = Some(p),
        }
    }

    /// The multicast settings typed in.
    fn multicast(&self) -> Result<Option<Multicast>, Problem> {
        let (group, iface) = (self.group.trim(), self.interface.trim());
        if group.is_empty() && iface.is_empty() {
            return Ok(None);
        }
        let join = match group {
            "" => None,
            g => Some(g.parse::<IpAddr>().map_err(|_| Problem::BadAddress(g.to_string()))?),
        };
        // The interface also applies without a group: datagrams sent to a group then leave
        // from it (127.0.0.1 by default, so a demo stays on this machine).
        let ttl = widgets::parse_number(&self.ttl, 0..=255u32, crate::engine::problem::Field::Ttl)?;
        let mut m = Multicast { join, ttl, ..Multicast::default() };
        if !iface.is_empty() {
            match iface.parse::<Ipv4Addr>() {
                Ok(v4) => m.interface = Some(v4),
                // IPv6 groups: an interface name or index, e.g. lo.
                Err(_) => {
                    m.interface_index = iface
                        .parse::<u32>()
                        .ok()
                        .or_else(|| engine::udp::interface_index(iface))
                        .ok_or_else(|| Problem::BadAddress(iface.to_string()))?;
                }
            }
        }
        Ok(Some(m))
    }

    /// Join the typed group, or leave the joined one, on the running socket.
    fn membership_button(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        let cmd = match &self.joined {
            Some(g) => ui
                .button(t.mcast_leave)
                .on_hover_text(t.mcast_leave_tip)
                .clicked()
                .then(|| g.parse().map(Command::LeaveGroup)),
            None if !self.group.trim().is_empty() => ui
                .button(t.mcast_join)
                .on_hover_text(t.mcast_join_tip)
                .clicked()
                .then(|| self.group.trim().parse().map(Command::JoinGroup)),
            None => None,
        };
        match (cmd, self.wire.workers.last()) {
            (Some(Ok(cmd)), Some(w)) => {
                if let Err(p) = w.send(cmd) {
                    self.wire.error = Some(p);
                }
            }
            (Some(Err(_)), _) => self.wire.error = Some(Problem::BadAddress(self.group.trim().to_string())),
            _ => {}
        }
    }

    pub(crate) fn stop(&mut self) {
        for w in &self.wire.workers {
            w.request_stop();
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        let running = self.state != State::Stopped;
        ui.horizontal_wrapped(|ui| {
            let on = !running;
            widgets::address_edit_on(ui, lang, on, t.local_address, &mut self.bind, 170.0).on_hover_text(t.port0_hint);
            widgets::labelled_edit_on(ui, on, t.recv_buffer, &mut self.recv_buffer, 70.0)
                .on_hover_text(t.recv_buffer_tip);
            widgets::labelled_edit_on(ui, on, "SO_RCVBUF", &mut self.so_rcvbuf, 70.0).on_hover_text(t.so_rcvbuf_tip);
            ui.add_enabled(on, egui::Checkbox::new(&mut self.connected, t.udp_connect))
                .on_hover_text(t.udp_connect_tip);
            // The group can change on a running socket: Join/Leave.
            widgets::labelled_edit_on(ui, on || self.joined.is_none(), t.mcast_group, &mut self.group, 110.0)
                .on_hover_text(t.mcast_tip);
            widgets::labelled_edit_on(ui, on, t.mcast_iface, &mut self.interface, 80.0)
                .on_hover_text(t.mcast_iface_tip);
            widgets::labelled_edit_on(ui, on, "TTL", &mut self.ttl, 30.0).on_hover_text(t.mcast_ttl_tip);
            if self.state != State::Stopped {
                self.membership_button(ui, lang);
            }
            if reply_combo(ui, lang, "udp", &mut self.reply, &ReplyMode::UDP)
                && let Some(w) = self.wire.workers.last()
            {
                let _ = w.send(Command::SetReply(self.reply));
            }
            self.rules.button(ui, lang);
            if running {
                if ui.button(t.stop).clicked() {
                    self.stop();
                }
            } else if ui.button(t.start).clicked() {
                self.start();
            }
            self.code.button(ui, lang);
        });
        widgets::exposure_note(ui, lang, &self.bind);
        let (state, color) = match self.state {
            State::Stopped => (t.state_stopped.to_string(), widgets::RED),
            State::Starting => (t.state_starting.to_string(), widgets::AMBER),
            State::Bound(a) => {
                let mut s = i18n::fill(t.state_bound, &[&a]);
                if let Some(g) = &self.joined {
                    s.push_str(&i18n::fill(t.mcast_member, &[g]));
                }
                (s, widgets::GREEN)
            }
        };
        wire::status_line(ui, lang, &state, color, &mut self.wire, shared, None);
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            widgets::address_edit(ui, lang, t.remote_address, &mut self.remote, 170.0);
            let tip = match self.last_sender {
                Some(a) => i18n::fill(t.reply_last_tip, &[&a]),
                None => t.nobody_yet.to_string(),
            };
            let b = ui.add_enabled(self.last_sender.is_some(), egui::Button::new(t.reply_last));
            if b.on_hover_text(tip).on_disabled_hover_text(t.nobody_yet).clicked()
                && let Some(a) = self.last_sender
            {
                self.remote = a.to_string();
            }
        });
        let saved = SavedCtx { packets: shared.packets, tab: PacketTab::Udp, destination: &self.remote };
        let out = self.send.ui(ui, lang, &mut self.wire.encoding, "udp", Some(saved));
        if let Some(d) = self.send.loaded_destination.take().filter(|d| !d.is_empty()) {
            self.remote = d;
        }
        if let Some(bytes) = out {
            self.send_bytes(bytes, lang);
        }
        let payload = self.send.payload(self.wire.encoding);
        self.generator.template = self.send.fields_template(self.wire.encoding);
        let worker = match self.state {
            State::Bound(_) => self.wire.workers.last(),
            _ => None,
        };
        let sent = self.wire.counters(shared.store);
        self.generator.ui(ui, lang, &self.remote, &payload, worker, sent);
        ui.separator();
        if let Some(r) = self.rules.window(ui.ctx(), lang, t.tab_udp, &ReplyMode::UDP)
            && let Some(w) = self.wire.workers.last()
        {
            let _ = w.send(Command::SetRules(r));
        }
        let (bind, remote, encoding) = (self.bind.clone(), self.remote.clone(), self.wire.encoding);
        let recv_buffer = widgets::parse_recv_buffer(&self.recv_buffer).unwrap_or(engine::DEFAULT_RECV_BUFFER);
        self.code.window(ui, lang, t.tab_udp, || crate::codegen::Setup::Udp { bind, remote, encoding, recv_buffer });
        self.wire.log_ui(ui, shared, lang, "udp-log");
    }

    fn send_bytes(&mut self, data: Vec<u8>, lang: Lang) {
        let worker = match (self.state, self.wire.workers.last()) {
            (State::Bound(_), Some(w)) => w,
            _ => {
                self.send.error = Some(lang.tr().err_not_started.to_string());
                return;
            }
        };
        if self.remote.trim().is_empty() {
            self.send.error = Some(i18n::problem(lang, &Problem::NoDestination));
            return;
        }
        if let Err(p) = engine::split_host_port(&self.remote) {
            self.send.error = Some(i18n::problem(lang, &p));
            return;
        }
        match worker.send(Command::SendTo { to: self.remote.trim().to_string(), data }) {
            Ok(()) => self.send.sent(),
            Err(p) => self.send.error = Some(i18n::problem(lang, &p)),
        }
    }
}
