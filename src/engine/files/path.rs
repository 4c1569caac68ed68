//! From a requested name to a file inside the shared folder, or a refusal saying why not.
//!
//! The tutorial's server does `open(download_file_name)`: whatever the client sends. Here a name
//! is first checked as text (no `..`, no absolute or Windows paths, no control characters), then
//! on disk: the final path, with every symbolic link followed, must still be inside the shared
//! folder and be a regular file.

#![allow(clippy::indexing_slicing, reason = "indices guarded by the length check beside them")]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::MAX_NAME;
use super::error::Refusal;

/// Why [`resolve`] found nothing to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathError {
    /// The name is refused (it tries to leave the folder, or is not a file name).
    Refused(Refusal),
    /// A harmless name, but no such file: not a refusal.
    NotFound,
    /// The file system said no (permissions, link loops); the OS's message.
    Io(String),
}

/// Removes one trailing `"\r\n"` or `"\n"` (what `nc` and line-based clients add), nothing else.
pub fn trim_name(requested: &str) -> &str {
    requested.strip_suffix("\r\n").or_else(|| requested.strip_suffix('\n')).unwrap_or(requested)
}

/// `C:\x`, `c:x` (a drive letter) or `\\server\share` (UNC).
fn is_windows_path(name: &str) -> bool {
    let b = name.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':') || name.starts_with("\\\\")
}

/// Checks a name as text, without touching the disk, and returns its components. Backslashes
/// count as separators (so `..\x` is caught as well as `../x`); empty and `.` components are
/// dropped. Does not trim: see [`trim_name`].
pub fn check_name(name: &str) -> Result<Vec<&str>, Refusal> {
    if name.is_empty() {
        return Err(Refusal::Empty);
    }
    if name.len() > MAX_NAME {
        return Err(Refusal::TooLong(name.len()));
    }
    if name.chars().any(char::is_control) {
        return Err(Refusal::ControlChar);
    }
    if is_windows_path(name) {
        return Err(Refusal::WindowsPath);
    }
    if name.starts_with(['/', '\\']) {
        return Err(Refusal::Absolute);
    }
    let parts: Vec<&str> = name.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.contains(&"..") {
        return Err(Refusal::ParentDir);
    }
    Ok(parts)
}

fn io_error(e: &io::Error) -> PathError {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => PathError::NotFound,
        _ => PathError::Io(e.to_string()),
    }
}

