//! Lock and atomic facade of the concurrent cache: std normally, loom's under `--cfg loom`,
//! so that the loom models in `loom_models.rs` see every lock, condition variable and atomic
//! the sharded cache uses.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, Ordering},
    Condvar, Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, Ordering},
    Condvar, Mutex, MutexGuard,
};
