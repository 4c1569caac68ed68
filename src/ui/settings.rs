//! Settings remembered across runs, in a JSON file in the user's config directory. A missing,
//! old or corrupt file never stops start-up: a corrupt one is kept as `.bak` and defaults are used.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
pub use crate::ui::instances::SavedInstance;
use crate::ui::layout::Arrange;
use crate::ui::widgets::MAX_FIELD_CHARS;

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
    pub relay_listen: Option<String>,
    pub relay_to: Option<String>,
    pub relay_udp: Option<bool>,
    /// The Relay tab's network conditions, one spec a line.
    pub relay_faults: Option<String>,
    pub relay_seed: Option<String>,
    /// More instances of the socket tabs, reopened at start (stopped), in order.
    pub instances: Vec<SavedInstance>,
    /// Older files: the one tab shown side by side: a fixed tab's name ("udp", "tcp_server", "tcp_client",
    /// "broadcast", "all") or the position of an instance in `instances` ("instance:N").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side_by_side: Option<String>,
    /// The tabs shown together with the active one, named as in `side_by_side`.
    pub also: Vec<String>,
    /// How they are arranged: "columns", "rows" or "grid".
    pub arrange: Arrange,
    /// The files opened last in the Open log tab, newest first.
    pub recent_files: Vec<String>,
}

/// `$SOCKLAB_CONFIG`, else `settings.json` in SockLab's folder of the user's config directory:
/// on Linux `$XDG_CONFIG_HOME/socklab`, else `~/.config/socklab`.
pub fn default_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "socklab");
    path_from(std::env::var_os("SOCKLAB_CONFIG"), dirs.map(|d| d.config_dir().to_path_buf()))
}

/// The settings file: the one named by `$SOCKLAB_CONFIG` (`explicit`), else `settings.json` in
/// `config_dir`.
fn path_from(explicit: Option<std::ffi::OsString>, config_dir: Option<PathBuf>) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(PathBuf::from(p)),
        None => Some(config_dir?.join("settings.json")),
    }
}

/// Longest text one field of the settings file may hold, in bytes. Every text field of the
/// window holds at most [`MAX_FIELD_CHARS`] characters (4 bytes each at most in
/// UTF-8), so whatever the window saves loads again; a longer field was not written by SockLab
/// and makes the file count as corrupt.
pub const MAX_FIELD_BYTES: usize = 4 * MAX_FIELD_CHARS;
/// Largest settings file read, in bytes (64 instances with fields at their limit fit).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Why a settings file could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// Not JSON, or not the shape of the settings (serde_json's words).
    NotJson(String),
    /// Not UTF-8 text: the first `valid_up_to` bytes are.
    NotUtf8 { valid_up_to: usize },
    /// A text field longer than [`MAX_FIELD_BYTES`].
    FieldTooLong { field: String, bytes: usize },
    /// A file larger than [`MAX_FILE_BYTES`].
    FileTooBig { bytes: u64 },
    /// The path names a folder (or a device, a pipe…), not a file.
    NotAFile,
    /// Reading failed (e.g. permission denied).
    Unreadable(String),
}

/// What loading found.
#[derive(Debug, PartialEq)]
pub enum Loaded {
    Fresh,
    /// Boxed: the settings are much larger than the other variants.
    Ok(Box<Settings>),
    /// The file could not be read as settings. `backup`: where it was moved to (`.bak`), or why
    /// that failed; then the file is left as it is and must not be overwritten at exit.
    Corrupt {
        why: Why,
        backup: Result<PathBuf, String>,
    },
    /// The path cannot hold settings (a folder, unreadable): left alone, not saved to.
    Unusable {
        why: Why,
    },
}

impl Loaded {
    /// True if settings may be written to the path at exit (nothing would be lost).
    pub fn may_save(&self) -> bool {
        match self {
            Loaded::Fresh | Loaded::Ok(_) => true,
            Loaded::Corrupt { backup, .. } => backup.is_ok(),
            Loaded::Unusable { .. } => false,
        }
    }
}

/// The backup name of a settings file: `settings.json.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

