//! Lock and atomic facade: std's normally, loom's under `--cfg loom`, so that
//! the loom models in this crate (`src/pool/loom_models.rs`,
//! `src/cache/loom_models.rs`) see every lock, condition variable and atomic
//! that the pool and the concurrent cache use.
//!
//! [`lock`] and [`wait`] ignore poisoning: no user hook runs under a shard
//! lock, so a panic there can only come from the key's `Eq` or a `Clone`,
//! after which the store is still consistent. (`parking_lot` was tried
//! instead of std's futex mutex: no measurable difference on the 2-thread
//! Zipf benchmark, so no extra dependency.)

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

use std::sync::PoisonError;

/// Locks `mutex`, ignoring poisoning.
#[inline]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Releases `guard`, waits for a notification on `condvar`, and locks again,
/// ignoring poisoning.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}
