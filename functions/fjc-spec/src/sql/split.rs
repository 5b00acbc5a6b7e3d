//! Splitting a script into statements, outside strings, quoted identifiers and
//! comments (see the module's rules).

use super::classify::{Inner, make};
use super::text::Text;
use super::{ScriptError, Statement};

/// Every statement of `script`.
pub(super) fn split_script(script: &str) -> Result<Vec<Statement>, ScriptError> {
    let text = Text::of(script);
    let mut out = Vec::new();
    split(&text, 0, text.chars.len(), &mut out, true)?;
    Ok(out)
}

/// The statement being split so far.
#[derive(Default)]
struct Current {
    /// Its first significant character.
    start: Option<usize>,
    /// Comments blanked, string literals emptied.
    shape: String,
    /// Comments blanked.
    clean: String,
    lead: Vec<String>,
    last_word: Option<String>,
}

impl Current {
    fn push(&mut self, s: &str) {
        self.shape.push_str(s);
        self.clean.push_str(s);
    }

    fn blank(&mut self) {
        if self.start.is_some() {
            self.push(" ");
        }
    }

    fn in_block(&self, top: bool) -> bool {
        top && self.lead.len() >= 4 && self.lead[..4] == ["EXECUTE", "STATEMENT", "SET", "BEGIN"]
    }

    fn ends_with_end(&self) -> bool {
        self.last_word.as_deref() == Some("END")
    }
}

/// Splits `text[from..to]` into statements appended to `out`. At the top level,
/// numbering continues from `out`'s length and `EXECUTE STATEMENT SET` blocks are
/// recognised.
fn split(
    text: &Text,
    from: usize,
    to: usize,
    out: &mut Vec<Statement>,
    top: bool,
) -> Result<(), ScriptError> {
    let s = &text.chars;
    let place = |out: &Vec<Statement>, start: Option<usize>, i: usize| {
        format!(
            "statement {} (line {})",
            out.len() + 1,
            text.line_of(start.unwrap_or(i))
        )
    };
    let mut cur = Current::default();
    let mut i = from;
    while i < to {
        let c = s[i];
        let next = if i + 1 < to { s[i + 1] } else { '\0' };
        if c == '-' && next == '-' {
            let end = text.find(i, "\n").filter(|e| *e <= to).unwrap_or(to);
            cur.blank();
            i = end;
            continue;
        }
        if c == '/' && next == '*' {
            let Some(end) = text.find(i + 2, "*/").filter(|e| e + 2 <= to) else {
                return Err(ScriptError(format!(
                    "{}: unterminated /* comment at line {} (no closing */)",
                    place(out, cur.start, i),
                    text.line_of(i)
                )));
            };
            // Hints (/*+ ... */) belong to the statement; other comments are blank space.
            if i + 2 < to && s[i + 2] == '+' && cur.start.is_some() {
                cur.push(&text.slice(i, end + 2));
            } else {
                cur.blank();
            }
            i = end + 2;
            continue;
        }
        if matches!(c, '\'' | '"' | '`') {
            let mut end = i + 1;
            loop {
                if end >= to {
                    return Err(ScriptError(format!(
                        "{}: unterminated {} at line {} (no closing {c})",
                        place(out, cur.start, i),
                        if c == '\'' {
                            "string literal"
                        } else {
                            "quoted identifier"
                        },
                        text.line_of(i)
                    )));
                }
                if s[end] == c {
                    if end + 1 < to && s[end + 1] == c {
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
            cur.start.get_or_insert(i);
            let quoted = text.slice(i, end + 1);
            cur.shape.push_str(if c == '\'' { "''" } else { &quoted });
            cur.clean.push_str(&quoted);
            cur.last_word = None;
            i = end + 1;
            continue;
        }
        if c == ';' {
            if cur.in_block(top) && !cur.ends_with_end() {
                cur.push(";");
                cur.last_word = None;
                i += 1;
                continue;
            }
            if let Some(start) = cur.start {
                let made = make(
                    text,
                    out.len() + 1,
                    start,
                    i,
                    (&cur.shape, &cur.clean),
                    inner(top),
                )?;
                out.push(made);
            }
            cur = Current::default();
            i += 1;
            continue;
        }
        if is_word_char(c) {
            let mut end = i;
            while end < to && is_word_char(s[end]) {
                end += 1;
            }
            cur.start.get_or_insert(i);
            let word = text.slice(i, end);
            if cur.lead.len() < 4 {
                cur.lead.push(word.to_uppercase());
            }
            cur.last_word = Some(word.to_uppercase());
            cur.push(&word);
            i = end;
            continue;
        }
        if !c.is_whitespace() {
            cur.start.get_or_insert(i);
            cur.last_word = None;
        }
        if cur.start.is_some() {
            cur.push(&c.to_string());
        }
        i += 1;
    }
    if let Some(start) = cur.start {
        if cur.in_block(top) && !cur.ends_with_end() {
            return Err(ScriptError(format!(
                "statement {} (line {}): EXECUTE STATEMENT SET BEGIN has no END",
                out.len() + 1,
                text.line_of(start)
            )));
        }
        let made = make(
            text,
            out.len() + 1,
            start,
            to,
            (&cur.shape, &cur.clean),
            inner(top),
        )?;
        out.push(made);
    }
    Ok(())
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// How a statement's inner statements (an `EXECUTE STATEMENT SET` block) are
/// split: only at the top level.
fn inner(top: bool) -> Option<Inner> {
    top.then_some(split_inner as Inner)
}

/// Splits a block's inner statements.
fn split_inner(
    text: &Text,
    from: usize,
    to: usize,
    out: &mut Vec<Statement>,
) -> Result<(), ScriptError> {
    split(text, from, to, out, false)
}
