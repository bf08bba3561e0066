//! A spilled `StackBuf` that fills up grows through its pool: the next
//! buffer comes from the pool (one class up) and the old one goes back to
//! its own class, so every class along the way stays stocked for the next
//! round.

use poolkit::buf::{BufPool, StackBuf};

/// A pool that lives for the whole test process (guards borrow it for
/// `'static`), kept reachable so that LeakSanitizer does not report it.
fn leaked_pool() -> &'static BufPool {
    static KEPT: std::sync::Mutex<Vec<&'static BufPool>> = std::sync::Mutex::new(Vec::new());
    let pool: &'static BufPool = Box::leak(Box::new(BufPool::new()));
    KEPT.lock().unwrap_or_else(|e| e.into_inner()).push(pool);
    pool
}

/// Retained buffers per class size, smallest first, for the classes
/// 128 B to 1 KiB.
fn retained_128_to_1k(pool: &BufPool) -> Vec<usize> {
    pool.stats()
        .classes
        .iter()
        .filter(|c| (128..=1024).contains(&c.size))
        .map(|c| c.retained)
        .collect()
}

#[test]
fn growing_takes_the_next_class_and_gives_the_old_buffer_back() {
    let pool = leaked_pool();
    let mut buf = StackBuf::<64>::new_in(pool);
    buf.extend_from_slice(&[1; 65]); // spills: the 128-byte class
    assert_eq!(buf.capacity(), 128);
    assert_eq!(pool.stats().gets, 1);

    buf.extend_from_slice(&[2; 100]); // 165 bytes: grows into 256
    assert_eq!(buf.capacity(), 256);
    let stats = pool.stats();
    assert_eq!(stats.gets, 2, "the larger buffer came from the pool");
    assert_eq!(
        retained_128_to_1k(pool),
        [1, 0, 0, 0],
        "128 B back in its class"
    );

    for _ in 0..100 {
        buf.push(3); // 265 bytes: grows into 512, one byte at a time
    }
    assert_eq!(buf.capacity(), 512);
    assert_eq!(retained_128_to_1k(pool), [1, 1, 0, 0]);

    // Every byte kept, in order.
    assert_eq!(buf.len(), 265);
    assert!(buf[..65].iter().all(|&b| b == 1));
    assert!(buf[65..165].iter().all(|&b| b == 2));
    assert!(buf[165..].iter().all(|&b| b == 3));

    drop(buf);
    assert_eq!(retained_128_to_1k(pool), [1, 1, 1, 0]);

    // The next round is served by the pool at every step.
    let misses = pool.stats().misses;
    let mut again = StackBuf::<64>::new_in(pool);
    again.extend_from_slice(&[0; 400]);
    again.extend_from_slice(&[0; 100]);
    assert_eq!(
        pool.stats().misses,
        misses,
        "no allocation on the second round"
    );
}

#[test]
fn a_write_larger_than_twice_the_capacity_takes_one_buffer_that_fits() {
    let pool = leaked_pool();
    let mut buf = StackBuf::<8>::new_in(pool);
    buf.extend_from_slice(&[0; 9]); // spills into the 64-byte class
    assert_eq!(buf.capacity(), 64);
    buf.extend_from_slice(&[0; 5000]);
    assert_eq!(buf.capacity(), 8192, "one step to the class that fits");
    assert_eq!(pool.stats().gets, 2);
}
