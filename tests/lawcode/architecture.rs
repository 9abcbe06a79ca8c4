//! The house's layering, as ARCHITECTURE.md draws it: each module of the library (a file at
//! the top of `src/` or a stage's folder) may name only the modules below it, so no import
//! circle can form between folders. Read from the source text: every `crate::module` path.

use std::collections::BTreeSet;
use std::path::Path;

/// Lowest first. A module may use those before it in this list, never those after it.
const LAYERS: &[&str] = &[
    "source",
    "citation",
    "value",
    "diagnostic",
    "syntax",
    "format",
    "program",
    "check",
    "facts",
    "eval",
    "render",
    "pipeline",
    "tools",
    "lsp",
    "server",
];

/// The modules a file's code names through `crate::`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end]
                .split(',')
                .map(|n| n.trim().split("::").next().unwrap_or(""))
                .collect()
        } else {
            vec![
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or(""),
            ]
        };
        out.extend(
            names
                .into_iter()
                .filter(|n| !n.is_empty())
                .map(String::from),
        );
    }
    out
}

#[test]
fn every_module_names_only_the_modules_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut dirs = vec![src.clone()];
    let mut seen = BTreeSet::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            if module == "lib" || module == "main" {
                continue; // the facade and the binary stand above every module
            }
            let Some(level) = LAYERS.iter().position(|l| *l == module) else {
                violations.push(format!("{}: `{module}` is not in LAYERS", rel.display()));
                continue;
            };
            seen.insert(module.clone());
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may reach across (a test of eval builds a program with the pipeline).
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or(&text);
            for named in named_modules(code) {
                match LAYERS.iter().position(|l| *l == named) {
                    Some(other) if other > level => violations.push(format!(
                        "{}: `{module}` names `{named}`, which stands above it",
                        rel.display()
                    )),
                    // A name re-exported at the root (`crate::Program`) hides where it lives.
                    None => violations.push(format!(
                        "{}: `crate::{named}` is not a module path; name the module",
                        rel.display()
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    assert_eq!(seen.len(), LAYERS.len(), "a layer with no files: {seen:?}");
}

#[test]
fn the_module_reader_sees_grouped_and_nested_paths() {
    let names = named_modules("use crate::{eval::Program, value};\nlet x = crate::facts::read(y);");
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["eval", "facts", "value"]
    );
}
