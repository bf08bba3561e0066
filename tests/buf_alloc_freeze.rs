//! dhat: `OwnedPooledBuf::freeze` costs exactly the one allocation its docs
//! state (the `Bytes` owner record), clones and slices cost none, and when
//! the last clone drops on another thread the storage goes back to the pool:
//! the next `get` is a hit, not an allocation. Freezing an empty buffer
//! allocates nothing.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations. The dropping thread is spawned and
//! warmed before the measured window; the hand-over is a mutex-guarded slot
//! polled with `yield_now` (a channel may allocate the first time it blocks,
//! which would blur the count).

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use poolkit::buf::{BufPool, OwnedPooledBuf};

const FREEZES: u64 = 3_000;
/// Rotated through: a small, a middle and a big class.
const SIZES: [usize; 3] = [100, 4096, 1 << 20];

fn freeze_costs_one_allocation_and_the_storage_comes_back() -> u64 {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = Arc::new(BufPool::new());
    // `Some(Some(clones))`: to drop; `Some(None)`: dropped; `None`: stop.
    let slot = Arc::new(Mutex::new(Some(None::<(Bytes, Bytes, Bytes)>)));
    let dropper = {
        let slot = Arc::clone(&slot);
        std::thread::spawn(move || loop {
            let mut guard = slot.lock().unwrap();
            match guard.as_mut() {
                None => return,
                // Drops every clone here: the buffer goes back on this thread.
                Some(clones @ Some(_)) => drop(clones.take()),
                Some(None) => {
                    drop(guard);
                    std::thread::yield_now();
                }
            }
        })
    };
    // Per size, the storage last frozen: only one buffer per size is in
    // circulation (every return happens on the dropper thread, into the
    // shared tier), so the next get of that size must hand it out again.
    let mut last = [std::ptr::null::<u8>(); SIZES.len()];
    let mut round = |i: u64| {
        let which = i as usize % SIZES.len();
        let mut buf = pool.get_owned(SIZES[which]);
        assert!(last[which].is_null() || buf.as_ptr() == last[which]);
        buf.extend_from_slice(b"header:");
        buf.extend_from_slice(&i.to_le_bytes());
        let storage = buf.as_ptr();
        let frozen = OwnedPooledBuf::freeze(buf);
        assert_eq!(frozen.as_ptr(), storage, "no copy");
        last[which] = storage;
        let (head, body) = (frozen.slice(..7), frozen.slice(7..));
        *slot.lock().unwrap() = Some(Some((frozen, head, body)));
        while matches!(*slot.lock().unwrap(), Some(Some(_))) {
            std::thread::yield_now();
        }
    };
    // Warm-up: the thread cache, one buffer per size.
    for i in 0..30 {
        round(i);
    }
    let warm = pool.stats();
    let before = dhat::HeapStats::get();
    for i in 0..FREEZES {
        round(i);
    }
    let after = dhat::HeapStats::get();
    // Exactly one allocation per freeze, all freed again.
    dhat::assert_eq!(after.total_blocks - before.total_blocks, FREEZES);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    let owner_bytes = (after.total_bytes - before.total_bytes) / FREEZES;
    assert!(
        owner_bytes <= 64,
        "the owner record is small: {owner_bytes} bytes"
    );
    // Every get was served with a returned buffer.
    let stats = pool.stats();
    assert_eq!(stats.hits - warm.hits, FREEZES, "{stats:?}");
    assert_eq!(stats.misses, warm.misses, "{stats:?}");

    // An empty buffer freezes to `Bytes::new()`: no allocation at all.
    let before = dhat::HeapStats::get();
    for _ in 0..100 {
        let empty = OwnedPooledBuf::freeze(pool.get_owned(4096));
        assert!(empty.is_empty());
    }
    let after = dhat::HeapStats::get();
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);

    *slot.lock().unwrap() = None;
    dropper.join().unwrap();
    owner_bytes
}

fn main() {
    let owner_bytes = freeze_costs_one_allocation_and_the_storage_comes_back();
    println!(
        "buf_alloc_freeze: freeze_costs_one_allocation_and_the_storage_comes_back \
         ({owner_bytes}-byte owner record) ... ok"
    );
}
