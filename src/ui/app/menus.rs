//! The app's bars and menus: the tab bar, the opened instances, View (theme, log memory, tabs
//! shown together), Lessons, presentation mode, the language, and the About window.

use crate::i18n::Lang;
use crate::ui::instances::Kind;
use crate::ui::layout::{Arrange, MAX_PANES};

use super::{Lesson, SockLabApp, TabId};

impl SockLabApp {
    fn view_menu(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        ui.label(egui::RichText::new(t.theme).strong());
        let before = self.theme;
        for th in [egui::ThemePreference::System, egui::ThemePreference::Light, egui::ThemePreference::Dark] {
            ui.radio_value(&mut self.theme, th, theme_name(t, th));
        }
        if self.theme != before && !self.presenting {
            ui.ctx().set_theme(self.theme);
        }
        ui.separator();
        let (used, _) = self.log_memory();
        ui.label(
            egui::RichText::new(crate::i18n::fill(t.memory_used, &[&human_bytes(used), &self.log_budget_mib])).strong(),
        );
        ui.label(t.memory_tip);
        let before = self.log_budget_mib;
        ui.horizontal(|ui| {
            let l = ui.label(t.memory_budget);
            ui.add(egui::DragValue::new(&mut self.log_budget_mib).range(16..=16_384).suffix(" MiB")).labelled_by(l.id);
        });
        if self.log_budget_mib != before {
            self.apply_budget();
        }
        ui.separator();
        self.together_menu(ui);
        ui.separator();
        if ui.button(t.about).clicked() {
            self.about = true;
            ui.close();
        }
    }

