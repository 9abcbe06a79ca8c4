//! A hand-written, plain-Rust implementation of the § 2259 contract
//! (`shared/contracts/18-usc-2259.md`): facts JSON in, the nine outcomes and the `missing` list out.
//!
//! This is a test and benchmark helper, not the product. It is written independently of the
//! `lawcode` interpreter and its rule files, so that it can serve as (1) the oracle of a
//! differential test (same facts, same outcomes JSON, trace aside) and (2) the baseline of a
//! benchmark (how fast the same decisions run as ordinary compiled Rust).
//!
//! It is self-contained: include it with `#[path = "support/native_2259.rs"] mod native_2259;`.
//! It uses only `rust_decimal`, `serde` (derive) and `serde_json`.
//!
//! Pipeline: [`parse_facts`] (serde, with exact money, date and citation readers) ->
//! [`evaluate`] (the contract's table, both texts) -> [`outcomes_to_json`] (the CLI's JSON shape,
//! without the trace). Input validation is deliberately simpler than the product's: it rejects
//! what is malformed (never panics) but its diagnostics are serde's, not the product's.

#![allow(
    dead_code,
    reason = "included by several test and bench targets, each of which uses only part of it"
)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/// One JSON object of facts, as the contract's "Facts" table defines it.
///
/// Optional facts that are absent (or given as JSON `null`) take the contract's defaults; the two
/// optional facts without a default (`order_date`, `court.relative_role_amount`) are `Option`s.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Date of the offense; selects the text in force.
    #[serde(deserialize_with = "de_date")]
    pub offense_date: Date,
    /// Date of the court's order; needed only for the (d)(1)(D) amount.
    #[serde(default, deserialize_with = "de_opt_date")]
    pub order_date: Option<Date>,
    /// Offenses of conviction; at least one.
    #[serde(deserialize_with = "de_convictions")]
    pub convictions: Vec<Conviction>,
    #[serde(default, deserialize_with = "de_or_default")]
    pub victim: Victim,
    #[serde(default, deserialize_with = "de_or_default")]
    pub defendant: Defendant,
    #[serde(default, deserialize_with = "de_or_default")]
    pub court: Court,
}

/// `convictions[]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conviction {
    /// Title 18 provision as cited, e.g. `2252A(a)(5)(B)`.
    #[serde(deserialize_with = "de_citation")]
    pub section: Citation,
    /// For `2252A(g)`: the provisions violated in the series of felony violations.
    #[serde(default, deserialize_with = "de_citations")]
    pub predicates: Vec<Citation>,
    /// For a chapter 109A or 117 offense: it involved the production of child pornography.
    #[serde(default, deserialize_with = "de_or_default")]
    pub involved_production: bool,
}

/// `victim`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Victim {
    #[serde(default, deserialize_with = "de_or_default")]
    pub losses: Vec<Loss>,
    #[serde(default, deserialize_with = "de_or_default")]
    pub representative: Representative,
    #[serde(default = "zero_money", deserialize_with = "de_money_or_zero")]
    pub prior_recovery: Decimal,
    #[serde(default = "zero_money", deserialize_with = "de_money_or_zero")]
    pub greatest_losses_found: Decimal,
    #[serde(default = "zero_money", deserialize_with = "de_money_or_zero")]
    pub dma_received: Decimal,
    /// (b)(4)(B)(ii): never a reason to decline or reduce; read and ignored.
    #[serde(default = "zero_money", deserialize_with = "de_money_or_zero")]
    pub other_compensation: Decimal,
}

impl Default for Victim {
    fn default() -> Self {
        Victim {
            losses: Vec::new(),
            representative: Representative::default(),
            prior_recovery: zero_money(),
            greatest_losses_found: zero_money(),
            dma_received: zero_money(),
            other_compensation: zero_money(),
        }
    }
}

/// `victim.losses[]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loss {
    pub category: LossCategory,
    #[serde(deserialize_with = "de_money")]
    pub amount: Decimal,
    /// Reasonably projected to be incurred in the future (counted by both texts, see `evaluate`).
    #[serde(default, deserialize_with = "de_or_default")]
    pub projected: bool,
    /// A proximate result of the offenses involving the victim.
    #[serde(default = "yes", deserialize_with = "de_bool_or_true")]
    pub proximate: bool,
}

/// (c)(2)(A)-(F) / 1996 (b)(3)(A)-(F), in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossCategory {
    Medical,
    Therapy,
    TransportationHousingChildcare,
    LostIncome,
    AttorneysFees,
    Other,
}

