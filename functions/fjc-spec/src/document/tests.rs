use serde_json::json;

use super::*;

fn yaml(text: &str) -> Vec<Document> {
    match parse_documents("t.yaml", text) {
        Ok(docs) => docs,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn yaml_err(text: &str) -> Vec<Problem> {
    match parse_documents("t.yaml", text) {
        Ok(docs) => panic!("expected an error, got {docs:?}"),
        Err(e) => e.problems,
    }
}

#[test]
fn lines_for_every_path() {
    let docs = yaml(
        "# comment\n\
         job_id: a\n\
         deployment:\n  \
           parallelism: 2\n\
         args:\n  - x\n  - y\n  - z\n\
         env_vars: {FOO: bar, \"a.b\": c}\n",
    );
    let doc = &docs[0];
    let line = |p: &str| doc.lines.get(p).copied();
    assert_eq!(line("job_id"), Some(2));
    assert_eq!(line("deployment"), Some(3));
    assert_eq!(line("deployment.parallelism"), Some(4));
    assert_eq!(line("args"), Some(5));
    assert_eq!(line("args[2]"), Some(8));
    assert_eq!(line("env_vars.FOO"), Some(9));
    assert_eq!(line(r#"env_vars["a.b"]"#), Some(9));
    // Unknown paths fall back to their nearest ancestor.
    assert_eq!(doc.line_of("deployment.missing"), Some(3));
    assert_eq!(doc.line_of("args[7]"), Some(5));
    assert_eq!(doc.line_of("nothing.here"), Some(2));
}

#[test]
fn yaml_core_schema_values() {
    let docs = yaml(
        "i: 42\nf: 1.5\nb: true\nn: ~\ns: 30s\nq: \"42\"\nyes_is_text: yes\nblock: |\n  two\n  lines\n",
    );
    assert_eq!(
        docs[0].value,
        json!({
            "i": 42, "f": 1.5, "b": true, "n": null, "s": "30s", "q": "42",
            "yes_is_text": "yes", "block": "two\nlines\n"
        })
    );
}

#[test]
fn multiple_documents() {
    let docs = yaml("a: 1\n---\nb: 2\n---\nc: 3\n");
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[2].value, json!({"c": 3}));
    assert_eq!(docs[2].lines.get("c"), Some(&5));
    assert!(yaml("").is_empty());
    assert!(yaml("# only a comment\n").is_empty());
}

#[test]
fn anchors_and_aliases() {
    let docs = yaml("base: &b {x: 1, y: [a, b]}\ncopy: *b\nname: &n hello\nagain: *n\n");
    let value = &docs[0].value;
    assert_eq!(value["copy"], json!({"x": 1, "y": ["a", "b"]}));
    assert_eq!(value["again"], json!("hello"));
    // Paths inside an alias take the alias's line.
    assert_eq!(docs[0].line_of("copy.y[1]"), Some(2));
}

#[test]
fn alias_bomb_is_refused() {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut prev = 'a';
    for name in 'b'..='j' {
        let refs = vec![format!("*{prev}"); 10].join(", ");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        prev = name;
    }
    let problems = yaml_err(&text);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].message.contains("more than 100000 nodes"),
        "{problems:?}"
    );
    assert!(problems[0].line.is_some());
}

#[test]
fn deep_nesting_is_refused() {
    let text = format!("a: {}{}", "[".repeat(100), "]".repeat(100));
    let problems = yaml_err(&text);
    assert!(
        problems[0].message.contains("nested more than 64"),
        "{problems:?}"
    );
    // Deeper still, yaml-rust2's own limit answers first.
    let text = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(yaml_err(&text).len(), 1);
    let block: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    assert!(yaml_err(&block)[0].message.contains("nested more than 64"));
    // Aliases cannot be used to nest deeper either.
    let mut text = format!("a: &a {}1{}\n", "[".repeat(40), "]".repeat(40));
    text.push_str(&format!("b: {}*a{}\n", "[".repeat(40), "]".repeat(40)));
    assert!(yaml_err(&text)[0].message.contains("nested more than 64"));
}

#[test]
fn duplicate_and_non_string_keys() {
    let problems = yaml_err("a: 1\nb:\n  c: 1\n  c: 2\n1: x\n[k]: y\n? {m: 1}\n: z\n");
    let found: Vec<(&str, Option<usize>, &str)> = problems
        .iter()
        .map(|p| (p.path.as_str(), p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("b.c", Some(4), "duplicate key \"c\" (first at line 3)"),
            ("", Some(5), "mapping keys must be strings, found number 1"),
            (
                "",
                Some(6),
                "mapping keys must be strings, found a sequence"
            ),
            ("", Some(7), "mapping keys must be strings, found a mapping"),
        ]
    );
}

#[test]
fn tags() {
    let docs = yaml("a: !!str 10\nb: !!int \"7\"\nc: ! true\nd: !!map {x: 1}\n");
    assert_eq!(
        docs[0].value,
        json!({"a": "10", "b": 7, "c": "true", "d": {"x": 1}})
    );
    let problems = yaml_err("a: !custom x\nb: !!int nope\nc: !!seq {x: 1}\n");
    let messages: Vec<_> = problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        vec![
            (Some(1), "unsupported tag `!custom`"),
            (Some(2), "\"nope\" is not a valid `!!int`"),
            (Some(3), "unsupported tag `!!seq`"),
        ]
    );
}

