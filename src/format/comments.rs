//! The tokens the parser's tree does not keep: comments, and the text of every string as it
//! was written.
//!
//! A lexer-aware scan: it knows strings (a `//` inside `"…"` is text, a `"` inside a comment
//! is a comment), so it never mistakes one for the other. Everything else is "code"; the
//! printer only needs to know where code starts and ends, not what it says.

/// One `// …` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the comment's `//` in the scanned text.
    pub start: usize,
    /// Byte offset just past the comment: its line's `\n`, or the end of the text (trailing
    /// spaces and a `\r` included, unlike `text`).
    pub end: usize,
    /// The comment as written, from `//` to the end of its line, trailing spaces removed.
    pub text: String,
}

/// What the scan found, each list in source order.
#[derive(Debug, Default)]
pub struct Tokens {
    /// Every `// …` comment outside a string.
    pub comments: Vec<Comment>,
    /// Byte ranges of string literals, quotes included.
    pub strings: Vec<(usize, usize)>,
    /// Byte ranges of the other runs of code (words, numbers, punctuation).
    pub code: Vec<(usize, usize)>,
}

/// Scans `text`. Never fails: an unclosed string runs to the end of the file (the parser has
/// already rejected such a file; the formatter only scans text that parsed).
pub fn scan(text: &str) -> Tokens {
    let bytes = text.as_bytes();
    let mut tokens = Tokens::default();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text
                    .get(i..)
                    .and_then(|rest| rest.find('\n'))
                    .map_or(text.len(), |n| i + n);
                let raw = text.get(i..end).unwrap_or("");
                tokens.comments.push(Comment {
                    start: i,
                    end,
                    text: raw.trim_end().to_string(),
                });
                i = end;
            }
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
                let end = i.min(text.len());
                tokens.strings.push((start, end));
                i = end;
            }
            _ => {
                let start = i;
                while let Some(&c) = bytes.get(i) {
                    if matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'"')
                        || (c == b'/' && bytes.get(i + 1) == Some(&b'/'))
                    {
                        break;
                    }
                    i += 1;
                }
                tokens.code.push((start, i));
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_hide_comments_and_comments_hide_quotes() {
        let t = scan("text \"a // b \\\" c\" // say \"hi\"\nrule x = 1");
        assert_eq!(t.strings, vec![(5, 18)]);
        assert_eq!(t.comments.len(), 1);
        assert_eq!(t.comments[0].text, "// say \"hi\"");
        assert_eq!(t.code.len(), 5);
    }
}