    /// Version, licenses and keys.
    pub(super) fn about_window(&mut self, ctx: &egui::Context) {
        let t = self.lang.tr();
        let mut open = self.about;
        egui::Window::new(t.about).open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            ui.heading(format!("SockLab {}", env!("CARGO_PKG_VERSION")));
            ui.label(t.about_text);
            ui.separator();
            ui.label(t.about_licenses);
            ui.separator();
            ui.label(egui::RichText::new(t.about_keys).monospace());
        });
        self.about = open;
    }

    /// Large text and thick lines on a light theme for a projector, or back to normal.
    pub(super) fn apply_presentation(&mut self, ctx: &egui::Context) {
        if self.presenting {
            ctx.set_zoom_factor(1.35);
            ctx.set_theme(egui::ThemePreference::Light);
            ctx.global_style_mut(|s| {
                s.visuals.widgets.noninteractive.bg_stroke.width = 1.5;
                s.visuals.widgets.inactive.fg_stroke.width = 1.5;
                s.visuals.override_text_color = Some(egui::Color32::BLACK);
            });
        } else {
            ctx.set_zoom_factor(1.0);
            ctx.set_theme(self.theme);
            ctx.global_style_mut(|s| s.visuals.override_text_color = None);
        }
    }

    /// The opened instances, with their colour and a close button.
    pub(super) fn instances_bar(&mut self, ui: &mut egui::Ui) {
        if self.extra.is_empty() {
            return;
        }
        let t = self.lang.tr();
        let mut close = None;
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(t.instances).weak());
            for i in &self.extra {
                let name = i.name(self.lang);
                let text = egui::RichText::new(&name).size(15.0).color(i.color);
                ui.selectable_value(&mut self.active, TabId::Extra(i.id), text);
                let l = format!("{} {name}", t.close_instance);
                if ui.small_button("x").on_hover_text(&l).clicked() {
                    close = Some(i.id);
                }
                ui.separator();
            }
        });
        if let Some(id) = close {
            self.close_instance(id);
        }
    }

    /// Which tabs show together with the active one, and how they are arranged.
    fn together_menu(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        ui.label(egui::RichText::new(t.side_by_side).strong()).on_hover_text(t.side_by_side_tip);
        let mut choices = vec![
            (TabId::Udp, t.tab_udp.to_string()),
            (TabId::TcpServer, t.tab_tcp_server.to_string()),
            (TabId::TcpClient, t.tab_tcp_client.to_string()),
            (TabId::Broadcast, t.tab_broadcast.to_string()),
            (TabId::Files, t.tab_files.to_string()),
            (TabId::Relay, t.tab_relay.to_string()),
        ];
        choices.extend(self.extra.iter().map(|i| (TabId::Extra(i.id), i.name(self.lang))));
        choices.push((TabId::All, t.tab_all.to_string()));
        choices.push((TabId::Addresses, t.tab_addresses.to_string()));
        choices.push((TabId::Load, t.tab_load.to_string()));
        let full = self.also.len() >= MAX_PANES - 1;
        for (id, name) in choices {
            let mut on = id == self.active || self.also.contains(&id);
            let enabled = id != self.active && (on || !full);
            let r = ui.add_enabled(enabled, egui::Checkbox::new(&mut on, name));
            let r =
                if full && !on { r.on_disabled_hover_text(crate::i18n::fill(t.panes_full, &[&MAX_PANES])) } else { r };
            if r.changed() {
                if on {
                    self.also.push(id);
                } else {
                    self.also.retain(|a| *a != id);
                }
            }
        }
        if ui.add_enabled(!self.also.is_empty(), egui::Button::new(t.side_by_side_none)).clicked() {
            self.also.clear();
        }
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(t.arrange);
            for a in Arrange::ALL {
                let name = match a {
                    Arrange::Columns => t.arrange_columns,
                    Arrange::Rows => t.arrange_rows,
                    Arrange::Grid => t.arrange_grid,
                };
                ui.radio_value(&mut self.arrange, a, name).labelled_by(l.id);
            }
        });
    }

    pub(super) fn tab_bar(&mut self, ui: &mut egui::Ui) {
        // The menus keep their place on the right; the tabs take the rest of the width and wrap
        // to a second row when the window (or the zoom) leaves them too little.
        let right_to_left = egui::Layout::right_to_left(egui::Align::Min);
        ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), 0.0), right_to_left, |ui| {
            self.menus(ui);
            let wrap = egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true);
            ui.with_layout(wrap, |ui| self.tabs(ui));
        });
    }

    fn tabs(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        ui.heading("SockLab");
        ui.separator();
        for (id, name) in [
            (TabId::Udp, t.tab_udp),
            (TabId::TcpServer, t.tab_tcp_server),
            (TabId::TcpClient, t.tab_tcp_client),
            (TabId::Broadcast, t.tab_broadcast),
            (TabId::Files, t.tab_files),
            (TabId::Relay, t.tab_relay),
            (TabId::All, t.tab_all),
            (TabId::Viewer, t.tab_viewer),
            (TabId::Addresses, t.tab_addresses),
            (TabId::Load, t.tab_load),
        ] {
            let text = egui::RichText::new(name).size(16.0);
            ui.selectable_value(&mut self.active, id, text);
        }
        let plus = ui.menu_button(egui::RichText::new("+").size(16.0), |ui| {
            for k in Kind::ALL {
                if ui.button(crate::i18n::fill(t.new_instance, &[&k.name(self.lang)])).clicked() {
                    self.open_instance(k);
                    ui.close();
                }
            }
        });
        plus.response.on_hover_text(t.new_instance_tip);
    }

    /// View, Lessons, Present and the language, right to left.
    fn menus(&mut self, ui: &mut egui::Ui) {
        let t = self.lang.tr();
        // View menu: theme and log memory. Language and presentation stay one click away.
        ui.menu_button(t.view_menu, |ui| self.view_menu(ui));
        ui.menu_button(t.lessons, |ui| {
            for (l, name) in [
                (Lesson::UpperEcho, t.lesson_upper),
                (Lesson::HelloServer, t.lesson_hello),
                (Lesson::StickyPackets, t.lesson_sticky),
                (Lesson::UdpChat, t.lesson_chat),
                (Lesson::BroadcastTwo, t.lesson_broadcast),
                (Lesson::StreamSlicer, t.lesson_slicer),
                (Lesson::UdpLoss, t.lesson_loss),
                (Lesson::TlsAdds, t.lesson_tls),
            ] {
                if ui.button(name).clicked() {
                    self.set_up(l);
                    ui.close();
                }
            }
        });
        let label = if self.presenting { t.presenting_off } else { t.presenting_on };
        if ui.selectable_label(self.presenting, label).on_hover_text(t.presenting_tip).clicked() {
            self.presenting = !self.presenting;
            self.apply_presentation(ui.ctx());
        }
        let combo = egui::ComboBox::from_id_salt("language").selected_text(self.lang.native_name()).show_ui(ui, |ui| {
            for l in Lang::ALL {
                ui.selectable_value(&mut self.lang, l, l.native_name());
            }
        });
        let label = ui.label(t.language);
        combo.response.labelled_by(label.id);
    }
}

/// `512 B`, `12.3 KiB`, `4.5 MiB`.
fn human_bytes(n: usize) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{:.1} MiB", f / KIB / KIB)
    }
}

fn theme_name(t: &crate::i18n::Tr, th: egui::ThemePreference) -> &'static str {
    match th {
        egui::ThemePreference::System => t.theme_system,
        egui::ThemePreference::Light => t.theme_light,
        egui::ThemePreference::Dark => t.theme_dark,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(512), "512 B");
        assert_eq!(super::human_bytes(12_600), "12.3 KiB");
        assert_eq!(super::human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
