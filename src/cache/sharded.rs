//! [`ShardedTtlCache`]: the concurrent cache, a fixed set of [`Store`]s each behind its own
//! `Mutex`, with single-flight loading.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

use super::builder::ShardedCacheBuilder;
use super::clock::{duration_nanos, Clock, SystemClock};
use super::listener::{EvictionCause, RefusalReason, Refused, SyncListener, SyncWeigher};
use super::shard::{Evicted, LoadGuard, Shard, ShardState, EVICTED_BUFFER};
use super::slab::NEVER;
use super::stats::CacheStats;
use super::store::{Limits, Lookup, Store};
use super::unsync::SWEEP_BUDGET;
use super::DefaultHashBuilder;
use crate::sync::{wait, AtomicBool, Condvar, Mutex, MutexGuard, Ordering};

/// A concurrent bounded cache with per-entry time to live: the same behaviour as
/// [`TtlCache`](super::TtlCache), with `&self` methods, `Send + Sync`.
///
/// * Keys are spread over a fixed number of shards by hash; each shard is a `TtlCache`
///   store behind its own `Mutex`, holding an even share of the capacity and weight budget.
///   Operations on different shards do not contend.
/// * The eviction listener, the weigher, the loader of
///   [`get_or_insert_with`](Self::get_or_insert_with) and the clock never run under a lock;
///   removed entries are collected in a fixed buffer on the stack and handed out (or
///   dropped) after the lock is released. What does run under the shard lock: the key's
///   `Eq` (the hash is computed before locking), the value's `Clone` (`get`, a hit in
///   `get_or_insert_with`, `iter`) and the key's `Clone` (`iter`).
/// * Steady-state `get`, `insert` and eviction do not allocate. (`get_or_insert_with` with
///   more than 8 loaders running at once in one shard grows that shard's list of loading
///   keys once.)
/// * Dropping the cache drops its entries without calling the listener.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use poolkit::cache::ShardedTtlCache;
///
/// let cache = Arc::new(ShardedTtlCache::new(1_000));
/// let handles: Vec<_> = (0..4u64)
///     .map(|t| {
///         let cache = cache.clone();
///         std::thread::spawn(move || {
///             for i in 0..100 {
///                 cache.insert(t * 1000 + i, i).unwrap();
///             }
///         })
///     })
///     .collect();
/// handles.into_iter().for_each(|h| h.join().unwrap());
/// assert_eq!(cache.len(), 400);
/// assert_eq!(cache.get(&3042), Some(42));
/// ```
pub struct ShardedTtlCache<K, V, S = DefaultHashBuilder, C = SystemClock> {
    shards: Box<[Shard<K, V, S>]>,
    hasher: S,
    clock: C,
    listener: Option<SyncListener<K, V>>,
    weigher: Option<SyncWeigher<K, V>>,
    limits: Limits,
}

