//! Behaviour of `Pool<T>` through the public API: reuse, reset, bounds,
//! threads, hooks that re-enter the pool, panics, aging and drop.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread;

use poolkit::{OwnedPooled, Pool, PoolConfigError, Pooled, Reset};

#[test]
fn reuses_and_resets_on_one_thread() {
    let pool = Pool::new(|| Vec::<u8>::with_capacity(128));
    let mut a = pool.get();
    a.extend_from_slice(b"secret");
    let ptr = a.as_ptr();
    drop(a);
    let b = pool.get();
    assert!(b.is_empty(), "a reused object must have been reset");
    assert_eq!(b.as_ptr(), ptr, "the same allocation comes back");
    let s = pool.stats();
    assert_eq!((s.gets, s.misses, s.local_hits, s.returns), (2, 1, 1, 1));
}

#[test]
fn custom_reset_replaces_the_trait() {
    let pool = Pool::builder(|| vec![0u8; 4])
        .reset(|v| v.iter_mut().for_each(|b| *b = 9))
        .build()
        .unwrap();
    drop(pool.get());
    assert_eq!(&pool.get()[..], &[9, 9, 9, 9]);
}

#[test]
fn accept_refuses_oversized_objects() {
    let pool = Pool::builder(|| Vec::<u8>::with_capacity(16))
        .accept(|v| v.capacity() <= 1024)
        .build()
        .unwrap();
    let mut big = pool.get();
    big.reserve(1 << 16);
    drop(big);
    drop(pool.get()); // a small one: kept
    let s = pool.stats();
    assert_eq!(s.rejected, 1);
    assert_eq!(s.retained, 1);
    assert!(pool.get().capacity() <= 1024);
}

#[test]
fn invalid_configurations_name_the_field() {
    let err = Pool::builder(Vec::<u8>::new)
        .shared_capacity(poolkit::pool::MAX_SHARED_CAPACITY + 1)
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "shared_capacity");
    assert!(err.to_string().contains("shared_capacity"));
    let err = Pool::builder(Vec::<u8>::new)
        .local_capacity(0)
        .shared_capacity(0)
        .build()
        .unwrap_err();
    assert_eq!(err, PoolConfigError::NoCapacity);
    // Either tier alone is a valid pool.
    assert!(Pool::builder(Vec::<u8>::new)
        .local_capacity(0)
        .build()
        .is_ok());
    assert!(Pool::builder(Vec::<u8>::new)
        .shared_capacity(0)
        .build()
        .is_ok());
}

#[test]
fn retention_is_bounded_on_one_thread() {
    let pool = Pool::builder(Vec::<u8>::new)
        .local_capacity(4)
        .shared_capacity(3)
        .build()
        .unwrap();
    let burst: Vec<_> = (0..20).map(|_| pool.get()).collect();
    drop(burst);
    let s = pool.stats();
    assert_eq!(s.retained, 7);
    // Returns 1-4 fill the cache; the 5th and the 7th each move the top of
    // the full cache to the shared tier as one batch (2 objects, then the
    // last magazine's 1) and stay in the cache; from the 8th on, both tiers
    // are full.
    assert_eq!(
        (s.stored_local, s.stored_shared, s.dropped_full),
        (7, 0, 13)
    );
}

#[test]
fn retention_is_bounded_across_threads() {
    const THREADS: usize = 4;
    let pool = Pool::builder(Vec::<u8>::new)
        .local_capacity(5)
        .shared_capacity(7)
        .build()
        .unwrap();
    let barrier = Barrier::new(THREADS);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..50 {
                    let burst: Vec<_> = (0..30).map(|_| pool.get()).collect();
                    barrier.wait();
                    drop(burst);
                    let retained = pool.stats().retained;
                    assert!(retained <= (THREADS * 5 + 7) as u64, "{retained}");
                }
            });
        }
    });
    let s = pool.stats();
    assert!(s.retained <= (THREADS * 5 + 7) as u64);
    assert_eq!(s.outstanding, 0);
    assert_eq!(s.gets, (THREADS * 50 * 30) as u64);
}

