//! [`CacheBuilder`]: configures a [`TtlCache`].

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

use super::TtlCache;
use crate::cache::clock::{Clock, SystemClock};
use crate::cache::core::{CacheConfigError, Common};
use crate::cache::listener::{EvictionCause, Listener, Weigher};
use crate::cache::DefaultHashBuilder;

/// Builds a single-thread [`TtlCache`]; made by [`TtlCache::builder`].
///
/// Nothing is validated until [`build`](Self::build), which returns a
/// [`CacheConfigError`] naming the first invalid field.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poolkit::cache::{ManualClock, TtlCache};
///
/// let clock = ManualClock::new();
/// let mut cache = TtlCache::builder(1_000)
///     .time_to_live(Duration::from_secs(60))
///     .max_weight(1 << 20, |_key: &u64, value: &Vec<u8>| value.len() as u64)
///     .clock(clock.clone())
///     .build()
///     .unwrap();
/// cache.insert(1, vec![0; 100]).unwrap();
/// assert_eq!(cache.weight(), 100);
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(cache.get(&1), None);
/// ```
#[must_use = "a builder does nothing until build() is called"]
pub struct CacheBuilder<K, V, S = DefaultHashBuilder, C = SystemClock> {
    common: Common,
    listener: Option<Listener<K, V>>,
    weigher: Option<Weigher<K, V>>,
    hasher: S,
    clock: C,
}

impl<K, V, S, C> fmt::Debug for CacheBuilder<K, V, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("capacity", &self.common.capacity)
            .field("max_weight", &self.common.max_weight)
            .field("time_to_live", &self.common.ttl)
            .field("time_to_idle", &self.common.tti)
            .field("eviction_listener", &self.listener.is_some())
            .finish_non_exhaustive()
    }
}

impl<K, V> CacheBuilder<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        CacheBuilder {
            common: Common {
                capacity,
                max_weight: None,
                ttl: None,
                tti: None,
            },
            listener: None,
            weigher: None,
            hasher: DefaultHashBuilder::default(),
            clock: SystemClock::new(),
        }
    }
}

impl<K, V, S, C> CacheBuilder<K, V, S, C> {
    /// Default time to live of entries inserted with [`TtlCache::insert`]. `build()` refuses
    /// a zero duration ([`CacheConfigError::ZeroTimeToLive`]). Without it, entries do not
    /// expire unless inserted with [`TtlCache::insert_with_ttl`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::TtlCache;
    /// let err = TtlCache::<u8, u8>::builder(1).time_to_live(Duration::ZERO).build().unwrap_err();
    /// assert_eq!(err.field(), "time_to_live");
    /// ```
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.common.ttl = Some(ttl);
        self
    }

    /// Time to idle: an entry also expires once it has not been read for this long. Reads
    /// then record their time in the entry (a store, nothing moves). `build()` refuses zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, TtlCache};
    /// let clock = ManualClock::new();
    /// let mut cache = TtlCache::builder(4)
    ///     .time_to_idle(Duration::from_secs(10))
    ///     .clock(clock.clone())
    ///     .build()
    ///     .unwrap();
    /// cache.insert("k", 1).unwrap();
    /// clock.advance(Duration::from_secs(9));
    /// assert_eq!(cache.get("k"), Some(&1)); // read: idle time restarts
    /// clock.advance(Duration::from_secs(9));
    /// assert_eq!(cache.get("k"), Some(&1));
    /// clock.advance(Duration::from_secs(10));
    /// assert_eq!(cache.get("k"), None);
    /// ```
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.common.tti = Some(tti);
        self
    }

    /// Bounds the total weight of the entries by `budget` as well as their count, weighing
    /// each entry once on insertion with `weigher` (which runs outside any lock and must
    /// not call back into the cache). An entry heavier than the budget is refused
    /// ([`RefusalReason::TooHeavy`](crate::cache::RefusalReason::TooHeavy)). `build()` refuses a
    /// zero budget.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{RefusalReason, TtlCache};
    /// let mut cache = TtlCache::builder(100)
    ///     .max_weight(10, |_: &u8, v: &String| v.len() as u64)
    ///     .build()
    ///     .unwrap();
    /// cache.insert(1, "123456".to_string()).unwrap();
    /// cache.insert(2, "123456".to_string()).unwrap(); // evicts key 1: 12 > 10
    /// assert_eq!((cache.len(), cache.weight()), (1, 6));
    /// let refused = cache.insert(3, "x".repeat(11)).unwrap_err();
    /// assert_eq!(refused.reason, RefusalReason::TooHeavy { weight: 11, budget: 10 });
    /// ```
    pub fn max_weight(
        mut self,
        budget: u64,
        weigher: impl Fn(&K, &V) -> u64 + Send + 'static,
    ) -> Self {
        self.common.max_weight = Some(budget);
        self.weigher = Some(Box::new(weigher));
        self
    }

    /// Calls `listener(key, value, cause)` for every entry that leaves the cache, exactly
    /// once, after the cache's structures are consistent again. A panicking listener loses
    /// that entry; the cache stays valid. In the sharded cache the other entries removed by
    /// the same operation are still handed out before the panic continues; in `TtlCache`,
    /// a panic inside `insert` also drops the entry being inserted. Hooks are `Send` so that the cache itself is
    /// `Send` (it can move to another thread, or be shared behind a `Mutex`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use poolkit::cache::{EvictionCause, TtlCache};
    /// let (gone, evicted) = mpsc::channel();
    /// let mut cache = TtlCache::builder(1)
    ///     .eviction_listener(move |k: u8, _v: u8, cause| gone.send((k, cause)).unwrap())
    ///     .build()
    ///     .unwrap();
    /// cache.insert(1, 1).unwrap();
    /// cache.insert(2, 2).unwrap();
    /// assert_eq!(evicted.try_iter().collect::<Vec<_>>(), [(1, EvictionCause::Capacity)]);
    /// ```
    pub fn eviction_listener(
        mut self,
        listener: impl FnMut(K, V, EvictionCause) + Send + 'static,
    ) -> Self {
        self.listener = Some(Box::new(listener));
        self
    }

    /// Uses `hasher` instead of the default ([`DefaultHashBuilder`], foldhash's fast
    /// randomly seeded hasher). Use a DoS-resistant one such as
    /// `std::collections::hash_map::RandomState` for keys chosen by an adversary.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    /// use poolkit::cache::TtlCache;
    /// let mut cache = TtlCache::builder(4).hasher(RandomState::new()).build().unwrap();
    /// cache.insert(1, 2).unwrap();
    /// assert_eq!(cache.get(&1), Some(&2));
    /// ```
    pub fn hasher<S2>(self, hasher: S2) -> CacheBuilder<K, V, S2, C> {
        CacheBuilder {
            common: self.common,
            listener: self.listener,
            weigher: self.weigher,
            hasher,
            clock: self.clock,
        }
    }

    /// Uses `clock` as the time source, for example a [`ManualClock`](crate::cache::ManualClock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, TtlCache};
    /// let clock = ManualClock::new();
    /// let mut cache = TtlCache::builder(4).clock(clock.clone()).build().unwrap();
    /// cache.insert_with_ttl(1, 1, Duration::from_millis(5)).unwrap();
    /// clock.advance(Duration::from_millis(5));
    /// assert!(!cache.contains_key(&1));
    /// ```
    pub fn clock<C2: Clock>(self, clock: C2) -> CacheBuilder<K, V, S, C2> {
        CacheBuilder {
            common: self.common,
            listener: self.listener,
            weigher: self.weigher,
            hasher: self.hasher,
            clock,
        }
    }
}

