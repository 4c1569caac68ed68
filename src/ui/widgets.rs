//! Pieces every tab shares: the event wire to its workers, the send box, the log table and the
//! status line.

use std::time::Instant;

use egui::{Color32, RichText};

pub use super::log_view::{LogView, TabInfo};
use crate::codec::{self, Encoding, InputMode};
use crate::engine::problem::Field;
use crate::engine::{CloseReason, Event, EventKind, EventSink, Problem, WorkerHandle};
use crate::i18n::{self, Lang, Tr};
use crate::log::{Counters, LogStore};

pub const GREEN: Color32 = Color32::from_rgb(0x2e, 0x9d, 0x4f);
pub const BLUE: Color32 = Color32::from_rgb(0x3a, 0x7b, 0xd5);
pub const RED: Color32 = Color32::from_rgb(0xd0, 0x3b, 0x3b);
pub const AMBER: Color32 = Color32::from_rgb(0xc8, 0x8a, 0x12);

/// What every tab reads from the app: the shared log and how tabs are named in it.
#[derive(Clone, Copy)]
pub struct Shared<'a> {
    pub store: &'a LogStore,
    pub tabs: &'a [TabInfo],
    pub packets: &'a std::cell::RefCell<super::saved::SavedPackets>,
}

/// A tab's link to its workers: the sink they send on (tagged with the tab's number; the app
/// owns the one channel every tab shares, so the log keeps the order things happened in), the
/// workers it started, and its view of the shared log.
pub struct Wire {
    /// The tab's number in the shared log.
    pub tab: u16,
    sink: EventSink,
    /// Source number for the next worker, so connection ids of different workers never mix.
    next_source: u16,
    pub workers: Vec<WorkerHandle>,
    pub log: LogView,
    /// The latest problem, shown under the settings until the user acts again.
    pub error: Option<Problem>,
    /// For "port in use": the socket that holds the port, when visible.
    pub error_detail: Option<String>,
    /// Looks up `error_detail` off the UI thread (it scans /proc).
    detail_job: Option<std::thread::JoinHandle<Option<String>>>,
    pub encoding: Encoding,
    /// The counters when the user last reset them; the status line shows what came since.
    baseline: Counters,
}

impl Wire {
    /// `sink`: the app's event channel; the wire tags it with `tab`.
    pub fn new(sink: &EventSink, tab: u16) -> Wire {
        Wire {
            tab,
            sink: sink.with_tab(tab),
            next_source: 100,
            workers: Vec::new(),
            log: LogView::for_tab(tab),
            error: None,
            error_detail: None,
            detail_job: None,
            encoding: Encoding::Utf8,
            baseline: Counters::default(),
        }
    }

    /// A sink for a new worker, tagged with a source number no earlier worker of this tab had.
    pub fn fresh_sink(&mut self) -> EventSink {
        self.next_source = self.next_source.wrapping_add(1).max(100);
        self.sink.with_source(self.next_source)
    }

    /// A sink tagged with a fixed source number (below 100).
    pub fn sink_with_source(&self, source: u16) -> EventSink {
        self.sink.with_source(source)
    }

    /// This tab's counters in the shared log.
    pub fn counters(&self, store: &LogStore) -> Counters {
        store.tab(self.tab).map(|t| t.counters).unwrap_or_default()
    }

    /// The counters since the user last reset them (connections open now are counted as they
    /// are: they are not history).
    pub fn shown_counters(&self, store: &LogStore) -> Counters {
        let (c, b) = (self.counters(store), &self.baseline);
        Counters {
            rx_packets: c.rx_packets.saturating_sub(b.rx_packets),
            rx_bytes: c.rx_bytes.saturating_sub(b.rx_bytes),
            tx_packets: c.tx_packets.saturating_sub(b.tx_packets),
            tx_bytes: c.tx_bytes.saturating_sub(b.tx_bytes),
            connections: c.connections.saturating_sub(b.connections),
            open_connections: c.open_connections,
            errors: c.errors.saturating_sub(b.errors),
        }
    }

    /// Starts the shown counters from zero (the log and its exact totals stay as they are).
    pub fn reset_counters(&mut self, store: &LogStore) {
        self.baseline = self.counters(store);
    }

