//! [`ShardedCacheBuilder`]: configures a [`ShardedTtlCache`].

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::time::Duration;

use super::ShardedTtlCache;
use crate::cache::clock::{Clock, SystemClock};
use crate::cache::core::{CacheConfigError, Common};
use crate::cache::listener::{EvictionCause, SyncListener, SyncWeigher};
use crate::cache::DefaultHashBuilder;

/// The smallest shard the default shard count makes.
const MIN_DEFAULT_SHARD_CAPACITY: usize = 128;
/// Default shards per available core: enough that two threads rarely meet on one shard
/// lock (the benchmark page, `bench/README.md`, has the measurement that chose it).
const DEFAULT_SHARDS_PER_CORE: usize = 16;

/// Builds a concurrent [`ShardedTtlCache`]; made by [`ShardedTtlCache::builder`].
///
/// The same settings as [`CacheBuilder`](crate::cache::CacheBuilder), plus [`shards`](Self::shards); hooks must be
/// `Send + Sync`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poolkit::cache::ShardedTtlCache;
///
/// let cache = ShardedTtlCache::builder(10_000)
///     .shards(8)
///     .time_to_live(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// cache.insert(1u64, "one").unwrap();
/// assert_eq!(cache.get(&1), Some("one"));
/// assert_eq!(ShardedTtlCache::<u8, u8>::builder(4).shards(0).build().unwrap_err().field(), "shards");
/// ```
#[must_use = "a builder does nothing until build() is called"]
pub struct ShardedCacheBuilder<K, V, S = DefaultHashBuilder, C = SystemClock> {
    common: Common,
    shards: Option<usize>,
    listener: Option<SyncListener<K, V>>,
    weigher: Option<SyncWeigher<K, V>>,
    hasher: S,
    clock: C,
    _marker: PhantomData<fn(K, V)>,
}

impl<K, V, S, C> fmt::Debug for ShardedCacheBuilder<K, V, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedCacheBuilder")
            .field("capacity", &self.common.capacity)
            .field("shards", &self.shards)
            .field("max_weight", &self.common.max_weight)
            .field("time_to_live", &self.common.ttl)
            .field("time_to_idle", &self.common.tti)
            .field("eviction_listener", &self.listener.is_some())
            .finish_non_exhaustive()
    }
}

impl<K, V> ShardedCacheBuilder<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        ShardedCacheBuilder {
            common: Common {
                capacity,
                max_weight: None,
                ttl: None,
                tti: None,
            },
            shards: None,
            listener: None,
            weigher: None,
            hasher: DefaultHashBuilder::default(),
            clock: SystemClock::new(),
            _marker: PhantomData,
        }
    }
}

