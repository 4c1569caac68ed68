//! Broadcast tab: a receiver on 0.0.0.0:PORT (SO_REUSEADDR) and a sender with SO_BROADCAST.

use std::net::{IpAddr, SocketAddr};

use crate::engine::broadcast::{self, BroadcastTarget};
use crate::engine::{self, Command, EventKind, Problem, WorkerHandle};
use crate::i18n::{self, Lang};

use super::send_box::SendBox;
use super::wire::{self, Shared, Wire};
use crate::ui::widgets;

/// Event sources within this tab's wire.
const RECEIVER: u16 = 1;
const SENDER: u16 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Off,
    Starting,
    On(SocketAddr),
}

pub struct BroadcastTab {
    pub listen_port: String,
    pub address: String,
    pub dest_port: String,
    targets: Vec<BroadcastTarget>,
    receiver: State,
    sender: State,
    pub send: SendBox,
    code: widgets::CodeView,
    pub wire: Wire,
}

impl BroadcastTab {
    pub fn new(sink: &crate::engine::EventSink, tab: u16) -> BroadcastTab {
        BroadcastTab {
            listen_port: "7788".into(),
            address: broadcast::LOOPBACK_BROADCAST.to_string(),
            dest_port: "7788".into(),
            targets: broadcast::targets(),
            receiver: State::Off,
            sender: State::Off,
            send: SendBox::default(),
            code: widgets::CodeView::default(),
            wire: Wire::new(sink, tab),
        }
    }

    /// Updates the tab's state from one of its events (before the event goes into the log).
    pub fn seen(&mut self, ev: &crate::engine::Event) {
        self.wire.seen(ev);
        let (rx, tx) = (&mut self.receiver, &mut self.sender);
        {
            let state = if ev.source == RECEIVER { &mut *rx } else { &mut *tx };
            match &ev.kind {
                EventKind::Listening { local } => *state = State::On(*local),
                EventKind::Stopped => *state = State::Off,
                _ => {}
            }
        }
    }

    fn worker(&self, source: u16) -> Option<&WorkerHandle> {
        let name = if source == RECEIVER { "bcast-rx" } else { "bcast-tx" };
        self.wire.workers.iter().rev().find(|w| w.name().starts_with(name) && !w.is_finished())
    }

    pub(crate) fn start_receiver(&mut self) {
        self.wire.error = None;
        let port = match engine::parse_port(&self.listen_port) {
            Ok(p) => p,
            Err(p) => {
                self.wire.error = Some(p);
                return;
            }
        };
        let cfg = broadcast::receiver_config(port, self.wire.encoding);
        match engine::udp::spawn(cfg, self.wire.sink_with_source(RECEIVER)) {
            Ok(h) => {
                self.wire.workers.push(h);
                self.receiver = State::Starting;
            }
            Err(p) => self.wire.error = Some(p),
        }
    }

    fn send_bytes(&mut self, data: Vec<u8>, lang: Lang) {
        let port = match engine::parse_port(&self.dest_port) {
            Ok(p) => p,
            Err(p) => {
                self.send.error = Some(i18n::problem(lang, &p));
                return;
            }
        };
        let ip: IpAddr = match self.address.trim().parse() {
            Ok(ip) => ip,
            Err(_) => {
                self.send.error = Some(i18n::problem(lang, &Problem::BadAddress(self.address.trim().to_string())));
                return;
            }
        };
        if self.worker(SENDER).is_none() {
            match engine::udp::spawn(broadcast::sender_config(self.wire.encoding), self.wire.sink_with_source(SENDER)) {
                Ok(h) => {
                    self.wire.workers.push(h);
                    self.sender = State::Starting;
                }
                Err(p) => {
                    self.send.error = Some(i18n::problem(lang, &p));
                    return;
                }
            }
        }
        let to = SocketAddr::new(ip, port).to_string();
        let result = match self.worker(SENDER) {
            Some(w) => w.send(Command::SendTo { to, data }),
            None => Err(Problem::WorkerGone),
        };
        match result {
            Ok(()) => self.send.sent(),
            Err(p) => self.send.error = Some(i18n::problem(lang, &p)),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        ui.label(egui::RichText::new(t.broadcast_explain).weak());
        let rx_on = self.receiver != State::Off;
        ui.horizontal_wrapped(|ui| {
            widgets::address_edit_on(ui, lang, !rx_on, t.listen_port, &mut self.listen_port, 60.0);
            if rx_on {
                if ui.button(t.stop_receiver).clicked()
                    && let Some(w) = self.worker(RECEIVER)
                {
                    w.request_stop();
                }
            } else if ui.button(t.start_receiver).clicked() {
                self.start_receiver();
            }
            self.code.button(ui, lang);
        });
        let (state, color) = match self.receiver {
            State::Off => (t.receiver_off.to_string(), widgets::RED),
            State::Starting => (t.state_starting.to_string(), widgets::AMBER),
            State::On(a) => (i18n::fill(t.state_listening, &[&a]), widgets::GREEN),
        };
        let sender = match self.sender {
            State::On(a) => Some(i18n::fill(t.sender_ready, &[&a])),
            _ => None,
        };
        wire::status_line(ui, lang, &state, color, &mut self.wire, shared, sender);
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            widgets::labelled_edit(ui, t.broadcast_address, &mut self.address, 130.0);
            let l = ui.label(t.interfaces);
            egui::ComboBox::from_id_salt("bcast-targets")
                .selected_text(t.pick)
                .width(60.0)
                .show_ui(ui, |ui| {
                    for tg in &self.targets {
                        let note = if tg.broadcast == broadcast::LOOPBACK_BROADCAST { t.this_machine_only } else { "" };
                        let label = format!("{}  ({} {})  {}", tg.broadcast, tg.interface, tg.network, note);
                        if ui.selectable_label(self.address == tg.broadcast.to_string(), label).clicked() {
                            self.address = tg.broadcast.to_string();
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            if ui.button(t.refresh).clicked() {
                self.targets = broadcast::targets();
            }
            widgets::address_edit(ui, lang, t.dest_port, &mut self.dest_port, 60.0);
        });
        let saved = super::saved::SavedCtx {
            packets: shared.packets,
            tab: crate::packets::PacketTab::Broadcast,
            destination: "",
        };
        if let Some(bytes) = self.send.ui(ui, lang, &mut self.wire.encoding, "broadcast", Some(saved)) {
            self.send_bytes(bytes, lang);
        }
        ui.separator();
        let setup = match (self.receiver, engine::parse_port(&self.listen_port)) {
            (State::Off, _) | (_, Err(_)) => crate::codegen::Setup::BroadcastSender {
                to: self.address.trim().to_string(),
                port: engine::parse_port(&self.dest_port).unwrap_or(0),
                encoding: self.wire.encoding,
            },
            (_, Ok(port)) => crate::codegen::Setup::BroadcastReceiver { port },
        };
        self.code.window(ui, lang, t.tab_broadcast, || setup);
        self.wire.log_ui(ui, shared, lang, "broadcast-log");
    }
}
