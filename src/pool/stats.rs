//! Pool statistics: per-thread single-writer counters and the public snapshot.

use crate::sync::{AtomicU64, Ordering};

/// A counter written by exactly one thread at a time and read by any.
///
/// The owning thread increments it with a plain load and store (no
/// read-modify-write instruction, no contention); readers see a value that
/// only grows. "One writer at a time" holds because each counter lives in one
/// thread's cache, and a cache passes to another thread only after its first
/// owner exited (the `thread_local` crate synchronizes that hand-over).
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds one. Must only be called by the thread that owns the counter.
    #[inline]
    pub(crate) fn bump(&self) {
        self.add(1);
    }

    /// Adds `n`. Must only be called by the thread that owns the counter.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        // Release (a plain store on x86): pairs with `read_acquire` in
        // `PoolStats::add_local`, so a reader that sees this value also sees
        // every earlier bump of this thread's other counters.
        self.0
            .store(self.0.load(Ordering::Relaxed) + n, Ordering::Release);
    }

    /// Adds `n`, wrapping (for a counter of bytes that also goes down).
    /// Must only be called by the thread that owns the counter.
    #[inline]
    pub(crate) fn add_wrapping(&self, n: u64) {
        // Release: as in `add`.
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Release,
        );
    }

    /// Subtracts `n`, wrapping: summed over every thread's counter, with
    /// wrapping, the result is the true total. Owning thread only.
    #[inline]
    pub(crate) fn sub(&self, n: u64) {
        self.add_wrapping(n.wrapping_neg());
    }

    /// Adds `n` (wrapping) from any thread.
    #[inline]
    pub(crate) fn add_shared(&self, n: u64) {
        // Release: as in `bump`.
        self.0.fetch_add(n, Ordering::Release);
    }

    /// Adds one from any thread (for counters with several writers).
    #[inline]
    pub(crate) fn bump_shared(&self) {
        // Release: as in `bump`.
        self.0.fetch_add(1, Ordering::Release);
    }

    /// Reads the current value (from any thread).
    #[inline]
    pub(crate) fn read(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Reads the current value; the counters read after it are at least as
    /// new as they were when this value was written.
    #[inline]
    pub(crate) fn read_acquire(&self) -> u64 {
        // Acquire: pairs with the Release in `bump`.
        self.0.load(Ordering::Acquire)
    }
}

/// The counters of one thread's cache. Every event is counted on the thread
/// where it happened; [`PoolStats`] sums them.
///
/// Aligned to 128 bytes so that two threads' counters never share a cache
/// line (each thread writes its own on every operation).
#[derive(Default)]
#[repr(align(128))]
pub(crate) struct LocalCounters {
    pub(crate) local_hits: Counter,
    pub(crate) shared_hits: Counter,
    pub(crate) misses: Counter,
    pub(crate) puts: Counter,
    pub(crate) stored_local: Counter,
    pub(crate) stored_shared: Counter,
    pub(crate) rejected: Counter,
    pub(crate) dropped_full: Counter,
    pub(crate) hook_panics: Counter,
    pub(crate) discarded_unwinding: Counter,
    pub(crate) detached: Counter,
    pub(crate) trimmed: Counter,
    /// Objects moved from this cache to the shared tier in batches.
    pub(crate) flushed: Counter,
    /// Objects moved from the shared tier into this cache in batches (not
    /// counting the one handed out by the get that took the batch).
    pub(crate) refilled: Counter,
    /// Returns dropped because the byte budget was spent.
    pub(crate) refused_budget: Counter,
    /// Heap bytes of the objects this thread stored minus those of the
    /// objects it took or trimmed, wrapping: it goes "below zero" on a
    /// thread that takes objects another thread stored. The wrapping sum
    /// over every thread is the bytes the pool keeps.
    pub(crate) retained_bytes: Counter,
}

