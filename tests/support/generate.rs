//! A deterministic generator of § 2259 facts (one JSON object per case), shared by the
//! differential test and the benchmarks. A test and benchmark helper, not the product.
//!
//! It is written to reach every branch of the contract (`shared/contracts/18-usc-2259.md`) often:
//! both texts (and the boundary day), every conviction path (direct trafficking and production
//! provisions, 2252A(g) with all-trafficking, mixed, non-trafficking and empty or omitted
//! predicates, chapters 109A and 117 with and without `involved_production`, offenses outside
//! chapter 110), liability terminated or not, the $3,000 floor and the aggregate cap, an absent
//! `court.relative_role_amount` or `order_date`, defined monetary assistance already received,
//! prior recovery above and below the assistance amount, and order years 2018 through 2025.
//! Money is written as a JSON string or, now and then, a JSON number. A small share of cases
//! has an order year whose CPI-U row is not published yet (an evaluation error in the current
//! text) when [`Generator::with_errors`] asks for it.
//!
//! Include it with `#[path = "../support/generate.rs"] mod generate;` (or the path from the
//! including file). It uses only `serde_json`.

#![allow(
    dead_code,
    reason = "included by several test and bench targets, each of which uses only part of it"
)]

use serde_json::{Value, json};

/// SplitMix64: a tiny, fast, well-mixed PRNG; the same seed gives the same cases on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (callers pass non-empty slices of constants).
    pub fn pick(&mut self, items: &[&'static str]) -> &'static str {
        let i = self.below(items.len() as u64) as usize;
        items.get(i).copied().unwrap_or_default()
    }
}

/// Trafficking provisions of (c)(3), as a court might cite them.
pub const TRAFFICKING: &[&str] = &[
    "2251(d)",
    "2251(d)(1)(A)",
    "2252",
    "2252(a)(2)",
    "2252(a)(4)(B)",
    "2252A(a)(1)",
    "2252A(a)(2)(A)",
    "2252A(a)(3)(B)",
    "2252A(a)(4)",
    "2252A(a)(5)(B)",
    "2260(b)",
];

/// Production provisions of (c)(1).
pub const PRODUCTION: &[&str] = &[
    "2251(a)", "2251(b)", "2251(c)", "2251A", "2251A(b)", "2260(a)",
];

/// Chapter 110 offenses that are neither trafficking nor production.
pub const OTHER_CHAPTER_110: &[&str] = &[
    "2252A(a)(6)",
    "2252A(a)(7)",
    "2252B",
    "2252C",
    "2260A",
    "2257",
];

/// Chapter 109A (2241-2248) and chapter 117 (2421-2429).
pub const CHAPTER_109A: &[&str] = &["2241(c)", "2242", "2243(a)", "2244(a)(5)", "2248"];
pub const CHAPTER_117: &[&str] = &["2421", "2422(b)", "2423(a)", "2425", "2429"];

/// Outside chapters 109A, 110 and 117.
pub const OUTSIDE: &[&str] = &["1591(a)", "2250", "2261", "2430", "1466A"];

/// The contract's loss categories, (c)(2)(A)-(F) in order.
pub const CATEGORIES: &[&str] = &[
    "medical",
    "therapy",
    "transportation_housing_childcare",
    "lost_income",
    "attorneys_fees",
    "other",
];

const REPRESENTATIVES: &[&str] = &[
    "self",
    "legal_guardian",
    "estate_representative",
    "family_member",
    "court_appointed",
    "defendant",
];

/// Cases from a seed, one after the other.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
    errors: bool,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: Rng::new(seed),
            errors: false,
        }
    }

    /// Also generate (about 1 in 200) order years past the CPI-U table.
    pub fn with_errors(mut self) -> Self {
        self.errors = true;
        self
    }

    /// The next case as a JSON value.
    pub fn case(&mut self) -> Value {
        let r = &mut self.rng;
        let offense_date = match r.below(10) {
            0 => "2018-12-06".to_string(),
            1 => "2018-12-07".to_string(),
            2..=4 => date(r, 1996, 2018),
            _ => date(r, 2019, 2025),
        };
        let n = r.range(1, 3);
        let convictions: Vec<Value> = (0..n).map(|_| conviction(r)).collect();

        let mut total_cents = 0u64;
        let losses: Vec<Value> = (0..r.below(5))
            .map(|_| {
                let cents = amount_cents(r);
                let proximate = !r.chance(15);
                if proximate {
                    total_cents += cents;
                }
                let mut l = json!({ "category": r.pick(CATEGORIES), "amount": money(r, cents) });
                if r.chance(40) {
                    l["projected"] = json!(r.chance(50));
                }
                if !proximate || r.chance(30) {
                    l["proximate"] = json!(proximate);
                }
                l
            })
            .collect();

        let mut victim = json!({ "losses": losses });
        if r.chance(70) {
            victim["representative"] = json!(r.pick(REPRESENTATIVES));
        }
        // Prior recovery: none, some, exactly the losses (terminated), or more than 35,000.00.
        let prior = match r.below(6) {
            0 | 1 => 0,
            2 => total_cents,
            3 => r.range(3_600_000, 6_000_000),
            _ => r.range(1, total_cents.max(1) + 500_000),
        };
        if prior > 0 || r.chance(30) {
            victim["prior_recovery"] = json!(money(r, prior));
        }
        if r.chance(35) {
            let greatest = total_cents + r.range(0, 10_000_000);
            victim["greatest_losses_found"] = json!(money(r, greatest));
        }
        if r.chance(20) {
            let dma = if r.chance(50) {
                3_500_000
            } else {
                amount_cents(r)
            };
            victim["dma_received"] = json!(money(r, dma));
        }
        if r.chance(20) {
            let other = amount_cents(r);
            victim["other_compensation"] = json!(money(r, other));
        }

        let mut facts = json!({ "offense_date": offense_date, "convictions": convictions });
        if r.chance(90) {
            facts["victim"] = victim;
        }
        if r.chance(85) {
            let year = if self.errors && r.chance(1) {
                r.range(2026, 2030)
            } else {
                r.range(2018, 2025)
            };
            facts["order_date"] = json!(date(r, year, year));
        }
        if r.chance(20) {
            facts["defendant"] = json!({ "economic_circumstances_claimed": r.chance(50) });
        }
        match r.below(10) {
            0 => {} // no court facts at all
            1 => facts["court"] = json!({}),
            2..=4 => {
                // Below the floor.
                let cents = r.range(0, 299_999);
                facts["court"] = json!({ "relative_role_amount": money(r, cents) });
            }
            _ => {
                let cents = r.range(300_000, 5_000_000);
                facts["court"] = json!({ "relative_role_amount": money(r, cents) });
            }
        }
        facts
    }

    /// The next case as one line of JSON.
    pub fn line(&mut self) -> String {
        self.case().to_string()
    }
}

