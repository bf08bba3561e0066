//! [`Pool<T>`]: `sync.Pool` for Rust.
//!
//! # Tiers
//!
//! ```text
//!  get ──> this thread's cache ──empty──> a full magazine from the depot ──none──> factory
//!  return ─> reset ─> accept? ─> this thread's cache ─full─> half of it, as one magazine, to the depot ─full─> drop
//! ```
//!
//! - The thread cache is a LIFO stack of at most `local_capacity` objects,
//!   one per thread and per pool (from the `thread_local` crate), made by
//!   the thread's first `get` or first return, and found again through a
//!   per-thread memo of the last few pools used (one compare). The fast
//!   path touches only it: no atomic read-modify-write, no lock.
//! - The shared tier is a depot of magazines (Bonwick and Adams' magazine
//!   layer): batches of objects in two lock-free bounded
//!   `crossbeam_queue::ArrayQueue`s, one of full magazines and one of spare
//!   ones, holding at most `shared_capacity` objects in all and allocated
//!   when the pool is built. A cache that overflows hands the top half of
//!   its stack over as one magazine; an empty cache takes a whole magazine
//!   back. So objects move between threads in batches: a consumer thread at
//!   the end of a channel, which only returns, pays one shared-queue
//!   operation per batch, not per object, and the producer takes the batch
//!   in one operation too. Such a thread (its cache was made by a return)
//!   hands a batch over as soon as it holds one, half a cache, rather than
//!   when its cache is full, until a get of its own misses: with `K`
//!   objects in flight between a producer and a consumer, the factory runs
//!   at most about `K` + 2 + one batch times. When the depot is full, the
//!   rest of its cache still takes returns. A thread that is exiting has no cache any more:
//!   its returns travel to the depot one per magazine.
//! - Retention never exceeds `threads × local_capacity + shared_capacity`,
//!   where `threads` is the largest number of threads with a cache alive at
//!   the same time (an exited thread's cache is inherited by a later thread,
//!   see below, so short-lived threads do not add up).
//! - Bytes: each returned object's heap bytes ([`Reset::heap_bytes`]) are
//!   added up in [`PoolStats::retained_bytes`]; with
//!   [`PoolBuilder::max_retained_bytes`], a return that does not fit in the
//!   byte budget is dropped. The budget holds across threads: each thread
//!   reserves it in chunks and keeps the rest as credit, so a warm get and
//!   return touch no shared counter for it.
//!
//! # Aging: `trim`
//!
//! [`Pool::trim`] ages what the pool keeps over two generations, like Go's
//! victim cache at each garbage collection. Call it from a timer (say every
//! few seconds):
//!
//! - The depot and the calling thread's cache are trimmed at once: an
//!   object there not taken between two consecutive `trim` calls is freed.
//! - The caches of threads that exited are trimmed at once too (see
//!   *Thread exit*).
//! - Every other live thread's cache is trimmed at that thread's next use
//!   of the pool (a get, a return or a `put`), and it then applies every
//!   trim it missed: after two missed trims, its whole cache is freed.
//! - So a burst's memory goes back within two periods, except what sits in
//!   the cache of a live thread that no longer uses the pool: at most
//!   `local_capacity` objects per such thread, until it uses the pool again
//!   or exits, or the pool is dropped. Freeing those from `trim` would need
//!   the owning thread to synchronize with the trimmer on every get and
//!   return; poolkit keeps the fast path free of that.
//!
//! # Thread exit
//!
//! A thread's cache is not freed when the thread exits: the thread gives
//! it up, and from then on every [`Pool::trim`], on any thread, ages it as
//! its owner would have (two trims free all of it). The `thread_local`
//! crate recycles thread ids (process-wide, lowest free id first), and the
//! next thread given the exited thread's id takes the cache over, with
//! what the trims left in it, on its first use of this pool. Everything is
//! freed, exactly once, when the pool is dropped.
//!
//! Returning objects (guard drop, `put`, `detach`) is safe anywhere, also
//! from thread-local destructors at thread exit: once the thread has given
//! its caches up, its returns go to the depot. A `get` there is served by
//! the factory, on a thread that used any poolkit pool before; on a thread
//! whose *first* poolkit call is a `get` from a thread-local destructor
//! that runs after the `thread_local` crate released the thread's id, that
//! crate panics, which aborts.

