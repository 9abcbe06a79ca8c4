//! Reading valid facts straight from the JSON text into values, without the intermediate
//! `serde_json::Value` tree (its maps, keys and lists were most of the cost of reading a case).
//!
//! It gives up (`None`) at the first thing that is not plainly valid (an unknown or repeated key,
//! a wrong type, a missing required fact, malformed JSON…), and [`read_facts`] then reads the
//! document the full way, which reports every problem. Strings and numbers written with a
//! fraction or an exponent are converted by the same [`Validator`] methods as the full way
//! (`text_value`, `number`), so both give the same values; only the walk over objects, lists and
//! absent facts, and whole numbers (`Decimal::from`, as `Validator::number` reads their text),
//! are done here. The unit tests below compare both ways.

use super::MAX_LIST_LEN;
use super::validate::{FactPath, Validator, takes_text};
use crate::program::{FieldDecl, Schema};
use crate::value::{Type, Value};
use rust_decimal::Decimal;
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

thread_local! {
    /// The buffer of [`Reader`], kept between documents read on this thread so that it is
    /// not grown again for every case of a batch.
    static BUF: Cell<Vec<Value>> = const { Cell::new(Vec::new()) };
}

/// A buffer larger than this (a case with very long lists) is not kept for the next case.
const KEEP_BUF: usize = 4096;

pub(super) fn read(schema: &Schema, json: &str) -> Option<super::Facts> {
    let mut reader = Reader {
        val: Validator {
            schema,
            problems: Vec::new(),
            partial: false,
            unknown: Vec::new(),
        },
        buf: BUF.with(Cell::take),
    };
    let facts = read_with(&mut reader, json);
    let mut buf = reader.buf;
    if buf.capacity() <= KEEP_BUF {
        buf.clear();
        BUF.with(|b| b.set(buf));
    }
    facts
}

fn read_with(reader: &mut Reader<'_>, json: &str) -> Option<super::Facts> {
    let schema: &Schema = reader.val.schema;
    let mut de = serde_json::Deserializer::from_str(json);
    let start = Fields {
        r: &mut *reader,
        decls: &schema.facts,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    let values = reader.buf.drain(start..).collect();
    reader.val.problems.is_empty().then_some(super::Facts {
        values,
        unknown: Vec::new(),
    })
}

/// What a fact or field that is not given (or is `null`) stands for, as
/// [`Validator::absent`] gives it: its default, `Absent` if optional, or a record of its
/// fields' defaults; `None` for a required one (the full way reports it).
fn absent(r: &mut Reader<'_>, d: &FieldDecl) -> Option<Value> {
    if let Some(default) = &d.default {
        return Some(default.clone());
    }
    if d.optional {
        return Some(Value::Absent);
    }
    let Type::Record(id) = &d.ty else {
        return None;
    };
    let schema: &Schema = r.val.schema;
    let rec = schema.records.get(*id)?;
    if !rec.fields.iter().all(FieldDecl::may_be_absent) {
        return None;
    }
    let start = r.buf.len();
    for f in &rec.fields {
        let v = absent(r, f)?;
        r.buf.push(v);
    }
    Some(Value::Record(r.buf.drain(start..).collect()))
}

/// The validator for scalars, and one buffer in which every list and record is assembled
/// before it is moved into its `Arc<[Value]>` (one allocation each, no intermediate `Vec`).
/// A list or record being read occupies `buf[start..]`; those nested in it are assembled
/// after it and taken out before it continues.
struct Reader<'p> {
    val: Validator<'p>,
    buf: Vec<Value>,
}

/// The error that makes the caller read the document the full way; its text is never shown.
fn give_up<E: Error>() -> E {
    E::custom("not plainly valid")
}

/// An object of facts or record fields, in the order of `decls`.
struct Fields<'a, 'p> {
    r: &'a mut Reader<'p>,
    decls: &'p [FieldDecl],
}

/// Leaves the values in `buf`, from the index it returns, in the order of `decls`.
impl<'de> DeserializeSeed<'de> for Fields<'_, '_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fields<'_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let decls = self.decls;
        // Which keys were given, to give up on a repeated one (the full way keeps the last),
        // and which of them had a value other than `null`.
        let (mut seen, mut set): (u64, u64) = (0, 0);
        if decls.len() > 64 {
            return Err(give_up());
        }
        let start = self.r.buf.len();
        self.r.buf.extend(decls.iter().map(|_| Value::Absent));
        while let Some(i) = map.next_key_seed(Key(decls))? {
            let bit = 1u64 << i;
            let Some(decl) = decls.get(i) else {
                return Err(give_up());
            };
            if seen & bit != 0 {
                return Err(give_up());
            }
            seen |= bit;
            if let Some(v) = map.next_value_seed(Slot {
                r: &mut *self.r,
                ty: &decl.ty,
                nonempty: decl.nonempty,
                unique: decl.unique.as_ref(),
            })? {
                // A value outside its limits: the full way reports it.
                if decl.limits.broken(&v).is_some() {
                    return Err(give_up());
                }
                let slot = self.r.buf.get_mut(start + i).ok_or_else(give_up)?;
                *slot = v;
                set |= bit;
            }
        }
        for (i, d) in decls.iter().enumerate() {
            if set & (1u64 << i) == 0 {
                // Not given, or `null`: its default, `Absent`, or an empty record.
                let v = absent(self.r, d).ok_or_else(give_up)?;
                let slot = self.r.buf.get_mut(start + i).ok_or_else(give_up)?;
                *slot = v;
            }
        }
        if self.r.val.problems.is_empty() {
            Ok(start)
        } else {
            Err(give_up())
        }
    }
}

