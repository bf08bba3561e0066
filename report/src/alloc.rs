//! The global allocator a report binary installs: dhat's while a measurement
//! runs, the system allocator otherwise, a count of reallocations (which
//! dhat folds into its block count) and the live heap's peak within each
//! sample window (dhat keeps only the peak of the whole run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Set while a dhat profiler of the report runs in this process.
static PROFILING: AtomicBool = AtomicBool::new(false);
/// Allocation calls (fresh blocks) seen while profiling.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Reallocation calls seen while profiling.
static REALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Set while the profiler runs and the window peak is followed (only then
/// may dhat's statistics be read from inside an allocator call).
static WINDOW_PEAK_ON: AtomicBool = AtomicBool::new(false);
/// The most live heap bytes (dhat's count) seen after an allocation or a
/// reallocation since the last [`take_window_peak`].
static WINDOW_PEAK: AtomicU64 = AtomicU64::new(0);
/// Threads between their check of [`WINDOW_PEAK_ON`] and the end of their
/// read of dhat's statistics: switching off waits for them, so no read
/// reaches dhat after its profiler stopped (dhat panics then).
static WINDOW_PEAK_READERS: AtomicU64 = AtomicU64::new(0);

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

/// After a counted allocation or reallocation (this thread is marked inside
/// the profiler, so anything allocated here is not counted again): raises
/// the window peak to the live bytes now. The live heap only rises at these
/// calls, so their maximum is the window's peak. dhat refuses a statistics
/// read from inside its own API, so a scenario must not call dhat itself
/// (the report owns the profiler; a second one could not start anyway).
#[inline]
fn note_window_peak() {
    if !WINDOW_PEAK_ON.load(Ordering::Relaxed) {
        return;
    }
    // SeqCst pairs with `WindowPeakSwitch::drop`: either this increment comes
    // first in the single total order, and the switch waits for the
    // decrement, or the store of `false` does, and the load below sees it.
    WINDOW_PEAK_READERS.fetch_add(1, Ordering::SeqCst);
    if WINDOW_PEAK_ON.load(Ordering::SeqCst) {
        let live = dhat::HeapStats::get().curr_bytes as u64;
        WINDOW_PEAK.fetch_max(live, Ordering::Relaxed);
    }
    WINDOW_PEAK_READERS.fetch_sub(1, Ordering::SeqCst);
}

/// The most live heap bytes seen since the last call (0 if nothing was
/// allocated), and a new window starts.
pub(crate) fn take_window_peak() -> u64 {
    WINDOW_PEAK.swap(0, Ordering::Relaxed)
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
/// static ALLOC: poolkit_report::Alloc = poolkit_report::Alloc;
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
                note_window_peak();
                leave();
            }
            ptr
        } else {
            // SAFETY: the caller's guarantees for `layout` pass through.
            unsafe { System.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if PROFILING.load(Ordering::Relaxed) {
            let counted = enter(&ALLOCATIONS);
            // SAFETY: the caller's guarantees for `layout` pass through.
            let ptr = unsafe { dhat::Alloc.alloc_zeroed(layout) };
            if counted {
                note_window_peak();
                leave();
            }
            ptr
        } else {
            // SAFETY: the caller's guarantees for `layout` pass through; the
            // system's `calloc` is what `vec![0; n]` gets without the report.
            unsafe { System.alloc_zeroed(layout) }
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
                note_window_peak();
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

/// Follows the window peak while it lives. Create it right after the dhat
/// profiler starts and drop it before the profiler stops: dhat's statistics
/// can be read only while a profiler runs, and never from inside dhat's own
/// calls (the profiler's file writer among them).
pub(crate) struct WindowPeakSwitch(());

impl WindowPeakSwitch {
    pub(crate) fn on() -> Self {
        WINDOW_PEAK.store(0, Ordering::SeqCst);
        WINDOW_PEAK_ON.store(true, Ordering::SeqCst);
        WindowPeakSwitch(())
    }
}

impl Drop for WindowPeakSwitch {
    fn drop(&mut self) {
        WINDOW_PEAK_ON.store(false, Ordering::SeqCst);
        // A reader in flight (another thread of the scenario) finishes its
        // one read of dhat's statistics; new ones see `false`.
        while WINDOW_PEAK_READERS.load(Ordering::SeqCst) != 0 {
            std::thread::yield_now();
        }
    }
}
