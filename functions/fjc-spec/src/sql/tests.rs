//! The offline check against the fixture corpus both implementations share
//! (`sql-runner/fixtures/`, see its README), and the runner's examples.

use std::path::{Path, PathBuf};

use super::{Kind, Statement, check, parse};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Set => "SET",
        Kind::Ddl => "DDL",
        Kind::Insert => "INSERT",
        Kind::StatementSet => "STATEMENT_SET",
        Kind::BeginSet => "BEGIN_SET",
        Kind::EndSet => "END_SET",
        Kind::Refused => "REFUSED",
        Kind::Unknown => "UNKNOWN",
    }
}

fn line(s: &Statement, indent: &str) -> String {
    format!(
        "{}\t{}\t{indent}{}\t{}\n",
        s.number,
        s.line,
        kind_name(s.kind),
        s.first_line()
    )
}

/// What `fjc.sql.SqlScript --script` prints for `script`.
fn render(script: &str) -> String {
    let statements = match parse(script) {
        Ok(s) => s,
        Err(e) => return format!("fjc-sql: {e}\n"),
    };
    let mut out = String::new();
    for s in &statements {
        out.push_str(&line(s, ""));
        for c in &s.children {
            out.push_str(&line(c, "  "));
        }
    }
    if let Err(e) = check(script) {
        out.push_str(&format!("fjc-sql: {e}\n"));
    }
    out
}

#[test]
fn every_fixture_gives_what_the_runner_gives() {
    let dir = repo().join("sql-runner/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let script = std::fs::read_to_string(&path).expect("script");
        let expected =
            std::fs::read_to_string(path.with_extension("expect")).expect("its .expect file");
        assert_eq!(render(&script), expected, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 12, "only {seen} fixtures");
}

#[test]
fn set_statements_give_their_key_and_value() {
    let s = check("SET 'a.b' = 'it''s';\nset x = y;\nINSERT INTO t SELECT 1").expect("ok");
    assert_eq!(s[0].set, Some(("a.b".into(), "it's".into())));
    assert_eq!(s[1].set, Some(("x".into(), "y".into())));
    assert_eq!((s[2].number, s[2].line, s[2].kind), (3, 3, Kind::Insert));
}

#[test]
fn lines_count_characters_not_bytes() {
    let s = check("-- ünïcödé\nCREATE TABLE t (k INT);\n\nINSERT INTO t SELECT 'ß;'").expect("ok");
    assert_eq!((s[0].line, s[1].line), (2, 4));
    assert_eq!(s[1].text, "INSERT INTO t SELECT 'ß;'");
}