impl<K: Hash + Eq, V> ShardedTtlCache<K, V> {
    /// A concurrent cache of at most `capacity` entries, without default time to live,
    /// with the default number of shards.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0; [`builder`](Self::builder)'s `build()` returns an error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(100);
    /// cache.insert("k", 1).unwrap();
    /// assert_eq!(cache.get("k"), Some(1));
    /// ```
    pub fn new(capacity: usize) -> Self {
        match Self::builder(capacity).build() {
            Ok(cache) => cache,
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts configuring a concurrent cache of at most `capacity` entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::<u64, u64>::builder(64).shards(4).build().unwrap();
    /// assert_eq!(cache.shard_count(), 4);
    /// ```
    pub fn builder(capacity: usize) -> ShardedCacheBuilder<K, V> {
        ShardedCacheBuilder::new(capacity)
    }
}

impl<K: Hash + Eq, V, S: BuildHasher + Clone, C: Clock> ShardedTtlCache<K, V, S, C> {
    pub(crate) fn from_parts(
        limits: Limits,
        shards: usize,
        hasher: S,
        clock: C,
        listener: Option<SyncListener<K, V>>,
        weigher: Option<SyncWeigher<K, V>>,
    ) -> Self {
        let shards = if limits.max_weight == NEVER {
            shards
        } else {
            shards.min(usize::try_from(limits.max_weight).unwrap_or(usize::MAX))
        };
        let split = |total: u64, i: usize| {
            let n = shards as u64;
            total / n + u64::from((i as u64) < total % n)
        };
        let shards: Box<[_]> = (0..shards)
            .map(|i| {
                let shard_limits = Limits {
                    capacity: split(limits.capacity as u64, i) as usize,
                    max_weight: if limits.max_weight == NEVER {
                        NEVER
                    } else {
                        split(limits.max_weight, i)
                    },
                    ..limits
                };
                Shard {
                    state: Mutex::new(ShardState {
                        store: Store::new(shard_limits, hasher.clone()),
                        loading: Vec::with_capacity(8),
                    }),
                    loaded: Condvar::new(),
                    timed: AtomicBool::new(limits.ttl != NEVER || limits.tti != NEVER),
                }
            })
            .collect();
        ShardedTtlCache {
            shards,
            hasher,
            clock,
            listener,
            weigher,
            limits,
        }
    }

    #[inline]
    fn shard(&self, hash: u64) -> &Shard<K, V, S> {
        // Multiply-shift on bits the hash table does not use for its control bytes.
        let i = ((hash >> 32) * self.shards.len() as u64) >> 32;
        &self.shards[i as usize]
    }

    #[inline]
    fn now_if(&self, shard: &Shard<K, V, S>) -> Option<u64> {
        // Relaxed: a hint only (see `Shard::timed`).
        shard
            .timed
            .load(Ordering::Relaxed)
            .then(|| self.clock.now_nanos())
    }

    /// Locks `key`'s shard and finds its entry: the guard, the entry's index and whether it
    /// has expired. The clock is read only if the entry can expire, and never under the
    /// lock: without a time, the lock is released, the clock read, and the search retried.
    fn find_locked<Q>(&self, key: &Q) -> Option<Found<'_, K, V, S>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let mut now = self.now_if(shard);
        loop {
            let st = shard.lock();
            let idx = st.store.find(hash, key)?;
            if !st.store.needs_time(idx) {
                return Some((st, idx, false));
            }
            match now {
                Some(t) => {
                    let expired = st.store.is_expired(idx, t);
                    return Some((st, idx, expired));
                }
                None => {
                    drop(st);
                    now = Some(self.clock.now_nanos());
                }
            }
        }
    }

    /// A clone of the live value under `key`, counting a hit or a miss. Like
    /// [`TtlCache::get`](super::TtlCache::get): a hit moves nothing; an expired entry is
    /// removed and `None` returned. Use `V = Arc<T>` for values costly to clone.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(4);
    /// cache.insert(1, "one".to_string()).unwrap();
    /// assert_eq!(cache.get(&1).as_deref(), Some("one"));
    /// assert_eq!(cache.get(&2), None);
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let mut now = self.now_if(shard);
        loop {
            let mut st = shard.lock();
            match st.store.lookup(hash, key, &mut || now, true) {
                Lookup::Hit(idx) => return Some(st.store.entry(idx).value.clone()),
                Lookup::Miss => return None,
                Lookup::Expired(k, v) => {
                    drop(st);
                    self.notify(k, v, EvictionCause::Expired);
                    return None;
                }
                Lookup::NeedTime => {
                    drop(st);
                    now = Some(self.clock.now_nanos());
                }
            }
        }
    }

