//! The central area: the active tab, or up to `MAX_PANES` tabs side by side, each with its
//! title, and the tabs borrowed apart from what they share.

#![allow(clippy::indexing_slicing, reason = "i indexes the same list the loop counts")]

use crate::i18n::Lang;
use crate::ui::instances::Instance;
use crate::ui::layout::{self, MAX_PANES};
use crate::ui::tabs::addresses::AddressesTab;
use crate::ui::tabs::all::AllTab;
use crate::ui::tabs::broadcast::BroadcastTab;
use crate::ui::tabs::files::FilesTab;
use crate::ui::tabs::relay::RelayTab;
use crate::ui::tabs::tcp_client::TcpClientTab;
use crate::ui::tabs::tcp_server::TcpServerTab;
use crate::ui::tabs::udp::UdpTab;
use crate::ui::tabs::viewer::ViewerTab;
use crate::ui::tabs::wire::Shared;

use super::{SockLabApp, TAB_BROADCAST, TAB_FILES, TAB_RELAY, TAB_TCP_CLIENT, TAB_TCP_SERVER, TAB_UDP, TabId};

impl SockLabApp {
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
            TabId::Relay => by_number(TAB_RELAY),
            TabId::Extra(n) => by_number(n),
            TabId::All => None,
            TabId::Viewer => Some((t.tab_viewer.to_string(), egui::Color32::GRAY)),
            TabId::Addresses => Some((t.tab_addresses.to_string(), egui::Color32::GRAY)),
            TabId::Load => Some((t.tab_load.to_string(), egui::Color32::GRAY)),
        };
        found.unwrap_or_else(|| (t.tab_all.to_string(), egui::Color32::GRAY))
    }

    /// The shown tabs in the central panel; returns an address the Addresses tab asked to use.
    pub(super) fn panes(&mut self, ui: &mut egui::Ui) -> Option<std::net::IpAddr> {
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
            relay: &mut self.relay,
            extra: &mut self.extra,
            all: &mut self.all,
            viewer: &mut self.viewer,
            addresses: &mut self.addresses,
            load: &mut self.load,
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
        use_ip
    }

    /// Puts `ip` into the local address of the UDP and TCP Server tabs, keeping their ports.
    pub(super) fn use_address(&mut self, ip: std::net::IpAddr) {
        for field in [&mut self.udp.bind, &mut self.tcp_server.bind] {
            let port = field.trim().rsplit_once(':').map_or("0", |(_, p)| p).to_string();
            *field = std::net::SocketAddr::new(ip, port.parse().unwrap_or(0)).to_string();
        }
    }
}

/// The tabs, borrowed apart from the log and the saved packets that `Shared` borrows.
struct TabsMut<'a> {
    udp: &'a mut UdpTab,
    tcp_server: &'a mut TcpServerTab,
    tcp_client: &'a mut TcpClientTab,
    broadcast: &'a mut BroadcastTab,
    files: &'a mut FilesTab,
    relay: &'a mut RelayTab,
    extra: &'a mut Vec<Instance>,
    all: &'a mut AllTab,
    viewer: &'a mut ViewerTab,
    addresses: &'a mut AddressesTab,
    load: &'a mut crate::ui::tabs::load::LoadTab,
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
            TabId::Relay => self.relay.ui(ui, lang, shared),
            TabId::Extra(n) => {
                if let Some(i) = self.extra.iter_mut().find(|i| i.id == n) {
                    i.ui(ui, lang, shared);
                }
            }
            TabId::All => self.all.ui(ui, lang, shared),
            TabId::Viewer => self.viewer.ui(ui, lang),
            TabId::Addresses => return self.addresses.ui(ui, lang),
            TabId::Load => self.load.ui(ui, lang, shared.packets),
        }
        None
    }
}