    /// Shows this tab's view of the shared log.
    pub fn log_ui(&mut self, ui: &mut egui::Ui, shared: Shared<'_>, lang: Lang, id: &str) {
        self.log.ui(ui, shared.store, shared.tabs, lang, self.encoding, id);
    }

    /// Notes an event of this tab's workers (before it goes into the log): errors are shown
    /// under the settings.
    pub fn seen(&mut self, ev: &Event) {
        let EventKind::Error(p) = &ev.kind else { return };
        self.error = Some(p.clone());
        self.error_detail = None;
        self.detail_job = match *p {
            Problem::AddrInUse(a) => {
                let (tcp, sink) = (ev.proto == crate::engine::Proto::Tcp, self.sink.clone());
                std::thread::Builder::new()
                    .name("port-holder".into())
                    .spawn(move || {
                        let holder = port_holder(a, tcp);
                        sink.flush(); // repaint to show it
                        holder
                    })
                    .ok()
            }
            _ => None,
        };
    }

    /// Once per frame: collects finished workers and the port-holder lookup.
    pub fn tick(&mut self) {
        if self.detail_job.as_ref().is_some_and(|j| j.is_finished()) {
            self.error_detail = self.detail_job.take().and_then(|j| j.join().ok()).flatten();
        }
        self.workers.retain_mut(|w| {
            if w.is_finished() {
                w.join();
                false
            } else {
                true
            }
        });
    }

    /// Asks every worker to stop (at app exit); [`Wire::join`] waits for them.
    pub fn request_stop(&self) {
        for w in &self.workers {
            w.request_stop();
        }
    }

    pub fn all_finished(&self) -> bool {
        self.workers.iter().all(|w| w.is_finished())
    }

    pub fn join(&mut self) {
        for w in &mut self.workers {
            w.join();
        }
        self.workers.clear();
    }
}

/// Text for events that carry no payload.
pub fn event_text(t: &Tr, proto: crate::engine::Proto, kind: &EventKind, lang: Lang) -> String {
    match kind {
        EventKind::Listening { local } => i18n::fill(t.ev_listening, &[local]),
        EventKind::Connecting { .. } => t.ev_connecting.to_string(),
        EventKind::Connected { local, .. } => i18n::fill(t.ev_connected, &[local]),
        EventKind::HalfClosed => t.ev_half_closed.to_string(),
        EventKind::Membership { group, joined: true } => i18n::fill(t.ev_joined, &[group]),
        EventKind::Membership { group, joined: false } => i18n::fill(t.ev_left, &[group]),
        EventKind::GeneratorDone { packets, bytes, micros } => {
            i18n::generated_text(t, proto, *packets, *bytes, *micros)
        }
        EventKind::Closed { reason } => close_text(t, *reason).to_string(),
        EventKind::Error(p) => i18n::problem(lang, p),
        EventKind::Stopped => t.ev_stopped.to_string(),
        EventKind::Rx { .. } | EventKind::Tx { .. } => String::new(),
    }
}

pub fn close_text(t: &Tr, r: CloseReason) -> &'static str {
    match r {
        CloseReason::PeerClosed => t.ev_closed_peer,
        CloseReason::Reset => t.ev_closed_reset,
        CloseReason::LocalClose => t.ev_closed_local,
        CloseReason::Failed => t.ev_closed_failed,
    }
}

/// "Encoding" and a UTF-8/GBK choice, labelled for screen readers.
pub fn encoding_combo(ui: &mut egui::Ui, lang: Lang, id_salt: impl egui::AsIdSalt, encoding: &mut Encoding) {
    let l = ui.label(lang.tr().encoding);
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(encoding.name())
        .show_ui(ui, |ui| {
            for e in Encoding::ALL {
                ui.selectable_value(encoding, e, e.name());
            }
        })
        .response
        .labelled_by(l.id);
}

/// Characters a settings field (an address, a port, a number, a filter…) holds. A longer paste
/// is cut to this with a notice under the field, so no field can grow without bound, be laid
/// out at every frame and be written to the settings file (see `settings::MAX_FIELD_BYTES`).
pub const MAX_FIELD_CHARS: usize = 1024;
/// Characters the message box holds: as many as a saved packet's payload may have
/// (`packets::MAX_PAYLOAD`, 1,048,576), so a saved packet sent from the box is never cut; the
/// largest UDP datagram typed as hex (3 characters a byte) fits five times over.
pub const MAX_MESSAGE_CHARS: usize = crate::packets::MAX_PAYLOAD;
/// How long the notice of a cut paste stays under its field, in seconds.
const FULL_NOTICE_SECS: f64 = 6.0;

