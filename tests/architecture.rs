//! The rooms of the crate and what each may import, checked on the source (see
//! docs/architecture.md). The core (`engine`, `log`, `codec`, `basics`, `packets`, `codegen`,
//! `vocab`) speaks data: it never imports a face (`ui`, `cli`), the translations (`i18n`,
//! `rust_i18n`) or egui. `vocab` is a leaf. No file holds more than 600 lines before its tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::path::{Path, PathBuf};

/// The core's files and folders, below `src/`.
const CORE: &[&str] = &["engine", "log", "codec", "basics", "packets.rs", "codegen.rs", "vocab.rs"];

/// What the core may not name.
const FACES: &[&str] = &[
    "crate::i18n",
    "crate::ui",
    "crate::cli",
    "socklab::ui",
    "socklab::cli",
    "egui",
    "eframe",
    "rust_i18n",
    "_rust_i18n",
];

/// The most lines a source file may have before its `#[cfg(test)]` module.
const MAX_LINES: usize = 600;

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            rust_files(&p, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `word` in `line` as a whole path or name (`Deframer` does not contain `eframe`).
fn names(line: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// The code of a file without its comments (so a doc comment may talk about `i18n`).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
        .filter(|(_, l)| !l.trim().is_empty())
}

#[test]
fn the_core_never_imports_a_face_or_the_translations() {
    let mut files = Vec::new();
    for room in CORE {
        rust_files(&src().join(room), &mut files);
    }
    assert!(files.len() > 20, "the core's files were not found: {files:?}");
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in code_lines(&text) {
            for face in FACES {
                if names(line, face) || line.contains(" t!(") {
                    found.push(format!("{}:{n}: {}", f.strip_prefix(src()).unwrap().display(), line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "the core imports a face or the translations:\n{}", found.join("\n"));
}

#[test]
fn vocab_is_a_leaf() {
    let text = std::fs::read_to_string(src().join("vocab.rs")).unwrap();
    let imports: Vec<_> = code_lines(&text).filter(|(_, l)| l.contains("crate::") || l.contains("super::")).collect();
    assert!(imports.is_empty(), "vocab.rs imports from the crate: {imports:?}");
}

#[test]
fn no_file_is_over_600_lines_before_its_tests() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let lines = text.lines().take_while(|l| !l.starts_with("#[cfg(test)]")).count();
            (lines > MAX_LINES).then(|| format!("{} has {lines} lines", f.strip_prefix(src()).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by job (at most {MAX_LINES} lines before the tests):\n{}", long.join("\n"));
}

/// Which rooms each core room may name (docs/architecture.md's table): the core's imports
/// point one way, so no two rooms depend on each other.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("vocab.rs", &[]),
    ("codec", &["codec", "vocab"]),
    ("basics", &["basics", "codec", "vocab"]),
    ("engine", &["engine", "codec", "vocab"]),
    ("log", &["log", "engine", "codec", "vocab"]),
    ("packets.rs", &["packets", "engine", "codec", "vocab"]),
    ("codegen.rs", &["codegen", "engine", "codec", "vocab"]),
];

#[test]
fn each_core_room_imports_only_the_rooms_below_it() {
    const ROOMS: &[&str] = &["vocab", "codec", "basics", "engine", "log", "packets", "codegen", "i18n", "ui", "cli"];
    let mut found = Vec::new();
    for (room, allowed) in MAY_IMPORT {
        let mut files = Vec::new();
        rust_files(&src().join(room), &mut files);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            for (n, line) in code_lines(&text) {
                for other in ROOMS {
                    if names(line, &format!("crate::{other}")) && !allowed.contains(other) {
                        found.push(format!("{}:{n}: {}", f.strip_prefix(src()).unwrap().display(), line.trim()));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "a core room imports one it may not (see docs/architecture.md):\n{}", found.join("\n"));
}

/// The check itself finds what it looks for.
#[test]
fn the_checks_see_an_import() {
    let bad = "use crate::i18n::Lang; // words\n/// crate::ui in a comment is fine\n";
    let hits: Vec<_> = code_lines(bad).filter(|(_, l)| FACES.iter().any(|f| names(l, f))).collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(!names("let d = Deframer::new(framing);", "eframe"));
    assert!(names("use eframe::egui;", "eframe") && names("x: egui::Ui", "egui"));
}
