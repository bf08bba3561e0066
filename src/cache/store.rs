//! The storage engine shared by both cache flavours: slab, hash index, S3-FIFO queues and
//! timer wheel, with the entry and weight bounds. It never calls user code other than
//! `Hash`/`Eq` of the key: evicted entries are handed to an `out` callback chosen by the
//! flavour (the listener directly for the single-thread cache, a bounded buffer emptied
//! after unlock for the concurrent one).

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

use super::eviction::S3Fifo;
use super::listener::EvictionCause;
use super::slab::{Entry, Slab, Timer, NEVER};
use super::stats::CacheStats;
use super::timer_wheel::TimerWheel;

/// Outcome of a lookup that counts as a hit or a miss.
pub(crate) enum Lookup<K, V> {
    /// A live entry, at this slab index.
    Hit(u32),
    /// Nothing live under the key.
    Miss,
    /// The entry had expired: it was removed and is handed back for the listener.
    Expired(K, V),
    /// The entry has a deadline but the caller supplied no time: read the clock and retry.
    NeedTime,
}

/// Configuration numbers already validated by the builder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) capacity: usize,
    /// Weight budget, or [`NEVER`] when unweighted.
    pub(crate) max_weight: u64,
    /// Default time to live in nanoseconds, or [`NEVER`].
    pub(crate) ttl: u64,
    /// Time to idle in nanoseconds, or [`NEVER`].
    pub(crate) tti: u64,
}

pub(crate) struct Store<K, V, S> {
    slab: Slab<K, V>,
    index: HashTable<u32>,
    pub(crate) hasher: S,
    policy: S3Fifo,
    wheel: TimerWheel,
    pub(crate) limits: Limits,
    weight: u64,
    pub(crate) stats: CacheStats,
}

impl<K: Hash + Eq, V, S: BuildHasher> Store<K, V, S> {
    pub(crate) fn new(limits: Limits, hasher: S) -> Self {
        Store {
            slab: Slab::with_capacity(limits.capacity),
            // Twice the bound (+16 for tiny tables): erase tombstones are then always cleaned
            // by an in-place rehash instead of a reallocation.
            index: HashTable::with_capacity(2 * limits.capacity + 16),
            hasher,
            policy: S3Fifo::new(limits.capacity),
            wheel: TimerWheel::new(),
            limits,
            weight: 0,
            stats: CacheStats::default(),
        }
    }

    #[inline]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline]
    pub(crate) fn find<Q>(&self, hash: u64, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let slab = &self.slab;
        self.index
            .find(hash, |&i| slab.get(i).key.borrow() == key)
            .copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }

    pub(crate) fn weight(&self) -> u64 {
        self.weight
    }

    /// Whether a write must read the clock: some deadline may exist or be created.
    #[inline]
    pub(crate) fn is_timed(&self, ttl: u64) -> bool {
        ttl != NEVER || self.limits.tti != NEVER || self.wheel.scheduled() > 0
    }

    /// Whether the entry at `idx` can expire (so reading it needs the time).
    #[inline]
    pub(crate) fn needs_time(&self, idx: u32) -> bool {
        self.slab.get(idx).timed
    }

    #[inline]
    pub(crate) fn is_expired(&self, idx: u32, now: u64) -> bool {
        let timer = self.slab.timer(idx);
        self.slab.get(idx).timed && timer.deadline(self.limits.tti) <= now
    }

    pub(crate) fn entry(&self, idx: u32) -> &Entry<K, V> {
        self.slab.get(idx)
    }

    pub(crate) fn entry_mut(&mut self, idx: u32) -> &mut Entry<K, V> {
        self.slab.get_mut(idx)
    }