/// The app's language, for widgets that are not handed it (set by the app at every frame).
pub fn set_ui_lang(ctx: &egui::Context, lang: Lang) {
    ctx.data_mut(|d| d.insert_temp(egui::Id::unique("socklab-lang"), lang));
}

fn ui_lang(ctx: &egui::Context) -> Lang {
    ctx.data(|d| d.get_temp(egui::Id::unique("socklab-lang"))).unwrap_or_default()
}

/// Cuts `value` to at most `cap` characters; true if it was longer.
fn cut_to(value: &mut String, cap: usize) -> bool {
    if value.len() <= cap {
        return false;
    }
    match value.char_indices().nth(cap) {
        Some((i, _)) => {
            value.truncate(i);
            true
        }
        None => false,
    }
}

/// Adds a text edit on `value` that holds at most `cap` characters (`build` sets it up). Text
/// beyond the cap (a huge paste, a value set by the program) is left out, and a notice floats
/// under the field for a few seconds, so nothing around it moves.
pub fn capped_edit(
    ui: &mut egui::Ui,
    enabled: bool,
    value: &mut String,
    cap: usize,
    build: impl FnOnce(egui::TextEdit<'_>) -> egui::TextEdit<'_>,
) -> egui::Response {
    let mut cut = cut_to(value, cap);
    let resp = ui.add_enabled(enabled, build(egui::TextEdit::singleline(value).char_limit(cap)));
    // At the cap after an edit: what went past it (a paste) was not taken.
    cut |= resp.changed() && value.len() >= cap && value.chars().count() >= cap;
    cut |= cut_to(value, cap);
    let key = resp.id.with("full");
    let now = ui.input(|i| i.time);
    if cut {
        ui.data_mut(|d| d.insert_temp(key, now));
    }
    if let Some(at) = ui.data(|d| d.get_temp::<f64>(key)) {
        if now - at < FULL_NOTICE_SECS {
            let text = i18n::fill(ui_lang(ui.ctx()).tr().field_full, &[&cap]);
            egui::Area::new(key)
                .order(egui::Order::Tooltip)
                .fixed_pos(resp.rect.left_bottom())
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| ui.colored_label(AMBER, text));
                });
            ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(FULL_NOTICE_SECS - (now - at)));
        } else {
            ui.data_mut(|d| d.remove::<f64>(key));
        }
    }
    resp
}

/// A text field with a label that screen readers (and kittest) can find.
pub fn labelled_edit(ui: &mut egui::Ui, label: &str, value: &mut String, width: f32) -> egui::Response {
    labelled_edit_on(ui, true, label, value, width)
}

/// Like [`labelled_edit`], greyed out unless `enabled`. Each widget is added on its own (no
/// scope), so a wrapping row can break between any two of them in a narrow column.
pub fn labelled_edit_on(
    ui: &mut egui::Ui,
    enabled: bool,
    label: &str,
    value: &mut String,
    width: f32,
) -> egui::Response {
    // A label never breaks in the middle: the row wraps before it instead.
    let l = ui.add_enabled(enabled, egui::Label::new(label).extend());
    capped_edit(ui, enabled, value, MAX_FIELD_CHARS, |e| e.desired_width(width)).labelled_by(l.id)
}

/// Like [`labelled_edit`], in red with the problem as its tooltip while `problem` is set.
fn checked_edit(
    ui: &mut egui::Ui,
    lang: Lang,
    label: &str,
    value: &mut String,
    width: f32,
    problem: Option<&Problem>,
) -> egui::Response {
    let l = ui.add(egui::Label::new(label).extend());
    let r = capped_edit(ui, true, value, MAX_FIELD_CHARS, |e| {
        let e = e.desired_width(width);
        if problem.is_some() { e.text_color(RED) } else { e }
    })
    .labelled_by(l.id);
    match problem {
        Some(p) => {
            ui.painter().rect_stroke(r.rect, 2.0, egui::Stroke::new(1.5, RED), egui::StrokeKind::Outside);
            r.on_hover_text(i18n::problem(lang, p))
        }
        None => r,
    }
}

