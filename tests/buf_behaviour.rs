//! `BufPool` behaviour through the public API: size classes, where returned
//! buffers go, the byte budget, aging, threads, panics and configuration.

use std::io::Write;
use std::sync::Arc;

use poolkit::buf::{self, BufConfigError, BufPool, OwnedPooledBuf, PooledBuf};

fn class_stats(pool: &BufPool, size: usize) -> poolkit::buf::ClassStats {
    pool.stats()
        .classes
        .into_iter()
        .find(|c| c.size == size)
        .expect("a class of that size")
}

#[test]
fn every_request_gets_an_empty_buffer_of_its_class() {
    let pool = BufPool::new();
    for shift in 0..=24 {
        for n in [
            (1usize << shift).saturating_sub(1),
            1 << shift,
            (1 << shift) + 1,
        ] {
            let buf = pool.get(n);
            assert!(buf.is_empty());
            assert!(
                buf.capacity() >= n,
                "request {n}: capacity {}",
                buf.capacity()
            );
            let class = n.max(64).next_power_of_two();
            if class <= 16 << 20 {
                assert_eq!(buf.capacity(), class, "request {n}");
            }
        }
    }
}

#[test]
fn a_returned_buffer_is_reused_cleared() {
    let pool = BufPool::new();
    let mut buf = pool.get(100);
    buf.extend_from_slice(b"secret");
    let ptr = buf.as_ptr();
    drop(buf);
    let again = pool.get(128);
    assert_eq!(again.as_ptr(), ptr);
    assert!(again.is_empty());
    let stats = pool.stats();
    assert_eq!((stats.gets, stats.hits, stats.misses), (2, 1, 1));
}

#[test]
fn a_grown_buffer_moves_up_to_the_class_of_its_capacity() {
    let pool = BufPool::new();
    let mut buf = pool.get(4096);
    buf.resize(70_000, 7);
    let capacity = buf.capacity();
    drop(buf);
    assert_eq!(class_stats(&pool, 4096).retained, 0);
    let kept = class_stats(&pool, 65536);
    assert_eq!((kept.retained, kept.retained_bytes), (1, capacity));
    // It now serves a 64 KiB request.
    let again = pool.get(65536);
    assert_eq!(again.capacity(), capacity);
    assert_eq!(class_stats(&pool, 65536).hits, 1);
}

#[test]
fn buffers_larger_than_the_top_class_are_freed() {
    let pool = BufPool::builder().max_class(1 << 20).build().unwrap();
    let mut grown = pool.get(1 << 20);
    grown.reserve((1 << 20) + 1); // grows past the top class
    drop(grown);
    let oversize = pool.get((1 << 20) + 1);
    assert_eq!(oversize.capacity(), (1 << 20) + 1);
    drop(oversize);
    let stats = pool.stats();
    assert_eq!((stats.oversize, stats.rejected), (1, 2));
    assert_eq!(stats.retained_bytes, 0);
    assert_eq!(stats.gets, stats.hits + stats.misses + stats.oversize);
}

#[test]
fn returns_beyond_the_budget_are_freed() {
    let pool = BufPool::builder()
        .max_class(1 << 20)
        .max_retained_bytes(1 << 20)
        .thread_cache_bytes(256 << 10)
        .build()
        .unwrap();
    let burst: Vec<_> = (0..6).map(|_| pool.get(256 << 10)).collect();
    drop(burst);
    let stats = pool.stats();
    assert_eq!(stats.retained_bytes, 1 << 20, "{stats:?}");
    assert!(stats.reserved_bytes <= 1 << 20);
    assert_eq!(stats.refused_budget, 2);
}

#[test]
fn a_zero_budget_keeps_nothing() {
    let pool = BufPool::builder().max_retained_bytes(0).build().unwrap();
    drop(pool.get(64));
    drop(pool.get(64));
    let stats = pool.stats();
    assert_eq!(
        (stats.misses, stats.retained_bytes, stats.refused_budget),
        (2, 0, 2)
    );
}

#[test]
fn two_trims_free_what_was_not_reused() {
    let pool = BufPool::new();
    let burst: Vec<_> = (0..40).map(|i| pool.get(64 << (i % 12))).collect();
    drop(burst);
    let kept = pool.stats().retained;
    assert!(kept > 0);
    assert_eq!(pool.trim(), 0); // all old now
    drop(pool.get(64)); // one reused: young again
    assert_eq!(pool.trim(), kept - 1);
    assert_eq!(pool.stats().retained, 1);
    assert_eq!(pool.trim(), 1);
    let stats = pool.stats();
    assert_eq!((stats.retained_bytes, stats.reserved_bytes), (0, 0));
    assert_eq!(stats.trimmed, kept as u64);
}

