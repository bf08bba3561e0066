//! One thread's cache: a bounded LIFO stack with two-generation aging.

use std::cell::Cell;
use std::sync::Arc;

use super::stats::LocalCounters;
use crate::tiers::ownership::Ownership;
use crate::tiers::Budget;

/// What a cache holds: objects that know the heap bytes they pin.
pub(crate) trait Weighed {
    /// The heap bytes counted for this object when it was stored.
    fn bytes(&self) -> usize;
}

/// Budget a thread reserves at once when its credit runs short (or less,
/// for a small budget: see [`LocalCache::new`]).
pub(crate) const CREDIT_CHUNK: usize = 256 << 10;

/// Why [`LocalCache::push`] did not store an object.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused<T> {
    /// No free slot.
    Full(T),
    /// Keeping it would take the pool past its byte budget.
    OverBudget(T),
}

/// The objects one thread keeps, plus that thread's counters.
///
/// Only the owning thread touches the slots (the pool reaches a cache
/// through `ThreadLocal::get`, which returns the current thread's entry).
/// Every field is a `Cell`: values move in and out whole and no reference
/// into the cache is ever handed out, so user code (factory, reset, accept,
/// `T::drop`) may use the pool again at any point without a borrow to
/// conflict with.
///
/// # Byte budget
///
/// With a byte budget, every object the pool keeps is covered by a
/// reservation made before it is stored, released only after it left the
/// pool: `bytes kept ≤ reserved ≤ limit` at every instant, across threads.
/// A thread reserves in chunks and keeps the rest as `credit`: taking an
/// object turns its bytes into credit, storing one spends credit, so a warm
/// round trip touches no shared atomic. Objects moved between a cache and
/// the shared tier keep their reservation.
///
/// Aligned to 128 bytes (two cache lines, for adjacent-line prefetch): the
/// `thread_local` crate stores threads' entries side by side, and without
/// padding two threads writing `len` would bounce one cache line between
/// their cores on every operation.
#[repr(align(128))]
pub(crate) struct LocalCache<T> {
    /// A LIFO stack in `slots[..len]`; the bottom holds the objects unused
    /// the longest. `slots[len..]` are `None`.
    slots: Box<[Cell<Option<T>>]>,
    len: Cell<usize>,
    /// How many objects a return may leave here before the cache hands a
    /// batch to the shared tier: all the slots, or one batch while the
    /// thread has only returned objects (see [`LocalCache::new`]).
    limit: Cell<usize>,
    /// The bottom `old` items were here at the last trim this cache applied
    /// and have not been taken since: the next trim frees them.
    old: Cell<usize>,
    /// The pool's trim epoch this cache has caught up with.
    seen_epoch: Cell<u64>,
    /// Budget reserved by this thread and not covering a kept object.
    credit: Cell<usize>,
    budget: Option<Arc<Budget>>,
    pub(crate) counters: Arc<LocalCounters>,
    /// Who may use this cache: its thread, or `trim` once the thread exited.
    pub(crate) ownership: Arc<Ownership>,
}

impl<T: Weighed> LocalCache<T> {
    /// Makes an empty cache that holds up to `capacity` objects, spending
    /// from `budget` if there is one; it never allocates after this.
    ///
    /// `limit`: how many objects returns may leave here before a batch moves
    /// to the shared tier. A cache made by a return (a thread at the end of
    /// a pipeline, which only returns) starts at one batch, so the objects
    /// it receives reach the taking thread after `limit` returns instead of
    /// `capacity`; its first miss on a get widens it to `capacity`.
    pub(crate) fn new(
        capacity: usize,
        limit: usize,
        epoch: u64,
        counters: Arc<LocalCounters>,
        budget: Option<Arc<Budget>>,
    ) -> Self {
        LocalCache {
            slots: (0..capacity).map(|_| Cell::new(None)).collect(),
            len: Cell::new(0),
            limit: Cell::new(limit.min(capacity)),
            old: Cell::new(0),
            seen_epoch: Cell::new(epoch),
            credit: Cell::new(0),
            budget,
            counters,
            ownership: Ownership::new(),
        }
    }

    /// Takes the most recently stored object.
    #[inline]
    pub(crate) fn pop(&self, epoch: u64) -> Option<T> {
        self.observe(epoch);
        let len = self.len.get().checked_sub(1)?;
        let value = self.slots[len].take();
        debug_assert!(value.is_some());
        self.len.set(len);
        if len < self.old.get() {
            // An old-generation object was reused: it is young again.
            self.old.set(len);
        }
        let value = value?;
        self.note_taken(value.bytes());
        Some(value)
    }