/// Who asserts the victim's rights, (c)(4) / 1996 (c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(
    clippy::enum_variant_names,
    reason = "variants mirror the contract's values, e.g. `estate_representative`"
)]
pub enum Representative {
    #[default]
    #[serde(rename = "self")]
    Victim,
    LegalGuardian,
    EstateRepresentative,
    FamilyMember,
    CourtAppointed,
    Defendant,
}

/// `defendant`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defendant {
    /// (b)(4)(B)(i): never a reason to decline or reduce; read and ignored.
    #[serde(default, deserialize_with = "de_or_default")]
    pub economic_circumstances_claimed: bool,
}

/// `court`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Court {
    /// The Paroline relative-role amount, before the (b)(2)(B) floor and the (b)(2)(C) cap.
    #[serde(default, deserialize_with = "de_opt_money")]
    pub relative_role_amount: Option<Decimal>,
}

/// A calendar date, `YYYY-MM-DD`, checked to exist. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Reads `YYYY-MM-DD` (four-digit year 0001-9999), rejecting impossible dates.
    pub fn parse(text: &str) -> Result<Date, String> {
        let bad = || format!("`{text}` is not a date of the form YYYY-MM-DD");
        let b = text.as_bytes();
        if b.len() != 10
            || b.get(4) != Some(&b'-')
            || b.get(7) != Some(&b'-')
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, String> {
            text.get(r)
                .and_then(|s| s.parse::<u32>().ok())
                .ok_or_else(bad)
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if year == 0 || day == 0 || day > days_in_month {
            return Err(format!("`{text}` is not a date that exists"));
        }
        let year = i32::try_from(year).map_err(|_| bad())?;
        Ok(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A title 18 provision as cited: section number, optional capital-letter suffix, then
/// parenthesised subdivisions, e.g. `2252A(a)(5)(B)` = (2252, "A", ["a", "5", "B"]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub number: u32,
    pub suffix: String,
    pub subdivisions: Vec<String>,
}

impl Citation {
    /// Reads a citation: `[1-9][0-9]*` `[A-Z]?` then `([A-Za-z0-9]+)` any number of times.
    pub fn parse(text: &str) -> Result<Citation, String> {
        let bad = || {
            format!("`{text}` is not a provision citation like `2252(a)(2)` or `2252A(a)(5)(B)`")
        };
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let digits = text.get(..digits_end).ok_or_else(bad)?;
        if digits.is_empty() || digits.starts_with('0') || digits.len() > 6 {
            return Err(bad());
        }
        let number: u32 = digits.parse().map_err(|_| bad())?;
        let mut rest = text.get(digits_end..).ok_or_else(bad)?;
        let mut suffix = String::new();
        if let Some(c) = rest.chars().next().filter(char::is_ascii_uppercase) {
            suffix.push(c);
            rest = rest.get(1..).ok_or_else(bad)?;
        }
        let mut subdivisions = Vec::new();
        while !rest.is_empty() {
            let inner = rest.strip_prefix('(').ok_or_else(bad)?;
            let close = inner.find(')').ok_or_else(bad)?;
            let part = inner.get(..close).ok_or_else(bad)?;
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(bad());
            }
            subdivisions.push(part.to_owned());
            rest = inner.get(close + 1..).ok_or_else(bad)?;
        }
        Ok(Citation {
            number,
            suffix,
            subdivisions,
        })
    }

    /// Citation containment: same section (number and suffix) and `pattern`'s subdivisions are a
    /// prefix of ours. `2252A(a)(5)(B)` is within `2252A(a)(5)` and `2252A`; `2252A` is not
    /// within `2252`, nor `2252A(a)` within `2252A(a)(5)`.
    pub fn is_within(&self, pattern: &Provision) -> bool {
        self.number == pattern.number
            && self.suffix == pattern.suffix
            && self.subdivisions.len() >= pattern.subdivisions.len()
            && self
                .subdivisions
                .iter()
                .zip(pattern.subdivisions)
                .all(|(ours, theirs)| ours == theirs)
    }

    /// Whether the base section lies in `first..=last`, ordered by (number, letter suffix), so
    /// that 2251 < 2251A < 2252 < 2252A < 2252B < ... < 2260 < 2260A.
    pub fn section_in_range(&self, first: (u32, &str), last: (u32, &str)) -> bool {
        let key = (self.number, self.suffix.as_str());
        key.cmp(&first) != Ordering::Less && key.cmp(&last) != Ordering::Greater
    }
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.number, self.suffix)?;
        for s in &self.subdivisions {
            write!(f, "({s})")?;
        }
        Ok(())
    }
}

/// A provision named by the statute, to test citations against (static, no allocation).
#[derive(Debug, Clone, Copy)]
pub struct Provision {
    pub number: u32,
    pub suffix: &'static str,
    pub subdivisions: &'static [&'static str],
}