//! # Hooks
//!
//! The factory, reset and accept hooks (and `T`'s `Drop`) never run while
//! the pool holds a borrow or a lock, so they may use the same pool again.
//! A panicking hook loses the object at hand and nothing else.

mod builder;
mod guard;
mod guard_traits;
mod local;
mod shared;
mod stats;

#[cfg(all(test, loom))]
mod loom_models;

use std::fmt;
use std::sync::Arc;

use thread_local::ThreadLocal;

use self::builder::{AcceptHook, BytesHook, Factory, PoolParts, ResetHook};
use self::local::{LocalCache, Refused, Weighed};
use self::shared::SharedTier;
use self::stats::{Counter, LocalCounters};
use crate::sync::{lock, AtomicU64, Mutex, Ordering};
use crate::tiers::exit_watch;
use crate::tiers::memo::{self, PoolId};
use crate::tiers::ownership::Registry;
use crate::tiers::Budget;
use crate::Reset;

pub use self::builder::{
    PoolBuilder, PoolConfigError, DEFAULT_LOCAL_CAPACITY, DEFAULT_SHARED_CAPACITY,
    MAX_LOCAL_CAPACITY, MAX_SHARED_CAPACITY,
};
pub use self::guard::{OwnedPooled, Pooled};
pub use self::stats::PoolStats;

/// A pool of reusable objects: per-thread caches over a shared bounded
/// queue, with reset on return, bounded retention, aging and statistics.
/// See the [module docs](self) for the tiers, aging and thread exit.
///
/// # Guarantees
///
/// - **Allocation**: once warm, [`get`](Self::get) and returning a guard make
///   no heap allocation (the factory runs only on a miss; the first use of
///   the pool on a thread allocates that thread's cache once).
/// - **Bounded**: at most `threads × local_capacity + shared_capacity`
///   objects are kept (`threads`: threads with a cache alive at once);
///   returns beyond that are dropped. With
///   [`max_retained_bytes`](PoolBuilder::max_retained_bytes), the heap bytes
///   of the kept objects (as [`Reset::heap_bytes`] reports them) never pass
///   that limit either, across all threads.
/// - **Clean**: every object handed out is fresh from the factory or was
///   reset since its last use.
/// - **Panics**: a guard dropped while unwinding drops its object; a
///   panicking hook loses only the object at hand. The pool never poisons.
///
/// # Examples
///
/// ```
/// use poolkit::Pool;
///
/// let pool: Pool<Vec<u8>> = Pool::new(|| Vec::with_capacity(4096));
///
/// for request in 0..3 {
///     let mut body = pool.get(); // reuses the buffer after the first round
///     body.extend_from_slice(format!("response {request}").as_bytes());
///     assert!(body.starts_with(b"response"));
/// } // each guard drop clears the buffer and keeps it
///
/// let stats = pool.stats();
/// assert_eq!(stats.misses, 1); // one allocation for three requests
/// assert_eq!(stats.local_hits, 2);
/// ```
// Aligned to 128 bytes (two cache lines, for adjacent-line prefetch): in an
// `Arc<Pool<T>>` the reference counts sit just before the pool, and every
// `get_owned` and owned-guard drop writes them, from whichever thread; the
// alignment keeps those writes off the line of the fields every get and
// return reads (`locals`, `epoch`, the hooks).
#[repr(align(128))]
pub struct Pool<T: Send> {
    /// This pool's key in the threads' memos (never reused).
    id: PoolId,
    locals: ThreadLocal<LocalCache<Kept<T>>>,
    /// Every cache in `locals` with its claim, so `trim` finds the caches
    /// of exited threads.
    registry: Registry<LocalCache<Kept<T>>>,
    /// Bumped by every `trim`; caches compare it with the epoch they saw.
    epoch: AtomicU64,
    local_capacity: usize,
    shared: SharedTier<Kept<T>>,
    factory: Factory<T>,
    reset: ResetHook<T>,
    accept: Option<AcceptHook<T>>,
    heap_bytes: BytesHook<T>,
    /// The byte budget every kept object is covered by, if one was set.
    budget: Option<Arc<Budget>>,
    /// Every thread cache's counters, for `stats`. One entry per cache ever
    /// made, and caches are reused across thread exits, so it is bounded by
    /// the number of threads alive at once.
    counters: Mutex<Vec<Arc<LocalCounters>>>,
    /// Counters for returns on a thread that has no cache (it never called
    /// `get`, or it is past its thread-local destructors). Any thread may
    /// write them, so they are bumped with `fetch_add`.
    orphan: LocalCounters,
}

