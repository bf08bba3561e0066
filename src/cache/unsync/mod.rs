//! [`TtlCache`]: the single-thread cache.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

mod builder;

pub use builder::CacheBuilder;

use super::clock::{duration_nanos, Clock, LazyNow, SystemClock, TimeFloor};
use super::core::{
    CacheConfigError, InsertProgress, Inserted, Limits, Lookup, Store, Write, NEVER,
};
use super::listener::{EvictionCause, Listener, Refused, Weigher};
use super::stats::CacheStats;
use super::DefaultHashBuilder;

/// A bounded single-thread cache with per-entry time to live and S3-FIFO eviction behind a
/// TinyLFU admission filter.
///
/// * **Bounds**: at most `capacity` entries, and with
///   [`max_weight`](CacheBuilder::max_weight) at most that total weight. Inserting into a
///   full cache evicts first. Expired entries still resident count towards both bounds.
/// * **Allocation**: all memory (entries, index, queues, wheel) is reserved by `build()`;
///   `get`, `insert`, `remove` and eviction then never allocate (dhat-tested).
/// * **Time**: see [the module docs](crate::cache#expiry) for when expired entries are
///   reclaimed. An expired entry is never returned.
/// * **Hooks**: the weigher runs on insert, the eviction listener after each removal; the
///   cache is consistent whenever they run, and stays valid if they panic. A panicking
///   listener loses the entry it was given; if that happens inside `insert` (a sweep,
///   replacement or eviction made room for the new entry), the new key and value are
///   dropped too, and the panic continues.
///
/// Use [`ShardedTtlCache`](crate::cache::ShardedTtlCache) to share a cache between threads.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poolkit::cache::{ManualClock, TtlCache};
///
/// let clock = ManualClock::new();
/// let mut sessions = TtlCache::builder(10_000)
///     .time_to_live(Duration::from_secs(300))
///     .clock(clock.clone())
///     .build()
///     .unwrap();
/// sessions.insert("alice", 1).unwrap();
/// sessions.insert_with_ttl("bob", 2, Duration::from_secs(10)).unwrap();
/// sessions.insert_with_ttl("root", 0, Duration::MAX).unwrap(); // never expires
/// clock.advance(Duration::from_secs(10));
/// assert_eq!(sessions.get("bob"), None);
/// assert_eq!(sessions.get("alice"), Some(&1));
/// clock.advance(Duration::from_secs(3600));
/// sessions.purge_expired();
/// assert_eq!(sessions.len(), 1);
/// assert_eq!(sessions.get("root"), Some(&0));
/// ```
pub struct TtlCache<K, V, S = DefaultHashBuilder, C = SystemClock> {
    store: Store<K, V, S>,
    clock: C,
    /// The latest time seen: a clock stepping back reads as standing still.
    floor: TimeFloor,
    listener: Option<Listener<K, V>>,
    weigher: Option<Weigher<K, V>>,
}

