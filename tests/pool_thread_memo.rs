//! The per-thread memo that finds a thread's cache with one compare: what it
//! relies on (thread-local destructor order), and what it must never do
//! (write a cache after the thread gave its id away, match another pool,
//! outlive its pool).

use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use std::thread;

use poolkit::buf::{BufPool, OwnedPooledBuf};
use poolkit::{OwnedPooled, Pool};

/// The memo is cleared by a thread-local destructor that is registered after
/// the `thread_local` crate's own (which releases the thread's id): it is
/// only correct if destructors run in the reverse order of registration.
#[test]
fn thread_local_destructors_run_in_reverse_order_of_registration() {
    struct Record(&'static str, Arc<Mutex<Vec<&'static str>>>);
    impl Drop for Record {
        fn drop(&mut self) {
            self.1.lock().unwrap().push(self.0);
        }
    }
    thread_local! {
        static FIRST: RefCell<Option<Record>> = const { RefCell::new(None) };
        static SECOND: RefCell<Option<Record>> = const { RefCell::new(None) };
    }
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = Arc::clone(&order);
    thread::spawn(move || {
        FIRST.with(|r| *r.borrow_mut() = Some(Record("first", Arc::clone(&o))));
        SECOND.with(|r| *r.borrow_mut() = Some(Record("second", Arc::clone(&o))));
    })
    .join()
    .unwrap();
    assert_eq!(*order.lock().unwrap(), ["second", "first"]);
}

/// A guard dropped by a thread-local destructor that runs after the thread
/// released its `thread_local` id must not reach the thread's old cache
/// through the memo (the thread gave it up, and the next thread with that
/// id owns it): it goes to the shared tier.
#[test]
fn a_guard_dropped_after_the_thread_released_its_id_goes_to_the_shared_tier() {
    thread_local! {
        // Touched before the pool: destroyed after the pool's thread exit
        // watch and after the `thread_local` crate released the id.
        static LATE: RefCell<Option<OwnedPooled<Vec<u8>>>> = const { RefCell::new(None) };
    }
    let pool = Arc::new(Pool::new(|| Vec::<u8>::with_capacity(64)));
    let p = Arc::clone(&pool);
    thread::spawn(move || {
        LATE.with(|_| ());
        let first = p.get_owned();
        let late = p.get_owned();
        drop(first); // the thread's cache keeps one object; the memo is warm
        LATE.with(|l| *l.borrow_mut() = Some(late));
    })
    .join()
    .unwrap();
    let s = pool.stats();
    assert_eq!(s.outstanding, 0);
    assert_eq!(s.stored_local, 1, "only the live thread's own return");
    assert_eq!(s.stored_shared, 1, "the late return went to the depot");
    pool.trim();
    pool.trim();
    // The depot's object and the exited thread's cache are both trimmed.
    assert_eq!(pool.stats().retained, 0);
}

/// The same for the buffer pool: the late return is kept (in the shared
/// tier) and the pool stays consistent.
#[test]
fn a_buffer_dropped_after_the_thread_released_its_id_is_kept_and_trimmed() {
    thread_local! {
        static LATE: RefCell<Option<OwnedPooledBuf>> = const { RefCell::new(None) };
    }
    let pool = Arc::new(BufPool::new());
    let p = Arc::clone(&pool);
    thread::spawn(move || {
        LATE.with(|_| ());
        let first = p.get_owned(1000);
        let late = p.get_owned(1000);
        drop(first);
        LATE.with(|l| *l.borrow_mut() = Some(late));
    })
    .join()
    .unwrap();
    assert_eq!(pool.stats().retained, 2);
    pool.trim();
    pool.trim();
    let s = pool.stats();
    assert_eq!((s.retained, s.retained_bytes, s.reserved_bytes), (0, 0, 0));
}

/// A pool dropped and another built in the same place: the new pool must
/// not find the old pool's (freed) cache through the memo.
#[test]
fn a_pool_rebuilt_at_the_same_address_starts_empty() {
    let mut pool = Pool::new(|| Vec::<u8>::with_capacity(64));
    drop(pool.get());
    drop(pool.get());
    assert_eq!(pool.stats().local_hits, 1);
    let before = std::ptr::addr_of!(pool);
    pool = Pool::new(|| Vec::<u8>::with_capacity(64));
    assert_eq!(std::ptr::addr_of!(pool), before);
    drop(pool.get());
    let s = pool.stats();
    assert_eq!((s.misses, s.local_hits, s.thread_caches), (1, 0, 1));

    let mut bufs = BufPool::new();
    drop(bufs.get(100));
    drop(bufs.get(100));
    assert_eq!(bufs.stats().hits, 1);
    bufs = BufPool::new();
    drop(bufs.get(100));
    let s = bufs.stats();
    assert_eq!((s.misses, s.hits), (1, 0));
}

/// More pools than the memo has entries, used in turn and from each other's
/// factories: every pool hands out only its own objects.
#[test]
fn many_pools_used_in_turn_and_from_hooks_keep_their_own_objects() {
    const POOLS: usize = 9;
    let mut built = Vec::new();
    for i in 0..POOLS {
        // Each pool's objects have a capacity of their own: 100 + i.
        built.push(Pool::new(move || Vec::<u8>::with_capacity(100 + i)));
    }
    let pools = built;
    let check = |i: usize, v: &Vec<u8>| assert_eq!(v.capacity(), 100 + i, "pool {i}");
    for round in 0..200 {
        let i = (round * 7) % POOLS;
        let j = (i + 1 + round % (POOLS - 1)) % POOLS;
        let a = pools[i].get();
        let b = pools[j].get();
        check(i, &a);
        check(j, &b);
        drop(a);
        // A return to one pool while another's guard is out.
        let c = pools[i].get();
        check(i, &c);
        drop((b, c));
    }
    for (i, pool) in pools.iter().enumerate() {
        let s = pool.stats();
        assert_eq!(s.outstanding, 0, "pool {i}");
        assert!(s.misses <= 2, "pool {i}: {s:?}");
    }

    // Hooks that use two other pools: a factory that takes from the next
    // pool, and a buffer pool used in between.
    let bufs = BufPool::new();
    let inner = Arc::new(Pool::new(|| Vec::<u8>::with_capacity(7)));
    let i2 = Arc::clone(&inner);
    let outer = Pool::builder_with_reset(
        move || {
            let borrowed = i2.get();
            assert_eq!(borrowed.capacity(), 7);
            Vec::<u8>::with_capacity(11)
        },
        |v: &mut Vec<u8>| v.clear(),
    )
    .build()
    .unwrap();
    for _ in 0..100 {
        let o = outer.get();
        let b = bufs.get(64);
        let n = inner.get();
        assert_eq!((o.capacity(), n.capacity()), (11, 7));
        assert_eq!(b.capacity(), 64);
    }
    assert_eq!(outer.stats().misses, 1);
    assert_eq!(inner.stats().misses, 1);
    assert_eq!(bufs.stats().misses, 1);
}
