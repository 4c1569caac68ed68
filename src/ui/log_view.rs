//! A tab's traffic log: a virtualized table, a detail pane with a hex dump of the selected
//! event, and a conversation view (like Wireshark's "Follow stream") that shows each recv()
//! and send() as its own bubble, so merged and split reads (sticky packets) are visible.

use std::net::SocketAddr;

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::codec::dump::{self, CopyAs};
use crate::codec::{self, Encoding};
use crate::engine::{Event, EventKind, Proto};
use crate::i18n::{self, Lang};
use crate::log::LogStore;

use super::export::ExportJob;
use super::filter::{Direction, Filter, FilterError, FilterIndex};
use super::widgets::{AMBER, BLUE, GREEN, RED, event_text};

/// Characters of a payload shown in one table row; the detail pane and exports keep every byte.
const MAX_ROW_CHARS: usize = 400;
/// Bubbles drawn in the conversation view (the newest ones).
const MAX_BUBBLES: usize = 2_000;

/// A column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Time,
    Len,
    Peer,
    Dir,
    Data,
    Hex,
}

impl Col {
    pub const ALL: [Col; 6] = [Col::Time, Col::Len, Col::Peer, Col::Dir, Col::Data, Col::Hex];

    fn name(self, lang: Lang) -> &'static str {
        let t = lang.tr();
        match self {
            Col::Time => t.col_time,
            Col::Len => t.col_len,
            Col::Peer => t.col_peer,
            Col::Dir => t.col_dir,
            Col::Data => t.col_data,
            Col::Hex => t.col_hex,
        }
    }
}

/// How the time column reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// Wall clock, `12:00:00.123`.
    #[default]
    Absolute,
    /// Seconds since the first row held.
    Relative,
    /// Seconds since the row above.
    Delta,
}

/// Which columns are shown.
#[derive(Clone, Copy, Debug)]
pub struct Columns {
    pub time: TimeFormat,
    /// Bit per `Col`, in `Col::ALL` order.
    shown: u8,
}

impl Default for Columns {
    fn default() -> Self {
        Columns { time: TimeFormat::Absolute, shown: 0b11_1111 }
    }
}

impl Columns {
    fn bit(c: Col) -> u8 {
        1 << Col::ALL.iter().position(|x| *x == c).unwrap_or(0)
    }

    pub fn shows(&self, c: Col) -> bool {
        self.shown & Self::bit(c) != 0
    }

    /// Shows or hides a column; at least one stays.
    pub fn set(&mut self, c: Col, on: bool) {
        let next = if on { self.shown | Self::bit(c) } else { self.shown & !Self::bit(c) };
        if next != 0 {
            self.shown = next;
        }
    }
}

/// `+1.234567` seconds, or empty.
fn seconds(d: Option<jiff::SignedDuration>) -> String {
    d.map(|d| format!("{:+.6}", d.as_secs_f64())).unwrap_or_default()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewMode {
    Table,
    Conversation,
    Throughput,
}

/// What one conversation is: a TCP connection of one worker, or a UDP peer of one worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ConvKey {
    source: u16,
    conn: Option<u64>,
    peer: Option<SocketAddr>,
}

impl ConvKey {
    fn of(ev: &Event) -> Option<ConvKey> {
        match (ev.proto, ev.conn) {
            (Proto::Tcp, Some(conn)) => Some(ConvKey { source: ev.source, conn: Some(conn), peer: None }),
            (Proto::Udp, _) if matches!(ev.kind, EventKind::Rx { .. } | EventKind::Tx { .. }) => {
                Some(ConvKey { source: ev.source, conn: None, peer: ev.peer })
            }
            _ => None,
        }
    }
}

/// The rows of one conversation, kept up to date as rows arrive (never a rescan per frame).
struct ConvIndex {
    key: ConvKey,
    seqs: Vec<u64>,
    /// The next sequence number to look at.
    scanned: u64,
}

impl ConvIndex {
    fn update(&mut self, store: &LogStore) {
        let start = store.iter().next().map_or(self.scanned, |r| r.seq.max(self.scanned));
        for seq in start..store.next_seq() {
            if let Some(r) = store.get_seq(seq)
                && ConvKey::of(&r.event) == Some(self.key)
            {
                self.seqs.push(seq);
            }
        }
        self.scanned = store.next_seq();
        // Forget rows the store evicted.
        if let Some(first) = store.iter().next().map(|r| r.seq) {
            let keep_from = self.seqs.partition_point(|s| *s < first);
            self.seqs.drain(..keep_from);
        }
    }
}

