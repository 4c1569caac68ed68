//! The preview under a message with `${…}` fields: the exact bytes the next Send puts on the
//! wire (hex and text), each field's bytes coloured by kind, or what is wrong and where.

use std::time::{Duration, Instant};

use egui::text::LayoutJob;
use egui::{Color32, FontId, TextFormat};

use crate::codec::template::{self, Rendered, SpanKind, TemplateError};
use crate::codec::{Encoding, InputMode};
use crate::i18n::{self, Lang};
use crate::ui::widgets::theme::{AMBER, BLUE, GREEN, RED};

/// Bytes shown before the preview says how many more there are.
const SHOWN: usize = 48;
/// A preview with a clock field (`${time}`, `${unix_ms}`) is made again this often.
const CLOCK_REFRESH: Duration = Duration::from_secs(1);

/// What the template was made from: a change makes the preview again.
#[derive(Clone, PartialEq, Eq)]
struct Key {
    text: String,
    mode: InputMode,
    encoding: Encoding,
    escapes: bool,
    n: u64,
}

/// The next message, rendered once and kept until its input changes (or its clock ticks), so
/// the bytes sent are the bytes shown.
pub struct Preview {
    key: Key,
    made: Instant,
    clock: bool,
    pub result: Result<Rendered, TemplateError>,
}

/// Whether `text` has fields at all (without them the box sends what it always sent).
pub fn has_fields(text: &str) -> bool {
    text.contains("${")
}

impl Preview {
    /// The preview of message number `n` of `text`, reusing `old` when nothing changed.
    pub fn update(
        old: Option<Preview>,
        text: &str,
        mode: InputMode,
        encoding: Encoding,
        escapes: bool,
        n: u64,
    ) -> Preview {
        let key = Key { text: text.to_string(), mode, encoding, escapes, n };
        if let Some(p) = old
            && p.key == key
            && !(p.clock && p.made.elapsed() >= CLOCK_REFRESH)
        {
            return p;
        }
        let compiled = template::compile(text, mode, encoding, escapes && mode == InputMode::Text);
        let clock = compiled.as_ref().is_ok_and(template::Template::uses_clock);
        let result = compiled.and_then(|t| t.render(n, None));
        Preview { key, made: Instant::now(), clock, result }
    }

    /// The rendered bytes, if they are for this input.
    pub fn bytes_for(&self, text: &str, mode: InputMode, encoding: Encoding, escapes: bool, n: u64) -> Option<&[u8]> {
        let same = self.key == Key { text: text.to_string(), mode, encoding, escapes, n };
        match &self.result {
            Ok(r) if same => Some(&r.bytes),
            _ => None,
        }
    }

    /// One line: "Next (#n): hex … | text", or the error in red.
    pub fn ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        if self.clock {
            ui.ctx().request_repaint_after(CLOCK_REFRESH);
        }
        ui.label(i18n::fill(t.tpl_next, &[&self.key.n]));
        match &self.result {
            Err(e) => {
                let words = i18n::template_where(lang, e);
                ui.add(egui::Label::new(egui::RichText::new(&words).color(RED)).truncate()).on_hover_text(words);
            }
            Ok(r) => {
                ui.add(egui::Label::new(layout(r, ui.visuals().text_color(), self.key.encoding)).truncate())
                    .on_hover_text(i18n::fill(t.tpl_next_tip, &[&r.bytes.len()]));
            }
        }
    }
}

/// The hex of the first [`SHOWN`] bytes, fields coloured, then the text.
fn layout(r: &Rendered, plain: Color32, encoding: Encoding) -> LayoutJob {
    let font = FontId::monospace(13.0);
    let mut job = LayoutJob::default();
    let colour = |i: usize| {
        r.spans.iter().find(|s| s.bytes.contains(&i)).map_or(plain, |s| match s.kind {
            SpanKind::Value => BLUE,
            SpanKind::Length => AMBER,
            SpanKind::Checksum => GREEN,
        })
    };
    for (i, b) in r.bytes.iter().take(SHOWN).enumerate() {
        let fmt = TextFormat { font_id: font.clone(), color: colour(i), ..Default::default() };
        job.append(&format!("{b:02x} "), 0.0, fmt);
    }
    if r.bytes.len() > SHOWN {
        let plain_fmt = TextFormat { font_id: font.clone(), color: plain, ..Default::default() };
        job.append(&format!("… ({} B) ", r.bytes.len()), 0.0, plain_fmt);
    }
    let shown = r.bytes.get(..SHOWN.min(r.bytes.len())).unwrap_or_default();
    // Bytes that are not text show as `·`, as in a hex dump's text column.
    let text = crate::ui::logs::describe::shown(encoding, shown);
    let text_fmt = TextFormat { font_id: FontId::proportional(13.0), color: plain, ..Default::default() };
    job.append(&format!("| {text}"), 0.0, text_fmt);
    job
}