#[test]
fn objects_returned_on_another_thread_are_reused() {
    let pool = Arc::new(
        Pool::builder(|| Vec::<u8>::with_capacity(64))
            .local_capacity(0) // everything goes through the shared queue
            .shared_capacity(8)
            .build()
            .unwrap(),
    );
    let guards: Vec<OwnedPooled<Vec<u8>>> = (0..8).map(|_| pool.get_owned()).collect();
    thread::spawn(move || drop(guards)).join().unwrap();
    assert_eq!(pool.stats().retained, 8);
    let again: Vec<_> = (0..8).map(|_| pool.get()).collect();
    let s = pool.stats();
    assert_eq!((s.misses, s.shared_hits), (8, 8));
    drop(again);
}

#[test]
fn owned_guard_is_send_and_static() {
    fn assert_send_static<T: Send + 'static>(_: &T) {}
    let pool = Arc::new(Pool::new(String::new));
    let guard = pool.get_owned();
    assert_send_static(&guard);
    drop(pool); // the guard keeps the pool alive
    let mut guard = guard;
    guard.push_str("still fine");
    assert_eq!(OwnedPooled::pool(&guard).stats().outstanding, 1);
}

#[test]
fn put_and_detach_are_counted() {
    let pool = Pool::new(Vec::<u8>::new);
    let kept = Pooled::detach(pool.get());
    pool.put(kept);
    pool.put(Vec::with_capacity(10));
    let s = pool.stats();
    assert_eq!((s.detached, s.puts, s.returns, s.retained), (1, 2, 2, 2));
    assert_eq!(s.outstanding, 0);
}

static REENTRANT: OnceLock<Pool<Vec<u8>>> = OnceLock::new();
static IN_RESET: AtomicBool = AtomicBool::new(false);

#[test]
fn hooks_may_use_the_same_pool() {
    let pool = REENTRANT.get_or_init(|| {
        Pool::builder(|| {
            // The factory reads stats and gives the pool a spare.
            let pool = REENTRANT.get().unwrap();
            let _ = pool.stats();
            pool.put(Vec::with_capacity(8));
            Vec::with_capacity(8)
        })
        .reset(|v| {
            v.clear();
            // The reset hook takes and returns another object, once.
            if !IN_RESET.swap(true, Ordering::SeqCst) {
                let pool = REENTRANT.get().unwrap();
                drop(pool.get());
                IN_RESET.store(false, Ordering::SeqCst);
            }
        })
        .accept(|_| {
            let _ = REENTRANT.get().unwrap().trim();
            true
        })
        .build()
        .unwrap()
    });
    for _ in 0..10 {
        let a = pool.get();
        let b = pool.get();
        drop(a);
        drop(b);
    }
    let s = pool.stats();
    assert_eq!(s.outstanding, 0);
    assert!(s.gets >= 20);
}

#[test]
fn guard_dropped_while_panicking_discards_its_object() {
    let pool = Pool::new(Vec::<u8>::new);
    drop(pool.get()); // one retained
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut g = pool.get();
        g.push(1); // half-updated state
        panic!("request failed");
    }));
    assert!(result.is_err());
    let s = pool.stats();
    assert_eq!(s.discarded_unwinding, 1);
    assert_eq!((s.retained, s.outstanding), (0, 0));
    assert!(pool.get().is_empty());
}

#[test]
fn panicking_reset_or_accept_loses_one_object_only() {
    let boom = Arc::new(AtomicUsize::new(0));
    let b2 = Arc::clone(&boom);
    let pool = Pool::builder(Vec::<u8>::new)
        .reset(move |v| {
            if b2.load(Ordering::SeqCst) == 1 {
                panic!("reset failed");
            }
            v.clear()
        })
        .accept({
            let boom = Arc::clone(&boom);
            move |_| {
                if boom.load(Ordering::SeqCst) == 2 {
                    panic!("accept failed");
                }
                true
            }
        })
        .build()
        .unwrap();
    drop(pool.get()); // one retained, fine
    for mode in [1, 2] {
        let g = pool.get();
        boom.store(mode, Ordering::SeqCst);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(g))).is_err());
        boom.store(0, Ordering::SeqCst);
    }
    let s = pool.stats();
    assert_eq!(s.hook_panics, 2);
    assert_eq!(s.outstanding, 0);
    // Still usable.
    let mut g = pool.get();
    g.push(3);
    drop(g);
    assert_eq!(pool.stats().retained, 1);
}

