//! The two ways of reading facts agree: `Program::read_facts` (the one-pass reader, falling
//! back to the full way) and the full way alone (`serde_json::Value`, then
//! `Program::facts_from_value`), on generated cases with errors and on malformed documents.

use crate::generate::Generator;
use crate::support::program_2259;
use serde::de::{Deserialize, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// A JSON document in which no object gives a key twice (serde_json keeps the last one; the
/// facts reader refuses them).
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(A::Error::custom("duplicate key"));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_none<E>(self) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self, D::Error> {
        NoDuplicateKeys::deserialize(d)
    }
    // serde_json's `arbitrary_precision` hands numbers over as a one-entry map.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| NoDuplicateKeys)
    }
}

#[test]
fn reading_facts_agrees_with_the_full_way() {
    let program = program_2259();
    let full_way = |json: &str| {
        serde_json::from_str::<NoDuplicateKeys>(json).ok()?;
        let doc: serde_json::Value = serde_json::from_str(json).ok()?;
        program.facts_from_value("case", &doc).ok()
    };
    let mut g = Generator::new(7).with_errors();
    let mut cases: Vec<String> = (0..3_000).map(|_| g.line()).collect();
    cases.extend(
        [
            "",
            "[]",
            "null",
            r#"{"offense_date": "2019-05-01", "offense_date": "2019-05-02", "convictions": [{"section": "2251(a)"}]}"#,
            r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "court": null, "victim": {"losses": null}}"#,
            r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "victim": {"prior_recovery": 12.5e2}}"#,
            r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "victim": 5}"#,
            r#"{"offense_date": "2019-05-01", "convictions": [null]}"#,
            r#"{"offense_date": "2019-05-01", "convictions": []}"#,
            r#"{"offense_d\u0061te": "2019-05-01", "convictions": [{"section": "2251(a)"}]} "#,
            r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}]} x"#,
        ]
        .map(String::from),
    );
    let mut valid = 0;
    for json in &cases {
        let full = full_way(json);
        valid += usize::from(full.is_some());
        assert_eq!(program.read_facts("case", json).ok(), full, "{json}");
    }
    assert!(valid > 1_000, "only {valid} valid cases");
}
