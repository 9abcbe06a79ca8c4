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
    const CATEGORIES: &[&str] = &[
        "medical",
        "therapy",
        "transportation_housing_childcare",
        "lost_income",
        "attorneys_fees",
        "other",
    ];
    (prop::sample::select(CATEGORIES), money(), any::<bool>(), prop::bool::weighted(0.8))
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
        for node in r.trace.as_ref().unwrap().iter().flat_map(|n| n.walk()) {
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
            Err(e) => prop_assert!(e.problems.iter().all(|p| p.code.starts_with("lawcode::facts::"))),
            Ok(facts) => {
                if let Err(e) = program.evaluate(&facts, EvalOptions { trace: true, ..Default::default() }) {
                    prop_assert!(e.code.starts_with("lawcode::eval::"));
                }
            }
        }
    }
}
