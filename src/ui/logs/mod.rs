//! A tab's traffic log: a virtualized table, a filter bar, a detail pane with a hex dump of the
//! selected event, a conversation view (like Wireshark's "Follow stream") that shows each
//! recv() and send() as its own bubble, so merged and split reads (sticky packets) are visible,
//! a throughput plot and Export. Each part is a file; they all read one [`LogViewCtx`].

mod conversation;
pub(crate) mod describe;
mod detail;
pub mod export;
pub mod filter;
mod filter_bar;
mod record;
mod table;
mod throughput;

use std::path::PathBuf;

use egui::RichText;

use crate::codec::Encoding;
use crate::codec::dump::CopyAs;
use crate::engine::Event;
use crate::i18n::{self, Lang, Tr};
use crate::engine::problem::Field;
use crate::i18n::fill;
use crate::log::LogStore;
use crate::ui::widgets::fields::checked_edit;
use crate::ui::widgets::parse::parse_number;

/// "Keep last N rows": from 1 row to 10 million.
const KEEP_LAST: std::ops::RangeInclusive<usize> = 1..=10_000_000;

pub use describe::TabInfo;
#[cfg(any(test, feature = "test-support"))]
pub use describe::{close_text, event_text};
use export::ExportJob;
use filter::{ConvIndex, Filter, FilterError, FilterIndex};

/// What every part of a log view reads in one frame: the log, how its tabs are named, the
/// language, the encoding its payloads are decoded with, and the view's id (widget ids).
pub struct LogViewCtx<'a> {
    pub store: &'a LogStore,
    pub tabs: &'a [TabInfo],
    pub lang: Lang,
    pub tr: &'static Tr,
    pub encoding: Encoding,
    pub id: &'a str,
}

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
    Base64,
    /// The bits of each byte.
    Binary,
}

impl Col {
    pub const ALL: [Col; 10] = [
        Col::Time,
        Col::Tab,
        Col::Len,
        Col::Peer,
        Col::Local,
        Col::Dir,
        Col::Data,
        Col::Hex,
        Col::Base64,
        Col::Binary,
    ];

