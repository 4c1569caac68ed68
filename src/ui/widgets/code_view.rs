//! The "Code" button and window of the socket tabs.

use egui::RichText;

use crate::i18n::Lang;

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