/// The message box: text or hex, an encoding, Enter to send, ↑/↓ for history, repeat.
pub struct SendBox {
    pub text: String,
    pub mode: InputMode,
    /// Text mode: turn `\r \n \t \0 \\ \xHH` into bytes.
    pub escapes: bool,
    history: Vec<String>,
    /// Position while browsing history with ↑/↓.
    browse: Option<usize>,
    pub error: Option<String>,
    pub repeat_every: String,
    pub repeat_times: String,
    auto: Option<AutoSend>,
    /// The bytes this frame hands out are a repeat's: the box keeps its text after them.
    repeat_send: bool,
    /// The destination of a saved packet just sent from the Saved menu, for the tab to use.
    pub loaded_destination: Option<String>,
}

/// Repeat: milliseconds between sends, and how many sends.
const REPEAT_EVERY: std::ops::RangeInclusive<u64> = 1..=3_600_000;
const REPEAT_TIMES: std::ops::RangeInclusive<u32> = 1..=100_000;

/// A message being sent again and again.
struct AutoSend {
    bytes: Vec<u8>,
    every: std::time::Duration,
    left: u32,
    next: Instant,
}

impl Default for SendBox {
    fn default() -> Self {
        SendBox {
            text: String::new(),
            mode: InputMode::Text,
            escapes: false,
            history: Vec::new(),
            browse: None,
            error: None,
            repeat_every: "1000".into(),
            repeat_times: "10".into(),
            auto: None,
            repeat_send: false,
            loaded_destination: None,
        }
    }
}

const HISTORY_LIMIT: usize = 100;

