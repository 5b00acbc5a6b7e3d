//! Whatever the input, parsing and validation report problems and never panic.

use std::path::Path;

use fjc_spec::{parse_specs, units};

/// A small deterministic generator (xorshift64*); no dependency needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Characters that matter to YAML, JSON and the spec formats.
const INTERESTING: &[&str] = &[
    ":", "-", "[", "]", "{", "}", ",", "&a", "*a", "!", "!!str", "|", ">", "'", "\"", "#", "%",
    "@", "?", " ", "\n", "\t", "---", "...", "0", "-1", "1e999", "~", "null", "true", "\u{feff}",
    "\u{0}", "é", "s3://", "../", ".jar", "sha256:", "ms", "g", "*/5", "\\", "<<",
];

fn examples() -> Vec<String> {
    let dir = Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("../../examples");
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    texts.push(
        r#"{"job_id": "j", "job_type": "batch", "artifact_path": "s3://bucket/j.jar",
            "batch_config": {"cron": "0 2 * * *", "timezone": "Europe/Berlin"}}"#
            .to_string(),
    );
    texts
}

fn check(source: &str, text: &str) {
    if let Err(e) = parse_specs(source, text) {
        assert!(
            !e.problems.is_empty(),
            "an error without problems for {text:?}"
        );
        // A caught panic inside the YAML parser would show up as this message.
        assert!(
            !e.to_string().contains("internal error"),
            "{e}\ninput: {text:?}"
        );
    }
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let insert: Vec<char> = rng.pick(INTERESTING).chars().collect();
                chars.splice(at..at, insert);
            }
            2 if at < chars.len() => {
                let c = char::from_u32(rng.below(0x250) as u32).unwrap_or('?');
                chars[at] = c;
            }
            _ => {
                // Duplicate a slice (repeated keys, deeper nesting).
                let end = (at + rng.below(40)).min(chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn truncated_examples() {
    for text in examples() {
        let boundaries = text.char_indices().map(|(i, _)| i).chain([text.len()]);
        for end in boundaries {
            check("t.yaml", &text[..end]);
        }
    }
}

#[test]
fn mutated_examples() {
    let mut rng = Rng(0x5eed_f1c4_0000_0001);
    let examples = examples();
    for round in 0..3_000 {
        let base = rng.pick(&examples).clone();
        let text = mutate(&mut rng, &base);
        let source = if round % 5 == 0 { "t.json" } else { "t.yaml" };
        check(source, &text);
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x0dd_ba11);
    for _ in 0..3_000 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check("r.yaml", &String::from_utf8_lossy(&bytes));
        let tokens: String = (0..rng.below(60)).map(|_| *rng.pick(INTERESTING)).collect();
        check("r.yaml", &tokens);
        check("r.json", &tokens);
    }
}

#[test]
fn random_units_and_schedules() {
    let mut rng = Rng(42);
    let pieces = [
        "0",
        "1",
        "9",
        "*",
        "/",
        "-",
        ",",
        " ",
        "L",
        "W",
        "#",
        "?",
        "@",
        "MON",
        "ms",
        "s",
        "m",
        "g",
        "tb",
        "+",
        "99999999999999999999",
    ];
    for _ in 0..5_000 {
        let text: String = (0..rng.below(14)).map(|_| *rng.pick(&pieces)).collect();
        let _ = units::parse_duration(&text);
        let _ = units::parse_size(&text);
        let spec = format!(
            "{{\"job_id\": \"j\", \"job_type\": \"batch\", \"artifact_path\": \"j.jar\", \
             \"batch_config\": {{\"cron\": {text:?}, \"timezone\": {text:?}}}}}"
        );
        check("c.json", &spec);
    }
}
