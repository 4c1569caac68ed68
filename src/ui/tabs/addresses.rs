//! Addresses tab: this machine's interfaces, the address/subnet inspector, and the sockets
//! view (like `netstat -an`).

#![allow(clippy::indexing_slicing, reason = "egui gives exactly the two columns asked for")]

use std::net::IpAddr;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::basics::addr::{self, AddrKind, Bits, Inspection, Network};
use crate::basics::sockets::{self, SocketEntry};
use crate::i18n::{self, Lang};

use crate::ui::job::Job;
use crate::ui::widgets::{self, AMBER, BLUE, GREEN, RED};

/// One address of one interface.
struct IfaceRow {
    name: String,
    ip: IpAddr,
    prefix: String,
    broadcast: Option<IpAddr>,
}

fn read_interfaces() -> Vec<IfaceRow> {
    let Ok(list) = if_addrs::get_if_addrs() else { return Vec::new() };
    let mut rows: Vec<IfaceRow> = list
        .into_iter()
        .map(|i| match &i.addr {
            if_addrs::IfAddr::V4(v4) => IfaceRow {
                name: i.name.clone(),
                ip: v4.ip.into(),
                prefix: format!("/{} ({})", v4.prefixlen, v4.netmask),
                broadcast: v4.broadcast.map(IpAddr::from),
            },
            if_addrs::IfAddr::V6(v6) => IfaceRow {
                name: i.name.clone(),
                ip: v6.ip.into(),
                prefix: format!("/{}", v6.prefixlen),
                broadcast: None,
            },
        })
        .collect();
    rows.sort_by(|a, b| (a.name.as_str(), a.ip.is_ipv6()).cmp(&(b.name.as_str(), b.ip.is_ipv6())));
    rows
}

pub struct AddressesTab {
    ifaces: Vec<IfaceRow>,
    pub input: String,
    inspection: Result<Inspection, addr::AddrError>,
    sockets: Option<Result<Vec<SocketEntry>, String>>,
    sockets_job: Option<Job<std::io::Result<Vec<SocketEntry>>>>,
    pub port_filter: String,
}

impl Default for AddressesTab {
    fn default() -> Self {
        let input = "192.168.1.1/24".to_string();
        AddressesTab {
            ifaces: read_interfaces(),
            inspection: addr::inspect(&input),
            input,
            sockets: None,
            sockets_job: None,
            port_filter: String::new(),
        }
    }
}

fn kind_name(lang: Lang, k: AddrKind) -> &'static str {
    if lang == Lang::En {
        return k.name();
    }
    match k {
        AddrKind::Private => "私有地址",
        AddrKind::Loopback => "回环地址",
        AddrKind::LinkLocal => "链路本地地址",
        AddrKind::Multicast => "组播地址",
        AddrKind::LimitedBroadcast => "受限广播地址",
        AddrKind::Unspecified => "未指定地址(任意地址)",
        AddrKind::ThisNetwork => "本网络",
        AddrKind::Documentation => "文档示例地址",
        AddrKind::SharedCgnat => "运营商共享地址(CGNAT)",
        AddrKind::Benchmarking => "基准测试地址",
        AddrKind::Reserved => "保留地址",
        AddrKind::UniqueLocal => "唯一本地地址",
        AddrKind::Ipv4Mapped => "IPv4 映射地址",
        AddrKind::Global => "公网地址",
    }
}

/// Binary digits with network bits in one colour and host bits in another.
fn bits_label(ui: &mut egui::Ui, b: &Bits) {
    let (net, host) = b.text.split_at(b.host_start.min(b.text.len()));
    let mut job = egui::text::LayoutJob::default();
    let font = egui::FontId::monospace(14.0);
    job.append(net, 0.0, egui::TextFormat { font_id: font.clone(), color: BLUE, ..Default::default() });
    job.append(host, 0.0, egui::TextFormat { font_id: font, color: GREEN, ..Default::default() });
    ui.label(job);
}