fn conviction(r: &mut Rng) -> Value {
    match r.below(12) {
        0..=2 => json!({ "section": r.pick(TRAFFICKING) }),
        3 | 4 => json!({ "section": r.pick(PRODUCTION) }),
        5 => json!({ "section": r.pick(OTHER_CHAPTER_110) }),
        6..=8 => {
            // 2252A(g): predicates all trafficking, mixed, none trafficking, empty or omitted.
            let predicates: Vec<&str> = match r.below(5) {
                0 | 1 => (0..r.range(1, 3)).map(|_| r.pick(TRAFFICKING)).collect(),
                2 => vec![r.pick(TRAFFICKING), r.pick(PRODUCTION)],
                3 => vec![r.pick(OTHER_CHAPTER_110)],
                _ => Vec::new(),
            };
            if predicates.is_empty() && r.chance(50) {
                json!({ "section": "2252A(g)" })
            } else {
                json!({ "section": "2252A(g)", "predicates": predicates })
            }
        }
        9 | 10 => {
            let section = if r.chance(50) {
                r.pick(CHAPTER_109A)
            } else {
                r.pick(CHAPTER_117)
            };
            if r.chance(20) {
                json!({ "section": section })
            } else {
                json!({ "section": section, "involved_production": r.chance(50) })
            }
        }
        _ => json!({ "section": r.pick(OUTSIDE) }),
    }
}

/// An amount in cents, mostly modest, sometimes zero, sometimes large.
fn amount_cents(r: &mut Rng) -> u64 {
    match r.below(10) {
        0 => 0,
        1 => r.range(1, 99),
        2..=7 => r.range(100, 2_500_000),
        _ => r.range(2_500_000, 50_000_000),
    }
}

/// Money as the contract allows it: mostly `"1234.56"`, sometimes a JSON number.
fn money(r: &mut Rng, cents: u64) -> Value {
    match r.below(10) {
        0 if cents % 100 == 0 => json!(cents / 100),
        1 => {
            // A JSON number with one or two decimals, read exactly (never through a float).
            let text = if cents % 10 == 0 {
                format!("{}.{}", cents / 100, (cents % 100) / 10)
            } else {
                format!("{}.{:02}", cents / 100, cents % 100)
            };
            serde_json::from_str(&text).unwrap_or_else(|_| json!(text))
        }
        _ => json!(format!("{}.{:02}", cents / 100, cents % 100)),
    }
}

fn date(r: &mut Rng, from_year: u64, to_year: u64) -> String {
    let year = r.range(from_year, to_year);
    let month = r.range(1, 12);
    let day = r.range(1, 28);
    let (year, month, day) = if year == 1996 && month < 5 {
        (1996, 5, day) // the 1996 text took effect on 1996-04-24
    } else {
        (year, month, day)
    };
    format!("{year:04}-{month:02}-{day:02}")
}
