//! The global allocator a report binary installs: dhat's while a measurement
//! runs, the system allocator otherwise, and a count of reallocations (which
//! dhat folds into its block count).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Set while a dhat profiler of the report runs in this process.
static PROFILING: AtomicBool = AtomicBool::new(false);
/// Allocation calls (fresh blocks) seen while profiling.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Reallocation calls seen while profiling.
static REALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set while this thread is inside a profiled allocator call: dhat's own
    /// bookkeeping allocates through the global allocator too, and those
    /// nested calls are not the program's.
    static INSIDE_DHAT: Cell<bool> = const { Cell::new(false) };
}

/// Counts `counter` unless this call is nested in a profiled one; returns
/// whether it was counted (then the caller must call [`leave`]).
#[inline]
fn enter(counter: &AtomicU64) -> bool {
    INSIDE_DHAT
        .try_with(|inside| {
            if inside.get() {
                false
            } else {
                inside.set(true);
                counter.fetch_add(1, Ordering::Relaxed);
                true
            }
        })
        .unwrap_or(false)
}

#[inline]
fn leave() {
    let _ = INSIDE_DHAT.try_with(|inside| inside.set(false));
}

/// The allocator to install as `#[global_allocator]` in a report binary.
///
/// While a scenario runs under the profiler, every call goes through
/// [`dhat::Alloc`] (which records it) and reallocations are counted apart;
/// the rest of the time (the parent process, the timing runs) calls go
/// straight to [`System`], so wall times are not slowed by dhat's lock.
///
/// Cost outside profiling: one relaxed atomic load per call. Without it
/// installed, [`Report::run`](super::Report::run) refuses to measure and
/// says so, instead of reporting zero allocations.
///
/// # Examples
///
/// ```
/// #[global_allocator]
/// static ALLOC: poolkit::report::Alloc = poolkit::report::Alloc;
///
/// let v = vec![1u8, 2, 3]; // served by the system allocator: no profiler runs
/// assert_eq!(v.len(), 3);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Alloc;

// SAFETY: every method forwards its arguments unchanged to one allocator,
// `dhat::Alloc` or `System`, and returns that allocator's result, so the
// `GlobalAlloc` contract holds if it holds for both. A block may be freed by
// the other allocator than the one that allocated it (profiling switches on
// and off while blocks live): this is sound because `dhat::Alloc` allocates
// and frees through `System` itself and only adds bookkeeping, which ignores
// blocks it never saw.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Alloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if PROFILING.load(Ordering::Relaxed) {
            let counted = enter(&ALLOCATIONS);
            // SAFETY: the caller's guarantees for `layout` pass through.
            let ptr = unsafe { dhat::Alloc.alloc(layout) };
            if counted {
                leave();
            }
            ptr
        } else {
            // SAFETY: the caller's guarantees for `layout` pass through.
            unsafe { System.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if PROFILING.load(Ordering::Relaxed) {
            // SAFETY: `ptr` was allocated by `System` (directly or through
            // dhat) with `layout`, as the caller guarantees.
            unsafe { dhat::Alloc.dealloc(ptr, layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if PROFILING.load(Ordering::Relaxed) {
            let counted = enter(&REALLOCATIONS);
            // SAFETY: `ptr`, `layout` and `new_size` satisfy `realloc`'s
            // contract, as the caller guarantees; the block came from `System`.
            let new_ptr = unsafe { dhat::Alloc.realloc(ptr, layout, new_size) };
            if counted {
                leave();
            }
            new_ptr
        } else {
            // SAFETY: as above.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

/// Allocation and reallocation calls seen by [`Alloc`] while profiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallCounts {
    pub(crate) allocations: u64,
    pub(crate) reallocations: u64,
}

impl CallCounts {
    pub(crate) fn now() -> Self {
        Self {
            allocations: ALLOCATIONS.load(Ordering::Relaxed),
            reallocations: REALLOCATIONS.load(Ordering::Relaxed),
        }
    }
}

/// Routes allocations through dhat while it lives. Create it right before
/// the dhat profiler and drop it right after.
pub(crate) struct ProfilingSwitch(());

impl ProfilingSwitch {
    pub(crate) fn on() -> Self {
        PROFILING.store(true, Ordering::SeqCst);
        ProfilingSwitch(())
    }
}

impl Drop for ProfilingSwitch {
    fn drop(&mut self) {
        PROFILING.store(false, Ordering::SeqCst);
    }
}
