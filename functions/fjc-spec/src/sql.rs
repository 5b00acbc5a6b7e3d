//! Flink SQL job scripts, checked offline: split into statements, each
//! classified from its leading words, and the script judged runnable as one job
//! (no client-only command, statement sets well formed, at least one
//! `INSERT INTO`).
//!
//! The same rules run in the SQL runner on the cluster (`sql-runner/`,
//! `fjc.sql.SqlScript`), which is what the controller submits for a SQL job;
//! `fjc validate` uses this module so a script is refused before anything is
//! deployed. Both are held to one corpus of scripts with their expected
//! outcomes (`sql-runner/fixtures/`), which the unit tests here and
//! `tests/sql.rs` (running the runner's own check) both compare.
//!
//! Splitting: `;` ends a statement except inside `'…'` strings (with `''`
//! escapes), `"…"` and `` `…` `` quoted identifiers, `--` line comments and
//! `/* */` block comments. An `EXECUTE STATEMENT SET BEGIN … END` block is one
//! statement: inside it only a `;` right after the word `END` ends it.

mod classify;
mod split;
#[cfg(test)]
mod tests;
mod text;

/// What a statement does, decided from its leading words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `SET 'key' = 'value'`.
    Set,
    /// `CREATE`/`DROP`/`ALTER` (not CTAS), `USE`, `LOAD`/`UNLOAD MODULE`.
    Ddl,
    /// `INSERT INTO`/`OVERWRITE`, `EXECUTE INSERT`.
    Insert,
    /// `EXECUTE STATEMENT SET BEGIN … END` (its `INSERT`s are the children).
    StatementSet,
    /// `BEGIN STATEMENT SET` (the SQL client's form; `INSERT`s follow until `END`).
    BeginSet,
    /// `END` (closes `BEGIN STATEMENT SET`).
    EndSet,
    /// Client-only commands, queries without `INSERT`, unsupported statements.
    Refused,
    /// None of the above: left to Flink's parser, which names the error.
    Unknown,
}

/// One statement with its place in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based among the script's statements (a statement set's children carry
    /// the set's number).
    pub number: usize,
    /// 1-based line of its first character.
    pub line: usize,
    /// As written, without the trailing `;`.
    pub text: String,
    /// What it does.
    pub kind: Kind,
    /// Why a [`Kind::Refused`] statement is refused.
    pub refusal: Option<String>,
    /// The statements of a [`Kind::StatementSet`].
    pub children: Vec<Statement>,
    /// The key and value of a [`Kind::Set`].
    pub set: Option<(String, String)>,
}

impl Statement {
    /// The first line of the statement, shortened for messages.
    pub fn first_line(&self) -> String {
        let first = self.text.lines().next().unwrap_or("").trim();
        if first.chars().count() > 100 {
            format!("{}...", first.chars().take(97).collect::<String>())
        } else {
            first.to_string()
        }
    }

    /// `statement N (line L)`.
    pub fn place(&self) -> String {
        format!("statement {} (line {})", self.number, self.line)
    }
}

/// Why a script cannot run as a job: one line, naming the statement and its line
/// where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScriptError(pub String);

impl ScriptError {
    fn at(s: &Statement, message: impl AsRef<str>) -> ScriptError {
        ScriptError(format!("{}: {}", s.place(), message.as_ref()))
    }
}

/// Splits and classifies `script`; an empty script, or one whose quotes or
/// comments do not close, is an error.
pub fn parse(script: &str) -> Result<Vec<Statement>, ScriptError> {
    let statements = split::split_script(script)?;
    if statements.is_empty() {
        return Err(ScriptError(
            "the script is empty: no SQL statement to run".into(),
        ));
    }
    Ok(statements)
}

/// [`parse`], then what can be checked without Flink: no refused statement,
/// statement sets well formed, at least one `INSERT INTO`. The first problem is
/// the error.
pub fn check(script: &str) -> Result<Vec<Statement>, ScriptError> {
    let statements = parse(script)?;
    check_offline(&statements)?;
    Ok(statements)
}

fn check_offline(statements: &[Statement]) -> Result<(), ScriptError> {
    let mut in_legacy_set = false;
    let mut inserts = 0;
    for s in statements {
        match s.kind {
            Kind::Refused => {
                let why = s.refusal.as_deref().unwrap_or("not supported");
                return Err(ScriptError::at(s, format!("{why}: {}", s.first_line())));
            }
            Kind::BeginSet if in_legacy_set => {
                return Err(ScriptError::at(
                    s,
                    "BEGIN STATEMENT SET inside a statement set",
                ));
            }
            Kind::BeginSet => in_legacy_set = true,
            Kind::EndSet if !in_legacy_set => {
                return Err(ScriptError::at(s, "END without BEGIN STATEMENT SET"));
            }
            Kind::EndSet => in_legacy_set = false,
            Kind::StatementSet => {
                if s.children.is_empty() {
                    return Err(ScriptError::at(s, "EXECUTE STATEMENT SET holds no INSERT"));
                }
                for c in &s.children {
                    if c.kind != Kind::Insert {
                        return Err(ScriptError::at(
                            c,
                            format!(
                                "only INSERT INTO is allowed inside EXECUTE STATEMENT SET: {}",
                                c.first_line()
                            ),
                        ));
                    }
                    inserts += 1;
                }
            }
            Kind::Insert => inserts += 1,
            _ if in_legacy_set => {
                return Err(ScriptError::at(
                    s,
                    format!(
                        "only INSERT INTO is allowed inside a statement set: {}",
                        s.first_line()
                    ),
                ));
            }
            _ => {}
        }
    }
    if in_legacy_set {
        return Err(ScriptError("BEGIN STATEMENT SET has no END".into()));
    }
    if inserts == 0 {
        return Err(ScriptError(format!(
            "no INSERT INTO: the script defines no job (statements: {})",
            statements.len()
        )));
    }
    Ok(())
}
