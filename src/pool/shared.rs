//! The shared tier: a depot of magazines (batches of objects) that every
//! thread can reach, with two-generation aging driven by `trim`.

use crossbeam_queue::ArrayQueue;

use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// A batch of objects moved between a thread's cache and the depot in one
/// queue operation. Its buffer is allocated once, when the pool is built,
/// and never grows: it holds at most its `capacity()` (the pool's batch
/// size, or less for the last magazine, see [`SharedTier::new`]).
pub(crate) type Magazine<T> = Vec<T>;

/// Overflow storage shared by all threads (Bonwick and Adams' magazine
/// depot; Go's `mcentral`, in the analogy).
///
/// Objects travel in magazines of up to `batch` objects: a thread whose cache
/// overflows hands over half of it in one `push`, and a thread whose cache is
/// empty takes a whole magazine in one `pop`, so a producer-consumer pair pays
/// one shared-queue operation per `batch` objects, not per object.
///
/// Two lock-free bounded queues hold every magazine the pool will ever have:
/// `full` (magazines holding objects, oldest at the head) and `empty` (spare
/// buffers). A magazine is always in one of them or held for a moment by
/// one thread that is filling or draining it (no user code runs meanwhile,
/// except in `trim`, see there). So the depot holds at most the sum of the
/// magazines' capacities (`shared_capacity`) and never allocates after it
/// is built.
///
/// Aging needs no per-object state: at each trim it records how many
/// magazines `full` holds (the old generation, all at the head) and how
/// many pops had happened; at the next trim, every pop since then took an
/// old magazine first, so `old - pops_since` old magazines are still at the
/// head, untouched for a whole trim period, and their objects are freed.
pub(crate) struct SharedTier<T> {
    full: Option<ArrayQueue<Magazine<T>>>,
    empty: Option<ArrayQueue<Magazine<T>>>,
    /// The sum of the magazines' capacities.
    capacity: usize,
    /// Objects in `full` now (for `stats`).
    objects: AtomicUsize,
    /// Successful pops of full magazines since the pool was made.
    pops: AtomicU64,
    /// The old generation's size (in magazines) at the last trim.
    old: AtomicUsize,
    /// `pops` at the last trim.
    pops_at_trim: AtomicU64,
    /// Objects freed by trims.
    trimmed: AtomicU64,
}

impl<T> SharedTier<T> {
    /// A depot for `capacity` objects in magazines of `batch` objects (the
    /// last one smaller if `batch` does not divide `capacity`); none when
    /// either is 0. Allocates every magazine now.
    pub(crate) fn new(capacity: usize, batch: usize) -> Self {
        let magazines = if batch == 0 {
            0
        } else {
            capacity.div_ceil(batch)
        };
        let mut total = 0;
        let empty = (magazines > 0).then(|| {
            let empty = ArrayQueue::new(magazines);
            for i in 0..magazines {
                let room = batch.min(capacity - i * batch);
                let magazine = Vec::with_capacity(room);
                total += magazine.capacity();
                let pushed = empty.push(magazine);
                debug_assert!(pushed.is_ok());
            }
            empty
        });
        SharedTier {
            full: (magazines > 0).then(|| ArrayQueue::new(magazines)),
            empty,
            capacity: total,
            objects: AtomicUsize::new(0),
            pops: AtomicU64::new(0),
            old: AtomicUsize::new(0),
            pops_at_trim: AtomicU64::new(0),
            trimmed: AtomicU64::new(0),
        }
    }

    /// A spare magazine to fill, if the depot has room for one more full one.
    #[inline]
    pub(crate) fn take_empty(&self) -> Option<Magazine<T>> {
        self.empty.as_ref()?.pop()
    }

    /// Stores a magazine filled by the caller (from [`take_empty`]).
    ///
    /// [`take_empty`]: Self::take_empty
    #[inline]
    pub(crate) fn push_full(&self, magazine: Magazine<T>) {
        if magazine.is_empty() {
            self.give_back_empty(magazine);
            return;
        }
        let Some(full) = &self.full else {
            unreachable!("a magazine exists only in a depot that has queues")
        };
        // Relaxed: a statistic; the queue itself publishes the objects.
        self.objects.fetch_add(magazine.len(), Ordering::Relaxed);
        // Never full: there are as many magazines as slots in `full`, and
        // this one came from `empty`.
        if full.push(magazine).is_err() {
            unreachable!("the depot's full queue has a slot for every magazine");
        }
    }

    /// Takes the oldest full magazine, if any. The caller empties it and
    /// hands it back with [`give_back_empty`](Self::give_back_empty).
    #[inline]
    pub(crate) fn take_full(&self) -> Option<Magazine<T>> {
        let magazine = self.full.as_ref()?.pop()?;
        // Relaxed: statistics (see `trim` for why aging tolerates it).
        self.pops.fetch_add(1, Ordering::Relaxed);
        self.objects.fetch_sub(magazine.len(), Ordering::Relaxed);
        Some(magazine)
    }

