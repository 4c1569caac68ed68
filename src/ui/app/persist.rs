//! The app's settings, restored at start and saved at exit: language, theme, log memory, the
//! socket tabs' addresses, the opened instances, the tabs shown together and the recent files.

use crate::i18n::Lang;
use crate::ui::instances::Instance;
use crate::ui::layout::MAX_PANES;
use crate::ui::settings::{self, Loaded, MAX_FIELD_BYTES, MAX_FILE_BYTES, Settings, Why};
use crate::ui::tabs::saved::SavedPackets;
use crate::ui::widgets::path_field::MAX_RECENT;

use super::{SockLabApp, TabId};

impl SockLabApp {
    /// A tab's name in the settings file.
    fn tab_name(&self, id: TabId) -> Option<String> {
        Some(match id {
            TabId::Udp => "udp".into(),
            TabId::TcpServer => "tcp_server".into(),
            TabId::TcpClient => "tcp_client".into(),
            TabId::Broadcast => "broadcast".into(),
            TabId::Files => "files".into(),
            TabId::Relay => "relay".into(),
            TabId::All => "all".into(),
            TabId::Extra(n) => format!("instance:{}", self.extra.iter().position(|i| i.id == n)?),
            TabId::Addresses => "addresses".into(),
            TabId::Load => "load".into(),
            TabId::Viewer => return None,
        })
    }

    fn tab_by_name(&self, name: &str) -> Option<TabId> {
        Some(match name {
            "udp" => TabId::Udp,
            "tcp_server" => TabId::TcpServer,
            "tcp_client" => TabId::TcpClient,
            "broadcast" => TabId::Broadcast,
            "files" => TabId::Files,
            "relay" => TabId::Relay,
            "addresses" => TabId::Addresses,
            "load" => TabId::Load,
            "all" => TabId::All,
            other => {
                let pos: usize = other.strip_prefix("instance:")?.parse().ok()?;
                TabId::Extra(self.extra.get(pos)?.id)
            }
        })
    }

    /// Loads saved settings (the language only if `--lang` did not choose one) and remembers
    /// where to save them.
    pub fn restore(&mut self, ctx: &egui::Context, path: std::path::PathBuf, lang_given: bool) {
        let loaded = settings::load(&path);
        let may_save = loaded.may_save();
        let t = self.lang.tr();
        match loaded {
            Loaded::Fresh => {}
            Loaded::Ok(s) => {
                if let (false, Some(l)) = (lang_given, s.lang) {
                    self.lang = l;
                }
                self.theme = match s.theme.as_str() {
                    "light" => egui::ThemePreference::Light,
                    "dark" => egui::ThemePreference::Dark,
                    _ => egui::ThemePreference::System,
                };
                ctx.set_theme(self.theme);
                if let Some(b) = s.log_budget_mib {
                    self.log_budget_mib = b.clamp(16, 16_384);
                    self.apply_budget();
                }
                let fields = [
                    (&mut self.udp.bind, s.udp_bind),
                    (&mut self.udp.remote, s.udp_remote),
                    (&mut self.tcp_server.bind, s.tcp_server_bind),
                    (&mut self.tcp_client.server, s.tcp_client_server),
                    (&mut self.broadcast.listen_port, s.broadcast_port),
                    (&mut self.relay.listen, s.relay_listen),
                    (&mut self.relay.to, s.relay_to),
                    (&mut self.relay.faults, s.relay_faults),
                    (&mut self.relay.seed, s.relay_seed),
                ];
                if let Some(udp) = s.relay_udp {
                    self.relay.udp = udp;
                }
                for (field, saved) in fields {
                    if let Some(v) = saved {
                        *field = v;
                    }
                }
                // The instances come back stopped, with their addresses.
                for si in s.instances.iter().take(64) {
                    let id = self.open_instance(si.kind);
                    if let Some(i) = self.extra.iter_mut().find(|i| i.id == id) {
                        i.restore(si);
                    }
                }
                self.active = TabId::Udp;
                // Older settings files name one tab in side_by_side.
                let names = if s.also.is_empty() { s.side_by_side.into_iter().collect() } else { s.also };
                self.also = names.iter().filter_map(|n| self.tab_by_name(n)).take(MAX_PANES - 1).collect();
                self.arrange = s.arrange;
                self.viewer.recent =
                    s.recent_files.iter().take(MAX_RECENT).map(std::path::PathBuf::from).collect();
            }
            Loaded::Corrupt { why, backup: Ok(backup) } => {
                let why = settings_why(self.lang, &why);
                self.settings_notice = Some(crate::i18n::fill(t.settings_corrupt, &[&why, &backup.display()]));
            }
            Loaded::Corrupt { why, backup: Err(e) } => {
                let why = settings_why(self.lang, &why);
                let bak = settings::backup_path(&path);
                self.settings_notice = Some(crate::i18n::fill(t.settings_no_backup, &[&why, &bak.display(), &e]));
            }
            Loaded::Unusable { why } => {
                let why = settings_why(self.lang, &why);
                self.settings_notice = Some(crate::i18n::fill(t.settings_unusable, &[&path.display(), &why]));
            }
        }
        // Saved packets live next to the settings.
        if let Some(dir) = path.parent() {
            let (packets, notice) = SavedPackets::load(dir.join("packets.json"), self.lang);
            self.packets = std::cell::RefCell::new(packets);
            if let Some(n) = notice {
                let n = crate::i18n::fill(self.lang.tr().saved_corrupt, &[&n]);
                self.settings_notice = Some(match self.settings_notice.take() {
                    Some(s) => format!("{s}\n{n}"),
                    None => n,
                });
            }
        }
        // A file that could not be read and could not be set aside is not overwritten.
        self.settings_path = may_save.then_some(path);
    }