/// An object that records its drops.
struct Tracked {
    id: usize,
    drops: Arc<Mutex<Vec<usize>>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.lock().unwrap().push(self.id);
    }
}

impl Reset for Tracked {
    fn reset(&mut self) {}
}

#[test]
fn dropping_the_pool_drops_every_retained_object_exactly_once() {
    let drops = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let pool = {
        let (drops, next) = (Arc::clone(&drops), Arc::clone(&next));
        Arc::new(
            Pool::builder(move || Tracked {
                id: next.fetch_add(1, Ordering::SeqCst),
                drops: Arc::clone(&drops),
            })
            .local_capacity(3)
            .shared_capacity(4)
            .build()
            .unwrap(),
        )
    };
    // Objects spread over two threads' caches and the shared queue, some
    // dropped for lack of room.
    let burst: Vec<_> = (0..6).map(|_| pool.get_owned()).collect();
    let p2 = Arc::clone(&pool);
    thread::spawn(move || {
        let more: Vec<_> = (0..6).map(|_| p2.get()).collect();
        drop(more);
        drop(burst);
    })
    .join()
    .unwrap();
    let made = next.load(Ordering::SeqCst);
    let retained = pool.stats().retained as usize;
    assert_eq!(drops.lock().unwrap().len(), made - retained);
    drop(pool);
    let mut ids = drops.lock().unwrap().clone();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..made).collect::<Vec<_>>(),
        "each object dropped once"
    );
}

#[test]
fn trim_frees_idle_objects_within_two_calls() {
    let pool = Pool::builder(Vec::<u8>::new)
        .local_capacity(8)
        .shared_capacity(8)
        .build()
        .unwrap();
    let burst: Vec<_> = (0..16).map(|_| pool.get()).collect();
    drop(burst);
    assert_eq!(pool.stats().retained, 16);
    assert_eq!(pool.trim(), 0);
    assert_eq!(pool.trim(), 16);
    assert_eq!(pool.stats().retained, 0);
    assert_eq!(pool.stats().trimmed, 16);
}

#[test]
fn other_threads_apply_missed_trims_on_next_use() {
    let pool = Pool::builder(Vec::<u8>::new)
        .local_capacity(8)
        .shared_capacity(0)
        .build()
        .unwrap();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    thread::scope(|s| {
        let pool = &pool;
        let worker = s.spawn(move || {
            let burst: Vec<_> = (0..8).map(|_| pool.get()).collect();
            drop(burst);
            go_rx.recv().unwrap(); // idle while the main thread trims
            drop(pool.get()); // next use: both missed trims apply first
        });
        while pool.stats().retained < 8 {
            thread::yield_now();
        }
        pool.trim();
        pool.trim();
        // The idle worker still holds its objects: bounded by its capacity.
        assert_eq!(pool.stats().retained, 8);
        go_tx.send(()).unwrap();
        worker.join().unwrap();
    });
    let s = pool.stats();
    assert_eq!(s.trimmed, 8);
    assert_eq!(s.retained, 1); // the one the worker used after the trims
}

