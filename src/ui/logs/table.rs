//! The log's table: one uniform row per event, only the visible rows formatted, and the
//! column chooser.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::codec;
use crate::ui::logs::describe::{describe, tab_label};
use crate::ui::logs::{Col, LogView, LogViewCtx, TimeFormat};
use crate::ui::widgets::text::{shorten, shorten_hex};

/// Characters of a payload shown in one table row; the detail pane and exports keep every byte.
pub const MAX_ROW_CHARS: usize = 400;

/// Bytes a row shows as Base64 (400 characters) and as bits (44 bytes, 395 characters).
const ROW_BASE64_BYTES: usize = MAX_ROW_CHARS / 4 * 3;
const ROW_BINARY_BYTES: usize = MAX_ROW_CHARS / 9;

/// `+1.234567` seconds, or empty.
fn seconds(d: Option<jiff::SignedDuration>) -> String {
    d.map(|d| format!("{:+.6}", d.as_secs_f64())).unwrap_or_default()
}

impl LogView {
    /// The rows shown (all, or those the filter matches), the newest at the bottom.
    pub(super) fn table_ui(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let (lang, store, tabs, encoding, id) = (cx.lang, cx.store, cx.tabs, cx.encoding, cx.id);
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        // Row labels must not take the click for text selection: a click selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        let cols: Vec<Col> = Col::ALL.into_iter().filter(|c| self.columns.shows(*c)).collect();
        let index = self.filter_index.as_ref().filter(|_| self.filter.is_active());
        let all = index.map_or(store.len(), |i| i.seqs.len());
        // "Keep last N": the newest N rows, the older ones still in the log (and its counters).
        let skip = self.keep_cap().map_or(0, |cap| all.saturating_sub(cap));
        let n = all - skip;
        let mut table = TableBuilder::new(ui)
            .id_salt(id)
            .striped(true)
            .sense(egui::Sense::click())
            .stick_to_bottom(self.follow)
            .auto_shrink([false, false]);
        if std::mem::take(&mut self.jump_to_newest) && n > 0 {
            table = table.scroll_to_row(n - 1, Some(egui::Align::BOTTOM));
        }
        for (i, c) in cols.iter().enumerate() {
            let last = i + 1 == cols.len();
            table = table.column(match c {
                _ if last => Column::remainder().clip(true),
                Col::Time => Column::exact(108.0),
                Col::Len => Column::exact(52.0),
                Col::Peer | Col::Local => Column::initial(150.0).at_least(80.0).resizable(true).clip(true),
                Col::Tab => Column::initial(90.0).at_least(40.0).resizable(true).clip(true),
                Col::Dir => Column::exact(34.0),
                Col::Data | Col::Hex | Col::Base64 | Col::Binary => {
                    Column::initial(320.0).at_least(80.0).resizable(true).clip(true)
                }
            });
        }
        let mut clicked = None;
        let first_time = match index {
            Some(i) => i.seqs.get(skip).and_then(|s| store.get_seq(*s)),
            None => store.get(skip),
        }
        .map(|r| r.event.time);
        let time_format = self.columns.time;
        table
            .header(row_h, |mut h| {
                for c in &cols {
                    h.col(|ui| {
                        ui.strong(c.name(lang));
                    });
                }
            })
            .body(|body| {
                let row_at = |i: usize| match index {
                    Some(idx) => idx.seqs.get(i + skip).and_then(|s| store.get_seq(*s)),
                    None => store.get(i + skip),
                };
                body.rows(row_h, n, |mut row| {
                    let i = row.index();
                    let Some(r) = row_at(i) else { return };
                    let ev = &r.event;
                    row.set_selected(self.selected == Some(r.seq));
                    let (dir, color, text, data) = describe(ev, lang, encoding);
                    for c in &cols {
                        row.col(|ui| match c {
                            Col::Time => {
                                let s = match time_format {
                                    TimeFormat::Absolute => self.time(ev),
                                    TimeFormat::Relative => seconds(first_time.map(|f| ev.time.duration_since(f))),
                                    TimeFormat::Delta => seconds(
                                        i.checked_sub(1).and_then(row_at).map(|p| ev.time.duration_since(p.event.time)),
                                    ),
                                };
                                ui.label(RichText::new(s).monospace().weak());
                            }
                            Col::Len => {
                                if let Some(d) = data {
                                    ui.label(RichText::new(d.len().to_string()).monospace());
                                }
                            }
                            Col::Peer | Col::Local => {
                                let a = if *c == Col::Peer { ev.peer } else { ev.local };
                                let a = a.map(|p| p.to_string()).unwrap_or_default();
                                ui.add(egui::Label::new(RichText::new(a).monospace()).truncate());
                            }
                            Col::Tab => {
                                let (name, color) = tab_label(tabs, ev.tab);
                                ui.add(egui::Label::new(RichText::new(name).color(color).strong()).truncate());
                            }
                            Col::Dir => {
                                ui.label(RichText::new(dir).monospace().color(color).strong());
                            }
                            Col::Data => {
                                // A capture's comment on the packet: a mark, the text on hover.
                                let rt = if data.is_some() {
                                    RichText::new(shorten(&text, MAX_ROW_CHARS))
                                } else {
                                    RichText::new(text.clone()).italics().color(color)
                                };
                                ui.horizontal(|ui| {
                                    if let Some(c) = store.comment(r.seq) {
                                        ui.label(RichText::new("¶").weak()).on_hover_text(c);
                                    }
                                    ui.add(egui::Label::new(rt).truncate());
                                });
                            }
                            Col::Hex => {
                                if let Some(d) = data {
                                    let hex = shorten_hex(d, MAX_ROW_CHARS);
                                    ui.add(egui::Label::new(RichText::new(hex).monospace().weak()).truncate());
                                }
                            }
                            // The first bytes only, as many as fill a row (the detail pane and
                            // Copy as have every byte).
                            Col::Base64 => {
                                if let Some(d) = data {
                                    let s = codec::to_base64(d.get(..ROW_BASE64_BYTES).unwrap_or(d));
                                    ui.add(egui::Label::new(RichText::new(s).monospace().weak()).truncate());
                                }
                            }
                            Col::Binary => {
                                if let Some(d) = data {
                                    let s = codec::to_binary(d.get(..ROW_BINARY_BYTES).unwrap_or(d));
                                    ui.add(egui::Label::new(RichText::new(s).monospace().weak()).truncate());
                                }
                            }
                        });
                    }
                    if row.response().clicked() {
                        clicked = Some(r.seq);
                    }
                });
            });
        if let Some(seq) = clicked {
            self.selected = if self.selected == Some(seq) { None } else { Some(seq) };
        }
    }

    /// The column chooser and the time format.
    pub(super) fn columns_menu(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let (t, lang) = (cx.tr, cx.lang);
        ui.menu_button(t.columns, |ui| {
            ui.label(RichText::new(t.col_time).strong());
            ui.radio_value(&mut self.columns.time, TimeFormat::Absolute, t.time_absolute);
            ui.radio_value(&mut self.columns.time, TimeFormat::Relative, t.time_relative);
            ui.radio_value(&mut self.columns.time, TimeFormat::Delta, t.time_delta);
            ui.separator();
            for c in Col::ALL {
                let mut on = self.columns.shows(c);
                if ui.checkbox(&mut on, c.name(lang)).changed() {
                    self.columns.set(c, on);
                }
            }
        });
    }
}
