//! Provision references: `2252A(a)(5)(B)`, their containment, and ranges.
//!
//! Statutes define terms by lists of provisions ("section 2251(d), 2252,
//! 2252A(a)(1) through (5)"), so a citation is a value of the language. A
//! citation is a section (`2252A`) followed by parenthesised parts (`a`, `5`,
//! `B`). `2252A(a)(5)(B)` is *within* `2252A(a)(5)` and `2252A`; `2252A` is not
//! within `2252` (sections compare whole).

use std::cmp::Ordering;
use std::fmt;

/// A title-18-style provision reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Citation {
    /// Section number and letter suffix: `2252A` is (2252, "A").
    pub section: (u32, String),
    /// The parenthesised parts in order: `(a)(5)(B)` is `["a", "5", "B"]`.
    pub parts: Vec<String>,
}

/// Why a text is not a citation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitationError {
    /// What is wrong, as a sentence fragment for a diagnostic, e.g. "a `(` is never closed".
    pub reason: &'static str,
}

impl Citation {
    /// Parses `2252A(a)(5)(B)`; an optional leading `§` and spaces are allowed.
    pub fn parse(text: &str) -> Result<Citation, CitationError> {
        let text = text.trim();
        let text = text.strip_prefix('§').unwrap_or(text).trim_start();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, rest) = text.split_at(digits_end);
        if digits.is_empty() {
            return Err(CitationError {
                reason: "a citation starts with a section number, like `2252`",
            });
        }
        let number: u32 = digits.parse().map_err(|_| CitationError {
            reason: "the section number is too long",
        })?;
        let suffix_end = rest
            .find(|c: char| !c.is_ascii_uppercase())
            .unwrap_or(rest.len());
        let (suffix, mut rest) = rest.split_at(suffix_end);
        let mut parts = Vec::new();
        while !rest.is_empty() {
            let Some(inner) = rest.strip_prefix('(') else {
                return Err(CitationError {
                    reason: "after the section, only parenthesised parts like `(a)(5)` may follow",
                });
            };
            let Some(close) = inner.find(')') else {
                return Err(CitationError {
                    reason: "a `(` is never closed",
                });
            };
            let (part, after) = inner.split_at(close);
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(CitationError {
                    reason: "each part is letters or digits in parentheses, like `(a)` or `(5)`",
                });
            }
            parts.push(part.to_string());
            rest = after.get(1..).unwrap_or("");
        }
        Ok(Citation {
            section: (number, suffix.to_string()),
            parts,
        })
    }

    /// `self` is `other` or a part of it.
    pub fn is_within(&self, other: &Citation) -> bool {
        self.section == other.section && self.parts.starts_with(&other.parts)
    }

    /// The order of the statute's text: section by section, then `(a)` before `(a)(1)` before
    /// `(b)`, numbers numerically and letters as read (`(z)` before `(aa)`). Roman-numeral
    /// parts order by length first (`(iv)` before `(iii)`): no part is read as a numeral.
    pub fn statute_order(&self, other: &Citation) -> Ordering {
        compare_sections(&self.section, &other.section).then_with(|| {
            for (a, b) in self.parts.iter().zip(&other.parts) {
                let o = compare_part(a, b);
                if o != Ordering::Equal {
                    return o;
                }
            }
            self.parts.len().cmp(&other.parts.len())
        })
    }

    /// This citation with its last part replaced: `2252A(a)(1)` with `(5)` gives `2252A(a)(5)`.
    pub fn with_last_parts(&self, replacement: &[String]) -> Citation {
        let keep = self.parts.len().saturating_sub(replacement.len());
        let mut parts: Vec<String> = self.parts.iter().take(keep).cloned().collect();
        parts.extend(replacement.iter().cloned());
        Citation {
            section: self.section.clone(),
            parts,
        }
    }
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.section.0, self.section.1)?;
        for p in &self.parts {
            write!(f, "({p})")?;
        }
        Ok(())
    }
}