pub fn load(path: &Path) -> Loaded {
    use std::io::Read;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Fresh,
        Err(e) => return Loaded::Unusable { why: Why::Unreadable(e.to_string()) },
    };
    if !meta.is_file() {
        return Loaded::Unusable { why: Why::NotAFile };
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return Loaded::Unusable { why: Why::Unreadable(e.to_string()) };
    }
    match parse(&bytes, meta.len()) {
        Ok(s) => Loaded::Ok(Box::new(s)),
        Err(why) => {
            let backup = backup_path(path);
            // If even the backup fails, defaults are still used, the notice says so, and the
            // file is not overwritten at exit.
            let backup = std::fs::rename(path, &backup).map(|()| backup).map_err(|e| e.to_string());
            Loaded::Corrupt { why, backup }
        }
    }
}

/// Checks and parses the bytes of a settings file (`len`: its size on disk).
fn parse(bytes: &[u8], len: u64) -> Result<Settings, Why> {
    if len > MAX_FILE_BYTES || bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Why::FileTooBig { bytes: len.max(bytes.len() as u64) });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Why::NotUtf8 { valid_up_to: e.valid_up_to() })?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Why::NotJson(e.to_string()))?;
    if let Some((field, bytes)) = too_long(&value, String::new()) {
        return Err(Why::FieldTooLong { field, bytes });
    }
    serde_json::from_value(value).map_err(|e| Why::NotJson(e.to_string()))
}

/// The first text (or key) longer than [`MAX_FIELD_BYTES`], named by its place in the file
/// (`udp_bind`, `instances[0].address`), and its length.
fn too_long(v: &serde_json::Value, at: String) -> Option<(String, usize)> {
    use serde_json::Value;
    let named = |at: &str| if at.is_empty() { "(top)".to_string() } else { at.to_string() };
    match v {
        Value::String(s) if s.len() > MAX_FIELD_BYTES => Some((named(&at), s.len())),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| too_long(x, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            if k.len() > MAX_FIELD_BYTES {
                return Some((named(&at), k.len()));
            }
            too_long(x, if at.is_empty() { k.clone() } else { format!("{at}.{k}") })
        }),
        _ => None,
    }
}