impl SendBox {
    /// Shows the box; returns the bytes to send when the user pressed Enter or Send and the input
    /// is valid. Call [`SendBox::sent`] once they were handed to the worker.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        encoding: &mut Encoding,
        id: &str,
        saved: Option<super::saved::SavedCtx<'_>>,
    ) -> Option<Vec<u8>> {
        let t = lang.tr();
        let mut submit = false;
        let mut start_repeat = false;
        self.repeat_send = false;
        let tick = self.auto_tick(ui.ctx());
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut self.mode, InputMode::Text, t.mode_text);
            ui.radio_value(&mut self.mode, InputMode::Hex, t.mode_hex);
            ui.add_enabled(self.mode == InputMode::Text, egui::Checkbox::new(&mut self.escapes, t.escapes))
                .on_hover_text(t.escapes_tip);
            ui.separator();
            encoding_combo(ui, lang, (id, "encoding"), encoding);
            ui.separator();
            match &self.auto {
                None => {
                    // A value that cannot be used is shown in red at its field, as typed.
                    let every = parse_number(&self.repeat_every, REPEAT_EVERY, Field::RepeatEvery).err();
                    let times = parse_number(&self.repeat_times, REPEAT_TIMES, Field::RepeatTimes).err();
                    checked_edit(ui, lang, t.repeat_every, &mut self.repeat_every, 50.0, every.as_ref());
                    checked_edit(ui, lang, t.repeat_times, &mut self.repeat_times, 50.0, times.as_ref());
                    start_repeat = ui.button(t.repeat).on_hover_text(t.repeat_tip).clicked();
                }
                Some(a) => {
                    let next = a.next.saturating_duration_since(Instant::now()).as_millis();
                    ui.label(i18n::fill(t.repeat_left, &[&a.left, &next]));
                    if ui.button(t.repeat_stop).clicked() {
                        self.auto = None;
                    }
                }
            }
            if let Some(ctx) = saved {
                ui.separator();
                let current = crate::packets::SavedPacket {
                    name: String::new(),
                    tab: ctx.tab,
                    destination: ctx.destination.trim().to_string(),
                    payload: self.text.clone(),
                    mode: self.mode,
                    encoding: *encoding,
                    escapes: self.escapes,
                };
                // One click sends it, as if typed here.
                if let Some(p) = super::saved::menu(ui, lang, ctx, current) {
                    self.text = p.payload;
                    self.mode = p.mode;
                    self.escapes = p.escapes;
                    *encoding = p.encoding;
                    self.loaded_destination = Some(p.destination);
                    self.error = None;
                    submit = true;
                }
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label(t.message);
            let hint = match self.mode {
                InputMode::Text => t.send_hint_text,
                InputMode::Hex => t.send_hint_hex,
            };
            let width = (ui.available_width() - 90.0).max(120.0);
            let resp = capped_edit(ui, true, &mut self.text, MAX_MESSAGE_CHARS, |e| {
                e.hint_text(hint).desired_width(width).id_salt((id, "message"))
            })
            .labelled_by(l.id);
            if resp.has_focus() {
                let (up, down) = ui.input(|i| (i.key_pressed(egui::Key::ArrowUp), i.key_pressed(egui::Key::ArrowDown)));
                if up || down {
                    self.browse_history(up);
                }
            }
            if resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                submit = true;
                resp.request_focus();
            }
            if resp.changed() {
                self.error = None;
            }
            if ui.button(t.send).clicked() {
                submit = true;
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(RED, e);
        }
        if tick.is_some() {
            self.repeat_send = true;
            return tick;
        }
        if !submit && !start_repeat {
            return None;
        }
        if start_repeat {
            let every = parse_number(&self.repeat_every, REPEAT_EVERY, Field::RepeatEvery);
            let times = parse_number(&self.repeat_times, REPEAT_TIMES, Field::RepeatTimes);
            // The counts first: a bad count is named even while the box is empty.
            if let (Err(p), _) | (_, Err(p)) = (&every, &times) {
                self.error = Some(i18n::problem(lang, p));
                return None;
            }
            let bytes = self.bytes(lang, *encoding)?;
            self.repeat_send = true;
            match (every, times) {
                (Ok(ms), Ok(n)) => {
                    let every = std::time::Duration::from_millis(ms);
                    // The first one goes now.
                    self.auto =
                        Some(AutoSend { bytes: bytes.clone(), every, left: n - 1, next: Instant::now() + every });
                    if n == 1 {
                        self.auto = None;
                    }
                    ui.ctx().request_repaint();
                }
                (Err(p), _) | (_, Err(p)) => {
                    self.error = Some(i18n::problem(lang, &p));
                    return None;
                }
            }
            return Some(bytes);
        }
        self.bytes(lang, *encoding)
    }

    /// The bytes the box holds, or an error shown under it.
    fn bytes(&mut self, lang: Lang, encoding: Encoding) -> Option<Vec<u8>> {
        let t = lang.tr();
        if self.text.is_empty() && self.mode == InputMode::Text {
            self.error = Some(t.err_nothing.to_string());
            return None;
        }
        let r = match self.mode {
            InputMode::Text if self.escapes => codec::encode_escaped(&self.text, encoding),
            mode => codec::encode_input(&self.text, mode, encoding),
        };
        match r {
            Ok(bytes) if bytes.is_empty() => {
                self.error = Some(t.err_nothing.to_string());
                None
            }
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.error = Some(i18n::codec_error(lang, &e));
                None
            }
        }
    }

    /// The next repeated send, if it is due; an error stops the repeating.
    fn auto_tick(&mut self, ctx: &egui::Context) -> Option<Vec<u8>> {
        if self.error.is_some() {
            self.auto = None;
        }
        let a = self.auto.as_mut()?;
        let now = Instant::now();
        if now < a.next {
            // Wake up for the next send, and now and then for the countdown.
            ctx.request_repaint_after((a.next - now).min(std::time::Duration::from_millis(200)));
            return None;
        }
        let bytes = a.bytes.clone();
        a.left -= 1;
        a.next = now + a.every;
        if a.left == 0 {
            self.auto = None;
        } else {
            ctx.request_repaint_after(a.every.min(std::time::Duration::from_millis(200)));
        }
        Some(bytes)
    }

    /// True while a message is being repeated.
    pub fn repeating(&self) -> bool {
        self.auto.is_some()
    }

    /// The message went out: remember it and clear the box (kept while repeating).
    /// The bytes typed so far, or nothing if they do not parse (for the traffic generator).
    pub fn payload(&self, encoding: Encoding) -> Vec<u8> {
        let r = match (self.mode, self.escapes) {
            (InputMode::Hex, _) => codec::parse_hex(&self.text),
            (InputMode::Text, true) => codec::encode_escaped(&self.text, encoding),
            (InputMode::Text, false) => encoding.encode(&self.text),
        };
        r.unwrap_or_default()
    }

    pub fn sent(&mut self) {
        // A repeat's sends (its last one too) keep the message for the next repeat.
        if self.auto.is_some() || self.repeat_send {
            self.error = None;
            return;
        }
        let text = std::mem::take(&mut self.text);
        if self.history.last() != Some(&text) {
            self.history.push(text);
            if self.history.len() > HISTORY_LIMIT {
                self.history.remove(0);
            }
        }
        self.browse = None;
        self.error = None;
    }

    fn browse_history(&mut self, up: bool) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        self.browse = match (self.browse, up) {
            (None, true) => Some(last),
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i < last => Some(i + 1),
            (Some(_), false) => None,
        };
        self.text = self.browse.map(|i| self.history[i].clone()).unwrap_or_default();
    }
}

