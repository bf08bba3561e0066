//! [`CacheStats`]: counters kept by both cache flavours.

use std::ops::AddAssign;

/// A snapshot of a cache's counters since it was built.
///
/// Counting is plain integer arithmetic on data the operation touches anyway (under the
/// shard lock for the concurrent cache), so it is always on.
///
/// The counters add up: `inserts + updates - evictions()` is the number of resident
/// entries (see [`CacheStats::evictions`]), and every lookup is either a hit or a miss.
///
/// # Examples
///
/// ```
/// use poolkit::cache::TtlCache;
///
/// let mut cache = TtlCache::new(2);
/// cache.insert(1u64, 10u64).unwrap();
/// cache.insert(1, 11).unwrap();
/// assert_eq!(cache.get(&1), Some(&11));
/// assert_eq!(cache.get(&2), None);
/// let stats = cache.stats();
/// assert_eq!((stats.hits, stats.misses), (1, 1));
/// assert_eq!((stats.inserts, stats.updates, stats.evicted_replaced), (1, 1, 1));
/// assert_eq!(stats.inserts + stats.updates - stats.evictions(), cache.len() as u64);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(into = "crate::stats_serde::SerializedCacheStats")
)]
pub struct CacheStats {
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that found nothing live (absent, or expired and then reclaimed).
    pub misses: u64,
    /// Insertions of a key with no live entry.
    pub inserts: u64,
    /// Insertions that replaced the live entry of the same key.
    pub updates: u64,
    /// Entries removed because their time to live or to idle passed.
    pub evicted_expired: u64,
    /// Entries evicted to stay within the entry or weight bound.
    pub evicted_capacity: u64,
    /// Entries replaced by an insertion of the same key (including a refused one).
    pub evicted_replaced: u64,
    /// Entries removed by `remove` (handed to the caller) or `clear`.
    pub evicted_removed: u64,
}

impl CacheStats {
    /// All removals, whatever their cause.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::CacheStats;
    /// let mut s = CacheStats::default();
    /// (s.evicted_expired, s.evicted_capacity, s.evicted_replaced, s.evicted_removed) = (1, 2, 3, 4);
    /// assert_eq!(s.evictions(), 10);
    /// ```
    pub fn evictions(&self) -> u64 {
        self.evicted_expired + self.evicted_capacity + self.evicted_replaced + self.evicted_removed
    }

    /// Hits divided by lookups, or 0.0 before the first lookup.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::CacheStats;
    /// let mut s = CacheStats::default();
    /// (s.hits, s.misses) = (3, 1);
    /// assert_eq!(s.hit_ratio(), 0.75);
    /// assert_eq!(CacheStats::default().hit_ratio(), 0.0);
    /// ```
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }

    pub(crate) fn record_eviction(&mut self, cause: crate::cache::EvictionCause) {
        use crate::cache::EvictionCause::*;
        match cause {
            Expired => self.evicted_expired += 1,
            Capacity => self.evicted_capacity += 1,
            Replaced => self.evicted_replaced += 1,
            Removed => self.evicted_removed += 1,
        }
    }
}

impl AddAssign for CacheStats {
    fn add_assign(&mut self, o: Self) {
        self.hits += o.hits;
        self.misses += o.misses;
        self.inserts += o.inserts;
        self.updates += o.updates;
        self.evicted_expired += o.evicted_expired;
        self.evicted_capacity += o.evicted_capacity;
        self.evicted_replaced += o.evicted_replaced;
        self.evicted_removed += o.evicted_removed;
    }
}
