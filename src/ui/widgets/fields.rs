//! Text fields: capped so no paste grows without bound, labelled for screen readers, with a
//! hint about the port typed, a note when a socket is exposed, and the encoding choice.

use egui::RichText;

use crate::codec::Encoding;
use crate::engine::Problem;
use crate::i18n::{self, Lang};
use crate::ui::widgets::theme::{AMBER, RED};

/// "Encoding" and a UTF-8/GBK choice, labelled for screen readers.
pub fn encoding_combo(ui: &mut egui::Ui, lang: Lang, id_salt: impl egui::AsIdSalt, encoding: &mut Encoding) {
    let l = ui.label(lang.tr().encoding);
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(encoding.name())
        .show_ui(ui, |ui| {
            for e in Encoding::ALL {
                ui.selectable_value(encoding, e, e.name());
            }
        })
        .response
        .labelled_by(l.id);
}

/// Characters a settings field (an address, a port, a number, a filter…) holds. A longer paste
/// is cut to this with a notice under the field, so no field can grow without bound, be laid
/// out at every frame and be written to the settings file (see `settings::MAX_FIELD_BYTES`).
pub const MAX_FIELD_CHARS: usize = 1024;
/// Characters the message box holds: as many as a saved packet's payload may have
/// (`packets::MAX_PAYLOAD`, 1,048,576), so a saved packet sent from the box is never cut; the
/// largest UDP datagram typed as hex (3 characters a byte) fits five times over.
pub const MAX_MESSAGE_CHARS: usize = crate::packets::MAX_PAYLOAD;
/// How long the notice of a cut paste stays under its field, in seconds.
const FULL_NOTICE_SECS: f64 = 6.0;

/// The app's language, for widgets that are not handed it (set by the app at every frame).
pub fn set_ui_lang(ctx: &egui::Context, lang: Lang) {
    ctx.data_mut(|d| d.insert_temp(egui::Id::unique("socklab-lang"), lang));
}

fn ui_lang(ctx: &egui::Context) -> Lang {
    ctx.data(|d| d.get_temp(egui::Id::unique("socklab-lang"))).unwrap_or_default()
}

/// Cuts `value` to at most `cap` characters; true if it was longer.
fn cut_to(value: &mut String, cap: usize) -> bool {
    if value.len() <= cap {
        return false;
    }
    match value.char_indices().nth(cap) {
        Some((i, _)) => {
            value.truncate(i);
            true
        }
        None => false,
    }
}

/// Adds a text edit on `value` that holds at most `cap` characters (`build` sets it up). Text
/// beyond the cap (a huge paste, a value set by the program) is left out, and a notice floats
/// under the field for a few seconds, so nothing around it moves.
pub fn capped_edit(
    ui: &mut egui::Ui,
    enabled: bool,
    value: &mut String,
    cap: usize,
    build: impl FnOnce(egui::TextEdit<'_>) -> egui::TextEdit<'_>,
) -> egui::Response {
    let mut cut = cut_to(value, cap);
    let resp = ui.add_enabled(enabled, build(egui::TextEdit::singleline(value).char_limit(cap)));
    // At the cap after an edit: what went past it (a paste) was not taken.
    cut |= resp.changed() && value.len() >= cap && value.chars().count() >= cap;
    cut |= cut_to(value, cap);
    let key = resp.id.with("full");
    let now = ui.input(|i| i.time);
    if cut {
        ui.data_mut(|d| d.insert_temp(key, now));
    }
    if let Some(at) = ui.data(|d| d.get_temp::<f64>(key)) {
        if now - at < FULL_NOTICE_SECS {
            let text = i18n::fill(ui_lang(ui.ctx()).tr().field_full, &[&cap]);
            egui::Area::new(key)
                .order(egui::Order::Tooltip)
                .fixed_pos(resp.rect.left_bottom())
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| ui.colored_label(AMBER, text));
                });
            ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(FULL_NOTICE_SECS - (now - at)));
        } else {
            ui.data_mut(|d| d.remove::<f64>(key));
        }
    }
    resp
}

/// A text field with a label that screen readers (and kittest) can find.
pub fn labelled_edit(ui: &mut egui::Ui, label: &str, value: &mut String, width: f32) -> egui::Response {
    labelled_edit_on(ui, true, label, value, width)
}

