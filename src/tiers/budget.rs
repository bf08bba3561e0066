//! The byte budget shared by all classes and threads of one `BufPool`.

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicUsize, Ordering};

/// Bytes reserved from `limit`. Every buffer the pool keeps is covered by a
/// reservation made *before* it is stored (in the shared tier: its own
/// reservation; in a thread cache: that thread's credit), and a reservation
/// is released only *after* the buffer has left the pool. So at every
/// instant `bytes kept ≤ reserved() ≤ limit`.
///
/// Threads reserve in chunks and keep what they reserved as credit (see
/// `ThreadCache`), so a warm round trip touches this counter not at all.
pub(crate) struct Budget {
    limit: usize,
    reserved: CachePadded<AtomicUsize>,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Self {
        Budget {
            limit,
            reserved: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// The most bytes that may be reserved at once.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes reserved now.
    pub(crate) fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Relaxed)
    }

    /// Reserves `want` bytes if they fit, else `need` bytes if they fit.
    /// Returns how many were reserved (0: neither fits). `need <= want`.
    pub(crate) fn reserve_between(&self, need: usize, want: usize) -> usize {
        debug_assert!(need <= want);
        let mut current = self.reserved.load(Ordering::Relaxed);
        loop {
            let room = self.limit - current;
            let grant = if want <= room {
                want
            } else if need <= room {
                need
            } else {
                return 0;
            };
            // Relaxed: the budget publishes no data; every update of this one
            // location is a read-modify-write, so they are totally ordered and
            // the sum never passes `limit`.
            match self.reserved.compare_exchange_weak(
                current,
                current + grant,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return grant,
                Err(actual) => current = actual,
            }
        }
    }

    /// Reserves exactly `bytes`, or nothing. Returns whether it did.
    pub(crate) fn try_reserve(&self, bytes: usize) -> bool {
        bytes == 0 || self.reserve_between(bytes, bytes) == bytes
    }

    /// Gives back `bytes` reserved earlier.
    pub(crate) fn release(&self, bytes: usize) {
        if bytes != 0 {
            // Relaxed: see `reserve_between`.
            let before = self.reserved.fetch_sub(bytes, Ordering::Relaxed);
            debug_assert!(before >= bytes, "released more than was reserved");
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn never_reserves_past_the_limit() {
        let b = Budget::new(100);
        assert_eq!(b.reserve_between(10, 60), 60);
        assert_eq!(b.reserve_between(10, 60), 10); // only `need` fits
        assert_eq!(b.reserve_between(31, 40), 0); // 30 left
        assert!(b.try_reserve(30));
        assert!(!b.try_reserve(1));
        assert_eq!(b.reserved(), 100);
        b.release(100);
        assert_eq!(b.reserved(), 0);
    }
}
