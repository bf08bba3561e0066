//! What both pools ([`Pool`](crate::Pool) and [`BufPool`](crate::buf::BufPool))
//! share under their per-thread caches: the byte budget, the per-thread memo
//! that finds the calling thread's cache with one compare, and the watch
//! that tells a live thread from an exiting one.
//!
//! - [`Budget`]: bytes reserved against a pool's `max_retained_bytes`; every
//!   kept object is covered by a reservation made before it is stored.
//! - [`memo`]: `(pool id, cache address)` pairs for the last pools this
//!   thread used, so a warm get and return each find the cache without the
//!   `thread_local` crate's lookup.
//! - [`exit_watch`]: a thread-local destructor that runs before the
//!   `thread_local` crate releases the thread's id, clears the memo,
//!   abandons the thread's caches and marks the thread as exiting.
//! - [`ownership`]: a cache's claim, which an exiting thread gives up so
//!   that `trim` reaches the caches of exited threads.

mod budget;
pub(crate) mod exit_watch;
pub(crate) mod memo;
pub(crate) mod ownership;

#[cfg(all(test, loom))]
mod loom_models;

pub(crate) use self::budget::Budget;
