//! `fjc validate`.

use std::path::PathBuf;

use crate::exit::Failure;
use crate::files;

/// Validates every file; prints each problem; fails if any file is invalid.
pub fn run(paths: &[PathBuf]) -> Result<(), Failure> {
    let files = files::expand(paths).map_err(Failure::User)?;
    let mut bad = 0;
    for f in &files {
        match files::load(f) {
            Ok(specs) => {
                let ids: Vec<&str> = specs.iter().map(|s| s.job_id.as_str()).collect();
                println!("ok: {} ({})", f.display(), ids.join(", "));
            }
            Err(problems) => {
                bad += 1;
                eprintln!("{problems}");
            }
        }
    }
    if bad > 0 {
        return Err(Failure::User(format!(
            "{bad} of {} file(s) invalid",
            files.len()
        )));
    }
    Ok(())
}