/// A snapshot of a [`Pool`](crate::Pool)'s counters, from
/// [`Pool::stats`](crate::Pool::stats).
///
/// Counting is always on: each event costs the thread that causes it one
/// uncontended store to its own cache line. Every field is exact once the
/// pool is quiet. While other threads are working, fields are read one after
/// the other, so they may disagree by whatever happens during the snapshot;
/// `retained` is still never above the retention bound.
///
/// # Identities
///
/// - `gets == hits + misses`, `hits == local_hits + shared_hits`
/// - `returns == stored_local + stored_shared + rejected + refused_budget + dropped_full + hook_panics`
/// - `outstanding == gets - (returns - puts) - detached - discarded_unwinding`
///   (guards alive now; values handed to [`put`](crate::Pool::put) were not
///   counted as gets)
///
/// # Examples
///
/// ```
/// use poolkit::Pool;
///
/// let pool: Pool<Vec<u8>> = Pool::new(Vec::new);
/// let a = pool.get(); // miss: the factory runs
/// drop(a);            // back into this thread's cache
/// let b = pool.get(); // local hit
/// let s = pool.stats();
/// assert_eq!((s.gets, s.misses, s.local_hits), (2, 1, 1));
/// assert_eq!((s.outstanding, s.retained), (1, 0));
/// drop(b);
/// assert_eq!(pool.stats().retained, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(into = "crate::stats_serde::SerializedPoolStats")
)]
#[non_exhaustive]
pub struct PoolStats {
    /// Objects handed out by `get`/`get_owned`.
    pub gets: u64,
    /// Gets served without calling the factory: `local_hits + shared_hits`.
    pub hits: u64,
    /// Gets served from the calling thread's cache.
    pub local_hits: u64,
    /// Gets served from the shared tier. Each such get takes a whole batch
    /// of objects into the thread's cache; the later gets that take the
    /// batch's other objects count as `local_hits`.
    pub shared_hits: u64,
    /// Gets that called the factory (the allocations the pool did not save).
    pub misses: u64,
    /// Objects given back: guards dropped normally plus `put` calls.
    pub returns: u64,
    /// Of `returns`, the ones that came through [`Pool::put`](crate::Pool::put).
    pub puts: u64,
    /// Returns stored in the returning thread's cache. When the cache is
    /// full, half of it moves to the shared tier as one batch first, and
    /// the return is still counted here.
    pub stored_local: u64,
    /// Returns stored straight in the shared tier: on a thread that cannot
    /// have a cache (exiting), or with `local_capacity` 0.
    pub stored_shared: u64,
    /// Returns refused by the `accept` hook (and dropped).
    pub rejected: u64,
    /// Returns dropped because keeping them would take the pool past
    /// [`max_retained_bytes`](crate::PoolBuilder::max_retained_bytes).
    pub refused_budget: u64,
    /// Returns dropped because the thread's cache and the shared tier were
    /// full. Nonzero in a pipeline means more objects are in flight between
    /// threads than the pool keeps: raise `shared_capacity` to the number
    /// in flight (see [`PoolBuilder::shared_capacity`](crate::PoolBuilder::shared_capacity)).
    pub dropped_full: u64,
    /// Returns dropped because the reset or accept hook panicked.
    pub hook_panics: u64,
    /// Guards dropped while their thread was panicking: their objects were
    /// dropped, not reset or reused.
    pub discarded_unwinding: u64,
    /// Objects kept for good through `detach`.
    pub detached: u64,
    /// Objects freed by `trim` aging.
    pub trimmed: u64,
    /// Objects held by the pool now (all threads' caches plus the depot).
    pub retained: u64,
    /// Heap bytes of the objects held now, as each reported through
    /// [`Reset::heap_bytes`](crate::Reset::heap_bytes) (or the builder's
    /// [`heap_bytes`](crate::PoolBuilder::heap_bytes) hook) when it was
    /// returned; 0 for types that do not report. Exact once the pool is
    /// quiet, and then never above
    /// [`max_retained_bytes`](crate::PoolBuilder::max_retained_bytes) when
    /// one is set (the budget itself holds at every instant).
    pub retained_bytes: u64,
    /// Guards alive now.
    pub outstanding: u64,
    /// Thread caches the pool has made: one per thread that used it, where
    /// a thread that starts after another exited inherits the exited
    /// thread's cache (see the [module docs](crate::pool#thread-exit)). The pool
    /// retains at most `thread_caches × local_capacity + shared_capacity`
    /// objects.
    pub thread_caches: u64,
}

impl PoolStats {
    /// The share of gets served without calling the factory (from a thread
    /// cache or the shared tier), from 0.0 to 1.0; `None` before the first
    /// get.
    ///
    /// ```
    /// use poolkit::Pool;
    ///
    /// let pool = Pool::new(String::new);
    /// assert_eq!(pool.stats().hit_ratio(), None);
    /// drop(pool.get()); // the factory runs
    /// drop(pool.get()); // reused
    /// assert_eq!(pool.stats().hit_ratio(), Some(0.5));
    /// ```
    #[must_use]
    pub fn hit_ratio(&self) -> Option<f64> {
        (self.gets > 0).then(|| self.hits as f64 / self.gets as f64)
    }

    /// Adds one thread's counters into the snapshot.
    pub(crate) fn add_local(&mut self, c: &LocalCounters) {
        self.thread_caches += 1;
        // What this thread's cache holds is what came in (stored, refilled)
        // minus what went out (taken, trimmed, flushed). The ins are read
        // first, with Acquire: the outs read after them include every one
        // that happened before those stores, so the difference is at most
        // what the cache held at the moment of the last in read (never above
        // `local_capacity`), and at least 0.
        let stored_local = c.stored_local.read_acquire();
        let refilled = c.refilled.read_acquire();
        let local_hits = c.local_hits.read();
        let trimmed = c.trimmed.read();
        let flushed = c.flushed.read();
        self.retained += (stored_local + refilled).saturating_sub(local_hits + trimmed + flushed);
        self.stored_local += stored_local;
        self.local_hits += local_hits;
        self.trimmed += trimmed;
        self.shared_hits += c.shared_hits.read();
        self.misses += c.misses.read();
        self.puts += c.puts.read();
        self.stored_shared += c.stored_shared.read();
        self.rejected += c.rejected.read();
        self.dropped_full += c.dropped_full.read();
        self.hook_panics += c.hook_panics.read();
        self.discarded_unwinding += c.discarded_unwinding.read();
        self.detached += c.detached.read();
        self.refused_budget += c.refused_budget.read();
        self.retained_bytes = self.retained_bytes.wrapping_add(c.retained_bytes.read());
    }

    /// Fills in the derived fields once every thread was added.
    pub(crate) fn finish(mut self, shared_len: usize, shared_trimmed: u64) -> Self {
        self.hits = self.local_hits + self.shared_hits;
        self.gets = self.hits + self.misses;
        self.returns = self.stored_local
            + self.stored_shared
            + self.rejected
            + self.dropped_full
            + self.refused_budget
            + self.hook_panics;
        // While other threads work, a take may be read without the store
        // it undid: the wrapped sum then looks negative. Report 0 then.
        if self.retained_bytes > u64::MAX / 2 {
            self.retained_bytes = 0;
        }
        self.trimmed += shared_trimmed;
        self.retained += shared_len as u64;
        let ended =
            self.returns.saturating_sub(self.puts) + self.detached + self.discarded_unwinding;
        self.outstanding = self.gets.saturating_sub(ended);
        self
    }
}
