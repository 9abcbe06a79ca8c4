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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Integer,
    Decimal,
    Money,
    Date,
    Text,
    /// A provision reference such as `2252A(a)(5)`.
    Citation,
    /// A set of provisions and ranges, such as `[§2251(d), §2252A(a)(1) through (5)]`.
    Provisions,
    Enum(EnumId),
    Record(RecordId),
    List(Box<Type>),
    /// The element type of `[]` before anything fixes it.
    Empty,
}

impl Type {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Integer | Type::Decimal | Type::Money)
    }
}

/// A runtime value. Integers, decimals and money share `Number`; the checker
/// keeps them apart.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Number(Decimal),
    Date(jiff::civil::Date),
    Text(Arc<str>),
    /// The member's index in its enumeration.
    Enum(u32),
    Citation(Arc<Citation>),
    Provisions(Arc<[ProvisionRef]>),
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
    MoneyText(amount).to_string()
}

/// Money as [`money_text`] writes it, as `Display`: rendering writes it straight into its
/// output instead of allocating a `String` per amount.
pub struct MoneyText(pub Decimal);

impl fmt::Display for MoneyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
