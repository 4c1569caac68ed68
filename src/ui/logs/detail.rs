//! The log's detail pane: the selected event's addresses, its bytes in every encoding (to spot
//! mojibake), a hex dump, Copy as, and the packet's comment when a capture has one.

use egui::RichText;

use crate::codec::dump::{self, CopyAs};
use crate::codec::{self, Encoding};
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
                    let arrow = if matches!(ev.kind, EventKind::Tx { .. }) { "->" } else { "<-" };
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
        ui.separator();
        egui::ScrollArea::vertical().id_salt("detail-scroll").auto_shrink([false, false]).show(ui, |ui| match &data {
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
                            ui.add(egui::Label::new(codec::printable(&e.decode_lossy(d))).wrap());
                            ui.end_row();
                        }
                    })
                    .response
                    .on_hover_text(t.mojibake_tip);
                ui.add_space(4.0);
                for line in dump::hex_dump(d) {
                    ui.label(
                        RichText::new(format!("{:04x}  {:<49} {}", line.offset, line.hex, line.ascii)).monospace(),
                    );
                }
            }
            None => {
                ui.label(RichText::new(text).italics().color(color));
            }
        });
    }
}
