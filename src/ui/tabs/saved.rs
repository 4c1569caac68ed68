//! Saved packets: a library shared by all tabs (name, tab, destination, text or hex, encoding),
//! sent with one click from a tab's send box, edited, imported and exported as JSON in the
//! Manage window, and kept in `packets.json` next to the settings.

use std::cell::RefCell;
use std::path::PathBuf;

use egui::RichText;

use crate::codec::{Encoding, InputMode};
use crate::i18n::{self, Lang};
use crate::packets::{PacketLibrary, PacketTab, SavedPacket};

use crate::ui::job::Job;
use crate::ui::widgets::{AMBER, RED};

/// A file dialog running on its own thread: the path picked, and whether to export to it.
struct Dialog {
    job: Job<Option<PathBuf>>,
    export: bool,
}

pub struct SavedPackets {
    pub lib: PacketLibrary,
    /// Where the library is kept (only for the real window; tests keep it in memory).
    path: Option<PathBuf>,
    pub manage_open: bool,
    /// The outcome of the last import, export or save, for the Manage window.
    notice: Option<(bool, String)>,
    dialog: Option<Dialog>,
    /// The name typed in a send box's "Save current message" field.
    pub new_name: String,
}

impl Default for SavedPackets {
    fn default() -> Self {
        SavedPackets {
            lib: PacketLibrary::defaults(),
            path: None,
            manage_open: false,
            notice: None,
            dialog: None,
            new_name: String::new(),
        }
    }
}

/// What a send box needs to offer saved packets.
#[derive(Clone, Copy)]
pub struct SavedCtx<'a> {
    pub packets: &'a RefCell<SavedPackets>,
    pub tab: PacketTab,
    /// The tab's destination field (UDP/broadcast), stored with a new packet.
    pub destination: &'a str,
}

impl SavedPackets {
    /// Loads `path` (missing: the defaults). A file that cannot be read is kept as `.bak` and
    /// the defaults are used; the returned text says so.
    pub fn load(path: PathBuf, lang: Lang) -> (SavedPackets, Option<String>) {
        let mut s = SavedPackets { path: Some(path.clone()), ..SavedPackets::default() };
        let notice = match PacketLibrary::load(&path) {
            Ok(Some(lib)) => {
                s.lib = lib;
                None
            }
            Ok(None) => None,
            Err(e) => {
                let backup = path.with_extension("json.bak");
                let _ = std::fs::rename(&path, &backup);
                Some(format!("{} ({})", i18n::packets_error(lang, &e), backup.display()))
            }
        };
        (s, notice)
    }

    /// Writes the library to its file, if it has one.
    fn persist(&mut self, lang: Lang) {
        // A library the next start could not read (a blank name, bad hex typed in the Manage
        // window) is not written: the file keeps its last good state until the row is fixed.
        if let Err(e) = PacketLibrary::from_json(&self.lib.to_json()) {
            self.notice = Some((false, i18n::fill(lang.tr().saved_not_saved, &[&i18n::packets_error(lang, &e)])));
            return;
        }
        let Some(path) = &self.path else { return };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = self.lib.save(path) {
            self.notice = Some((false, i18n::fill(lang.tr().saved_write_failed, &[&path.display(), &e])));
        }
    }

    /// Adds a packet (from a send box) and saves the library.
    pub fn add(&mut self, p: SavedPacket, lang: Lang) -> Result<(), String> {
        self.lib.add(p).map_err(|e| i18n::packets_error(lang, &e))?;
        self.persist(lang);
        Ok(())
    }

    fn start_dialog(&mut self, ctx: &egui::Context, export: bool) {
        let spawned = Job::spawn_repainting("packets-dialog", ctx, move || {
            let d = rfd::FileDialog::new().add_filter("SockLab packets (JSON)", &["json"]);
            if export {
                d.set_title("SockLab: export saved packets").set_file_name("socklab-packets.json").save_file()
            } else {
                d.set_title("SockLab: import saved packets").pick_file()
            }
        });
        if let Ok(job) = spawned {
            self.dialog = Some(Dialog { job, export });
        }
    }

