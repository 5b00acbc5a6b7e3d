//! The `artifact-event` function: reacting to job jars uploaded to the artifact
//! bucket.
//!
//! - [`event`]: what S3 delivers (a notification with `Records`, or the same news
//!   through EventBridge) turned into the objects that were created.
//! - [`refresh`]: verifying those objects for the specs that use them, recording
//!   the accepted ones and reconciling just those jobs.

/// The S3 and EventBridge events this function is given ([`crate::s3_event`]).
pub use crate::s3_event as event;
pub mod refresh;

pub use refresh::{
    EventReport, ObjectOutcome, handle_event, handle_event_until, refresh_artifacts,
};
