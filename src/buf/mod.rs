//! Escape-avoiding byte buffers: [`BufPool`], a size-classed buffer pool
//! under one byte budget, its guards [`PooledBuf`] and [`OwnedPooledBuf`],
//! and a process-wide default pool ([`get`], [`get_owned`],
//! [`default_pool`]) for the one-line replacement of `Vec::with_capacity`.
//!
//! ```
//! use std::io::Write;
//!
//! // Before: `let mut body = Vec::with_capacity(64 * 1024);` per request.
//! for request in 0..1000 {
//!     let mut body = poolkit::buf::get(64 * 1024); // warm after the first
//!     write!(body, "response {request}")?;
//! } // cleared and kept when `body` drops
//! let stats = poolkit::buf::default_pool().stats();
//! assert!(stats.hits >= 999);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Layers: Go's allocator, on purpose
//!
//! ```text
//!  get(n) ─> class = ⌈log2 n⌉ ─> thread cache (mcache) ─miss─> shared queue (mcentral) ─miss─> allocate (heap)
//!  drop ──> class = ⌊log2 capacity⌋ ─> thread cache ─full─> shared queue ─full or over budget─> free
//! ```
//!
//! - **Size classes** are powers of two from `min_class` (64 B) to
//!   `max_class` (16 MiB) by default, like Go's size classes or .NET's
//!   `ArrayPool`. A request gets a buffer of the smallest class that holds
//!   it. A request above the top class gets a plain allocation (counted as
//!   `oversize`) that is freed on return.
//! - **On return** a buffer goes to the class of its *current* capacity,
//!   rounded down: a 4 KiB buffer that grew to 70 KiB serves 64 KiB
//!   requests from then on; one that grew past the top class is freed (Go
//!   issue 23199: `sync.Pool` pinning giant buffers).
//! - **Thread caches** (Go's `mcache`): per thread and per class, a short
//!   LIFO stack (16 buffers up to 16 KiB, 4 of 64 KiB, 2 of 128 KiB, one
//!   from 256 KiB up), never more than `thread_cache_bytes` in total. The
//!   warm path touches only the calling thread's cache: no lock, no shared
//!   atomic read-modify-write.
//! - **Shared queues** (Go's `mcentral`): one bounded lock-free queue per
//!   class (at most 64 buffers, fewer for big classes) that takes what
//!   overflows a thread cache and is how buffers returned on one thread
//!   reach another.
//! - **The heap**: misses allocate (the storage, and a 24-byte box the pool
//!   keeps it in for the buffer's whole life, so that a round trip moves one
//!   pointer); refused returns are freed (both).
//!
//! # The byte budget
//!
//! `max_retained_bytes` (64 MiB by default) bounds the bytes of buffer
//! capacity the pool keeps, over all classes and threads, **at every
//! instant**. A buffer is stored only under a reservation from the budget
//! made before it is stored and released after it left: a buffer in a
//! shared queue holds its own reservation; a thread cache holds *credit*, a
//! reservation taken in chunks (256 KiB, or the buffer's size) that covers
//! the buffers it keeps. Taking a buffer from the cache turns its bytes
//! into credit, keeping one spends credit, so a warm round trip never
//! touches the shared budget counter. A thread holds at most
//! `thread_cache_bytes` of budget (kept buffers plus credit); it gives back
//! credit beyond one chunk whenever its cache misses, and all of it at each
//! trim it applies (and a trim applies it for a thread that exited).
//! Consequence: credit held by a live thread that stopped using the pool is
//! unavailable to others until that thread uses the pool again or exits,
//! so returns may be refused (`refused_budget`) while the sum of kept bytes
//! is below the budget; never the other way round.
//!
//! # Aging: `trim`
//!
//! [`BufPool::trim`] ages every class over two generations, as
//! [`Pool::trim`](crate::Pool::trim) does: a buffer not reused between two
//! calls is freed, at once in the shared queues, the calling thread's cache
//! and the caches of exited threads, at their next use of the pool in other
//! live threads' caches (which then also give back their credit). A live
//! thread that stopped using the pool keeps at most `thread_cache_bytes`
//! until it uses it again or exits.
//!
//! # Threads
//!
//! Caches come from the `thread_local` crate: a thread's cache outlives it.
//! At exit the thread gives it up, and every trim ages it (two free it all,
//! credit included) until the next thread given the same id takes it over,
//! with what is left, on its first use of the pool. Returns from a thread
//! without a cache (it never called `get` on this pool, or it is exiting)
//! go to the shared queue.

