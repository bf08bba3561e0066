//! Knowing whether this thread is exiting, and forgetting the memo then.
//!
//! A thread that only returns objects (a consumer) gets a cache on its first
//! return, so that its returns reach the shared tier in batches. Making a
//! cache asks the `thread_local` crate for the thread's id, and that panics
//! (inside a thread-local destructor: an abort) once the crate has released
//! the id at thread exit. This module tells the two situations apart.
//!
//! [`arm`] runs whenever a pool makes a cache, and [`arm_and_check`]
//! before the memo remembers one; both after the `thread_local` crate
//! registered its own thread-exit destructor on this thread (it does so when
//! the thread first gets an id, and a cache lookup with `get_or` has just
//! given the thread one). They register [`WATCH`], whose destructor
//! therefore runs *before* the crate's (thread-local destructors run in the
//! reverse order of their registration): it clears the memo
//! ([`super::memo`]) and records that the thread is exiting. From then on
//! [`may_make_cache`] says no, the memo stays empty, and returns from this
//! thread go straight to the shared tier.
//!
//! A thread that never made a poolkit cache has nothing armed: its first
//! return makes one. That is wrong only in a thread-local destructor that
//! runs after the `thread_local` crate released an id this thread got
//! through another library, on a thread that never used poolkit before.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::ownership::Ownership;

/// Where this thread stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// No poolkit cache was made on this thread yet.
    Unarmed,
    /// [`WATCH`] is registered and not yet destroyed.
    Armed,
    /// [`WATCH`]'s destructor ran: the thread is exiting.
    Exiting,
}

thread_local! {
    /// No destructor, so readable at any point of the thread's life.
    static STATE: Cell<State> = const { Cell::new(State::Unarmed) };
    /// Registered by [`arm`]; its destructor marks the thread as exiting.
    static WATCH: Watch = const { Watch { claimed: RefCell::new(Vec::new()) } };
}

/// The caches this thread claimed (see [`super::ownership`]), abandoned
/// when the thread exits.
struct Watch {
    claimed: RefCell<Vec<Arc<Ownership>>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        STATE.with(|state| state.set(State::Exiting));
        // After the state: nothing refills the memo from here on, and no
        // cache is claimed again on this thread.
        super::memo::forget_all();
        // After the memo: this thread finds none of these caches any more.
        for ownership in self.claimed.take() {
            ownership.abandon();
        }
    }
}

/// Records a cache this thread just claimed, so that its exit abandons it.
/// False if the thread is exiting (the watch is gone or going): it must not
/// claim the cache. Drops the records of pools that no longer exist, so the
/// list is bounded by the live pools this thread used.
#[cold]
pub(crate) fn record(ownership: Arc<Ownership>) -> bool {
    if cfg!(loom) {
        // loom's model threads are not OS threads and run no thread-local
        // destructors; a loom mutex must not outlive its model either.
        drop(ownership);
        return true;
    }
    if !arm_and_check() {
        return false;
    }
    WATCH
        .try_with(|watch| {
            let mut claimed = watch.claimed.borrow_mut();
            claimed.retain(Ownership::pool_alive);
            claimed.push(ownership);
        })
        .is_ok()
}

/// Called when the pool makes a cache on this thread (the `thread_local`
/// crate holds an id for it then).
#[cold]
pub(crate) fn arm() {
    STATE.with(|state| {
        if state.get() == State::Unarmed && WATCH.try_with(|_| ()).is_ok() {
            state.set(State::Armed);
        }
    });
}

/// Arms the watch if needed; whether it is armed (the thread is not
/// exiting and the watch's destructor is registered), so the memo may
/// remember a cache and the thread may claim one. Called with the
/// `thread_local` crate's id held.
#[cold]
pub(crate) fn arm_and_check() -> bool {
    arm();
    STATE.with(|state| state.get() == State::Armed)
}

/// Whether a return on this thread may make a cache for it.
#[inline]
pub(crate) fn may_make_cache() -> bool {
    STATE.with(|state| state.get() != State::Exiting)
}