impl<K: Hash + Eq, V> TtlCache<K, V> {
    /// A cache of at most `capacity` entries that do not expire unless inserted with
    /// [`insert_with_ttl`](Self::insert_with_ttl), with the real clock.
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
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(2);
    /// for i in 0..10 {
    ///     cache.insert(i, i * i).unwrap();
    /// }
    /// assert_eq!(cache.len(), 2);
    /// assert!(std::panic::catch_unwind(|| TtlCache::<u8, u8>::new(0)).is_err());
    /// ```
    #[track_caller]
    pub fn new(capacity: usize) -> Self {
        match Self::builder(capacity).build() {
            Ok(cache) => cache,
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts configuring a cache of at most `capacity` entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::TtlCache;
    /// let cache = TtlCache::<u64, String>::builder(100)
    ///     .time_to_live(Duration::from_secs(5))
    ///     .build()
    ///     .unwrap();
    /// assert!(cache.is_empty());
    /// ```
    pub fn builder(capacity: usize) -> CacheBuilder<K, V> {
        CacheBuilder::new(capacity)
    }
}

impl<K: Hash + Eq, V, S: BuildHasher, C: Clock> TtlCache<K, V, S, C> {
    pub(crate) fn from_parts(
        limits: Limits,
        hasher: S,
        clock: C,
        listener: Option<Listener<K, V>>,
        weigher: Option<Weigher<K, V>>,
    ) -> Result<Self, CacheConfigError> {
        Ok(TtlCache {
            store: Store::try_new(limits, hasher)?,
            clock,
            floor: TimeFloor::default(),
            listener,
            weigher,
        })
    }

    /// The live value under `key`, counting a hit or a miss.
    ///
    /// A hit bumps a small counter in the entry and, with a time to idle, records the time;
    /// it moves nothing. If the entry has expired it is removed (listener cause
    /// [`EvictionCause::Expired`]) and `None` is returned. O(1), no allocation, at most one
    /// clock read (none for an entry that cannot expire).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert("a".to_string(), 1).unwrap();
    /// assert_eq!(cache.get("a"), Some(&1));
    /// assert_eq!(cache.get("b"), None);
    /// ```
    #[inline]
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let idx = self.lookup(key)?;
        Some(&self.store.entry(idx).value)
    }

    /// Like [`get`](Self::get), with mutable access to the value. Changing the value does
    /// not re-weigh it.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert(1, vec![1]).unwrap();
    /// cache.get_mut(&1).unwrap().push(2);
    /// assert_eq!(cache.get(&1), Some(&vec![1, 2]));
    /// ```
    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let idx = self.lookup(key)?;
        Some(&mut self.store.entry_mut(idx).value)
    }

    #[inline]
    fn lookup<Q>(&mut self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.store.hash(key);
        let mut now = LazyNow::new(&self.clock, &self.floor);
        Self::lookup_at(&mut self.store, &mut self.listener, hash, key, &mut now)
    }

