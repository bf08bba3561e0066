//! [`ShardedTtlCache`]: the concurrent cache, a fixed set of [`Store`]s each behind its own
//! `Mutex`, with single-flight loading.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

mod builder;
mod shard;

pub use builder::ShardedCacheBuilder;

use super::clock::{duration_nanos, Clock, SharedTimeFloor, SystemClock};
use super::core::{
    CacheConfigError, InsertProgress, Inserted, Limits, Lookup, Store, Write, NEVER,
};
use super::listener::{EvictionCause, Refused, SyncListener, SyncWeigher};
use super::stats::CacheStats;
use super::DefaultHashBuilder;
use crate::sync::{wait, Ordering};
use shard::{Evicted, LoadGuard, Shard, ShardState, EVICTED_BUFFER};

/// A concurrent bounded cache with per-entry time to live: the same behaviour as
/// [`TtlCache`](crate::cache::TtlCache), with `&self` methods, `Send + Sync`.
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
    /// The latest time any operation has seen: a clock stepping back reads as standing
    /// still, for every shard.
    floor: SharedTimeFloor,
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
    /// If `capacity` is 0, `u32::MAX` or more, or too large to allocate; the panic reports
    /// the caller's location. [`builder`](Self::builder)'s `build()` returns a
    /// [`CacheConfigError`](crate::cache::CacheConfigError) instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(100);
    /// cache.insert("k", 1).unwrap();
    /// assert_eq!(cache.get("k"), Some(1));
    /// assert!(std::panic::catch_unwind(|| ShardedTtlCache::<u8, u8>::new(0)).is_err());
    /// ```
    #[track_caller]
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
    ) -> Result<Self, CacheConfigError> {
        // Every shard gets a budget of at least 1.
        let shards = match limits.max_weight {
            None => shards,
            Some(budget) => shards.min(usize::try_from(budget).unwrap_or(usize::MAX)),
        };
        let split = |total: u64, i: usize| {
            let n = shards as u64;
            total / n + u64::from((i as u64) < total % n)
        };
        // Every allocation here is fallible: a cache that cannot be had is an
        // error from `build`, not an abort.
        let out_of_memory = |bytes| CacheConfigError::OutOfMemory { bytes };
        let mut list: Vec<Shard<K, V, S>> = Vec::new();
        list.try_reserve_exact(shards).map_err(|_| {
            out_of_memory(shards.saturating_mul(std::mem::size_of::<Shard<K, V, S>>()))
        })?;
        for i in 0..shards {
            let shard_limits = Limits {
                capacity: split(limits.capacity as u64, i) as usize,
                max_weight: limits.max_weight.map(|budget| split(budget, i)),
                ..limits
            };
            let mut loading = Vec::new();
            loading
                .try_reserve_exact(8)
                .map_err(|_| out_of_memory(8 * std::mem::size_of::<u64>()))?;
            list.push(Shard::from(
                ShardState {
                    store: Store::try_new(shard_limits, hasher.clone())?,
                    loading,
                },
                limits.ttl != NEVER || limits.tti != NEVER,
            ));
        }
        let shards = list.into_boxed_slice();
        Ok(ShardedTtlCache {
            shards,
            hasher,
            clock,
            floor: SharedTimeFloor::new(),
            listener,
            weigher,
            limits,
        })
    }

    #[inline]
    fn shard(&self, hash: u64) -> &Shard<K, V, S> {
        &self.shards[shard_index(hash, self.shards.len())]
    }

    /// The time, never earlier than a time this cache has seen before.
    #[inline]
    fn now(&self) -> u64 {
        self.floor.raise(self.clock.now_nanos())
    }

    /// The time, if the shard's hint says some entry in it may expire.
    #[inline]
    fn now_if(&self, shard: &Shard<K, V, S>) -> Option<u64> {
        // Relaxed: a hint only (see `Shard::timed`).
        shard.timed.load(Ordering::Relaxed).then(|| self.now())
    }

    /// A clone of the live value under `key`, counting a hit or a miss. Like
    /// [`TtlCache::get`](crate::cache::TtlCache::get): a hit moves nothing; an expired entry is
    /// removed and `None` returned. For values costly (or impossible) to clone, read them in
    /// place with [`get_with`](Self::get_with).
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
        self.get_with(key, V::clone)
    }

    /// `read(&value)` for the live value under `key`, counting a hit or a miss: reads a
    /// value in place, with no `V: Clone` (a cache of pooled buffers needs no `Arc` per
    /// entry). `read` runs under the shard's lock: keep it short, and do not call the cache
    /// from it (that would deadlock).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// struct Page(Vec<u8>); // not Clone
    /// let cache = ShardedTtlCache::new(4);
    /// cache.insert("index", Page(vec![1, 2, 3])).unwrap();
    /// assert_eq!(cache.get_with("index", |p| p.0.len()), Some(3));
    /// assert_eq!(cache.get_with("other", |p| p.0.len()), None);
    /// ```
    pub fn get_with<Q, R>(&self, key: &Q, read: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let mut now = self.now_if(shard);
        loop {
            let mut st = shard.lock();
            match st.store.lookup(hash, key, &mut || now, true) {
                Lookup::Hit(idx) => return Some(read(&st.store.entry(idx).value)),
                Lookup::Miss => return None,
                Lookup::Expired(k, v) => {
                    drop(st);
                    self.notify(k, v, EvictionCause::Expired);
                    return None;
                }
                Lookup::NeedTime => {
                    drop(st);
                    now = Some(self.now());
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
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let mut now = self.now_if(shard);
        loop {
            let st = shard.lock();
            let Some(idx) = st.store.find(hash, key) else {
                return false;
            };
            if !st.store.needs_time(idx) {
                return true;
            }
            match now {
                Some(t) => return !st.store.is_expired(idx, t),
                None => {
                    drop(st);
                    now = Some(self.now());
                }
            }
        }
    }

    /// Inserts `value` under `key` with the default time to live. Same semantics as
    /// [`TtlCache::insert`](crate::cache::TtlCache::insert); the listener runs after the shard
    /// lock is released.
    ///
    /// # Errors
    ///
    /// [`RefusalReason::TooHeavy`](crate::cache::RefusalReason::TooHeavy) if the entry weighs more than its shard's weight budget.
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
        let hash = self.hasher.hash_one(&key);
        self.insert_at(hash, key, value, self.limits.ttl, None, None)
    }

    /// Inserts with a time to live of `ttl` for this entry (`Duration::MAX`: never).
    ///
    /// # Errors
    ///
    /// As [`insert`](Self::insert), and [`RefusalReason::ZeroTtl`](crate::cache::RefusalReason::ZeroTtl) for a zero `ttl` (any
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
        let hash = self.hasher.hash_one(&key);
        self.insert_at(hash, key, value, duration_nanos(ttl), None, None)
    }

    /// The concurrent front door of [`Store::insert`]: weigh and read the clock outside
    /// the lock (unless the caller already did, `now`), then call the core under the shard
    /// lock into a bounded buffer, handed to the listener after unlocking; again if the
    /// buffer filled before the entry fitted.
    fn insert_at(
        &self,
        hash: u64,
        key: K,
        value: V,
        ttl: u64,
        mut now: Option<u64>,
        mut loading: Option<&mut LoadGuard<'_, K, V, S>>,
    ) -> Result<(), Refused<K, V>> {
        let weight = self.weigher.as_ref().map_or(1, |w| w(&key, &value));
        let shard = self.shard(hash);
        if now.is_none() && ttl != NEVER {
            now = Some(self.now());
        }
        if now.is_none() {
            now = self.now_if(shard);
        }
        let mut buf = Evicted::new();
        let mut progress = InsertProgress::default();
        let (mut key, mut value) = (key, value);
        loop {
            let mut st = shard.lock();
            let t = match (st.store.is_timed(ttl), now) {
                (true, None) => {
                    drop(st);
                    now = Some(self.now());
                    continue;
                }
                (_, t) => t.unwrap_or(0),
            };
            let write = Write {
                hash,
                weight,
                ttl,
                now: t,
            };
            let result = match st.store.insert(write, key, value, &mut progress, &mut buf) {
                Inserted::Stored(_) => Ok(()),
                Inserted::Refused(refused) => Err(refused),
                Inserted::SinkFull(k, v) => {
                    // More removals than the buffer holds (a heavy entry): hand these out
                    // and go on in a fresh critical section.
                    drop(st);
                    buf.flush(self.listener.as_ref());
                    (key, value) = (k, v);
                    continue;
                }
            };
            if result.is_ok() && ttl != NEVER {
                shard.timed.store(true, Ordering::Relaxed);
            }
            if let Some(g) = loading.as_deref_mut() {
                g.finish(&mut st);
            }
            drop(st);
            buf.flush(self.listener.as_ref());
            return result;
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
    ///                 .get_or_insert_with(&7, || { calls.fetch_add(1, Ordering::SeqCst); 49 })
    ///                 .unwrap();
    ///             assert_eq!(v, 49);
    ///         });
    ///     }
    /// });
    /// assert_eq!(calls.load(Ordering::SeqCst), 1);
    /// ```
    pub fn get_or_insert_with<Q>(
        &self,
        key: &Q,
        make: impl FnOnce() -> V,
    ) -> Result<V, Refused<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        V: Clone,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let mut now = self.now_if(shard);
        // A call counts one hit or one miss, however many times it looks.
        let mut counted = true;
        loop {
            let mut st = shard.lock();
            match st.store.lookup(hash, key, &mut || now, counted) {
                Lookup::Hit(idx) => return Ok(st.store.entry(idx).value.clone()),
                Lookup::NeedTime => {
                    drop(st);
                    now = Some(self.now());
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
        // value; the guard clears it instead if anything before that panics. The time read
        // for the lookup (if any) is the time of the insert: one clock read per call.
        self.insert_at(
            hash,
            key.to_owned(),
            value,
            self.limits.ttl,
            now,
            Some(&mut guard),
        )
        .map(|()| result)
    }

    /// Removes the entry under `key` and returns its value, if it was live (handed to
    /// you, not to the listener; counted in
    /// [`CacheStats::evicted_removed`](crate::cache::CacheStats::evicted_removed)). An expired entry
    /// found here goes to the listener with cause [`EvictionCause::Expired`], after the
    /// lock is released, and `None` is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::new(4);
    /// cache.insert(1, 10).unwrap();
    /// assert_eq!(cache.remove(&1), Some(10));
    /// assert_eq!(cache.remove(&1), None);
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        let mut now = self.now_if(shard);
        loop {
            let mut st = shard.lock();
            let idx = st.store.find(hash, key)?;
            let t = match (st.store.needs_time(idx), now) {
                (true, None) => {
                    drop(st);
                    now = Some(self.now());
                    continue;
                }
                (_, t) => t.unwrap_or(0),
            };
            let (k, v, cause) = st.store.remove(hash, key, t, EvictionCause::Removed)?;
            drop(st);
            if cause == EvictionCause::Expired {
                self.notify(k, v, cause);
                return None;
            }
            return Some(v);
        }
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
        let now = self.now();
        let mut removed = 0;
        for shard in self.shards.iter() {
            shard.lock().store.purge_begin(now);
            loop {
                let mut buf = Evicted::new();
                let done = shard.lock().store.purge_some(now, EVICTED_BUFFER, &mut buf);
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
        let now = self.now();
        for shard in self.shards.iter() {
            let mut cursor = 0;
            loop {
                let mut buf = Evicted::new();
                let done =
                    shard
                        .lock()
                        .store
                        .drain_some(now, &mut cursor, EVICTED_BUFFER, &mut buf);
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
        // The shares add up to the budget, so the sum fits; saturating all the same, as the
        // shards are read one after another and never at one instant.
        self.shards
            .iter()
            .fold(0u64, |sum, s| sum.saturating_add(s.lock().store.weight()))
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
            let now = self.now();
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

/// The shard of a key with hash `hash` among `shards`.
///
/// The hash is first scrambled by a bijective finaliser (MurmurHash3's `fmix64`), so that
/// every input bit reaches the bits that choose the shard: keys whose hashes differ only in
/// a few bits, low or high, still spread evenly, whatever the hasher and its seed. The
/// shard is then chosen by multiply-shift on the scrambled high half.
#[inline]
fn shard_index(hash: u64, shards: usize) -> usize {
    let mut h = hash;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (((h >> 32) * shards as u64) >> 32) as usize
}

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
                            cache.get_or_insert_with(&k, || match i % 13 {
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