    /// Whether a live entry exists under `key`. Counts neither hit nor miss.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(4);
    /// cache.insert(1, ()).unwrap();
    /// assert!(cache.contains_key(&1) && !cache.contains_key(&2));
    /// ```
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find_locked(key)
            .is_some_and(|(_, _, expired)| !expired)
    }

    /// Inserts `value` under `key` with the default time to live. Same semantics as
    /// [`TtlCache::insert`](super::TtlCache::insert); the listener runs after the shard
    /// lock is released.
    ///
    /// # Errors
    ///
    /// [`RefusalReason::TooHeavy`] if the entry weighs more than its shard's weight budget.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::builder(1).build().unwrap();
    /// cache.insert(1, 1).unwrap();
    /// cache.insert(2, 2).unwrap();
    /// assert_eq!((cache.len(), cache.get(&2)), (1, Some(2)));
    /// ```
    pub fn insert(&self, key: K, value: V) -> Result<(), Refused<K, V>> {
        self.insert_inner(key, value, self.limits.ttl, None)
    }

    /// Inserts with a time to live of `ttl` for this entry (`Duration::MAX`: never).
    ///
    /// # Errors
    ///
    /// As [`insert`](Self::insert), and [`RefusalReason::ZeroTtl`] for a zero `ttl` (any
    /// previous entry of the key is removed, cause `Replaced`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, ShardedTtlCache};
    /// let clock = ManualClock::new();
    /// let cache = ShardedTtlCache::builder(4).clock(clock.clone()).build().unwrap();
    /// cache.insert_with_ttl(1, 1, Duration::from_secs(1)).unwrap();
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(cache.get(&1), None);
    /// assert!(cache.insert_with_ttl(2, 2, Duration::ZERO).is_err());
    /// ```
    pub fn insert_with_ttl(&self, key: K, value: V, ttl: Duration) -> Result<(), Refused<K, V>> {
        if ttl.is_zero() {
            self.remove_with_cause(&key, EvictionCause::Replaced);
            return Err(Refused {
                key,
                value,
                reason: RefusalReason::ZeroTtl,
            });
        }
        self.insert_inner(key, value, duration_nanos(ttl), None)
    }

    fn insert_inner(
        &self,
        key: K,
        value: V,
        ttl: u64,
        mut loading: Option<&mut LoadGuard<'_, K, V, S>>,
    ) -> Result<(), Refused<K, V>> {
        let hash = self.hasher.hash_one(&key);
        let weight = self.weigher.as_ref().map_or(1, |w| w(&key, &value));
        let shard = self.shard(hash);
        let mut now = if ttl != NEVER {
            Some(self.clock.now_nanos())
        } else {
            self.now_if(shard)
        };
        let mut buf = Evicted::new();
        let mut swept = false;
        // Kept across the retries below: the entry replaced in a first pass is gone by the
        // second, but the insert is still an update and keeps its place in main.
        let mut replaced = false;
        let mut to_main = false;
        loop {
            let mut st = shard.lock();
            let timed = st.store.is_timed(ttl);
            let t = match (timed, now) {
                (true, None) => {
                    drop(st);
                    now = Some(self.clock.now_nanos());
                    continue;
                }
                (_, t) => t.unwrap_or(0),
            };
            if let Some(idx) = st.store.find(hash, &key) {
                let expired = timed && st.store.is_expired(idx, t);
                let cause = if expired {
                    EvictionCause::Expired
                } else {
                    EvictionCause::Replaced
                };
                to_main |= !expired && st.store.entry(idx).in_main;
                replaced |= !expired;
                let (k, v) = st.store.remove_idx(idx, cause);
                buf.push(k, v, cause);
            }
            let budget = st.store.limits.max_weight;
            if weight > budget {
                if let Some(g) = loading.as_deref_mut() {
                    g.finish(&mut st);
                }
                drop(st);
                buf.flush(self.listener.as_ref());
                return Err(Refused {
                    key,
                    value,
                    reason: RefusalReason::TooHeavy { weight, budget },
                });
            }
            if timed && !swept {
                swept = true;
                st.store
                    .sweep(t, SWEEP_BUDGET, &mut |k, v, c| buf.push(k, v, c));
            }
            while st.store.needs_room(weight) && buf.has_room() {
                let (k, v) = st.store.evict_one();
                buf.push(k, v, EvictionCause::Capacity);
            }
            if st.store.needs_room(weight) {
                // More evictions than the buffer holds (a heavy entry): hand these out and
                // go on with a fresh critical section.
                drop(st);
                buf.flush(self.listener.as_ref());
                continue;
            }
            if replaced {
                st.store.stats.updates += 1;
            } else {
                st.store.stats.inserts += 1;
            }
            let expires_at = if ttl == NEVER {
                NEVER
            } else {
                t.saturating_add(ttl).min(NEVER - 1)
            };
            st.store
                .insert_new(hash, key, value, weight, expires_at, t, to_main);
            if expires_at != NEVER {
                shard.timed.store(true, Ordering::Relaxed);
            }
            if let Some(g) = loading.as_deref_mut() {
                g.finish(&mut st);
            }
            drop(st);
            buf.flush(self.listener.as_ref());
            return Ok(());
        }
    }

    /// The live value under `key`, or else the value made by `make` (inserted with the
    /// default time to live, and returned).
    ///
    /// Single flight: however many threads miss the same key at the same time, `make` runs
    /// on one of them; the others wait for it and then read its value. Other keys, even in
    /// the same shard, proceed meanwhile: `make` runs with no lock held. If `make` panics,
    /// one waiting thread (if any) becomes the loader instead. `make` must not itself call
    /// `get_or_insert_with` for the same key (it would wait for itself).
    ///
    /// # Errors
    ///
    /// As [`insert`](Self::insert) when the made value is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(16);
    /// let calls = AtomicUsize::new(0);
    /// std::thread::scope(|s| {
    ///     for _ in 0..4 {
    ///         s.spawn(|| {
    ///             let v = cache
    ///                 .get_or_insert_with(7, || { calls.fetch_add(1, Ordering::SeqCst); 49 })
    ///                 .unwrap();
    ///             assert_eq!(v, 49);
    ///         });
    ///     }
    /// });
    /// assert_eq!(calls.load(Ordering::SeqCst), 1);
    /// ```
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> Result<V, Refused<K, V>>
    where
        V: Clone,
    {
        let hash = self.hasher.hash_one(&key);
        let shard = self.shard(hash);
        let mut now = self.now_if(shard);
        // A call counts one hit or one miss, however many times it looks.
        let mut counted = true;
        loop {
            let mut st = shard.lock();
            match st.store.lookup(hash, &key, &mut || now, counted) {
                Lookup::Hit(idx) => return Ok(st.store.entry(idx).value.clone()),
                Lookup::NeedTime => {
                    drop(st);
                    now = Some(self.clock.now_nanos());
                    continue;
                }
                Lookup::Expired(k, v) => {
                    drop(st);
                    self.notify(k, v, EvictionCause::Expired);
                    counted = false;
                    continue;
                }
                Lookup::Miss => counted = false,
            }
            if st.loading.contains(&hash) {
                let st = wait(&shard.loaded, st);
                drop(st);
                continue;
            }
            st.loading.push(hash);
            break;
        }
        let mut guard = LoadGuard {
            shard,
            hash,
            armed: true,
        };
        let value = make();
        let result = value.clone();
        // The insert clears the loading mark in the same critical section as it stores the
        // value; the guard clears it instead if anything before that panics.
        self.insert_inner(key, value, self.limits.ttl, Some(&mut guard))
            .map(|()| result)
    }

    /// Removes the entry under `key` (listener cause [`EvictionCause::Removed`]; `Expired`
    /// if it had expired). Returns whether a live entry was removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(4);
    /// cache.insert(1, 1).unwrap();
    /// assert!(cache.remove(&1));
    /// assert!(!cache.remove(&1));
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove_with_cause(key, EvictionCause::Removed)
    }

    fn remove_with_cause<Q>(&self, key: &Q, cause: EvictionCause) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some((mut st, idx, expired)) = self.find_locked(key) else {
            return false;
        };
        let cause = if expired {
            EvictionCause::Expired
        } else {
            cause
        };
        let (k, v) = st.store.remove_idx(idx, cause);
        drop(st);
        self.notify(k, v, cause);
        !expired
    }

    /// Removes every expired entry now, shard by shard (the listener runs between shards'
    /// critical sections, a buffer at a time). Returns how many were removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, ShardedTtlCache};
    /// let clock = ManualClock::new();
    /// let cache = ShardedTtlCache::builder(64)
    ///     .time_to_live(Duration::from_secs(1))
    ///     .clock(clock.clone())
    ///     .build()
    ///     .unwrap();
    /// for i in 0..40 {
    ///     cache.insert(i, i).unwrap();
    /// }
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(cache.purge_expired(), 40);
    /// assert!(cache.is_empty());
    /// ```
    pub fn purge_expired(&self) -> usize {
        let now = self.clock.now_nanos();
        let mut removed = 0;
        for shard in self.shards.iter() {
            shard.lock().store.purge_begin(now);
            loop {
                let mut buf = Evicted::new();
                let done = shard
                    .lock()
                    .store
                    .purge_some(now, EVICTED_BUFFER, &mut |k, v, c| buf.push(k, v, c));
                removed += buf.len;
                buf.flush(self.listener.as_ref());
                if done {
                    break;
                }
            }
        }
        removed
    }

    /// Removes every entry (listener cause [`EvictionCause::Removed`], or `Expired` for an
    /// expired one), a bounded batch per critical section.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(100);
    /// for i in 0..50 {
    ///     cache.insert(i, i).unwrap();
    /// }
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// ```
    pub fn clear(&self) {
        let now = self.clock.now_nanos();
        for shard in self.shards.iter() {
            let mut cursor = 0;
            loop {
                let mut buf = Evicted::new();
                let done = shard.lock().store.drain_some(
                    now,
                    &mut cursor,
                    EVICTED_BUFFER,
                    &mut |k, v, c| buf.push(k, v, c),
                );
                buf.flush(self.listener.as_ref());
                if done {
                    break;
                }
            }
        }
    }

    /// Resident entries over all shards (including expired ones not yet reclaimed). Never
    /// more than [`capacity`](Self::capacity). Locks each shard in turn.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(4);
    /// cache.insert(1, 1).unwrap();
    /// assert_eq!(cache.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().store.len()).sum()
    }

    /// Whether no entry is resident.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// assert!(ShardedTtlCache::<u8, u8>::new(4).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total weight of the resident entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::builder(8).shards(1).max_weight(100, |_: &u8, v: &u64| *v).build().unwrap();
    /// cache.insert(1, 30).unwrap();
    /// assert_eq!(cache.weight(), 30);
    /// ```
    pub fn weight(&self) -> u64 {
        self.shards.iter().map(|s| s.lock().store.weight()).sum()
    }

    /// The entry bound (the sum of the shards' shares).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// assert_eq!(ShardedTtlCache::<u8, u8>::new(10).capacity(), 10);
    /// ```
    pub fn capacity(&self) -> usize {
        self.limits.capacity
    }

    /// The number of shards.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// assert_eq!(ShardedTtlCache::<u8, u8>::builder(2).shards(16).build().unwrap().shard_count(), 2);
    /// ```
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The counters summed over all shards.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(4);
    /// cache.insert(1, 1).unwrap();
    /// cache.get(&1);
    /// cache.get(&2);
    /// let s = cache.stats();
    /// assert_eq!((s.inserts, s.hits, s.misses), (1, 1, 1));
    /// ```
    pub fn stats(&self) -> CacheStats {
        let mut total = CacheStats::default();
        for s in self.shards.iter() {
            total += s.lock().store.stats;
        }
        total
    }

    /// Clones of the live entries, one shard at a time (each shard's snapshot is taken
    /// under its lock into a `Vec`, which allocates; the iterator yields with no lock held).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(8);
    /// cache.insert(1, 10).unwrap();
    /// cache.insert(2, 20).unwrap();
    /// let mut all: Vec<_> = cache.iter().collect();
    /// all.sort();
    /// assert_eq!(all, [(1, 10), (2, 20)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (K, V)> + '_
    where
        K: Clone,
        V: Clone,
    {
        self.shards.iter().flat_map(move |shard| {
            // Read per shard, when the shard is reached: a time read when the iterator was
            // made would let a shard reached later hand out entries expired meanwhile.
            let now = self.clock.now_nanos();
            let st = shard.lock();
            let timed = st.store.is_timed(NEVER);
            let snapshot: Vec<(K, V)> = st
                .store
                .iter_live(timed.then_some(now))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            snapshot
        })
    }

    fn notify(&self, k: K, v: V, cause: EvictionCause) {
        if let Some(l) = &self.listener {
            l(k, v, cause);
        }
    }
}

/// A locked shard, the index of the entry found in it, and whether that entry has expired.
type Found<'a, K, V, S> = (MutexGuard<'a, ShardState<K, V, S>>, u32, bool);

impl<K, V, S, C> fmt::Debug for ShardedTtlCache<K, V, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedTtlCache")
            .field("capacity", &self.limits.capacity)
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn loading_marks_are_cleared_after_loads_refusals_and_panics() {
        let cache = ShardedTtlCache::builder(64)
            .shards(2)
            .max_weight(64, |_: &u32, v: &u32| u64::from(*v))
            .build()
            .unwrap();
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let cache = &cache;
                s.spawn(move || {
                    for i in 0..500u32 {
                        let k = (i + t) % 40;
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            cache.get_or_insert_with(k, || match i % 13 {
                                0 => panic!("loader failure"),
                                1 => 100, // heavier than a shard's budget: refused
                                _ => 1,
                            })
                        }));
                        let _ = r;
                    }
                });
            }
        });
        for shard in cache.shards.iter() {
            let st = shard.lock();
            assert!(st.loading.is_empty(), "a loading mark leaked");
            assert!(
                st.loading.capacity() <= 8,
                "more marks than loaders at once"
            );
        }
    }
}