    /// A counted lookup at the time `now` (read only if the entry can expire).
    #[inline]
    fn lookup_at<Q>(
        store: &mut Store<K, V, S>,
        listener: &mut Option<Listener<K, V>>,
        hash: u64,
        key: &Q,
        now: &mut LazyNow<'_, C>,
    ) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        match store.lookup(hash, key, &mut || Some(now.get()), true) {
            Lookup::Hit(idx) => Some(idx),
            Lookup::Miss | Lookup::NeedTime => None,
            Lookup::Expired(k, v) => {
                if let Some(l) = listener.as_mut() {
                    l(k, v, EvictionCause::Expired);
                }
                None
            }
        }
    }

    /// Whether a live entry exists under `key`. Counts neither a hit nor a miss, does not
    /// refresh a time to idle, and leaves an expired entry for the sweep.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, TtlCache};
    /// let clock = ManualClock::new();
    /// let mut cache = TtlCache::builder(4).clock(clock.clone()).build().unwrap();
    /// cache.insert_with_ttl(1, 1, Duration::from_secs(1)).unwrap();
    /// assert!(cache.contains_key(&1));
    /// clock.advance(Duration::from_secs(1));
    /// assert!(!cache.contains_key(&1));
    /// assert_eq!(cache.stats().hits + cache.stats().misses, 0);
    /// ```
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.store.hash(key);
        match self.store.find(hash, key) {
            None => false,
            Some(idx) => !self.store.needs_time(idx) || !self.store.is_expired(idx, self.now()),
        }
    }

    /// Inserts `value` under `key` with the default time to live (none if the builder set
    /// none).
    ///
    /// A live entry under the same key is replaced (listener cause
    /// [`EvictionCause::Replaced`]). If the cache is full, entries are evicted first (cause
    /// [`EvictionCause::Capacity`]) until the new one fits. Before that, the write advances
    /// the timer wheel and reclaims up to a few expired entries (cause
    /// [`EvictionCause::Expired`]). O(1) amortised, no allocation.
    ///
    /// # Errors
    ///
    /// [`Refused`] with [`RefusalReason::TooHeavy`](crate::cache::RefusalReason::TooHeavy) if the weigher gives the entry more than
    /// the whole weight budget; the entry is not stored and any previous entry of the key
    /// is removed (cause `Replaced`).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(1);
    /// cache.insert(1, "a").unwrap();
    /// cache.insert(1, "b").unwrap();
    /// assert_eq!(cache.get(&1), Some(&"b"));
    /// cache.insert(2, "c").unwrap();
    /// assert_eq!((cache.len(), cache.get(&1)), (1, None));
    /// ```
    pub fn insert(&mut self, key: K, value: V) -> Result<(), Refused<K, V>> {
        let ttl = self.store.limits.ttl;
        let hash = self.store.hash(&key);
        let mut now = LazyNow::new(&self.clock, &self.floor);
        let parts = Parts {
            store: &mut self.store,
            listener: &mut self.listener,
            weigher: &self.weigher,
        };
        Self::insert_at(parts, hash, key, value, ttl, &mut now).map(drop)
    }

    /// Inserts with a time to live of `ttl` for this entry, overriding the default.
    /// `Duration::MAX` means the entry never expires (a time to idle still applies).
    /// Otherwise like [`insert`](Self::insert).
    ///
    /// # Errors
    ///
    /// As [`insert`](Self::insert), and [`RefusalReason::ZeroTtl`](crate::cache::RefusalReason::ZeroTtl) for a zero `ttl`: such an
    /// entry would be expired on arrival, so it is handed back instead of being stored (and
    /// any previous entry of the key is removed, cause `Replaced`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, TtlCache};
    /// let clock = ManualClock::new();
    /// let mut cache = TtlCache::builder(4).clock(clock.clone()).build().unwrap();
    /// cache.insert_with_ttl("short", 1, Duration::from_millis(10)).unwrap();
    /// cache.insert_with_ttl("long", 2, Duration::from_secs(10)).unwrap();
    /// clock.advance(Duration::from_millis(10));
    /// assert_eq!(cache.get("short"), None);
    /// assert_eq!(cache.get("long"), Some(&2));
    /// ```
    pub fn insert_with_ttl(
        &mut self,
        key: K,
        value: V,
        ttl: Duration,
    ) -> Result<(), Refused<K, V>> {
        let hash = self.store.hash(&key);
        let mut now = LazyNow::new(&self.clock, &self.floor);
        let parts = Parts {
            store: &mut self.store,
            listener: &mut self.listener,
            weigher: &self.weigher,
        };
        Self::insert_at(parts, hash, key, value, duration_nanos(ttl), &mut now).map(drop)
    }

    /// The live value under `key`, or else the value made by `make`, inserted with the
    /// default time to live. `make` runs only on a miss, and only then is the owned key made
    /// (`key.to_owned()`): a hit allocates nothing, even for `String` keys looked up by
    /// `&str`. The key is hashed once and the clock read at most once.
    ///
    /// # Errors
    ///
    /// As [`insert`](Self::insert) when the made value is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache: TtlCache<String, usize> = TtlCache::new(4);
    /// let mut calls = 0;
    /// for _ in 0..3 {
    ///     let v = cache.get_or_insert_with("seven", || { calls += 1; 7 }).unwrap();
    ///     assert_eq!(*v, 7);
    /// }
    /// assert_eq!(calls, 1);
    /// ```
    pub fn get_or_insert_with<Q>(
        &mut self,
        key: &Q,
        make: impl FnOnce() -> V,
    ) -> Result<&V, Refused<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let hash = self.store.hash(key);
        let mut now = LazyNow::new(&self.clock, &self.floor);
        let idx = match Self::lookup_at(&mut self.store, &mut self.listener, hash, key, &mut now) {
            Some(idx) => idx,
            None => {
                let value = make();
                let ttl = self.store.limits.ttl;
                let parts = Parts {
                    store: &mut self.store,
                    listener: &mut self.listener,
                    weigher: &self.weigher,
                };
                Self::insert_at(parts, hash, key.to_owned(), value, ttl, &mut now)?
            }
        };
        Ok(&self.store.entry(idx).value)
    }

    /// The single-thread front door of [`Store::insert`]: weigh, read the clock if the
    /// write needs it, call the core with the listener as sink.
    fn insert_at(
        parts: Parts<'_, K, V, S>,
        hash: u64,
        key: K,
        value: V,
        ttl: u64,
        now: &mut LazyNow<'_, C>,
    ) -> Result<u32, Refused<K, V>> {
        let weight = parts.weigher.as_ref().map_or(1, |w| w(&key, &value));
        let now = if parts.store.is_timed(ttl) {
            now.get()
        } else {
            0
        };
        let write = Write {
            hash,
            weight,
            ttl,
            now,
        };
        let listener = parts.listener;
        let mut sink = |k, v, cause| {
            if let Some(l) = listener.as_mut() {
                l(k, v, cause);
            }
        };
        match parts
            .store
            .insert(write, key, value, &mut InsertProgress::default(), &mut sink)
        {
            Inserted::Stored(idx) => Ok(idx),
            Inserted::Refused(refused) => Err(refused),
            Inserted::SinkFull(..) => unreachable!("the listener sink always has room"),
        }
    }

    /// Removes the entry under `key` and returns its value, if it was live. The value is
    /// handed to you, not to the eviction listener (it counts in
    /// [`CacheStats::evicted_removed`]); an expired entry found here goes to the listener
    /// with cause [`EvictionCause::Expired`] and `None` is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert(1, "one".to_string()).unwrap();
    /// assert_eq!(cache.remove(&1).as_deref(), Some("one"));
    /// assert_eq!(cache.remove(&1), None);
    /// ```
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.store.hash(key);
        let idx = self.store.find(hash, key)?;
        let now = if self.store.needs_time(idx) {
            self.now()
        } else {
            0
        };
        let (k, v, cause) = self.store.remove(hash, key, now, EvictionCause::Removed)?;
        if cause == EvictionCause::Expired {
            self.notify(k, v, cause);
            None
        } else {
            Some(v)
        }
    }

    /// Removes every expired entry now (listener cause [`EvictionCause::Expired`]).
    /// Returns how many were removed. O(timed entries whose wheel bucket time has come);
    /// no allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, TtlCache};
    /// let clock = ManualClock::new();
    /// let mut cache = TtlCache::builder(100)
    ///     .time_to_live(Duration::from_secs(1))
    ///     .clock(clock.clone())
    ///     .build()
    ///     .unwrap();
    /// for i in 0..50 {
    ///     cache.insert(i, i).unwrap();
    /// }
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(cache.len(), 50, "expired but not yet reclaimed");
    /// assert_eq!(cache.purge_expired(), 50);
    /// assert_eq!(cache.len(), 0);
    /// ```
    pub fn purge_expired(&mut self) -> usize {
        if !self.store.is_timed(NEVER) {
            return 0;
        }
        let before = self.store.len();
        let now = self.now();
        let listener = &mut self.listener;
        self.store.purge_begin(now);
        self.store.purge_some(now, usize::MAX, &mut |k, v, cause| {
            if let Some(l) = listener.as_mut() {
                l(k, v, cause);
            }
        });
        before - self.store.len()
    }

    /// Removes every entry (listener cause [`EvictionCause::Removed`], or `Expired` for an
    /// expired one), keeping the memory for reuse. Statistics are kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert(1, 1).unwrap();
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// assert_eq!(cache.stats().evicted_removed, 1);
    /// ```
    pub fn clear(&mut self) {
        let now = if self.store.is_timed(NEVER) {
            self.now()
        } else {
            0
        };
        let listener = &mut self.listener;
        self.store
            .drain_some(now, &mut 0, usize::MAX, &mut |k, v, cause| {
                if let Some(l) = listener.as_mut() {
                    l(k, v, cause);
                }
            });
    }

    /// The live entries, in no particular order. Entries expired at the time of this call
    /// are skipped (the clock is read once, if any entry can expire). Counts no hits.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert(1, 10).unwrap();
    /// cache.insert(2, 20).unwrap();
    /// let mut all: Vec<_> = cache.iter().map(|(k, v)| (*k, *v)).collect();
    /// all.sort();
    /// assert_eq!(all, [(1, 10), (2, 20)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        let now = self.store.is_timed(NEVER).then(|| self.now());
        self.store.iter_live(now)
    }

    /// Resident entries, including expired ones not yet reclaimed (call
    /// [`purge_expired`](Self::purge_expired) first for the live count). Never more than
    /// [`capacity`](Self::capacity).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert(1, 1).unwrap();
    /// assert_eq!(cache.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether no entry is resident.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// assert!(TtlCache::<u8, u8>::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.store.len() == 0
    }

    /// The entry bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// assert_eq!(TtlCache::<u8, u8>::new(3).capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.store.limits.capacity
    }

    /// Total weight of the resident entries (each weighs 1 without a weigher). Never more
    /// than the budget given to [`max_weight`](CacheBuilder::max_weight).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert(1, 1).unwrap();
    /// cache.insert(2, 1).unwrap();
    /// assert_eq!(cache.weight(), 2);
    /// ```
    pub fn weight(&self) -> u64 {
        self.store.weight()
    }

    /// A snapshot of the counters.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::new(4);
    /// cache.insert(1, 1).unwrap();
    /// cache.get(&1);
    /// assert_eq!(cache.stats().hits, 1);
    /// ```
    pub fn stats(&self) -> CacheStats {
        self.store.stats
    }

    /// The time, never earlier than a time this cache has seen before.
    #[inline]
    fn now(&self) -> u64 {
        self.floor.raise(self.clock.now_nanos())
    }

    fn notify(&mut self, k: K, v: V, cause: EvictionCause) {
        if let Some(l) = self.listener.as_mut() {
            l(k, v, cause);
        }
    }

    #[cfg(test)]
    pub(crate) fn store(&self) -> &Store<K, V, S> {
        &self.store
    }
}

