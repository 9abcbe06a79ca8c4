//! `unique` and `unique by FIELD`: the items of a list (or one field of its records) must all
//! differ. Both readers ask [`repeats`]: the one-pass reader gives up on a repeat, and the full
//! validator reports each one, naming both items.

use crate::program::{Schema, Unique};
use crate::value::{Type, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

/// A value as a key that compares as the language does (`5.0` and `5.00` are the same amount).
#[derive(PartialEq, Eq, Hash)]
enum Key {
    Bool(bool),
    Number(Decimal),
    Date(jiff::civil::Date),
    Text(Arc<str>),
    Enum(u32),
    Citation(String),
}

fn key(v: &Value) -> Option<Key> {
    Some(match v {
        Value::Bool(b) => Key::Bool(*b),
        Value::Number(d) => Key::Number(d.normalize()),
        Value::Date(d) => Key::Date(*d),
        Value::Text(t) => Key::Text(t.clone()),
        Value::Enum(i) => Key::Enum(*i),
        Value::Citation(c) => Key::Citation(c.to_string()),
        // Absent (not given) repeats nothing; lists and records are refused by the checker.
        Value::Provisions(_) | Value::List(_) | Value::Record(_) | Value::Absent => return None,
    })
}

/// The value of `item` that must differ: the item, or its field.
pub(super) fn compared<'v>(unique: &Unique, item: &'v Value) -> Option<&'v Value> {
    match (unique, item) {
        (Unique::Items, v) => Some(v),
        (Unique::By(i, _), Value::Record(fields)) => fields.get(*i),
        (Unique::By(..), _) => None,
    }
}

/// Each item whose compared value repeats an earlier item's, as `(earlier, later)` indices, in
/// order (three equal items give `(0, 1)` and `(0, 2)`).
pub(super) fn repeats(unique: &Unique, items: &[Value]) -> Vec<(usize, usize)> {
    let mut first: HashMap<Key, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(k) = compared(unique, item).and_then(key) else {
            continue;
        };
        match first.entry(k) {
            Entry::Occupied(e) => out.push((*e.get(), i)),
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }
    out
}

/// A compared value as the facts write it: `"V1"`, `2023-01-02`, `therapy`.
pub(super) fn shown(schema: &Schema, item_ty: &Type, unique: &Unique, v: &Value) -> String {
    let ty = match (unique, item_ty) {
        (Unique::By(i, _), Type::Record(r)) => schema
            .records
            .get(*r)
            .and_then(|r| r.fields.get(*i))
            .map(|f| &f.ty),
        (_, ty) => Some(ty),
    };
    match (v, ty) {
        (Value::Text(t), _) => format!("{:?}", &**t),
        (Value::Number(d), _) => d.to_string(),
        (Value::Date(d), _) => d.to_string(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Citation(c), _) => c.to_string(),
        (Value::Enum(i), Some(Type::Enum(e))) => schema
            .enums
            .get(*e)
            .and_then(|e| e.members.get(*i as usize))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The pairs as a reader would find them by comparing every item with every earlier one
    /// (`same_as`, the language's equality), keeping the first earlier match.
    fn naive(items: &[Value]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (j, b) in items.iter().enumerate() {
            if matches!(b, Value::Absent) {
                continue;
            }
            if let Some(i) = items
                .get(..j)
                .and_then(|before| before.iter().position(|a| a.same_as(b)))
            {
                out.push((i, j));
            }
        }
        out
    }

    proptest! {
        /// Money written with any number of trailing zeros, and absent values, among few
        /// distinct amounts: the hash-based search finds exactly the naive pairs.
        #[test]
        fn repeats_are_the_naive_pairs(cents in proptest::collection::vec(proptest::option::of(0i64..6), 0..40), scale in 0u32..3) {
            let items: Vec<Value> = cents
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    // Alternate the written scale: 5, 5.0, 5.00 are one amount.
                    Some(c) => Value::Number(Decimal::new(c * 10i64.pow((i as u32 + scale) % 3), (i as u32 + scale) % 3)),
                    None => Value::Absent,
                })
                .collect();
            prop_assert_eq!(repeats(&Unique::Items, &items), naive(&items));
        }
    }
}