pub fn save(path: &Path, s: &Settings) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(s).map_err(std::io::Error::other)?;
    // Never write what could not be read back (the window's fields are capped; this is the
    // last guard).
    if let Err(why) = parse(text.as_bytes(), text.len() as u64) {
        return Err(std::io::Error::other(format!("{why:?}")));
    }
    // Write then rename, so a crash mid-write never leaves a half file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socklab_config_names_the_file_else_the_config_dir_holds_it() {
        let dir = PathBuf::from("/home/u/.config/socklab");
        assert_eq!(path_from(Some("/tmp/s.json".into()), Some(dir.clone())), Some(PathBuf::from("/tmp/s.json")));
        assert_eq!(path_from(None, Some(dir)), Some(PathBuf::from("/home/u/.config/socklab/settings.json")));
        assert_eq!(path_from(None, None), None);
    }

    /// Files saved before the `directories` crate was used are still found: on Linux its config
    /// folder is `$XDG_CONFIG_HOME/socklab`, else `~/.config/socklab` (read, never set here).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_config_dir_is_the_xdg_one() {
        let xdg = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from).filter(|p| p.is_absolute());
        let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config"));
        let Some(base) = xdg.or(home) else { return };
        let dirs = directories::ProjectDirs::from("", "", "socklab").expect("a home folder");
        assert_eq!(dirs.config_dir(), base.join("socklab"));
    }

    #[test]
    fn round_trip_fresh_and_corrupt() {
        let dir = std::env::temp_dir().join(format!("socklab-settings-{}", std::process::id()));
        let path = dir.join("settings.json");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(load(&path), Loaded::Fresh);
        let s = Settings { lang: Some(Lang::Zh), udp_bind: Some("127.0.0.1:7788".into()), ..Settings::default() };
        save(&path, &s).unwrap();
        assert_eq!(load(&path), Loaded::Ok(Box::new(s)));
        // Old files with unknown or missing fields still load.
        std::fs::write(&path, r#"{"lang":"En","something_old":1}"#).unwrap();
        assert!(matches!(load(&path), Loaded::Ok(s) if s.lang == Some(Lang::En)));
        std::fs::write(&path, "{not json").unwrap();
        let Loaded::Corrupt { backup: Ok(backup), .. } = load(&path) else { panic!("corrupt") };
        assert!(backup.exists() && !path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A valid file with one field of 20 MB crashed the window at every start (it laid the text
    /// out); such a field (anything past 4 KiB) makes the file corrupt: moved to `.bak`.
    #[test]
    fn a_very_long_field_makes_the_file_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let long = "1".repeat(MAX_FIELD_BYTES + 1);
        std::fs::write(&path, format!(r#"{{"udp_bind":"{long}"}}"#)).unwrap();
        let loaded = load(&path);
        let Loaded::Corrupt { why, backup: Ok(backup) } = loaded else { panic!("{loaded:?}") };
        assert_eq!(why, Why::FieldTooLong { field: "udp_bind".into(), bytes: MAX_FIELD_BYTES + 1 });
        assert!(backup.exists() && !path.exists());
        // Nested fields too, and a field at the limit is fine.
        let ok = "1".repeat(MAX_FIELD_BYTES);
        std::fs::write(&path, format!(r#"{{"udp_bind":"{ok}","instances":[{{"kind":"udp","address":"{long}"}}]}}"#))
            .unwrap();
        let loaded = load(&path);
        assert!(
            matches!(&loaded, Loaded::Corrupt { why: Why::FieldTooLong { field, .. }, .. } if field == "instances[0].address"),
            "{loaded:?}"
        );
        std::fs::write(&path, format!(r#"{{"udp_bind":"{ok}"}}"#)).unwrap();
        assert!(matches!(load(&path), Loaded::Ok(_)));
        // A 20 MB file is refused by its size, whatever it holds.
        std::fs::write(&path, format!(r#"{{"udp_bind":"{}"}}"#, "1".repeat(20 << 20))).unwrap();
        assert!(matches!(load(&path), Loaded::Corrupt { why: Why::FileTooBig { .. }, .. }));
        // Saving never writes such a field.
        let s = Settings { udp_bind: Some(long), ..Settings::default() };
        assert!(save(&path, &s).is_err());
        assert!(matches!(load(&path), Loaded::Fresh), "nothing written");
    }

    /// A file that is not UTF-8 was taken as absent (and overwritten at exit); a folder gave
    /// silent defaults; a failed backup was still named in the notice.
    #[test]
    fn not_utf8_a_folder_and_a_backup_that_fails_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, b"{\"theme\":\"dark\xff\"}").unwrap();
        let loaded = load(&path);
        assert!(
            matches!(&loaded, Loaded::Corrupt { why: Why::NotUtf8 { valid_up_to: 14 }, backup: Ok(_) }),
            "{loaded:?}"
        );
        assert!(loaded.may_save());
        assert!(backup_path(&path).exists() && !path.exists());

        // The backup cannot be made (a folder of that name is in the way, as good as a
        // read-only folder even for root): the file stays and must not be overwritten.
        std::fs::remove_file(backup_path(&path)).unwrap();
        std::fs::create_dir(backup_path(&path)).unwrap();
        std::fs::write(backup_path(&path).join("x"), "x").unwrap();
        std::fs::write(&path, "{ broken").unwrap();
        let loaded = load(&path);
        assert!(matches!(&loaded, Loaded::Corrupt { why: Why::NotJson(_), backup: Err(_) }), "{loaded:?}");
        assert!(!loaded.may_save());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ broken", "left as it was");

        // A folder where the file should be.
        let folder = dir.path().join("folder.json");
        std::fs::create_dir(&folder).unwrap();
        let loaded = load(&folder);
        assert_eq!(loaded, Loaded::Unusable { why: Why::NotAFile });
        assert!(!loaded.may_save());
    }
}
