//! What a statement is, from its leading words (the runner's classification).

use std::sync::LazyLock;

use regex::Regex;

use super::text::{Text, mask};
use super::{Kind, ScriptError, Statement};

static WORDS: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z_][A-Za-z0-9_$]*"));
static SET_KV: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?is)^SET\s+('(?:[^']|'')*'|[^\s=']+)\s*=\s*('(?:[^']|'')*'|[^\s']+)\s*$")
});
static CTAS: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?is)^(CREATE\s+(OR\s+REPLACE\s+)?(TEMPORARY\s+)?TABLE|REPLACE\s+TABLE)\b.*",
        r"\bAS\s*\(?\s*(SELECT|WITH|VALUES)\b"
    ))
});
static EXECUTE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bEXECUTE\b"));
static BEGIN: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bBEGIN\b"));
static END: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bEND\s*$"));

/// A fixed pattern (a defect if it does not compile, caught by every test).
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("bad pattern {pattern}: {e}"))
}

const NO_INSERT: &str =
    "a query without INSERT INTO: a job script must write its results with INSERT INTO";

fn client_only(what: &str) -> String {
    format!("{what} is a SQL client command, not allowed in a job script")
}

/// Splits a statement set's inner statements (given by the splitter, so this
/// module does not depend on it).
pub(super) type Inner = fn(&Text, usize, usize, &mut Vec<Statement>) -> Result<(), ScriptError>;

/// The statement numbered `number` at `text[start..end]`, classified; `inner`
/// splits the statements of an `EXECUTE STATEMENT SET` (top level only).
pub(super) fn make(
    text: &Text,
    number: usize,
    start: usize,
    end: usize,
    (shape, clean): (&str, &str),
    inner: Option<Inner>,
) -> Result<Statement, ScriptError> {
    let mut written = text.slice(start, end).trim_end().to_string();
    let line = text.line_of(start);
    let shape = shape.trim();
    let words: Vec<String> = WORDS
        .find_iter(shape)
        .take(4)
        .map(|m| m.as_str().to_uppercase())
        .collect();
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    let (w0, w1, w2) = (word(0), word(1), word(2));
    let mut set = None;
    let mut children = Vec::new();
    let refused = |why: String| (Kind::Refused, Some(why));
    let (kind, refusal) = match w0 {
        "SET" if words.len() == 1 && shape.eq_ignore_ascii_case("SET") => {
            refused(client_only("SET without a key"))
        }
        "SET" => match SET_KV.captures(clean.trim()) {
            Some(kv) => {
                set = Some((unquote(&kv[1]), unquote(&kv[2])));
                (Kind::Set, None)
            }
            None => refused("SET must have the form SET 'key' = 'value'".into()),
        },
        "CREATE" | "REPLACE" if CTAS.is_match(shape) => refused(
            "CREATE TABLE ... AS SELECT is not supported: use CREATE TABLE and INSERT INTO".into(),
        ),
        "REPLACE" => refused("REPLACE TABLE is not supported".into()),
        "CREATE" | "DROP" | "ALTER" | "USE" | "LOAD" | "UNLOAD" => (Kind::Ddl, None),
        "INSERT" => (Kind::Insert, None),
        "EXECUTE" if w1 == "INSERT" => {
            // "EXECUTE INSERT ..." is "INSERT ..."; spaces keep positions right.
            if let Some(m) = EXECUTE.find(&written) {
                written.replace_range(m.range(), "       ");
            }
            (Kind::Insert, None)
        }
        "EXECUTE" if w1 == "STATEMENT" && w2 == "SET" && inner.is_some() => {
            if let Some(split) = inner {
                children = block_children(text, (start, end), number, line, split)?;
            }
            (Kind::StatementSet, None)
        }
        "EXECUTE" if w1 == "PLAN" => refused("EXECUTE PLAN is not supported by fjc-sql".into()),
        "BEGIN" if w1 == "STATEMENT" && w2 == "SET" && words.len() == 3 => (Kind::BeginSet, None),
        "END" if words.len() == 1 => (Kind::EndSet, None),
        "SELECT" | "WITH" | "VALUES" | "TABLE" => refused(NO_INSERT.into()),
        "SHOW" | "DESCRIBE" | "DESC" | "EXPLAIN" | "RESET" | "QUIT" | "EXIT" | "HELP" | "CLEAR"
        | "SOURCE" => refused(client_only(w0)),
        "ADD" | "REMOVE" if w1.is_empty() => refused(client_only(w0)),
        "ADD" | "REMOVE" => refused(client_only(&format!("{w0} {w1}"))),
        "STOP" => refused(client_only("STOP JOB")),
        "DELETE" | "UPDATE" | "TRUNCATE" | "ANALYZE" | "CALL" | "COMPILE" => {
            refused(format!("{w0} is not supported by fjc-sql"))
        }
        _ if shape.starts_with('(') => refused(NO_INSERT.into()),
        _ => (Kind::Unknown, None),
    };
    Ok(Statement {
        number,
        line,
        text: written,
        kind,
        refusal,
        children,
        set,
    })
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) if v.len() >= 2 => inner.replace("''", "'"),
        _ => v.to_string(),
    }
}

/// The statements between `BEGIN` and `END` of an `EXECUTE STATEMENT SET` at
/// `text[start..end]`, numbered as the set.
fn block_children(
    text: &Text,
    (start, end): (usize, usize),
    number: usize,
    line: usize,
    split: Inner,
) -> Result<Vec<Statement>, ScriptError> {
    let masked: String = mask(text, start, end).into_iter().collect();
    let trimmed = masked.trim_end();
    let chars_before = |byte: usize| masked[..byte].chars().count();
    let (Some(begin), Some(last)) = (BEGIN.find(&masked), END.find(trimmed)) else {
        return Err(ScriptError(format!(
            "statement {number} (line {line}): EXECUTE STATEMENT SET must be \
             EXECUTE STATEMENT SET BEGIN ... END"
        )));
    };
    let mut inner = Vec::new();
    split(
        text,
        start + chars_before(begin.end()),
        start + chars_before(last.start()),
        &mut inner,
    )?;
    Ok(inner
        .into_iter()
        .map(|c| Statement { number, ..c })
        .collect())
}