/// Orders two parts at one level: numbers numerically, lowercase roman numerals by value
/// (`(iv)` < `(v)` < `(ix)`), other letters by length then alphabet (`a` < `z` < `aa`), so
/// `(1)`..`(12)`, `(a)`..`(c)` and `(i)`..`(x)` all order as read. Only `i`, `v` and `x` are
/// read as numerals: one of them alone orders the same read either way (`(i)` < `(v)` < `(x)`),
/// and a longer part made of them only is a clause number, never a letter past `(z)`.
fn compare_part(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => match (roman(a), roman(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        },
    }
}

/// The value of a lowercase roman numeral of `i`, `v` and `x` (`iv` is 4); `None` for any
/// other text.
fn roman(part: &str) -> Option<u32> {
    if part.is_empty() || part.len() > 8 {
        return None;
    }
    let digit = |c: char| match c {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        _ => None,
    };
    let values: Option<Vec<u32>> = part.chars().map(digit).collect();
    let values = values?;
    // A digit before a larger one is subtracted (`iv`, `ix`).
    let mut total = 0i64;
    for (i, v) in values.iter().enumerate() {
        match values.get(i + 1) {
            Some(next) if next > v => total -= i64::from(*v),
            _ => total += i64::from(*v),
        }
    }
    u32::try_from(total).ok()
}

/// A closed range of provisions at one level: `2251 through 2260A`, or
/// `2252A(a)(1) through (5)` (same section and parent, last part from 1 to 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CitationRange {
    /// The first provision in the range, written in full (`2252A(a)(1)`).
    pub start: Citation,
    /// The last provision in the range, included; written in full even when the source abbreviates
    /// it (`through (5)` is `2252A(a)(5)`).
    pub end: Citation,
}

impl CitationRange {
    /// Both ends must be at the same depth under the same parent; sections may differ
    /// only when the range is of whole sections.
    pub fn new(start: Citation, end: Citation) -> Result<CitationRange, CitationError> {
        if start.parts.len() != end.parts.len() {
            return Err(CitationError {
                reason: "both ends of a range must be at the same level, like `2252A(a)(1) through (5)`",
            });
        }
        if !start.parts.is_empty() {
            let parent_len = start.parts.len() - 1;
            if start.section != end.section
                || start.parts.get(..parent_len) != end.parts.get(..parent_len)
            {
                return Err(CitationError {
                    reason: "a range of subdivisions must stay within one parent provision",
                });
            }
        }
        let range = CitationRange { start, end };
        if range.compare_ends() == Ordering::Greater {
            return Err(CitationError {
                reason: "the range ends before it starts",
            });
        }
        Ok(range)
    }

    fn compare_ends(&self) -> Ordering {
        match (self.start.parts.last(), self.end.parts.last()) {
            (Some(a), Some(b)) => compare_part(a, b),
            _ => compare_sections(&self.start.section, &self.end.section),
        }
    }

    /// A citation is within the range when its provision at the range's level lies between the ends.
    pub fn contains(&self, c: &Citation) -> bool {
        let depth = self.start.parts.len();
        if depth == 0 {
            return compare_sections(&c.section, &self.start.section) != Ordering::Less
                && compare_sections(&c.section, &self.end.section) != Ordering::Greater;
        }
        let parent = self.start.parts.get(..depth - 1).unwrap_or(&[]);
        if c.section != self.start.section || c.parts.len() < depth || !c.parts.starts_with(parent)
        {
            return false;
        }
        match (
            c.parts.get(depth - 1),
            self.start.parts.last(),
            self.end.parts.last(),
        ) {
            (Some(p), Some(lo), Some(hi)) => {
                compare_part(p, lo) != Ordering::Less && compare_part(p, hi) != Ordering::Greater
            }
            _ => false,
        }
    }
}

