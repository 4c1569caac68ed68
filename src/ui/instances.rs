//! More instances of the socket tabs (a second TCP client, a third UDP socket, …): each with its
//! own number in the shared log, a name and a colour that follows its rows there.

#![allow(clippy::indexing_slicing, reason = "an index taken modulo the palette length")]

use egui::Color32;

use crate::engine::{Event, EventSink};
use crate::i18n::Lang;

use crate::ui::tabs::broadcast::BroadcastTab;
use crate::ui::tabs::relay::RelayTab;
use crate::ui::tabs::tcp_client::TcpClientTab;
use crate::ui::tabs::tcp_server::TcpServerTab;
use crate::ui::tabs::udp::UdpTab;
use crate::ui::tabs::wire::{Shared, Wire};

/// Which kind of tab an instance is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Udp,
    TcpServer,
    TcpClient,
    Broadcast,
    Relay,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Udp, Kind::TcpServer, Kind::TcpClient, Kind::Broadcast, Kind::Relay];

    pub fn name(self, lang: Lang) -> &'static str {
        let t = lang.tr();
        match self {
            Kind::Udp => t.tab_udp,
            Kind::TcpServer => t.tab_tcp_server,
            Kind::TcpClient => t.tab_tcp_client,
            Kind::Broadcast => t.tab_broadcast,
            Kind::Relay => t.tab_relay,
        }
    }
}

/// An instance of a socket tab: its kind and its main address fields.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedInstance {
    pub kind: Kind,
    /// UDP: local address; TCP server and relay: listen address; TCP client: server; broadcast:
    /// port.
    #[serde(default)]
    pub address: String,
    /// UDP: where datagrams go; relay: the server.
    #[serde(default)]
    pub remote: String,
}

pub enum Tab {
    Udp(Box<UdpTab>),
    TcpServer(Box<TcpServerTab>),
    TcpClient(Box<TcpClientTab>),
    Broadcast(Box<BroadcastTab>),
    Relay(Box<RelayTab>),
}

/// One more instance of a socket tab.
pub struct Instance {
    pub id: u16,
    pub kind: Kind,
    /// "TCP Client 2": the kind's name and a number, in the language it was opened in.
    pub number: usize,
    pub color: Color32,
    pub tab: Tab,
}

/// Colours for instances, apart from the four fixed tabs' and the received/sent green and blue.
const PALETTE: [Color32; 6] = [
    Color32::from_rgb(0xb8, 0x5c, 0x00),
    Color32::from_rgb(0x6a, 0x4c, 0x9c),
    Color32::from_rgb(0x00, 0x7a, 0x6c),
    Color32::from_rgb(0xa8, 0x32, 0x6e),
    Color32::from_rgb(0x5d, 0x6d, 0x1e),
    Color32::from_rgb(0x2f, 0x5f, 0x8a),
];

impl Instance {
    pub fn new(kind: Kind, id: u16, number: usize, sink: &EventSink) -> Instance {
        let tab = match kind {
            Kind::Udp => Tab::Udp(Box::new(UdpTab::new(sink, id))),
            Kind::TcpServer => Tab::TcpServer(Box::new(TcpServerTab::new(sink, id))),
            Kind::TcpClient => Tab::TcpClient(Box::new(TcpClientTab::new(sink, id))),
            Kind::Broadcast => Tab::Broadcast(Box::new(BroadcastTab::new(sink, id))),
            Kind::Relay => Tab::Relay(Box::new(RelayTab::new(sink, id))),
        };
        let color = PALETTE[usize::from(id) % PALETTE.len()];
        Instance { id, kind, number, color, tab }
    }

    pub fn name(&self, lang: Lang) -> String {
        format!("{} {}", self.kind.name(lang), self.number)
    }

    /// The instance's kind and main address fields, to reopen it at the next start.
    pub fn saved(&self) -> SavedInstance {
        let (address, remote) = match &self.tab {
            Tab::Udp(t) => (t.bind.clone(), t.remote.clone()),
            Tab::TcpServer(t) => (t.bind.clone(), String::new()),
            Tab::TcpClient(t) => (t.server.clone(), String::new()),
            Tab::Broadcast(t) => (t.listen_port.clone(), String::new()),
            Tab::Relay(t) => (t.listen.clone(), t.to.clone()),
        };
        SavedInstance { kind: self.kind, address, remote }
    }

    /// Puts saved address fields back.
    pub fn restore(&mut self, s: &SavedInstance) {
        if s.address.is_empty() {
            return;
        }
        match &mut self.tab {
            Tab::Udp(t) => {
                t.bind = s.address.clone();
                if !s.remote.is_empty() {
                    t.remote = s.remote.clone();
                }
            }
            Tab::TcpServer(t) => t.bind = s.address.clone(),
            Tab::TcpClient(t) => t.server = s.address.clone(),
            Tab::Broadcast(t) => t.listen_port = s.address.clone(),
            Tab::Relay(t) => {
                t.listen = s.address.clone();
                if !s.remote.is_empty() {
                    t.to = s.remote.clone();
                }
            }
        }
    }

    pub fn seen(&mut self, ev: &Event) {
        match &mut self.tab {
            Tab::Udp(t) => t.seen(ev),
            Tab::TcpServer(t) => t.seen(ev),
            Tab::TcpClient(t) => t.seen(ev),
            Tab::Broadcast(t) => t.seen(ev),
            Tab::Relay(t) => t.seen(ev),
        }
    }

    pub fn wire_mut(&mut self) -> &mut Wire {
        match &mut self.tab {
            Tab::Udp(t) => &mut t.wire,
            Tab::TcpServer(t) => &mut t.wire,
            Tab::TcpClient(t) => &mut t.wire,
            Tab::Broadcast(t) => &mut t.wire,
            Tab::Relay(t) => &mut t.wire,
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        // Widget ids must differ from the fixed tab of the same kind (side by side, both show).
        ui.push_id(("instance", self.id), |ui| match &mut self.tab {
            Tab::Udp(t) => t.ui(ui, lang, shared),
            Tab::TcpServer(t) => t.ui(ui, lang, shared),
            Tab::TcpClient(t) => t.ui(ui, lang, shared),
            Tab::Broadcast(t) => t.ui(ui, lang, shared),
            Tab::Relay(t) => t.ui(ui, lang, shared),
        });
    }
}