/// The status line: a coloured state, the counters, and the latest error.
pub fn status_line(
    ui: &mut egui::Ui,
    lang: Lang,
    state: &str,
    color: Color32,
    wire: &mut Wire,
    shared: Shared<'_>,
    extra: Option<String>,
) {
    let t = lang.tr();
    let c = wire.shown_counters(shared.store);
    ui.horizontal_wrapped(|ui| {
        // First in the row: the state and the counters that follow change length as traffic
        // comes, so the button never moves under the pointer.
        if ui.small_button(t.reset_counters).on_hover_text(t.reset_counters_tip).clicked() {
            wire.reset_counters(shared.store);
        }
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 5.0, color);
        ui.label(RichText::new(state).strong());
        ui.separator();
        ui.label(
            RichText::new(i18n::fill(t.counters, &[&c.rx_packets, &c.rx_bytes, &c.tx_packets, &c.tx_bytes]))
                .monospace(),
        );
        if let Some(x) = extra {
            ui.separator();
            ui.label(x);
        }
    });
    if let Some(p) = &wire.error {
        ui.colored_label(RED, i18n::problem(lang, p));
        if let (Problem::AddrInUse(_), Some(d)) = (p, &wire.error_detail) {
            ui.colored_label(RED, i18n::fill(t.port_held_by, &[d]));
        }
    }
}

/// A line explaining the port in an `addr:port` (or bare port) field: its class, its usual
/// service, whether the OS picks it, whether it needs administrator rights. `None` if the field
/// holds no port yet.
pub fn port_hint(lang: Lang, field: &str) -> Option<String> {
    use crate::basics::ports::{self, PortClass};
    let t = lang.tr();
    let text = field.trim();
    let port_text = text.rsplit_once(':').map_or(text, |(_, p)| p);
    let port: u16 = port_text.trim().parse().ok()?;
    let info = ports::classify_with(port, &port_env());
    if info.os_picks {
        return Some(t.port_zero.to_string());
    }
    let class = match info.class {
        PortClass::WellKnown => t.port_well_known,
        PortClass::Registered => t.port_registered,
        PortClass::Dynamic => t.port_dynamic,
    };
    let mut s = i18n::fill(class, &[&port]);
    if let Some(svc) = info.service {
        s.push_str(&i18n::fill(t.port_service, &[&svc.name]));
    }
    if info.needs_privilege {
        s.push_str(t.port_privileged);
    }
    if info.in_ephemeral_range {
        s.push_str(&i18n::fill(t.port_ephemeral, &[&info.env.ephemeral_range.0, &info.env.ephemeral_range.1]));
    }
    Some(s)
}

/// This machine's port settings, read once.
fn port_env() -> crate::basics::ports::PortEnv {
    static ENV: std::sync::OnceLock<crate::basics::ports::PortEnv> = std::sync::OnceLock::new();
    *ENV.get_or_init(crate::basics::ports::PortEnv::detect)
}

/// An address field followed by a small line explaining its port.
pub fn address_edit(ui: &mut egui::Ui, lang: Lang, label: &str, value: &mut String, width: f32) -> egui::Response {
    address_edit_on(ui, lang, true, label, value, width)
}

/// Like [`address_edit`], greyed out unless `enabled`.
pub fn address_edit_on(
    ui: &mut egui::Ui,
    lang: Lang,
    enabled: bool,
    label: &str,
    value: &mut String,
    width: f32,
) -> egui::Response {
    let r = labelled_edit_on(ui, enabled, label, value, width);
    if let Some(hint) = port_hint(lang, value) {
        ui.add(egui::Label::new(RichText::new(hint).weak().size(12.0)).extend());
    }
    r
}

