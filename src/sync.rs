//! Atomics facade: std's atomics normally, loom's under `--cfg loom`, so that
//! the loom models in this crate check every atomic the pool really uses.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
