//! A tab's traffic log: a virtualized table, a detail pane with a hex dump of the selected
//! event, and a conversation view (like Wireshark's "Follow stream") that shows each recv()
//! and send() as its own bubble, so merged and split reads (sticky packets) are visible.

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::codec::dump::{self, CopyAs};
use crate::codec::{self, Encoding};
use crate::engine::{Event, EventKind};
use crate::i18n::{self, Lang};
use crate::log::{FlowKey, LogStore};

use super::export::ExportJob;
use super::filter::{Direction, Filter, FilterError, FilterIndex};
use super::widgets::{AMBER, BLUE, GREEN, MAX_FIELD_CHARS, RED, event_text};

/// Characters of a payload shown in one table row; the detail pane and exports keep every byte.
const MAX_ROW_CHARS: usize = 400;
/// Bubbles drawn in the conversation view (the newest ones).
const MAX_BUBBLES: usize = 2_000;

/// A column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Time,
    /// Which tab the row came from (in the shared log).
    Tab,
    Len,
    Peer,
    /// Our own address.
    Local,
    Dir,
    Data,
    Hex,
}

impl Col {
    pub const ALL: [Col; 8] = [Col::Time, Col::Tab, Col::Len, Col::Peer, Col::Local, Col::Dir, Col::Data, Col::Hex];

