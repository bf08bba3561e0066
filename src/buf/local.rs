//! One thread's cache (Go's `mcache`): a small LIFO stack per size class and
//! the thread's credit against the pool's byte budget.

use std::cell::Cell;
use std::sync::Arc;

use super::stats::{ClassCounters, ThreadCounters};
use super::Buf;
use crate::tiers::ownership::Ownership;
use crate::tiers::Budget;

/// Budget a thread reserves at once when its credit runs short, so small
/// classes touch the shared budget counter once per this many bytes.
pub(crate) const CREDIT_CHUNK: usize = 256 << 10;

/// A thread caches up to this many bytes per class (at least one buffer,
/// at most [`MAX_LOCAL_BUFFERS`]): 16 buffers of 64 B .. 16 KiB, 4 of
/// 64 KiB, 1 from 256 KiB up.
const LOCAL_CLASS_BYTES: usize = 256 << 10;
/// The most buffers a thread caches in one class.
const MAX_LOCAL_BUFFERS: usize = 16;

/// How many buffers of `size` bytes a thread may cache.
pub(crate) fn local_buffers(size: usize) -> usize {
    (LOCAL_CLASS_BYTES / size).clamp(1, MAX_LOCAL_BUFFERS)
}

/// One class's stack: `slots[..len]` hold buffers (the bottom ones unused
/// the longest), the rest are `None`. The sum of the
/// capacities in `slots[..len]` lives in the class's `retained_bytes` gauge
/// only (written by this thread alone), so a round trip updates it once.
struct ClassStack {
    slots: Box<[Cell<Option<Buf>>]>,
    len: Cell<usize>,
    /// The bottom `old` buffers were here at the last trim this cache
    /// applied and were not taken since: the next trim frees them.
    old: Cell<usize>,
    /// This class's entry in the thread's counters.
    counters: Arc<ClassCounters>,
}

/// A thread's buffers and budget credit.
///
/// Only the owning thread touches it (reached through `ThreadLocal::get`).
/// Every field is a `Cell`, and no reference into it is handed out.
///
/// # Budget credit
///
/// `held` is budget this thread holds: part of `Budget::reserved`, never
/// more than `thread_cache_bytes`. Of it, `retained` covers the buffers kept
/// here and the rest, `held - retained`, is *credit* (reserved but not
/// covering a kept buffer). Taking a buffer turns its bytes into credit;
/// keeping one spends credit, and reserves a chunk from the budget only when
/// the credit is short. So a warm round trip changes `retained` alone and
/// touches no shared atomic.
/// Credit goes back to the budget when this thread misses (its cache had
/// nothing for the request, so the credit is not in use) beyond one chunk,
/// and all of it at every trim this thread applies.
#[repr(align(128))]
pub(crate) struct ThreadCache {
    classes: Box<[ClassStack]>,
    /// Budget held: `retained` plus credit.
    held: Cell<usize>,
    retained: Cell<usize>,
    /// The pool's trim epoch this cache has caught up with.
    seen_epoch: Cell<u64>,
    pub(crate) counters: Arc<ThreadCounters>,
    /// Who may use this cache: its thread, or `trim` once the thread exited.
    pub(crate) ownership: Arc<Ownership>,
}

impl ThreadCache {
    /// An empty cache with room for `capacities[class]` buffers per class.
    /// Allocates its slots now and never again.
    pub(crate) fn new(capacities: &[usize], epoch: u64, counters: Arc<ThreadCounters>) -> Self {
        ThreadCache {
            classes: capacities
                .iter()
                .zip(counters.classes.iter())
                .map(|(&n, class_counters)| ClassStack {
                    slots: (0..n).map(|_| Cell::new(None)).collect(),
                    len: Cell::new(0),
                    old: Cell::new(0),
                    counters: Arc::clone(class_counters),
                })
                .collect(),
            held: Cell::new(0),
            retained: Cell::new(0),
            seen_epoch: Cell::new(epoch),
            counters,
            ownership: Ownership::new(),
        }
    }