#[test]
fn another_threads_cache_is_trimmed_at_its_next_use() {
    let pool = BufPool::new();
    std::thread::scope(|s| {
        let (to_worker, work) = std::sync::mpsc::channel::<()>();
        let (done, from_worker) = std::sync::mpsc::channel::<()>();
        let pool = &pool;
        s.spawn(move || {
            drop(pool.get(4096)); // kept in this thread's cache
            done.send(()).unwrap();
            work.recv().unwrap();
            drop(pool.get(64)); // next use: applies the two missed trims
            done.send(()).unwrap();
        });
        from_worker.recv().unwrap();
        assert_eq!(class_stats(pool, 4096).retained, 1);
        pool.trim();
        pool.trim();
        assert_eq!(class_stats(pool, 4096).retained, 1); // not yet
        to_worker.send(()).unwrap();
        from_worker.recv().unwrap();
        assert_eq!(class_stats(pool, 4096).retained, 0);
    });
}

#[test]
fn a_buffer_returned_on_a_thread_without_a_cache_reaches_others() {
    let pool = Arc::new(BufPool::new());
    let buf = pool.get_owned(1000);
    let ptr = buf.as_ptr();
    std::thread::spawn(move || drop(buf)).join().unwrap();
    let again = pool.get(1000);
    assert_eq!(again.as_ptr(), ptr);
    assert_eq!(pool.stats().misses, 1);
}

#[test]
fn a_guard_dropped_while_panicking_frees_its_buffer() {
    let pool = BufPool::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut buf = pool.get(64);
        buf.extend_from_slice(b"half written");
        panic!("boom");
    }));
    assert!(result.is_err());
    let stats = pool.stats();
    assert_eq!((stats.discarded_unwinding, stats.retained), (1, 0));
    // The pool still works.
    drop(pool.get(64));
    assert_eq!(pool.stats().retained, 1);
}

#[test]
fn detach_keeps_the_buffer_out_of_the_pool() {
    let pool = Arc::new(BufPool::new());
    let a: Vec<u8> = PooledBuf::detach(pool.get(64));
    let b: Vec<u8> = OwnedPooledBuf::detach(pool.get_owned(64));
    assert_eq!((a.capacity(), b.capacity()), (64, 64));
    let stats = pool.stats();
    assert_eq!((stats.detached, stats.retained), (2, 0));
}

#[test]
fn storage_taken_out_of_the_guard_is_neither_kept_nor_counted() {
    let pool = BufPool::new();
    let mut guard = pool.get(1000);
    guard.extend_from_slice(b"mine");
    let storage = std::mem::take(&mut *guard); // the guard keeps an empty Vec
    drop(guard);
    assert_eq!((storage.capacity(), &storage[..]), (1024, &b"mine"[..]));
    let stats = pool.stats();
    assert_eq!(
        (stats.retained, stats.rejected, stats.detached),
        (0, 0, 0),
        "{stats:?}"
    );
}

#[test]
fn guards_write_and_format_like_a_vec() {
    let mut buf = buf::get(16);
    write!(buf, "{}-{}", 1, 2).unwrap();
    buf.push(b'!');
    assert_eq!(format!("{buf:?}"), format!("{:?}", b"1-2!".to_vec()));
    assert_eq!(AsRef::<[u8]>::as_ref(&buf), b"1-2!");
    AsMut::<[u8]>::as_mut(&mut buf)[0] = b'9';
    assert!(*buf == *b"9-2!");
}

#[test]
fn the_default_pool_serves_the_free_functions() {
    let pool = buf::default_pool();
    let before = pool.stats().gets;
    drop(buf::get(10));
    drop(buf::get_owned(10));
    assert!(pool.stats().gets >= before + 2);
    assert!(std::ptr::eq(
        PooledBuf::pool(&buf::get(1)),
        Arc::as_ptr(pool)
    ));
}

#[test]
fn bad_configurations_name_their_field() {
    let cases: [(BufConfigError, &str); 5] = [
        (
            BufPool::builder().min_class(0).build().unwrap_err(),
            "min_class",
        ),
        (
            BufPool::builder().min_class(96).build().unwrap_err(),
            "min_class",
        ),
        (
            BufPool::builder().max_class(3 << 20).build().unwrap_err(),
            "max_class",
        ),
        (
            BufPool::builder()
                .min_class(4096)
                .max_class(1024)
                .build()
                .unwrap_err(),
            "max_class",
        ),
        (
            BufPool::builder()
                .max_class(1 << 20)
                .max_retained_bytes(1 << 20)
                .thread_cache_bytes(2 << 20)
                .build()
                .unwrap_err(),
            "thread_cache_bytes",
        ),
    ];
    for (error, field) in cases {
        assert_eq!(error.field(), field);
        assert!(error.to_string().contains(field), "{error}");
    }
    let too_big = BufPool::builder().max_class(1 << 31).build().unwrap_err();
    assert_eq!(too_big.field(), "max_class");
    assert!(too_big.to_string().contains("maximum"));
}

#[test]
fn a_failed_allocation_is_an_error_or_a_clear_panic() {
    let pool = BufPool::new();
    assert!(pool.try_get(usize::MAX).is_err());
    let panic = std::panic::catch_unwind(|| {
        let _ = BufPool::new().get(usize::MAX);
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("cannot allocate"), "{message}");
}
