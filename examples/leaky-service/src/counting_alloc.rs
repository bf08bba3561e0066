//! A counting global allocator: live heap bytes and allocation counts for
//! `/debug/pools`, cheap enough for a server (dhat records every call site
//! and is far too slow for one).
//!
//! It forwards every call to the system allocator and keeps four relaxed
//! atomic counters and a peak. The counts are process-wide: the server, its
//! runtime and anything else in the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static DEALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting what passes through it.
pub struct CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn record_allocation(size: usize) {
    // Relaxed everywhere: these are statistics, read with no ordering
    // relation to the memory they describe.
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    ALLOCATED_BYTES.fetch_add(size as u64, Ordering::Relaxed);
    let live = LIVE_BYTES.fetch_add(size, Ordering::Relaxed) + size;
    PEAK_LIVE_BYTES.fetch_max(live, Ordering::Relaxed);
}

fn record_deallocation(size: usize) {
    DEALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    LIVE_BYTES.fetch_sub(size, Ordering::Relaxed);
}

// SAFETY (for the whole impl): every method forwards its arguments unchanged
// to `System`, which upholds the `GlobalAlloc` contract; the only additions
// are atomic counter updates, which neither allocate nor unwind.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` (non-zero size) is passed on unchanged.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            record_allocation(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            record_allocation(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `pointer` came from this allocator
        // (so from `System`) with this `layout`.
        unsafe { System.dealloc(pointer, layout) };
        record_deallocation(layout.size());
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `pointer` came from this allocator
        // (so from `System`) with `layout`, and a valid `new_size`.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            // Counted as freeing the old block and allocating the new one.
            record_deallocation(layout.size());
            record_allocation(new_size);
        }
        moved
    }
}

/// A snapshot of the process's heap, as counted by the global allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeapStats {
    /// Bytes allocated and not yet freed.
    pub live_bytes: u64,
    /// The highest `live_bytes` seen since the process started.
    pub peak_live_bytes: u64,
    /// Allocations since the process started (a `realloc` counts as one
    /// allocation and one deallocation).
    pub allocations: u64,
    /// Deallocations since the process started.
    pub deallocations: u64,
    /// Bytes allocated since the process started, freed or not.
    pub allocated_bytes: u64,
}

/// Reads the counters (each one atomically, not all at one instant).
pub fn heap_stats() -> HeapStats {
    HeapStats {
        live_bytes: LIVE_BYTES.load(Ordering::Relaxed) as u64,
        peak_live_bytes: PEAK_LIVE_BYTES.load(Ordering::Relaxed) as u64,
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
        deallocations: DEALLOCATIONS.load(Ordering::Relaxed),
        allocated_bytes: ALLOCATED_BYTES.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_allocation_shows_in_live_bytes_and_leaves_when_freed() {
        let before = heap_stats();
        let block = vec![1u8; 8 << 20];
        let during = heap_stats();
        // Other test threads allocate too, but not 8 MiB at once here.
        assert!(during.live_bytes >= before.live_bytes + (8 << 20) - (1 << 20));
        assert!(during.allocations > before.allocations);
        assert!(during.peak_live_bytes >= during.live_bytes);
        drop(block);
        let after = heap_stats();
        assert!(after.live_bytes + (4 << 20) < during.live_bytes);
        assert!(after.deallocations > before.deallocations);
    }
}
