//! Publishing pool, buffer pool and cache statistics through the `metrics` crate's
//! facade (feature `metrics`).
//!
//! Nothing here touches a hot path: the functions take a stats snapshot that
//! you read when you choose (typically just before a scrape, or from a timer)
//! and set the recorder's counters to the snapshot's totals and its gauges to
//! the snapshot's levels. Pools and caches count whether or not this feature
//! is on; publishing costs one recorder lookup per metric, per call.
//!
//! Counters are published with [`Counter::absolute`](::metrics::Counter::absolute):
//! the snapshot is the source of truth, so publishing twice never counts
//! twice.
//!
//! # Names
//!
//! Stable names in the Prometheus style: counters end in `_total`, gauges
//! name their unit. Each metric carries a label naming the pool (`pool`) or
//! cache (`cache`), as given to the publishing function.
//!
//! | metric | kind | labels | from |
//! |---|---|---|---|
//! | `poolkit_pool_gets_total` | counter | `pool` | [`PoolStats::gets`] |
//! | `poolkit_pool_hits_total` | counter | `pool`, `tier` = `local` / `shared` | [`PoolStats::local_hits`], [`PoolStats::shared_hits`] |
//! | `poolkit_pool_misses_total` | counter | `pool` | [`PoolStats::misses`] (factory calls) |
//! | `poolkit_pool_returns_total` | counter | `pool` | [`PoolStats::returns`] |
//! | `poolkit_pool_puts_total` | counter | `pool` | [`PoolStats::puts`] |
//! | `poolkit_pool_stored_total` | counter | `pool`, `tier` = `local` / `shared` | [`PoolStats::stored_local`], [`PoolStats::stored_shared`] |
//! | `poolkit_pool_dropped_total` | counter | `pool`, `reason` = `rejected` / `full` / `budget` / `hook_panic` / `unwinding` | [`PoolStats::rejected`], [`PoolStats::dropped_full`], [`PoolStats::refused_budget`], [`PoolStats::hook_panics`], [`PoolStats::discarded_unwinding`] |
//! | `poolkit_pool_detached_total` | counter | `pool` | [`PoolStats::detached`] |
//! | `poolkit_pool_trimmed_total` | counter | `pool` | [`PoolStats::trimmed`] |
//! | `poolkit_pool_retained_objects` | gauge | `pool` | [`PoolStats::retained`] |
//! | `poolkit_pool_retained_bytes` | gauge | `pool` | [`PoolStats::retained_bytes`] |
//! | `poolkit_pool_outstanding_objects` | gauge | `pool` | [`PoolStats::outstanding`] |
//! | `poolkit_pool_thread_caches` | gauge | `pool` | [`PoolStats::thread_caches`] |
//! | `poolkit_buf_pool_gets_total` | counter | `pool` | [`BufStats::gets`] |
//! | `poolkit_buf_pool_hits_total` | counter | `pool` | [`BufStats::hits`] |
//! | `poolkit_buf_pool_misses_total` | counter | `pool` | [`BufStats::misses`] (class buffers allocated) |
//! | `poolkit_buf_pool_oversize_total` | counter | `pool` | [`BufStats::oversize`] (requests above the top class) |
//! | `poolkit_buf_pool_dropped_total` | counter | `pool`, `reason` = `budget` / `full` / `rejected` / `unwinding` | [`BufStats::refused_budget`], [`BufStats::dropped_full`], [`BufStats::rejected`], [`BufStats::discarded_unwinding`] |
//! | `poolkit_buf_pool_detached_total` | counter | `pool` | [`BufStats::detached`] |
//! | `poolkit_buf_pool_trimmed_total` | counter | `pool` | [`BufStats::trimmed`] |
//! | `poolkit_buf_pool_retained_buffers` | gauge | `pool` | [`BufStats::retained`] |
//! | `poolkit_buf_pool_retained_bytes` | gauge | `pool` | [`BufStats::retained_bytes`] |
//! | `poolkit_buf_pool_reserved_bytes` | gauge | `pool` | [`BufStats::reserved_bytes`] |
//! | `poolkit_buf_pool_max_retained_bytes` | gauge | `pool` | [`BufStats::max_retained_bytes`] |
//! | `poolkit_buf_pool_class_gets_total` | counter | `pool`, `class_bytes` | [`ClassStats::gets`] per size class |
//! | `poolkit_buf_pool_class_misses_total` | counter | `pool`, `class_bytes` | [`ClassStats::misses`] per size class |
//! | `poolkit_buf_pool_class_retained_bytes` | gauge | `pool`, `class_bytes` | [`ClassStats::retained_bytes`] per size class |
//! | `poolkit_cache_hits_total` | counter | `cache` | [`CacheStats::hits`] |
//! | `poolkit_cache_misses_total` | counter | `cache` | [`CacheStats::misses`] |
//! | `poolkit_cache_inserts_total` | counter | `cache` | [`CacheStats::inserts`] |
//! | `poolkit_cache_updates_total` | counter | `cache` | [`CacheStats::updates`] |
//! | `poolkit_cache_evictions_total` | counter | `cache`, `cause` = `expired` / `capacity` / `replaced` / `removed` | [`CacheStats`]`::evicted_*` |
//! | `poolkit_cache_entries` | gauge | `cache` | the cache's `len()` |
//! | `poolkit_cache_capacity_entries` | gauge | `cache` | the cache's `capacity()` |
//!
//! Ratios (hit ratio, eviction rate) are left to the query language, as
//! Prometheus conventions expect: `rate(poolkit_cache_hits_total[5m])`
//! divided by the sum of hits and misses.
//!
//! # Examples
//!
//! ```
//! use poolkit::{Pool, ShardedTtlCache};
//!
//! let pool: Pool<Vec<u8>> = Pool::new(Vec::new);
//! let cache: ShardedTtlCache<u64, u64> = ShardedTtlCache::new(1024);
//! drop(pool.get());
//! cache.insert(1, 1).unwrap();
//!
//! // Before each scrape (or from a timer): publish fresh snapshots to the
//! // installed recorder (here none is installed, so this does nothing).
//! poolkit::metrics::publish_pool_stats("buffers", &pool.stats());
//! poolkit::metrics::publish_cache_stats("responses", &cache.stats(), cache.len(), cache.capacity());
//! assert_eq!(pool.stats().gets, 1); // publishing reads snapshots, never the pool
//! ```