    /// Counts a get of `class` and takes the most recently kept buffer of
    /// the class, if any; its bytes become credit. The caller applied missed
    /// trims first.
    #[inline]
    pub(crate) fn pop(&self, class: usize) -> Option<Buf> {
        let stack = &self.classes[class];
        let counters = &*stack.counters;
        counters.gets.bump();
        let len = stack.len.get().checked_sub(1)?;
        let buf = stack.slots[len].take()?;
        stack.len.set(len);
        if len < stack.old.get() {
            stack.old.set(len); // reused: young again
        }
        let bytes = buf.capacity();
        self.retained.set(self.retained.get() - bytes);
        counters.retained.set(len);
        counters
            .retained_bytes
            .set(counters.retained_bytes.read() - bytes);
        Some(buf)
    }

    /// Keeps `buf` (empty, of `class`) if the stack has room and the thread
    /// stays within `limit` bytes of budget; gives it back otherwise. The
    /// caller applied missed trims first.
    #[inline]
    pub(crate) fn push(
        &self,
        class: usize,
        buf: Buf,
        budget: &Budget,
        limit: usize,
    ) -> Result<(), Buf> {
        let stack = &self.classes[class];
        let len = stack.len.get();
        let Some(slot) = stack.slots.get(len) else {
            return Err(buf);
        };
        let bytes = buf.capacity();
        let retained = self.retained.get() + bytes;
        // Within the credit (`held - retained`), so within `limit` too
        // (`held <= limit` always); else more credit, if `limit` allows.
        let held = self.held.get();
        if retained > held && !self.add_credit(retained - held, budget, limit) {
            return Err(buf);
        }
        let previous = slot.replace(Some(buf));
        debug_assert!(previous.is_none(), "a slot above the stack's top is empty");
        // Always `None`: forgotten, so no drop code sits on the return path.
        std::mem::forget(previous);
        stack.len.set(len + 1);
        self.retained.set(retained);
        let counters = &*stack.counters;
        counters.retained.set(len + 1);
        counters
            .retained_bytes
            .set(counters.retained_bytes.read() + bytes);
        Ok(())
    }

    /// Reserves at least `need` more bytes of credit (a chunk if it fits),
    /// keeping `held <= limit`: false if `need` does not fit within `limit`
    /// or the budget.
    #[cold]
    #[inline(never)]
    fn add_credit(&self, need: usize, budget: &Budget, limit: usize) -> bool {
        let held = self.held.get();
        if need > limit.saturating_sub(held) {
            return false;
        }
        let want = need.max(CREDIT_CHUNK).min(limit.saturating_sub(held));
        let granted = budget.reserve_between(need, want.max(need));
        if granted == 0 {
            return false;
        }
        self.held.set(held + granted);
        true
    }

    /// Gives back credit beyond one chunk: called when this thread missed,
    /// so the credit is not covering a buffer it is about to keep again.
    #[inline]
    pub(crate) fn release_spare_credit(&self, budget: &Budget) {
        let retained = self.retained.get();
        let credit = self.held.get() - retained;
        if credit > CREDIT_CHUNK {
            self.held.set(retained + CREDIT_CHUNK);
            budget.release(credit - CREDIT_CHUNK);
        }
    }

    /// Whether this cache has applied every trim up to `epoch`.
    #[inline]
    pub(crate) fn is_current(&self, epoch: u64) -> bool {
        self.seen_epoch.get() == epoch
    }

    /// Applies missed trims if the pool's epoch moved on: the first thing
    /// every use of the cache does.
    #[inline]
    pub(crate) fn observe(&self, epoch: u64, budget: &Budget) {
        if self.seen_epoch.get() != epoch {
            self.catch_up(epoch, budget);
        }
    }

