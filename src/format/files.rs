//! The files `lawcode fmt` works on, and how it rewrites one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Every `*.law` file `paths` name: a file as it is, a directory's `.law` files at any depth.
/// Symbolic links to directories are not followed; hidden directories (`.git`), `target` and
/// `node_modules` are skipped, as they hold no one's rules. Sorted, each once.
pub fn law_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut dirs = vec![path.clone()];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let entry = entry?;
                    let p = entry.path();
                    let kind = entry.file_type()?;
                    if kind.is_dir() {
                        let name = entry.file_name();
                        let name = name.to_string_lossy();
                        if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                            dirs.push(p);
                        }
                    } else if p.extension().is_some_and(|e| e == "law") {
                        out.push(p);
                    }
                }
            }
        } else {
            out.push(path.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Replaces `path`'s contents with `text` at once: written to a new file beside it (so the
/// rename stays on one file system), given the old file's permissions, then renamed over it. A
/// reader sees the old text or the new, never part of either; on an error the old file is
/// untouched and the temporary file removed.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let permissions = std::fs::metadata(path)?.permissions();
    let mut file = tempfile::Builder::new()
        .prefix(".lawcode-fmt-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.as_file().set_permissions(permissions)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The first line (numbered from 1) where `a` and `b` differ, and that line in each.
pub fn first_changed_line<'t>(a: &'t str, b: &'t str) -> Option<(usize, &'t str, &'t str)> {
    let mut left = a.lines();
    let mut right = b.lines();
    let mut n = 0;
    loop {
        n += 1;
        match (left.next(), right.next()) {
            (None, None) => return (a != b).then_some((n, "", "")),
            (l, r) if l != r => return Some((n, l.unwrap_or(""), r.unwrap_or(""))),
            _ => {}
        }
    }
}