use ::metrics::{counter, gauge};

use crate::buf::{BufStats, ClassStats};
use crate::cache::CacheStats;
use crate::pool::PoolStats;

/// Publishes a pool's snapshot under the `poolkit_pool_*` names, labelled
/// `pool = name`.
///
/// Sets the counters to the snapshot's totals and the gauges to its levels
/// (see the [module docs](self) for the names). Allocates the label strings
/// and whatever the installed recorder allocates to look the metrics up; with
/// no recorder installed it does nothing else.
///
/// # Examples
///
/// ```
/// use poolkit::Pool;
///
/// let pool: Pool<String> = Pool::new(String::new);
/// drop(pool.get());
/// poolkit::metrics::publish_pool_stats("strings", &pool.stats());
/// assert_eq!(pool.stats().retained, 1);
/// ```
pub fn publish_pool_stats(name: &str, stats: &PoolStats) {
    let name = name.to_owned();
    let total = |metric: &'static str, value: u64| {
        counter!(metric, "pool" => name.clone()).absolute(value);
    };
    let total_by = |metric: &'static str, label: &'static str, kind: &'static str, value: u64| {
        counter!(metric, "pool" => name.clone(), label => kind).absolute(value);
    };
    total("poolkit_pool_gets_total", stats.gets);
    total_by("poolkit_pool_hits_total", "tier", "local", stats.local_hits);
    total_by(
        "poolkit_pool_hits_total",
        "tier",
        "shared",
        stats.shared_hits,
    );
    total("poolkit_pool_misses_total", stats.misses);
    total("poolkit_pool_returns_total", stats.returns);
    total("poolkit_pool_puts_total", stats.puts);
    total_by(
        "poolkit_pool_stored_total",
        "tier",
        "local",
        stats.stored_local,
    );
    total_by(
        "poolkit_pool_stored_total",
        "tier",
        "shared",
        stats.stored_shared,
    );
    let dropped = "poolkit_pool_dropped_total";
    total_by(dropped, "reason", "rejected", stats.rejected);
    total_by(dropped, "reason", "full", stats.dropped_full);
    total_by(dropped, "reason", "budget", stats.refused_budget);
    total_by(dropped, "reason", "hook_panic", stats.hook_panics);
    total_by(dropped, "reason", "unwinding", stats.discarded_unwinding);
    total("poolkit_pool_detached_total", stats.detached);
    total("poolkit_pool_trimmed_total", stats.trimmed);
    gauge!("poolkit_pool_retained_objects", "pool" => name.clone()).set(stats.retained as f64);
    gauge!("poolkit_pool_retained_bytes", "pool" => name.clone()).set(stats.retained_bytes as f64);
    gauge!("poolkit_pool_outstanding_objects", "pool" => name.clone())
        .set(stats.outstanding as f64);
    gauge!("poolkit_pool_thread_caches", "pool" => name.clone()).set(stats.thread_caches as f64);
}