const fn p(number: u32, suffix: &'static str, subdivisions: &'static [&'static str]) -> Provision {
    Provision {
        number,
        suffix,
        subdivisions,
    }
}

/// (c)(3): 2251(d), 2252, 2252A(a)(1) through (5), 2260(b).
const TRAFFICKING_PROVISIONS: [Provision; 8] = [
    p(2251, "", &["d"]),
    p(2252, "", &[]),
    p(2252, "A", &["a", "1"]),
    p(2252, "A", &["a", "2"]),
    p(2252, "A", &["a", "3"]),
    p(2252, "A", &["a", "4"]),
    p(2252, "A", &["a", "5"]),
    p(2260, "", &["b"]),
];

/// (c)(1): subsections (a) through (c) of 2251, 2251A, 2260(a).
const PRODUCTION_PROVISIONS: [Provision; 5] = [
    p(2251, "", &["a"]),
    p(2251, "", &["b"]),
    p(2251, "", &["c"]),
    p(2251, "A", &[]),
    p(2260, "", &["a"]),
];

/// 2252A(g), the child exploitation enterprise offense whose predicates decide (c)(1) and (c)(3).
const ENTERPRISE: Provision = p(2252, "A", &["g"]);

fn is_trafficking_provision(c: &Citation) -> bool {
    TRAFFICKING_PROVISIONS.iter().any(|t| c.is_within(t))
}

fn is_production_provision(c: &Citation) -> bool {
    PRODUCTION_PROVISIONS.iter().any(|t| c.is_within(t))
}

/// (a): an offense "under this chapter", chapter 110 = sections 2251 through 2260A.
fn is_chapter_110(c: &Citation) -> bool {
    c.section_in_range((2251, ""), (2260, "A"))
}

/// Chapter 109A (2241-2248) or chapter 117 (2421-2429).
fn is_chapter_109a_or_117(c: &Citation) -> bool {
    c.section_in_range((2241, ""), (2248, "")) || c.section_in_range((2421, ""), (2429, ""))
}

/// (c)(3) for one conviction, including the 2252A(g) rule (non-empty, all predicates trafficking).
pub fn conviction_is_trafficking(c: &Conviction) -> bool {
    is_trafficking_provision(&c.section)
        || (c.section.is_within(&ENTERPRISE)
            && !c.predicates.is_empty()
            && c.predicates.iter().all(is_trafficking_provision))
}

/// (c)(1) for one conviction, including the 2252A(g) rule (at least one production predicate).
pub fn conviction_is_production(c: &Conviction) -> bool {
    is_production_provision(&c.section)
        || (c.section.is_within(&ENTERPRISE) && c.predicates.iter().any(is_production_provision))
        || (is_chapter_109a_or_117(&c.section) && c.involved_production)
}

// ---------------------------------------------------------------------------------------------
// Reading facts: money, dates, citations, nulls
// ---------------------------------------------------------------------------------------------

/// Reads the facts JSON. Malformed input is an `Err` (serde's message, with line and column).
pub fn parse_facts(json: &str) -> Result<Facts, String> {
    serde_json::from_str::<Facts>(json).map_err(|e| e.to_string())
}

fn zero_money() -> Decimal {
    Decimal::new(0, 2)
}

fn yes() -> bool {
    true
}

/// The largest number of significant digits a JSON number read through `f64` keeps exactly.
const F64_EXACT_DIGITS: usize = 15;

/// Reads money from a JSON string or number, exactly: non-negative, at most 2 decimals, and
/// representable with scale 2 (at most 792281625142643375935439503.35). The result has scale 2.
pub fn money_from_value(v: &Value) -> Result<Decimal, String> {
    let amount = match v {
        Value::String(s) => money_from_str(s)?,
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Decimal::from(u)
            } else if n.as_i64().is_some() || n.as_f64().is_some_and(|f| f < 0.0) {
                return Err(format!("money `{n}` is negative"));
            } else {
                // Without serde_json's arbitrary_precision a non-integer number arrives as an
                // f64; its shortest round-trip form is the JSON text exactly whenever that text
                // had at most 15 significant digits.
                let text = n.to_string();
                let d = if text.contains(['e', 'E']) {
                    Decimal::from_scientific(&text)
                } else {
                    Decimal::from_str_exact(&text)
                }
                .map_err(|_| format!("money `{n}` is beyond the supported range"))?;
                let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
                let significant = mantissa
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>();
                let significant = significant.trim_start_matches('0').trim_end_matches('0');
                if significant.len() > F64_EXACT_DIGITS {
                    return Err(format!(
                        "money `{n}` has too many digits to be read exactly as a JSON number; write it as a string"
                    ));
                }
                let d = d.normalize();
                if d.scale() > 2 {
                    return Err(format!("money `{n}` has more than 2 decimals"));
                }
                d
            }
        }
        other => return Err(format!("money must be a string or a number, not `{other}`")),
    };
    let mut scaled = amount;
    scaled.rescale(2);
    scaled.set_sign_positive(true); // only a zero can still carry a sign (`-0`, `-0.0`)
    if scaled.scale() != 2 || scaled != amount {
        return Err(format!("money `{amount}` is beyond the supported range"));
    }
    Ok(scaled)
}

