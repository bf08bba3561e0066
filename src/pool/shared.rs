//! The shared tier: a bounded lock-free queue that every thread can reach,
//! with two-generation aging driven by `trim`.

use crossbeam_queue::ArrayQueue;

use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// Overflow storage shared by all threads (Go's `mcentral`, in the analogy).
///
/// FIFO: the objects at the head are the oldest. Aging needs no per-object
/// state: at each trim it records how many objects the queue holds (the old
/// generation, all at the head) and how many pops had happened; at the next
/// trim, every pop since then took an old object first, so
/// `old - pops_since` old objects are still at the head, untouched for a
/// whole trim period, and are freed.
pub(crate) struct SharedTier<T> {
    queue: Option<ArrayQueue<T>>,
    /// Successful pops since the pool was made.
    pops: AtomicU64,
    /// The old generation's size at the last trim.
    old: AtomicUsize,
    /// `pops` at the last trim.
    pops_at_trim: AtomicU64,
    /// Objects freed by trims.
    trimmed: AtomicU64,
}

impl<T> SharedTier<T> {
    /// A tier holding at most `capacity` objects (none when 0).
    pub(crate) fn new(capacity: usize) -> Self {
        SharedTier {
            queue: (capacity > 0).then(|| ArrayQueue::new(capacity)),
            pops: AtomicU64::new(0),
            old: AtomicUsize::new(0),
            pops_at_trim: AtomicU64::new(0),
            trimmed: AtomicU64::new(0),
        }
    }

    /// Takes the oldest object, if any.
    #[inline]
    pub(crate) fn pop(&self) -> Option<T> {
        let value = self.queue.as_ref()?.pop()?;
        // Relaxed: a statistic for aging, which tolerates being off by the
        // pops in flight during a trim (see `trim`).
        self.pops.fetch_add(1, Ordering::Relaxed);
        Some(value)
    }

    /// Stores `value`, or gives it back when the queue is full.
    #[inline]
    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        match &self.queue {
            Some(queue) => queue.push(value),
            None => Err(value),
        }
    }

    /// The most objects it holds.
    pub(crate) fn capacity(&self) -> usize {
        self.queue.as_ref().map_or(0, ArrayQueue::capacity)
    }

    /// Objects held now.
    pub(crate) fn len(&self) -> usize {
        self.queue.as_ref().map_or(0, ArrayQueue::len)
    }

    /// Objects freed by trims so far.
    pub(crate) fn trimmed(&self) -> u64 {
        self.trimmed.load(Ordering::Relaxed)
    }

    /// Frees the objects not taken since the last trim and makes every
    /// survivor old. Returns how many were freed.
    ///
    /// Concurrent trims and pops may make it free a young object instead of
    /// an old one, never more objects than the old generation had: the bound
    /// and the "freed within two trims" promise hold either way, which is
    /// why every atomic here can be Relaxed.
    pub(crate) fn trim(&self) -> usize {
        let Some(queue) = &self.queue else { return 0 };
        // Take the old generation's size: a trim running at the same time
        // (another thread, or a `T::drop` below) then finds 0 and frees
        // nothing, so together they never free more than one generation.
        let old = self.old.swap(0, Ordering::Relaxed);
        let pops = self.pops.load(Ordering::Relaxed);
        let since = pops.wrapping_sub(self.pops_at_trim.swap(pops, Ordering::Relaxed));
        let still_old = (old as u64).saturating_sub(since) as usize;
        let mut freed = 0;
        for _ in 0..still_old {
            // Popped directly: these are not reuses, so `pops` is not bumped.
            let Some(value) = queue.pop() else { break };
            // Counted before the drop, which is user code and may panic.
            self.trimmed.fetch_add(1, Ordering::Relaxed);
            freed += 1;
            // Dropped here, outside any lock: `T::drop` may use the pool.
            drop(value);
        }
        self.old.store(queue.len(), Ordering::Relaxed);
        freed
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_fifo() {
        let s = SharedTier::new(2);
        assert!(s.push(1).is_ok());
        assert!(s.push(2).is_ok());
        assert_eq!(s.push(3), Err(3));
        assert_eq!(s.pop(), Some(1));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn zero_capacity_holds_nothing() {
        let s = SharedTier::new(0);
        assert_eq!(s.push(1), Err(1));
        assert_eq!(s.pop(), None);
        assert_eq!(s.trim(), 0);
    }

    #[test]
    fn aging_frees_what_was_not_reused_between_two_trims() {
        let s = SharedTier::new(8);
        for i in 0..6 {
            s.push(i).unwrap();
        }
        assert_eq!(s.trim(), 0); // all six become old
                                 // Reuse two (0 and 1, the oldest) and return them: young again.
        let (a, b) = (s.pop().unwrap(), s.pop().unwrap());
        s.push(a).unwrap();
        s.push(b).unwrap();
        assert_eq!(s.trim(), 4); // 2, 3, 4, 5 were never taken
        assert_eq!(s.len(), 2);
        assert_eq!(s.trim(), 2); // nothing used since: the rest goes
        assert_eq!(s.len(), 0);
        assert_eq!(s.trimmed(), 6);
    }
}