/// Publishes a buffer pool's snapshot under the `poolkit_buf_pool_*` names,
/// labelled `pool = name` (and `class_bytes` for the per-class figures).
///
/// Sets the counters to the snapshot's totals and the gauges to its levels
/// (see the [module docs](self) for the names). Allocates the label strings
/// and whatever the installed recorder allocates to look the metrics up.
///
/// # Examples
///
/// ```
/// use poolkit::buf::BufPool;
///
/// let pool = BufPool::new();
/// drop(pool.get(1000));
/// poolkit::metrics::publish_buf_pool_stats("bytes", &pool.stats());
/// assert_eq!(pool.stats().gets, 1);
/// ```
pub fn publish_buf_pool_stats(name: &str, stats: &BufStats) {
    let name = name.to_owned();
    let total = |metric: &'static str, value: u64| {
        counter!(metric, "pool" => name.clone()).absolute(value);
    };
    let level = |metric: &'static str, value: usize| {
        gauge!(metric, "pool" => name.clone()).set(value as f64);
    };
    total("poolkit_buf_pool_gets_total", stats.gets);
    total("poolkit_buf_pool_hits_total", stats.hits);
    total("poolkit_buf_pool_misses_total", stats.misses);
    total("poolkit_buf_pool_oversize_total", stats.oversize);
    for (reason, value) in [
        ("budget", stats.refused_budget),
        ("full", stats.dropped_full),
        ("rejected", stats.rejected),
        ("unwinding", stats.discarded_unwinding),
    ] {
        counter!("poolkit_buf_pool_dropped_total", "pool" => name.clone(), "reason" => reason)
            .absolute(value);
    }
    total("poolkit_buf_pool_detached_total", stats.detached);
    total("poolkit_buf_pool_trimmed_total", stats.trimmed);
    level("poolkit_buf_pool_retained_buffers", stats.retained);
    level("poolkit_buf_pool_retained_bytes", stats.retained_bytes);
    level("poolkit_buf_pool_reserved_bytes", stats.reserved_bytes);
    level(
        "poolkit_buf_pool_max_retained_bytes",
        stats.max_retained_bytes,
    );
    for class in &stats.classes {
        publish_class(&name, class);
    }
}

fn publish_class(pool: &str, class: &ClassStats) {
    let labels = [
        ("pool", pool.to_owned()),
        ("class_bytes", class.size.to_string()),
    ];
    counter!("poolkit_buf_pool_class_gets_total", &labels).absolute(class.gets);
    counter!("poolkit_buf_pool_class_misses_total", &labels).absolute(class.misses);
    gauge!("poolkit_buf_pool_class_retained_bytes", &labels).set(class.retained_bytes as f64);
}

/// Publishes a cache's snapshot under the `poolkit_cache_*` names, labelled
/// `cache = name`, with its current entry count and capacity (`len()` and
/// `capacity()` of either cache flavour).
///
/// Sets the counters to the snapshot's totals and the gauges to the given
/// levels (see the [module docs](self) for the names). Allocates the label
/// strings and whatever the installed recorder allocates to look the metrics
/// up.
///
/// # Examples
///
/// ```
/// use poolkit::TtlCache;
///
/// let mut cache = TtlCache::new(8);
/// cache.insert("a", 1).unwrap();
/// assert_eq!(cache.get("a"), Some(&1));
/// poolkit::metrics::publish_cache_stats("names", &cache.stats(), cache.len(), cache.capacity());
/// assert_eq!(cache.stats().hits, 1);
/// ```
pub fn publish_cache_stats(name: &str, stats: &CacheStats, entries: usize, capacity: usize) {
    let name = name.to_owned();
    let total = |metric: &'static str, value: u64| {
        counter!(metric, "cache" => name.clone()).absolute(value);
    };
    total("poolkit_cache_hits_total", stats.hits);
    total("poolkit_cache_misses_total", stats.misses);
    total("poolkit_cache_inserts_total", stats.inserts);
    total("poolkit_cache_updates_total", stats.updates);
    for (cause, value) in [
        ("expired", stats.evicted_expired),
        ("capacity", stats.evicted_capacity),
        ("replaced", stats.evicted_replaced),
        ("removed", stats.evicted_removed),
    ] {
        counter!("poolkit_cache_evictions_total", "cache" => name.clone(), "cause" => cause)
            .absolute(value);
    }
    gauge!("poolkit_cache_entries", "cache" => name.clone()).set(entries as f64);
    gauge!("poolkit_cache_capacity_entries", "cache" => name).set(capacity as f64);
}