/// The file `requested` names inside `root`, canonical (no links, no `.`), or why not.
///
/// `root` must itself be canonical ([`std::fs::canonicalize`], done once when the server
/// starts): the check that the result stays inside compares whole path components with it.
/// One trailing newline is trimmed from `requested` first.
pub fn resolve(root: &Path, requested: &str) -> Result<PathBuf, PathError> {
    let parts = check_name(trim_name(requested)).map_err(PathError::Refused)?;
    let mut path = root.to_path_buf();
    path.extend(&parts);
    // Follows every link; the answer is where the bytes really are.
    let real = fs::canonicalize(&path).map_err(|e| io_error(&e))?;
    if !real.starts_with(root) {
        return Err(PathError::Refused(Refusal::OutsideRoot));
    }
    let meta = fs::metadata(&real).map_err(|e| io_error(&e))?;
    if meta.is_dir() {
        return Err(PathError::Refused(Refusal::Directory));
    }
    if !meta.is_file() {
        // Opening a pipe would block the server; a device could be endless.
        return Err(PathError::Refused(Refusal::NotAFile));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A shared folder `root` with `a.txt`, `sub/b.txt`, links in and out, next to `secret.txt`.
    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        secret: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(dir.path()).unwrap();
        let root = base.join("root");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("a.txt"), b"a").unwrap();
        fs::write(root.join("sub/b.txt"), b"b").unwrap();
        let secret = base.join("secret.txt");
        fs::write(&secret, b"secret").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(&secret, root.join("out")).unwrap();
            symlink("../secret.txt", root.join("out_rel")).unwrap();
            symlink(&base, root.join("outdir")).unwrap();
            symlink("sub/b.txt", root.join("in")).unwrap();
            symlink("sub", root.join("indir")).unwrap();
            symlink("nowhere", root.join("dangling")).unwrap();
        }
        Fixture { _dir: dir, root, secret }
    }

    fn refused(f: &Fixture, name: &str) -> Refusal {
        match resolve(&f.root, name) {
            Err(PathError::Refused(r)) => r,
            other => panic!("{name:?}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn plain_names_resolve_inside() {
        let f = fixture();
        assert_eq!(resolve(&f.root, "a.txt").unwrap(), f.root.join("a.txt"));
        assert_eq!(resolve(&f.root, "a.txt\n").unwrap(), f.root.join("a.txt"), "nc's newline is trimmed");
        assert_eq!(resolve(&f.root, "a.txt\r\n").unwrap(), f.root.join("a.txt"));
        assert_eq!(resolve(&f.root, "./sub//b.txt").unwrap(), f.root.join("sub/b.txt"));
        assert_eq!(resolve(&f.root, "sub\\b.txt").unwrap(), f.root.join("sub/b.txt"), "backslash separates");
    }

    #[test]
    fn each_way_out_has_its_refusal() {
        let f = fixture();
        assert_eq!(refused(&f, ""), Refusal::Empty);
        assert_eq!(refused(&f, "\n"), Refusal::Empty);
        assert_eq!(refused(&f, "a.txt\n\n"), Refusal::ControlChar, "only one newline is trimmed");
        assert_eq!(refused(&f, "a.txt\0"), Refusal::ControlChar);
        assert_eq!(refused(&f, "a\tb"), Refusal::ControlChar);
        assert_eq!(refused(&f, "a\x7f"), Refusal::ControlChar);
        assert_eq!(refused(&f, " a.txt\r"), Refusal::ControlChar);
        assert_eq!(refused(&f, "../secret.txt"), Refusal::ParentDir);
        assert_eq!(refused(&f, "sub/../../secret.txt"), Refusal::ParentDir);
        assert_eq!(refused(&f, "sub/.."), Refusal::ParentDir);
        assert_eq!(refused(&f, "..\\secret.txt"), Refusal::ParentDir);
        assert_eq!(refused(&f, "/etc/passwd"), Refusal::Absolute);
        assert_eq!(refused(&f, f.secret.to_str().unwrap()), Refusal::Absolute);
        assert_eq!(refused(&f, "\\etc\\passwd"), Refusal::Absolute);
        assert_eq!(refused(&f, "C:\\Windows\\win.ini"), Refusal::WindowsPath);
        assert_eq!(refused(&f, "c:x"), Refusal::WindowsPath);
        assert_eq!(refused(&f, "\\\\server\\share\\x"), Refusal::WindowsPath);
        assert_eq!(refused(&f, &"a".repeat(MAX_NAME + 1)), Refusal::TooLong(MAX_NAME + 1));
        assert_eq!(refused(&f, "sub"), Refusal::Directory);
        assert_eq!(refused(&f, "."), Refusal::Directory);
        assert_eq!(refused(&f, "./"), Refusal::Directory);
    }

    #[test]
    fn a_name_of_exactly_the_limit_is_not_refused_for_length() {
        let f = fixture();
        // Longer than one file-system component may be: the OS says so, it is not a refusal.
        let r = resolve(&f.root, &"a".repeat(MAX_NAME));
        assert!(matches!(r, Err(PathError::NotFound | PathError::Io(_))), "{r:?}");
    }

    #[test]
    fn missing_is_not_found_not_refused() {
        let f = fixture();
        assert_eq!(resolve(&f.root, "nope.txt"), Err(PathError::NotFound));
        assert_eq!(resolve(&f.root, "a.txt/x"), Err(PathError::NotFound));
        assert_eq!(resolve(&f.root, "sub/nope"), Err(PathError::NotFound));
    }

    #[cfg(unix)]
    #[test]
    fn links_that_leave_are_refused_links_that_stay_are_fine() {
        let f = fixture();
        assert!(fs::read(f.root.join("out")).is_ok(), "the link really reaches the secret");
        assert_eq!(refused(&f, "out"), Refusal::OutsideRoot);
        assert_eq!(refused(&f, "out_rel"), Refusal::OutsideRoot);
        assert_eq!(refused(&f, "outdir/secret.txt"), Refusal::OutsideRoot);
        // Out and back in: the bytes are inside, so that is fine.
        assert_eq!(resolve(&f.root, "outdir/root/a.txt").unwrap(), f.root.join("a.txt"));
        assert_eq!(resolve(&f.root, "in").unwrap(), f.root.join("sub/b.txt"));
        assert_eq!(resolve(&f.root, "indir/b.txt").unwrap(), f.root.join("sub/b.txt"));
        assert_eq!(resolve(&f.root, "dangling"), Err(PathError::NotFound));
    }

    #[cfg(unix)]
    #[test]
    fn pipes_are_not_files() {
        let f = fixture();
        let fifo = f.root.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path that lives across the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(refused(&f, "fifo"), Refusal::NotAFile);
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("..".to_string()),
            Just(".".to_string()),
            Just("/".to_string()),
            Just("\\".to_string()),
            Just("a.txt".to_string()),
            Just("sub".to_string()),
            Just("b.txt".to_string()),
            Just("out".to_string()),
            Just("out_rel".to_string()),
            Just("outdir".to_string()),
            Just("in".to_string()),
            Just("indir".to_string()),
            Just("secret.txt".to_string()),
            Just("root".to_string()),
            Just("C:".to_string()),
            Just("\0".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            ".{0,6}",
        ]
    }

    #[test]
    fn nothing_ever_resolves_outside_root() {
        use proptest::test_runner::{Config, TestRunner};
        let f = fixture();
        let mut runner = TestRunner::new(Config { cases: 3000, ..Config::default() });
        let names =
            prop_oneof![prop::collection::vec(piece(), 0..10).prop_map(|p| p.concat()), ".{0,40}", any::<String>()];
        runner
            .run(&names, |name| {
                if let Ok(p) = resolve(&f.root, &name) {
                    prop_assert!(p.starts_with(&f.root), "{name:?} -> {p:?}");
                    prop_assert!(p.is_file(), "{name:?} -> {p:?}");
                    prop_assert_ne!(&p, &f.secret);
                }
                Ok(())
            })
            .unwrap();
    }
}
