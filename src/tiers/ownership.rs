//! Who may touch a thread cache: the thread it belongs to or, once that
//! thread has exited, `trim` on any thread, until a new thread adopts it.
//!
//! A thread's cache outlives the thread (the `thread_local` crate keeps it
//! for the next thread given the same id). Without this, the objects in it
//! stayed out of `trim`'s reach until such a thread came. With it:
//!
//! - a thread *claims* each cache it uses on its slow path (first use, or
//!   after a memo miss): a new cache, or one its id inherited, is recorded
//!   in the thread's exit watch;
//! - at thread exit the watch *abandons* every cache the thread claimed,
//!   before the `thread_local` crate releases the id;
//! - `trim`, on any thread, ages an abandoned cache as its owner would have
//!   at its next use (after two trims it is empty), holding the cache's
//!   claim so that no thread adopts it meanwhile;
//! - the next thread given the id claims the cache before its first use of
//!   it, and so waits for a trim in progress.
//!
//! The owner's fast path never looks at this: a claimed cache is found
//! through the memo, and the memo is cleared at exit before the caches are
//! abandoned.

use std::sync::Arc;

use super::exit_watch;
use crate::sync::{lock, Mutex};

/// A cache's claim: abandoned (no thread uses it) or claimed by the thread
/// whose `thread_local` id owns the cache.
///
/// The mutex orders the hand-overs between an exiting thread, `trim` and an
/// adopting thread: each holds it for the whole of its access to the cache
/// (the exiting thread: its last access happened before it locks it to
/// abandon). `src/tiers/loom_models.rs` models the three.
#[derive(Debug)]
pub(crate) struct Ownership {
    abandoned: Mutex<bool>,
}

impl Ownership {
    /// The claim of a cache just made: abandoned until its thread claims it.
    pub(crate) fn new() -> Arc<Ownership> {
        Arc::new(Ownership {
            abandoned: Mutex::new(true),
        })
    }

    /// The calling thread, which holds the `thread_local` id the cache
    /// belongs to, takes the cache over if it is abandoned and records it
    /// for its exit. Returns whether the thread may use the cache: false
    /// while the thread is exiting (it must not take a cache it cannot
    /// abandon again).
    #[cold]
    pub(crate) fn claim(self: &Arc<Self>) -> bool {
        let mut abandoned = lock(&self.abandoned);
        if *abandoned {
            if !exit_watch::record(Arc::clone(self)) {
                return false;
            }
            *abandoned = false;
        }
        true
    }

    /// Runs `f` if the cache is abandoned, holding the claim so that no
    /// thread adopts the cache meanwhile. `f` must not run user code (the
    /// claim is a lock).
    pub(crate) fn if_abandoned<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        let abandoned = lock(&self.abandoned);
        abandoned.then(f)
    }

    /// Gives the cache up: its thread is exiting and will not touch it again.
    pub(crate) fn abandon(&self) {
        *lock(&self.abandoned) = true;
    }

    /// Whether the pool that made this claim still exists (it holds the
    /// other reference).
    pub(crate) fn pool_alive(self: &Arc<Self>) -> bool {
        Arc::strong_count(self) > 1
    }
}

/// A pool's record of its thread caches and their claims, so that `trim`
/// finds the abandoned ones. One record per cache the pool made (caches
/// are reused across thread exits), so it is bounded by the number of
/// threads alive at once.
pub(crate) struct Registry<C> {
    records: Mutex<Vec<Record<C>>>,
}

struct Record<C> {
    /// A cache in the pool's `ThreadLocal`: never moved or freed before the
    /// pool is dropped, and the registry is part of the pool.
    cache: *const C,
    ownership: Arc<Ownership>,
}

// SAFETY: a record only carries the pointer between threads; it is
// dereferenced by `for_each_abandoned` alone, while the cache is abandoned
// and its claim is held, so no other thread touches the cache then. The
// cache itself is `Send` (`C: Send`): handing it to the trimming thread for
// that while is a move between threads.
#[allow(unsafe_code)]
unsafe impl<C: Send> Send for Record<C> {}

impl<C> Default for Registry<C> {
    fn default() -> Self {
        Registry {
            records: Mutex::new(Vec::new()),
        }
    }
}

impl<C: Send> Registry<C> {
    /// Records `cache`, just made in the pool's `ThreadLocal`, with its claim.
    #[cold]
    pub(crate) fn add(&self, cache: &C, ownership: &Arc<Ownership>) {
        lock(&self.records).push(Record {
            cache: std::ptr::from_ref(cache),
            ownership: Arc::clone(ownership),
        });
    }

    /// Runs `f` on every abandoned cache, holding its claim. `f` must not
    /// run user code (it runs under locks).
    #[allow(unsafe_code)]
    pub(crate) fn for_each_abandoned(&self, mut f: impl FnMut(&C)) {
        let records = lock(&self.records);
        for record in records.iter() {
            record.ownership.if_abandoned(|| {
                // SAFETY: `record.cache` points into the pool's
                // `ThreadLocal`, which lives as long as the pool, and the
                // pool is borrowed by the caller (this registry is one of
                // its fields). The cache is abandoned and we hold its claim:
                // its last owner gave it up at exit after its last use (the
                // exit watch clears the memo first and no claim succeeds on
                // an exiting thread), and a new owner claims it before its
                // first use, which waits for this claim. So no other thread
                // accesses the cache while `f` runs, and the claim's mutex
                // orders `f`'s accesses after the last owner's and before
                // the next one's.
                f(unsafe { &*record.cache });
            });
        }
    }
}
