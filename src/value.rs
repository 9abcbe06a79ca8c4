//! Types and runtime values of the language.
//!
//! The checker gives every expression a [`Type`]; evaluation works on
//! [`Value`]s, which carry no type tag of their own where the type already
//! tells (integers, decimals and money are all a `Decimal`).

use crate::citation::{Citation, ProvisionRef};
use rust_decimal::Decimal;
use std::fmt;
use std::sync::Arc;

/// Index of an enumeration in the program's schema.
pub type EnumId = usize;
/// Index of a record type in the program's schema.
pub type RecordId = usize;

/// The type of an expression, fact or field, as the checker gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `bool`: true or false.
    Bool,
    /// `integer`: a whole number, held as a `Decimal` with no fraction.
    Integer,
    /// `decimal`: an exact decimal number (`Decimal`, never a float), e.g. a CPI-U ratio.
    Decimal,
    /// `money`: an amount in dollars, exact to the cent in facts (`Decimal`, never a float).
    Money,
    /// `date`: a calendar date without time or zone.
    Date,
    /// `text`: a string.
    Text,
    /// A provision reference such as `2252A(a)(5)`.
    Citation,
    /// A set of provisions and ranges, such as `[§2251(d), §2252A(a)(1) through (5)]`.
    Provisions,
    /// A declared enumeration, by its index in the schema's `enums`.
    Enum(EnumId),
    /// A declared record type, by its index in the schema's `records`.
    Record(RecordId),
    /// A list whose items all have the given type.
    List(Box<Type>),
    /// The element type of `[]` before anything fixes it.
    Empty,
}

impl Type {
    /// Whether this is a number type (integer, decimal or money), a `Value::Number` at run time.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Integer | Type::Decimal | Type::Money)
    }
}

/// A runtime value. Integers, decimals and money share `Number`; the checker
/// keeps them apart.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A `bool` value.
    Bool(bool),
    /// An `integer`, `decimal` or `money` value; the static type says which.
    Number(Decimal),
    /// A `date` value.
    Date(jiff::civil::Date),
    /// A `text` value.
    Text(Arc<str>),
    /// The member's index in its enumeration.
    Enum(u32),
    /// A `citation` value.
    Citation(Arc<Citation>),
    /// A `provisions` value: its members (citations and ranges) in written order.
    Provisions(Arc<[ProvisionRef]>),
    /// A list's items, in order.
    List(Arc<[Value]>),
    /// Field values in the record's declared order.
    Record(Arc<[Value]>),
    /// An optional fact the case did not give.
    Absent,
}

impl Value {
    /// Equality as the language defines it (numbers by value: `1.0 = 1`).
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.same_as(y))
            }
            (Value::Record(a), Value::Record(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.same_as(y))
            }
            _ => self == other,
        }
    }
}

/// Renders money as dollars and cents, the contract's `"3000.00"`.
pub fn money_text(amount: Decimal) -> String {
    use std::fmt::Write;
    // Room for any amount (28 digits, sign, point), so that writing never grows the string.
    let mut s = String::with_capacity(32);
    // Writing to a String cannot fail.
    let _ = write!(s, "{}", MoneyText(amount));
    s
}

/// Money as [`money_text`] writes it, as `Display`: rendering writes it straight into its
/// output instead of allocating a `String` per amount.
pub struct MoneyText(pub Decimal);

impl fmt::Display for MoneyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Nearly every amount has at most two decimals and a number of cents that fits in 64
        // bits: written as whole cents, which is several times cheaper than `Decimal`'s
        // general writer (the trace and every outcome line write many amounts). Same text as
        // below (a unit test compares them).
        let scale = self.0.scale();
        if scale <= 2 {
            let cents = self
                .0
                .mantissa()
                .unsigned_abs()
                .checked_mul(if scale == 2 { 1 } else { 10u128.pow(2 - scale) })
                .and_then(|c| u64::try_from(c).ok());
            if let Some(c) = cents {
                let sign = if self.0.is_sign_negative() { "-" } else { "" };
                return write!(f, "{sign}{}.{:02}", c / 100, c % 100);
            }
        }
        let mut a = self.0;
        if a.scale() < 2 {
            a.rescale(2);
        }
        fmt::Display::fmt(&a, f)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Integer => f.write_str("integer"),
            Type::Decimal => f.write_str("decimal"),
            Type::Money => f.write_str("money"),
            Type::Date => f.write_str("date"),
            Type::Text => f.write_str("text"),
            Type::Citation => f.write_str("citation"),
            Type::Provisions => f.write_str("provisions"),
            Type::Enum(_) => f.write_str("enumeration"),
            Type::Record(_) => f.write_str("record"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Empty => f.write_str("empty list"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// The whole-cents writer gives `Decimal`'s own text, rescaled to two decimals.
    #[test]
    fn money_text_matches_decimal_display() {
        let general = |d: Decimal| {
            let mut a = d;
            if a.scale() < 2 {
                a.rescale(2);
            }
            a.to_string()
        };
        let mut cases: Vec<Decimal> = [
            "0",
            "0.00",
            "-0",
            "-0.00",
            "0.5",
            "-0.5",
            "1",
            "3000",
            "3000.00",
            "12.3",
            "12.34",
            "-12.34",
            "0.01",
            "-0.01",
            "99.99",
            "100",
            "184467440737095516.15",
            "184467440737095516.16",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "1.234",
            "0.001",
            "123456789.123456789",
        ]
        .iter()
        .map(|s| Decimal::from_str(s).unwrap())
        .collect();
        cases.push(Decimal::new(-0, 2));
        cases.push(-Decimal::ZERO);
        cases.push(Decimal::from_str("5").unwrap() * Decimal::from_str("-0.00").unwrap());
        // And a spread of mantissas at every scale the fast path takes, and one it does not.
        let mut m: i64 = 1;
        for _ in 0..2_000 {
            m = m
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            for scale in 0..=3 {
                cases.push(Decimal::new(m, scale));
                cases.push(Decimal::new(m % 100_000, scale));
            }
        }
        for d in cases {
            assert_eq!(money_text(d), general(d), "{d:?}");
        }
    }
}