#[test]
fn guards_dropped_by_late_thread_local_destructors_do_not_abort() {
    use std::cell::RefCell;
    /// A pool and a buffer to `put` into it at thread exit.
    type Spare = (Arc<Pool<Vec<u8>>>, Vec<u8>);
    thread_local! {
        // Registered before the pool's first use on the thread, so it is
        // destroyed after the `thread_local` crate released the thread's id.
        static HELD: RefCell<Vec<OwnedPooled<Vec<u8>>>> = const { RefCell::new(Vec::new()) };
        static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
    }
    struct PutOnExit;
    impl Drop for PutOnExit {
        fn drop(&mut self) {
            if let Some((pool, spare)) = SPARE.try_with(|s| s.borrow_mut().take()).ok().flatten() {
                pool.put(spare);
            }
        }
    }
    thread_local! { static PUT_ON_EXIT: PutOnExit = const { PutOnExit }; }

    let pool = Arc::new(Pool::new(Vec::<u8>::new));
    let p = Arc::clone(&pool);
    // Before this test, such a drop made the `thread_local` crate panic
    // inside a thread-local destructor, which aborts the whole process.
    thread::spawn(move || {
        // Thread-local destructors run in reverse order of first use: touch
        // these before the pool (and so the `thread_local` crate) is used.
        SPARE.with(|s| *s.borrow_mut() = Some((Arc::clone(&p), Vec::with_capacity(8))));
        PUT_ON_EXIT.with(|_| ());
        HELD.with(|held| held.borrow_mut().push(p.get_owned()));
        HELD.with(|held| held.borrow_mut().push(p.get_owned()));
    })
    .join()
    .unwrap();
    let s = pool.stats();
    assert_eq!(s.outstanding, 0);
    assert_eq!((s.returns, s.puts), (3, 1));
    assert!(s.retained <= 3);
}

#[test]
fn panicking_factory_hands_nothing_out_and_counts_nothing() {
    let fail = Arc::new(AtomicBool::new(true));
    let f2 = Arc::clone(&fail);
    let pool = Pool::builder(move || {
        if f2.load(Ordering::SeqCst) {
            panic!("factory failed");
        }
        Vec::<u8>::new()
    })
    .build()
    .unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| drop(pool.get()))).is_err());
    let s = pool.stats();
    assert_eq!((s.gets, s.misses, s.outstanding), (0, 0, 0));
    fail.store(false, Ordering::SeqCst);
    drop(pool.get());
    assert_eq!(pool.stats().misses, 1);
}

/// Counts resets and drops of each object.
struct Counted {
    resets: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Reset for Counted {
    fn reset(&mut self) {
        self.resets.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn unwinding_drops_the_object_once_without_resetting_it() {
    let resets = Arc::new(AtomicUsize::new(0));
    let drops = Arc::new(AtomicUsize::new(0));
    let pool = Arc::new({
        let (resets, drops) = (Arc::clone(&resets), Arc::clone(&drops));
        Pool::new(move || Counted {
            resets: Arc::clone(&resets),
            drops: Arc::clone(&drops),
        })
    });
    // A borrowed guard on this thread, an owned one on another.
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _g = pool.get();
        panic!("boom");
    }));
    assert!(result.is_err());
    let p = Arc::clone(&pool);
    let other = thread::spawn(move || {
        let _g = p.get_owned();
        panic!("boom on another thread");
    });
    assert!(other.join().is_err());
    assert_eq!(resets.load(Ordering::SeqCst), 0, "never reset");
    assert_eq!(drops.load(Ordering::SeqCst), 2, "each dropped once");
    let s = pool.stats();
    assert_eq!(
        (s.discarded_unwinding, s.retained, s.outstanding),
        (2, 0, 0)
    );
}

static DROP_REENTERS: OnceLock<Pool<Reenter>> = OnceLock::new();

/// An object whose `Drop` uses the pool it came from.
struct Reenter(u32);

impl Reset for Reenter {
    fn reset(&mut self) {}
}

impl Drop for Reenter {
    fn drop(&mut self) {
        if let Some(pool) = DROP_REENTERS.get() {
            if self.0 % 2 == 0 {
                drop(pool.get()); // take one and give it back
            } else {
                pool.trim(); // trim from inside a trim
            }
            let _ = pool.stats();
        }
    }
}

#[test]
fn object_drop_may_use_the_pool_during_trim_and_overflow() {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let pool = DROP_REENTERS.get_or_init(|| {
        Pool::builder(|| Reenter(NEXT.fetch_add(1, Ordering::SeqCst) as u32))
            .local_capacity(4)
            .shared_capacity(4)
            .build()
            .unwrap()
    });
    for _ in 0..5 {
        let burst: Vec<_> = (0..12).map(|_| pool.get()).collect();
        drop(burst); // 4 overflow drops re-enter
        pool.trim();
        pool.trim(); // victims' drops re-enter
        let s = pool.stats();
        assert!(s.retained <= 8, "{s:?}");
        assert_eq!(s.outstanding, 0, "{s:?}");
    }
}