/// Under a listening address: says so when other machines can reach the socket (0.0.0.0, `::`
/// or an address that is not loopback). Servers default to 127.0.0.1, which only this machine
/// reaches.
pub fn exposure_note(ui: &mut egui::Ui, lang: Lang, bind: &str) {
    let t = lang.tr();
    let host = crate::engine::split_host_port(bind).map(|(h, _)| h);
    let Ok(host) = host else { return };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.split('%').next().unwrap_or(host);
    let text = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() => t.exposure_any.to_string(),
        Ok(ip) if ip.is_loopback() => return,
        Ok(ip) => i18n::fill(t.exposure_iface, &[&ip]),
        Err(_) if host.eq_ignore_ascii_case("localhost") => return,
        Err(_) if host.is_empty() => t.exposure_any.to_string(),
        Err(_) => i18n::fill(t.exposure_iface, &[&host]),
    };
    ui.colored_label(AMBER, text);
}

/// For "port in use": which socket of this machine holds the port, if the OS lets us see it.
pub fn port_holder(addr: std::net::SocketAddr, tcp: bool) -> Option<String> {
    use crate::basics::sockets::{self, TcpState};
    let list = sockets::list().ok()?;
    let s = list.iter().find(|s| {
        s.local.port() == addr.port()
            && (s.proto == crate::engine::Proto::Tcp) == tcp
            && (!tcp || s.state == TcpState::Listen)
    })?;
    let who = match (s.pid, &s.command) {
        (Some(p), Some(c)) => format!("{c} (pid {p})"),
        (Some(p), None) => format!("pid {p}"),
        _ => "?".into(),
    };
    Some(format!("{} {} {} — {who}", s.proto.name(), s.local, s.state.name()))
}

/// Parses a receive buffer size typed by the user (1 byte to 16 MiB).
pub fn parse_recv_buffer(text: &str) -> Result<usize, Problem> {
    parse_number(text, 1..=16 * 1024 * 1024, Field::RecvBuffer)
}

/// Parses a framing typed by the user (`none`, `line`, `len16`, …).
pub fn parse_framing(text: &str) -> Result<crate::codec::framing::Framing, Problem> {
    crate::codec::framing::Framing::parse(text).map_err(|e| Problem::Framing(e.to_string()))
}

/// A number in `range`, or a problem naming the field (translated where it is shown).
pub fn parse_number<T: std::str::FromStr + PartialOrd + Copy + TryInto<u64>>(
    text: &str,
    range: std::ops::RangeInclusive<T>,
    field: Field,
) -> Result<T, Problem> {
    match text.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(Problem::OutOfRange {
            field,
            min: (*range.start()).try_into().unwrap_or(0),
            max: (*range.end()).try_into().unwrap_or(u64::MAX),
            got: text.trim().to_string(),
        }),
    }
}

/// The "Code" button and window: the Python (tutorial style) or Rust code for a tab's setup.
#[derive(Default)]
pub struct CodeView {
    pub open: bool,
    rust: bool,
}

impl CodeView {
    pub fn button(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        if ui.selectable_label(self.open, t.code).on_hover_text(t.code_tip).clicked() {
            self.open = !self.open;
        }
    }

    /// Shows the window when open; `setup` is built only then.
    /// `tab` names the window (one per tab, each with its own position and size).
    pub fn window(&mut self, ui: &egui::Ui, lang: Lang, tab: &str, setup: impl FnOnce() -> crate::codegen::Setup) {
        if !self.open {
            return;
        }
        let t = lang.tr();
        let setup = setup();
        let code = if self.rust { crate::codegen::rust(&setup) } else { crate::codegen::python(&setup) };
        let mut open = self.open;
        // Opens at the right, below the tab bar, so it never covers the tabs.
        let pos = egui::pos2((ui.ctx().content_rect().right() - 600.0).max(0.0), 90.0);
        egui::Window::new(format!("{} ({tab})", t.code_title))
            .default_pos(pos)
            .open(&mut open)
            .default_width(560.0)
            .show(ui.ctx(), |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.rust, false, "Python");
                    ui.selectable_value(&mut self.rust, true, "Rust");
                    if ui.button(t.copy).clicked() {
                        ui.ctx().copy_text(code.clone());
                    }
                });
                ui.label(RichText::new(t.code_explain).weak());
                egui::ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
                    ui.add(egui::Label::new(RichText::new(&code).monospace()).selectable(true));
                });
            });
        self.open = open;
    }
}