    /// Writes the settings file (at exit).
    pub fn save_settings(&self) {
        let Some(path) = &self.settings_path else { return };
        let s = Settings {
            lang: Some(self.lang),
            theme: match self.theme {
                egui::ThemePreference::Light => "light",
                egui::ThemePreference::Dark => "dark",
                egui::ThemePreference::System => "system",
            }
            .into(),
            log_budget_mib: Some(self.log_budget_mib),
            udp_bind: Some(self.udp.bind.clone()),
            udp_remote: Some(self.udp.remote.clone()),
            tcp_server_bind: Some(self.tcp_server.bind.clone()),
            tcp_client_server: Some(self.tcp_client.server.clone()),
            broadcast_port: Some(self.broadcast.listen_port.clone()),
            relay_listen: Some(self.relay.listen.clone()),
            relay_to: Some(self.relay.to.clone()),
            relay_udp: Some(self.relay.udp),
            relay_faults: Some(self.relay.faults.clone()),
            relay_seed: Some(self.relay.seed.clone()),
            instances: self.extra.iter().map(Instance::saved).collect(),
            side_by_side: None,
            also: self.also.iter().filter_map(|id| self.tab_name(*id)).collect(),
            arrange: self.arrange,
            // A path the settings file cannot hold (longer than a field may be, not UTF-8) is
            // left out rather than saved mangled.
            recent_files: self
                .viewer
                .recent
                .iter()
                .filter_map(|p| p.to_str())
                .filter(|p| p.len() <= MAX_FIELD_BYTES)
                .map(str::to_string)
                .collect(),
        };
        if let Err(e) = settings::save(path, &s) {
            eprintln!("socklab: cannot save settings to {}: {e}", path.display());
        }
    }
}

/// Why the settings file could not be used, in words.
fn settings_why(lang: Lang, why: &Why) -> String {
    let t = lang.tr();
    match why {
        Why::NotJson(e) => crate::i18n::fill(t.settings_why_json, &[e]),
        Why::NotUtf8 { valid_up_to } => crate::i18n::fill(t.settings_why_utf8, &[valid_up_to]),
        Why::FieldTooLong { field, bytes } => crate::i18n::fill(t.settings_why_long, &[field, bytes, &MAX_FIELD_BYTES]),
        Why::FileTooBig { bytes } => crate::i18n::fill(t.settings_why_big, &[bytes, &MAX_FILE_BYTES]),
        Why::NotAFile => t.settings_why_not_file.to_string(),
        Why::Unreadable(e) => e.clone(),
    }
}
