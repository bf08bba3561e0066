//! The storage engine shared by both cache flavours: slab, hash index, eviction queues and
//! timer wheel, with the entry and weight bounds. It never calls user code other than
//! `Hash`/`Eq` of the key: evicted entries are handed to an `out` callback chosen by the
//! flavour (the listener directly for the single-thread cache, a bounded buffer emptied
//! after unlock for the concurrent one).

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

use super::config::{CacheConfigError, Limits};
use super::eviction::S3Fifo;
use super::slab::{Entry, Slab, Timer, NEVER};
use super::timer_wheel::TimerWheel;
use crate::cache::listener::{EvictionCause, RefusalReason, Refused};
use crate::cache::stats::CacheStats;

/// How many timer-wheel entries a write examines at most to reclaim expired entries.
pub(crate) const SWEEP_BUDGET: usize = 8;

/// Where the core puts the entries it removes: the listener itself (single-thread cache)
/// or a bounded buffer handed to the listener after the lock is released (sharded cache).
pub(crate) trait Sink<K, V> {
    /// Whether one more entry fits. A sink that calls the listener directly always has room.
    #[inline]
    fn has_room(&self) -> bool {
        true
    }

    /// Takes a removed entry.
    fn push(&mut self, key: K, value: V, cause: EvictionCause);
}

impl<K, V, F: FnMut(K, V, EvictionCause)> Sink<K, V> for F {
    #[inline]
    fn push(&mut self, key: K, value: V, cause: EvictionCause) {
        self(key, value, cause)
    }
}

/// An insert as the flavour prepared it, outside any lock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Write {
    /// The key's hash.
    pub(crate) hash: u64,
    /// The weigher's verdict (1 without a weigher).
    pub(crate) weight: u64,
    /// Time to live in nanoseconds: [`NEVER`] for none, 0 for a zero TTL (refused).
    pub(crate) ttl: u64,
    /// The time of the operation (0 if nothing can expire; see [`Store::needs_time`]).
    pub(crate) now: u64,
}

/// What an insert has done so far: the sharded cache may call [`Store::insert`] several
/// times for one insert (when its buffer of removed entries fills), and the insert must
/// still count as one update and sweep once.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct InsertProgress {
    replaced: bool,
    to_main: bool,
    swept: bool,
}

