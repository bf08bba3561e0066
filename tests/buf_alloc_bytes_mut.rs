//! dhat: a warm `get_bytes_mut` / drop round trip reuses the pooled storage
//! and makes exactly the one transient allocation its docs state (the
//! `Bytes` shared record of the `Vec` → `BytesMut` conversion, freed before
//! `get_bytes_mut` returns): live heap bytes do not move.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use bytes::BufMut;
use poolkit::buf::BufPool;

const ROUNDS: u64 = 1_000;
const SIZES: [usize; 4] = [64, 4096, 65_536, 1 << 20];

fn round_trips_reuse_the_storage_with_one_transient_allocation() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = BufPool::new();
    for _ in 0..3 {
        for n in SIZES {
            pool.get_bytes_mut(n).put_slice(b"warm");
        }
    }
    let warm = pool.stats();
    let before = dhat::HeapStats::get();
    let mut peak_during = 0;
    for round in 0..ROUNDS {
        for n in SIZES {
            let mut frame = pool.get_bytes_mut(n);
            peak_during = peak_during.max(dhat::HeapStats::get().curr_bytes);
            frame.put_u64(round);
            frame.put_slice(b"payload!");
            std::hint::black_box(&frame);
        }
    }
    let after = dhat::HeapStats::get();
    let gets = ROUNDS * SIZES.len() as u64;
    dhat::assert_eq!(after.total_blocks - before.total_blocks, gets);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    // Transient: gone by the time `get_bytes_mut` returned.
    dhat::assert_eq!(peak_during, before.curr_bytes);
    let record = (after.total_bytes - before.total_bytes) / gets;
    assert!(record <= 64, "a small record: {record} bytes");
    let stats = pool.stats();
    assert_eq!(stats.hits - warm.hits, gets, "{stats:?}");
    assert_eq!(stats.misses, warm.misses, "{stats:?}");
}

fn main() {
    round_trips_reuse_the_storage_with_one_transient_allocation();
    println!(
        "buf_alloc_bytes_mut: round_trips_reuse_the_storage_with_one_transient_allocation ... ok"
    );
}
