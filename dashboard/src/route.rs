//! Hash routes (`#/`, `#/job/<namespace>/<job_id>`): work on any static host
//! without rewrite rules.

/// A page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Overview and jobs table.
    Home,
    /// One job.
    Job { namespace: String, job_id: String },
}

impl Route {
    /// Parses `location.hash`.
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let mut parts = path.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("job"), Some(ns), Some(id), None) if !ns.is_empty() && !id.is_empty() => {
                Route::Job {
                    namespace: ns.to_string(),
                    job_id: id.to_string(),
                }
            }
            _ => Route::Home,
        }
    }
}

/// Link to a job's page.
pub fn job_href(namespace: &str, job_id: &str) -> String {
    format!("#/job/{namespace}/{job_id}")
}