/// Like [`labelled_edit`], greyed out unless `enabled`. Each widget is added on its own (no
/// scope), so a wrapping row can break between any two of them in a narrow column.
pub fn labelled_edit_on(
    ui: &mut egui::Ui,
    enabled: bool,
    label: &str,
    value: &mut String,
    width: f32,
) -> egui::Response {
    // A label never breaks in the middle: the row wraps before it instead.
    let l = ui.add_enabled(enabled, egui::Label::new(label).extend());
    capped_edit(ui, enabled, value, MAX_FIELD_CHARS, |e| e.desired_width(width)).labelled_by(l.id)
}

/// Like [`labelled_edit`], in red with the problem as its tooltip while `problem` is set.
pub(crate) fn checked_edit(
    ui: &mut egui::Ui,
    lang: Lang,
    label: &str,
    value: &mut String,
    width: f32,
    problem: Option<&Problem>,
) -> egui::Response {
    let l = ui.add(egui::Label::new(label).extend());
    let r = capped_edit(ui, true, value, MAX_FIELD_CHARS, |e| {
        let e = e.desired_width(width);
        if problem.is_some() { e.text_color(RED) } else { e }
    })
    .labelled_by(l.id);
    match problem {
        Some(p) => {
            ui.painter().rect_stroke(r.rect, 2.0, egui::Stroke::new(1.5, RED), egui::StrokeKind::Outside);
            r.on_hover_text(i18n::problem(lang, p))
        }
        None => r,
    }
}

/// A line explaining the port in an `addr:port` (or bare port) field: its class, its usual
/// service, whether the OS picks it, whether it needs administrator rights. `None` if the field
/// holds no port yet.
pub fn port_hint(lang: Lang, field: &str) -> Option<String> {
    use crate::basics::ports::{self, PortClass};
    let t = lang.tr();
    let text = field.trim();
    let port_text = text.rsplit_once(':').map_or(text, |(_, p)| p);
    let port: u16 = port_text.trim().parse().ok()?;
    let info = ports::classify_with(port, &port_env());
    if info.os_picks {
        return Some(t.port_zero.to_string());
    }
    let class = match info.class {
        PortClass::WellKnown => t.port_well_known,
        PortClass::Registered => t.port_registered,
        PortClass::Dynamic => t.port_dynamic,
    };
    let mut s = i18n::fill(class, &[&port]);
    if let Some(svc) = info.service {
        s.push_str(&i18n::fill(t.port_service, &[&svc.name]));
    }
    if info.needs_privilege {
        s.push_str(t.port_privileged);
    }
    if info.in_ephemeral_range {
        s.push_str(&i18n::fill(t.port_ephemeral, &[&info.env.ephemeral_range.0, &info.env.ephemeral_range.1]));
    }
    Some(s)
}

/// This machine's port settings, read once.
fn port_env() -> crate::basics::ports::PortEnv {
    static ENV: std::sync::OnceLock<crate::basics::ports::PortEnv> = std::sync::OnceLock::new();
    *ENV.get_or_init(crate::basics::ports::PortEnv::detect)
}

/// An address field followed by a small line explaining its port.
pub fn address_edit(ui: &mut egui::Ui, lang: Lang, label: &str, value: &mut String, width: f32) -> egui::Response {
    address_edit_on(ui, lang, true, label, value, width)
}

/// Like [`address_edit`], greyed out unless `enabled`.
pub fn address_edit_on(
    ui: &mut egui::Ui,
    lang: Lang,
    enabled: bool,
    label: &str,
    value: &mut String,
    width: f32,
) -> egui::Response {
    let r = labelled_edit_on(ui, enabled, label, value, width);
    if let Some(hint) = port_hint(lang, value) {
        ui.add(egui::Label::new(RichText::new(hint).weak().size(12.0)).extend());
    }
    r
}

/// Under a listening address: says so when other machines can reach the socket (0.0.0.0, `::`
/// or an address that is not loopback). Servers default to 127.0.0.1, which only this machine
/// reaches.
pub fn exposure_note(ui: &mut egui::Ui, lang: Lang, bind: &str) {
    let t = lang.tr();
    let host = crate::engine::split_host_port(bind).map(|(h, _)| h);
    let Ok(host) = host else { return };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.split('%').next().unwrap_or(host);
    let text = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() => t.exposure_any.to_string(),
        Ok(ip) if ip.is_loopback() => return,
        Ok(ip) => i18n::fill(t.exposure_iface, &[&ip]),
        Err(_) if host.eq_ignore_ascii_case("localhost") => return,
        Err(_) if host.is_empty() => t.exposure_any.to_string(),
        Err(_) => i18n::fill(t.exposure_iface, &[&host]),
    };
    ui.colored_label(AMBER, text);
}