    /// Accounts for an object of `bytes` handed out by this thread (from
    /// this cache or from the shared tier): it no longer counts as kept,
    /// and its reservation becomes this thread's credit.
    #[inline]
    pub(crate) fn note_taken(&self, bytes: usize) {
        self.counters.retained_bytes.sub(bytes as u64);
        if self.budget.is_some() {
            self.credit.set(self.credit.get() + bytes);
        }
    }

    /// Covers `bytes` about to be kept (here or in the shared tier) with
    /// this thread's credit, reserving more from the budget if needed, and
    /// counts them as kept. `false`: over budget, nothing changed.
    #[inline]
    pub(crate) fn reserve(&self, bytes: usize) -> bool {
        if self.budget.is_some() && !self.spend_credit(bytes) {
            return false;
        }
        self.counters.retained_bytes.add_wrapping(bytes as u64);
        true
    }

    /// Spends `bytes` of credit, reserving more from the budget if needed.
    /// Out of line: pools without a budget never call it, and keeping it
    /// out of `push` keeps their return path short.
    #[inline(never)]
    fn spend_credit(&self, bytes: usize) -> bool {
        let Some(budget) = &self.budget else {
            return true;
        };
        let credit = self.credit.get();
        if credit < bytes && !self.add_credit(budget, bytes - credit) {
            return false;
        }
        self.credit.set(self.credit.get() - bytes);
        true
    }

    /// Reserves at least `need` more bytes of credit (a chunk if it fits).
    #[cold]
    fn add_credit(&self, budget: &Budget, need: usize) -> bool {
        let chunk = CREDIT_CHUNK.min(budget.limit() / 16);
        let granted = budget.reserve_between(need, need.max(chunk));
        self.credit.set(self.credit.get() + granted);
        granted != 0 || need == 0
    }

    /// Gives back credit beyond one chunk: called on a miss, when this
    /// thread's credit is not covering an object it is about to keep again.
    #[cold]
    pub(crate) fn release_spare_credit(&self) {
        if let Some(budget) = &self.budget {
            let chunk = CREDIT_CHUNK.min(budget.limit() / 16);
            let credit = self.credit.get();
            if credit > chunk {
                self.credit.set(chunk);
                budget.release(credit - chunk);
            }
        }
    }

