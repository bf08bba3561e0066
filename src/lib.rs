//! poolkit: pool, bound, prove.
#![warn(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

pub mod pool;
mod reset;
mod sync;

pub use pool::{OwnedPooled, Pool, PoolBuilder, PoolConfigError, PoolStats, Pooled};
pub use reset::Reset;