/// A key, as the index of its declaration.
struct Key<'p>(&'p [FieldDecl]);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a fact's name")
    }

    fn visit_str<E: Error>(self, key: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|d| d.name == key)
            .ok_or_else(give_up)
    }
}

/// The value of one fact or field; `None` for `null`.
struct Slot<'a, 'p> {
    r: &'a mut Reader<'p>,
    ty: &'p Type,
    nonempty: bool,
    /// `unique`: a repeat is the full way's to report.
    unique: Option<&'p crate::program::Unique>,
}

impl<'de> DeserializeSeed<'de> for Slot<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        match self.ty {
            Type::List(_) | Type::Record(_) => d.deserialize_any(self),
            _ => d.deserialize_any(Scalar(self)),
        }
    }
}

impl Slot<'_, '_> {
    /// `value` unless converting it reported a problem.
    fn checked<E: Error>(
        self,
        value: impl FnOnce(&mut Validator<'_>) -> Value,
    ) -> Result<Option<Value>, E> {
        let before = self.r.val.problems.len();
        let v = value(&mut self.r.val);
        if self.r.val.problems.len() == before {
            Ok(Some(v))
        } else {
            Err(give_up())
        }
    }
}

/// A slot of a type written as a JSON scalar. Strings are converted where they lie in the
/// text, without copying them into a `serde_json::Value`.
struct Scalar<'a, 'p>(Slot<'a, 'p>);

impl<'de> Visitor<'de> for Scalar<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar")
    }

    fn visit_unit<E: Error>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_bool<E: Error>(self, b: bool) -> Result<Option<Value>, E> {
        match self.0.ty {
            Type::Bool => Ok(Some(Value::Bool(b))),
            _ => Err(give_up()),
        }
    }

    fn visit_str<E: Error>(self, s: &str) -> Result<Option<Value>, E> {
        if !takes_text(self.0.ty) {
            return Err(give_up());
        }
        let ty = self.0.ty;
        self.0.checked(|val| val.text_value(ty, s, &FactPath::Root))
    }

    /// A whole number that fits a `u64`: serde_json hands it over as such, even with its
    /// `arbitrary_precision` feature. The same value as [`Validator::number`] gives for its
    /// text, without writing it out and reading it again.
    fn visit_u64<E: Error>(self, n: u64) -> Result<Option<Value>, E> {
        let d = Decimal::from(n);
        match self.0.ty {
            Type::Integer | Type::Decimal => Ok(Some(Value::Number(d))),
            Type::Money => {
                // Below 2^64, two decimals always fit (the limit is 2^96).
                let mut cents = d;
                cents.rescale(2);
                if cents.scale() == 2 {
                    Ok(Some(Value::Number(cents)))
                } else {
                    Err(give_up())
                }
            }
            _ => Err(give_up()),
        }
    }

    /// A negative whole number that fits an `i64`: an integer or a decimal; money cannot be
    /// negative, which the full way reports.
    fn visit_i64<E: Error>(self, n: i64) -> Result<Option<Value>, E> {
        match self.0.ty {
            Type::Integer | Type::Decimal => Ok(Some(Value::Number(Decimal::from(n)))),
            _ => Err(give_up()),
        }
    }

    /// Any other number: with serde_json's `arbitrary_precision` it arrives as a one-entry
    /// map that `serde_json::Number` reads back exactly as written.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        if !matches!(self.0.ty, Type::Money | Type::Integer | Type::Decimal) {
            return Err(give_up());
        }
        let n = <serde_json::Number as serde::Deserialize>::deserialize(
            serde::de::value::MapAccessDeserializer::new(map),
        )?;
        let ty = self.0.ty;
        self.0
            .checked(|val| val.number(ty, n.as_str(), &FactPath::Root))
    }
}

impl<'de> Visitor<'de> for Slot<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list or an object")
    }

    fn visit_unit<E: Error>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let Type::List(inner) = self.ty else {
            return Err(give_up());
        };
        let start = self.r.buf.len();
        while let Some(item) = seq.next_element_seed(Slot {
            r: &mut *self.r,
            ty: inner,
            nonempty: false,
            unique: None,
        })? {
            // A `null` item is an error of the full way.
            self.r.buf.push(item.ok_or_else(give_up)?);
            if self.r.buf.len() - start > MAX_LIST_LEN {
                return Err(give_up());
            }
        }
        if self.nonempty && self.r.buf.len() == start {
            return Err(give_up());
        }
        if let Some(u) = self.unique {
            let items = self.r.buf.get(start..).unwrap_or(&[]);
            if !super::unique::repeats(u, items).is_empty() {
                return Err(give_up());
            }
        }
        Ok(Some(Value::List(self.r.buf.drain(start..).collect())))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        let Type::Record(r) = self.ty else {
            return Err(give_up());
        };
        let schema: &Schema = self.r.val.schema;
        let rec = schema.records.get(*r).ok_or_else(give_up)?;
        let start = Fields {
            r: &mut *self.r,
            decls: &rec.fields,
        }
        .visit_map(map)?;
        Ok(Some(Value::Record(self.r.buf.drain(start..).collect())))
    }
}