impl<K, V, S, C> ShardedCacheBuilder<K, V, S, C> {
    /// Number of independently locked shards. Default: 16 × the available parallelism,
    /// rounded up to a power of two, but no more than one shard per 128 entries of capacity
    /// (a cache of fewer than 256 entries has one shard). Each shard costs about 4 KiB of
    /// fixed memory (mostly its timer wheel). An explicit count is capped at the
    /// capacity (and the weight budget). The capacity and weight budget are split evenly
    /// between shards, so each key competes only with the keys of its shard.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::<u8, u8>::builder(100).shards(3).build().unwrap();
    /// assert_eq!(cache.shard_count(), 3);
    /// assert_eq!(cache.capacity(), 100);
    /// ```
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// Like [`CacheBuilder::time_to_live`](crate::cache::CacheBuilder::time_to_live).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{ManualClock, ShardedTtlCache};
    /// let clock = ManualClock::new();
    /// let cache = ShardedTtlCache::builder(8)
    ///     .time_to_live(Duration::from_secs(1))
    ///     .clock(clock.clone())
    ///     .build()
    ///     .unwrap();
    /// cache.insert(1, 1).unwrap();
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(cache.get(&1), None);
    /// ```
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.common.ttl = Some(ttl);
        self
    }

    /// Like [`CacheBuilder::time_to_idle`](crate::cache::CacheBuilder::time_to_idle).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::ShardedTtlCache;
    /// let err = ShardedTtlCache::<u8, u8>::builder(8).time_to_idle(Duration::ZERO).build().unwrap_err();
    /// assert_eq!(err.field(), "time_to_idle");
    /// ```
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.common.tti = Some(tti);
        self
    }

    /// Like [`CacheBuilder::max_weight`](crate::cache::CacheBuilder::max_weight); the budget is split evenly between shards, so an
    /// entry heavier than one shard's share is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{RefusalReason, ShardedTtlCache};
    /// let cache = ShardedTtlCache::builder(100)
    ///     .shards(2)
    ///     .max_weight(100, |_: &u8, v: &u64| *v)
    ///     .build()
    ///     .unwrap();
    /// assert!(cache.insert(1, 50).is_ok());
    /// let refused = cache.insert(2, 51).unwrap_err();
    /// assert_eq!(refused.reason, RefusalReason::TooHeavy { weight: 51, budget: 50 });
    /// ```
    pub fn max_weight(
        mut self,
        budget: u64,
        weigher: impl Fn(&K, &V) -> u64 + Send + Sync + 'static,
    ) -> Self {
        self.common.max_weight = Some(budget);
        self.weigher = Some(Box::new(weigher));
        self
    }

    /// Like [`CacheBuilder::eviction_listener`](crate::cache::CacheBuilder::eviction_listener). The listener always runs after the shard
    /// lock is released, on the thread whose operation removed the entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use poolkit::cache::ShardedTtlCache;
    /// let evicted = Arc::new(AtomicUsize::new(0));
    /// let count = evicted.clone();
    /// let cache = ShardedTtlCache::builder(1)
    ///     .eviction_listener(move |_k: u8, _v: u8, _cause| { count.fetch_add(1, Ordering::Relaxed); })
    ///     .build()
    ///     .unwrap();
    /// cache.insert(1, 1).unwrap();
    /// cache.insert(2, 2).unwrap();
    /// assert_eq!(evicted.load(Ordering::Relaxed), 1);
    /// ```
    pub fn eviction_listener(
        mut self,
        listener: impl Fn(K, V, EvictionCause) + Send + Sync + 'static,
    ) -> Self {
        self.listener = Some(Box::new(listener));
        self
    }

    /// Like [`CacheBuilder::hasher`](crate::cache::CacheBuilder::hasher).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    /// use poolkit::cache::ShardedTtlCache;
    /// let cache = ShardedTtlCache::builder(4).hasher(RandomState::new()).build().unwrap();
    /// cache.insert(1, 2).unwrap();
    /// assert_eq!(cache.get(&1), Some(2));
    /// ```
    pub fn hasher<S2>(self, hasher: S2) -> ShardedCacheBuilder<K, V, S2, C> {
        ShardedCacheBuilder {
            common: self.common,
            shards: self.shards,
            listener: self.listener,
            weigher: self.weigher,
            hasher,
            clock: self.clock,
            _marker: PhantomData,
        }
    }

    /// Like [`CacheBuilder::clock`](crate::cache::CacheBuilder::clock).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{ManualClock, ShardedTtlCache};
    /// let cache = ShardedTtlCache::builder(4).clock(ManualClock::new()).build().unwrap();
    /// cache.insert(1, 1).unwrap();
    /// assert_eq!(cache.len(), 1);
    /// ```
    pub fn clock<C2: Clock>(self, clock: C2) -> ShardedCacheBuilder<K, V, S, C2> {
        ShardedCacheBuilder {
            common: self.common,
            shards: self.shards,
            listener: self.listener,
            weigher: self.weigher,
            hasher: self.hasher,
            clock,
            _marker: PhantomData,
        }
    }
}

impl<K, V, S, C> ShardedCacheBuilder<K, V, S, C>
where
    K: Hash + Eq,
    S: BuildHasher + Clone,
    C: Clock,
{
    /// Validates the configuration and allocates every shard's memory up front.
    ///
    /// # Errors
    ///
    /// A [`CacheConfigError`] naming the first zero capacity, shard count, weight budget,
    /// time to live or time to idle; [`CacheConfigError::CapacityTooLarge`] or
    /// [`CacheConfigError::OutOfMemory`] as for [`CacheBuilder::build`](crate::cache::CacheBuilder::build)
    /// (whose notes on memory apply to every shard).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{CacheConfigError, ShardedTtlCache};
    /// let err = ShardedTtlCache::<u8, u8>::builder(0).build().unwrap_err();
    /// assert_eq!(err, CacheConfigError::ZeroCapacity);
    /// ```
    pub fn build(self) -> Result<ShardedTtlCache<K, V, S, C>, CacheConfigError> {
        let limits = self.common.limits()?;
        let shards = match self.shards {
            Some(0) => return Err(CacheConfigError::ZeroShards),
            Some(n) => n,
            None => {
                let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
                // Enough shards to keep contention low, but each at least
                // `MIN_DEFAULT_SHARD_CAPACITY` entries, so a small cache is not split into
                // shards too small to keep their hot keys.
                (cpus * DEFAULT_SHARDS_PER_CORE)
                    .next_power_of_two()
                    .min((limits.capacity / MIN_DEFAULT_SHARD_CAPACITY).max(1))
            }
        }
        .min(limits.capacity);
        ShardedTtlCache::from_parts(
            limits,
            shards,
            self.hasher,
            self.clock,
            self.listener,
            self.weigher,
        )
    }
}
