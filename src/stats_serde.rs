//! The serialized forms of the stats snapshots (feature `serde`).
//!
//! [`PoolStats`], [`BufStats`] and [`CacheStats`] serialize through these views: every
//! counter under its Rust field name, plus the derived figures a dashboard
//! reads (`hit_ratio`, and for the cache the `evictions` total beside the
//! evictions by cause). The conversions destructure the snapshots without
//! `..`, so a counter added to a snapshot cannot be left out of its
//! serialized form: the crate stops compiling with the feature on until it is
//! listed here.

use serde::Serialize;

use crate::buf::{BufStats, ClassStats};
use crate::cache::CacheStats;
use crate::pool::PoolStats;

/// The serialized form of [`PoolStats`]: its counters and `hit_ratio`.
#[derive(Serialize)]
pub(crate) struct SerializedPoolStats {
    gets: u64,
    hits: u64,
    local_hits: u64,
    shared_hits: u64,
    misses: u64,
    returns: u64,
    puts: u64,
    stored_local: u64,
    stored_shared: u64,
    rejected: u64,
    refused_budget: u64,
    dropped_full: u64,
    hook_panics: u64,
    discarded_unwinding: u64,
    detached: u64,
    trimmed: u64,
    retained: u64,
    retained_bytes: u64,
    outstanding: u64,
    thread_caches: u64,
    /// Gets served without calling the factory, over all gets (0.0 before
    /// the first get).
    hit_ratio: f64,
}

impl From<PoolStats> for SerializedPoolStats {
    fn from(stats: PoolStats) -> Self {
        let hit_ratio = stats.hit_ratio().unwrap_or(0.0);
        let PoolStats {
            gets,
            hits,
            local_hits,
            shared_hits,
            misses,
            returns,
            puts,
            stored_local,
            stored_shared,
            rejected,
            refused_budget,
            dropped_full,
            hook_panics,
            discarded_unwinding,
            detached,
            trimmed,
            retained,
            retained_bytes,
            outstanding,
            thread_caches,
        } = stats;
        Self {
            gets,
            hits,
            local_hits,
            shared_hits,
            misses,
            returns,
            puts,
            stored_local,
            stored_shared,
            rejected,
            refused_budget,
            dropped_full,
            hook_panics,
            discarded_unwinding,
            detached,
            trimmed,
            retained,
            retained_bytes,
            outstanding,
            thread_caches,
            hit_ratio,
        }
    }
}

/// The serialized form of [`CacheStats`]: its counters, the `evictions`
/// total and `hit_ratio`.
#[derive(Serialize)]
pub(crate) struct SerializedCacheStats {
    hits: u64,
    misses: u64,
    inserts: u64,
    updates: u64,
    evicted_expired: u64,
    evicted_capacity: u64,
    evicted_replaced: u64,
    evicted_removed: u64,
    /// All evictions, whatever the cause ([`CacheStats::evictions`]).
    evictions: u64,
    /// [`CacheStats::hit_ratio`].
    hit_ratio: f64,
}

impl From<CacheStats> for SerializedCacheStats {
    fn from(stats: CacheStats) -> Self {
        let CacheStats {
            hits,
            misses,
            inserts,
            updates,
            evicted_expired,
            evicted_capacity,
            evicted_replaced,
            evicted_removed,
        } = stats;
        Self {
            hits,
            misses,
            inserts,
            updates,
            evicted_expired,
            evicted_capacity,
            evicted_replaced,
            evicted_removed,
            evictions: stats.evictions(),
            hit_ratio: stats.hit_ratio(),
        }
    }
}

/// The serialized form of [`BufStats`]: its counters, its classes and
/// `hit_ratio`.
#[derive(Serialize)]
pub(crate) struct SerializedBufStats {
    gets: u64,
    hits: u64,
    misses: u64,
    oversize: u64,
    refused_budget: u64,
    dropped_full: u64,
    rejected: u64,
    discarded_unwinding: u64,
    detached: u64,
    trimmed: u64,
    retained: usize,
    retained_bytes: usize,
    reserved_bytes: usize,
    max_retained_bytes: usize,
    /// Requests served with a kept buffer, over all requests (0.0 before
    /// the first).
    hit_ratio: f64,
    classes: Vec<ClassStats>,
}

impl From<BufStats> for SerializedBufStats {
    fn from(stats: BufStats) -> Self {
        let BufStats {
            classes,
            gets,
            hits,
            misses,
            oversize,
            refused_budget,
            dropped_full,
            rejected,
            discarded_unwinding,
            detached,
            trimmed,
            retained,
            retained_bytes,
            reserved_bytes,
            max_retained_bytes,
        } = stats;
        Self {
            gets,
            hits,
            misses,
            oversize,
            refused_budget,
            dropped_full,
            rejected,
            discarded_unwinding,
            detached,
            trimmed,
            retained,
            retained_bytes,
            reserved_bytes,
            max_retained_bytes,
            hit_ratio: ratio(hits, gets),
            classes,
        }
    }
}

/// `part / whole`, or 0.0 when `whole` is 0.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}
