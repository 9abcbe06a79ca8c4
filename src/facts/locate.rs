//! Finds the byte range of a path in a JSON text that is known to be valid JSON.

use super::validate::Place;

enum Seg {
    Key(String),
    Index(usize),
}

/// `victim.losses[2].amount` as segments. Schema names never hold `.` or `[`.
fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
            out.push(Seg::Key(key.to_string()));
        }
        for idx in pieces {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}

/// Keys that appear twice in one object: the path of the repeated fact and the span of
/// its second key. Keys are compared as written, and decoded only when one holds an escape;
/// nothing is allocated unless a key repeats (batch evaluation runs this on every line).
pub(super) fn duplicate_keys(json: &str) -> Vec<(String, usize, usize)> {
    let mut found = Vec::new();
    let mut c = Cursor {
        text: json.as_bytes(),
        at: 0,
    };
    let mut path: Vec<PathStep> = Vec::new();
    c.find_duplicates(&mut path, &mut found);
    found
}

/// One step of the path being walked: a key (its span in the text) or an index.
#[derive(Clone, Copy)]
enum PathStep {
    Key(usize, usize),
    Index(usize),
}

/// `(start, len)` of the value at `place`, or of the offending key.
pub(super) fn span(json: &str, place: &Place) -> Option<(usize, usize)> {
    let (path, key) = match place {
        Place::Value(p) => (p.as_str(), None),
        Place::Key { parent, key } => (parent.as_str(), Some(key.as_str())),
    };
    let mut c = Cursor {
        text: json.as_bytes(),
        at: 0,
    };
    c.ws();
    for seg in segments(path) {
        match seg {
            Seg::Key(k) => c.member(&k)?,
            Seg::Index(i) => c.element(i)?,
        }
    }
    match key {
        Some(k) => c.key_span(k),
        None => {
            let start = c.at;
            c.skip_value()?;
            Some((start, c.at.saturating_sub(start).max(1)))
        }
    }
}

struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// A string token; returns its decoded text.
    fn string(&mut self) -> Option<String> {
        self.ws();
        let start = self.at;
        self.raw_string()?;
        serde_json::from_slice(self.text.get(start..self.at)?).ok()
    }

    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                self.ws();
                if self.peek()? == close {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.eat(b':')?;
                    }
                    self.skip_value()?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b if b == close => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.at += 1;
                }
                Some(())
            }
        }
    }

    /// The decoded text of the string token at `start..end`.
    fn decode(&self, start: usize, end: usize) -> String {
        self.text
            .get(start..end)
            .and_then(|raw| serde_json::from_slice::<String>(raw).ok())
            .unwrap_or_default()
    }

    /// `victim.losses[2].amount` for a path of steps.
    fn path_text(&self, path: &[PathStep]) -> String {
        let mut out = String::new();
        for step in path {
            match *step {
                PathStep::Key(s, e) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&self.decode(s, e));
                }
                PathStep::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn same_key(&self, a: (usize, usize), b: (usize, usize)) -> bool {
        let (x, y) = (self.text.get(a.0..a.1), self.text.get(b.0..b.1));
        if x == y {
            return true;
        }
        let escaped = |k: Option<&[u8]>| k.is_some_and(|k| k.contains(&b'\\'));
        (escaped(x) || escaped(y)) && self.decode(a.0, a.1) == self.decode(b.0, b.1)
    }

    /// Walks the value here, recording repeated keys of every object inside it.
    fn find_duplicates(
        &mut self,
        path: &mut Vec<PathStep>,
        found: &mut Vec<(String, usize, usize)>,
    ) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'{' => {
                self.at += 1;
                let mut keys: Vec<(usize, usize)> = Vec::new();
                loop {
                    self.ws();
                    if self.peek()? == b'}' {
                        self.at += 1;
                        return Some(());
                    }
                    let start = self.at;
                    self.raw_string()?;
                    let key = (start, self.at);
                    path.push(PathStep::Key(start, self.at));
                    if keys.iter().any(|&k| self.same_key(k, key)) {
                        found.push((self.path_text(path), start, self.at - start));
                    }
                    keys.push(key);
                    self.eat(b':')?;
                    self.find_duplicates(path, found)?;
                    path.pop();
                    self.ws();
                    if self.peek()? == b',' {
                        self.at += 1;
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut index = 0usize;
                loop {
                    self.ws();
                    if self.peek()? == b']' {
                        self.at += 1;
                        return Some(());
                    }
                    path.push(PathStep::Index(index));
                    self.find_duplicates(path, found)?;
                    path.pop();
                    index += 1;
                    self.ws();
                    if self.peek()? == b',' {
                        self.at += 1;
                    }
                }
            }
            _ => self.skip_value(),
        }
    }

    /// Skips a string token without decoding it.
    fn raw_string(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.at += 1;
        loop {
            match self.peek()? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                _ => self.at += 1,
            }
        }
    }

    /// Moves to the value of member `key` of the object here.
    fn member(&mut self, key: &str) -> Option<()> {
        self.eat(b'{')?;
        loop {
            let k = self.string()?;
            self.eat(b':')?;
            self.ws();
            if k == key {
                return Some(());
            }
            self.skip_value()?;
            self.eat(b',')?;
        }
    }

    /// Moves to element `index` of the array here.
    fn element(&mut self, index: usize) -> Option<()> {
        self.eat(b'[')?;
        for _ in 0..index {
            self.skip_value()?;
            self.eat(b',')?;
        }
        self.ws();
        Some(())
    }

    /// The span of member name `key` in the object here.
    fn key_span(&mut self, key: &str) -> Option<(usize, usize)> {
        self.eat(b'{')?;
        loop {
            self.ws();
            let start = self.at;
            let k = self.string()?;
            if k == key {
                return Some((start, self.at - start));
            }
            self.eat(b':')?;
            self.skip_value()?;
            self.eat(b',')?;
        }
    }
}