    pub(crate) fn name(self, lang: Lang) -> &'static str {
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
            Col::Base64 => t.col_base64,
            Col::Binary => t.col_binary,
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
    shown: u16,
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
    fn bit(c: Col) -> u16 {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewMode {
    Table,
    Conversation,
    Throughput,
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
    /// The checksum the detail pane checks received messages against, and its byte order.
    check: Option<crate::codec::template::Checksum>,
    check_le: bool,
    conv: Option<ConvIndex>,
    pub export: Option<ExportJob>,
    pub filter: Filter,
    /// Throughput plot in packets/s instead of bytes/s.
    plot_packets: bool,
    filter_index: Option<FilterIndex>,
    filter_error: Option<FilterError>,
    /// Ctrl+F: focus the filter field on the next frame.
    focus_filter: bool,
    /// "Keep last N rows": the table shows at most the newest N of its rows (empty: all).
    pub keep_last: String,
    record: record::RecordUi,
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
            check: None,
            check_le: false,
            conv: None,
            export: None,
            filter: Filter::default(),
            plot_packets: false,
            filter_index: None,
            filter_error: None,
            focus_filter: false,
            keep_last: String::new(),
            record: record::RecordUi::default(),
            cleared: None,
            tz: jiff::tz::TimeZone::system(),
        }
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

    /// The "keep last" cap, if one is set and good.
    pub(crate) fn keep_cap(&self) -> Option<usize> {
        let text = self.keep_last.trim();
        (!text.is_empty()).then(|| parse_number(text, KEEP_LAST, Field::KeepLast).ok()).flatten()
    }

    fn keep_last_ui(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>, store: &LogStore) {
        let t = cx.tr;
        let text = self.keep_last.trim();
        let problem = (!text.is_empty()).then(|| parse_number(text, KEEP_LAST, Field::KeepLast).err()).flatten();
        checked_edit(ui, cx.lang, t.keep_last, &mut self.keep_last, 60.0, problem.as_ref())
            .on_hover_text(fill(t.keep_last_tip, &[KEEP_LAST.end()]));
        let all = self.shown_len(store);
        if let Some(cap) = self.keep_cap().filter(|&c| c < all) {
            ui.label(RichText::new(fill(t.keep_last_of, &[&cap, &all])).weak());
        }
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

    pub(crate) fn time(&self, ev: &Event) -> String {
        ev.time.to_zoned(self.tz.clone()).strftime("%H:%M:%S%.3f").to_string()
    }

    /// Starts writing the rows shown (all, or the filtered ones) to `path` on a background thread.
    /// The format is the file name's (`.pcap`, `.csv`, else JSON lines).
    #[cfg(any(test, feature = "test-support"))]
    pub fn start_export(&mut self, path: PathBuf, encoding: Encoding, ctx: &egui::Context, store: &LogStore) {
        let format = crate::log::export::Format::from_path(&path);
        self.start_export_as(path, format, encoding, ctx, store, &[]);
    }

    /// Like [`LogView::start_export`], in `format`.
    pub fn start_export_as(
        &mut self,
        path: PathBuf,
        format: crate::log::export::Format,
        encoding: Encoding,
        ctx: &egui::Context,
        store: &LogStore,
        tabs: &[TabInfo],
    ) {
        let rows = self.shown_rows(store);
        // A pcapng names each packet's tab, and keeps a row's own comment (an imported capture's).
        let notes = crate::log::export::Notes {
            tab_names: tabs.iter().map(|t| (t.id, t.name.clone())).collect(),
            comments: rows.iter().filter_map(|(seq, _)| Some((*seq, store.comment(*seq)?.to_string()))).collect(),
        };
        self.export = Some(ExportJob::write(rows, path, format, encoding, notes, ctx));
    }

    /// Shows the view: its bar, filter, detail pane and the table, conversation or plot.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        store: &LogStore,
        tabs: &[TabInfo],
        lang: Lang,
        encoding: Encoding,
        id: &str,
    ) {
        let cx = LogViewCtx { store, tabs, lang, tr: lang.tr(), encoding, id };
        self.show(ui, &cx);
    }

    fn show(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let (t, store, id) = (cx.tr, cx.store, cx.id);
        if let Some((path, format)) = export::poll(&mut self.export) {
            self.start_export_as(path, format, cx.encoding, ui.ctx(), store, cx.tabs);
        }
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
            self.columns_menu(ui, cx);
            ui.checkbox(&mut self.follow, t.follow);
            if ui.button(t.jump_newest).clicked() {
                self.follow = true;
                self.jump_to_newest = true;
            }
            // The log is append-only: Clear hides the rows so far from this view.
            if ui.button(t.clear).on_hover_text(t.clear_tip).clicked() {
                self.clear(store);
            }
            self.keep_last_ui(ui, cx, store);
            let rows = self.shown_len(store);
            export::export_button(ui, cx.lang, &mut self.export, rows);
            self.record_button(ui, cx);
            let evicted = self.evicted(store);
            if evicted > 0 {
                ui.label(RichText::new(i18n::fill(t.evicted, &[&evicted])).weak()).on_hover_text(t.evicted_tip);
            }
        });
        if let Some((path, format)) = export::export_status(ui, cx.lang, &mut self.export) {
            self.start_export_as(path, format, cx.encoding, ui.ctx(), store, cx.tabs);
        }
        self.record_row(ui, cx);
        self.filter_ui(ui, cx);
        if let Some(seq) = self.selected
            && store.get_seq(seq).is_some()
        {
            egui::Panel::bottom(format!("{id}-detail"))
                .resizable(true)
                .default_size(190.0)
                .show(ui, |ui| self.detail_ui(ui, cx, seq));
        }
        match self.mode {
            ViewMode::Table => {
                // The table draws its column lines to the bottom of its clip rectangle: keep them
                // out of the detail pane below.
                ui.scope(|ui| {
                    let mut clip = ui.clip_rect();
                    clip.max.y = clip.max.y.min(ui.available_rect_before_wrap().max.y);
                    ui.set_clip_rect(clip);
                    self.table_ui(ui, cx);
                });
            }
            ViewMode::Conversation => self.conversation_ui(ui, cx),
            ViewMode::Throughput => self.throughput_ui(ui, cx),
        }
    }
}
