//! The script as characters, with its line starts, and a view of it with
//! strings and comments blanked out.

/// The script's characters and where its lines start (positions count
/// characters, as the runner's do).
pub(super) struct Text {
    pub(super) chars: Vec<char>,
    line_starts: Vec<usize>,
}

impl Text {
    pub(super) fn of(script: &str) -> Text {
        let chars: Vec<char> = script.chars().collect();
        let mut line_starts = vec![0];
        line_starts.extend(
            chars
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == '\n')
                .map(|(i, _)| i + 1),
        );
        Text { chars, line_starts }
    }

    /// The 1-based line of character `offset`.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|s| *s <= offset).max(1)
    }

    /// The characters `from..to` as a string.
    pub(super) fn slice(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }

    pub(super) fn find(&self, from: usize, what: &str) -> Option<usize> {
        let what: Vec<char> = what.chars().collect();
        (from..self.chars.len()).find(|i| self.chars[*i..].starts_with(&what))
    }
}

/// `text[from..to]` with string literals, quoted identifiers and comments made
/// spaces (newlines kept), so words can be found outside them.
pub(super) fn mask(text: &Text, from: usize, to: usize) -> Vec<char> {
    let s = &text.chars[from..to];
    let mut b = s.to_vec();
    let n = s.len();
    let mut i = 0;
    while i < n {
        let c = s[i];
        let next = if i + 1 < n { s[i + 1] } else { '\0' };
        let end = if c == '-' && next == '-' {
            (i..n).find(|k| s[*k] == '\n').unwrap_or(n)
        } else if c == '/' && next == '*' {
            (i + 2..n.saturating_sub(1))
                .find(|k| s[*k] == '*' && s[k + 1] == '/')
                .map_or(n, |k| k + 2)
        } else if matches!(c, '\'' | '"' | '`') {
            let mut e = i + 1;
            while e < n {
                if s[e] == c {
                    if e + 1 < n && s[e + 1] == c {
                        e += 2;
                        continue;
                    }
                    e += 1;
                    break;
                }
                e += 1;
            }
            e
        } else {
            i += 1;
            continue;
        };
        for ch in &mut b[i..end] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        i = end;
    }
    b
}
