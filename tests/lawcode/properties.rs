//! Invariants of the § 2259 amounts over generated cases: whatever the facts,
//! evaluation does not panic, money is whole cents, and the trafficking amount
//! respects the floor and the cap.

use crate::support::program_2259;
use lawcode::EvalOptions;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

const SECTIONS: &[&str] = &[
    "2251(a)",
    "2251(b)",
    "2251(c)",
    "2251(d)",
    "2251A",
    "2252(a)(2)",
    "2252(a)(4)(B)",
    "2252A(a)(1)",
    "2252A(a)(2)(A)",
    "2252A(a)(5)(B)",
    "2252A(a)(6)",
    "2252A(g)",
    "2252B",
    "2260(a)",
    "2260(b)",
    "2260A",
    "2241(c)",
    "2422(b)",
    "1591(a)",
];

fn money() -> impl Strategy<Value = String> {
    prop_oneof![Just(0u64), 0u64..1_000_000, 0u64..100_000_000]
        .prop_map(|cents| format!("{}.{:02}", cents / 100, cents % 100))
}

fn date(years: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = String> {
    (years, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn conviction() -> impl Strategy<Value = Value> {
    (prop::sample::select(SECTIONS), prop::collection::vec(prop::sample::select(SECTIONS), 0..3), any::<bool>())
        .prop_map(|(section, predicates, involved_production)| json!({ "section": section, "predicates": predicates, "involved_production": involved_production }))
}

fn loss() -> impl Strategy<Value = Value> {
    (prop::sample::select(crate::generate::CATEGORIES), money(), any::<bool>(), prop::bool::weighted(0.8))
        .prop_map(|(category, amount, projected, proximate)| json!({ "category": category, "amount": amount, "projected": projected, "proximate": proximate }))
}

/// A valid facts object; order years stay within the CPI-U table.
fn facts() -> impl Strategy<Value = Value> {
    (
        date(1996..=2025),
        prop::option::of(date(2018..=2025)),
        prop::collection::vec(conviction(), 1..4),
        prop::collection::vec(loss(), 0..5),
        (money(), money(), prop_oneof![Just("0.00".to_string()), money()]),
        prop::option::of(money()),
        prop::sample::select(&["self", "legal_guardian", "estate_representative", "family_member", "court_appointed", "defendant"][..]),
    )
        .prop_map(|(offense_date, order_date, convictions, losses, (prior, greatest, dma), role, representative)| {
            let mut f = json!({
                "offense_date": offense_date,
                "convictions": convictions,
                "victim": { "losses": losses, "prior_recovery": prior, "greatest_losses_found": greatest, "dma_received": dma, "representative": representative },
                "court": {},
            });
            if let Some(d) = order_date {
                f["order_date"] = json!(d);
            }
            if let Some(r) = role {
                f["court"]["relative_role_amount"] = json!(r);
            }
            f
        })
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn amounts_respect_the_floor_the_cap_and_whole_cents(f in facts()) {
        let program = program_2259();
        let facts = program.read_facts("generated.json", &f.to_string()).unwrap();
        let r = program.evaluate(&facts, EvalOptions { trace: true, ..Default::default() }).unwrap();
        let o = |name: &str| r.outcome(name).unwrap().clone();

        // Money outcomes are strings with exactly two decimals, never negative.
        for name in ["full_amount_of_losses", "restitution_amount", "dma_amount"] {
            if let Some(s) = o(name).as_str() {
                let d = Decimal::from_str(s).unwrap();
                prop_assert_eq!(d.scale(), 2, "{} = {}", name, s);
                prop_assert!(d >= Decimal::ZERO, "{} = {}", name, s);
            }
        }
        let full = dec(&o("full_amount_of_losses"));
        let all_losses: Decimal = f["victim"]["losses"].as_array().unwrap().iter().map(|l| dec(&l["amount"])).sum();
        prop_assert!(full <= all_losses);

        let current = r.version.unwrap().to_string() == "2018-12-07";
        let prior = dec(&f["victim"]["prior_recovery"]);
        let greatest = dec(&f["victim"]["greatest_losses_found"]);
        if !current {
            for name in ["trafficking", "production", "liability_terminated", "dma_eligible", "dma_amount"] {
                prop_assert_eq!(o(name), Value::Null);
            }
        }
        if o("restitution_required") == json!(false) {
            prop_assert_eq!(o("restitution_amount"), json!("0.00"));
        }
        if current && o("trafficking") == json!(true) {
            let cap = full.max(greatest) - prior;
            match o("restitution_amount").as_str() {
                None => prop_assert_eq!(&r.missing, &vec!["court.relative_role_amount".to_string()].into_iter().chain(f.get("order_date").is_none().then(|| "order_date".to_string())).collect::<Vec<_>>()),
                Some(s) => {
                    let amount = Decimal::from_str(s).unwrap();
                    if o("liability_terminated") == json!(true) {
                        prop_assert_eq!(amount, Decimal::ZERO);
                    } else {
                        // The cap prevails over the floor; the floor holds whenever the cap allows it.
                        prop_assert!(amount <= cap, "amount {} above the cap {}", amount, cap);
                        if cap >= Decimal::from(3000) {
                            prop_assert!(amount >= Decimal::from(3000), "amount {} below the floor", amount);
                        }
                    }
                }
            }
        } else if current && o("restitution_required") == json!(true) {
            prop_assert_eq!(o("restitution_amount"), o("full_amount_of_losses"));
        }

        // Every trace node cites a provision of § 2259.
        for node in r.trace().unwrap().iter().flat_map(|n| n.walk()) {
            prop_assert!(node.citation.starts_with("18 U.S.C. § 2259"), "{:?}", node.citation);
        }
        let text = lawcode::render::evaluation_text(program, &r);
        prop_assert!(text.contains("restitution_amount"));
    }

    /// Facts JSON mutated at random is either accepted or rejected with a coded diagnostic; never a panic.
    #[test]
    fn mutated_facts_never_panic(f in facts(), cut in 0usize..400, byte in any::<u8>()) {
        let program = program_2259();
        let mut text = f.to_string().into_bytes();
        if !text.is_empty() {
            let at = cut % text.len();
            text[at] = byte;
        }
        let text = String::from_utf8_lossy(&text);
        match program.read_facts("mutated.json", &text) {
            Err(e) => {
                for p in &e.problems {
                    prop_assert!(p.kind::<lawcode::FactsKind>().is_some());
                    // Every rejection of a facts file points into it.
                    prop_assert!(p.source.is_some() && p.primary_span().is_some(), "no location: {}", p.message);
                }
            }
            Ok(facts) => {
                if let Err(e) = program.evaluate(&facts, EvalOptions { trace: true, ..Default::default() }) {
                    prop_assert!(e.kind::<lawcode::EvalKind>().is_some());
                }
            }
        }
    }
}

/// The § 2259 rule files in memory, with the entry file replaced by a mutated text.
struct Mutated(String);

impl lawcode::load::FileReader for Mutated {
    fn read(&self, path: &std::path::Path) -> std::io::Result<String> {
        if path.ends_with("2259.law") {
            Ok(self.0.clone())
        } else {
            std::fs::read_to_string(path)
        }
    }
}

/// One edit of the kind a typing legal engineer makes: delete, duplicate or replace a span.
fn mutate(text: &str, at: usize, len: usize, kind: u8, with: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = at % chars.len().max(1);
    let end = (at + len).min(chars.len());
    match kind % 3 {
        0 => {
            chars.drain(at..end);
        }
        1 => {
            let copy: Vec<char> = chars[at..end].to_vec();
            chars.splice(at..at, copy);
        }
        _ => {
            chars.splice(at..end, with.chars());
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// A mutated rule file is accepted or rejected with diagnostics that point into the source;
    /// an accepted one evaluates a bundled case without panicking.
    #[test]
    fn mutated_rules_never_panic_and_rejections_point_at_the_source(
        edits in prop::collection::vec((any::<usize>(), 0usize..12, any::<u8>(), prop::sample::select(&["", "(", "}", "\"", "$", "-", "not ", "x", "§", "when ", "0", ".", "[", "exception to (b)(9): "][..])), 1..4)
    ) {
        let original = std::fs::read_to_string("rules/usc/18/2259.law").unwrap();
        let mut text = original.clone();
        for (at, len, kind, with) in edits {
            text = mutate(&text, at, len, kind, with);
        }
        match lawcode::load_program_with(&Mutated(text), std::path::Path::new("rules/usc/18/2259.law")) {
            Err(e) => {
                let rendered = crate::support::render(&e);
                prop_assert!(rendered.contains("lawcode::"), "{}", rendered);
                if let lawcode::Error::Check(problems) = &e {
                    for p in problems.errors() {
                        prop_assert!(p.primary_span().is_some() && p.source.is_some(), "no location: {}", p.message);
                    }
                } else {
                    prop_assert!(rendered.contains("╭─["), "no source shown: {}", rendered);
                }
            }
            Ok((program, _)) => {
                let json = std::fs::read_to_string("examples/trafficking-floor.json").unwrap();
                if let Ok(facts) = program.read_facts("case.json", &json) {
                    let _ = program.evaluate(&facts, EvalOptions { trace: true, ..Default::default() });
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Explanations over generated cases: the memo is built in every format (its HTML
    /// well-formed, its provisions in the statute's order); "why not" names a reason whenever
    /// the value asked is not the value, and the floor whenever it raised the court's amount;
    /// a what-if that sets a fact to the value it has changes nothing.
    #[test]
    fn explanations_hold_on_generated_cases(f in facts(), asked in 0u32..10_000) {
        use lawcode::render::memo::{Entry, Memo};
        use lawcode::render::why_not::WhyNot;
        let program = program_2259();
        let text = f.to_string();
        let facts = program.read_facts("generated.json", &text).unwrap();
        let r = program.evaluate(&facts, EvalOptions { trace: true, ..Default::default() }).unwrap();

        let memo = Memo::new(program, &r, &[]).unwrap();
        let _ = memo.text();
        let html = memo.html();
        let parsed = roxmltree::Document::parse_with_options(&html, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() });
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        let citations: Vec<lawcode::citation::Citation> = memo.entries.iter().map(|e| match e {
            Entry::Section(s) => s.label.clone(),
            Entry::Brief { label, .. } => label.clone(),
        }).map(|l| lawcode::citation::Citation::parse(l.split('–').next().unwrap()).unwrap()).collect();
        for pair in citations.windows(2) {
            prop_assert_eq!(pair[0].statute_order(&pair[1]), std::cmp::Ordering::Less);
        }
        // The full memo too: same provisions, in the same order, each once.
        let full = Memo::full(program, &r, &[]).unwrap();
        let full_html = full.html();
        let parsed = roxmltree::Document::parse_with_options(&full_html, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() });
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        prop_assert!(full.entries.len() >= memo.entries.len());

        let asked = json!(format!("{asked}.00"));
        let answer = WhyNot::new(program, &r, "restitution_amount", asked.clone()).unwrap();
        let value = r.outcome("restitution_amount").unwrap().clone();
        if value != asked {
            prop_assert!(!answer.because.is_empty());
        } else {
            prop_assert!(answer.because.is_empty());
        }
        let role = f["court"].get("relative_role_amount").and_then(|v| v.as_str()).map(|s| Decimal::from_str(s).unwrap());
        if r.outcome("trafficking") == Some(&json!(true))
            && r.outcome("liability_terminated") == Some(&json!(false))
            && role.is_some_and(|role| role < Decimal::from(3000))
            && value.as_str().is_some_and(|v| Decimal::from_str(v).unwrap() >= Decimal::from(3000))
            && value != asked
        {
            prop_assert!(answer.because.iter().any(|b| b.reason.contains("the floor `minimum_restitution`") && b.reason.contains("raised")), "{:?}", answer.because);
        }

        let prior = f["victim"]["prior_recovery"].clone();
        let same = lawcode::facts::set::parse_assignment(&format!("victim.prior_recovery={prior}")).unwrap();
        let report = lawcode::what_if::what_if(program, "generated.json", &text, &[same], None).unwrap();
        prop_assert!(report.changed.is_empty(), "{:?}", report.changed);
        prop_assert!(report.provisions.is_empty());
    }
}

/// Calendar arithmetic, through the language: moving a date by days and back returns it, the
/// difference of two dates is the days added, and a month's rounding lands on the last day of
/// the month (`round_down`) or the day after it (`round_up`), never elsewhere.
const CALENDAR: &str = r#"
statute "Test Act § 1"
facts { d: date "a date"  n: integer "a number of days or months" }
outcomes {
    back: date "n days later, then n days earlier"
    difference: integer "the days from d to n days later"
    down: date "n months later, rounded down"
    up: date "n months later, rounded up"
    day_down: integer "the day of the month of down"
    day_up: integer "the day of the month of up"
}
(a) {
    rule back = add_days(add_days(d, n), 0 - n)
    rule difference = add_days(d, n) - d
    rule down = add_months(d, n, round_down)
    rule up = add_months(d, n, round_up)
    rule day_down = day(down)
    rule day_up = day(up)
}
"#;

fn calendar() -> &'static lawcode::Program {
    static P: std::sync::OnceLock<lawcode::Program> = std::sync::OnceLock::new();
    P.get_or_init(|| lawcode::compile("calendar.law", CALENDAR).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn calendar_arithmetic_is_exact_and_rounds_only_as_told(
        y in 1900i16..2100, m in 1i8..=12, day in 1i8..=31, n in -2400i64..2400
    ) {
        let Ok(d) = jiff::civil::Date::new(y, m, day) else { return Ok(()) };
        let facts = json!({ "d": d.to_string(), "n": n });
        let p = calendar();
        let facts = p.read_facts("case.json", &facts.to_string()).unwrap();
        let r = p.evaluate(&facts, EvalOptions::default()).unwrap();
        prop_assert_eq!(r.outcome("back"), Some(&json!(d.to_string())));
        prop_assert_eq!(r.outcome("difference"), Some(&json!(n)));
        let down: jiff::civil::Date = r.outcome("down").unwrap().as_str().unwrap().parse().unwrap();
        let up: jiff::civil::Date = r.outcome("up").unwrap().as_str().unwrap().parse().unwrap();
        let months = i64::from(y) * 12 + i64::from(m) - 1 + n;
        let (ty, tm) = (months.div_euclid(12), months.rem_euclid(12) + 1);
        prop_assert_eq!((i64::from(down.year()), i64::from(down.month())), (ty, tm));
        if day <= down.days_in_month() {
            prop_assert_eq!(down, up);
            prop_assert_eq!(down.day(), day);
        } else {
            prop_assert_eq!(down.day(), down.days_in_month());
            prop_assert_eq!(up, down.tomorrow().unwrap());
        }
    }
}
