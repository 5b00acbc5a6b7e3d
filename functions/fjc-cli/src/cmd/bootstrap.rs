//! `fjc bootstrap`.

use fjc_aws::dynamo::bootstrap::Bootstrapped;
use fjc_aws::wiring::bootstrap;

use crate::exit::Failure;

/// Creates the table if needed.
pub async fn run() -> Result<(), Failure> {
    let config = super::config()?;
    match bootstrap(&config).await? {
        Bootstrapped::Created => println!("created table {}", config.table),
        Bootstrapped::AlreadyExisted => println!("table {} already exists", config.table),
    }
    Ok(())
}