    /// Returns a magazine emptied by the caller to the spares.
    #[inline]
    pub(crate) fn give_back_empty(&self, magazine: Magazine<T>) {
        debug_assert!(magazine.is_empty());
        let Some(empty) = &self.empty else {
            unreachable!("a magazine exists only in a depot that has queues")
        };
        if empty.push(magazine).is_err() {
            unreachable!("the depot's empty queue has a slot for every magazine");
        }
    }

    /// The most objects it holds.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Objects held now.
    pub(crate) fn len(&self) -> usize {
        self.objects.load(Ordering::Relaxed)
    }

    /// Objects freed by trims so far.
    pub(crate) fn trimmed(&self) -> u64 {
        self.trimmed.load(Ordering::Relaxed)
    }

    /// Frees the objects of the magazines not taken since the last trim and
    /// makes every surviving magazine old. Returns how many objects were
    /// freed.
    ///
    /// Concurrent trims and pops may make it free a young magazine instead
    /// of an old one, never more magazines than the old generation had: the
    /// bound and the "freed within two trims" promise hold either way, which
    /// is why every atomic here can be Relaxed.
    #[cfg(test)]
    pub(crate) fn trim(&self) -> usize {
        self.trim_with(|_| {})
    }

    /// [`trim`](Self::trim), calling `on_free` on each object just before
    /// it is dropped.
    pub(crate) fn trim_with(&self, mut on_free: impl FnMut(&T)) -> usize {
        let Some(full) = &self.full else { return 0 };
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
            let Some(magazine) = full.pop() else { break };
            self.objects.fetch_sub(magazine.len(), Ordering::Relaxed);
            let mut draining = Draining {
                tier: self,
                magazine,
            };
            while let Some(value) = draining.magazine.pop() {
                // Counted before the drop, which is user code and may panic
                // (then `draining` puts the magazine back, see its `Drop`).
                self.trimmed.fetch_add(1, Ordering::Relaxed);
                freed += 1;
                on_free(&value);
                // Dropped outside any lock: `T::drop` may use the pool.
                drop(value);
            }
        }
        self.old.store(full.len(), Ordering::Relaxed);
        freed
    }
}

/// A magazine being emptied by `trim`: if a `T::drop` panics, its unwinding
/// puts the magazine back (with what it still holds) instead of losing it.
struct Draining<'a, T> {
    tier: &'a SharedTier<T>,
    magazine: Magazine<T>,
}

impl<T> Drop for Draining<'_, T> {
    fn drop(&mut self) {
        let magazine = std::mem::take(&mut self.magazine);
        if magazine.is_empty() {
            self.tier.give_back_empty(magazine);
        } else {
            self.tier.push_full(magazine);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn fill(s: &SharedTier<u32>, items: &[u32]) -> bool {
        let Some(mut m) = s.take_empty() else {
            return false;
        };
        m.extend_from_slice(items);
        s.push_full(m);
        true
    }

    fn drain(s: &SharedTier<u32>) -> Option<Vec<u32>> {
        let mut m = s.take_full()?;
        let items = m.clone();
        m.clear();
        s.give_back_empty(m);
        Some(items)
    }

    #[test]
    fn bounded_and_fifo_by_magazine() {
        let s = SharedTier::new(5, 3);
        assert_eq!(s.capacity(), 5);
        assert!(fill(&s, &[1, 2, 3]));
        let last = s.take_empty().unwrap();
        assert_eq!(last.capacity(), 2, "the last magazine holds the remainder");
        s.give_back_empty(last);
        assert!(fill(&s, &[4]));
        assert!(!fill(&s, &[5]), "no spare magazine: the depot is full");
        assert_eq!(s.len(), 4);
        assert_eq!(drain(&s), Some(vec![1, 2, 3]));
        assert_eq!(s.len(), 1);
        assert!(fill(&s, &[6, 7]));
        assert_eq!(drain(&s), Some(vec![4]));
        assert_eq!(drain(&s), Some(vec![6, 7]));
        assert_eq!(drain(&s), None);
    }

    #[test]
    fn zero_capacity_holds_nothing() {
        let s = SharedTier::<u32>::new(0, 4);
        assert!(SharedTier::<u32>::new(4, 0).take_empty().is_none());
        assert!(s.take_empty().is_none());
        assert!(s.take_full().is_none());
        assert_eq!((s.capacity(), s.trim()), (0, 0));
    }

    #[test]
    fn aging_frees_what_was_not_reused_between_two_trims() {
        let s = SharedTier::new(16, 2);
        for i in 0..4 {
            assert!(fill(&s, &[2 * i, 2 * i + 1]));
        }
        assert_eq!(s.trim(), 0); // all four magazines become old
                                 // Reuse one magazine (the oldest) and return its objects: young again.
        let reused = drain(&s).unwrap();
        assert!(fill(&s, &reused));
        assert_eq!(s.trim(), 6); // three magazines were never taken
        assert_eq!(s.len(), 2);
        assert_eq!(s.trim(), 2); // nothing used since: the rest goes
        assert_eq!(s.len(), 0);
        assert_eq!(s.trimmed(), 8);
        // Every magazine is a spare again.
        assert!((0..8).all(|i| fill(&s, &[i])));
    }
}
