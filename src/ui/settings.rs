//! Settings remembered across runs, in a JSON file in the user's config directory. A missing,
//! old or corrupt file never stops start-up: a corrupt one is kept as `.bak` and defaults are used.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub lang: Option<Lang>,
    /// "system", "light" or "dark".
    pub theme: String,
    pub log_budget_mib: Option<usize>,
    pub udp_bind: Option<String>,
    pub udp_remote: Option<String>,
    pub tcp_server_bind: Option<String>,
    pub tcp_client_server: Option<String>,
    pub broadcast_port: Option<String>,
    /// More instances of the socket tabs, reopened at start (stopped), in order.
    pub instances: Vec<SavedInstance>,
    /// Older files: the one tab shown side by side: a fixed tab's name ("udp", "tcp_server", "tcp_client",
    /// "broadcast", "all") or the position of an instance in `instances` ("instance:N").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side_by_side: Option<String>,
    /// The tabs shown together with the active one, named as in `side_by_side`.
    pub also: Vec<String>,
    /// How they are arranged: "columns", "rows" or "grid".
    pub arrange: super::layout::Arrange,
}

/// An instance of a socket tab: its kind and its main address fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedInstance {
    pub kind: super::instances::Kind,
    /// UDP: local address; TCP server: listen address; TCP client: server; broadcast: port.
    #[serde(default)]
    pub address: String,
    /// UDP: where datagrams go.
    #[serde(default)]
    pub remote: String,
}

/// `$SOCKLAB_CONFIG`, else `$XDG_CONFIG_HOME/socklab/settings.json`, else `~/.config/socklab/…`.
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SOCKLAB_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("socklab").join("settings.json"))
}

/// What loading found.
#[derive(Debug, PartialEq)]
pub enum Loaded {
    Fresh,
    Ok(Settings),
    /// The file could not be read as settings; it was renamed to `.bak`.
    Corrupt {
        backup: PathBuf,
        error: String,
    },
}

pub fn load(path: &Path) -> Loaded {
    let Ok(text) = std::fs::read_to_string(path) else { return Loaded::Fresh };
    match serde_json::from_str::<Settings>(&text) {
        Ok(s) => Loaded::Ok(s),
        Err(e) => {
            let backup = path.with_extension("json.bak");
            // If even the backup fails, defaults are still used; the notice says where it is not.
            let _ = std::fs::rename(path, &backup);
            Loaded::Corrupt { backup, error: e.to_string() }
        }
    }
}

pub fn save(path: &Path, s: &Settings) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(s).map_err(std::io::Error::other)?;
    // Write then rename, so a crash mid-write never leaves a half file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_fresh_and_corrupt() {
        let dir = std::env::temp_dir().join(format!("socklab-settings-{}", std::process::id()));
        let path = dir.join("settings.json");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(load(&path), Loaded::Fresh);
        let s = Settings { lang: Some(Lang::Zh), udp_bind: Some("127.0.0.1:7788".into()), ..Settings::default() };
        save(&path, &s).unwrap();
        assert_eq!(load(&path), Loaded::Ok(s));
        // Old files with unknown or missing fields still load.
        std::fs::write(&path, r#"{"lang":"En","something_old":1}"#).unwrap();
        assert!(matches!(load(&path), Loaded::Ok(Settings { lang: Some(Lang::En), .. })));
        std::fs::write(&path, "{not json").unwrap();
        let Loaded::Corrupt { backup, .. } = load(&path) else { panic!("corrupt") };
        assert!(backup.exists() && !path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