    /// Whether a return should hand a batch over instead of storing here:
    /// every slot is taken, or the return-only limit is reached.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len.get() >= self.limit.get()
    }

    /// The thread takes objects too (a get missed here): returns may fill
    /// every slot from now on.
    #[inline]
    pub(crate) fn widen(&self) {
        self.limit.set(self.slots.len());
    }

    /// Stores `value`, whose bytes the caller covered with
    /// [`reserve`](Self::reserve) after finding the cache not
    /// [full](Self::is_full) (with no user code run in between).
    #[inline]
    pub(crate) fn push_reserved(&self, value: T) {
        let stored = self.store(value);
        debug_assert!(stored.is_ok(), "push_reserved into a full cache");
    }

    /// Stores `value` if there is room and, with a byte budget, if its
    /// bytes fit; gives it back otherwise.
    ///
    /// The caller applies missed trims first ([`observe`](Self::observe)).
    #[inline]
    pub(crate) fn push(&self, value: T) -> Result<(), Refused<T>> {
        let len = self.len.get();
        let Some(slot) = self.slots.get(len) else {
            return Err(Refused::Full(value));
        };
        if !self.reserve(value.bytes()) {
            return Err(Refused::OverBudget(value));
        }
        let previous = slot.replace(Some(value));
        debug_assert!(previous.is_none());
        self.len.set(len + 1);
        // Always `None`: forgotten, so no drop code sits on the return path.
        std::mem::forget(previous);
        Ok(())
    }

    /// Stores `value` if there is room, without accounting for its bytes
    /// (they are already covered: it comes from the shared tier).
    #[inline]
    fn store(&self, value: T) -> Result<(), T> {
        let len = self.len.get();
        match self.slots.get(len) {
            Some(slot) => {
                let previous = slot.replace(Some(value));
                debug_assert!(previous.is_none());
                self.len.set(len + 1);
                // Always `None`: forgotten, so no drop code sits on the
                // return path.
                std::mem::forget(previous);
                Ok(())
            }
            None => Err(value),
        }
    }

    /// Moves the top `n` objects (at most all of them) into `magazine`,
    /// bottom first, so that `refill` restores the same order. Never
    /// allocates: the caller passes a magazine with room for `n`.
    pub(crate) fn drain_top_into(&self, n: usize, magazine: &mut Vec<T>) {
        let len = self.len.get();
        let start = len - n.min(len);
        debug_assert!(magazine.capacity() - magazine.len() >= len - start);
        for slot in &self.slots[start..len] {
            if let Some(value) = slot.take() {
                magazine.push(value);
            }
        }
        self.len.set(start);
        if start < self.old.get() {
            self.old.set(start);
        }
    }

    /// Moves every object of `magazine` into this cache (which the caller
    /// found empty), young. Gives back the ones that do not fit.
    pub(crate) fn refill(&self, magazine: &mut Vec<T>) {
        for value in magazine.drain(..) {
            // The caller found this cache empty and no user code ran since,
            // and a magazine holds at most half a cache (or one object, for
            // a cache of capacity 0, which the caller hands out first).
            let stored = self.store(value);
            debug_assert!(stored.is_ok(), "refill into a full cache");
        }
    }

    /// Whether this cache has applied every trim up to `epoch`.
    #[inline]
    pub(crate) fn is_current(&self, epoch: u64) -> bool {
        self.seen_epoch.get() == epoch
    }

    /// Applies the trims this cache missed if the pool's epoch moved on: the
    /// check every use of the cache makes first.
    #[inline]
    pub(crate) fn observe(&self, epoch: u64) {
        if self.seen_epoch.get() != epoch {
            self.catch_up(epoch);
        }
    }

    /// Applies the trims this cache missed, up to `epoch`: one missed trim
    /// frees the old generation and makes every survivor old; two or more
    /// free everything (nothing was used in between). Returns how many
    /// objects were freed.
    #[cold]
    pub(crate) fn catch_up(&self, epoch: u64) -> usize {
        // Epochs only grow; a caller holding an older one (a nested trim
        // already moved this cache on) has nothing left to apply.
        let seen = self.seen_epoch.get();
        if epoch <= seen {
            return 0;
        }
        self.seen_epoch.set(epoch);
        let missed = epoch - seen;
        let len = self.len.get();
        let victims = if missed >= 2 {
            len
        } else {
            self.old.get().min(len)
        };
        // Move the victims (the bottom of the stack) to the top, keeping the
        // survivors' order, so they can be popped one by one below.
        rotate_left(&self.slots[..len], victims);
        self.old.set(len - victims);
        // Pop and drop each victim. `T::drop` is user code and may use this
        // pool again: if it stores an object here meanwhile, the next pop
        // frees that object instead of a victim; if it takes one, it takes a
        // victim (reused, so rightly spared) and the loop then frees a
        // survivor early. Either way no object is lost or handed out twice,
        // and the cache never grows past its capacity.
        let mut freed = 0;
        let mut freed_bytes = 0;
        for _ in 0..victims {
            let Some(top) = self.len.get().checked_sub(1) else {
                break;
            };
            let value = self.slots[top].take();
            self.len.set(top);
            if top < self.old.get() {
                self.old.set(top);
            }
            if let Some(value) = &value {
                freed += 1;
                freed_bytes += value.bytes();
                self.counters.trimmed.bump();
                // Before the drop (user code, which may use the pool).
                self.counters.retained_bytes.sub(value.bytes() as u64);
            }
            drop(value);
        }
        if let Some(budget) = &self.budget {
            // Idle long enough to be trimmed: the credit goes back too.
            budget.release(freed_bytes + self.credit.replace(0));
        }
        freed
    }

    /// Applies the trims missed up to `epoch`, as [`catch_up`](Self::catch_up)
    /// does, on a cache whose thread exited: the victims move to `victims`
    /// instead of being dropped here (the caller drops them outside its
    /// locks, since `T::drop` is user code). Returns the budget bytes to
    /// release once they are dropped (theirs and all credit).
    pub(crate) fn take_aged(&self, epoch: u64, victims: &mut Vec<T>) -> usize {
        let seen = self.seen_epoch.get();
        if epoch <= seen {
            return 0;
        }
        self.seen_epoch.set(epoch);
        let len = self.len.get();
        let count = if epoch - seen >= 2 {
            len
        } else {
            self.old.get().min(len)
        };
        // The bottom `count` objects go; the survivors move down, in order.
        let mut freed_bytes = 0;
        for slot in &self.slots[..count] {
            if let Some(value) = slot.take() {
                freed_bytes += value.bytes();
                self.counters.trimmed.bump();
                self.counters.retained_bytes.sub(value.bytes() as u64);
                victims.push(value);
            }
        }
        for i in count..len {
            self.slots[i - count].set(self.slots[i].take());
        }
        self.len.set(len - count);
        self.old.set(len - count);
        if self.budget.is_some() {
            freed_bytes + self.credit.replace(0)
        } else {
            0
        }
    }

    /// Objects held now (owning thread only).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }
}

