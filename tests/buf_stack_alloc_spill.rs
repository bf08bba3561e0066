//! dhat: once the buffer pool is warm, a `StackBuf` that spills past N makes
//! no heap allocation: its spill buffer comes from the pool and goes back to
//! it when the `StackBuf` drops. Checked for the default pool and for a pool
//! given with `StackBuf::new_in`.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml) so that
//! only this thread allocates inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::sync::LazyLock;

use poolkit::buf::{default_pool, BufPool, StackBuf};

static GIVEN: LazyLock<BufPool> = LazyLock::new(BufPool::new);

/// Writes a 100-byte record into a `StackBuf<32>`: it spills every time.
fn spill_once(mut buf: StackBuf<32>, id: u32) -> usize {
    write!(buf, "record {id}: ").unwrap();
    buf.extend_from_slice(&[b'.'; 100][..100 - buf.len()]);
    assert!(!buf.is_inline() && buf.len() == 100);
    std::hint::black_box(&buf);
    buf.len()
} // the spilled buffer goes back to its pool here

fn spilling_allocates_nothing_once_the_pool_is_warm() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // Warm-up: the pools, this thread's caches, one buffer each.
    for id in 0..10 {
        spill_once(StackBuf::new(), id);
        spill_once(StackBuf::new_in(&GIVEN), id);
    }
    let hits_before = (default_pool().stats().hits, GIVEN.stats().hits);

    let before = dhat::HeapStats::get();
    let mut written = 0;
    for id in 0..50_000 {
        written += spill_once(StackBuf::new(), id);
        written += spill_once(StackBuf::new_in(&GIVEN), id);
    }
    let after = dhat::HeapStats::get();
    std::hint::black_box(written);
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    // Every spill was served by its pool.
    dhat::assert_eq!(default_pool().stats().hits - hits_before.0, 50_000);
    dhat::assert_eq!(GIVEN.stats().hits - hits_before.1, 50_000);

    // Keeping the spilled buffers (`into_vec` detaches them from the pool)
    // makes the pool allocate for each (the storage and the box the pool
    // keeps it in: two blocks): the counter above would have seen it.
    for id in 0..100u32 {
        let mut buf = StackBuf::<32>::new();
        buf.extend_from_slice(&[b'x'; 40]);
        write!(buf, "{id}").unwrap();
        std::hint::black_box(buf.into_vec());
    }
    let detached = dhat::HeapStats::get();
    dhat::assert_eq!(detached.total_blocks - after.total_blocks, 2 * 100);
}

fn main() {
    spilling_allocates_nothing_once_the_pool_is_warm();
    println!("buf_stack_alloc_spill: spilling_allocates_nothing_once_the_pool_is_warm ... ok");
}
