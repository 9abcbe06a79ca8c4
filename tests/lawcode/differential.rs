//! A differential test: two independent implementations of one contract. The interpreter running
//! `rules/usc/18/2259.law` and the hand-written native Rust of `tests/support/native_2259.rs`
//! evaluate the same generated cases and must agree on every outcome, on `missing`, on the text
//! applied, and on which cases are errors. Each branch of the contract is counted, so the test
//! cannot pass by generating only easy cases.

use crate::generate::Generator;
use crate::native_2259 as native;
use crate::support::program_2259;
use lawcode::EvalOptions;
use lawcode::render::evaluation_json;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const CASES: usize = 12_000;
const SEED: u64 = 0x2259_2018_1207;

/// The branches of the contract that this case takes, by name.
fn branches(f: &native::Facts, out: &Result<native::Outcomes, String>) -> Vec<String> {
    let mut b = Vec::new();
    let current = f.offense_date >= native::Date::parse("2018-12-07").unwrap_or(f.offense_date);
    b.push(
        if current {
            "text: current"
        } else {
            "text: 1996"
        }
        .to_string(),
    );
    if let Some(d) = f.order_date {
        b.push(format!("order year {}", d.year));
    } else {
        b.push("order_date absent".into());
    }
    for c in &f.convictions {
        let s = c.section.to_string();
        let base = format!("{}{}", c.section.number, c.section.suffix);
        let enterprise = s.starts_with("2252A(g)");
        if enterprise {
            let all_trafficking = !c.predicates.is_empty() && native::conviction_is_trafficking(c);
            let production = native::conviction_is_production(c);
            b.push(
                match (c.predicates.is_empty(), all_trafficking, production) {
                    (true, _, _) => "2252A(g): no predicates",
                    (false, true, _) => "2252A(g): all predicates trafficking",
                    (false, false, true) => "2252A(g): a production predicate",
                    (false, false, false) => "2252A(g): predicates neither",
                }
                .to_string(),
            );
        } else if native::conviction_is_trafficking(c) {
            b.push("conviction: trafficking provision".into());
        } else if ["2251", "2251A", "2260"].contains(&base.as_str())
            && native::conviction_is_production(c)
        {
            b.push("conviction: production provision".into());
        } else if (2241..=2248).contains(&c.section.number) {
            b.push(format!(
                "conviction: chapter 109A, involved_production {}",
                c.involved_production
            ));
        } else if (2421..=2429).contains(&c.section.number) {
            b.push(format!(
                "conviction: chapter 117, involved_production {}",
                c.involved_production
            ));
        } else if (2251..=2260).contains(&c.section.number) {
            b.push("conviction: other chapter 110".into());
        } else {
            b.push("conviction: outside chapter 110".into());
        }
    }
    if f.victim.dma_received > Decimal::ZERO {
        b.push("dma_received > 0".into());
    }
    let o = match out {
        Err(_) => {
            b.push("evaluation error".into());
            return b;
        }
        Ok(o) => o,
    };
    b.push(format!("restitution_required {:?}", o.restitution_required));
    if !current {
        let given = f.court.relative_role_amount.is_some();
        b.push(format!("1996: relative_role_amount given {given}"));
        return b;
    }
    b.push(format!("trafficking {:?}", o.trafficking));
    b.push(format!("production {:?}", o.production));
    b.push(format!("liability_terminated {:?}", o.liability_terminated));
    for m in &o.missing {
        b.push(format!("missing {m}"));
    }
    b.push(format!("dma_eligible {:?}", o.dma_eligible));
    if o.restitution_required == Some(true)
        && o.trafficking == Some(true)
        && o.liability_terminated == Some(false)
    {
        if let (Some(role), Some(amount)) = (f.court.relative_role_amount, o.restitution_amount) {
            let floor = Decimal::new(300_000, 2);
            b.push(
                if amount < role.max(floor) {
                    "amount: the cap prevails"
                } else if role < floor {
                    "amount: the floor"
                } else {
                    "amount: the relative role"
                }
                .into(),
            );
        }
    }
    if let (Some(dma), Some(false)) = (o.dma_amount, o.dma_eligible) {
        if o.trafficking == Some(true) && f.victim.dma_received.is_zero() {
            b.push(format!(
                "prior_recovery > dma_amount: {}",
                f.victim.prior_recovery > dma
            ));
        }
    }
    if let (Some(dma), Some(true)) = (o.dma_amount, o.dma_eligible) {
        b.push(format!(
            "eligible with prior_recovery <= dma_amount: {}",
            f.victim.prior_recovery <= dma
        ));
    }
    b
}

