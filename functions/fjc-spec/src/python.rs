//! PyFlink programs, checked offline as far as that goes without Python: a
//! script (`.py`) is non-empty UTF-8 text, a package (`.zip` with
//! `python.entry_module`) is a zip archive. Python itself judges the code when
//! the job starts on the cluster (`python-runner/`): an import error ends that
//! run with Python's last traceback line.

/// The first bytes of a zip archive (a local file header, or the end record of
/// an empty archive).
const ZIP_MAGIC: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];

/// Whether `bytes` can be a PyFlink script (`package` false) or package.
pub fn check(bytes: &[u8], package: bool) -> Result<(), String> {
    if package {
        if !ZIP_MAGIC.iter().any(|m| bytes.starts_with(m)) {
            return Err("a Python package must be a .zip archive".into());
        }
        return Ok(());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "the Python script is not UTF-8 text")?;
    let code = text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#')
    });
    if !code {
        return Err("the Python script is empty (no line of code)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn scripts_and_packages() {
        assert!(check(b"print(1)\n", false).is_ok());
        assert!(
            check(b"", false)
                .unwrap_err()
                .contains("empty (no line of code)")
        );
        assert!(check(b"# only a comment\n\n", false).is_err());
        assert!(
            check(&[0xff, 0xfe, b'x'], false)
                .unwrap_err()
                .contains("UTF-8")
        );
        assert!(check(b"PK\x03\x04rest", true).is_ok());
        assert!(check(b"print(1)", true).unwrap_err().contains(".zip"));
    }
}
