//! What happens to entries that leave the cache: [`EvictionCause`], the listener types,
//! and the refusal returned by an insert that cannot be honoured.

use std::fmt;

/// Why an entry left the cache. Every entry that leaves reaches the eviction listener
/// exactly once, with one of these causes, except a live value taken out by `remove`,
/// which is handed to the caller instead.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use poolkit::cache::{EvictionCause, TtlCache};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let mut cache = TtlCache::builder(1)
///     .eviction_listener(move |k: u32, v: u32, cause| log.lock().unwrap().push((k, v, cause)))
///     .build()
///     .unwrap();
/// cache.insert(1, 10).unwrap();
/// cache.insert(1, 11).unwrap(); // replaces 10
/// cache.insert(2, 20).unwrap(); // evicts key 1 for capacity
/// cache.clear();
/// assert_eq!(
///     *seen.lock().unwrap(),
///     [(1, 10, EvictionCause::Replaced), (1, 11, EvictionCause::Capacity), (2, 20, EvictionCause::Removed)]
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum EvictionCause {
    /// Its time to live or time to idle passed.
    Expired,
    /// It was evicted to keep the entry count or total weight within bounds.
    Capacity,
    /// An insert of the same key replaced it.
    Replaced,
    /// `clear` took it out (`remove` counts in the same statistic, but hands the value
    /// to its caller, not to the listener).
    Removed,
}

/// Why an insert was refused.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poolkit::cache::{RefusalReason, TtlCache};
///
/// let mut cache = TtlCache::builder(8).max_weight(4, |_: &u8, v: &u64| *v).build().unwrap();
/// let heavy = cache.insert(1, 5).unwrap_err();
/// assert_eq!(heavy.reason, RefusalReason::TooHeavy { weight: 5, budget: 4 });
/// let expired = cache.insert_with_ttl(2, 1, Duration::ZERO).unwrap_err();
/// assert_eq!(expired.reason, RefusalReason::ZeroTtl);
/// assert!(cache.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum RefusalReason {
    /// The weigher gave the entry more weight than the whole weight budget (of its shard,
    /// for the concurrent cache): storing it would mean evicting everything, itself included.
    TooHeavy {
        /// The weight the weigher returned.
        weight: u64,
        /// The budget it had to fit in.
        budget: u64,
    },
    /// `insert_with_ttl` was given a zero TTL: the entry would be expired on arrival.
    ZeroTtl,
}

/// An insert the cache refused, handing the key and value back.
///
/// A refused insert still removes the previous entry of that key, if there was one
/// (cause [`EvictionCause::Replaced`]): the caller meant to replace it, so it is stale and
/// must not be returned any more.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poolkit::cache::{RefusalReason, TtlCache};
///
/// let mut cache = TtlCache::new(4);
/// let refused = cache.insert_with_ttl("k", 1, Duration::ZERO).unwrap_err();
/// assert_eq!(refused.reason, RefusalReason::ZeroTtl);
/// assert_eq!((refused.key, refused.value), ("k", 1));
/// assert!(cache.is_empty());
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refused<K, V> {
    /// The key that was not inserted.
    pub key: K,
    /// The value that was not inserted.
    pub value: V,
    /// Why.
    pub reason: RefusalReason,
}

impl<K, V> fmt::Debug for Refused<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl<K, V> fmt::Display for Refused<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            RefusalReason::TooHeavy { weight, budget } => write!(
                f,
                "cache entry refused: weight {weight} exceeds the weight budget {budget}"
            ),
            RefusalReason::ZeroTtl => f.write_str("cache entry refused: zero time to live"),
        }
    }
}

impl<K, V> std::error::Error for Refused<K, V> {}

/// The single-thread cache's eviction listener (`Send`, so the cache can move between
/// threads or sit in a `Mutex`).
pub(crate) type Listener<K, V> = Box<dyn FnMut(K, V, EvictionCause) + Send>;
/// The concurrent cache's eviction listener.
pub(crate) type SyncListener<K, V> = Box<dyn Fn(K, V, EvictionCause) + Send + Sync>;
/// The single-thread cache's weigher.
pub(crate) type Weigher<K, V> = Box<dyn Fn(&K, &V) -> u64 + Send>;
/// The concurrent cache's weigher.
pub(crate) type SyncWeigher<K, V> = Box<dyn Fn(&K, &V) -> u64 + Send + Sync>;

/// An eviction listener that returns every evicted value to `pool` (which resets it and
/// keeps it if it has room), so the next miss can take a warm value instead of allocating.
/// Works with both builders' `eviction_listener`.
///
/// The value goes through [`Pool::put`](crate::Pool::put): reset and the pool's `accept`
/// hook run there, after the cache's locks are released. `put` boxes the value (one small
/// allocation per eviction); to recycle with no allocation at all, store
/// [`OwnedPooled`](crate::OwnedPooled) values in the cache instead: an evicted one returns its
/// box to the pool when the cache drops it (see `report/examples/alloc_report/cache_workload.rs`).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use poolkit::cache::{recycle_into, TtlCache};
/// use poolkit::Pool;
///
/// let pool = Arc::new(Pool::new(|| Vec::<u8>::with_capacity(512)));
/// let mut cache = TtlCache::builder(1)
///     .eviction_listener(recycle_into(pool.clone()))
///     .build()
///     .unwrap();
/// cache.insert(1, poolkit::Pooled::detach(pool.get())).unwrap();
/// cache.insert(2, poolkit::Pooled::detach(pool.get())).unwrap(); // evicts key 1: its buffer goes back
/// let reused = pool.get();
/// assert!(reused.capacity() >= 512 && reused.is_empty());
/// assert_eq!(pool.stats().misses, 2, "the third buffer came from the evicted entry");
/// ```
pub fn recycle_into<K, V>(
    pool: std::sync::Arc<crate::Pool<V>>,
) -> impl Fn(K, V, EvictionCause) + Send + Sync + 'static
where
    V: Send + 'static,
{
    move |_key, value, _cause| pool.put(value)
}