    /// Applies the trims missed up to `epoch`: one missed trim frees each
    /// class's old generation and makes the survivors old; two or more free
    /// everything. Gives back the freed bytes and all credit to the budget.
    /// Returns how many buffers were freed.
    #[cold]
    pub(crate) fn catch_up(&self, epoch: u64, budget: &Budget) -> usize {
        let seen = self.seen_epoch.get();
        if epoch <= seen {
            return 0;
        }
        self.seen_epoch.set(epoch);
        let missed = epoch - seen;
        let mut freed = 0;
        let mut freed_bytes = 0;
        for stack in self.classes.iter() {
            let len = stack.len.get();
            let victims = if missed >= 2 {
                len
            } else {
                stack.old.get().min(len)
            };
            // Free the bottom `victims` and move the survivors down. No user
            // code runs here (freeing a boxed `Vec<u8>` calls only the allocator).
            let mut class_freed = 0;
            for slot in &stack.slots[..victims] {
                class_freed += slot.take().map_or(0, |buf| buf.capacity());
            }
            freed_bytes += class_freed;
            for i in victims..len {
                stack.slots[i - victims].set(stack.slots[i].take());
            }
            let kept = len - victims;
            stack.len.set(kept);
            stack.old.set(kept);
            if victims > 0 {
                freed += victims;
                let counters = &*stack.counters;
                for _ in 0..victims {
                    counters.trimmed.bump();
                }
                counters.retained.set(kept);
                counters
                    .retained_bytes
                    .set(counters.retained_bytes.read() - class_freed);
            }
        }
        // Everything held beyond the surviving buffers goes back: the freed
        // bytes and all credit.
        let retained = self.retained.get() - freed_bytes;
        self.retained.set(retained);
        budget.release(self.held.replace(retained) - retained);
        freed
    }

    /// Bytes of the buffers kept here (owning thread only).
    #[cfg(test)]
    pub(crate) fn retained(&self) -> usize {
        self.retained.get()
    }

    /// Unused credit (owning thread only).
    #[cfg(test)]
    pub(crate) fn credit(&self) -> usize {
        self.held.get() - self.retained.get()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn cache(capacities: &[usize]) -> ThreadCache {
        ThreadCache::new(
            capacities,
            0,
            Arc::new(ThreadCounters::new(capacities.len())),
        )
    }

    #[test]
    fn round_trip_moves_bytes_between_retained_and_credit() {
        let budget = Budget::new(1 << 20);
        let c = cache(&[2]);
        c.push(0, Box::new(Vec::with_capacity(4096)), &budget, 1 << 20)
            .unwrap();
        assert_eq!(c.retained(), 4096);
        let reserved = budget.reserved();
        assert!((4096..=CREDIT_CHUNK).contains(&reserved));
        let buf = c.pop(0).unwrap();
        assert_eq!((c.retained(), c.credit()), (0, reserved));
        c.push(0, buf, &budget, 1 << 20).unwrap();
        assert_eq!(budget.reserved(), reserved); // no new reservation
    }

    #[test]
    fn refuses_past_the_thread_limit_and_the_stack_size() {
        let budget = Budget::new(1 << 20);
        let c = cache(&[1, 1]);
        assert!(c
            .push(0, Box::new(Vec::with_capacity(100)), &budget, 150)
            .is_ok());
        assert!(c
            .push(1, Box::new(Vec::with_capacity(100)), &budget, 150)
            .is_err());
        assert!(c
            .push(0, Box::new(Vec::with_capacity(10)), &budget, 150)
            .is_err());
        assert!(budget.reserved() <= 150);
    }

    #[test]
    fn refuses_when_the_budget_is_spent() {
        let budget = Budget::new(1000);
        assert!(budget.try_reserve(950));
        let c = cache(&[4]);
        assert!(c
            .push(0, Box::new(Vec::with_capacity(100)), &budget, 1 << 20)
            .is_err());
        assert!(c
            .push(0, Box::new(Vec::with_capacity(50)), &budget, 1 << 20)
            .is_ok());
        assert_eq!(budget.reserved(), 1000);
    }

    #[test]
    fn two_trims_free_everything_and_return_the_budget() {
        let budget = Budget::new(1 << 20);
        let c = cache(&[4, 4]);
        for class in 0..2 {
            for _ in 0..3 {
                c.push(
                    class,
                    Box::new(Vec::with_capacity(64 << class)),
                    &budget,
                    1 << 20,
                )
                .unwrap();
            }
        }
        assert_eq!(c.catch_up(1, &budget), 0); // all old now
        let reused = c.pop(1).unwrap(); // one is young again
        c.push(1, reused, &budget, 1 << 20).unwrap();
        assert_eq!(c.catch_up(2, &budget), 5);
        assert_eq!(c.retained(), 128);
        assert_eq!(budget.reserved(), 128);
        assert_eq!(c.catch_up(3, &budget), 1);
        assert_eq!(budget.reserved(), 0);
    }
}