    fn name(self, lang: Lang) -> &'static str {
        let t = lang.tr();
        match self {
            Col::Time => t.col_time,
            Col::Tab => t.col_tab,
            Col::Local => t.col_local,
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
        let mut c = Columns { time: TimeFormat::Absolute, shown: 0 };
        for col in [Col::Time, Col::Len, Col::Peer, Col::Dir, Col::Data, Col::Hex] {
            c.set(col, true);
        }
        c
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

/// The rows of one conversation, kept up to date as rows arrive (never a rescan per frame).
struct ConvIndex {
    key: FlowKey,
    seqs: Vec<u64>,
    /// The next sequence number to look at.
    scanned: u64,
}

impl ConvIndex {
    fn update(&mut self, store: &LogStore) {
        let start = store.iter().next().map_or(self.scanned, |r| r.seq.max(self.scanned));
        for seq in start..store.next_seq() {
            if let Some(r) = store.get_seq(seq)
                && FlowKey::of(&r.event) == Some(self.key)
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

/// How a tab is named and coloured in the shared log.
#[derive(Clone, Debug, PartialEq)]
pub struct TabInfo {
    pub id: u16,
    pub name: String,
    pub color: Color32,
}

/// A view of the shared log: one tab's rows, or every tab's.
pub struct LogView {
    /// The tab whose rows this view shows; `None`: every tab (the user may pick one).
    pub scope: Option<u16>,
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
    /// Ctrl+F: focus the filter field on the next frame.
    focus_filter: bool,
    /// What the log held at the last Clear, to count the rows this view still shows.
    cleared: Option<ClearMark>,
    tz: jiff::tz::TimeZone,
}

/// Rows held and rows evicted so far, of the whole log and of each tab, when Clear was clicked.
/// The log evicts its oldest rows first, so of the rows held then, those evicted since went
/// first: the rows a view shows after Clear are the rows held now minus those still held from
/// before, counted exactly without a scan.
struct ClearMark {
    all: (u64, u64),
    tabs: Vec<(u16, u64, u64)>,
}

impl Default for LogView {
    fn default() -> Self {
        LogView {
            scope: None,
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
            focus_filter: false,
            cleared: None,
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
    /// A view of one tab's rows.
    pub fn for_tab(tab: u16) -> LogView {
        let mut v = LogView { scope: Some(tab), ..LogView::default() };
        v.filter.tab = Some(tab);
        v
    }

    /// The rows the table shows (all, or those the active filter matches), for export.
    pub fn shown_rows(&self, store: &LogStore) -> Vec<(u64, Event)> {
        match self.filter_index.as_ref().filter(|_| self.filter.is_active()) {
            Some(i) => i.seqs.iter().filter_map(|s| store.get_seq(*s)).map(|r| (r.seq, r.event.clone())).collect(),
            None => store.iter().map(|r| (r.seq, r.event.clone())).collect(),
        }
    }

    /// Hides the rows so far from this view (the log is append-only).
    fn clear(&mut self, store: &LogStore) {
        self.filter.from_seq = store.next_seq();
        self.cleared = Some(ClearMark {
            all: (store.len() as u64, store.evicted()),
            tabs: store.tabs().map(|(id, t)| (id, t.held, t.evicted)).collect(),
        });
        self.selected = None;
        self.conv = None;
    }

    /// How many rows the table shows.
    pub fn shown_len(&self, store: &LogStore) -> usize {
        match self.filter_index.as_ref().filter(|_| self.filter.is_active()) {
            Some(i) => i.seqs.len(),
            None => store.len(),
        }
    }

    /// Rows of the view before the filter narrows it: of its tab (or of every tab), since the
    /// last Clear.
    pub fn rows_in_view(&self, store: &LogStore) -> u64 {
        let (held, evicted) = match self.filter.tab {
            None => (store.len() as u64, store.evicted()),
            Some(t) => store.tab(t).map_or((0, 0), |t| (t.held, t.evicted)),
        };
        let mark = self.cleared.as_ref().map(|m| match self.filter.tab {
            None => m.all,
            Some(t) => m.tabs.iter().find(|x| x.0 == t).map_or((0, 0), |x| (x.1, x.2)),
        });
        let before =
            mark.map_or(0, |(then_held, then_evicted)| then_held.saturating_sub(evicted.saturating_sub(then_evicted)));
        held.saturating_sub(before)
    }

    /// Rows evicted from this view's tab (or from the whole log).
    fn evicted(&self, store: &LogStore) -> u64 {
        match self.scope {
            Some(t) => store.tab(t).map_or(0, |t| t.evicted),
            None => store.evicted(),
        }
    }

    fn time(&self, ev: &Event) -> String {
        ev.time.to_zoned(self.tz.clone()).strftime("%H:%M:%S%.3f").to_string()
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        store: &LogStore,
        tabs: &[TabInfo],
        lang: Lang,
        encoding: Encoding,
        id: &str,
    ) {
        let t = lang.tr();
        self.poll_export(encoding, ui.ctx(), store);
        // Ctrl+L clears this view, Ctrl+F goes to its filter (only the shown view sees them).
        let (clear_key, find_key) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::L),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::F),
            )
        });
        if clear_key {
            self.clear(store);
        }
        self.focus_filter |= find_key;
        ui.horizontal_wrapped(|ui| {
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
            // The log is append-only: Clear hides the rows so far from this view.
            if ui.button(t.clear).on_hover_text(t.clear_tip).clicked() {
                self.clear(store);
            }
            super::export::export_button(ui, lang, self, store);
            let evicted = self.evicted(store);
            if evicted > 0 {
                ui.label(RichText::new(i18n::fill(t.evicted, &[&evicted])).weak()).on_hover_text(t.evicted_tip);
            }
        });
        super::export::export_status(ui, lang, self);
        self.filter_ui(ui, store, tabs, lang, encoding, id);
        if let Some(seq) = self.selected
            && store.get_seq(seq).is_some()
        {
            egui::Panel::bottom(format!("{id}-detail"))
                .resizable(true)
                .default_size(190.0)
                .show(ui, |ui| self.detail_ui(ui, store, tabs, lang, encoding, seq));
        }
        match self.mode {
            ViewMode::Table => {
                // The table draws its column lines to the bottom of its clip rectangle: keep them
                // out of the detail pane below.
                ui.scope(|ui| {
                    let mut clip = ui.clip_rect();
                    clip.max.y = clip.max.y.min(ui.available_rect_before_wrap().max.y);
                    ui.set_clip_rect(clip);
                    self.table_ui(ui, store, tabs, lang, encoding, id);
                });
            }
            ViewMode::Conversation => self.conversation_ui(ui, store, lang, encoding, id),
            ViewMode::Throughput => self.throughput_ui(ui, store, lang, id),
        }
    }

    /// Packets or bytes per second, received and sent, from the store's per-second totals.
    fn throughput_ui(&mut self, ui: &mut egui::Ui, store: &LogStore, lang: Lang, id: &str) {
        let t = lang.tr();
        // With a filter on (e.g. one peer), plot only the matching rows; else the exact totals
        // of the tab (or of all tabs), which outlive evicted rows.
        let filtered = self.filter_index.as_ref().filter(|_| self.filter.narrows());
        let totals = match self.filter.tab {
            Some(tab) => store.tab(tab).map(|t| &t.rates),
            None => Some(store.rates()),
        };
        let empty = std::collections::VecDeque::new();
        let buckets = match (filtered, totals) {
            (Some(i), _) => i.rates.buckets(),
            (None, Some(r)) => r.buckets(),
            (None, None) => &empty,
        };
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
    fn filter_ui(
        &mut self,
        ui: &mut egui::Ui,
        store: &LogStore,
        tabs: &[TabInfo],
        lang: Lang,
        encoding: Encoding,
        id: &str,
    ) {
        let t = lang.tr();
        ui.horizontal_wrapped(|ui| {
            if self.scope.is_none() && !tabs.is_empty() {
                let l = ui.label(t.filter_tab);
                let name = |tab: Option<u16>| match tab {
                    None => t.filter_all.to_string(),
                    Some(id) => tabs.iter().find(|i| i.id == id).map_or_else(|| format!("#{id}"), |i| i.name.clone()),
                };
                egui::ComboBox::from_id_salt((id, "tab"))
                    .selected_text(name(self.filter.tab))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.filter.tab, None, t.filter_all);
                        for info in tabs {
                            ui.selectable_value(
                                &mut self.filter.tab,
                                Some(info.id),
                                RichText::new(&info.name).color(info.color),
                            );
                        }
                    })
                    .response
                    .labelled_by(l.id);
            }
            let l = ui.label(t.filter);
            let field = super::widgets::capped_edit(ui, true, &mut self.filter.text, MAX_FIELD_CHARS, |e| {
                e.hint_text(t.filter_hint).desired_width(200.0).id_salt((id, "filter"))
            })
            .labelled_by(l.id);
            if std::mem::take(&mut self.focus_filter) {
                field.request_focus();
            }
            ui.checkbox(&mut self.filter.regex, t.filter_regex);
            let l = ui.label(t.filter_kind);
            egui::ComboBox::from_id_salt((id, "kind"))
                .selected_text(kind_name(t, self.filter.direction))
                .show_ui(ui, |ui| {
                    for d in Direction::ALL {
                        ui.selectable_value(&mut self.filter.direction, d, kind_name(t, d));
                    }
                })
                .response
                .labelled_by(l.id);
            for (label, value, width, salt) in [
                (t.filter_peer, &mut self.filter.peer, 120.0, "peer"),
                (t.filter_length, &mut self.filter.length, 60.0, "length"),
                (t.filter_conn, &mut self.filter.conn, 30.0, "conn"),
            ] {
                let l = ui.label(label);
                super::widgets::capped_edit(ui, true, value, MAX_FIELD_CHARS, |e| {
                    e.desired_width(width).id_salt((id, salt))
                })
                .labelled_by(l.id);
            }
            if !self.filter.is_active() {
                self.filter_index = None;
                self.filter_error = None;
                return;
            }
            if !self.filter_index.as_ref().is_some_and(|i| i.is_for(&self.filter, encoding)) {
                match FilterIndex::new(&self.filter, encoding, store) {
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
            let in_view = self.rows_in_view(store);
            if let Some(e) = &self.filter_error {
                let msg = match e {
                    FilterError::Regex(e) => i18n::fill(t.filter_bad_regex, &[e]),
                    FilterError::Length(v) => i18n::fill(t.filter_bad_length, &[v]),
                    FilterError::Conn(v) => i18n::fill(t.filter_bad_conn, &[v]),
                };
                ui.colored_label(RED, msg);
            } else if let Some(i) = self.filter_index.as_mut() {
                let done = i.update(store);
                if !i.caught_up(store) {
                    ui.add(egui::ProgressBar::new(done).desired_width(120.0));
                    ui.label(i18n::fill(t.filter_progress, &[&((done * 100.0) as u32)]));
                    ui.ctx().request_repaint();
                } else if self.filter.narrows() {
                    ui.label(i18n::fill(t.filter_count, &[&i.seqs.len(), &in_view]));
                }
            }
        });
    }

    fn table_ui(
        &mut self,
        ui: &mut egui::Ui,
        store: &LogStore,
        tabs: &[TabInfo],
        lang: Lang,
        encoding: Encoding,
        id: &str,
    ) {
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        // Row labels must not take the click for text selection: a click selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        let cols: Vec<Col> = Col::ALL.into_iter().filter(|c| self.columns.shows(*c)).collect();
        let index = self.filter_index.as_ref().filter(|_| self.filter.is_active());
        let n = index.map_or(store.len(), |i| i.seqs.len());
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
                Col::Data | Col::Hex => Column::initial(320.0).at_least(80.0).resizable(true).clip(true),
            });
        }
        let mut clicked = None;
        let first_time = match index {
            Some(i) => i.seqs.first().and_then(|s| store.get_seq(*s)),
            None => store.get(0),
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
                    Some(idx) => idx.seqs.get(i).and_then(|s| store.get_seq(*s)),
                    None => store.get(i),
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

    fn detail_ui(
        &mut self,
        ui: &mut egui::Ui,
        store: &LogStore,
        tabs: &[TabInfo],
        lang: Lang,
        encoding: Encoding,
        seq: u64,
    ) {
        let t = lang.tr();
        let Some(r) = store.get_seq(seq) else { return };
        let ev = r.event.clone();
        let (dir, color, text, data) = describe(&ev, lang, encoding);
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

    fn conversation_ui(&mut self, ui: &mut egui::Ui, store: &LogStore, lang: Lang, encoding: Encoding, id: &str) {
        let t = lang.tr();
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

/// The name and colour of a tab in the shared log.
fn tab_label(tabs: &[TabInfo], tab: u16) -> (String, Color32) {
    match tabs.iter().find(|i| i.id == tab) {
        Some(i) => (i.name.clone(), i.color),
        None => (format!("#{tab}"), Color32::GRAY),
    }
}

fn kind_name(t: &i18n::Tr, d: Direction) -> &'static str {
    match d {
        Direction::All => t.filter_all,
        Direction::Rx => t.filter_rx,
        Direction::Tx => t.filter_tx,
        Direction::Events => t.filter_events,
        Direction::Connects => t.filter_connects,
        Direction::Closes => t.filter_closes,
        Direction::Resets => t.filter_resets,
        Direction::Errors => t.filter_errors,
        Direction::Info => t.filter_info,
    }
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
        EventKind::Error(_) => ("!", RED, event_text(t, ev.proto, &ev.kind, lang), None),
        k => ("•", AMBER, event_text(t, ev.proto, k, lang), None),
    }
}
