//! The shared tier of one size class (Go's `mcentral`): a bounded lock-free
//! queue every thread reaches, each buffer in it covered by its own budget
//! reservation, with two-generation aging driven by `trim`.

use crossbeam_queue::ArrayQueue;

use super::Buf;
use crate::sync::{AtomicU64, AtomicUsize, Ordering};
use crate::tiers::Budget;

/// Why a buffer was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Keeping it would exceed the byte budget.
    Budget,
    /// The queue is full.
    Full,
}

/// One class's shared queue.
///
/// FIFO, so the oldest buffers sit at the head. Aging needs no per-buffer
/// state: each trim records how many buffers the queue holds (the old
/// generation) and how many pops had happened; at the next trim every pop
/// since then took an old buffer first, so `old - pops since` old buffers
/// are still at the head, untouched for a whole period, and are freed.
pub(crate) struct SharedClass {
    queue: ArrayQueue<Buf>,
    /// Sum of the capacities in the queue (for stats).
    bytes: AtomicUsize,
    pops: AtomicU64,
    old: AtomicUsize,
    pops_at_trim: AtomicU64,
    trimmed: AtomicU64,
}

impl SharedClass {
    /// A queue of `capacity` buffers (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        SharedClass {
            queue: ArrayQueue::new(capacity.max(1)),
            bytes: AtomicUsize::new(0),
            pops: AtomicU64::new(0),
            old: AtomicUsize::new(0),
            pops_at_trim: AtomicU64::new(0),
            trimmed: AtomicU64::new(0),
        }
    }

    /// Takes the oldest buffer and releases its reservation.
    pub(crate) fn pop(&self, budget: &Budget) -> Option<Buf> {
        let buf = self.queue.pop()?;
        // Relaxed everywhere here: statistics and budget arithmetic; the
        // queue itself orders the hand-over of the buffer.
        self.pops.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_sub(buf.capacity(), Ordering::Relaxed);
        // Released after the buffer left the queue: the budget never
        // under-counts what is kept.
        budget.release(buf.capacity());
        Some(buf)
    }

    /// Keeps `buf` under a reservation of its capacity, or says why not
    /// (the caller frees it).
    pub(crate) fn push(&self, buf: Buf, budget: &Budget) -> Result<(), Refused> {
        let bytes = buf.capacity();
        // Reserved before the buffer is stored.
        if !budget.try_reserve(bytes) {
            return Err(Refused::Budget);
        }
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        match self.queue.push(buf) {
            Ok(()) => Ok(()),
            Err(buf) => {
                self.bytes.fetch_sub(bytes, Ordering::Relaxed);
                drop(buf);
                budget.release(bytes);
                Err(Refused::Full)
            }
        }
    }

    /// Buffers kept now.
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Bytes of capacity kept now.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Buffers freed by trims so far.
    pub(crate) fn trimmed(&self) -> u64 {
        self.trimmed.load(Ordering::Relaxed)
    }

    /// Frees the buffers not taken since the last trim and makes every
    /// survivor old. Returns how many were freed.
    ///
    /// Concurrent trims and pops may make it free a young buffer instead of
    /// an old one, never more than the old generation had: the bound and the
    /// "freed within two trims" promise hold either way.
    pub(crate) fn trim(&self, budget: &Budget) -> usize {
        let old = self.old.swap(0, Ordering::Relaxed);
        let pops = self.pops.load(Ordering::Relaxed);
        let since = pops.wrapping_sub(self.pops_at_trim.swap(pops, Ordering::Relaxed));
        let still_old = (old as u64).saturating_sub(since) as usize;
        let mut freed = 0;
        for _ in 0..still_old {
            // Popped directly: not a reuse, so `pops` is not bumped.
            let Some(buf) = self.queue.pop() else { break };
            let bytes = buf.capacity();
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            drop(buf);
            budget.release(bytes);
            self.trimmed.fetch_add(1, Ordering::Relaxed);
            freed += 1;
        }
        self.old.store(self.queue.len(), Ordering::Relaxed);
        freed
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_slots_and_budget() {
        let budget = Budget::new(250);
        let s = SharedClass::new(2);
        assert_eq!(s.push(Box::new(Vec::with_capacity(100)), &budget), Ok(()));
        assert_eq!(
            s.push(Box::new(Vec::with_capacity(200)), &budget),
            Err(Refused::Budget)
        );
        assert_eq!(s.push(Box::new(Vec::with_capacity(100)), &budget), Ok(()));
        assert_eq!(
            s.push(Box::new(Vec::with_capacity(10)), &budget),
            Err(Refused::Full)
        );
        assert_eq!((s.len(), s.bytes(), budget.reserved()), (2, 200, 200));
        assert!(s.pop(&budget).is_some());
        assert_eq!((s.bytes(), budget.reserved()), (100, 100));
    }

    #[test]
    fn aging_frees_what_was_not_reused_between_two_trims() {
        let budget = Budget::new(1 << 20);
        let s = SharedClass::new(8);
        for _ in 0..6 {
            s.push(Box::new(Vec::with_capacity(64)), &budget).unwrap();
        }
        assert_eq!(s.trim(&budget), 0);
        let (a, b) = (s.pop(&budget).unwrap(), s.pop(&budget).unwrap());
        s.push(a, &budget).unwrap();
        s.push(b, &budget).unwrap();
        assert_eq!(s.trim(&budget), 4);
        assert_eq!(s.trim(&budget), 2);
        assert_eq!((s.len(), budget.reserved(), s.trimmed()), (0, 0, 6));
    }
}