impl<T: Reset + Send> Pool<T> {
    /// A pool with default capacities that resets objects with [`Reset`].
    ///
    /// ```
    /// use poolkit::Pool;
    ///
    /// let pool = Pool::new(String::new);
    /// pool.get().push_str("scratch");
    /// assert!(pool.get().is_empty()); // reset on return
    /// ```
    pub fn new(factory: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::builder(factory)
            .build()
            .expect("the default configuration is valid")
    }

    /// A [`PoolBuilder`] that resets objects with [`Reset`] unless told
    /// otherwise.
    pub fn builder(factory: impl Fn() -> T + Send + Sync + 'static) -> PoolBuilder<T> {
        PoolBuilder::with_reset_trait(Box::new(factory))
    }
}

impl<T: Send> Pool<T> {
    /// A [`PoolBuilder`] for a type that does not implement [`Reset`]: `reset`
    /// clears an object on return.
    ///
    /// ```
    /// use poolkit::Pool;
    ///
    /// struct Frame { pixels: Vec<u32>, seq: u64 }
    /// let pool = Pool::builder_with_reset(
    ///     || Frame { pixels: Vec::with_capacity(64), seq: 0 },
    ///     |f| { f.pixels.clear(); f.seq = 0; },
    /// )
    /// .build()
    /// .unwrap();
    /// let mut frame = pool.get();
    /// frame.seq = 7;
    /// drop(frame);
    /// assert_eq!(pool.get().seq, 0);
    /// ```
    pub fn builder_with_reset(
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> PoolBuilder<T> {
        PoolBuilder::new(Box::new(factory), ResetHook::Closure(Box::new(reset)))
    }

    pub(crate) fn from_parts(parts: PoolParts<T>) -> Self {
        Pool {
            id: PoolId::next(),
            locals: ThreadLocal::new(),
            registry: Registry::default(),
            epoch: AtomicU64::new(0),
            local_capacity: parts.local_capacity,
            shared: new_shared_tier(parts.local_capacity, parts.shared_capacity),
            factory: parts.factory,
            reset: parts.reset,
            accept: parts.accept,
            heap_bytes: parts.heap_bytes,
            budget: parts
                .max_retained_bytes
                .map(|limit| Arc::new(Budget::new(limit))),
            counters: Mutex::new(Vec::new()),
            orphan: LocalCounters::default(),
        }
    }

    /// Takes an object: from this thread's cache, else the depot,
    /// else a new one from the factory. The guard gives it back when dropped.
    ///
    /// O(1). No allocation unless the factory runs (and, once per thread, to
    /// make the thread's cache).
    #[inline]
    pub fn get(&self) -> Pooled<'_, T> {
        Pooled::new(self, self.take())
    }

    /// Like [`get`](Self::get), but the guard holds an `Arc` of the pool
    /// instead of borrowing it: it is `Send + 'static` when `T` is, for
    /// spawned tasks, `.await` points and other threads.
    #[inline]
    pub fn get_owned(self: &Arc<Self>) -> OwnedPooled<T> {
        OwnedPooled::new(Arc::clone(self), self.take())
    }