/// Money as text: digits, optionally `.` and one or two digits.
fn money_from_str(s: &str) -> Result<Decimal, String> {
    if s.starts_with('-') {
        return Err(format!("money `{s}` is negative"));
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !frac.is_none_or(all_digits) {
        return Err(format!("`{s}` is not an amount of money like `3000.00`"));
    }
    if frac.is_some_and(|f| f.len() > 2) {
        return Err(format!("money `{s}` has more than 2 decimals"));
    }
    Decimal::from_str_exact(s).map_err(|_| format!("money `{s}` is beyond the supported range"))
}

fn de_money<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = Value::deserialize(d)?;
    money_from_value(&v).map_err(D::Error::custom)
}

fn de_money_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(zero_money()),
        v => money_from_value(&v).map_err(D::Error::custom),
    }
}

fn de_opt_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => money_from_value(&v).map(Some).map_err(D::Error::custom),
    }
}

fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let s = String::deserialize(d)?;
    Date::parse(&s).map_err(D::Error::custom)
}

fn de_opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => Date::parse(&s).map(Some).map_err(D::Error::custom),
    }
}

fn de_citation<'de, D: Deserializer<'de>>(d: D) -> Result<Citation, D::Error> {
    let s = String::deserialize(d)?;
    Citation::parse(&s).map_err(D::Error::custom)
}

fn de_citations<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Citation>, D::Error> {
    Option::<Vec<String>>::deserialize(d)?
        .unwrap_or_default()
        .iter()
        .map(|s| Citation::parse(s).map_err(D::Error::custom))
        .collect()
}

fn de_convictions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Conviction>, D::Error> {
    let list = Vec::<Conviction>::deserialize(d)?;
    if list.is_empty() {
        return Err(D::Error::custom(
            "`convictions` must list at least one offense of conviction",
        ));
    }
    Ok(list)
}

/// An optional fact given as JSON `null` is read as absent, i.e. as its default.
fn de_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn de_bool_or_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// The nine outcomes of the contract, plus the text applied and the facts found missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcomes {
    /// Effective date of the text applied: `"1996-04-24"` or `"2018-12-07"`.
    pub version: &'static str,
    pub restitution_required: Option<bool>,
    pub trafficking: Option<bool>,
    pub production: Option<bool>,
    pub full_amount_of_losses: Option<Decimal>,
    pub liability_terminated: Option<bool>,
    pub restitution_amount: Option<Decimal>,
    pub representative_permitted: Option<bool>,
    pub dma_eligible: Option<bool>,
    pub dma_amount: Option<Decimal>,
    /// Fact paths (e.g. `court.relative_role_amount`, `order_date`), sorted and deduplicated.
    pub missing: Vec<String>,
}

pub const VERSION_1996: &str = "1996-04-24";
pub const VERSION_2018: &str = "2018-12-07";

/// Pub. L. 115-299 governs offenses on or after this date (§ 2259B(d)).
const CURRENT_TEXT_FROM: Date = Date {
    year: 2018,
    month: 12,
    day: 7,
};

/// CPI-U, U.S. city average, annual average, copied from `shared/data/cpi-u-annual-average.csv`.
const CPI_U: [(i32, &str); 10] = [
    (2015, "237.017"),
    (2016, "240.007"),
    (2017, "245.120"),
    (2018, "251.107"),
    (2019, "255.657"),
    (2020, "258.811"),
    (2021, "270.970"),
    (2022, "292.655"),
    (2023, "304.702"),
    (2024, "313.689"),
];

fn cpi_u(year: i32) -> Result<Decimal, String> {
    let (_, text) = CPI_U
        .iter()
        .find(|(y, _)| *y == year)
        .ok_or_else(|| format!("the CPI-U annual average for {year} is not in the table"))?;
    Decimal::from_str(text).map_err(|e| format!("CPI-U for {year}: {e}"))
}

fn overflow(what: &str) -> String {
    format!("arithmetic overflow computing {what}")
}

