//! The auto-reply mode: its name and a combo box to choose it (UDP and TCP Server tabs; the
//! rules editor offers the same modes as presets).

use crate::engine::ReplyMode;
use crate::i18n::Lang;

pub fn reply_label(lang: Lang, r: ReplyMode) -> &'static str {
    let t = lang.tr();
    match r {
        ReplyMode::None => t.reply_none,
        ReplyMode::Echo => t.reply_echo,
        ReplyMode::Upper => t.reply_upper,
        ReplyMode::Timestamp => t.reply_timestamp,
        ReplyMode::Hello => t.reply_hello,
    }
}

/// A combo box for the auto-reply mode; true if it changed.
pub fn reply_combo(ui: &mut egui::Ui, lang: Lang, id: &str, value: &mut ReplyMode, modes: &[ReplyMode]) -> bool {
    let t = lang.tr();
    let l = ui.add(egui::Label::new(t.auto_reply).extend()).on_hover_text(t.reply_tip);
    let before = *value;
    egui::ComboBox::from_id_salt((id, "reply"))
        .selected_text(reply_label(lang, *value))
        .show_ui(ui, |ui| {
            for m in modes {
                ui.selectable_value(value, *m, reply_label(lang, *m));
            }
        })
        .response
        .labelled_by(l.id);
    before != *value
}
