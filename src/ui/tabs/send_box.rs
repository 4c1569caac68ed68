//! The message box of the socket tabs: text or hex, an encoding, Enter to send, history,
//! repeat, and the saved packets menu.

#![allow(clippy::indexing_slicing, reason = "the history position is kept below the history length")]

use std::time::Instant;

use super::send_preview::{Preview, has_fields};
use crate::codec::template::{self, Template};
use crate::codec::{self, Encoding, InputMode};
use crate::engine::problem::Field;
use crate::i18n::{self, Lang};
use crate::ui::tabs::saved::{self, SavedCtx};
use crate::ui::widgets::fields::{MAX_MESSAGE_CHARS, capped_edit, checked_edit, encoding_combo};
use crate::ui::widgets::parse::parse_number;
use crate::ui::widgets::theme::RED;

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
    /// Messages sent from this box: `${seq}` of the next one is this + 1.
    pub seq: u64,
    /// The next message, while the text has `${…}` fields.
    preview: Option<Preview>,
}

/// Repeat: milliseconds between sends, and how many sends.
const REPEAT_EVERY: std::ops::RangeInclusive<u64> = 1..=3_600_000;
const REPEAT_TIMES: std::ops::RangeInclusive<u32> = 1..=100_000;

/// A message being sent again and again: rendered anew each time (`${seq}` counts on).
struct AutoSend {
    template: Template,
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
            seq: 0,
            preview: None,
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
        saved: Option<SavedCtx<'_>>,
    ) -> Option<Vec<u8>> {
        let t = lang.tr();
        let mut submit = false;
        let mut start_repeat = false;
        self.repeat_send = false;
        let tick = self.auto_tick(ui.ctx());
        ui.horizontal_wrapped(|ui| {
            for m in InputMode::ALL {
                ui.radio_value(&mut self.mode, m, i18n::mode_name(lang, m));
            }
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
                if let Some(p) = saved::menu(ui, lang, ctx, current) {
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
                InputMode::Base64 => t.send_hint_base64,
                InputMode::Binary => t.send_hint_binary,
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
        self.preview = has_fields(&self.text).then(|| {
            Preview::update(self.preview.take(), &self.text, self.mode, *encoding, self.escapes, self.seq + 1)
        });
        // One line under the message, always there, so nothing below moves when a preview or
        // an error appears: the error of the last Send, else the preview of the next one.
        let line = ui.text_style_height(&egui::TextStyle::Body) + 2.0;
        ui.allocate_ui_with_layout(
            egui::vec2(ui.available_width(), line),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_min_height(line);
                match (&self.error, &self.preview) {
                    (Some(e), _) => {
                        ui.add(egui::Label::new(egui::RichText::new(e).color(RED)).truncate()).on_hover_text(e);
                    }
                    (None, Some(p)) => p.ui(ui, lang),
                    (None, None) => {}
                }
            },
        );
        if let Some(tick) = tick {
            self.repeat_send = true;
            return self.rendered(lang, &tick);
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
            let tpl = self.template(lang, *encoding)?;
            let bytes = self.bytes(lang, *encoding)?;
            self.repeat_send = true;
            match (every, times) {
                (Ok(ms), Ok(n)) => {
                    let every = std::time::Duration::from_millis(ms);
                    // The first one goes now.
                    self.auto = Some(AutoSend { template: tpl, every, left: n - 1, next: Instant::now() + every });
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

    /// The bytes the box holds (with fields: the bytes its preview shows), or an error shown
    /// under it.
    fn bytes(&mut self, lang: Lang, encoding: Encoding) -> Option<Vec<u8>> {
        let t = lang.tr();
        if self.text.is_empty() && self.mode == InputMode::Text {
            self.error = Some(t.err_nothing.to_string());
            return None;
        }
        if has_fields(&self.text) {
            let n = self.seq + 1;
            let shown = self.preview.as_ref().and_then(|p| p.bytes_for(&self.text, self.mode, encoding, self.escapes, n));
            if let Some(b) = shown.filter(|b| !b.is_empty()) {
                return Some(b.to_vec());
            }
            let tpl = self.template(lang, encoding)?;
            return self.rendered(lang, &tpl);
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

    /// The box's text as a template, or an error shown under it.
    fn template(&mut self, lang: Lang, encoding: Encoding) -> Option<Template> {
        match template::compile(&self.text, self.mode, encoding, self.escapes && self.mode == InputMode::Text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.error = Some(i18n::template_error(lang, &e));
                None
            }
        }
    }

    /// The next message of `tpl` (number `seq + 1`), or an error shown under the box.
    fn rendered(&mut self, lang: Lang, tpl: &Template) -> Option<Vec<u8>> {
        match tpl.bytes(self.seq + 1) {
            Ok(b) if b.is_empty() => {
                self.error = Some(lang.tr().err_nothing.to_string());
                None
            }
            Ok(b) => Some(b),
            Err(e) => {
                self.error = Some(i18n::template_error(lang, &e));
                None
            }
        }
    }

    /// The template of the next repeated send, if it is due; an error stops the repeating.
    fn auto_tick(&mut self, ctx: &egui::Context) -> Option<Template> {
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
        let tpl = a.template.clone();
        a.left -= 1;
        a.next = now + a.every;
        if a.left == 0 {
            self.auto = None;
        } else {
            ctx.request_repaint_after(a.every.min(std::time::Duration::from_millis(200)));
        }
        Some(tpl)
    }

    #[cfg(any(test, feature = "test-support"))]
    /// True while a message is being repeated.
    pub fn repeating(&self) -> bool {
        self.auto.is_some()
    }

    /// The bytes typed so far (with fields: the next message), or nothing if they do not
    /// parse (for the traffic generator).
    pub fn payload(&self, encoding: Encoding) -> Vec<u8> {
        let escapes = self.escapes && self.mode == InputMode::Text;
        let t = template::compile(&self.text, self.mode, encoding, escapes);
        t.and_then(|t| t.bytes(self.seq + 1)).unwrap_or_default()
    }

    /// The message as a template, when it has `${…}` fields that compile (for the generator).
    pub fn fields_template(&self, encoding: Encoding) -> Option<std::sync::Arc<Template>> {
        if !has_fields(&self.text) {
            return None;
        }
        let escapes = self.escapes && self.mode == InputMode::Text;
        template::compile(&self.text, self.mode, encoding, escapes).ok().map(std::sync::Arc::new)
    }

    /// The message went out: count it, remember it and clear the box (kept while repeating).
    pub fn sent(&mut self) {
        self.seq += 1;
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
