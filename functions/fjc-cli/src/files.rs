//! Reading spec files: explicit files, or every `.yaml`/`.yml`/`.json` in a directory.

use std::path::{Path, PathBuf};

use fjc_spec::{JobSpec, parse_specs};

/// Expands directories (not recursively) into their spec files, sorted.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| is_spec_file(f))
                .collect();
            entries.sort();
            if entries.is_empty() {
                return Err(format!("{}: no .yaml, .yml or .json files", p.display()));
            }
            out.extend(entries);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn is_spec_file(p: &Path) -> bool {
    p.is_file()
        && matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        )
}

/// Reads and validates one file; `Err` holds every problem, already formatted.
pub fn load(path: &Path) -> Result<Vec<JobSpec>, String> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: {e}"))?;
    if meta.len() > fjc_spec::MAX_SPEC_BYTES as u64 {
        return Err(format!(
            "{name}: file is {} bytes; the limit is {} bytes (256 KiB)",
            meta.len(),
            fjc_spec::MAX_SPEC_BYTES
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    parse_specs(&name, &text).map_err(|e| e.to_string())
}