impl<K: Hash + Eq, V, S: BuildHasher, C: Clock> CacheBuilder<K, V, S, C> {
    /// Validates the configuration and allocates the cache's whole memory (entry slab,
    /// index, eviction queues, timer wheel) up front: later operations do not allocate.
    ///
    /// # Errors
    ///
    /// A [`CacheConfigError`] naming the first zero capacity, weight budget, time to live
    /// or time to idle; [`CacheConfigError::CapacityTooLarge`] for a capacity of `u32::MAX`
    /// or more; [`CacheConfigError::OutOfMemory`] if the memory for `capacity` entries
    /// cannot be reserved (each part is asked for with `try_reserve` first, so a request the
    /// system refuses is this error, not an abort; a system that overcommits without limit
    /// may grant what it cannot back).
    ///
    /// # Memory
    ///
    /// The whole bound is reserved here: per entry of capacity, one slot (the key, the
    /// value and 32 bytes of bookkeeping), a 32-byte timer, 10 bytes of index and 16 to 32
    /// of frequency sketch (two `u64` words per entry, rounded up to a power of two); 106 to
    /// 122 bytes for a `u64 -> u64` cache. Only the index's control bytes (2 per entry) are
    /// written at once (the sketch is taken zeroed from the allocator): on systems that
    /// commit memory lazily (Linux, by default) the rest becomes resident as it is first
    /// used, so a large empty cache costs little resident memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{CacheConfigError, TtlCache};
    /// let cache = TtlCache::<String, u32>::builder(10).build().unwrap();
    /// assert_eq!(cache.capacity(), 10);
    /// let too_big = TtlCache::<u64, [u8; 64]>::builder(u32::MAX as usize - 1).build();
    /// assert!(matches!(too_big.unwrap_err(), CacheConfigError::OutOfMemory { .. }));
    /// ```
    pub fn build(self) -> Result<TtlCache<K, V, S, C>, CacheConfigError> {
        let limits = self.common.limits()?;
        TtlCache::from_parts(limits, self.hasher, self.clock, self.listener, self.weigher)
    }
}