/// The result of [`Store::insert`].
pub(crate) enum Inserted<K, V> {
    /// Stored at this slab index.
    Stored(u32),
    /// Refused; only the key's previous entry was removed.
    Refused(Refused<K, V>),
    /// The sink is full before enough room was made: hand its entries out and call again.
    SinkFull(K, V),
}

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
    /// A store for `limits.capacity` entries, with all its memory reserved (written only as
    /// entries arrive, except the index's control bytes); an allocation that fails is a
    /// [`CacheConfigError::OutOfMemory`].
    pub(crate) fn try_new(limits: Limits, hasher: S) -> Result<Self, CacheConfigError> {
        let capacity = limits.capacity;
        let out_of_memory = |bytes| CacheConfigError::OutOfMemory { bytes };
        let slab = Slab::try_with_capacity(capacity).map_err(out_of_memory)?;
        // Twice the bound (+16 for tiny tables): erase tombstones are then always cleaned
        // by an in-place rehash instead of a reallocation.
        let slots = capacity.saturating_mul(2).saturating_add(16);
        let mut index = HashTable::new();
        index
            .try_reserve(slots, |_: &u32| 0)
            .map_err(|_| out_of_memory(slots.saturating_mul(std::mem::size_of::<u32>() + 1)))?;
        let policy = S3Fifo::try_new(capacity).map_err(out_of_memory)?;
        Ok(Store {
            slab,
            index,
            hasher,
            policy,
            wheel: TimerWheel::try_new().map_err(out_of_memory)?,
            limits,
            weight: 0,
            stats: CacheStats::default(),
        })
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
        self.policy.on_hit(hash, &mut e.freq);
        self.stats.hits += u64::from(counted);
        Lookup::Hit(idx)
    }

    /// Removes the entry at `idx` from every structure and counts the eviction.
    fn remove_idx(&mut self, idx: u32, cause: EvictionCause) -> (K, V) {
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
    fn sweep(&mut self, now: u64, mut budget: usize, out: &mut impl Sink<K, V>) {
        if self.wheel.scheduled() == 0 {
            return;
        }
        self.wheel.advance(&mut self.slab, now);
        while let Some(idx) =
            self.wheel
                .pop_expired(&mut self.slab, now, self.limits.tti, &mut budget)
        {
            let (k, v) = self.remove_idx(idx, EvictionCause::Expired);
            out.push(k, v, EvictionCause::Expired);
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
    pub(crate) fn purge_some(&mut self, now: u64, max: usize, out: &mut impl Sink<K, V>) -> bool {
        for _ in 0..max {
            let mut budget = usize::MAX;
            match self
                .wheel
                .pop_expired(&mut self.slab, now, self.limits.tti, &mut budget)
            {
                Some(idx) => {
                    let (k, v) = self.remove_idx(idx, EvictionCause::Expired);
                    out.push(k, v, EvictionCause::Expired);
                }
                None => return true,
            }
        }
        false
    }

    /// Whether inserting an entry of `weight` needs an eviction first.
    #[inline]
    fn needs_room(&self, weight: u64) -> bool {
        self.slab.len() >= self.limits.capacity
            || self.limits.max_weight.is_some_and(|budget| {
                // No saturation: with a budget of `u64::MAX` a saturated sum would fit.
                self.weight
                    .checked_add(weight)
                    .map_or(true, |total| total > budget)
            })
    }

    /// Evicts one entry chosen by the eviction policy. The cache must not be empty.
    fn evict_one(&mut self) -> (K, V) {
        let idx = self.policy.victim(&mut self.slab);
        self.remove_unqueued(idx, EvictionCause::Capacity)
    }

    /// Inserts `key` and `value` as `w` describes, in this order:
    ///
    /// 1. the key's previous entry is removed (cause `Replaced`, or `Expired` if expired);
    /// 2. a zero TTL or an entry heavier than the whole budget is refused: nothing else is
    ///    removed (no sweep, no eviction);
    /// 3. the write sweeps up to [`SWEEP_BUDGET`] timer-wheel entries (once per insert);
    /// 4. entries are evicted for capacity until the new one fits;
    /// 5. the entry is stored.
    ///
    /// Removed entries go to `out`. If `out` fills before the entry fits, the key and value
    /// are handed back ([`Inserted::SinkFull`]): empty the sink and call again with the same
    /// `progress`.
    pub(crate) fn insert(
        &mut self,
        w: Write,
        key: K,
        value: V,
        progress: &mut InsertProgress,
        out: &mut impl Sink<K, V>,
    ) -> Inserted<K, V> {
        if let Some(idx) = self.find(w.hash, &key) {
            let expired = self.is_expired(idx, w.now);
            let cause = if expired {
                EvictionCause::Expired
            } else {
                EvictionCause::Replaced
            };
            progress.to_main |= !expired && self.slab.get(idx).in_main;
            progress.replaced |= !expired;
            let (k, v) = self.remove_idx(idx, cause);
            out.push(k, v, cause);
        }
        let refusal = match self.limits.max_weight {
            _ if w.ttl == 0 => Some(RefusalReason::ZeroTtl),
            Some(budget) if w.weight > budget => Some(RefusalReason::TooHeavy {
                weight: w.weight,
                budget,
            }),
            _ => None,
        };
        if let Some(reason) = refusal {
            return Inserted::Refused(Refused { key, value, reason });
        }
        if !progress.swept {
            progress.swept = true;
            self.sweep(w.now, SWEEP_BUDGET, out);
        }
        while self.needs_room(w.weight) {
            if !out.has_room() {
                return Inserted::SinkFull(key, value);
            }
            let (k, v) = self.evict_one();
            out.push(k, v, EvictionCause::Capacity);
        }
        if progress.replaced {
            self.stats.updates += 1;
        } else {
            self.stats.inserts += 1;
        }
        let expires_at = if w.ttl == NEVER {
            NEVER
        } else {
            w.now.saturating_add(w.ttl).min(NEVER - 1)
        };
        Inserted::Stored(self.insert_new(
            w.hash,
            key,
            value,
            w.weight,
            expires_at,
            w.now,
            progress.to_main,
        ))
    }

    /// Removes the entry under `key`: its key, value and cause (`cause`, or `Expired` if it
    /// had expired at `now`).
    pub(crate) fn remove<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        now: u64,
        cause: EvictionCause,
    ) -> Option<(K, V, EvictionCause)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let idx = self.find(hash, key)?;
        let cause = if self.is_expired(idx, now) {
            EvictionCause::Expired
        } else {
            cause
        };
        let (k, v) = self.remove_idx(idx, cause);
        Some((k, v, cause))
    }

    /// Stores a new entry; the caller has made room and removed any entry with the same key.
    #[allow(clippy::too_many_arguments)]
    fn insert_new(
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
        out: &mut impl Sink<K, V>,
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
                    out.push(k, v, cause);
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
            self.policy.sketch_words(),
        )
    }
}
