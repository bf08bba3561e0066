//! One thread's cache is bounded: by `thread_cache_bytes` in total and, per
//! class, by the documented stack sizes (16 buffers up to 16 KiB, 4 of
//! 64 KiB, 2 of 128 KiB, one from 256 KiB up), so a thread never pins many
//! big buffers. What a thread kept is measured by draining the shared tier
//! from another thread: what is left is in the first thread's cache.

use std::sync::mpsc;

use poolkit::buf::BufPool;

/// The documented most buffers a thread caches in a class of `size` bytes.
fn documented_stack(size: usize) -> usize {
    match size {
        0..=16_384 => 16,
        65_536 => 4,
        131_072 => 2,
        _ if size >= 262_144 => 1,
        _ => (256 << 10) / size, // 32 KiB: 8
    }
}

fn what_one_thread_keeps(pool: &BufPool, per_class: usize) -> poolkit::buf::BufStats {
    // The worker stays alive until the measurement is done: a thread that
    // exited would hand its cache to the next thread given its id. Channels,
    // not barriers: if either side panics the other sees a disconnection.
    let (returned, worker_returned) = mpsc::channel::<()>();
    let (measured, worker_measured) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut held = Vec::new();
            let mut size = pool.min_class();
            while size <= pool.max_class() {
                held.extend((0..per_class).map(|_| pool.get(size)));
                size *= 2;
            }
            drop(held); // into this thread's cache, the rest to the shared tier
            returned.send(()).unwrap();
            let _ = worker_measured.recv();
        });
        worker_returned.recv().expect("the worker panicked");
        // Drain the shared tier from this thread (its own cache stays empty:
        // it keeps every buffer it gets until the snapshot). A get that is a
        // hit came from the shared tier.
        let mut drained = Vec::new();
        let mut size = pool.min_class();
        while size <= pool.max_class() {
            loop {
                let misses = pool.stats().misses;
                drained.push(pool.get(size)); // held: not returned here
                if pool.stats().misses != misses {
                    break; // the shared tier of this class is empty
                }
            }
            size *= 2;
        }
        let stats = pool.stats(); // only the worker's cache is left
        measured.send(()).unwrap();
        drop(drained);
        stats
    })
}

#[test]
fn a_thread_keeps_at_most_its_stacks_and_thread_cache_bytes() {
    // A budget far above what a thread may keep, so that the thread's own
    // bound (32 MiB by default) is the one that binds.
    let pool = BufPool::builder()
        .max_retained_bytes(1 << 30)
        .thread_cache_bytes(32 << 20)
        .build()
        .unwrap();
    let stats = what_one_thread_keeps(&pool, 20);
    assert!(stats.retained_bytes > 0);
    assert!(
        stats.retained_bytes <= pool.thread_cache_bytes(),
        "{} > {}",
        stats.retained_bytes,
        pool.thread_cache_bytes()
    );
    for class in &stats.classes {
        assert!(
            class.retained <= documented_stack(class.size),
            "class {}: {} buffers",
            class.size,
            class.retained
        );
    }
    // The classes below 256 KiB together hold far less than 32 MiB, so their
    // stacks fill to the documented depth: the depths are reached, not only
    // respected.
    for class in stats.classes.iter().filter(|c| c.size < 262_144) {
        assert_eq!(
            class.retained,
            documented_stack(class.size),
            "class {}",
            class.size
        );
    }
    // The bound was reached (the stacks of all classes together hold more
    // than 32 MiB), not merely respected by an idle thread.
    assert!(
        stats.retained_bytes > pool.thread_cache_bytes() / 2,
        "{stats:?}"
    );
}

#[test]
fn a_small_thread_cache_bytes_bounds_the_thread() {
    let pool = BufPool::builder()
        .thread_cache_bytes(1 << 20)
        .build()
        .unwrap();
    let stats = what_one_thread_keeps(&pool, 20);
    assert!(stats.retained_bytes > 0);
    assert!(stats.retained_bytes <= 1 << 20, "{stats:?}");
}