/// Rotates `cells` left by `k`, by three reversals (no allocation).
fn rotate_left<T>(cells: &[Cell<T>], k: usize) {
    fn reverse<T>(cells: &[Cell<T>]) {
        let n = cells.len();
        for i in 0..n / 2 {
            cells[i].swap(&cells[n - 1 - i]);
        }
    }
    if k == 0 || k == cells.len() {
        return;
    }
    reverse(&cells[..k]);
    reverse(&cells[k..]);
    reverse(cells);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In these tests an object's value is its byte count.
    impl Weighed for u32 {
        fn bytes(&self) -> usize {
            *self as usize
        }
    }

    fn cache(cap: usize) -> LocalCache<u32> {
        LocalCache::new(cap, cap, 0, Arc::default(), None)
    }

    #[test]
    fn push_respects_capacity_and_pop_is_lifo() {
        let c = cache(2);
        assert!(c.push(1).is_ok());
        assert!(c.push(2).is_ok());
        assert_eq!(c.push(3), Err(Refused::Full(3)));
        assert_eq!(c.pop(0), Some(2));
        assert_eq!(c.pop(0), Some(1));
        assert_eq!(c.pop(0), None);
    }

    #[test]
    fn object_unused_between_two_trims_is_freed() {
        let c = cache(8);
        for i in 0..4 {
            c.push(i).unwrap();
        }
        // First trim: nothing is old yet, everything becomes old.
        assert_eq!(c.catch_up(1), 0);
        assert_eq!(c.len(), 4);
        // Reuse one object (3) and return it: it is young again.
        let v = c.pop(1).unwrap();
        assert_eq!(v, 3);
        c.push(v).unwrap();
        c.push(9).unwrap();
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
            c.push(i).unwrap();
        }
        // The pool trimmed twice while this thread was idle.
        assert_eq!(c.pop(2), None);
        assert_eq!(c.counters.trimmed.read(), 5);
    }

    #[test]
    fn one_missed_trim_is_applied_before_use() {
        let c = cache(8);
        c.push(1).unwrap();
        c.catch_up(1); // 1 is old now
        c.push(2).unwrap();
        // A trim happened elsewhere (epoch 2): 1 goes, 2 survives as old.
        assert_eq!(c.pop(2), Some(2));
        assert_eq!(c.pop(2), None);
        assert_eq!(c.counters.trimmed.read(), 1);
    }

    #[test]
    fn warm_round_trips_move_bytes_between_kept_and_credit_only() {
        let budget = Arc::new(Budget::new(1 << 20));
        let c = LocalCache::new(4, 4, 0, Arc::default(), Some(Arc::clone(&budget)));
        c.push(1000).unwrap(); // reserves a chunk
        let reserved = budget.reserved();
        assert!(reserved >= 1000 && reserved <= CREDIT_CHUNK.max(1000));
        for _ in 0..100 {
            let v = c.pop(0).unwrap();
            c.push(v).unwrap();
        }
        assert_eq!(budget.reserved(), reserved, "the budget was not touched");
        assert_eq!(c.counters.retained_bytes.read(), 1000);
        // A return that does not fit in the budget is refused, and nothing
        // is reserved for it.
        let small = LocalCache::new(4, 4, 0, Arc::default(), Some(Arc::new(Budget::new(1500))));
        small.push(1000).unwrap();
        assert_eq!(small.push(600), Err(Refused::OverBudget(600)));
        small.push(500).unwrap();
        // Two missed trims free everything and give all credit back.
        assert_eq!(small.catch_up(2), 2);
        assert_eq!(small.budget.as_ref().unwrap().reserved(), 0);
        assert_eq!(small.counters.retained_bytes.read(), 0);
    }

    #[test]
    fn rotate_left_keeps_order() {
        for n in 0..7 {
            for k in 0..=n {
                let cells: Vec<Cell<usize>> = (0..n).map(Cell::new).collect();
                rotate_left(&cells, k);
                let got: Vec<usize> = cells.iter().map(Cell::get).collect();
                let mut want: Vec<usize> = (0..n).collect();
                want.rotate_left(k);
                assert_eq!(got, want, "n={n} k={k}");
            }
        }
    }
}
