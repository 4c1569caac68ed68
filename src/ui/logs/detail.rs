//! The log's detail pane: the selected event's addresses, its bytes in every encoding (to spot
//! mojibake), a hex dump, Copy as, and the packet's comment when a capture has one.

use egui::RichText;

use crate::codec::template::{Checksum, Order};
use crate::ui::widgets::theme::{GREEN, RED};

use crate::codec::dump::{self, CopyAs};
use crate::codec::{self, Encoding, json};
use crate::engine::EventKind;
use crate::i18n;
use crate::log::FlowKey;
use crate::ui::logs::describe::{describe, tab_label};
use crate::ui::logs::{LogView, LogViewCtx, ViewMode};

impl LogView {
    /// The pane under the table for the row numbered `seq`.
    pub(super) fn detail_ui(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>, seq: u64) {
        let (t, store, tabs, encoding) = (cx.tr, cx.store, cx.tabs, cx.encoding);
        let Some(r) = store.get_seq(seq) else { return };
        let ev = r.event.clone();
        let (dir, color, text, data) = describe(&ev, cx.lang, encoding);
        let data = data.map(<[u8]>::to_vec);
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.strong(i18n::fill(t.detail_title, &[&seq]));
            if !tabs.is_empty() {
                let (name, color) = tab_label(tabs, ev.tab);
                ui.label(RichText::new(name).color(color).strong());
            }
            ui.label(RichText::new(self.time(&ev)).monospace());
            match (ev.local, ev.peer) {
                (Some(l), Some(p)) => {
                    let sent = matches!(ev.kind, EventKind::Tx { .. } | EventKind::TlsRecords { sent: true, .. });
                    let arrow = if sent { "->" } else { "<-" };
                    ui.label(RichText::new(format!("{l} {arrow} {p}")).monospace())
                        .on_hover_text(t.detail_addresses_tip);
                }
                (None, Some(p)) => {
                    ui.label(RichText::new(p.to_string()).monospace());
                }
                (Some(l), None) => {
                    ui.label(RichText::new(l.to_string()).monospace());
                }
                (None, None) => {}
            }
            ui.label(RichText::new(dir).monospace().color(color).strong());
            if let Some(d) = &data {
                ui.label(i18n::fill(t.detail_bytes, &[&d.len()]));
                ui.separator();
                let l = ui.label(t.copy_as);
                egui::ComboBox::from_id_salt("copy-as")
                    .selected_text(self.copy_as.name())
                    .show_ui(ui, |ui| {
                        for f in CopyAs::ALL {
                            ui.selectable_value(&mut self.copy_as, f, f.name());
                        }
                    })
                    .response
                    .labelled_by(l.id);
                if ui.button(t.copy).clicked() {
                    ui.ctx().copy_text(dump::copy_as(d, self.copy_as, encoding));
                }
            }
            if FlowKey::of(&ev).is_some() && self.mode == ViewMode::Table && ui.button(t.follow_conversation).clicked()
            {
                self.mode = ViewMode::Conversation;
            }
            if ui.button(t.close_detail).clicked() {
                self.selected = None;
            }
        });
        // A capture's packet comment (pcapng), as the file has it.
        if let Some(c) = store.comment(seq) {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(t.vw_comment).strong());
                ui.add(egui::Label::new(RichText::new(c).italics()).wrap());
            });
        }
        // The checksum check on its own line, above the scrolled bytes: always in view.
        if let Some(d) = &data {
            self.check_ui(ui, cx, d);
        }
        ui.separator();
        egui::ScrollArea::vertical().id_salt("detail-scroll").auto_shrink([false, false]).show(ui, |ui| match &data {
            // TLS records: what each is, then the encrypted bytes as they crossed the wire.
            Some(d) if matches!(ev.kind, EventKind::TlsRecords { .. }) => {
                if let EventKind::TlsRecords { records, .. } = &ev.kind {
                    ui.strong(t.tls_records_title);
                    for r in records {
                        let line = format!("{} · {} · {} B", r.summary(), codec::tls::version_name(r.version), r.len);
                        ui.label(RichText::new(line).monospace());
                    }
                }
                ui.add_space(4.0);
                for line in dump::hex_dump(d) {
                    ui.label(
                        RichText::new(format!("{:04x}  {:<49} {}", line.offset, line.hex, line.ascii)).monospace(),
                    );
                }
            }
            Some(d) => {
                ui.label(RichText::new(text).color(color));
                ui.add_space(4.0);
                // The same bytes in both encodings: when sender and receiver disagree, one of
                // them is mojibake (乱码).
                egui::Grid::new("decodings")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for e in Encoding::ALL {
                            let label = i18n::fill(t.decoded_as, &[&e.name()]);
                            if e == encoding {
                                ui.strong(label);
                            } else {
                                ui.label(label);
                            }
                            ui.add(egui::Label::new(crate::ui::logs::describe::shown(e, d)).wrap());
                            ui.end_row();
                        }
                    })
                    .response
                    .on_hover_text(t.mojibake_tip);
                ui.add_space(4.0);
                json_ui(ui, cx, d);
                ui.add_space(4.0);
                for line in dump::hex_dump(d) {
                    ui.label(
                        RichText::new(format!("{:04x}  {:<49} {}", line.offset, line.hex, line.ascii)).monospace(),
                    );
                }
            }
            None => {
                ui.label(RichText::new(text).italics().color(color));
                if let EventKind::Connected { tls: Some(info), .. } = &ev.kind {
                    crate::ui::tabs::tls::info_ui(ui, t, info);
                }
            }
        });
    }
}