    /// A lookup (counted as a hit or miss if `counted`): bumps the entry's counter (nothing moves) and, with a time to
    /// idle, its last access; removes the entry if it has expired.
    #[inline]
    pub(crate) fn lookup<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        now: &mut impl FnMut() -> Option<u64>,
        counted: bool,
    ) -> Lookup<K, V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let Some(idx) = self.find(hash, key) else {
            self.stats.misses += u64::from(counted);
            return Lookup::Miss;
        };
        if self.slab.get(idx).timed {
            let Some(t) = now() else {
                return Lookup::NeedTime;
            };
            let tti = self.limits.tti;
            let timer = self.slab.timer_mut(idx);
            if timer.deadline(tti) <= t {
                self.stats.misses += u64::from(counted);
                let (k, v) = self.remove_idx(idx, EvictionCause::Expired);
                return Lookup::Expired(k, v);
            }
            // Never backwards: in the sharded cache `t` was read before the lock, and a
            // reader holding an older time must not undo a newer renewal.
            timer.last_access = timer.last_access.max(t);
        }
        let e = self.slab.get_mut(idx);
        S3Fifo::on_hit(&mut e.freq);
        self.stats.hits += u64::from(counted);
        Lookup::Hit(idx)
    }

    /// Removes the entry at `idx` from every structure and counts the eviction.
    pub(crate) fn remove_idx(&mut self, idx: u32, cause: EvictionCause) -> (K, V) {
        self.policy.unlink(&mut self.slab, idx);
        self.remove_unqueued(idx, cause)
    }

    /// [`remove_idx`](Self::remove_idx) for an entry already taken out of its queue.
    fn remove_unqueued(&mut self, idx: u32, cause: EvictionCause) -> (K, V) {
        let hash = self.slab.get(idx).hash;
        match self.index.find_entry(hash, |&i| i == idx) {
            Ok(e) => {
                e.remove();
            }
            Err(_) => unreachable!("slab entry missing from the index"),
        }
        if self.slab.get(idx).timed {
            self.wheel.cancel(&mut self.slab, idx);
        }
        let e = self.slab.remove(idx);
        self.weight -= e.weight;
        self.stats.record_eviction(cause);
        (e.key, e.value)
    }

    /// Moves the wheel to `now` and reclaims up to `budget` examined wheel entries, handing
    /// each expired one to `out`.
    pub(crate) fn sweep(
        &mut self,
        now: u64,
        mut budget: usize,
        out: &mut impl FnMut(K, V, EvictionCause),
    ) {
        if self.wheel.scheduled() == 0 {
            return;
        }
        self.wheel.advance(&mut self.slab, now);
        while let Some(idx) =
            self.wheel
                .pop_expired(&mut self.slab, now, self.limits.tti, &mut budget)
        {
            let (k, v) = self.remove_idx(idx, EvictionCause::Expired);
            out(k, v, EvictionCause::Expired);
        }
    }

    /// Starts an exact sweep: after this, [`purge_some`](Self::purge_some) finds every entry
    /// expired at `now`.
    pub(crate) fn purge_begin(&mut self, now: u64) {
        if self.wheel.scheduled() > 0 {
            self.wheel.advance(&mut self.slab, now);
            self.wheel.flush_current(&mut self.slab);
        }
    }

    /// Removes up to `max` expired entries into `out`; returns whether the sweep is done.
    /// O(entries examined): entries not yet due are filed again in the wheel.
    pub(crate) fn purge_some(
        &mut self,
        now: u64,
        max: usize,
        out: &mut impl FnMut(K, V, EvictionCause),
    ) -> bool {
        for _ in 0..max {
            let mut budget = usize::MAX;
            match self
                .wheel
                .pop_expired(&mut self.slab, now, self.limits.tti, &mut budget)
            {
                Some(idx) => {
                    let (k, v) = self.remove_idx(idx, EvictionCause::Expired);
                    out(k, v, EvictionCause::Expired);
                }
                None => return true,
            }
        }
        false
    }

    /// Whether inserting an entry of `weight` needs an eviction first.
    #[inline]
    pub(crate) fn needs_room(&self, weight: u64) -> bool {
        self.slab.len() >= self.limits.capacity
            || (self.limits.max_weight != NEVER
                && self.weight.saturating_add(weight) > self.limits.max_weight)
    }

    /// Evicts one entry chosen by S3-FIFO. The cache must not be empty.
    pub(crate) fn evict_one(&mut self) -> (K, V) {
        let idx = self.policy.victim(&mut self.slab);
        self.remove_unqueued(idx, EvictionCause::Capacity)
    }

    /// Stores a new entry; the caller has made room and removed any entry with the same key.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert_new(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        weight: u64,
        expires_at: u64,
        now: u64,
        to_main: bool,
    ) -> u32 {
        debug_assert!(!self.needs_room(weight));
        let timer = Timer::new(expires_at, now);
        let deadline = timer.deadline(self.limits.tti);
        let timed = deadline != NEVER;
        let idx = self
            .slab
            .insert(Entry::new(key, value, hash, weight, timed), timer);
        let slab = &self.slab;
        self.index.insert_unique(hash, idx, |&i| slab.get(i).hash);
        self.policy.admit(&mut self.slab, idx, to_main);
        self.weight += weight;
        if timed {
            self.wheel.schedule(&mut self.slab, idx, deadline);
        }
        idx
    }

    /// Removes up to `max` entries from slot `*cursor` on, handing each to `out` with cause
    /// `Removed` (`Expired` if expired at `now`); returns whether none is left. Start with
    /// `*cursor == 0`. Keeps the memory.
    pub(crate) fn drain_some(
        &mut self,
        now: u64,
        cursor: &mut u32,
        max: usize,
        out: &mut impl FnMut(K, V, EvictionCause),
    ) -> bool {
        for _ in 0..max {
            match self.slab.next_occupied(*cursor) {
                Some(idx) => {
                    let cause = if self.is_expired(idx, now) {
                        EvictionCause::Expired
                    } else {
                        EvictionCause::Removed
                    };
                    let (k, v) = self.remove_idx(idx, cause);
                    out(k, v, cause);
                    *cursor = idx + 1;
                }
                None => return true,
            }
        }
        self.slab.next_occupied(*cursor).is_none()
    }

    /// Live entries at `now` (`None`: no entry can have expired).
    pub(crate) fn iter_live(&self, now: Option<u64>) -> impl Iterator<Item = (&K, &V)> {
        let tti = self.limits.tti;
        self.slab
            .iter()
            .filter(move |&(i, e)| {
                !e.timed || now.map_or(true, |t| self.slab.timer(i).deadline(tti) > t)
            })
            .map(|(_, e)| (&e.key, &e.value))
    }

    #[cfg(test)]
    pub(crate) fn reserved(&self) -> (usize, usize, (u32, u32), usize) {
        (
            self.slab.slot_capacity(),
            self.index.allocation_size(),
            self.policy.queue_lens(),
            self.policy.ghost.len(),
        )
    }
}
