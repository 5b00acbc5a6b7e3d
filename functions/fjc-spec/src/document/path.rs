//! Field paths as shown to users: `deployment.parallelism`, `args[2]`,
//! `env_vars.FOO`, `env_vars["odd key"]`.

/// The path of `key` inside the mapping at `parent` (empty for the root).
///
/// Keys made of ASCII letters, digits, `_` and `-` are joined with a dot; others are
/// written as a JSON-quoted string in brackets.
pub fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, parent.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{}]", quote(key)),
    }
}

/// The path of item `index` of the sequence at `parent`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The parent of a path built by [`key_path`] / [`index_path`]; `None` for the root
/// (the empty path).
pub fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let mut last_separator = 0;
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in path.char_indices() {
        if in_quote {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_quote = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_quote = true,
                '.' | '[' => last_separator = i,
                _ => {}
            }
        }
    }
    path.get(..last_separator)
}

fn quote(key: &str) -> String {
    // Serializing a string cannot fail; fall back to Debug quoting just in case.
    serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        assert_eq!(key_path("", "job_id"), "job_id");
        assert_eq!(
            key_path("deployment", "parallelism"),
            "deployment.parallelism"
        );
        assert_eq!(key_path("env_vars", "FOO"), "env_vars.FOO");
        assert_eq!(key_path("env_vars", "a.b"), r#"env_vars["a.b"]"#);
        assert_eq!(key_path("", ""), r#"[""]"#);
        assert_eq!(index_path("args", 2), "args[2]");
        assert_eq!(index_path("", 0), "[0]");
    }

    #[test]
    fn parents() {
        let cases = [
            ("deployment.parallelism", Some("deployment")),
            ("deployment", Some("")),
            ("args[2]", Some("args")),
            ("[0]", Some("")),
            (r#"env_vars["a.b[c"]"#, Some("env_vars")),
            (r#"env_vars["q\"].x"]"#, Some("env_vars")),
            (r#"x["a"].y"#, Some(r#"x["a"]"#)),
            ("", None),
        ];
        for (path, parent) in cases {
            assert_eq!(parent_path(path), parent, "{path}");
        }
    }
}
