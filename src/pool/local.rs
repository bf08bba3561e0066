//! One thread's cache: a bounded LIFO stack with two-generation aging.

use std::cell::RefCell;
use std::sync::Arc;

use super::stats::LocalCounters;

/// The objects one thread keeps, plus that thread's counters.
///
/// Only the owning thread touches `slot` (the pool reaches a cache through
/// `ThreadLocal::get`, which returns the current thread's entry), so the
/// `RefCell` is never contended; it exists to make that safe without
/// `unsafe`. No user code (factory, reset, accept, `Drop` of `T`) ever runs
/// while the `RefCell` is borrowed, so a hook that uses the pool again finds
/// it free.
pub(crate) struct LocalCache<T> {
    slot: RefCell<Slot<T>>,
    pub(crate) counters: Arc<LocalCounters>,
}

struct Slot<T> {
    /// LIFO stack; the bottom holds the objects unused the longest.
    items: Vec<T>,
    /// The bottom `old` items were here at the last trim this cache applied
    /// and have not been taken since: the next trim frees them.
    old: usize,
    /// The pool's trim epoch this cache has caught up with.
    seen_epoch: u64,
}

impl<T> LocalCache<T> {
    /// Makes an empty cache that can hold `capacity` objects without
    /// reallocating.
    pub(crate) fn new(capacity: usize, epoch: u64, counters: Arc<LocalCounters>) -> Self {
        LocalCache {
            slot: RefCell::new(Slot {
                items: Vec::with_capacity(capacity),
                old: 0,
                seen_epoch: epoch,
            }),
            counters,
        }
    }

    /// Takes the most recently stored object.
    #[inline]
    pub(crate) fn pop(&self, epoch: u64) -> Option<T> {
        let mut slot = self.slot.borrow_mut();
        if slot.seen_epoch != epoch {
            drop(slot);
            self.catch_up(epoch);
            slot = self.slot.borrow_mut();
        }
        let value = slot.items.pop()?;
        let len = slot.items.len();
        if len < slot.old {
            // An old-generation object was reused: it is young again.
            slot.old = len;
        }
        Some(value)
    }

    /// Stores `value` if fewer than `capacity` objects are held; gives it back
    /// otherwise. Never reallocates.
    #[inline]
    pub(crate) fn push(&self, value: T, capacity: usize, epoch: u64) -> Result<(), T> {
        let mut slot = self.slot.borrow_mut();
        if slot.seen_epoch != epoch {
            drop(slot);
            self.catch_up(epoch);
            slot = self.slot.borrow_mut();
        }
        if slot.items.len() < capacity {
            debug_assert!(slot.items.len() < slot.items.capacity());
            slot.items.push(value);
            Ok(())
        } else {
            Err(value)
        }
    }

    /// Applies the trims this cache missed, up to `epoch`: one missed trim
    /// frees the old generation and makes every survivor old; two or more
    /// free everything (nothing was used in between). Returns how many
    /// objects were freed.
    #[cold]
    pub(crate) fn catch_up(&self, epoch: u64) -> usize {
        let victims = {
            let mut slot = self.slot.borrow_mut();
            let missed = epoch.wrapping_sub(slot.seen_epoch);
            slot.seen_epoch = epoch;
            if missed == 0 {
                return 0;
            }
            let len = slot.items.len();
            let victims = if missed >= 2 { len } else { slot.old.min(len) };
            // Move the victims (the bottom of the stack) to the top, keeping
            // the survivors' order, so they can be popped one by one below.
            slot.items.rotate_left(victims);
            slot.old = len - victims;
            victims
        };
        // Drop each victim with the cell released: `T::drop` is user code
        // and may use this pool again. If it stores an object here meanwhile,
        // the next pop takes that object instead of a victim: one object is
        // freed early and a victim lives until a later trim. Bounded either way.
        for _ in 0..victims {
            let value = self.slot.borrow_mut().items.pop();
            if value.is_some() {
                self.counters.trimmed.bump();
            }
            drop(value);
        }
        victims
    }

    /// Objects held now (owning thread only).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slot.borrow().items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(cap: usize) -> LocalCache<u32> {
        LocalCache::new(cap, 0, Arc::default())
    }

    #[test]
    fn push_respects_capacity_and_pop_is_lifo() {
        let c = cache(2);
        assert!(c.push(1, 2, 0).is_ok());
        assert!(c.push(2, 2, 0).is_ok());
        assert_eq!(c.push(3, 2, 0), Err(3));
        assert_eq!(c.pop(0), Some(2));
        assert_eq!(c.pop(0), Some(1));
        assert_eq!(c.pop(0), None);
    }

    #[test]
    fn object_unused_between_two_trims_is_freed() {
        let c = cache(8);
        for i in 0..4 {
            c.push(i, 8, 0).unwrap();
        }
        // First trim: nothing is old yet, everything becomes old.
        assert_eq!(c.catch_up(1), 0);
        assert_eq!(c.len(), 4);
        // Reuse one object (3) and return it: it is young again.
        let v = c.pop(1).unwrap();
        assert_eq!(v, 3);
        c.push(v, 8, 1).unwrap();
        c.push(9, 8, 1).unwrap();
        // Second trim frees 0, 1, 2 (untouched since the first trim).
        assert_eq!(c.catch_up(2), 3);
        assert_eq!(c.len(), 2);
        assert_eq!(c.pop(2), Some(9));
        assert_eq!(c.pop(2), Some(3));
        assert_eq!(c.counters.trimmed.read(), 3);
    }

    #[test]
    fn two_missed_trims_free_everything_on_next_use() {
        let c = cache(8);
        for i in 0..5 {
            c.push(i, 8, 0).unwrap();
        }
        // The pool trimmed twice while this thread was idle.
        assert_eq!(c.pop(2), None);
        assert_eq!(c.counters.trimmed.read(), 5);
    }

    #[test]
    fn one_missed_trim_is_applied_before_use() {
        let c = cache(8);
        c.push(1, 8, 0).unwrap();
        c.catch_up(1); // 1 is old now
        c.push(2, 8, 1).unwrap();
        // A trim happened elsewhere (epoch 2): 1 goes, 2 survives as old.
        assert_eq!(c.pop(2), Some(2));
        assert_eq!(c.pop(2), None);
        assert_eq!(c.counters.trimmed.read(), 1);
    }
}
