//! poolkit: pool, bound, prove.
#![warn(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

mod reset;

pub use reset::Reset;
