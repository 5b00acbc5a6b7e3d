//! The controller's pure domain: every decision, and nothing that calls out.
//!
//! - [`planner`]: (specs, stored states, observed clusters, now) → actions.
//! - [`operation`]: each operation (savepoint, carry-over, stop, …) as a step
//!   function: (state, the answer to its last effect, now) → the next effect, a
//!   time to look again at, or its end.
//! - The records they decide over: [`state`] (a job's state, the write-ahead
//!   log), [`runs`] (batch runs), [`revisions`], [`record`] (a stored spec),
//!   [`restore`] (restore point candidates).
//! - Rules: [`schedule`] (cron), [`shard`], [`scope`], [`breaker`], [`status`],
//!   [`signals`] (health signals and rollout gates), [`events`] (the outbox of
//!   lifecycle events and alerts).
//!
//! Time is given ([`clock`]); the engine (`fjc-core`) carries decisions out.

pub mod breaker;
pub mod clock;
pub mod events;
pub mod operation;
pub mod planner;
pub mod record;
pub mod restore;
pub mod revisions;
pub mod runs;
pub mod schedule;
pub mod scope;
pub mod shard;
pub mod signals;
pub mod snapshot;
pub mod state;
pub mod status;
