//! Loading: an entry file's path in, every file it imports parsed, out.
//!
//! Imports are resolved relative to the importing file. Each file is read
//! once, whatever the import graph; files come from a [`FileReader`], so the
//! same loader can read the working tree or, later, a git revision.

use crate::diagnostic::Problem;
use crate::source::SourceMap;
use crate::syntax::ast;
use crate::syntax::{self, ParseError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Stable codes of loading diagnostics.
pub mod codes {
    /// Reported when a rule file (the entry or an import) cannot be read or is not UTF-8 text.
    pub const UNREADABLE: &str = "lawcode::load::unreadable";
    /// Reported when a rule set imports more than [`MAX_FILES`](super::MAX_FILES) distinct files.
    pub const TOO_MANY_FILES: &str = "lawcode::load::too_many_files";
}

/// Most files one rule set may import, directly or not.
pub const MAX_FILES: usize = 256;

/// Why a rule set could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// A file could not be read (or there were too many); the problem names the file and, for an
    /// import, where it was imported.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Read(Box<Problem>),
    /// A file was read but does not parse.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse(Box<ParseError>),
}

/// Where rule files come from.
pub trait FileReader {
    /// The whole text of the file at `path` (relative to the working directory, or however the
    /// reader roots it); an error if it is missing or not UTF-8.
    fn read(&self, path: &Path) -> std::io::Result<String>;

    /// What diagnostics call the file at `path` (a git revision prefixes its name).
    fn display_name(&self, path: &Path) -> String {
        path.display().to_string()
    }
}

/// Reads from the file system.
pub struct Disk;

impl FileReader for Disk {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        String::from_utf8(std::fs::read(path)?).map_err(|e| not_utf8(e.as_bytes(), e.utf8_error()))
    }
}

/// The error of a file that is not UTF-8 text, naming the first bad byte and where it is.
pub fn not_utf8(bytes: &[u8], e: std::str::Utf8Error) -> std::io::Error {
    let at = e.valid_up_to();
    let byte = bytes.get(at).copied().unwrap_or_default();
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("it is not UTF-8 text (invalid byte 0x{byte:02x} at offset {at})"),
    )
}

/// Parses `entry` and, transitively, what it imports. The entry file comes first.
pub fn load(
    reader: &dyn FileReader,
    entry: &Path,
) -> Result<(Vec<ast::File>, SourceMap), LoadError> {
    let mut sources = SourceMap::new();
    let mut files = Vec::new();
    let mut seen: HashMap<PathBuf, ()> = HashMap::new();
    let mut queue: Vec<(PathBuf, Option<(crate::source::Span, String)>)> =
        vec![(entry.to_path_buf(), None)];
    while let Some((path, imported_at)) = queue.pop() {
        let key = normalize(&path);
        if seen.insert(key, ()).is_some() {
            continue;
        }
        if seen.len() > MAX_FILES {
            return Err(LoadError::Read(Box::new(
                Problem::error(
                    codes::TOO_MANY_FILES,
                    format!("the rule set imports more than {MAX_FILES} files"),
                )
                .with_help("check for an import that pulls in a whole directory tree"),
            )));
        }
        let name = reader.display_name(&path);
        let text = reader.read(&path).map_err(|e| {
            let help = if e.kind() == std::io::ErrorKind::InvalidData {
                "save the rule file as UTF-8 text; check that this is a `.law` file"
            } else {
                "check the path; imports are relative to the file that imports them"
            };
            let mut p = Problem::error(codes::UNREADABLE, format!("cannot read `{name}`: {e}"))
                .with_help(help);
            if let Some((span, _)) = &imported_at {
                p = p.label(&sources, *span, "imported here");
            }
            LoadError::Read(Box::new(p))
        })?;
        let id = sources.add(name.clone(), text.as_str());
        let file =
            syntax::parse_file(id, &name, &text).map_err(|e| LoadError::Parse(Box::new(e)))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for item in &file.items {
            if let ast::Item::Import(target) = item {
                queue.push((
                    dir.join(&target.node),
                    Some((target.span, target.node.clone())),
                ));
            }
        }
        files.push(file);
    }
    Ok((files, sources))
}

/// `a/b/../c.law` and `a/c.law` are one file. Lexical: a `..` removes the name before it, and
/// is kept where there is none (`../../x.law` stays so; `/..` is `/`).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;
    use std::path::{Path, PathBuf};

    #[test]
    fn normalize_is_lexical_and_keeps_leading_parents() {
        let n = |p: &str| normalize(Path::new(p));
        assert_eq!(
            n("rules/usc/18/../../data/cpi-u.law"),
            PathBuf::from("rules/data/cpi-u.law")
        );
        assert_eq!(n("./a/./b.law"), PathBuf::from("a/b.law"));
        // Two parents up from nowhere stay two parents up (they once cancelled each other).
        assert_eq!(n("../../x.law"), PathBuf::from("../../x.law"));
        assert_eq!(n("a/../../x.law"), PathBuf::from("../x.law"));
        assert_eq!(n("/../x.law"), PathBuf::from("/x.law"));
    }
}