mod builder;
mod classes;
mod default_pool;
mod guard;
mod local;
mod scratch;
mod shared;
mod stack;
mod stack_spill;
mod stats;

#[cfg(feature = "bytes")]
#[allow(unsafe_code)]
mod buf_mut;
#[cfg(feature = "bytes")]
mod bytes_mut;
#[cfg(feature = "bytes")]
mod freeze;

use std::collections::TryReserveError;
use std::fmt;
use std::sync::Arc;

use crossbeam_utils::CachePadded;
use thread_local::ThreadLocal;

use self::classes::SizeClasses;
use self::local::{local_buffers, ThreadCache};
use self::shared::{Refused, SharedClass};
use self::stats::ThreadCounters;
use crate::sync::{lock, AtomicU64, Mutex, Ordering};
use crate::tiers::memo::{self, PoolId};
use crate::tiers::ownership::Registry;
use crate::tiers::Budget;

pub use self::builder::{
    BufConfigError, BufPoolBuilder, DEFAULT_MAX_CLASS, DEFAULT_MAX_RETAINED_BYTES,
    DEFAULT_MIN_CLASS, MAX_CLASS_LIMIT,
};
#[cfg(feature = "bytes")]
pub use self::bytes_mut::{OwnedPooledBytesMut, PooledBytesMut};
pub use self::default_pool::{default_pool, get, get_owned};
pub use self::guard::{OwnedPooledBuf, PooledBuf};
pub use self::scratch::{
    try_with_scratch, with_scratch, SCRATCH_MAX_RETAINED_CAPACITY, SCRATCH_RETAINED_BUFFERS,
};
pub use self::stack::StackBuf;
pub use self::stats::{BufStats, ClassStats};

/// A buffer as the pool stores and the guards hold it: boxed, so handing it
/// from a cache to a guard and back moves one pointer instead of a 24-byte
/// `Vec` (whose copies through the stack cost more than their
/// instructions). The box travels with its buffer for the buffer's whole
/// life in the pool: it is made on a miss and freed with the buffer.
pub(crate) type Buf = Box<Vec<u8>>;

/// The class hint of a buffer taken for no class (oversize, or unknown).
pub(crate) const NO_CLASS: usize = usize::MAX;

/// The most buffers one class's shared queue holds.
const MAX_SHARED_BUFFERS: usize = 64;

/// A pool of byte buffers in power-of-two size classes, under one byte
/// budget. See the [module docs](self) for the layers, the budget and aging.
///
/// # Guarantees
///
/// - **Capacity**: [`get(n)`](Self::get) returns an empty buffer with
///   capacity ≥ `n`.
/// - **Bounded**: the bytes of capacity kept never exceed
///   `max_retained_bytes`, across all classes and threads, at any instant;
///   one thread keeps at most `thread_cache_bytes`.
/// - **Allocation**: a warm get/return round trip allocates nothing (a miss
///   allocates the buffer; a thread's first `get` allocates its cache once).
/// - **Memory goes back**: a buffer not reused between two [`trim`](Self::trim)
///   calls is freed (other live threads' caches: at their next use).
/// - **Panics**: a guard dropped while its thread panics frees its buffer.
///
/// # Examples
///
/// ```
/// use poolkit::buf::BufPool;
///
/// let pool = BufPool::new();
/// for _ in 0..3 {
///     let mut buf = pool.get(3000); // a 4 KiB buffer, the same one each time
///     buf.extend_from_slice(b"payload");
/// }
/// let stats = pool.stats();
/// assert_eq!((stats.misses, stats.hits), (1, 2));
/// assert_eq!(stats.retained_bytes, 4096);
///
/// let huge = pool.get(64 << 20); // above the 16 MiB top class
/// drop(huge); // freed, not kept
/// assert_eq!(pool.stats().oversize, 1);
/// assert_eq!(pool.stats().retained_bytes, 4096);
/// ```
pub struct BufPool {
    /// This pool's key in the threads' memos (never reused).
    id: PoolId,
    classes: SizeClasses,
    locals: ThreadLocal<ThreadCache>,
    /// Every cache in `locals` with its claim, so `trim` finds the caches
    /// of exited threads.
    registry: Registry<ThreadCache>,
    /// Bumped by every `trim`; caches compare it with the epoch they saw.
    epoch: CachePadded<AtomicU64>,
    shared: Box<[SharedClass]>,
    budget: Budget,
    thread_cache_bytes: usize,
    /// Per class, how many buffers a thread cache holds.
    local_capacities: Box<[usize]>,
    /// Every thread cache's counters, for `stats` (bounded by the threads
    /// alive at once: caches are reused across thread exits).
    counters: Mutex<Vec<Arc<ThreadCounters>>>,
    /// Counters for events on threads without a cache (any thread writes).
    orphan: ThreadCounters,
}