/// Every branch that must be hit at least this many times.
const REQUIRED: &[&str] = &[
    "text: current",
    "text: 1996",
    "order_date absent",
    "order year 2018",
    "order year 2019",
    "order year 2020",
    "order year 2021",
    "order year 2022",
    "order year 2023",
    "order year 2024",
    "order year 2025",
    "2252A(g): no predicates",
    "2252A(g): all predicates trafficking",
    "2252A(g): a production predicate",
    "2252A(g): predicates neither",
    "conviction: trafficking provision",
    "conviction: production provision",
    "conviction: chapter 109A, involved_production true",
    "conviction: chapter 109A, involved_production false",
    "conviction: chapter 117, involved_production true",
    "conviction: chapter 117, involved_production false",
    "conviction: other chapter 110",
    "conviction: outside chapter 110",
    "dma_received > 0",
    "evaluation error",
    "restitution_required Some(true)",
    "restitution_required Some(false)",
    "1996: relative_role_amount given true",
    "1996: relative_role_amount given false",
    "trafficking Some(true)",
    "trafficking Some(false)",
    "production Some(true)",
    "production Some(false)",
    "liability_terminated Some(true)",
    "liability_terminated Some(false)",
    "missing court.relative_role_amount",
    "missing order_date",
    "dma_eligible Some(true)",
    "dma_eligible Some(false)",
    "dma_eligible None",
    "amount: the cap prevails",
    "amount: the floor",
    "amount: the relative role",
    "prior_recovery > dma_amount: true",
    "eligible with prior_recovery <= dma_amount: true",
];

#[test]
fn interpreter_and_native_code_agree_on_generated_cases() {
    let program = program_2259();
    let mut generator = Generator::new(SEED).with_errors();
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for i in 0..CASES {
        let json = generator.line();
        let native_facts = native::parse_facts(&json)
            .unwrap_or_else(|e| panic!("case {i}: the native reader rejects {json}: {e}"));
        let facts = program
            .read_facts("generated.json", &json)
            .unwrap_or_else(|e| panic!("case {i}: the interpreter rejects {json}: {e:?}"));
        let expected = native::evaluate(&native_facts);
        for b in branches(&native_facts, &expected) {
            *hits.entry(b).or_default() += 1;
        }
        // Every tenth case with the trace on: tracing must not change a result.
        let trace = i % 10 == 0;
        let got = program.evaluate(
            &facts,
            EvalOptions {
                trace,
                ..Default::default()
            },
        );
        match (&expected, got) {
            (Ok(want), Ok(got)) => {
                let mut got = evaluation_json(&got);
                if let Some(map) = got.as_object_mut() {
                    map.remove("trace");
                    map.remove("provisions");
                }
                let want = native::outcomes_to_json(want);
                if got != want {
                    failures.push(format!(
                        "case {i}: {json}\n  native: {want}\n  lawcode: {got}"
                    ));
                }
            }
            (Err(_), Err(e)) => {
                if e.code != "lawcode::eval::missing_table_row" {
                    failures.push(format!("case {i}: {json}\n  unexpected error {}", e.code));
                }
            }
            (Ok(want), Err(e)) => failures.push(format!(
                "case {i}: {json}\n  native: {}\n  lawcode: error {}: {}",
                native::outcomes_to_json(want),
                e.code,
                e.message
            )),
            (Err(want), Ok(got)) => failures.push(format!(
                "case {i}: {json}\n  native: error {want}\n  lawcode: {}",
                evaluation_json(&got)
            )),
        }
        if failures.len() >= 10 {
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "the two implementations disagree:\n{}",
        failures.join("\n")
    );
    let unhit: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|b| hits.get(*b).copied().unwrap_or(0) < 5)
        .collect();
    assert!(
        unhit.is_empty(),
        "branches hit fewer than 5 times in {CASES} cases: {unhit:?}\nhits: {hits:#?}"
    );
}

/// The generator is deterministic: the same seed gives the same cases.
#[test]
fn the_generator_is_deterministic() {
    let a: Vec<String> = {
        let mut g = Generator::new(7);
        (0..50).map(|_| g.line()).collect()
    };
    let b: Vec<String> = {
        let mut g = Generator::new(7);
        (0..50).map(|_| g.line()).collect()
    };
    assert_eq!(a, b);
}