impl LogView {
    /// "Check: [CRC-16/MODBUS]": whether the message's last bytes are that checksum of the rest.
    fn check_ui(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>, d: &[u8]) {
        let t = cx.tr;
        ui.horizontal(|ui| {
            let l = ui.label(t.check_label);
            let name = |c: Option<Checksum>| c.map_or(t.check_none, Checksum::title);
            let before = self.check;
            egui::ComboBox::from_id_salt((cx.id, "check"))
                .selected_text(name(self.check))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.check, None, t.check_none);
                    for c in Checksum::ALL {
                        ui.selectable_value(&mut self.check, Some(c), c.title());
                    }
                })
                .response
                .labelled_by(l.id)
                .on_hover_text(t.check_tip);
            let Some(algo) = self.check else { return };
            // A newly chosen algorithm starts in its usual byte order (Modbus: low byte first).
            if before != self.check {
                self.check_le = algo.default_order() == Order::Little;
            }
            if algo.width() > 1 {
                ui.checkbox(&mut self.check_le, t.check_le);
            }
            let order = if self.check_le { Order::Little } else { Order::Big };
            match algo.check(d, order) {
                None => {
                    ui.label(i18n::fill(t.check_short, &[&algo.width()]));
                }
                Some(r) if r.ok() => {
                    ui.colored_label(GREEN, i18n::fill(t.check_ok, &[&algo.title()]));
                }
                Some(r) => {
                    let hex = |v: u32| format!("0x{v:0w$X}", w = r.width * 2);
                    ui.colored_label(RED, i18n::fill(t.check_bad, &[&algo.title(), &hex(r.expected), &hex(r.got)]));
                }
            }
        });
    }
}

/// A payload that looks like JSON (`{` or `[` first), pretty-printed; when it is not valid
/// JSON, where it goes wrong.
fn json_ui(ui: &mut egui::Ui, cx: &LogViewCtx<'_>, d: &[u8]) {
    let t = cx.tr;
    if !json::looks_like_json(d) {
        return;
    }
    match json::pretty(d) {
        Ok(pretty) => {
            ui.label(RichText::new(t.json_title).strong());
            ui.add(egui::Label::new(RichText::new(pretty).monospace()).wrap());
        }
        Err(e) => {
            let why = if e.eof { t.json_eof } else { t.json_syntax };
            ui.colored_label(RED, i18n::fill(t.json_bad, &[&e.line, &e.column, &why]));
        }
    }
}