    /// Imports packets from `path`, added to the library (duplicates renamed).
    pub fn import(&mut self, path: &std::path::Path, lang: Lang) {
        let t = lang.tr();
        let read = std::fs::read_to_string(path).map_err(|e| e.to_string());
        let merged = read
            .and_then(|text| PacketLibrary::from_json(&text).map_err(|e| i18n::packets_error(lang, &e)))
            .and_then(|other| self.lib.merge(other).map_err(|e| i18n::packets_error(lang, &e)));
        self.notice = Some(match merged {
            Ok(n) => (true, i18n::fill(t.saved_imported, &[&n, &path.display()])),
            Err(e) => (false, i18n::fill(t.saved_import_failed, &[&path.display(), &e])),
        });
        self.persist(lang);
    }

    /// Writes the whole library to `path` as JSON.
    pub fn export(&mut self, path: &std::path::Path, lang: Lang) {
        let t = lang.tr();
        self.notice = Some(match self.lib.save(path) {
            Ok(()) => (true, i18n::fill(t.saved_exported, &[&self.lib.packets.len(), &path.display()])),
            Err(e) => (false, i18n::fill(t.saved_write_failed, &[&path.display(), &e])),
        });
    }

    fn poll_dialog(&mut self, lang: Lang) {
        let Some(d) = &mut self.dialog else { return };
        let Some(picked) = d.job.poll() else { return };
        let export = d.export;
        self.dialog = None;
        // Cancelled, or the dialog's thread failed: nothing to do.
        match picked {
            Ok(Some(path)) if export => self.export(&path, lang),
            Ok(Some(path)) => self.import(&path, lang),
            Ok(None) | Err(_) => {}
        }
    }

    /// The Manage window: edit, delete, import, export, restore the defaults.
    pub fn window(&mut self, ctx: &egui::Context, lang: Lang) {
        self.poll_dialog(lang);
        if !self.manage_open {
            return;
        }
        let t = lang.tr();
        let mut open = true;
        let mut changed = false;
        egui::Window::new(t.saved_manage_title).open(&mut open).default_width(1000.0).show(ctx, |ui| {
            ui.horizontal(|ui| {
                let busy = self.dialog.is_some();
                if ui.add_enabled(!busy, egui::Button::new(t.saved_import)).clicked() {
                    self.start_dialog(ui.ctx(), false);
                }
                if ui.add_enabled(!busy, egui::Button::new(t.saved_export)).clicked() {
                    self.start_dialog(ui.ctx(), true);
                }
                if ui.button(t.saved_restore).on_hover_text(t.saved_restore_tip).clicked() {
                    match self.lib.merge(PacketLibrary::defaults()) {
                        Ok(n) => self.notice = Some((true, i18n::fill(t.saved_restored, &[&n]))),
                        Err(e) => self.notice = Some((false, i18n::packets_error(lang, &e))),
                    }
                    changed = true;
                }
            });
            if let Some((ok, text)) = &self.notice {
                ui.colored_label(if *ok { AMBER } else { RED }, text);
            }
            ui.separator();
            let mut remove = None;
            egui::ScrollArea::vertical().max_height(420.0).show(ui, |ui| {
                egui::Grid::new("saved-packets").striped(true).num_columns(6).show(ui, |ui| {
                    for h in [t.saved_name, t.saved_tab, t.saved_destination, t.saved_payload, t.saved_format, ""] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for (i, p) in self.lib.packets.iter_mut().enumerate() {
                        changed |= edit_row(ui, p, i, lang, &mut remove);
                        ui.end_row();
                    }
                });
            });
            if let Some(i) = remove {
                self.lib.remove(i);
                changed = true;
            }
        });
        if changed {
            self.persist(lang);
        }
        self.manage_open = open;
    }
}

