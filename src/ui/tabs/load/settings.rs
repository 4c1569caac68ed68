//! The Load tab's settings: what to load, how hard, for how long, with which message.

use std::cell::RefCell;

use egui::RichText;

use super::{LoadTab, mode_name};
use crate::codec::{self, Encoding, InputMode};
use crate::engine::Proto;
use crate::engine::bench::Mode;
use crate::i18n::{self, Lang};
use crate::packets::{PacketTab, SavedPacket};
use crate::ui::tabs::saved::SavedPackets;
use crate::ui::widgets;

impl LoadTab {
    /// The settings in four groups: two rows of two on a wide pane, one group a row on a
    /// narrow one (decided by the width alone, so nothing moves while a test runs).
    pub(super) fn settings(&mut self, ui: &mut egui::Ui, lang: Lang, packets: &RefCell<SavedPackets>) {
        let wide = ui.available_width() >= 960.0;
        if wide {
            ui.horizontal(|ui| {
                self.target_group(ui, lang);
                self.load_group(ui, lang);
            });
            ui.horizontal(|ui| {
                self.length_group(ui, lang);
                self.message_group(ui, lang, packets);
            });
        } else {
            self.target_group(ui, lang);
            self.load_group(ui, lang);
            self.length_group(ui, lang);
            self.message_group(ui, lang, packets);
        }
    }

    fn target_group(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        ui.group(|ui| {
            ui.horizontal(|ui| {
                ui.label(t.ld_proto);
                if ui.radio_value(&mut self.udp, false, "TCP").changed() && !self.mode.fits(Proto::Tcp) {
                    self.mode = Mode::PingPong;
                }
                if ui.radio_value(&mut self.udp, true, "UDP").changed() && !self.mode.fits(Proto::Udp) {
                    self.mode = Mode::PingPong;
                }
                let proto = if self.udp { Proto::Udp } else { Proto::Tcp };
                let l = ui.label(t.ld_mode);
                egui::ComboBox::from_id_salt("load-mode")
                    .selected_text(mode_name(lang, self.mode))
                    .show_ui(ui, |ui| {
                        for m in Mode::ALL.into_iter().filter(|m| m.fits(proto)) {
                            ui.selectable_value(&mut self.mode, m, mode_name(lang, m));
                        }
                    })
                    .response
                    .labelled_by(l.id)
                    .on_hover_text(t.ld_mode_tip);
                widgets::labelled_edit(ui, t.server_address, &mut self.server, 150.0);
            });
        });
    }

    fn load_group(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        ui.group(|ui| {
            ui.horizontal(|ui| {
                widgets::labelled_edit(ui, t.ld_connections, &mut self.connections, 50.0);
                widgets::labelled_edit(ui, t.ld_threads, &mut self.threads, 30.0).on_hover_text(t.ld_threads_tip);
                widgets::labelled_edit(ui, t.ld_rate, &mut self.rate, 70.0).on_hover_text(t.ld_rate_tip);
            });
        });
    }

    fn length_group(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let t = lang.tr();
        ui.group(|ui| {
            ui.horizontal(|ui| {
                widgets::labelled_edit(ui, t.ld_duration, &mut self.duration, 40.0);
                widgets::labelled_edit(ui, t.ld_count, &mut self.count, 70.0).on_hover_text(t.ld_count_tip);
                widgets::labelled_edit(ui, t.ld_timeout, &mut self.timeout, 30.0);
                widgets::labelled_edit(ui, t.ld_ramp, &mut self.ramp_up, 30.0);
            });
        });
    }

    fn message_group(&mut self, ui: &mut egui::Ui, lang: Lang, packets: &RefCell<SavedPackets>) {
        let t = lang.tr();
        ui.group(|ui| {
            ui.horizontal(|ui| {
                let l = ui.label(t.ld_message);
                ui.radio_value(&mut self.hex, false, t.mode_text);
                ui.radio_value(&mut self.hex, true, t.mode_hex);
                widgets::capped_edit(ui, true, &mut self.message, widgets::MAX_FIELD_CHARS, |e| e.desired_width(220.0))
                    .labelled_by(l.id)
                    .on_hover_text(t.ld_message_tip);
                self.saved_menu(ui, lang, packets);
                widgets::labelled_edit(ui, t.ld_expect, &mut self.expect, 130.0).on_hover_text(t.ld_expect_tip);
            });
        });
    }

    /// The saved packets of the TCP Client tab (TCP) or the UDP tab (UDP), to load as the message.
    fn saved_menu(&mut self, ui: &mut egui::Ui, lang: Lang, packets: &RefCell<SavedPackets>) {
        let t = lang.tr();
        let tab = if self.udp { PacketTab::Udp } else { PacketTab::TcpClient };
        ui.menu_button(t.saved, |ui| {
            let Ok(saved) = packets.try_borrow() else { return };
            let mut any = false;
            for (_, p) in saved.lib.for_tab(tab) {
                any = true;
                if ui.button(&p.name).on_hover_text(&p.payload).clicked() {
                    self.use_packet(p, lang);
                    ui.close();
                }
            }
            if !any {
                ui.label(RichText::new(t.ld_saved_none).weak());
            }
        });
    }

    /// Makes a saved packet the message: UTF-8 text stays text (its backslashes kept as typed
    /// when it has no escapes), hex stays hex, and other encodings and modes become hex bytes.
    pub fn use_packet(&mut self, p: &SavedPacket, lang: Lang) {
        let bytes = match (p.mode, p.encoding) {
            (InputMode::Text, Encoding::Utf8) => {
                self.hex = false;
                self.message = if p.escapes { p.payload.clone() } else { p.payload.replace('\\', "\\\\") };
                return;
            }
            (InputMode::Hex, _) => {
                self.hex = true;
                self.message = p.payload.clone();
                return;
            }
            (InputMode::Text, e) if p.escapes => codec::encode_escaped(&p.payload, e),
            (mode, e) => codec::encode_input(&p.payload, mode, e),
        };
        match bytes {
            Ok(b) => {
                self.hex = true;
                self.message = codec::to_hex(&b);
                self.error = None;
            }
            Err(e) => self.error = Some(i18n::codec_error(lang, &e)),
        }
    }
}