/// The parts of a [`TtlCache`] an insert uses, borrowed apart from its clock.
struct Parts<'a, K, V, S> {
    store: &'a mut Store<K, V, S>,
    listener: &'a mut Option<Listener<K, V>>,
    weigher: &'a Option<Weigher<K, V>>,
}

impl<K: Hash + Eq, V, S: BuildHasher, C> fmt::Debug for TtlCache<K, V, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TtlCache")
            .field("len", &self.store.len())
            .field("capacity", &self.store.limits.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::ManualClock;

    #[test]
    fn churn_never_grows_any_structure() {
        let clock = ManualClock::new();
        let mut cache = TtlCache::builder(100)
            .time_to_idle(Duration::from_millis(50))
            .clock(clock.clone())
            .build()
            .unwrap();
        cache.insert(0u64, 0u64).unwrap();
        let (slots, index, _, sketch) = cache.store().reserved();
        for i in 0..20_000u64 {
            if i % 3 == 0 {
                cache
                    .insert_with_ttl(i, i, Duration::from_millis(i % 7 + 1))
                    .unwrap();
            } else {
                cache.insert(i % 1000, i).unwrap();
            }
            cache.get(&(i % 250));
            if i % 10 == 0 {
                cache.remove(&(i % 500));
            }
            clock.advance(Duration::from_micros(300));
            let (s, x, (small, main), k) = cache.store().reserved();
            assert_eq!(
                (s, x, k),
                (slots, index, sketch),
                "slab, index and sketch keep their reservation"
            );
            assert_eq!(
                (small + main) as usize,
                cache.len(),
                "every entry is queued once"
            );
            assert!(cache.len() <= 100);
        }
    }

    #[test]
    fn one_entry_cache_behaves() {
        let mut cache = TtlCache::new(1);
        for i in 0..10u8 {
            cache.insert(i, i).unwrap();
            assert_eq!(cache.get(&i), Some(&i));
            assert_eq!(cache.len(), 1);
        }
        assert_eq!(cache.stats().evicted_capacity, 9);
    }
}
