//! The native file dialog (rfd), run on its own thread, and an honest guess at whether one can
//! be shown at all. On Linux rfd asks the desktop portal over D-Bus and falls back to zenity;
//! with neither (a bare X server, a minimal window manager, a fresh classroom image) it gives
//! `None` at once, exactly as if the user had clicked Cancel. So: no session bus and no zenity
//! means no dialog, and a "nothing picked" sooner than a person can cancel means there was none.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::ui::job::Job;

/// Sooner than this, "nothing picked" came from no dialog at all: nobody finds and clicks
/// Cancel this fast.
pub const TOO_FAST: Duration = Duration::from_millis(300);

/// What a file dialog gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picked {
    Path(PathBuf),
    /// The user closed the dialog without choosing.
    Cancelled,
    /// No dialog could be shown (it answered faster than a person can, or its thread failed).
    NoDialog,
}

/// True if a native file dialog may be shown here, as far as can be told without showing one.
pub fn dialog_possible() -> bool {
    if cfg!(target_os = "linux") {
        possible_with(
            std::env::var_os("PATH"),
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS"),
            std::env::var_os("XDG_RUNTIME_DIR"),
        )
    } else {
        true
    }
}

/// The guess of [`dialog_possible`] from `$PATH`, `$DBUS_SESSION_BUS_ADDRESS` and
/// `$XDG_RUNTIME_DIR`: a session bus (the portal's way in) or zenity on the path.
fn possible_with(path: Option<OsString>, dbus: Option<OsString>, runtime: Option<OsString>) -> bool {
    let bus = dbus.is_some_and(|d| !d.is_empty()) || runtime.is_some_and(|r| Path::new(&r).join("bus").exists());
    bus || path.is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join("zenity").is_file()))
}

/// Runs a dialog (`show`, which blocks until it closes) on a thread named `name`, timing it.
pub fn spawn(
    name: &str,
    ctx: &egui::Context,
    show: impl FnOnce() -> Option<PathBuf> + Send + 'static,
) -> std::io::Result<Job<Picked>> {
    Job::spawn_repainting(name, ctx, move || {
        let start = Instant::now();
        match show() {
            Some(p) => Picked::Path(p),
            None if start.elapsed() < TOO_FAST => Picked::NoDialog,
            None => Picked::Cancelled,
        }
    })
}

/// What a dialog job gave, once it is done (a failed thread counts as no dialog).
pub fn poll(job: &mut Job<Picked>) -> Option<Picked> {
    Some(job.poll()?.unwrap_or(Picked::NoDialog))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_bus_or_zenity_makes_a_dialog_possible() {
        let dir = tempfile::tempdir().unwrap();
        let none = || None::<OsString>;
        assert!(!possible_with(none(), none(), none()));
        assert!(!possible_with(Some(dir.path().into()), Some(OsString::new()), Some(dir.path().into())));
        assert!(possible_with(none(), Some("unix:path=/run/user/0/bus".into()), none()));
        std::fs::write(dir.path().join("bus"), "").unwrap();
        assert!(possible_with(none(), none(), Some(dir.path().into())));
        let bin = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([Path::new("/nonexistent"), bin.path()]).unwrap();
        assert!(!possible_with(Some(path.clone()), none(), none()));
        std::fs::write(bin.path().join("zenity"), "").unwrap();
        assert!(possible_with(Some(path), none(), none()));
    }

    #[test]
    fn an_instant_none_is_no_dialog_a_slow_one_is_a_cancel() {
        let ctx = egui::Context::default();
        let fast = spawn("dialog-test", &ctx, || None).unwrap().join();
        assert_eq!(fast, Some(Ok(Picked::NoDialog)));
        let slow = spawn("dialog-test", &ctx, || {
            std::thread::sleep(TOO_FAST + Duration::from_millis(50));
            None
        });
        assert_eq!(slow.unwrap().join(), Some(Ok(Picked::Cancelled)));
        let picked = spawn("dialog-test", &ctx, || Some(PathBuf::from("/tmp/x.pcap"))).unwrap().join();
        assert_eq!(picked, Some(Ok(Picked::Path("/tmp/x.pcap".into()))));
    }
}
