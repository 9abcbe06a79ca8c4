//! The rule files the fuzz targets evaluate, compiled in so that they run from any directory:
//! the entry files of § 2259, § 2248 and § 1593 and every file they import.
//! `tests/lawcode/family.rs` checks that this list holds every file they reach.
use std::path::Path;

/// Each bundled file: its path from the repository's root, and its text.
pub const FILES: &[(&str, &str)] = &[
    ("rules/usc/18/2259.law", include_str!("../../rules/usc/18/2259.law")),
    ("rules/usc/18/2248.law", include_str!("../../rules/usc/18/2248.law")),
    ("rules/usc/18/1593.law", include_str!("../../rules/usc/18/1593.law")),
    ("rules/usc/18/lib/losses.law", include_str!("../../rules/usc/18/lib/losses.law")),
    ("rules/data/cpi-u.law", include_str!("../../rules/data/cpi-u.law")),
    (
        "rules/data/federal-minimum-wage.law",
        include_str!("../../rules/data/federal-minimum-wage.law"),
    ),
];

/// Reads the bundled files instead of the disk. (The `lsp` target keeps its files in the
/// server's overlay instead, so it leaves this and `load` unused.)
#[allow(dead_code)]
pub struct Bundled;

impl lawcode::load::FileReader for Bundled {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let wanted = lawcode::tools::analysis::normalize(path);
        FILES
            .iter()
            .find(|(name, _)| lawcode::tools::analysis::normalize(Path::new(name)) == wanted)
            .map(|(_, text)| (*text).to_string())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not bundled"))
    }
}

/// The checked rule set of `entry`, one of the bundled entry files.
#[allow(dead_code)]
pub fn load(entry: &str) -> lawcode::Program {
    // INVARIANT: the bundled rules are the repository's, which its tests check.
    lawcode::load_program_with(&Bundled, Path::new(entry)).expect("bundled rules check").0
}