impl AddressesTab {
    /// Shows the tab; returns an address the user chose to use in the other tabs.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Option<IpAddr> {
        let mut chosen = None;
        if ui.available_width() >= 1000.0 {
            // Left: interfaces and the inspector; right: the sockets view.
            ui.columns(2, |cols| {
                egui::ScrollArea::both().id_salt("addr-left").auto_shrink([false, false]).show(&mut cols[0], |ui| {
                    chosen = self.left_ui(ui, lang);
                });
                self.sockets_ui(&mut cols[1], lang);
            });
        } else {
            // Narrow (e.g. next to another tab): interfaces and inspector above, sockets below.
            let top = egui::vec2(ui.available_width(), (ui.available_height() * 0.55).max(160.0));
            ui.allocate_ui(top, |ui| {
                egui::ScrollArea::both().id_salt("addr-left").auto_shrink([false, false]).max_height(top.y).show(
                    ui,
                    |ui| {
                        chosen = self.left_ui(ui, lang);
                    },
                );
            });
            ui.separator();
            self.sockets_ui(ui, lang);
        }
        chosen
    }

    /// The interfaces and the address inspector.
    fn left_ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Option<IpAddr> {
        let t = lang.tr();
        ui.horizontal(|ui| {
            ui.heading(t.ifaces_title);
            if ui.button(t.refresh).clicked() {
                self.ifaces = read_interfaces();
            }
        });
        let chosen = self.interfaces_ui(ui, lang);
        ui.separator();
        ui.heading(t.inspector_title);
        self.inspector_ui(ui, lang);
        chosen
    }

    fn interfaces_ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Option<IpAddr> {
        let t = lang.tr();
        if self.ifaces.is_empty() {
            ui.label(RichText::new(t.iface_none).weak());
            return None;
        }
        let mut chosen = None;
        let mut inspect = None;
        egui::Grid::new("ifaces").striped(true).num_columns(5).show(ui, |ui| {
            for h in [t.iface_name, t.iface_addr, t.iface_prefix, t.iface_bcast, ""] {
                ui.strong(h);
            }
            ui.end_row();
            for r in &self.ifaces {
                ui.monospace(&r.name);
                if ui.link(RichText::new(r.ip.to_string()).monospace()).clicked() {
                    inspect = Some(format!("{}{}", r.ip, r.prefix.split(' ').next().unwrap_or("")));
                }
                ui.monospace(&r.prefix);
                ui.monospace(r.broadcast.map(|b| b.to_string()).unwrap_or_default());
                if ui.small_button(t.iface_use).on_hover_text(t.iface_use_tip).clicked() {
                    chosen = Some(r.ip);
                }
                ui.end_row();
            }
        });
        if let Some(i) = inspect {
            self.input = i;
            self.inspection = addr::inspect(&self.input);
        }
        chosen
    }

    fn inspector_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        ui.horizontal(|ui| {
            let l = ui.label(t.inspector_input);
            let r =
                crate::ui::widgets::capped_edit(ui, true, &mut self.input, crate::ui::widgets::MAX_FIELD_CHARS, |e| {
                    e.hint_text(t.inspector_hint).desired_width(280.0)
                })
                .labelled_by(l.id);
            if r.changed() {
                self.inspection = addr::inspect(&self.input);
            }
        });
        let i = match &self.inspection {
            Ok(i) => i,
            Err(e) => {
                ui.colored_label(RED, i18n::addr_error(lang, e));
                return;
            }
        };
        egui::Grid::new("inspection").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            ui.strong(t.iface_addr);
            ui.monospace(format!("{} ({})", i.address, i.family.name()));
            ui.end_row();
            if let Some(c) = &i.class {
                ui.strong(t.ins_class);
                ui.label(i18n::fill(t.ins_class_note, &[&c.class.name(), &c.leading_bits]));
                ui.end_row();
            }
            ui.strong(t.ins_kind);
            let kinds: Vec<&str> = i.kinds.iter().map(|k| kind_name(lang, *k)).collect();
            ui.colored_label(AMBER, kinds.join(", "));
            ui.end_row();
            ui.strong(t.ins_bits);
            bits_label(ui, &i.address_bits);
            ui.end_row();
            match (&i.network, &i.classful_network) {
                (Some(n), _) => network_rows(ui, lang, n, t.ins_network),
                (None, Some(n)) => network_rows(ui, lang, n, t.ins_classful),
                _ => {}
            }
        });
        if i.network.is_none() {
            ui.label(RichText::new(t.ins_no_prefix).weak());
        }
    }

    fn sockets_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        if let Some(done) = self.sockets_job.as_mut().and_then(Job::poll) {
            self.sockets_job = None;
            self.sockets = Some(match done {
                Ok(Ok(list)) => Ok(list),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("the reader thread failed".into()),
            });
        }
        ui.heading(t.sockets_title);
        ui.horizontal(|ui| {
            let busy = self.sockets_job.is_some();
            if ui.add_enabled(!busy, egui::Button::new(t.sockets_refresh)).clicked() || self.sockets.is_none() && !busy
            {
                self.sockets_job = Job::spawn_repainting("sockets", ui.ctx(), sockets::list).ok();
            }
            if busy {
                ui.spinner();
            }
            widgets::labelled_edit(ui, t.sockets_port, &mut self.port_filter, 60.0);
        });
        let list = match &self.sockets {
            Some(Ok(list)) => list,
            Some(Err(e)) => {
                ui.colored_label(RED, i18n::fill(t.sockets_error, &[e]));
                return;
            }
            None => return,
        };
        let port: Option<u16> = self.port_filter.trim().parse().ok();
        let shown: Vec<&SocketEntry> =
            list.iter().filter(|s| port.is_none_or(|p| s.local.port() == p || s.remote.port() == p)).collect();
        let own = list.iter().filter(|s| s.own).count();
        ui.label(i18n::fill(t.sockets_count, &[&list.len(), &own]));
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        TableBuilder::new(ui)
            .id_salt("sockets")
            .striped(true)
            .auto_shrink([false, false])
            .column(Column::exact(40.0))
            .column(Column::initial(150.0).resizable(true).clip(true))
            .column(Column::initial(150.0).resizable(true).clip(true))
            .column(Column::exact(95.0))
            .column(Column::remainder().clip(true))
            .header(row_h, |mut h| {
                for name in [t.col_proto, t.col_local, t.col_remote, t.col_state, t.col_process] {
                    h.col(|ui| {
                        ui.strong(name);
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, shown.len(), |mut row| {
                    let Some(s) = shown.get(row.index()) else { return };
                    let who = match (s.pid, &s.command) {
                        (Some(p), Some(c)) => format!("{p}/{c}"),
                        (Some(p), None) => p.to_string(),
                        _ => String::new(),
                    };
                    for text in [
                        s.proto.name().to_string(),
                        s.local.to_string(),
                        s.remote.to_string(),
                        s.state.name().to_string(),
                        who,
                    ] {
                        row.col(|ui| {
                            // SockLab's own sockets stand out.
                            let rt = RichText::new(text).monospace();
                            ui.label(if s.own { rt.color(BLUE).strong() } else { rt });
                        });
                    }
                });
            });
    }
}

fn network_rows(ui: &mut egui::Ui, lang: Lang, n: &Network, title: &str) {
    let t = lang.tr();
    ui.strong(title);
    ui.monospace(&n.cidr);
    ui.end_row();
    ui.strong(t.ins_mask);
    ui.horizontal(|ui| {
        ui.monospace(format!("{}  /{}", n.netmask, n.prefix_len));
        bits_label(ui, &n.netmask_bits);
    });
    ui.end_row();
    if let Some(b) = n.broadcast {
        ui.strong(t.ins_broadcast);
        ui.monospace(b.to_string());
        ui.end_row();
    }
    ui.strong(t.ins_hosts);
    let count = |c: Option<u128>| c.map(|c| c.to_string()).unwrap_or_else(|| "2^128".into());
    ui.vertical(|ui| {
        ui.monospace(format!("{} - {}", n.first_host, n.last_host));
        ui.label(i18n::fill(t.ins_count, &[&count(n.usable_hosts), &count(n.addresses)]));
        if n.is_network_address {
            ui.colored_label(AMBER, t.ins_is_network);
        }
        if n.is_broadcast_address {
            ui.colored_label(AMBER, t.ins_is_broadcast);
        }
    });
    ui.end_row();
}