    /// Gives the pool an object made elsewhere (or detached earlier). It is
    /// reset, checked by `accept`, and kept if there is room, exactly like a
    /// returned guard. Unlike a guard dropped while its thread panics, `put`
    /// always resets and may keep the object, even during unwinding: the
    /// caller chose to hand it over.
    ///
    /// Allocation: the pool keeps objects boxed (so that a round trip moves
    /// one pointer, not the whole object), so `put` makes one allocation of
    /// `size_of::<T>()` bytes for the box, and [`Pooled::detach`] frees one.
    /// Guard round trips (`get`, then drop) allocate nothing; prefer them in
    /// hot loops.
    ///
    /// ```
    /// use poolkit::Pool;
    ///
    /// let pool = Pool::new(Vec::<u8>::new);
    /// pool.put(Vec::with_capacity(1024));
    /// let buf = pool.get(); // the vector put above, cleared
    /// assert!(buf.capacity() >= 1024);
    /// assert_eq!(pool.stats().misses, 0);
    /// ```
    #[inline]
    pub fn put(&self, value: T) {
        let local = self.local_for_return();
        self.tally(local).bump(|c| &c.puts);
        self.recycle(local, Box::new(value));
    }

    /// Ages the pool by one generation: frees every object that was kept
    /// since the previous `trim` without being taken. Returns how many
    /// objects this call freed (the depot's and the calling thread's;
    /// other threads free theirs at their next use of the pool).
    ///
    /// Two calls with no use in between free everything the depot and
    /// the calling thread keep. O(objects freed).
    ///
    /// ```
    /// use poolkit::Pool;
    ///
    /// let pool = Pool::new(Vec::<u8>::new);
    /// let burst: Vec<_> = (0..10).map(|_| pool.get()).collect();
    /// drop(burst); // 10 objects kept
    /// assert_eq!(pool.stats().retained, 10);
    /// pool.trim(); // marks them old
    /// let reused = pool.get(); // one is used again: young
    /// drop(reused);
    /// assert_eq!(pool.trim(), 9); // the nine untouched ones go
    /// assert_eq!(pool.stats().retained, 1);
    /// ```
    pub fn trim(&self) -> usize {
        // Relaxed: the epoch publishes no data. A thread that uses the pool
        // after this call (ordered by any synchronization) reads this value
        // or a later one, by coherence, and then applies the trim.
        self.epoch.fetch_add(1, Ordering::Relaxed);
        let own = self.own_local();
        let tally = self.tally(own);
        let mut freed_bytes = 0;
        let mut freed = self.shared.trim_with(|kept| {
            tally.sub_bytes(kept.bytes);
            freed_bytes += kept.bytes;
        });
        if let Some(budget) = &self.budget {
            // After the drops: a reservation outlives what it covers.
            budget.release(freed_bytes);
        }
        if let Some(local) = own {
            // The current epoch, not the one this call made: a `T::drop` run
            // by the shared trim may have trimmed again meanwhile.
            freed += local.catch_up(self.epoch.load(Ordering::Relaxed));
        }
        freed + self.trim_abandoned()
    }

    /// Ages the caches of exited threads that no thread has adopted yet,
    /// as their owners would at their next use. The objects freed are
    /// dropped after every lock is released (`T::drop` is user code).
    fn trim_abandoned(&self) -> usize {
        let epoch = self.epoch.load(Ordering::Relaxed);
        let mut victims = Vec::new();
        let mut release = 0;
        self.registry
            .for_each_abandoned(|cache| release += cache.take_aged(epoch, &mut victims));
        let freed = victims.len();
        drop(victims);
        if let Some(budget) = &self.budget {
            // After the drops: a reservation outlives what it covers.
            budget.release(release);
        }
        freed
    }