fn compare_sections(a: &(u32, String), b: &(u32, String)) -> Ordering {
    a.0.cmp(&b.0).then_with(|| compare_part(&a.1, &b.1))
}

impl fmt::Display for CitationRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} through {}", self.start, self.end)
    }
}

/// One member of a provision set: a citation or a range of citations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProvisionRef {
    /// A single provision; it also covers everything within it (`2252A(a)` covers
    /// `2252A(a)(5)(B)`).
    One(Citation),
    /// A closed range `X through Y`, covering each provision at its level between the ends and what
    /// is within them.
    Range(CitationRange),
}

impl ProvisionRef {
    /// Whether `c` is this provision or within it, or within a provision of the range.
    pub fn contains(&self, c: &Citation) -> bool {
        match self {
            ProvisionRef::One(p) => c.is_within(p),
            ProvisionRef::Range(r) => r.contains(c),
        }
    }
}

impl fmt::Display for ProvisionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProvisionRef::One(c) => c.fmt(f),
            ProvisionRef::Range(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Citation {
        Citation::parse(s).unwrap()
    }

    #[test]
    fn statute_order_is_the_order_of_the_text() {
        let read = [
            "2259",
            "2259(a)",
            "2259(b)",
            "2259(b)(1)",
            "2259(b)(2)",
            "2259(b)(2)(A)",
            "2259(b)(2)(A)(i)",
            "2259(b)(2)(A)(ii)",
            "2259(b)(2)(A)(iv)",
            "2259(b)(2)(A)(v)",
            "2259(b)(2)(A)(ix)",
            "2259(b)(2)(A)(x)",
            "2259(b)(2)(B)",
            "2259(b)(10)",
            "2259(c)",
            "2259(i)",
            "2259(z)",
            "2259(aa)",
            "2259A",
            "2260",
        ];
        for (i, a) in read.iter().enumerate() {
            for (j, b) in read.iter().enumerate() {
                assert_eq!(c(a).statute_order(&c(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn containment_follows_the_statute_tree() {
        assert!(c("2252A(a)(5)(B)").is_within(&c("2252A(a)(5)")));
        assert!(c("2252A(a)(5)(B)").is_within(&c("2252A")));
        assert!(c("2252").is_within(&c("2252")));
        assert!(!c("2252A").is_within(&c("2252")));
        assert!(!c("2252A(a)").is_within(&c("2252A(a)(5)")));
    }

    #[test]
    fn ranges_of_subdivisions_and_of_sections() {
        let r = CitationRange::new(
            c("2252A(a)(1)"),
            c("2252A(a)(1)").with_last_parts(&["5".into()]),
        )
        .unwrap();
        assert!(r.contains(&c("2252A(a)(5)(B)")));
        assert!(r.contains(&c("2252A(a)(1)")));
        assert!(!r.contains(&c("2252A(a)(6)")));
        assert!(!r.contains(&c("2252A(a)")));
        assert!(!r.contains(&c("2252A(g)")));
        let ch110 = CitationRange::new(c("2251"), c("2260A")).unwrap();
        for s in ["2251", "2251A", "2252B(a)", "2260A", "2256(8)"] {
            assert!(ch110.contains(&c(s)), "{s}");
        }
        for s in ["2250", "2261", "2241(c)"] {
            assert!(!ch110.contains(&c(s)), "{s}");
        }
    }

    #[test]
    fn malformed_citations_are_rejected_with_a_reason() {
        for bad in ["22x52(a", "", "(a)", "2252(a", "2252()", "2252(a)b"] {
            assert!(Citation::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(c("§ 2252A(a)(5)(B)").to_string(), "2252A(a)(5)(B)");
    }

    #[test]
    fn a_backwards_range_is_an_error() {
        assert!(CitationRange::new(c("2260"), c("2251")).is_err());
        assert!(CitationRange::new(c("2252A(a)(1)"), c("2252(b)(1)")).is_err());
    }
}