#[test]
fn guard_operations_never_hide_the_values_methods() {
    /// A value with methods named like the guard's operations.
    #[derive(Default)]
    struct Job {
        detached: bool,
    }
    impl Job {
        fn detach(&mut self) -> &'static str {
            self.detached = true;
            "job detached"
        }
        fn pool(&self) -> &'static str {
            "job pool"
        }
    }
    impl Reset for Job {
        fn reset(&mut self) {
            self.detached = false;
        }
    }
    let pool = Arc::new(Pool::new(Job::default));
    let mut job = pool.get();
    // Method syntax reaches the value's own methods through `Deref`.
    assert_eq!(job.detach(), "job detached");
    assert_eq!(job.pool(), "job pool");
    assert!(job.detached);
    let mut owned = pool.get_owned();
    assert_eq!(owned.detach(), "job detached");
    assert_eq!(owned.pool(), "job pool");
    // The guards' own operations are associated functions.
    assert!(std::ptr::eq(Pooled::pool(&job), &*pool));
    assert!(Arc::ptr_eq(OwnedPooled::pool(&owned), &pool));
    let kept: Job = OwnedPooled::detach(owned);
    assert!(kept.detached, "detach hands the value over as used");
    drop(job);
    assert_eq!(pool.stats().detached, 1);
}

#[test]
fn hit_ratio_counts_every_get_that_did_not_call_the_factory() {
    let pool = Pool::new(Vec::<u8>::new);
    assert_eq!(pool.stats().hit_ratio(), None, "no get yet");
    drop(pool.get()); // miss
    for _ in 0..3 {
        drop(pool.get()); // local hits
    }
    assert_eq!(pool.stats().hit_ratio(), Some(0.75));
}

/// The return path of a plain `T: Reset` pool (no accept or bytes hook,
/// the inlined fast path): a panicking `Reset::reset` loses that object
/// only and is counted; a reset that uses the pool (taking and returning
/// objects, trimming) leaves it consistent.
#[test]
fn plain_reset_that_panics_or_uses_the_pool_is_handled_on_the_fast_path() {
    use std::cell::Cell;
    thread_local! {
        static MODE: Cell<u8> = const { Cell::new(0) };
        static POOL: Cell<Option<&'static Pool<Item>>> = const { Cell::new(None) };
    }
    #[derive(Default)]
    struct Item(Vec<u8>);
    impl Reset for Item {
        fn reset(&mut self) {
            match MODE.with(Cell::get) {
                1 => panic!("reset failed"),
                2 => {
                    // Re-entrant: take, return and trim while being returned.
                    MODE.with(|m| m.set(0));
                    let pool = POOL.with(Cell::get).unwrap();
                    drop(pool.get());
                    pool.trim();
                }
                _ => {}
            }
            self.0.clear();
        }
        fn heap_bytes(&self) -> usize {
            self.0.capacity()
        }
    }
    // In a static, so that it stays reachable (LeakSanitizer runs this too).
    static SHARED: std::sync::OnceLock<Pool<Item>> = std::sync::OnceLock::new();
    let pool: &'static Pool<Item> = SHARED.get_or_init(|| Pool::new(Item::default));
    POOL.with(|p| p.set(Some(pool)));
    drop(pool.get());
    let g = pool.get();
    MODE.with(|m| m.set(1));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(g))).is_err());
    MODE.with(|m| m.set(0));
    let s = pool.stats();
    assert_eq!(
        (s.hook_panics, s.outstanding, s.retained),
        (1, 0, 0),
        "{s:?}"
    );
    let mut g = pool.get();
    g.0.push(1);
    MODE.with(|m| m.set(2));
    drop(g);
    let s = pool.stats();
    assert_eq!(s.outstanding, 0, "{s:?}");
    assert_eq!(s.gets, s.hits + s.misses, "{s:?}");
    assert!(s.retained <= 2, "{s:?}");
    let again = pool.get();
    assert!(again.0.is_empty(), "handed out reset");
}
