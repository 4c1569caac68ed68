//! The TLS settings of the TCP tabs and what a handshake agreed on: a row of options under the
//! tab's settings (SNI, ALPN, trust, certificate files, key log), the certificate a server
//! presents (fingerprint, Save), and after a client's handshake its version, cipher and the
//! peer's certificate chain.

use std::path::PathBuf;

use egui::RichText;

use crate::engine::Problem;
use crate::engine::tls::{self, CertSummary, ClientSettings, ClientTls, ServerSettings, ServerTls, TlsInfo, Trust};
use crate::i18n::{self, Lang, Tr};
use crate::ui::widgets;

/// How a client trusts a server's certificate, as chosen in the tab.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrustChoice {
    #[default]
    System,
    CaFile,
    Any,
}

fn path(s: &str) -> Option<PathBuf> {
    let s = s.trim();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

fn pair(cert: &str, key: &str) -> Option<(PathBuf, PathBuf)> {
    path(cert).zip(path(key))
}

/// The TCP Client tab's TLS.
#[derive(Default)]
pub struct TlsClientUi {
    pub on: bool,
    pub sni: String,
    pub alpn: String,
    pub trust: TrustChoice,
    pub ca: String,
    pub cert: String,
    pub key: String,
    pub keylog: String,
    /// What the last handshake agreed on.
    pub info: Option<TlsInfo>,
}

impl TlsClientUi {
    /// The settings as typed, read and checked; `None` when TLS is off.
    pub fn build(&self) -> Result<Option<ClientTls>, Problem> {
        if !self.on {
            return Ok(None);
        }
        let trust = match self.trust {
            TrustChoice::System => Trust::System,
            TrustChoice::Any => Trust::Insecure,
            TrustChoice::CaFile => Trust::CaFile(path(&self.ca).ok_or(tls::TlsProblem::NoCaFile)?),
        };
        let settings = ClientSettings {
            trust,
            sni: Some(self.sni.trim().to_string()).filter(|s| !s.is_empty()),
            alpn: tls::parse_alpn(&self.alpn)?,
            cert: pair(&self.cert, &self.key),
            keylog: path(&self.keylog),
        };
        Ok(Some(ClientTls::new(&settings)?))
    }

    /// The options row; `on`: they may be changed (not while connected).
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, on: bool) {
        let t = lang.tr();
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled(on, egui::Checkbox::new(&mut self.on, "TLS")).on_hover_text(t.tls_tip);
            if !self.on {
                return;
            }
            widgets::labelled_edit_on(ui, on, "SNI", &mut self.sni, 110.0).on_hover_text(t.tls_sni_tip);
            widgets::labelled_edit_on(ui, on, "ALPN", &mut self.alpn, 80.0).on_hover_text(t.tls_alpn_tip);
            let l = ui.label(t.tls_trust);
            let names = [
                (TrustChoice::System, t.tls_trust_system),
                (TrustChoice::CaFile, t.tls_trust_ca),
                (TrustChoice::Any, t.tls_trust_any),
            ];
            let current = names.iter().find(|(c, _)| *c == self.trust).map_or("", |(_, n)| n);
            ui.add_enabled_ui(on, |ui| {
                egui::ComboBox::from_id_salt("tls-trust")
                    .selected_text(current)
                    .show_ui(ui, |ui| {
                        for (c, n) in names {
                            ui.selectable_value(&mut self.trust, c, n);
                        }
                    })
                    .response
                    .labelled_by(l.id);
            });
            if self.trust == TrustChoice::CaFile {
                widgets::labelled_edit_on(ui, on, t.tls_ca_file, &mut self.ca, 140.0);
            }
            widgets::labelled_edit_on(ui, on, t.tls_client_cert, &mut self.cert, 90.0).on_hover_text(t.tls_cert_tip);
            widgets::labelled_edit_on(ui, on, t.tls_key, &mut self.key, 90.0);
            widgets::labelled_edit_on(ui, on, t.tls_keylog, &mut self.keylog, 90.0).on_hover_text(t.tls_keylog_tip);
        });
        if self.on && self.trust == TrustChoice::Any {
            ui.label(RichText::new(t.tls_insecure_warning).color(widgets::AMBER).strong());
        }
        if self.on {
            // Two lines held for the handshake's results, so nothing below moves when they come.
            match &self.info {
                Some(info) => info_ui(ui, t, info),
                None => {
                    ui.label(RichText::new(t.tls_no_handshake).weak());
                    ui.add_enabled(false, egui::Label::new(i18n::fill(t.tls_chain, &[&0])));
                }
            }
        }
    }
}

