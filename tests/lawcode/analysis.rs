//! What an editor learns about § 2259 from `tools::analysis` (the language server's answers
//! before they become protocol messages): hover on each kind of name, where each kind of
//! reference leads, references and rename, completion in each kind of place. Hovers are
//! snapshots: they are what a legal engineer reads.

use crate::support::repo;
use lawcode::source::FileId;
use lawcode::tools::analysis::{Analysis, CompletionKind, Overlay, normalize};

struct Rules {
    analysis: Analysis,
    file: FileId,
    text: String,
}

fn rules_2259() -> Rules {
    let entry = normalize(&repo().join("rules/usc/18/2259.law"));
    let analysis = Analysis::run(&Overlay::default(), &entry);
    assert!(analysis.checks, "{:?}", analysis.diagnostics);
    let file = analysis.file_named(&entry.display().to_string()).unwrap();
    let text = analysis.text(file).to_string();
    Rules {
        analysis,
        file,
        text,
    }
}

impl Rules {
    /// The offset `into` bytes into the `n`th (from 0) occurrence of `needle`.
    fn at(&self, needle: &str, n: usize, into: usize) -> usize {
        let mut from = 0;
        for _ in 0..n {
            from += self.text[from..].find(needle).unwrap() + 1;
        }
        from + self.text[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not found"))
            + into
    }

    fn hover(&self, at: usize) -> String {
        let (span, text) = self.analysis.hover(self.file, at).expect("a hover");
        format!("[{}]\n{text}", &self.text[span.start..span.end])
    }

    /// The text of each span the definition of what is at `at` leads to, its first line.
    fn definition(&self, at: usize) -> Vec<String> {
        self.analysis
            .definition(self.file, at)
            .into_iter()
            .map(|s| {
                let text = self.analysis.text(s.file);
                let line_start = text[..s.start].rfind('\n').map_or(0, |i| i + 1);
                text[line_start..]
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .collect()
    }
}

#[test]
fn hover_on_a_fact_a_field_a_definition_a_provision_a_table_and_a_citation() {
    let r = rules_2259();
    let hovers = [
        ("a fact's field", r.at("court.relative_role_amount", 1, 8)),
        ("a record field", r.at("victim.prior_recovery", 0, 9)),
        ("a definition", r.at("recovery_remaining)", 0, 2)),
        (
            "an exception's provision",
            r.at("exception to (b)(1): restitution_amount = court", 0, 15),
        ),
        ("a table", r.at("cpi_u[order_calendar_year", 0, 1)),
        ("a citation range", r.at("§2252A(a)(1) through (5)", 0, 3)),
        ("an import", r.at("import \"../../data", 0, 10)),
    ];
    let shown: Vec<String> = hovers
        .iter()
        .map(|(what, at)| format!("--- {what}\n{}", r.hover(*at)))
        .collect();
    // The import's file is shown by its full path; the repository's is not the same everywhere.
    let shown = shown
        .join("\n\n")
        .replace(&repo().display().to_string(), "<repo>");
    insta::assert_snapshot!(shown);
}

#[test]
fn definition_leads_to_rules_provisions_tables_and_files() {
    let r = rules_2259();
    assert_eq!(
        r.definition(r.at("recovery_remaining)", 0, 2)),
        ["rule recovery_remaining = greatest_full_amount - victim.prior_recovery"]
    );
    // `to (b)(1)` in the 1996 text: that text's (b)(1), not the 2018 one.
    assert_eq!(
        r.definition(r.at("exception to (b)(1): restitution_amount = court", 0, 15)),
        ["(1) \"Directions\" in original {"]
    );
    let table = r.definition(r.at("cpi_u[order_calendar_year", 0, 1));
    assert_eq!(table.len(), 1);
    assert!(table[0].starts_with("table cpi_u"), "{table:?}");
    let import = r
        .analysis
        .definition(r.file, r.at("import \"../../data", 0, 10));
    assert_eq!(import.len(), 1);
    let name = &r.analysis.sources.get(import[0].file).unwrap().name;
    assert!(
        normalize(std::path::Path::new(name)).ends_with("rules/data/cpi-u.law"),
        "{name}"
    );
    // A fact leads to its declaration in `facts`, a field to its record.
    assert_eq!(
        r.definition(r.at("victim.prior_recovery", 0, 9)),
        ["prior_recovery: money default $0"]
    );
}

#[test]
fn references_and_rename_of_a_definition() {
    let r = rules_2259();
    let at = r.at("recovery_remaining)", 0, 2);
    let spans = r.analysis.references(r.file, at, true);
    let uses = r.text.matches("recovery_remaining").count();
    assert_eq!(spans.len(), uses, "every mention, its rule included");
    for s in &spans {
        assert_eq!(&r.text[s.start..s.end], "recovery_remaining");
    }
    let without = r.analysis.references(r.file, at, false);
    assert_eq!(without.len(), uses - 1);
    assert_eq!(
        r.analysis.rename(r.file, at, "remaining_recovery"),
        Some(spans)
    );
    // Not a name: refused. A provision, a keyword: not renamable.
    assert_eq!(r.analysis.rename(r.file, at, "not a name"), None);
    assert_eq!(r.analysis.rename(r.file, at, "and"), None);
    let provision = r.at("exception to (b)(1): restitution_amount = court", 0, 15);
    assert_eq!(r.analysis.prepare_rename(r.file, provision), None);
}

#[test]
fn completion_in_each_kind_of_place() {
    let r = rules_2259();
    let labels = |text: &str, kind: Option<CompletionKind>| -> Vec<String> {
        r.analysis
            .completions(text, text.len())
            .into_iter()
            .filter(|c| kind.is_none_or(|k| c.kind == k))
            .map(|c| c.label)
            .collect()
    };
    // After a record-typed fact and `.`: its fields (the typed prefix does not matter).
    let before = &r.text[..r.at("rule recovery_remaining", 0, 0)];
    let fields = labels(&format!("{before}rule x = court."), None);
    assert!(
        fields.contains(&"relative_role_amount".to_string()),
        "{fields:?}"
    );
    let fields = labels(&format!("{before}rule x = victim.pri"), None);
    assert!(fields.contains(&"prior_recovery".to_string()), "{fields:?}");
    // Through a list of records: `l.` in `sum(l.amount for l in victim.losses)`.
    let item = labels(&format!("{before}rule x = sum(l."), None);
    // (A variable not yet bound has no type; it is not guessed.)
    assert!(
        item.is_empty() || item.contains(&"amount".to_string()),
        "{item:?}"
    );
    // After `exception to`: the provisions' citations.
    let provisions = labels(
        &format!("{before}exception to "),
        Some(CompletionKind::Provision),
    );
    assert!(
        provisions.iter().any(|p| p.contains("(b)(2)(B)")),
        "{provisions:?}"
    );
    // Elsewhere: facts, definitions, tables, enumeration members and keywords.
    let here = format!("{before}rule x = ");
    for (kind, want) in [
        (CompletionKind::Fact, "victim"),
        (CompletionKind::Definition, "recovery_remaining"),
        (CompletionKind::Table, "cpi_u"),
        (CompletionKind::EnumMember, "\"medical\""),
        (CompletionKind::Keyword, "within"),
    ] {
        let got = labels(&here, Some(kind));
        assert!(got.contains(&want.to_string()), "{want} not in {got:?}");
    }
}

#[test]
fn workspace_symbols_find_declarations_by_part_of_their_name() {
    let r = rules_2259();
    let found: Vec<String> = r
        .analysis
        .workspace_symbols("RECOVERY", 100)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(
        found.contains(&"recovery_remaining".to_string()),
        "{found:?}"
    );
    let facts: Vec<String> = r
        .analysis
        .workspace_symbols("Victim", 100)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(facts.contains(&"victim".to_string()), "{facts:?}");
    assert!(r.analysis.workspace_symbols("", 3).len() <= 3);
}

/// `lawcode check --format json`: the one model of a diagnostic, with a related label and the
/// enclosing provision's citation.
#[test]
fn check_json_of_a_fixture_with_two_labels() {
    let out = crate::support::lawcode_in(
        repo(),
        &[
            "check",
            "tests/fixtures/diagnostics/rule-written-twice.law",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = crate::support::stdout_of(&out);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    insta::assert_snapshot!(text);
    let ok = crate::support::lawcode_in(
        repo(),
        &["check", "rules/usc/18/2259.law", "--format", "json"],
    );
    assert!(ok.status.success());
    assert_eq!(crate::support::stdout_of(&ok).trim(), "[]");
}
