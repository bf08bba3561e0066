//! Buffer pool statistics: per-thread single-writer counters and the public
//! snapshot types.

use std::sync::Arc;

use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// A counter written by one thread at a time (the thread owning the cache
/// it lives in) and read by any; or, for the pool's orphan counters, by any
/// thread with a read-modify-write.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds one. Only the owning thread may call it.
    #[inline]
    pub(crate) fn bump(&self) {
        // Relaxed: a statistic; a load and a store, no read-modify-write.
        self.0
            .store(self.0.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    /// Adds one from any thread.
    #[inline]
    pub(crate) fn bump_shared(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn read(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A gauge set by its owning thread (bytes or buffers held now).
#[derive(Default)]
pub(crate) struct Gauge(AtomicUsize);

impl Gauge {
    #[inline]
    pub(crate) fn set(&self, value: usize) {
        self.0.store(value, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn read(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One thread's counters for one size class.
#[derive(Default)]
pub(crate) struct ClassCounters {
    pub(crate) gets: Counter,
    pub(crate) misses: Counter,
    pub(crate) refused_budget: Counter,
    pub(crate) dropped_full: Counter,
    pub(crate) trimmed: Counter,
    pub(crate) retained: Gauge,
    pub(crate) retained_bytes: Gauge,
}

/// The counters of one thread's cache (or the pool's orphan counters, for
/// events on threads without a cache). 128-byte aligned: each thread writes
/// its own on every operation.
#[repr(align(128))]
pub(crate) struct ThreadCounters {
    /// Shared with the thread cache's class stacks, which reach their
    /// counters directly (no second lookup by class).
    pub(crate) classes: Box<[Arc<ClassCounters>]>,
    pub(crate) oversize: Counter,
    pub(crate) rejected: Counter,
    pub(crate) discarded_unwinding: Counter,
    pub(crate) detached: Counter,
}

impl ThreadCounters {
    pub(crate) fn new(classes: usize) -> Self {
        ThreadCounters {
            classes: (0..classes).map(|_| Arc::default()).collect(),
            oversize: Counter::default(),
            rejected: Counter::default(),
            discarded_unwinding: Counter::default(),
            detached: Counter::default(),
        }
    }
}

/// One size class in a [`BufStats`] snapshot.
///
/// `hits + misses == gets` once the pool is quiet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ClassStats {
    /// The class's buffer size in bytes (kept buffers have at least this
    /// capacity and less than twice it).
    pub size: usize,
    /// Requests served by this class.
    pub gets: u64,
    /// Requests served with a kept buffer (thread cache or shared tier).
    pub hits: u64,
    /// Requests that allocated a new buffer.
    pub misses: u64,
    /// Returns freed because keeping them would have broken the byte budget.
    pub refused_budget: u64,
    /// Returns freed because the thread cache and the shared tier of the
    /// class were full.
    pub dropped_full: u64,
    /// Buffers freed by [`trim`](super::BufPool::trim).
    pub trimmed: u64,
    /// Buffers kept now.
    pub retained: usize,
    /// Bytes of capacity kept now.
    pub retained_bytes: usize,
}

/// A snapshot of a [`BufPool`](super::BufPool)'s counters, per class and in
/// total, from [`BufPool::stats`](super::BufPool::stats).
///
/// Counting is always on (each event: one uncontended store by the thread
/// that causes it, to its own cache line). Fields are exact once the pool is
/// quiet; while threads work they are read one after the other.
///
/// `hits + misses + oversize == gets`, and `retained_bytes ≤ reserved_bytes
/// ≤ max_retained_bytes` always.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(into = "crate::stats_serde::SerializedBufStats")
)]
#[non_exhaustive]
pub struct BufStats {
    /// Per class, smallest first.
    pub classes: Vec<ClassStats>,
    /// All requests.
    pub gets: u64,
    /// Requests served with a kept buffer.
    pub hits: u64,
    /// Requests that allocated a class buffer.
    pub misses: u64,
    /// Requests above the largest class: a plain allocation, freed on return.
    pub oversize: u64,
    /// Returns freed to keep the byte budget.
    pub refused_budget: u64,
    /// Returns freed because the class's tiers were full.
    pub dropped_full: u64,
    /// Returns freed because their capacity fits no class (an oversize
    /// buffer, or one that grew past the largest class or shrank below the
    /// smallest).
    pub rejected: u64,
    /// Buffers dropped unreturned because their guard dropped while its
    /// thread was panicking.
    pub discarded_unwinding: u64,
    /// Buffers taken out for good with `detach` (or `freeze` then kept).
    pub detached: u64,
    /// Buffers freed by `trim`.
    pub trimmed: u64,
    /// Buffers kept now.
    pub retained: usize,
    /// Bytes of capacity kept now.
    pub retained_bytes: usize,
    /// Bytes of the budget reserved now: kept bytes plus threads' unused
    /// credit.
    pub reserved_bytes: usize,
    /// The byte budget.
    pub max_retained_bytes: usize,
}

impl BufStats {
    pub(crate) fn add_thread(&mut self, counters: &ThreadCounters) {
        for (stats, c) in self.classes.iter_mut().zip(counters.classes.iter()) {
            stats.gets += c.gets.read();
            stats.misses += c.misses.read();
            stats.refused_budget += c.refused_budget.read();
            stats.dropped_full += c.dropped_full.read();
            stats.trimmed += c.trimmed.read();
            stats.retained += c.retained.read();
            stats.retained_bytes += c.retained_bytes.read();
        }
        self.oversize += counters.oversize.read();
        self.rejected += counters.rejected.read();
        self.discarded_unwinding += counters.discarded_unwinding.read();
        self.detached += counters.detached.read();
    }

    /// Fills in the totals from the per-class figures.
    pub(crate) fn finish(mut self) -> Self {
        for class in &mut self.classes {
            class.hits = class.gets.saturating_sub(class.misses);
            self.gets += class.gets;
            self.hits += class.hits;
            self.misses += class.misses;
            self.refused_budget += class.refused_budget;
            self.dropped_full += class.dropped_full;
            self.trimmed += class.trimmed;
            self.retained += class.retained;
            self.retained_bytes += class.retained_bytes;
        }
        self.gets += self.oversize;
        self
    }
}