pub struct LogView {
    pub store: LogStore,
    pub columns: Columns,
    pub follow: bool,
    /// Scroll to the last row on the next frame.
    jump_to_newest: bool,
    pub mode: ViewMode,
    /// Sequence number of the selected row.
    pub selected: Option<u64>,
    copy_as: CopyAs,
    conv: Option<ConvIndex>,
    pub export: Option<ExportJob>,
    pub filter: Filter,
    /// Throughput plot in packets/s instead of bytes/s.
    plot_packets: bool,
    filter_index: Option<FilterIndex>,
    filter_error: Option<FilterError>,
    tz: jiff::tz::TimeZone,
}

impl Default for LogView {
    fn default() -> Self {
        LogView {
            store: LogStore::default(),
            columns: Columns::default(),
            follow: true,
            jump_to_newest: false,
            mode: ViewMode::Table,
            selected: None,
            copy_as: CopyAs::Hex,
            conv: None,
            export: None,
            filter: Filter::default(),
            plot_packets: false,
            filter_index: None,
            filter_error: None,
            tz: jiff::tz::TimeZone::system(),
        }
    }
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(MAX_ROW_CHARS) {
        Some((i, _)) => format!("{} …", &s[..i]),
        None => s.to_string(),
    }
}

impl LogView {
    /// The rows the table shows (all, or those the active filter matches), for export.
    pub fn shown_rows(&self) -> Vec<(u64, Event)> {
        match self.filter_index.as_ref().filter(|_| self.filter.is_active()) {
            Some(i) => i.seqs.iter().filter_map(|s| self.store.get_seq(*s)).map(|r| (r.seq, r.event.clone())).collect(),
            None => self.store.iter().map(|r| (r.seq, r.event.clone())).collect(),
        }
    }

