//! `trim` reaches the caches of threads that exited: after a burst on
//! several threads that then exit, two trims from another thread leave
//! nothing retained, in both pools; and threads that come and go while
//! another thread trims never break a pool's bounds or lose an object.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use poolkit::buf::BufPool;
use poolkit::Pool;

const THREADS: usize = 4;

/// Each thread takes `burst` objects at once, returns them (its cache keeps
/// some, the depot the rest) and exits.
fn burst_then_exit<F: Fn() + Send + Sync + 'static>(work: F) {
    let work = Arc::new(work);
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let work = Arc::clone(&work);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                work();
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn two_trims_free_what_exited_threads_kept_in_the_object_pool() {
    let pool = Arc::new(
        Pool::builder(|| Vec::<u8>::with_capacity(1024))
            .max_retained_bytes(1 << 30)
            .build()
            .unwrap(),
    );
    let p = Arc::clone(&pool);
    burst_then_exit(move || {
        let burst: Vec<_> = (0..40).map(|_| p.get()).collect();
        drop(burst);
    });
    let s = pool.stats();
    assert!(s.retained >= THREADS as u64, "caches kept objects: {s:?}");
    pool.trim();
    pool.trim();
    let s = pool.stats();
    assert_eq!((s.retained, s.retained_bytes), (0, 0), "{s:?}");
    assert_eq!(s.outstanding, 0);
}

#[test]
fn two_trims_free_what_exited_threads_kept_in_the_buffer_pool() {
    let pool = Arc::new(BufPool::new());
    let p = Arc::clone(&pool);
    burst_then_exit(move || {
        for size in [100, 5000, 70_000] {
            let burst: Vec<_> = (0..20).map(|_| p.get(size)).collect();
            drop(burst);
        }
    });
    let s = pool.stats();
    assert!(s.retained_bytes > 0, "{s:?}");
    pool.trim();
    pool.trim();
    let s = pool.stats();
    assert_eq!(
        (s.retained, s.retained_bytes, s.reserved_bytes),
        (0, 0, 0),
        "nothing kept and no budget held: {s:?}"
    );
}

/// Threads come and go (each a short burst), adopting the ids and caches
/// of exited ones, while another thread trims in a loop. Afterwards every
/// object is accounted for and two trims free everything.
#[test]
fn threads_that_come_and_go_while_another_trims_lose_nothing() {
    let pool = Arc::new(Pool::new(|| Vec::<u8>::with_capacity(64)));
    let bufs = Arc::new(BufPool::new());
    let stop = Arc::new(AtomicBool::new(false));
    let trimmer = {
        let (pool, bufs, stop) = (Arc::clone(&pool), Arc::clone(&bufs), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                pool.trim();
                bufs.trim();
                thread::yield_now();
            }
        })
    };
    for round in 0..40 {
        let owners: Vec<_> = (0..8)
            .map(|i| {
                let (pool, bufs) = (Arc::clone(&pool), Arc::clone(&bufs));
                thread::spawn(move || {
                    for _ in 0..20 {
                        let held: Vec<_> = (0..(round + i) % 24).map(|_| pool.get()).collect();
                        for mut v in held {
                            assert!(v.is_empty(), "handed out reset");
                            v.push(1);
                        }
                        let mut b = bufs.get(100 + 1000 * i);
                        assert!(b.is_empty());
                        b.push(1);
                    }
                })
            })
            .collect();
        for owner in owners {
            owner.join().unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    trimmer.join().unwrap();
    let s = pool.stats();
    assert_eq!(s.outstanding, 0);
    assert_eq!(s.gets, s.returns);
    pool.trim();
    pool.trim();
    assert_eq!(pool.stats().retained, 0, "{:?}", pool.stats());
    bufs.trim();
    bufs.trim();
    let b = bufs.stats();
    assert_eq!((b.retained_bytes, b.reserved_bytes), (0, 0), "{b:?}");
}