#[test]
fn yaml_syntax_errors_have_a_line() {
    let problems = yaml_err("a: 1\nb: [1, 2\nc: d\n");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, Some(3));
    assert!(
        problems[0].message.starts_with("invalid YAML: "),
        "{problems:?}"
    );
    let problems = yaml_err("a: 1\n  b: 2\n");
    assert_eq!(problems[0].line, Some(2));
    let problems = yaml_err("a: *unknown\n");
    assert_eq!(problems[0].line, Some(1));
}

#[test]
fn json_input() {
    let docs = parse_documents("spec.json", r#"{"a": 1, "b": [true]}"#).unwrap_or_default();
    assert_eq!(docs, vec![Document::new(json!({"a": 1, "b": [true]}))]);
    // Detected from the text too, and an array holds several documents.
    let docs = parse_documents("spec", "  [{\"a\": 1}, {\"b\": 2}]").unwrap_or_default();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].prefix, "[1]");
    assert_eq!(docs[1].locate(Problem::new("b", "x")).path, "[1].b");
    assert_eq!(docs[1].locate(Problem::new("", "x")).path, "[1]");
}

#[test]
fn json_errors() {
    let err = parse_documents("spec.json", "{\"a\": 1,\n \"a\": 2}").unwrap_err();
    assert_eq!(err.problems[0].line, Some(2));
    assert!(
        err.problems[0].message.contains("duplicate key \"a\""),
        "{err}"
    );
    let err = parse_documents("spec.json", "{\"a\": 1,\n\n \"b\" 2}").unwrap_err();
    assert_eq!(err.problems[0].line, Some(3));
    assert!(
        err.problems[0]
            .message
            .starts_with("invalid JSON: expected `:`"),
        "{err}"
    );
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    assert!(parse_documents("spec.json", &deep).is_err());
}

#[test]
fn size_limit() {
    let text = format!("a: \"{}\"\n", "x".repeat(300 * 1024));
    let err = parse_documents("big.yaml", &text).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    let message = &err.problems[0].message;
    assert!(message.contains(&text.len().to_string()), "{message}");
    assert!(message.contains("262144 bytes (256 KiB)"), "{message}");
    let just_fits = format!("a: \"{}\"\n", "x".repeat(MAX_SPEC_BYTES - 6));
    assert_eq!(just_fits.len(), MAX_SPEC_BYTES);
    assert!(parse_documents("ok.yaml", &just_fits).is_ok());
}

#[test]
fn format_detection() {
    assert_eq!(Format::detect("x.JSON", "a: 1"), Format::Json);
    assert_eq!(Format::detect("x.yaml", "\n  {\"a\": 1}"), Format::Json);
    assert_eq!(Format::detect("x.yaml", "a: {b: 1}"), Format::Yaml);
}
