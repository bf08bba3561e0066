//! Retained heap bytes: what `PoolStats::retained_bytes` reports, and the
//! `max_retained_bytes` budget holding across threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use poolkit::{Pool, Reset, Slots};

/// A buffer that keeps a shared tally of the heap bytes owned by every
/// `Blob` alive, independently of the pool's own accounting.
struct Blob {
    data: Vec<u8>,
    live: Arc<AtomicUsize>,
}

impl Blob {
    fn new(live: &Arc<AtomicUsize>, capacity: usize) -> Self {
        let data = Vec::with_capacity(capacity);
        live.fetch_add(data.capacity(), Ordering::Relaxed);
        Blob {
            data,
            live: Arc::clone(live),
        }
    }

    /// Makes room for `len` bytes, keeping the tally.
    fn grow_to(&mut self, len: usize) {
        let before = self.data.capacity();
        self.data.reserve_exact(len.saturating_sub(self.data.len()));
        self.live
            .fetch_add(self.data.capacity() - before, Ordering::Relaxed);
        self.data.resize(len, 7);
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        self.live.fetch_sub(self.data.capacity(), Ordering::Relaxed);
    }
}

impl Reset for Blob {
    fn reset(&mut self) {
        self.data.reset();
    }

    fn heap_bytes(&self) -> usize {
        self.data.capacity()
    }
}

#[test]
fn retained_bytes_follow_what_is_kept_on_one_thread() {
    let pool = Pool::new(Vec::<u8>::new);
    assert_eq!(pool.stats().retained_bytes, 0);
    let mut a = pool.get();
    let mut b = pool.get();
    a.reserve_exact(1000);
    b.reserve_exact(3000);
    let (cap_a, cap_b) = (a.capacity() as u64, b.capacity() as u64);
    assert_eq!(pool.stats().retained_bytes, 0, "lent out: not retained");
    drop(a);
    assert_eq!(pool.stats().retained_bytes, cap_a);
    drop(b);
    assert_eq!(pool.stats().retained_bytes, cap_a + cap_b);
    let b = pool.get(); // the last one returned
    assert_eq!(b.capacity() as u64, cap_b);
    assert_eq!(pool.stats().retained_bytes, cap_a);
    drop(b);
    pool.trim();
    pool.trim();
    let s = pool.stats();
    assert_eq!((s.retained, s.retained_bytes), (0, 0), "{s:?}");
}

#[test]
fn retained_bytes_count_the_strings_a_slots_keeps() {
    let pool = Pool::new(Slots::<String>::new);
    {
        let mut fields = pool.get();
        fields.push(String::with_capacity(4000));
        fields.push_with(|s| s.push_str("second"));
    }
    let bytes = pool.stats().retained_bytes as usize;
    // The Strings' buffers, kept by the Slots, not only the list's own
    // (a few 24-byte slots).
    assert!(bytes >= 4000 + "second".len(), "{bytes}");
    assert!(bytes < 4000 + 1000, "{bytes}");
}

#[test]
fn a_return_over_the_budget_is_dropped_and_counted() {
    let live = Arc::new(AtomicUsize::new(0));
    let factory_live = Arc::clone(&live);
    let pool = Pool::builder(move || Blob::new(&factory_live, 100))
        .max_retained_bytes(1000)
        .build()
        .unwrap();
    assert_eq!(pool.max_retained_bytes(), Some(1000));
    let mut big = pool.get();
    big.grow_to(5000);
    drop(big);
    let s = pool.stats();
    assert_eq!((s.refused_budget, s.retained, s.retained_bytes), (1, 0, 0));
    assert_eq!(live.load(Ordering::Relaxed), 0, "the big one was freed");
    // Ten of eleven small ones fit, and no more.
    let smalls: Vec<_> = (0..11).map(|_| pool.get()).collect();
    drop(smalls);
    let s = pool.stats();
    assert_eq!(s.refused_budget, 1 + 1, "{s:?}");
    assert_eq!(s.retained_bytes, 1000);
    assert_eq!(live.load(Ordering::Relaxed), 1000);
    assert_eq!(
        s.returns,
        s.stored_local
            + s.stored_shared
            + s.rejected
            + s.refused_budget
            + s.dropped_full
            + s.hook_panics
    );
}

/// Threads get, grow and return objects of many sizes at once; the pool's
/// count bound alone would let it keep far more bytes than the budget.
fn budget_holds_across_threads(local_capacity: usize, shared_capacity: usize) {
    const LIMIT: usize = 64 << 10;
    const THREADS: usize = 4;
    let live = Arc::new(AtomicUsize::new(0));
    let factory_live = Arc::clone(&live);
    let pool = Pool::builder(move || Blob::new(&factory_live, 64))
        .local_capacity(local_capacity)
        .shared_capacity(shared_capacity)
        .max_retained_bytes(LIMIT)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        let pool = &pool;
        (0..THREADS).for_each(|t| {
            s.spawn(move || {
                let mut seed = 0x9E37_79B9u32.wrapping_mul(t as u32 + 1);
                for _ in 0..2_000 {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let held: Vec<_> = (0..1 + seed as usize % 8)
                        .map(|i| {
                            let mut blob = pool.get();
                            blob.grow_to(256 + (seed as usize >> (i % 8)) % 8192);
                            blob
                        })
                        .collect();
                    drop(held);
                }
            });
        });
    });
    let s = pool.stats();
    // Every guard is dropped: the Blobs alive are exactly the ones kept.
    let live = live.load(Ordering::Relaxed);
    assert_eq!(s.outstanding, 0);
    assert!(live <= LIMIT, "{live} bytes kept, budget {LIMIT}: {s:?}");
    assert_eq!(s.retained_bytes as usize, live, "{s:?}");
    assert!(s.refused_budget > 0, "the budget never bound: {s:?}");
    assert!(s.retained > 0 && s.local_hits + s.shared_hits > 0, "{s:?}");
}

#[test]
fn byte_budget_holds_across_threads() {
    budget_holds_across_threads(16, 64);
}

#[test]
fn byte_budget_holds_across_threads_through_the_shared_queue_only() {
    budget_holds_across_threads(0, 64);
}
