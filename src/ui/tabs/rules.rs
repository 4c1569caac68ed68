//! The response rules editor of the TCP Server and UDP tabs: rules written one per line, the
//! built-in auto-reply modes as presets, applied to a running socket at once.

use std::sync::Arc;

use egui::RichText;

use crate::engine::ReplyMode;
use crate::engine::rules::Rules;
use crate::i18n::{self, Lang};

use crate::ui::widgets::{GREEN, RED};

#[derive(Default)]
pub struct RulesEditor {
    /// What the user typed.
    pub text: String,
    /// The rules in force (empty: the auto-reply mode answers).
    pub active: Arc<Rules>,
    pub open: bool,
    error: Option<String>,
}

impl RulesEditor {
    /// The "Rules…" button, with the number of rules in force.
    pub fn button(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        let n = self.active.rules.len() + usize::from(self.active.greeting.is_some());
        let label = if n == 0 { t.rules_button.to_string() } else { i18n::fill(t.rules_button_active, &[&n]) };
        let b = egui::Button::new(if n == 0 { RichText::new(label) } else { RichText::new(label).color(GREEN) });
        if ui.add(b).on_hover_text(t.rules_tip).clicked() {
            self.open = !self.open;
        }
    }

    /// The editor window; returns the rules just applied (to send to a running worker).
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        title: &str,
        presets: &[ReplyMode],
    ) -> Option<Arc<Rules>> {
        if !self.open {
            return None;
        }
        let t = lang.tr();
        let mut open = true;
        let mut applied = None;
        egui::Window::new(format!("{} · {title}", t.rules_title)).open(&mut open).default_width(560.0).show(
            ctx,
            |ui| {
                ui.label(RichText::new(t.rules_help).weak());
                ui.horizontal_wrapped(|ui| {
                    ui.label(t.rules_presets);
                    for m in presets.iter().copied().filter(|m| *m != ReplyMode::None) {
                        if ui.button(crate::ui::widgets::reply_label(lang, m)).clicked() {
                            self.text = Rules::preset_text(m);
                            self.error = None;
                        }
                    }
                });
                let l = ui.label(t.rules_label);
                ui.add(
                    egui::TextEdit::multiline(&mut self.text)
                        .code_editor()
                        .desired_rows(8)
                        .desired_width(f32::INFINITY)
                        .hint_text("exact:ping => pong\nregex:^GET (\\S+) => you asked for {1}\n* => {upper}"),
                )
                .labelled_by(l.id);
                ui.horizontal(|ui| {
                    if ui.button(t.rules_apply).clicked() {
                        match Rules::parse(&self.text) {
                            Ok(r) => {
                                let r = Arc::new(r);
                                self.active = r.clone();
                                self.error = None;
                                applied = Some(r);
                            }
                            Err(e) => self.error = Some(i18n::rule_error(lang, &e)),
                        }
                    }
                    if ui.button(t.rules_clear).clicked() {
                        self.text.clear();
                        self.error = None;
                        self.active = Arc::default();
                        applied = Some(self.active.clone());
                    }
                    let n = self.active.rules.len() + usize::from(self.active.greeting.is_some());
                    if n > 0 {
                        ui.colored_label(GREEN, i18n::fill(t.rules_in_force, &[&n]));
                    } else {
                        ui.label(RichText::new(t.rules_none).weak());
                    }
                });
                if let Some(e) = &self.error {
                    ui.colored_label(RED, e);
                }
            },
        );
        self.open = open;
        applied
    }
}
