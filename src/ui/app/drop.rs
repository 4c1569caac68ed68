//! Files dropped on the window open in the Open log tab; while files hover over it, an overlay
//! says "Drop to open" (drawn above everything, so nothing under the pointer moves).

use super::SockLabApp;
use crate::ui::widgets::theme::BLUE;

impl SockLabApp {
    /// Opens what was dropped this frame and shows the overlay while files hover.
    pub(super) fn drop_ui(&mut self, ctx: &egui::Context) {
        let (dropped, hovering) = ctx.input(|i| (i.raw.dropped_files.clone(), !i.raw.hovered_files.is_empty()));
        if !dropped.is_empty() {
            self.files_dropped(ctx, dropped);
        }
        if hovering {
            self.drop_overlay(ctx);
        }
    }

    /// Files with a path open (the viewer shows the last one). A file the desktop handed over
    /// with no usable path (empty, or only a name, as a browser gives) cannot be read from
    /// disk, and the tab says so.
    fn files_dropped(&mut self, ctx: &egui::Context, dropped: Vec<egui::DroppedFileHandle>) {
        let n = dropped.len();
        let mut paths = Vec::new();
        let mut nameless = None;
        for f in dropped {
            let p = f.path();
            if p.as_os_str().is_empty() || (!p.is_absolute() && !p.exists()) {
                let name = p.display().to_string();
                nameless = Some(if name.is_empty() { "?".to_string() } else { name });
            } else {
                paths.push(p.to_path_buf());
            }
        }
        self.active = super::TabId::Viewer;
        if paths.is_empty() {
            if let Some(name) = nameless {
                self.viewer.no_path(name);
            }
            return;
        }
        self.open_files(ctx, paths);
        self.viewer.dropped(n);
    }

    fn drop_overlay(&self, ctx: &egui::Context) {
        let t = self.lang.tr();
        let screen = ctx.content_rect();
        egui::Area::new(egui::Id::unique("drop-overlay"))
            .order(egui::Order::Foreground)
            .fixed_pos(screen.min)
            .interactable(false)
            .show(ctx, |ui| {
                ui.painter().rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
                ui.painter().rect_stroke(
                    screen.shrink(12.0),
                    8.0,
                    egui::Stroke::new(3.0, BLUE),
                    egui::StrokeKind::Inside,
                );
                ui.set_min_size(screen.size());
                ui.vertical_centered(|ui| {
                    ui.add_space((screen.height() / 2.0 - 40.0).max(0.0));
                    ui.label(egui::RichText::new(t.vw_drop_here).size(32.0).strong().color(egui::Color32::WHITE));
                    ui.label(egui::RichText::new(t.vw_drop_sub).color(egui::Color32::WHITE));
                });
            });
    }
}
