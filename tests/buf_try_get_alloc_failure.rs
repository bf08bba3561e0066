//! `BufPool`'s fallible gets under allocation failure: `try_get`, `try_get_owned` and
//! `try_get_bytes_mut`, on a pool with a warm thread cache and on a thread's first use,
//! with each allocation of the buffer's storage failing in turn (a global allocator that
//! fails the `n`-th allocation of at least the requested size, each attempt in a child
//! process). Each failure must be an error value, never an abort or a panic; the byte
//! budget and statistics stay consistent; a buffer the pool kept is still kept; and the
//! pool works afterwards. (The pool's own small allocations, the box a new buffer lives in
//! and a thread's cache, abort on failure as std's do: `try_get` does not promise them.)
//!
//! `harness = false`: the failing allocator is this binary's global allocator.

#[path = "support/failing_alloc.rs"]
mod failing_alloc;

use std::sync::Arc;

use failing_alloc::fail_nth_sized;
use poolkit::buf::BufPool;

#[global_allocator]
static ALLOCATOR: failing_alloc::FailingAlloc = failing_alloc::FailingAlloc;

/// The class of 4 KiB buffers, where the warm pools keep one.
const KEPT: usize = 4096;
/// A request of another class, so that it must allocate.
const FRESH: usize = 64 * 1024;

fn check_consistent(pool: &BufPool, what: &str) {
    let s = pool.stats();
    assert_eq!(s.hits + s.misses + s.oversize, s.gets, "{what}: {s:?}");
    assert!(
        s.retained_bytes <= s.reserved_bytes && s.reserved_bytes <= s.max_retained_bytes,
        "{what}: budget broken: {s:?}"
    );
    let kept: usize = s.classes.iter().map(|c| c.retained_bytes).sum();
    assert_eq!(kept, s.retained_bytes, "{what}: per-class bytes");
}

fn kept_in_class(pool: &BufPool, size: usize) -> usize {
    let s = pool.stats();
    s.classes
        .iter()
        .find(|c| c.size == size)
        .map_or(0, |c| c.retained)
}

#[derive(Clone, Copy, Debug)]
enum Get {
    Borrowed,
    Owned,
    BytesMut,
}

/// One fallible get with its `n`-th allocation failing, on a fresh pool: `warm` pools
/// have this thread's cache made and one 4 KiB buffer kept. Returns whether the failure
/// was reached (`false`: the get made fewer than `n` allocations).
fn get_with_nth_failing(get: Get, warm: bool, n: usize) -> bool {
    let pool = Arc::new(
        BufPool::builder()
            .max_class(1 << 20)
            .max_retained_bytes(1 << 20)
            .build()
            .unwrap(),
    );
    if warm {
        drop(pool.get(KEPT));
        assert_eq!(kept_in_class(&pool, KEPT), 1);
    }
    let what = format!("{get:?}, warm {warm}, allocation {n} failing");
    let (capacity, injected) = fail_nth_sized(n, FRESH, || match get {
        Get::Borrowed => pool.try_get(FRESH).map(|b| b.capacity()),
        Get::Owned => pool.try_get_owned(FRESH).map(|b| b.capacity()),
        Get::BytesMut => pool.try_get_bytes_mut(FRESH).map(|b| b.capacity()),
    });
    match capacity {
        Ok(capacity) => assert!(capacity >= FRESH, "{what}: capacity {capacity}"),
        Err(e) => {
            assert!(injected, "{what}: {e} with no allocation failing");
            assert!(!e.to_string().is_empty());
        }
    }
    check_consistent(&pool, &what);
    if warm {
        assert_eq!(
            kept_in_class(&pool, KEPT),
            1,
            "{what}: the kept buffer was lost"
        );
        let hits = pool.stats().hits;
        drop(pool.get(KEPT));
        assert_eq!(
            pool.stats().hits,
            hits + 1,
            "{what}: the kept buffer was not reused"
        );
    }
    // Usable afterwards, and what it hands out goes back.
    let buffer = pool.try_get(FRESH).expect("a get after the failure");
    assert!(buffer.is_empty() && buffer.capacity() >= FRESH, "{what}");
    drop(buffer);
    assert!(
        kept_in_class(&pool, FRESH) >= 1,
        "{what}: the buffer was not kept"
    );
    check_consistent(&pool, &what);
    injected
}

fn main() {
    let mut scenarios: Vec<(String, failing_alloc::Scenario)> = Vec::new();
    for get in [Get::Borrowed, Get::Owned, Get::BytesMut] {
        for warm in [true, false] {
            scenarios.push((
                format!("{get:?} get, warm {warm}"),
                Box::new(move |n| get_with_nth_failing(get, warm, n)),
            ));
        }
    }
    failing_alloc::run_every_allocation_failing(scenarios);
}