impl BufPool {
    /// A pool with the default configuration: classes 64 B to 16 MiB, a
    /// 64 MiB budget, 32 MiB per thread at most.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default configuration is valid")
    }

    /// A [`BufPoolBuilder`] to set classes and budgets.
    pub fn builder() -> BufPoolBuilder {
        BufPoolBuilder::default()
    }

    pub(crate) fn from_config(
        min_shift: u32,
        max_shift: u32,
        max_retained_bytes: usize,
        thread_cache_bytes: usize,
    ) -> Self {
        let classes = SizeClasses::new(min_shift, max_shift);
        let sizes = (0..classes.count()).map(|c| classes.size(c));
        BufPool {
            id: PoolId::next(),
            local_capacities: sizes.clone().map(local_buffers).collect(),
            shared: sizes
                .map(|size| {
                    SharedClass::new((max_retained_bytes / size).clamp(1, MAX_SHARED_BUFFERS))
                })
                .collect(),
            orphan: ThreadCounters::new(classes.count()),
            classes,
            locals: ThreadLocal::new(),
            registry: Registry::default(),
            epoch: CachePadded::new(AtomicU64::new(0)),
            budget: Budget::new(max_retained_bytes),
            thread_cache_bytes,
            counters: Mutex::new(Vec::new()),
        }
    }

    /// An empty buffer with capacity ≥ `min_capacity`: a kept one of the
    /// right class if there is one, else a new one of the class's size (or,
    /// above the top class, of exactly `min_capacity`).
    ///
    /// O(1); no allocation when warm.
    ///
    /// # Panics
    ///
    /// If the allocation fails or `min_capacity` exceeds `isize::MAX`; use
    /// [`try_get`](Self::try_get) to get an error instead.
    #[inline]
    #[track_caller]
    pub fn get(&self, min_capacity: usize) -> PooledBuf<'_> {
        match self.take_classed(min_capacity) {
            Ok((buf, class)) => PooledBuf::new(self, buf, class),
            Err(error) => alloc_failed(min_capacity, error),
        }
    }

    /// Like [`get`](Self::get), but a failed allocation of the buffer's
    /// storage is an error, and the pool is left as it was.
    ///
    /// The pool's own small allocations are not covered: the 24-byte box a
    /// new buffer lives in, and the calling thread's cache on its first use
    /// of the pool, abort on failure as std's allocations do.
    ///
    /// ```
    /// let pool = poolkit::buf::BufPool::new();
    /// assert!(pool.try_get(usize::MAX).is_err());
    /// assert!(pool.try_get(100).unwrap().capacity() >= 100);
    /// ```
    #[inline]
    pub fn try_get(&self, min_capacity: usize) -> Result<PooledBuf<'_>, TryReserveError> {
        self.take_classed(min_capacity)
            .map(|(buf, class)| PooledBuf::new(self, buf, class))
    }

    /// Like [`get`](Self::get), but the guard holds an `Arc` of the pool:
    /// it is `Send + 'static`.
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get).
    #[inline]
    #[track_caller]
    pub fn get_owned(self: &Arc<Self>, min_capacity: usize) -> OwnedPooledBuf {
        match self.take_classed(min_capacity) {
            Ok((buf, class)) => OwnedPooledBuf::new(Arc::clone(self), buf, class),
            Err(error) => alloc_failed(min_capacity, error),
        }
    }

    /// Like [`get_owned`](Self::get_owned), but a failed allocation is an
    /// error.
    #[inline]
    pub fn try_get_owned(
        self: &Arc<Self>,
        min_capacity: usize,
    ) -> Result<OwnedPooledBuf, TryReserveError> {
        self.take_classed(min_capacity)
            .map(|(buf, class)| OwnedPooledBuf::new(Arc::clone(self), buf, class))
    }

    /// Ages the pool by one generation: frees every buffer kept since the
    /// previous `trim` without being taken, in the shared queues, the
    /// calling thread's cache and the caches of exited threads (other live
    /// threads' caches: at their next use).
    /// Returns how many buffers this call freed. O(buffers kept).
    ///
    /// ```
    /// let pool = poolkit::buf::BufPool::new();
    /// let burst: Vec<_> = (0..8).map(|_| pool.get(1 << 20)).collect();
    /// drop(burst); // some kept, within the budget
    /// assert!(pool.stats().retained_bytes > 0);
    /// pool.trim(); // marks them old
    /// pool.trim(); // frees them
    /// assert_eq!(pool.stats().retained_bytes, 0);
    /// ```
    pub fn trim(&self) -> usize {
        // Relaxed: the epoch publishes no data; a thread that uses the pool
        // after this call reads this value or a later one (coherence).
        self.epoch.fetch_add(1, Ordering::Relaxed);
        let mut freed = 0;
        for shared in self.shared.iter() {
            freed += shared.trim(&self.budget);
        }
        let epoch = self.epoch.load(Ordering::Relaxed);
        if let Some(local) = self.existing_local() {
            freed += local.catch_up(epoch, &self.budget);
        }
        // The caches of exited threads that no thread adopted yet, aged as
        // their owners would at their next use (freeing a buffer runs no
        // user code, so under the claim is fine).
        self.registry
            .for_each_abandoned(|cache| freed += cache.catch_up(epoch, &self.budget));
        freed
    }

    /// A snapshot of the counters, per class and in total. O(threads ×
    /// classes); allocates the per-class vector.
    #[must_use]
    pub fn stats(&self) -> BufStats {
        let mut stats = BufStats {
            classes: (0..self.classes.count())
                .map(|class| {
                    let shared = &self.shared[class];
                    ClassStats {
                        size: self.classes.size(class),
                        trimmed: shared.trimmed(),
                        retained: shared.len(),
                        retained_bytes: shared.bytes(),
                        ..ClassStats::default()
                    }
                })
                .collect(),
            max_retained_bytes: self.budget.limit(),
            ..BufStats::default()
        };
        for counters in lock(&self.counters).iter() {
            stats.add_thread(counters);
        }
        stats.add_thread(&self.orphan);
        stats.reserved_bytes = self.budget.reserved();
        stats.finish()
    }

    /// The smallest class size in bytes.
    pub fn min_class(&self) -> usize {
        self.classes.size(0)
    }

    /// The largest class size in bytes; larger requests are `oversize`.
    pub fn max_class(&self) -> usize {
        self.classes.max_size()
    }

    /// The byte budget: the most bytes of capacity the pool keeps.
    pub fn max_retained_bytes(&self) -> usize {
        self.budget.limit()
    }

    /// The most budget one thread's cache holds.
    pub fn thread_cache_bytes(&self) -> usize {
        self.thread_cache_bytes
    }

    /// The calling thread's cache, made on first use: from the memo with one
    /// compare when warm.
    /// `None` only on an exiting thread, which may not claim a cache.
    #[inline]
    fn local(&self) -> Option<&ThreadCache> {
        match self.memoized() {
            Some(local) => Some(local),
            None => self.first_local(),
        }
    }

    /// This thread's cache, if the memo remembers it.
    #[inline]
    #[allow(unsafe_code)]
    fn memoized(&self) -> Option<&ThreadCache> {
        let address = memo::find(self.id)?;
        // SAFETY: the memo holds an address under this pool's id only if
        // `claimed` stored it, on this thread, from `self.locals` (ids are never reused, so no other pool's entry
        // matches). The entry lives until `self.locals` is dropped, which
        // outlives `&self`, and belongs to this thread until its
        // `thread_local` id is released at exit, which happens after the exit
        // watch cleared the memo (`crate::tiers::memo` has the argument).
        // Only `&` references to the cache exist; all its state is in `Cell`s
        // touched by this thread alone.
        Some(unsafe { &*address.cast::<ThreadCache>() })
    }

    /// This thread's cache if it has one (never makes one: safe in
    /// thread-local destructors).
    #[inline]
    fn existing_local(&self) -> Option<&ThreadCache> {
        match self.memoized() {
            Some(local) => Some(local),
            None => self.existing_local_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn existing_local_slow(&self) -> Option<&ThreadCache> {
        // `get` found an entry, so the thread holds its id now.
        self.claimed(self.locals.get()?)
    }

    /// `local`, found in `self.locals` for this thread (which holds its
    /// id), if this thread may use it: claimed (adopted if its last thread
    /// exited) and remembered in the memo. `None` on an exiting thread.
    #[cold]
    fn claimed<'a>(&self, local: &'a ThreadCache) -> Option<&'a ThreadCache> {
        if !local.ownership.claim() {
            return None;
        }
        memo::remember(self.id, std::ptr::from_ref(local).cast());
        Some(local)
    }

    /// The calling thread's first use of the pool, or a memo miss. Out of
    /// line: inlined, the construction of a (128-byte aligned) `ThreadCache`
    /// made every `get` realign its stack frame.
    #[cold]
    #[inline(never)]
    fn first_local(&self) -> Option<&ThreadCache> {
        if !crate::tiers::exit_watch::may_make_cache() {
            // Exiting: `get_or` could need a new thread id, which panics.
            return None;
        }
        let made = std::cell::Cell::new(false);
        let local = self.locals.get_or(|| {
            made.set(true);
            self.new_local()
        });
        if made.get() {
            self.registry.add(local, &local.ownership);
        }
        self.claimed(local)
    }

    #[cold]
    fn new_local(&self) -> ThreadCache {
        let counters = Arc::new(ThreadCounters::new(self.classes.count()));
        lock(&self.counters).push(Arc::clone(&counters));
        ThreadCache::new(
            &self.local_capacities,
            self.epoch.load(Ordering::Relaxed),
            counters,
        )
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn take(&self, min_capacity: usize) -> Result<Buf, TryReserveError> {
        self.take_classed(min_capacity).map(|(buf, _)| buf)
    }

    /// A buffer for `min_capacity` and the class it was taken for
    /// ([`NO_CLASS`] above the top class): the guards keep the class as the
    /// return hint for [`give_back`](Self::give_back).
    #[inline(always)]
    fn take_classed(&self, min_capacity: usize) -> Result<(Buf, usize), TryReserveError> {
        let Some(local) = self.local() else {
            return self.take_without_cache(min_capacity);
        };
        let Some(class) = self.classes.for_request(min_capacity) else {
            return self
                .take_oversize(local, min_capacity)
                .map(|buf| (buf, NO_CLASS));
        };
        local.observe(self.epoch.load(Ordering::Relaxed), &self.budget);
        match local.pop(class) {
            Some(buf) => Ok((buf, class)),
            None => self.take_slow(local, class).map(|buf| (buf, class)),
        }
    }

    /// A get on a thread that may not use a cache (it is exiting): a new
    /// buffer, counted in the pool's shared counters.
    #[cold]
    #[inline(never)]
    fn take_without_cache(&self, min_capacity: usize) -> Result<(Buf, usize), TryReserveError> {
        let class = self.classes.for_request(min_capacity);
        let size = class.map_or(min_capacity, |class| self.classes.size(class));
        let mut buf = Vec::new();
        buf.try_reserve_exact(size)?;
        match class {
            Some(class) => self.orphan.classes[class].misses.bump_shared(),
            None => self.orphan.oversize.bump_shared(),
        }
        Ok((Box::new(buf), class.unwrap_or(NO_CLASS)))
    }

    #[cold]
    #[inline(never)]
    fn take_slow(&self, local: &ThreadCache, class: usize) -> Result<Buf, TryReserveError> {
        local.release_spare_credit(&self.budget);
        if let Some(buf) = self.shared[class].pop(&self.budget) {
            return Ok(buf);
        }
        let mut buf = Vec::new();
        buf.try_reserve_exact(self.classes.size(class))?;
        local.counters.classes[class].misses.bump();
        Ok(Box::new(buf))
    }

    #[cold]
    #[inline(never)]
    fn take_oversize(
        &self,
        local: &ThreadCache,
        min_capacity: usize,
    ) -> Result<Buf, TryReserveError> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(min_capacity)?;
        local.counters.oversize.bump();
        Ok(Box::new(buf))
    }

    /// Takes a buffer back from a guard: keeps it in its class or frees it.
    ///
    /// `hint` is the class the buffer was taken for (or [`NO_CLASS`]). If
    /// the buffer still has exactly that class's size, as it does unless it
    /// grew (or came from the cache larger), the class is known at once: the
    /// common case is decided by two comparisons, and the cache slot the
    /// buffer goes to does not wait for a class computed from the capacity.
    /// Everything else takes [`give_back_slow`](Self::give_back_slow).
    #[inline(always)]
    pub(crate) fn give_back(&self, mut buf: Buf, hint: usize) {
        if self.classes.is_class_size(hint, buf.capacity()) {
            if let Some(local) = self.memoized() {
                if !std::thread::panicking() && local.is_current(self.epoch.load(Ordering::Relaxed))
                {
                    buf.clear();
                    if let Err(back) = local.push(hint, buf, &self.budget, self.thread_cache_bytes)
                    {
                        self.give_back_shared(Some(local), hint, back);
                    }
                    return;
                }
            }
        }
        self.give_back_slow(buf);
    }

    /// Keeps `buf` (empty, of `class`) in this thread's cache, or else in
    /// the shared queue, or frees it.
    #[inline]
    fn keep(&self, local: &ThreadCache, class: usize, buf: Buf) {
        local.observe(self.epoch.load(Ordering::Relaxed), &self.budget);
        if let Err(back) = local.push(class, buf, &self.budget, self.thread_cache_bytes) {
            self.give_back_shared(Some(local), class, back);
        }
    }

    /// The rest of [`give_back`](Self::give_back): a buffer of another size
    /// than its hint's class, unwinding, or no cache on this thread. A
    /// buffer of capacity 0 (the user took the storage out) is freed without
    /// being counted.
    #[cold]
    #[inline(never)]
    fn give_back_slow(&self, mut buf: Buf) {
        if buf.capacity() == 0 {
            return; // taken out by the user: nothing to give back or count
        }
        let local = self.existing_local();
        if std::thread::panicking() {
            // The buffer may be half-written: free it.
            self.tally(local, |c| &c.discarded_unwinding);
            return;
        }
        let Some(class) = self.classes.for_return(buf.capacity()) else {
            self.tally(local, |c| &c.rejected);
            return;
        };
        buf.clear();
        match local {
            Some(local) => self.keep(local, class, buf),
            None => self.give_back_shared(None, class, buf),
        }
    }

    #[cold]
    #[inline(never)]
    fn give_back_shared(&self, local: Option<&ThreadCache>, class: usize, buf: Buf) {
        match self.shared[class].push(buf, &self.budget) {
            Ok(()) => {}
            Err(Refused::Budget) => self.tally(local, |c| &c.classes[class].refused_budget),
            Err(Refused::Full) => self.tally(local, |c| &c.classes[class].dropped_full),
        }
    }

    pub(crate) fn note_detached(&self) {
        self.tally(self.existing_local(), |c| &c.detached);
    }

    /// Counts an event on this thread's counters, or the orphan ones.
    #[inline]
    fn tally(
        &self,
        local: Option<&ThreadCache>,
        counter: impl Fn(&ThreadCounters) -> &stats::Counter,
    ) {
        match local {
            Some(local) => counter(&local.counters).bump(),
            None => counter(&self.orphan).bump_shared(),
        }
    }
}

#[cold]
#[track_caller]
fn alloc_failed(min_capacity: usize, error: TryReserveError) -> ! {
    panic!("poolkit::buf: cannot allocate a buffer of {min_capacity} bytes: {error}")
}

impl Default for BufPool {
    /// [`BufPool::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufPool")
            .field("min_class", &self.min_class())
            .field("max_class", &self.max_class())
            .field("max_retained_bytes", &self.max_retained_bytes())
            .field("thread_cache_bytes", &self.thread_cache_bytes)
            .field("reserved_bytes", &self.budget.reserved())
            .finish_non_exhaustive()
    }
}