    fn time(&self, ev: &Event) -> String {
        ev.time.to_zoned(self.tz.clone()).strftime("%H:%M:%S%.3f").to_string()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, encoding: Encoding, id: &str) {
        let t = lang.tr();
        self.poll_export(encoding, ui.ctx());
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.mode, ViewMode::Table, t.view_table);
            ui.selectable_value(&mut self.mode, ViewMode::Conversation, t.view_conversation).on_hover_text(t.conv_tip);
            ui.selectable_value(&mut self.mode, ViewMode::Throughput, t.view_throughput);
            ui.separator();
            self.columns_menu(ui, lang);
            ui.checkbox(&mut self.follow, t.follow);
            if ui.button(t.jump_newest).clicked() {
                self.follow = true;
                self.jump_to_newest = true;
            }
            if ui.button(t.clear).clicked() {
                self.store.clear();
                self.selected = None;
                self.conv = None;
            }
            super::export::export_button(ui, lang, self);
            if self.store.evicted() > 0 {
                ui.label(RichText::new(i18n::fill(t.evicted, &[&self.store.evicted()])).weak());
            }
        });
        super::export::export_status(ui, lang, self);
        self.filter_ui(ui, lang, encoding, id);
        if let Some(seq) = self.selected
            && self.store.get_seq(seq).is_some()
        {
            egui::Panel::bottom(format!("{id}-detail"))
                .resizable(true)
                .default_size(190.0)
                .show(ui, |ui| self.detail_ui(ui, lang, encoding, seq));
        }
        match self.mode {
            ViewMode::Table => self.table_ui(ui, lang, encoding, id),
            ViewMode::Conversation => self.conversation_ui(ui, lang, encoding, id),
            ViewMode::Throughput => self.throughput_ui(ui, lang, id),
        }
    }

    /// Packets or bytes per second, received and sent, from the store's per-second totals.
    fn throughput_ui(&mut self, ui: &mut egui::Ui, lang: Lang, id: &str) {
        let t = lang.tr();
        // With a filter on (e.g. one peer), plot only the matching rows.
        let filtered = self.filter_index.as_ref().filter(|_| self.filter.is_active());
        let buckets = filtered.map_or(self.store.rates().buckets(), |i| i.rates.buckets());
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.plot_packets, false, t.plot_bytes);
            ui.selectable_value(&mut self.plot_packets, true, t.plot_packets);
            if filtered.is_some() {
                ui.label(RichText::new(t.plot_filtered).strong());
            }
            ui.label(RichText::new(t.plot_hint).weak());
        });
        if buckets.is_empty() {
            ui.label(RichText::new(t.plot_empty).weak());
            return;
        }
        let packets = self.plot_packets;
        let series = |rx: bool| -> Vec<[f64; 2]> {
            buckets
                .iter()
                .map(|b| {
                    let y = match (rx, packets) {
                        (true, true) => b.rx_packets,
                        (true, false) => b.rx_bytes,
                        (false, true) => b.tx_packets,
                        (false, false) => b.tx_bytes,
                    };
                    [b.second as f64, y as f64]
                })
                .collect()
        };
        let tz = self.tz.clone();
        let unit = if packets { t.plot_packets } else { t.plot_bytes };
        egui_plot::Plot::new((id, "throughput"))
            .legend(egui_plot::Legend::default())
            .y_axis_label(unit)
            .x_axis_formatter(move |mark, _| {
                jiff::Timestamp::from_second(mark.value as i64)
                    .map(|ts| ts.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string())
                    .unwrap_or_default()
            })
            .show(ui, |plot| {
                plot.line(egui_plot::Line::new(t.plot_rx, series(true)).color(GREEN));
                plot.line(egui_plot::Line::new(t.plot_tx, series(false)).color(BLUE));
            });
    }

    /// The filter bar, and keeping the filter's index up to date.
    fn filter_ui(&mut self, ui: &mut egui::Ui, lang: Lang, encoding: Encoding, id: &str) {
        let t = lang.tr();
        ui.horizontal(|ui| {
            let l = ui.label(t.filter);
            ui.add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text(t.filter_hint)
                    .desired_width(200.0)
                    .id_salt((id, "filter")),
            )
            .labelled_by(l.id);
            ui.checkbox(&mut self.filter.regex, t.filter_regex);
            let names = [
                (Direction::All, t.filter_all),
                (Direction::Rx, t.filter_rx),
                (Direction::Tx, t.filter_tx),
                (Direction::Events, t.filter_events),
            ];
            for (d, name) in names {
                ui.selectable_value(&mut self.filter.direction, d, name);
            }
            for (label, value, width, salt) in [
                (t.filter_peer, &mut self.filter.peer, 120.0, "peer"),
                (t.filter_length, &mut self.filter.length, 60.0, "length"),
                (t.filter_conn, &mut self.filter.conn, 30.0, "conn"),
            ] {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).desired_width(width).id_salt((id, salt))).labelled_by(l.id);
            }
            if !self.filter.is_active() {
                self.filter_index = None;
                self.filter_error = None;
                return;
            }
            if !self.filter_index.as_ref().is_some_and(|i| i.is_for(&self.filter, encoding)) {
                match FilterIndex::new(&self.filter, encoding, &self.store) {
                    Ok(i) => {
                        self.filter_index = Some(i);
                        self.filter_error = None;
                    }
                    Err(e) => {
                        self.filter_index = None;
                        self.filter_error = Some(e);
                    }
                }
            }
            if let Some(e) = &self.filter_error {
                let msg = match e {
                    FilterError::Regex(e) => i18n::fill(t.filter_bad_regex, &[e]),
                    FilterError::Length(v) => i18n::fill(t.filter_bad_length, &[v]),
                    FilterError::Conn(v) => i18n::fill(t.filter_bad_conn, &[v]),
                };
                ui.colored_label(RED, msg);
            } else if let Some(i) = self.filter_index.as_mut() {
                let done = i.update(&self.store);
                if i.caught_up(&self.store) {
                    ui.label(i18n::fill(t.filter_count, &[&i.seqs.len(), &self.store.len()]));
                } else {
                    ui.add(egui::ProgressBar::new(done).desired_width(120.0));
                    ui.label(i18n::fill(t.filter_progress, &[&((done * 100.0) as u32)]));
                    ui.ctx().request_repaint();
                }
            }
        });
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, lang: Lang, encoding: Encoding, id: &str) {
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        // Row labels must not take the click for text selection: a click selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        let cols: Vec<Col> = Col::ALL.into_iter().filter(|c| self.columns.shows(*c)).collect();
        let index = self.filter_index.as_ref().filter(|_| self.filter.is_active());
        let n = index.map_or(self.store.len(), |i| i.seqs.len());
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
                Col::Peer => Column::initial(150.0).at_least(80.0).resizable(true).clip(true),
                Col::Dir => Column::exact(34.0),
                Col::Data | Col::Hex => Column::initial(320.0).at_least(80.0).resizable(true).clip(true),
            });
        }
        let mut clicked = None;
        let first_time = self.store.iter().next().map(|r| r.event.time);
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
                    Some(idx) => idx.seqs.get(i).and_then(|s| self.store.get_seq(*s)),
                    None => self.store.get(i),
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
                            Col::Peer => {
                                let peer = ev.peer.map(|p| p.to_string()).unwrap_or_default();
                                ui.add(egui::Label::new(RichText::new(peer).monospace()).truncate());
                            }
                            Col::Dir => {
                                ui.label(RichText::new(dir).monospace().color(color).strong());
                            }
                            Col::Data => {
                                let rt = if data.is_some() {
                                    RichText::new(shorten(&text))
                                } else {
                                    RichText::new(text.clone()).italics().color(color)
                                };
                                ui.add(egui::Label::new(rt).truncate());
                            }
                            Col::Hex => {
                                if let Some(d) = data {
                                    let n = d.len().min(MAX_ROW_CHARS / 3);
                                    let mut hex = codec::to_hex(&d[..n]);
                                    if n < d.len() {
                                        hex.push_str(" …");
                                    }
                                    ui.add(egui::Label::new(RichText::new(hex).monospace().weak()).truncate());
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
    fn columns_menu(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
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

    fn detail_ui(&mut self, ui: &mut egui::Ui, lang: Lang, encoding: Encoding, seq: u64) {
        let t = lang.tr();
        let Some(r) = self.store.get_seq(seq) else { return };
        let ev = r.event.clone();
        let (dir, color, text, data) = describe(&ev, lang, encoding);
        let data = data.map(<[u8]>::to_vec);
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.strong(i18n::fill(t.detail_title, &[&seq]));
            ui.label(RichText::new(self.time(&ev)).monospace());
            if let Some(p) = ev.peer {
                ui.label(RichText::new(p.to_string()).monospace());
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
            if ConvKey::of(&ev).is_some() && self.mode == ViewMode::Table && ui.button(t.follow_conversation).clicked()
            {
                self.mode = ViewMode::Conversation;
            }
            if ui.button(t.close_detail).clicked() {
                self.selected = None;
            }
        });
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

    fn conversation_ui(&mut self, ui: &mut egui::Ui, lang: Lang, encoding: Encoding, id: &str) {
        let t = lang.tr();
        let key = self.selected.and_then(|s| self.store.get_seq(s)).and_then(|r| ConvKey::of(&r.event));
        let key = key.or(self.conv.as_ref().map(|c| c.key));
        let Some(key) = key else {
            ui.label(RichText::new(t.conv_hint).weak());
            return;
        };
        if self.conv.as_ref().is_none_or(|c| c.key != key) {
            self.conv = Some(ConvIndex { key, seqs: Vec::new(), scanned: 0 });
        }
        let Some(conv) = self.conv.as_mut() else { return };
        conv.update(&self.store);
        let seqs: Vec<u64> = conv.seqs.iter().rev().take(MAX_BUBBLES).rev().copied().collect();
        let total = conv.seqs.len();
        let peer = seqs.iter().find_map(|s| self.store.get_seq(*s).and_then(|r| r.event.peer));
        let (mut rx_chunks, mut tx_chunks, mut rx_bytes, mut tx_bytes) = (0, 0, 0, 0);
        for s in &conv.seqs {
            match self.store.get_seq(*s).map(|r| &r.event.kind) {
                Some(EventKind::Rx { data, .. }) => {
                    rx_chunks += 1;
                    rx_bytes += data.len();
                }
                Some(EventKind::Tx { data }) => {
                    tx_chunks += 1;
                    tx_bytes += data.len();
                }
                _ => {}
            }
        }
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
                    let Some(r) = self.store.get_seq(*seq) else { continue };
                    let ev = &r.event;
                    let time = self.time(ev);
                    match &ev.kind {
                        EventKind::Rx { data, .. } | EventKind::Tx { data } => {
                            let inbound = matches!(ev.kind, EventKind::Rx { .. });
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
                            bubble(ui, width, inbound, n, &time, data, &text, self.columns.shows(Col::Hex), lang);
                        }
                        _ => {
                            let (_, color, text, _) = describe(ev, lang, encoding);
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
    lang: Lang,
) {
    let t = lang.tr();
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
                    ui.add(egui::Label::new(RichText::new(shorten(&codec::printable(text)))).wrap());
                    if show_hex {
                        let n = data.len().min(MAX_ROW_CHARS / 3);
                        let mut hex = codec::to_hex(&data[..n]);
                        if n < data.len() {
                            hex.push_str(" …");
                        }
                        ui.add(egui::Label::new(RichText::new(hex).monospace().weak().small()).wrap());
                    }
                });
            });
    });
    ui.add_space(3.0);
}

/// Direction mark, colour, text and payload of an event for display.
fn describe(ev: &Event, lang: Lang, encoding: Encoding) -> (&'static str, Color32, String, Option<&[u8]>) {
    let t = lang.tr();
    match &ev.kind {
        EventKind::Rx { data, lost } => {
            let mut s = codec::printable(&encoding.decode_lossy(data));
            if *lost > 0 {
                s.push_str(&i18n::fill(t.ev_truncated, &[lost]));
            }
            (">>>", GREEN, s, Some(data))
        }
        EventKind::Tx { data } => ("<<<", BLUE, codec::printable(&encoding.decode_lossy(data)), Some(data)),
        EventKind::Error(_) => ("!", RED, event_text(t, &ev.kind, lang), None),
        k => ("•", AMBER, event_text(t, k, lang), None),
    }
}
