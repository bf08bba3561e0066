//! loom models of the protocols shared by both pools. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`.
//!
//! - `Budget`: concurrent reservations never pass the limit together, and
//!   a reservation that fits is granted.
//! - `Ownership`: a cache handed from an exiting thread to `trim` and to
//!   the thread that adopts it is never touched by two of them without
//!   ordering (a loom `UnsafeCell` stands for the cache and reports any
//!   access that is not ordered after the previous one).
//!
//! The memo has no model: it is a plain thread-local, read and written by
//! its own thread only; what it relies on (destructor order at thread exit)
//! is not something loom runs, and `tests/pool_thread_memo.rs` checks it.

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use super::ownership::Ownership;
use super::Budget;
use crate::sync::{AtomicU64, Ordering};

/// See `crate::pool::loom_models::start`: every model thread begins with a
/// read-modify-write, so that loom explores the schedules from the start.
fn start(gate: &AtomicU64) {
    gate.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn loom_budget_reservations_never_pass_the_limit_together() {
    loom::model(|| {
        let budget = Arc::new(Budget::new(100));
        let gate = Arc::new(AtomicU64::new(0));
        let other = {
            let (budget, gate) = (Arc::clone(&budget), Arc::clone(&gate));
            thread::spawn(move || {
                start(&gate);
                let granted = budget.reserve_between(30, 60);
                assert!(budget.reserved() <= 100);
                granted
            })
        };
        start(&gate);
        let mine = budget.reserve_between(30, 60);
        let theirs = other.join().unwrap();
        // Both fit (60 + 30 <= 100), whichever came first; never 60 + 60.
        assert!(mine >= 30 && theirs >= 30, "{mine} {theirs}");
        assert!(mine + theirs <= 100, "{mine} + {theirs}");
        assert_eq!(budget.reserved(), mine + theirs);
        budget.release(mine);
        budget.release(theirs);
        assert_eq!(budget.reserved(), 0);
    });
}

#[test]
fn loom_exiting_thread_trimmer_and_adopter_never_share_a_cache() {
    loom::model(|| {
        // The cache: what its owner, the trimmer and the adopter write.
        let cache = Arc::new(UnsafeCell::new(0u32));
        let ownership = Ownership::new();
        let gate = Arc::new(AtomicU64::new(0));
        let exiting = {
            let (cache, ownership, gate) = (
                Arc::clone(&cache),
                std::sync::Arc::clone(&ownership),
                Arc::clone(&gate),
            );
            thread::spawn(move || {
                start(&gate);
                assert!(ownership.claim());
                // The owner's last use, then its exit gives the cache up.
                cache.with_mut(|c| unsafe_write(c, 1));
                ownership.abandon();
            })
        };
        let trimmer = {
            let (cache, ownership, gate) = (
                Arc::clone(&cache),
                std::sync::Arc::clone(&ownership),
                Arc::clone(&gate),
            );
            thread::spawn(move || {
                start(&gate);
                ownership.if_abandoned(|| cache.with_mut(|c| unsafe_write(c, 2)));
            })
        };
        start(&gate);
        // A new thread gets the exited thread's id only once it is released,
        // which is after the exit: here, after `join`.
        exiting.join().unwrap();
        assert!(ownership.claim());
        cache.with_mut(|c| unsafe_write(c, 3));
        trimmer.join().unwrap();
        // The trimmer ran before the adoption or found the cache claimed.
        cache.with(|c| {
            // SAFETY: every other thread has been joined.
            #[allow(unsafe_code)]
            let value = unsafe { *c };
            assert_eq!(value, 3);
        });
    });
}

/// Writes through a loom cell pointer (loom checks the access's ordering).
#[allow(unsafe_code)]
fn unsafe_write(cell: *mut u32, value: u32) {
    // SAFETY: the models call this inside `UnsafeCell::with_mut`, which
    // hands out a valid pointer and lets loom check that no other access to
    // the cell is concurrent with this one.
    unsafe { *cell = value };
}
