//! The calling thread's cache of a pool, found with one compare.
//!
//! Each pool's thread caches live in a `thread_local::ThreadLocal`, whose
//! lookup (the thread's id from a thread-local, a bucket pointer, an entry
//! flag) costs more than the rest of a warm get. The memo keeps, per thread,
//! the cache address of the last few pools used, keyed by a pool id that is
//! never reused (a 64-bit counter): a pool dropped and another built at the
//! same address get different ids, so a stale entry never matches a live
//! pool.
//!
//! # Why an entry stays valid
//!
//! An entry `(id, address)` is written only by [`remember`], on this thread,
//! with the address the pool with that id got from its `ThreadLocal` for
//! this thread. The address stays valid, and this thread's alone:
//!
//! - while the pool lives: a `ThreadLocal` never moves or frees an entry
//!   before it is dropped, and a lookup compares the id of a live pool, so an
//!   entry of a dropped pool is never read;
//! - while this thread holds its `thread_local` id: the entry belongs to the
//!   thread with that id. The id is released by a thread-local destructor
//!   (the `thread_local` crate's guard) at thread exit, and then adopted by
//!   the next new thread. [`exit_watch`](super::exit_watch)'s destructor
//!   runs before that one (thread-local destructors run in the reverse order
//!   of their registration, and the watch is registered after the thread got
//!   its id, see there), clears the memo, and [`remember`] writes nothing
//!   once the thread is exiting. `tests/pool_thread_exit_order.rs` pins the
//!   order on the platforms the tests run on.
//!
//! The memo has no destructor of its own, so it can be read at any point of
//! a thread's life, also from other thread-local destructors.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

use super::exit_watch;

/// Entries per thread: the memo is direct-mapped by pool id, so the last
/// pools used keep their entries unless their ids are equal modulo this.
const WAYS: usize = 4;

type Entry = Cell<(u64, *const ())>;

thread_local! {
    /// `(pool id, cache address)`; id 0 is no pool.
    static MEMO: [Entry; WAYS] = const { [const { Cell::new((0, ptr::null())) }; WAYS] };
}

/// A pool's identity for the memo: unique for the process's life, never 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolId(u64);

impl PoolId {
    /// A fresh id. Relaxed: the counter only has to hand out distinct
    /// values, which a read-modify-write on one location does.
    pub(crate) fn next() -> PoolId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        PoolId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    #[inline]
    fn way(self) -> usize {
        self.0 as usize % WAYS
    }
}

/// The cache address remembered for `id` on this thread, if any.
#[inline]
pub(crate) fn find(id: PoolId) -> Option<*const ()> {
    // `try_with`: the memo has no destructor, so it is always readable, but
    // `try_with` costs the same and never panics.
    MEMO.try_with(|memo| {
        let (key, address) = memo[id.way()].get();
        (key == id.0).then_some(address)
    })
    .ok()
    .flatten()
}

/// Remembers `address` as this thread's cache of the pool `id`, unless the
/// thread is exiting (see the module docs for why that matters).
///
/// The caller passes the address its `ThreadLocal` returned for this thread
/// just now, with the `thread_local` crate's id held (`get_or` took it).
#[cold]
pub(crate) fn remember(id: PoolId, address: *const ()) {
    if !exit_watch::arm_and_check() {
        return;
    }
    let _ = MEMO.try_with(|memo| memo[id.way()].set((id.0, address)));
}

/// Forgets every entry: called by the exit watch as the thread exits.
pub(crate) fn forget_all() {
    let _ = MEMO.try_with(|memo| {
        for entry in memo {
            entry.set((0, ptr::null()));
        }
    });
}

/// Forgets the entry of `id` on this thread, if it is there.
#[cfg(test)]
pub(crate) fn forget(id: PoolId) {
    let _ = MEMO.try_with(|memo| {
        let entry = &memo[id.way()];
        if entry.get().0 == id.0 {
            entry.set((0, ptr::null()));
        }
    });
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_entries_match_their_own_id_only() {
        let a = PoolId::next();
        let b = PoolId::next();
        assert_ne!(a, b);
        let x = 1u8;
        remember(a, ptr::addr_of!(x).cast());
        assert_eq!(find(a), Some(ptr::addr_of!(x).cast()));
        assert_eq!(find(b), None, "another pool's id never matches");
        forget(a);
        assert_eq!(find(a), None);
    }

    #[test]
    fn colliding_ids_replace_each_other() {
        let first = PoolId::next();
        let mut same_way = PoolId::next();
        while same_way.way() != first.way() {
            same_way = PoolId::next();
        }
        let (x, y) = (1u8, 2u8);
        remember(first, ptr::addr_of!(x).cast());
        remember(same_way, ptr::addr_of!(y).cast());
        assert_eq!(find(first), None);
        assert_eq!(find(same_way), Some(ptr::addr_of!(y).cast()));
    }
}
