//! `fjc schema`.

use crate::exit::Failure;

/// Prints the JSON Schema generated from the spec types.
pub fn run() -> Result<(), Failure> {
    let schema = fjc_spec::schema::json_schema();
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Failure::Infra(format!("cannot render the schema: {e}")))?;
    println!("{text}");
    Ok(())
}
