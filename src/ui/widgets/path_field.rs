//! A path typed by hand: the way to open or save a file when no native dialog can be shown,
//! and always at hand (a "Type a path" toggle) so a machine without a desktop never dead-ends.
//! A field, a button, the reason it is shown, and the recent files (newest first, missing
//! ones marked).

use std::path::{Path, PathBuf};

use egui::RichText;

use crate::i18n::{self, Lang};
use crate::ui::widgets::fields::capped_edit;
use crate::ui::widgets::theme::AMBER;
use crate::ui::widgets::MAX_FIELD_CHARS;

/// Recent files kept (newest first).
pub const MAX_RECENT: usize = 10;

/// What the field is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Open,
    Save,
}

/// What the user did with the field this frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    /// Enter, the Open/Save button or a recent file: use this path.
    Go(PathBuf),
    /// The field was closed.
    Close,
}

/// The field's state.
#[derive(Clone, Debug, Default)]
pub struct PathField {
    pub text: String,
    /// Shown because no native dialog could be shown (it says so).
    pub no_dialog: bool,
}

impl PathField {
    pub fn new(text: impl Into<String>, no_dialog: bool) -> PathField {
        PathField { text: text.into(), no_dialog }
    }

    /// The field, its button and (to open) the recent files. `id`: tells fields apart.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, purpose: Purpose, recent: &[PathBuf], id: &str) -> Action {
        let t = lang.tr();
        let mut action = Action::None;
        // The reason line is always laid out (empty when there is none), so nothing under it
        // moves when it appears.
        let note = if self.no_dialog { t.pf_no_dialog } else { "" };
        ui.label(RichText::new(note).color(AMBER));
        ui.horizontal(|ui| {
            let l = ui.label(t.pf_path);
            let width = (ui.available_width() - 200.0).clamp(160.0, 640.0);
            let hint = match purpose {
                Purpose::Open => t.pf_hint_open,
                Purpose::Save => t.pf_hint_save,
            };
            let r = capped_edit(ui, true, &mut self.text, MAX_FIELD_CHARS, |e| {
                e.desired_width(width).hint_text(hint).id_salt((id, "path-field"))
            })
            .labelled_by(l.id);
            let entered = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let go = match purpose {
                Purpose::Open => t.pf_open,
                Purpose::Save => t.pf_save,
            };
            let ready = !self.text.trim().is_empty();
            if (ui.add_enabled(ready, egui::Button::new(go)).clicked() || entered) && ready {
                action = Action::Go(expand(self.text.trim()));
            }
            if ui.button(t.pf_close).clicked() {
                action = Action::Close;
            }
        });
        if purpose == Purpose::Open && !recent.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(t.pf_recent).weak());
                for p in recent {
                    let name = p.display().to_string();
                    if p.exists() {
                        if ui.small_button(&name).on_hover_text(t.pf_recent_tip).clicked() {
                            self.text.clone_from(&name);
                            action = Action::Go(p.clone());
                        }
                    } else {
                        ui.add_enabled(false, egui::Button::new(i18n::fill(t.pf_missing, &[&name])).small());
                    }
                }
            });
        }
        action
    }
}

/// A typed path with a leading `~` (the home folder) expanded.
pub fn expand(text: &str) -> PathBuf {
    let home = || std::env::var_os("HOME").map(PathBuf::from);
    match text.strip_prefix('~') {
        Some("") => home().unwrap_or_else(|| PathBuf::from(text)),
        Some(rest) if rest.starts_with('/') => match home() {
            Some(h) => h.join(rest.trim_start_matches('/')),
            None => PathBuf::from(text),
        },
        _ => PathBuf::from(text),
    }
}

/// Puts `path` first in `recent` (once), keeping at most [`MAX_RECENT`].
pub fn remember(recent: &mut Vec<PathBuf>, path: &Path) {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    recent.retain(|p| *p != path);
    recent.insert(0, path);
    recent.truncate(MAX_RECENT);
}

/// Where a file saved without a dialog goes by default: `name` in the current folder, or in
/// the home folder when the current one is not writable (or is `/`).
pub fn default_save_path(name: &str) -> PathBuf {
    let cwd = std::env::current_dir().ok().filter(|d| d.parent().is_some() && writable(d));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    cwd.or(home).unwrap_or_default().join(name)
}

fn writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_newest_first_once_and_bounded() {
        let mut recent = Vec::new();
        for i in 0..12 {
            remember(&mut recent, Path::new(&format!("/tmp/f{i}.pcap")));
        }
        assert_eq!(recent.len(), MAX_RECENT);
        assert_eq!(recent.first().unwrap(), Path::new("/tmp/f11.pcap"));
        remember(&mut recent, Path::new("/tmp/f5.pcap"));
        assert_eq!(recent.first().unwrap(), Path::new("/tmp/f5.pcap"));
        assert_eq!(recent.iter().filter(|p| p.ends_with("f5.pcap")).count(), 1);
        assert_eq!(recent.len(), MAX_RECENT);
        // Relative paths are kept absolute: the list outlives the folder it was typed in.
        remember(&mut recent, Path::new("x.pcap"));
        assert!(recent.first().unwrap().is_absolute());
    }

    #[test]
    fn tilde_is_home() {
        let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else { return };
        assert_eq!(expand("~/a/b.pcap"), home.join("a/b.pcap"));
        assert_eq!(expand("~"), home);
        assert_eq!(expand("/x/~y"), PathBuf::from("/x/~y"));
        assert_eq!(expand("~other/x"), PathBuf::from("~other/x"));
    }
}