/// One editable row of the Manage window; true if something changed.
fn edit_row(ui: &mut egui::Ui, p: &mut SavedPacket, i: usize, lang: Lang, remove: &mut Option<usize>) -> bool {
    let t = lang.tr();
    let mut changed = false;
    // Fixed sizes: in a grid a text field would otherwise shrink to its first frame's width.
    let h = ui.spacing().interact_size.y;
    changed |= ui.add_sized([150.0, h], egui::TextEdit::singleline(&mut p.name).id_salt(("name", i))).changed();
    let before = p.tab;
    egui::ComboBox::from_id_salt(("tab", i)).selected_text(p.tab.name()).show_ui(ui, |ui| {
        for tab in PacketTab::ALL {
            ui.selectable_value(&mut p.tab, tab, tab.name());
        }
    });
    changed |= p.tab != before;
    changed |= ui.add_sized([130.0, h], egui::TextEdit::singleline(&mut p.destination).id_salt(("dest", i))).changed();
    // As much as the message box holds (a saved packet is sent from there).
    let edit = egui::TextEdit::singleline(&mut p.payload).id_salt(("payload", i));
    let payload = ui.add_sized([240.0, h], edit.char_limit(crate::ui::widgets::MAX_MESSAGE_CHARS));
    changed |= payload.changed();
    ui.horizontal(|ui| {
        let (mode, enc, esc) = (p.mode, p.encoding, p.escapes);
        for m in InputMode::ALL {
            ui.radio_value(&mut p.mode, m, i18n::mode_name(lang, m));
        }
        egui::ComboBox::from_id_salt(("enc", i)).width(60.0).selected_text(p.encoding.name()).show_ui(ui, |ui| {
            for e in Encoding::ALL {
                ui.selectable_value(&mut p.encoding, e, e.name());
            }
        });
        ui.checkbox(&mut p.escapes, t.escapes);
        changed |= (mode, enc, esc) != (p.mode, p.encoding, p.escapes);
    });
    ui.horizontal(|ui| {
        if let Err(e) = p.bytes() {
            ui.colored_label(RED, "!").on_hover_text(i18n::template_where(lang, &e));
        }
        if ui.small_button(t.saved_delete).clicked() {
            *remove = Some(i);
        }
    });
    changed
}

/// The send box's "Saved" menu: send a saved packet with one click, or save the current
/// message. Returns the packet chosen.
pub fn menu(ui: &mut egui::Ui, lang: Lang, ctx: SavedCtx<'_>, current: SavedPacket) -> Option<SavedPacket> {
    let t = lang.tr();
    let mut chosen = None;
    ui.menu_button(t.saved, |ui| {
        let Ok(mut saved) = ctx.packets.try_borrow_mut() else { return };
        let mut any = false;
        for (_, p) in saved.lib.for_tab(ctx.tab) {
            any = true;
            let preview = match p.mode {
                InputMode::Text => p.payload.clone(),
                InputMode::Hex => format!("hex: {}", p.payload),
                InputMode::Base64 => format!("base64: {}", p.payload),
                InputMode::Binary => format!("bits: {}", p.payload),
            };
            let dest = if p.destination.is_empty() { String::new() } else { format!(" -> {}", p.destination) };
            if ui.button(&p.name).on_hover_text(format!("{preview}{dest}")).clicked() {
                chosen = Some(p.clone());
                ui.close();
            }
        }
        if !any {
            ui.label(RichText::new(t.saved_none).weak());
        }
        ui.separator();
        ui.horizontal(|ui| {
            let l = ui.label(t.saved_name);
            ui.add(egui::TextEdit::singleline(&mut saved.new_name).desired_width(120.0)).labelled_by(l.id);
            let can = !saved.new_name.trim().is_empty() && !current.payload.is_empty();
            if ui.add_enabled(can, egui::Button::new(t.saved_save_current)).clicked() {
                let p = SavedPacket { name: saved.new_name.trim().to_string(), ..current };
                match saved.add(p, lang) {
                    Ok(()) => saved.new_name.clear(),
                    Err(e) => saved.notice = Some((false, e)),
                }
                ui.close();
            }
        });
        if ui.button(t.saved_manage).clicked() {
            saved.manage_open = true;
            ui.close();
        }
    });
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_that_would_not_load_back_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("packets.json");
        let (mut s, notice) = SavedPackets::load(path.clone(), Lang::En);
        assert!(notice.is_none() && !path.exists(), "missing file: the defaults, nothing written yet");
        s.persist(Lang::En);
        let good = std::fs::read_to_string(&path).unwrap();
        s.lib.packets[0].name = "  ".into(); // as if blanked in the Manage window
        s.persist(Lang::En);
        assert!(matches!(&s.notice, Some((false, m)) if m.starts_with("Not saved yet")), "{:?}", s.notice);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), good, "the last good file stays");

        // A corrupt file is kept as .bak and the defaults are used, with a notice.
        std::fs::write(&path, "{ not json").unwrap();
        let (s, notice) = SavedPackets::load(path.clone(), Lang::En);
        assert_eq!(s.lib, PacketLibrary::defaults());
        assert!(notice.unwrap().contains("packets.json.bak"));
        assert!(path.with_extension("json.bak").exists());
    }
}