/// (d)(1)(D): the defined monetary assistance for an order in calendar year `year`.
///
/// Y <= 2019: 35000.00. Y >= 2020: 35000 × max(1, CPI-U[Y-1] / CPI-U[2017]), rounded once, to
/// cents, half away from zero. `Err` names the year when CPI-U[Y-1] is not in the table.
pub fn dma_amount_for_year(year: i32) -> Result<Decimal, String> {
    let base = Decimal::new(3_500_000, 2);
    if year <= 2019 {
        return Ok(base);
    }
    let preceding = year
        .checked_sub(1)
        .ok_or_else(|| overflow("the defined monetary assistance"))?;
    let cpi_preceding = cpi_u(preceding)?;
    let cpi_2017 = cpi_u(2017)?;
    // "not less than one", decided exactly by comparing the indexes rather than their quotient.
    if cpi_preceding <= cpi_2017 {
        return Ok(base);
    }
    // Multiply first, so the only inexact step is the one division (28 significant digits). The
    // exact quotient has denominator dividing CPI-U[2017] × 1000, so it is either exactly on a
    // half-cent (then the division is exact too) or far more than 1e-20 away from one: rounding
    // the 28-digit quotient to cents gives the exact result's rounding.
    let amount = base
        .checked_mul(cpi_preceding)
        .and_then(|x| x.checked_div(cpi_2017))
        .ok_or_else(|| overflow("the defined monetary assistance"))?;
    let mut cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    cents.rescale(2);
    Ok(cents)
}

/// Applies the contract's table to the facts, choosing the text by `offense_date`.
///
/// `Err` only for arithmetic overflow or a CPI-U year missing from the table (current text, with
/// an `order_date` in a year >= 2020 whose preceding year has no CPI-U).
pub fn evaluate(f: &Facts) -> Result<Outcomes, String> {
    let restitution_required = f.convictions.iter().any(|c| is_chapter_110(&c.section));
    let representative_permitted = f.victim.representative != Representative::Defendant;

    // Losses that are a proximate result, incurred and projected alike.
    let mut proximate_losses = zero_money();
    for loss in f.victim.losses.iter().filter(|l| l.proximate) {
        proximate_losses = proximate_losses
            .checked_add(loss.amount)
            .ok_or_else(|| overflow("the full amount of the victim's losses"))?;
    }

    if f.offense_date < CURRENT_TEXT_FROM {
        return Ok(evaluate_1996(
            f,
            restitution_required,
            representative_permitted,
            proximate_losses,
        ));
    }

    let v = &f.victim;
    let mut missing: Vec<String> = Vec::new();
    let trafficking = f.convictions.iter().any(conviction_is_trafficking);
    let production = f.convictions.iter().any(conviction_is_production);

    // (c)(2), (d)(2)(C): deduct defined monetary assistance received; never below zero.
    let full_amount_of_losses = proximate_losses
        .checked_sub(v.dma_received)
        .ok_or_else(|| overflow("the full amount of the victim's losses"))?
        .max(zero_money());

    // (b)(2)(C): the greatest losses found in any case measure the aggregate cap.
    let aggregate_cap = full_amount_of_losses.max(v.greatest_losses_found);
    // Terminated only after some recovery (a victim with nothing found and nothing recovered is
    // not "fully paid").
    let liability_terminated =
        trafficking && v.prior_recovery > Decimal::ZERO && v.prior_recovery >= aggregate_cap;

    let restitution_amount = if !restitution_required {
        Some(zero_money())
    } else if !trafficking {
        Some(full_amount_of_losses) // (b)(1)
    } else if liability_terminated {
        Some(zero_money())
    } else {
        match f.court.relative_role_amount {
            None => {
                missing.push("court.relative_role_amount".to_owned());
                None
            }
            Some(relative_role) => {
                // (b)(2)(B) floor of $3,000, then the (b)(2)(C) cap prevails over it.
                let floored = relative_role.max(Decimal::new(300_000, 2));
                let remaining = aggregate_cap
                    .checked_sub(v.prior_recovery)
                    .ok_or_else(|| overflow("the restitution amount"))?;
                Some(floored.min(remaining))
            }
        }
    };

    // (d)(1)(D), whether or not this victim is eligible.
    let dma_amount = match f.order_date {
        None => {
            missing.push("order_date".to_owned());
            None
        }
        Some(order_date) => Some(dma_amount_for_year(order_date.year)?),
    };

    let dma_eligible = if !trafficking || v.dma_received > Decimal::ZERO {
        Some(false) // (d)(1)(A), (d)(2)(A)
    } else {
        dma_amount.map(|amount| v.prior_recovery <= amount) // (d)(3)
    };

    missing.sort();
    missing.dedup();
    Ok(Outcomes {
        version: VERSION_2018,
        restitution_required: Some(restitution_required),
        trafficking: Some(trafficking),
        production: Some(production),
        full_amount_of_losses: Some(full_amount_of_losses),
        liability_terminated: Some(liability_terminated),
        restitution_amount,
        representative_permitted: Some(representative_permitted),
        dma_eligible,
        dma_amount,
        missing,
    })
}