    /// A snapshot of the pool's counters. O(threads that used the pool).
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        let mut stats = PoolStats::default();
        let counters = lock(&self.counters);
        for c in counters.iter() {
            stats.add_local(c);
        }
        drop(counters);
        let thread_caches = stats.thread_caches;
        stats.add_local(&self.orphan);
        stats.thread_caches = thread_caches;
        stats.finish(self.shared.len(), self.shared.trimmed())
    }

    /// How many objects each thread may keep.
    pub fn local_capacity(&self) -> usize {
        self.local_capacity
    }

    /// How many objects the depot may keep.
    pub fn shared_capacity(&self) -> usize {
        self.shared.capacity()
    }

    /// The cap on the heap bytes the pool keeps, if one was set with
    /// [`PoolBuilder::max_retained_bytes`].
    pub fn max_retained_bytes(&self) -> Option<usize> {
        self.budget.as_ref().map(|budget| budget.limit())
    }

    /// The calling thread's cache, made on first use: from the memo with one
    /// compare when warm, else through the `ThreadLocal` (out of line).
    /// `None` only on an exiting thread, which may not claim a cache.
    #[inline]
    fn local(&self) -> Option<&LocalCache<Kept<T>>> {
        match self.memoized() {
            Some(local) => Some(local),
            None => self.local_slow(),
        }
    }

    /// This thread's cache, if the memo remembers it.
    #[inline]
    #[allow(unsafe_code)]
    fn memoized(&self) -> Option<&LocalCache<Kept<T>>> {
        let address = memo::find(self.id)?;
        // SAFETY: the memo holds an address under this pool's id only if
        // `claimed` stored it, on this thread, from `self.locals` (ids are never reused, so no other pool's entry
        // matches). The entry lives until `self.locals` is dropped, which
        // outlives `&self`, and belongs to this thread until its
        // `thread_local` id is released at exit, which happens after the exit
        // watch cleared the memo (`crate::tiers::memo` has the argument).
        // Only `&` references to the cache exist; all its state is in `Cell`s
        // touched by this thread alone.
        Some(unsafe { &*address.cast::<LocalCache<Kept<T>>>() })
    }

    /// [`local`](Self::local) when the memo misses: the thread's first use
    /// of this pool, or another pool took the memo's entry. Only this path
    /// makes caches (for a get, or a return on a live thread): the other
    /// paths use `self.locals.get()`, which never needs the thread's id to
    /// be (re)allocated, so they stay safe inside thread-local destructors.
    #[cold]
    #[inline(never)]
    fn local_slow(&self) -> Option<&LocalCache<Kept<T>>> {
        self.local_made_by(false)
    }

    /// This thread's cache, made now by a get or (`by_return`) a return if
    /// the thread has none, claimed and remembered in the memo.
    fn local_made_by(&self, by_return: bool) -> Option<&LocalCache<Kept<T>>> {
        if !exit_watch::may_make_cache() {
            // Exiting: `get_or` could need a new thread id, which panics.
            return None;
        }
        let made = std::cell::Cell::new(false);
        let local = self.locals.get_or(|| {
            made.set(true);
            self.new_local(by_return)
        });
        if made.get() {
            self.registry.add(local, &local.ownership);
        }
        self.claimed(local)
    }

    /// `local`, found in `self.locals` for this thread (which holds its
    /// id), if this thread may use it: claimed (adopted if its last thread
    /// exited) and remembered in the memo. `None` on an exiting thread.
    #[cold]
    fn claimed<'a>(&self, local: &'a LocalCache<Kept<T>>) -> Option<&'a LocalCache<Kept<T>>> {
        if !local.ownership.claim() {
            return None;
        }
        memo::remember(self.id, std::ptr::from_ref(local).cast());
        Some(local)
    }

    /// This thread's cache if it has one, never making one (safe in
    /// thread-local destructors).
    #[inline]
    fn own_local(&self) -> Option<&LocalCache<Kept<T>>> {
        match self.memoized() {
            Some(local) => Some(local),
            None => self.own_local_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn own_local_slow(&self) -> Option<&LocalCache<Kept<T>>> {
        self.claimed(self.locals.get()?)
    }

    /// Where to count an event: this thread's counters if it has a cache,
    /// else the pool's shared ones.
    #[inline]
    fn tally<'a>(&'a self, local: Option<&'a LocalCache<Kept<T>>>) -> Tally<'a> {
        match local {
            Some(local) => Tally::Own(&local.counters),
            None => Tally::Shared(&self.orphan),
        }
    }

    /// The calling thread's cache for a return: made now if the thread has
    /// none yet (a thread that only returns objects, at the end of a
    /// channel, needs one to hand them over in batches), unless the thread
    /// is exiting (see `exit_watch`).
    #[inline]
    fn local_for_return(&self) -> Option<&LocalCache<Kept<T>>> {
        match self.memoized() {
            Some(local) => Some(local),
            None => self.local_for_return_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn local_for_return_slow(&self) -> Option<&LocalCache<Kept<T>>> {
        match self.locals.get() {
            // `get` found an entry, so the thread holds its id now.
            Some(local) => self.claimed(local),
            None if exit_watch::may_make_cache() => self.local_made_by(true),
            None => None,
        }
    }

    #[cold]
    fn new_local(&self, by_return: bool) -> LocalCache<Kept<T>> {
        exit_watch::arm();
        let counters = Arc::new(LocalCounters::default());
        lock(&self.counters).push(Arc::clone(&counters));
        LocalCache::new(
            self.local_capacity,
            if by_return {
                batch_size(self.local_capacity)
            } else {
                self.local_capacity
            },
            self.epoch.load(Ordering::Relaxed),
            counters,
            self.budget.clone(),
        )
    }

    #[inline]
    fn take(&self) -> Box<T> {
        let Some(local) = self.local() else {
            return self.take_without_cache();
        };
        match local.pop(self.epoch.load(Ordering::Relaxed)) {
            Some(kept) => {
                local.counters.local_hits.bump();
                kept.value
            }
            None => self.take_slow(local),
        }
    }

    #[cold]
    #[inline(never)]
    fn take_slow(&self, local: &LocalCache<Kept<T>>) -> Box<T> {
        local.widen();
        if let Some(mut magazine) = self.shared.take_full() {
            // A full magazine is never empty: hand out its top object and
            // keep the rest in this (empty) cache, in one move.
            if let Some(kept) = magazine.pop() {
                local.counters.refilled.add(magazine.len() as u64);
                local.refill(&mut magazine);
                self.shared.give_back_empty(magazine);
                local.note_taken(kept.bytes);
                local.counters.shared_hits.bump();
                return kept.value;
            }
            self.shared.give_back_empty(magazine);
        }
        local.release_spare_credit();
        // Counted after the factory returns: a panicking factory hands
        // nothing out.
        let value = Box::new((self.factory)());
        local.counters.misses.bump();
        value
    }

    /// A get on a thread that may not use a cache (it is exiting): a new
    /// object, counted in the pool's shared counters.
    #[cold]
    #[inline(never)]
    fn take_without_cache(&self) -> Box<T> {
        let value = Box::new((self.factory)());
        self.orphan.misses.bump_shared();
        value
    }

    /// Takes an object back from a guard.
    ///
    /// Always inlined, and small: the common case (the memo finds the
    /// cache, `T: Reset` with no accept or bytes hook, not unwinding, room
    /// in the cache, no trim missed) is a reset call and a push; everything
    /// else is [`give_back_slow`](Self::give_back_slow), out of line. Left
    /// to itself, the compiler kept the whole return path out of line in
    /// user loops, a call per round trip.
    #[inline(always)]
    pub(crate) fn give_back(&self, mut value: Box<T>) {
        if let (Some(local), ResetHook::Trait(reset_and_measure), None, BytesHook::Function(_)) =
            (self.memoized(), &self.reset, &self.accept, &self.heap_bytes)
        {
            if !std::thread::panicking() {
                // A hook panic drops `value` while unwinding and is counted.
                let on_panic = CountOnUnwind(Tally::Own(&local.counters));
                let bytes = reset_and_measure(&mut value);
                std::mem::forget(on_panic);
                // After the hook (user code, which may have used the pool).
                if local.is_current(self.epoch.load(Ordering::Relaxed))
                    && !local.is_full()
                    && local.reserve(bytes)
                {
                    local.push_reserved(Kept { value, bytes });
                    local.counters.stored_local.bump();
                    return;
                }
                return self.store_slow(local, value, bytes);
            }
        }
        self.give_back_slow(value);
    }

    /// [`give_back`](Self::give_back)'s store when the cache is full, over
    /// its budget or behind a trim: the same as a general return after its
    /// hooks ran.
    #[cold]
    #[inline(never)]
    fn store_slow(&self, local: &LocalCache<Kept<T>>, value: Box<T>, bytes: usize) {
        let tally = Tally::Own(&local.counters);
        local.observe(self.epoch.load(Ordering::Relaxed));
        let kept = Kept { value, bytes };
        if !local.is_full() {
            if local.reserve(bytes) {
                local.push_reserved(kept);
                tally.bump(|c| &c.stored_local);
            } else {
                Self::refuse_over_budget(tally, kept);
            }
        } else {
            self.overflow(Some(local), tally, kept);
        }
    }

    /// The rest of [`give_back`](Self::give_back).
    #[inline(never)]
    fn give_back_slow(&self, value: Box<T>) {
        if std::thread::panicking() {
            // The object may be half-updated: do not reset or reuse it.
            self.tally(self.own_local())
                .bump(|c| &c.discarded_unwinding);
            drop(value);
            return;
        }
        self.recycle(self.local_for_return(), value);
    }

    pub(crate) fn note_detached(&self) {
        self.tally(self.own_local()).bump(|c| &c.detached);
    }

    /// Resets, checks and stores a returned object. `local` is the calling
    /// thread's cache, if it has one; a thread without one (it is exiting)
    /// sends its returns to the shared tier.
    #[inline]
    fn recycle(&self, local: Option<&LocalCache<Kept<T>>>, mut value: Box<T>) {
        let tally = self.tally(local);
        // If a hook panics, `value` is dropped by the unwinding and this
        // guard counts it; the pool holds no borrow here, so it stays usable.
        let on_panic = CountOnUnwind(tally);
        // The common case (`T: Reset`, no accept or bytes hook, memo hit)
        // never gets here: `give_back` handles it inline.
        let (accepted, bytes) = self.run_hooks(&mut value);
        std::mem::forget(on_panic);
        // Every return is a use of the pool, kept or refused: apply the trims
        // this thread missed (after the hooks, which may have trimmed).
        if let Some(local) = local {
            local.observe(self.epoch.load(Ordering::Relaxed));
        }
        if !accepted {
            tally.bump(|c| &c.rejected);
            drop(value);
            return;
        }
        let kept = Kept { value, bytes };
        match local {
            // The common case, kept free of the rare ones (an object carried
            // back in an error value costs every return a few cycles).
            Some(local) if !local.is_full() => {
                if local.reserve(bytes) {
                    local.push_reserved(kept);
                    tally.bump(|c| &c.stored_local);
                } else {
                    Self::refuse_over_budget(tally, kept);
                }
            }
            local => self.overflow(local, tally, kept),
        }
    }

    /// The hooks in general: reset, accept, and the heap bytes of an
    /// accepted object.
    #[inline(never)]
    fn run_hooks(&self, value: &mut T) -> (bool, usize) {
        let measured = self.reset.run(value);
        let accepted = match &self.accept {
            Some(accept) => accept(value),
            None => true,
        };
        let bytes = if accepted {
            self.heap_bytes.run(value, measured)
        } else {
            0
        };
        (accepted, bytes)
    }

    /// Drops a return that the byte budget cannot cover.
    #[cold]
    #[inline(never)]
    fn refuse_over_budget(tally: Tally<'_>, kept: Kept<T>) {
        tally.bump(|c| &c.refused_budget);
        drop(kept);
    }

    /// Stores a return that does not fit in the thread's cache: the top half
    /// of the cache moves to the shared tier as one batch, making room for
    /// it. A thread without a cache (or with `local_capacity` 0) sends the
    /// object alone as a batch of one. When the shared tier is full, the
    /// object is dropped.
    #[cold]
    #[inline(never)]
    fn overflow(&self, local: Option<&LocalCache<Kept<T>>>, tally: Tally<'_>, kept: Kept<T>) {
        let Some(mut magazine) = self.shared.take_empty() else {
            // The depot is full. A cache held to one batch (its thread only
            // returns) still has slots: keep the object there.
            let refused = match local {
                Some(local) => match local.push(kept) {
                    Ok(()) => {
                        tally.bump(|c| &c.stored_local);
                        return;
                    }
                    Err(Refused::Full(kept)) => {
                        tally.bump(|c| &c.dropped_full);
                        kept
                    }
                    Err(Refused::OverBudget(kept)) => {
                        tally.bump(|c| &c.refused_budget);
                        kept
                    }
                },
                None => {
                    tally.bump(|c| &c.dropped_full);
                    kept
                }
            };
            drop(refused);
            return;
        };
        let mut alone = Some(kept);
        // Dropped only after the magazine is back: `T::drop` may use the pool.
        let mut refused = None;
        if let Some(local) = local {
            let room = magazine.capacity() - magazine.len();
            local.drain_top_into(room, &mut magazine);
            local.counters.flushed.add(magazine.len() as u64);
            if let Some(kept) = alone.take() {
                match local.push(kept) {
                    Ok(()) => tally.bump(|c| &c.stored_local),
                    // Capacity 0: the object travels alone.
                    Err(Refused::Full(kept)) => alone = Some(kept),
                    Err(Refused::OverBudget(kept)) => {
                        tally.bump(|c| &c.refused_budget);
                        refused = Some(kept);
                    }
                }
            }
        }
        if let Some(kept) = alone {
            let covered = match local {
                Some(local) => local.reserve(kept.bytes),
                None => self.reserve_without_cache(tally, kept.bytes),
            };
            if covered {
                debug_assert!(magazine.is_empty());
                magazine.push(kept);
                tally.bump(|c| &c.stored_shared);
            } else {
                tally.bump(|c| &c.refused_budget);
                refused = Some(kept);
            }
        }
        self.shared.push_full(magazine);
        drop(refused);
    }

    /// Covers `bytes` kept by a thread that has no cache (so no credit):
    /// reserves exactly them from the budget, if there is one, and counts
    /// them as kept. `false`: over budget, nothing changed.
    fn reserve_without_cache(&self, tally: Tally<'_>, bytes: usize) -> bool {
        if let Some(budget) = &self.budget {
            if !budget.try_reserve(bytes) {
                return false;
            }
        }
        tally.add_bytes(bytes);
        true
    }
}

/// An object the pool keeps, with the heap bytes it reported when it was
/// returned (so that taking it out needs no second measurement).
struct Kept<T> {
    value: Box<T>,
    bytes: usize,
}

impl<T> Weighed for Kept<T> {
    #[inline]
    fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The shared tier for these capacities: `shared_capacity` objects in
/// magazines of half a thread cache (at least one object).
fn new_shared_tier<T>(local_capacity: usize, shared_capacity: usize) -> SharedTier<T> {
    SharedTier::new(shared_capacity, batch_size(local_capacity))
}

/// Objects per batch between a thread cache and the depot: half a cache (at
/// least one).
fn batch_size(local_capacity: usize) -> usize {
    (local_capacity / 2).max(1)
}

impl<T: Default + Reset + Send + 'static> Default for Pool<T> {
    /// A pool with default capacities whose factory is `T::default`.
    ///
    /// ```
    /// let pool: poolkit::Pool<String> = Default::default();
    /// assert!(pool.get().is_empty());
    /// ```
    fn default() -> Self {
        Pool::new(T::default)
    }
}

/// Where an event is counted: a thread's own counters (that thread is their
/// only writer) or the pool's shared ones (any thread; read-modify-write).
#[derive(Clone, Copy)]
enum Tally<'a> {
    Own(&'a LocalCounters),
    Shared(&'a LocalCounters),
}

impl Tally<'_> {
    #[inline]
    fn bump(self, counter: impl Fn(&LocalCounters) -> &Counter) {
        match self {
            Tally::Own(counters) => counter(counters).bump(),
            Tally::Shared(counters) => counter(counters).bump_shared(),
        }
    }

    /// Counts `bytes` more kept by the pool.
    #[inline]
    fn add_bytes(self, bytes: usize) {
        match self {
            Tally::Own(counters) => counters.retained_bytes.add_wrapping(bytes as u64),
            Tally::Shared(counters) => counters.retained_bytes.add_shared(bytes as u64),
        }
    }

    /// Counts `bytes` fewer kept by the pool.
    #[inline]
    fn sub_bytes(self, bytes: usize) {
        match self {
            Tally::Own(counters) => counters.retained_bytes.sub(bytes as u64),
            Tally::Shared(counters) => counters
                .retained_bytes
                .add_shared((bytes as u64).wrapping_neg()),
        }
    }
}

/// Counts a hook panic when dropped; forgotten when the hooks return.
struct CountOnUnwind<'a>(Tally<'a>);

impl Drop for CountOnUnwind<'_> {
    fn drop(&mut self) {
        self.0.bump(|c| &c.hook_panics);
    }
}

impl<T: Send> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("local_capacity", &self.local_capacity)
            .field("shared_capacity", &self.shared_capacity())
            .field("max_retained_bytes", &self.max_retained_bytes())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
