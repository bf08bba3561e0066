//! poolkit: pool, bound, prove.
#![warn(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

pub mod cache;
mod reset;

pub use cache::{ManualClock, ShardedTtlCache, TtlCache};
pub use reset::Reset;