/// The 1996 text: no trafficking scheme, no cap or floor, no DMA. Projected costs are counted
/// (as courts did); the court's Paroline amount, if given, is the order.
fn evaluate_1996(
    f: &Facts,
    restitution_required: bool,
    representative_permitted: bool,
    proximate_losses: Decimal,
) -> Outcomes {
    let restitution_amount = if restitution_required {
        f.court.relative_role_amount.unwrap_or(proximate_losses)
    } else {
        zero_money()
    };
    Outcomes {
        version: VERSION_1996,
        restitution_required: Some(restitution_required),
        trafficking: None,
        production: None,
        full_amount_of_losses: Some(proximate_losses),
        liability_terminated: None,
        restitution_amount: Some(restitution_amount),
        representative_permitted: Some(representative_permitted),
        dma_eligible: None,
        dma_amount: None,
        missing: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// Money as the contract prints it: a string with exactly two decimals, e.g. `"3000.00"`.
pub fn money_to_string(d: Decimal) -> String {
    let mut cents = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    cents.rescale(2);
    if cents.is_zero() {
        cents.set_sign_positive(true);
    }
    cents.to_string()
}

/// The CLI's JSON object (`statute`, `version`, `outcomes`, `missing`), without `trace`.
pub fn outcomes_to_json(o: &Outcomes) -> Value {
    let money = |d: Option<Decimal>| d.map_or(Value::Null, |d| Value::String(money_to_string(d)));
    let flag = |b: Option<bool>| b.map_or(Value::Null, Value::Bool);
    serde_json::json!({
        "statute": "18 U.S.C. § 2259",
        "version": o.version,
        "outcomes": {
            "restitution_required": flag(o.restitution_required),
            "trafficking": flag(o.trafficking),
            "production": flag(o.production),
            "full_amount_of_losses": money(o.full_amount_of_losses),
            "liability_terminated": flag(o.liability_terminated),
            "restitution_amount": money(o.restitution_amount),
            "representative_permitted": flag(o.representative_permitted),
            "dma_eligible": flag(o.dma_eligible),
            "dma_amount": money(o.dma_amount),
        },
        "missing": o.missing,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
mod tests {
    use super::*;

    fn cite(s: &str) -> Citation {
        Citation::parse(s).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn run(json: &str) -> Value {
        outcomes_to_json(&evaluate(&parse_facts(json).unwrap()).unwrap())
    }

    #[test]
    fn containment() {
        let a5 = p(2252, "A", &["a", "5"]);
        assert!(cite("2252A(a)(5)(B)").is_within(&a5));
        assert!(cite("2252A(a)(5)(B)").is_within(&p(2252, "A", &[])));
        assert!(cite("2252A(a)(5)").is_within(&a5));
        assert!(!cite("2252A(a)").is_within(&a5));
        assert!(cite("2252").is_within(&p(2252, "", &[])));
        assert!(!cite("2252A").is_within(&p(2252, "", &[])));
        assert!(!cite("2252").is_within(&p(2252, "A", &[])));
        assert!(Citation::parse("22x52(a").is_err());
        assert!(Citation::parse("2252(a").is_err());
        assert!(Citation::parse("2252()").is_err());
        assert!(Citation::parse("").is_err());
        assert_eq!(cite("2252A(a)(5)(B)").to_string(), "2252A(a)(5)(B)");
    }

    #[test]
    fn ranges() {
        for s in [
            "2251", "2251A", "2252A(g)", "2252C", "2259", "2260(b)", "2260A",
        ] {
            assert!(is_chapter_110(&cite(s)), "{s}");
        }
        for s in ["2250", "2260B", "2261", "2241(c)", "1591"] {
            assert!(!is_chapter_110(&cite(s)), "{s}");
        }
        for s in [
            "2252A(a)(1)",
            "2252A(a)(3)(B)",
            "2252A(a)(5)(B)",
            "2252(a)(4)(B)",
            "2251(d)(1)",
        ] {
            assert!(is_trafficking_provision(&cite(s)), "{s}");
        }
        for s in [
            "2252A(a)(6)",
            "2252A(a)",
            "2252A(b)",
            "2251(a)",
            "2260(a)",
            "2252A(g)",
        ] {
            assert!(!is_trafficking_provision(&cite(s)), "{s}");
        }
        assert!(is_chapter_109a_or_117(&cite("2241(c)")));
        assert!(is_chapter_109a_or_117(&cite("2248")));
        assert!(is_chapter_109a_or_117(&cite("2421A")));
        assert!(is_chapter_109a_or_117(&cite("2429")));
        assert!(!is_chapter_109a_or_117(&cite("2249")));
        assert!(!is_chapter_109a_or_117(&cite("2430")));
    }

    #[test]
    fn enterprise_predicates() {
        let conv = |preds: &[&str]| Conviction {
            section: cite("2252A(g)"),
            predicates: preds.iter().map(|s| cite(s)).collect(),
            involved_production: false,
        };
        assert!(!conviction_is_trafficking(&conv(&[])));
        assert!(conviction_is_trafficking(&conv(&[
            "2252A(a)(2)",
            "2260(b)"
        ])));
        assert!(!conviction_is_trafficking(&conv(&[
            "2252A(a)(2)",
            "2251(a)"
        ])));
        assert!(conviction_is_production(&conv(&["2252A(a)(2)", "2251(a)"])));
        assert!(!conviction_is_production(&conv(&["2252A(a)(2)"])));
        let rape = Conviction {
            section: cite("2241(c)"),
            predicates: vec![],
            involved_production: true,
        };
        assert!(conviction_is_production(&rape));
        assert!(!conviction_is_production(&Conviction {
            involved_production: false,
            ..rape
        }));
    }

    const TRAFFICKING_CASE: &str = r#"{
        "offense_date": "2020-03-01", "order_date": "2023-06-30",
        "convictions": [{"section": "2252A(a)(5)(B)"}],
        "victim": {"losses": [
            {"category": "therapy", "amount": "10000.00", "projected": true},
            {"category": "lost_income", "amount": 2500.5},
            {"category": "other", "amount": 999, "proximate": false}],
            "prior_recovery": "11000", "greatest_losses_found": "12000.50"},
        "court": {"relative_role_amount": "500.00"}
    }"#;

    #[test]
    fn cap_prevails_over_floor() {
        let out = run(TRAFFICKING_CASE);
        let o = &out["outcomes"];
        assert_eq!(out["version"], "2018-12-07");
        assert_eq!(o["trafficking"], true);
        assert_eq!(o["production"], false);
        assert_eq!(o["full_amount_of_losses"], "12500.50");
        assert_eq!(o["liability_terminated"], false);
        // floor 3000.00, cap 12500.50 - 11000.00 = 1500.50: the cap prevails.
        assert_eq!(o["restitution_amount"], "1500.50");
        assert_eq!(o["dma_amount"], "41787.39");
        assert_eq!(o["dma_eligible"], true);
        assert_eq!(out["missing"], serde_json::json!([]));

        // Floor applies when the cap leaves room.
        let roomy = TRAFFICKING_CASE.replace("\"11000\"", "\"1000\"");
        assert_eq!(run(&roomy)["outcomes"]["restitution_amount"], "3000.00");
        // Terminated once recovery reaches the greatest losses found.
        let paid = TRAFFICKING_CASE.replace("\"11000\"", "\"12500.50\"");
        let o = run(&paid);
        assert_eq!(o["outcomes"]["liability_terminated"], true);
        assert_eq!(o["outcomes"]["restitution_amount"], "0.00");
    }

    #[test]
    fn missing_facts() {
        let out =
            run(r#"{"offense_date": "2019-01-01", "convictions": [{"section": "2252(a)(2)"}]}"#);
        let o = &out["outcomes"];
        assert_eq!(o["restitution_amount"], Value::Null);
        assert_eq!(o["dma_amount"], Value::Null);
        assert_eq!(o["dma_eligible"], Value::Null);
        assert_eq!(o["liability_terminated"], false);
        assert_eq!(o["full_amount_of_losses"], "0.00");
        assert_eq!(
            out["missing"],
            serde_json::json!(["court.relative_role_amount", "order_date"])
        );
        // Not trafficking: amount is the full amount; DMA ineligible but its amount still unknown.
        let out = run(
            r#"{"offense_date": "2019-01-01", "convictions": [{"section": "2251(a)"}],
            "victim": {"losses": [{"category": "medical", "amount": "12.34"}], "dma_received": 5}}"#,
        );
        assert_eq!(out["outcomes"]["restitution_amount"], "7.34");
        assert_eq!(out["outcomes"]["production"], true);
        assert_eq!(out["outcomes"]["dma_eligible"], false);
        assert_eq!(out["missing"], serde_json::json!(["order_date"]));
    }

    #[test]
    fn dma_amounts() {
        assert_eq!(dma_amount_for_year(2019).unwrap(), dec("35000.00"));
        assert_eq!(dma_amount_for_year(2020).unwrap(), dec("36504.55"));
        assert_eq!(
            money_to_string(dma_amount_for_year(2023).unwrap()),
            "41787.39"
        );
        assert_eq!(dma_amount_for_year(2025).unwrap(), dec("44790.78"));
        let err = dma_amount_for_year(2026).unwrap_err();
        assert!(err.contains("2025"), "{err}");
        let f = parse_facts(
            r#"{"offense_date": "2019-01-01", "order_date": "2026-01-02",
                "convictions": [{"section": "2251(a)"}]}"#,
        )
        .unwrap();
        assert!(evaluate(&f).unwrap_err().contains("2025"));
    }

    #[test]
    fn text_of_1996() {
        let case = TRAFFICKING_CASE.replace("2020-03-01", "2018-12-06");
        let out = run(&case);
        let o = &out["outcomes"];
        assert_eq!(out["version"], "1996-04-24");
        assert_eq!(o["restitution_required"], true);
        for name in [
            "trafficking",
            "production",
            "liability_terminated",
            "dma_eligible",
            "dma_amount",
        ] {
            assert_eq!(o[name], Value::Null, "{name}");
        }
        assert_eq!(o["full_amount_of_losses"], "12500.50");
        assert_eq!(o["restitution_amount"], "500.00");
        assert_eq!(out["missing"], serde_json::json!([]));
        let no_role = case.replace(
            r#""court": {"relative_role_amount": "500.00"}"#,
            r#""court": {}"#,
        );
        assert_eq!(run(&no_role)["outcomes"]["restitution_amount"], "12500.50");
        // Not a chapter 110 offense: nothing required, still no DMA error for a far order year.
        let out = run(
            r#"{"offense_date": "2010-05-05", "order_date": "2040-01-01",
            "convictions": [{"section": "2241(c)", "involved_production": true}],
            "victim": {"representative": "defendant"}}"#,
        );
        assert_eq!(out["outcomes"]["restitution_required"], false);
        assert_eq!(out["outcomes"]["restitution_amount"], "0.00");
        assert_eq!(out["outcomes"]["representative_permitted"], false);
    }

    #[test]
    fn reading_money_and_rejecting_bad_input() {
        let m = |v: Value| money_from_value(&v);
        assert_eq!(
            m(serde_json::json!("3000.00")).unwrap().to_string(),
            "3000.00"
        );
        assert_eq!(m(serde_json::json!(3000)).unwrap().to_string(), "3000.00");
        assert_eq!(m(serde_json::json!(1234.5)).unwrap().to_string(), "1234.50");
        assert_eq!(m(serde_json::json!(0.1)).unwrap().to_string(), "0.10");
        assert!(m(serde_json::json!(1.005)).is_err());
        assert!(m(serde_json::json!("1.005")).is_err());
        assert!(m(serde_json::json!(-1)).is_err());
        assert!(m(serde_json::json!(-0.5)).is_err());
        assert!(m(serde_json::json!("-1.00")).is_err());
        assert!(m(serde_json::json!("1e3")).is_err());
        assert!(m(serde_json::json!(true)).is_err());
        assert!(m(serde_json::json!("79228162514264337593543950335")).is_err());
        assert!(m(serde_json::json!("792281625142643375935439503.35")).is_ok());
        assert!(m(serde_json::json!(12345678901234.56)).is_err());

        let base = r#"{"offense_date": "2020-01-01", "convictions": [{"section": "2252"}]"#;
        assert!(parse_facts(&format!("{base}}}")).is_ok());
        assert!(parse_facts(&format!("{base}, \"colour\": 1}}")).is_err());
        assert!(parse_facts(r#"{"offense_date": "2020-01-01", "convictions": []}"#).is_err());
        assert!(
            parse_facts(r#"{"offense_date": "2021-02-29", "convictions": [{"section": "2252"}]}"#)
                .is_err()
        );
        assert!(
            parse_facts(
                r#"{"offense_date": "2020-02-29", "convictions": [{"section": "22x52(a"}]}"#
            )
            .is_err()
        );
        assert!(
            parse_facts(&format!(
                "{base}, \"victim\": {{\"representative\": \"uncle\"}}}}"
            ))
            .is_err()
        );
        assert!(parse_facts(r#"{"convictions": [{"section": "2252"}]}"#).is_err());
        assert!(parse_facts("{").is_err());
    }
}
