//! The log's conversation view (like Wireshark's "Follow stream"): each recv() and send() of one
//! flow as its own bubble, so merged and split reads (sticky packets) are visible, and bytes a
//! capture missed as a gap of their own between the bubbles.

#![allow(clippy::indexing_slicing, reason = "a bool (0 or 1) indexes the two directions")]

use egui::RichText;

use crate::codec;
use crate::engine::EventKind;
use crate::i18n::{self, Tr};
use crate::log::FlowKey;
use crate::ui::logs::describe::describe;
use crate::ui::logs::filter::ConvIndex;
use crate::ui::logs::table::MAX_ROW_CHARS;
use crate::ui::logs::{Col, LogView, LogViewCtx};
use crate::ui::widgets::text::{shorten, shorten_hex};
use crate::ui::widgets::theme::{AMBER, BLUE, GREEN};

/// Bubbles drawn in the conversation view (the newest ones).
const MAX_BUBBLES: usize = 2_000;

impl LogView {
    /// The bubbles of the selected row's flow (or of the flow shown last).
    pub(super) fn conversation_ui(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let (t, store, encoding, id) = (cx.tr, cx.store, cx.encoding, cx.id);
        let key = self.selected.and_then(|s| store.get_seq(s)).and_then(|r| FlowKey::of(&r.event));
        let key = key.or(self.conv.as_ref().map(|c| c.key));
        let Some(key) = key else {
            ui.label(RichText::new(t.conv_hint).weak());
            return;
        };
        if self.conv.as_ref().is_none_or(|c| c.key != key) {
            self.conv = Some(ConvIndex { key, seqs: Vec::new(), scanned: self.filter.from_seq });
        }
        let Some(conv) = self.conv.as_mut() else { return };
        conv.update(store);
        let seqs: Vec<u64> = conv.seqs.iter().rev().take(MAX_BUBBLES).rev().copied().collect();
        let total = conv.seqs.len();
        let peer = seqs.iter().find_map(|s| store.get_seq(*s).and_then(|r| r.event.peer));
        // The flow's counters are exact even when old rows were evicted.
        let c = store.flow(&key).copied().unwrap_or_default();
        let (rx_chunks, rx_bytes, tx_chunks, tx_bytes) = (c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes);
        ui.horizontal_wrapped(|ui| {
            let who = peer.map(|p| p.to_string()).unwrap_or_default();
            ui.strong(i18n::fill(t.conv_title, &[&who]));
            ui.label(i18n::fill(t.conv_stats, &[&rx_chunks, &rx_bytes, &tx_chunks, &tx_bytes]));
            if total > seqs.len() {
                ui.label(RichText::new(i18n::fill(t.conv_truncated, &[&seqs.len()])).weak());
            }
        });
        ui.label(RichText::new(t.conv_explain).weak());
        ui.separator();
        let width = ui.available_width();
        egui::ScrollArea::vertical()
            .id_salt((id, "conv"))
            .stick_to_bottom(self.follow)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let mut n_in = 0usize;
                let mut n_out = 0usize;
                // A TCP stream is decoded as a stream, per direction, so a character split
                // across two reads shows whole; UDP datagrams stand alone.
                let tcp = key.conn.is_some();
                let mut decoders = [codec::StreamDecoder::new(encoding), codec::StreamDecoder::new(encoding)];
                for seq in &seqs {
                    let Some(r) = store.get_seq(*seq) else { continue };
                    let ev = &r.event;
                    let time = self.time(ev);
                    match &ev.kind {
                        EventKind::Rx { data, .. } | EventKind::Tx { data } | EventKind::Relayed { data, .. } => {
                            // A relay's client speaks on the left, its server on the right.
                            let inbound = matches!(
                                ev.kind,
                                EventKind::Rx { .. } | EventKind::Relayed { dir: crate::vocab::Dir::Up, .. }
                            );
                            let n = if inbound {
                                n_in += 1;
                                n_in
                            } else {
                                n_out += 1;
                                n_out
                            };
                            let text = if tcp {
                                decoders[usize::from(inbound)].decode(data, false)
                            } else {
                                encoding.decode_lossy(data)
                            };
                            // A byte that is not text as `·`: the bundled fonts have no U+FFFD.
                            let text = text.replace('\u{fffd}', "·");
                            bubble(ui, width, inbound, n, &time, data, &text, self.columns.shows(Col::Hex), t);
                        }
                        EventKind::Gap { bytes, from_peer } => {
                            // Bytes the capture lost: a character cut by the gap is not glued
                            // to what follows it.
                            decoders[usize::from(*from_peer)] = codec::StreamDecoder::new(encoding);
                            gap(ui, width, *from_peer, *bytes, &time, t);
                        }
                        _ => {
                            let (_, color, text, _) = describe(ev, cx.lang, encoding);
                            ui.vertical_centered(|ui| {
                                ui.label(RichText::new(format!("{time}  {text}")).italics().color(color));
                            });
                        }
                    }
                }
            });
    }
}

/// One recv() (left, green) or send() (right, blue) as a chat bubble.
#[allow(clippy::too_many_arguments)]
fn bubble(
    ui: &mut egui::Ui,
    width: f32,
    inbound: bool,
    n: usize,
    time: &str,
    data: &[u8],
    text: &str,
    show_hex: bool,
    t: &Tr,
) {
    let (color, layout) = if inbound {
        (GREEN, egui::Layout::left_to_right(egui::Align::TOP))
    } else {
        (BLUE, egui::Layout::right_to_left(egui::Align::TOP))
    };
    ui.with_layout(layout, |ui| {
        egui::Frame::new()
            .fill(color.gamma_multiply(0.18))
            .stroke(egui::Stroke::new(1.0, color))
            .corner_radius(6.0)
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.set_max_width(width * 0.7);
                ui.vertical(|ui| {
                    let head = if inbound { t.conv_recv } else { t.conv_send };
                    ui.label(RichText::new(i18n::fill(head, &[&n, &data.len(), &time])).small().color(color));
                    ui.add(egui::Label::new(RichText::new(shorten(&codec::printable(text), MAX_ROW_CHARS))).wrap());
                    if show_hex {
                        let hex = shorten_hex(data, MAX_ROW_CHARS);
                        ui.add(egui::Label::new(RichText::new(hex).monospace().weak().small()).wrap());
                    }
                });
            });
    });
    ui.add_space(3.0);
}

/// Bytes missing from a captured stream, on their sender's side: a frame of its own with room
/// above and below, so it never reads as part of the next bubble.
fn gap(ui: &mut egui::Ui, width: f32, from_peer: bool, bytes: u64, time: &str, t: &Tr) {
    let layout = if from_peer {
        egui::Layout::left_to_right(egui::Align::TOP)
    } else {
        egui::Layout::right_to_left(egui::Align::TOP)
    };
    ui.add_space(4.0);
    ui.with_layout(layout, |ui| {
        egui::Frame::new()
            .stroke(egui::Stroke::new(1.0, AMBER.gamma_multiply(0.7)))
            .corner_radius(6.0)
            .inner_margin(egui::Margin::symmetric(10, 4))
            .show(ui, |ui| {
                ui.set_max_width(width * 0.7);
                let text = i18n::fill(t.conv_gap, &[&bytes]);
                ui.label(RichText::new(format!("{text}   {time}")).italics().color(AMBER));
            });
    });
    ui.add_space(7.0);
}