/// What a handshake agreed on, and the peer's certificates (collapsed).
pub fn info_ui(ui: &mut egui::Ui, t: &Tr, info: &TlsInfo) {
    let mut line = format!("{} · {}", info.version, info.cipher);
    if let Some(g) = &info.group {
        line.push_str(&format!(" · {g}"));
    }
    line.push_str(&format!(" · ALPN {}", info.alpn.as_deref().unwrap_or("—")));
    if let Some(s) = &info.sni {
        line.push_str(&format!(" · SNI {s}"));
    }
    let verify = match info.verify {
        tls::Verify::Ok => t.tls_verified,
        tls::Verify::Insecure => t.tls_not_verified,
        tls::Verify::None => "",
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(line).monospace());
        let color = if info.verify == tls::Verify::Insecure { widgets::AMBER } else { widgets::GREEN };
        ui.label(RichText::new(verify).color(color).strong());
    });
    egui::CollapsingHeader::new(i18n::fill(t.tls_chain, &[&info.certs.len()])).id_salt("tls-chain").show(ui, |ui| {
        for (i, c) in info.certs.iter().enumerate() {
            cert_ui(ui, t, i, c);
        }
    });
}

fn cert_ui(ui: &mut egui::Ui, t: &Tr, i: usize, c: &CertSummary) {
    egui::Grid::new(("tls-cert", i)).num_columns(2).striped(true).show(ui, |ui| {
        let mut row = |k: &str, v: String| {
            ui.label(k);
            ui.label(RichText::new(v).monospace());
            ui.end_row();
        };
        row(t.tls_subject, format!("#{i} {}", c.subject));
        row(t.tls_issuer, c.issuer.clone());
        row(t.tls_names, c.sans.join(", "));
        row(t.tls_valid, format!("{} — {}", c.not_before, c.not_after));
        row("SHA-256", c.sha256.clone());
    });
}

/// The TCP Server tab's TLS.
#[derive(Default)]
pub struct TlsServerUi {
    pub on: bool,
    pub cert: String,
    pub key: String,
    pub alpn: String,
    pub keylog: String,
    /// Where "Save certificate" writes.
    pub save_to: String,
    /// The certificate the running server presents.
    pub presented: Option<ServerTls>,
    /// What the last save did.
    saved: Option<String>,
}

impl TlsServerUi {
    /// The settings as typed, read and checked (a self-signed certificate made if no files are
    /// given); `None` when TLS is off.
    pub fn build(&mut self) -> Result<Option<ServerTls>, Problem> {
        if !self.on {
            self.presented = None;
            return Ok(None);
        }
        let settings = ServerSettings { cert: pair(&self.cert, &self.key), alpn: tls::parse_alpn(&self.alpn)?, keylog: path(&self.keylog) };
        let made = ServerTls::new(&settings)?;
        self.presented = Some(made.clone());
        Ok(Some(made))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, on: bool) {
        let t = lang.tr();
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled(on, egui::Checkbox::new(&mut self.on, "TLS")).on_hover_text(t.tls_server_tip);
            if !self.on {
                return;
            }
            widgets::labelled_edit_on(ui, on, t.tls_cert, &mut self.cert, 120.0).on_hover_text(t.tls_server_cert_tip);
            widgets::labelled_edit_on(ui, on, t.tls_key, &mut self.key, 120.0);
            widgets::labelled_edit_on(ui, on, "ALPN", &mut self.alpn, 80.0).on_hover_text(t.tls_alpn_tip);
            widgets::labelled_edit_on(ui, on, t.tls_keylog, &mut self.keylog, 90.0).on_hover_text(t.tls_keylog_tip);
        });
        let Some(p) = &self.presented else { return };
        if !self.on {
            return;
        }
        let what = if p.self_signed { t.tls_self_signed } else { t.tls_presents };
        ui.horizontal_wrapped(|ui| {
            ui.label(i18n::fill(what, &[&p.cert.subject, &p.cert.sans.join(", ")]));
            ui.label(RichText::new(format!("SHA-256 {}", p.cert.sha256)).monospace().small());
        });
        ui.horizontal_wrapped(|ui| {
            widgets::labelled_edit(ui, t.tls_save_to, &mut self.save_to, 200.0);
            if ui.button(t.tls_save_cert).on_hover_text(t.tls_save_cert_tip).clicked() {
                self.saved = Some(match path(&self.save_to) {
                    None => t.tls_save_where.to_string(),
                    Some(to) => match std::fs::write(&to, &p.cert_pem) {
                        Ok(()) => i18n::fill(t.tls_saved, &[&to.display()]),
                        Err(e) => i18n::fill(t.tls_save_failed, &[&to.display(), &e]),
                    },
                });
            }
            if let Some(s) = &self.saved {
                ui.label(s);
            }
        });
    }
}
