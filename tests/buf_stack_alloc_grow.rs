//! dhat: a spilled `StackBuf` that keeps growing allocates nothing once its
//! pool is warm. Each growth takes the next buffer from the pool and gives
//! the old one back to its class, so a loop of spill-and-grow rounds finds
//! every class it passes through stocked.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml) so that
//! only this thread allocates inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::sync::LazyLock;

use poolkit::buf::{default_pool, BufPool, StackBuf};

static GIVEN: LazyLock<BufPool> = LazyLock::new(BufPool::new);

/// One round: a `StackBuf<64>` written 24 bytes at a time up to 2,400
/// bytes: it spills into 128 B, then grows into 256, 512, 1 KiB, 2 KiB and
/// 4 KiB.
fn spill_and_grow(mut buf: StackBuf<64>, round: u32) -> usize {
    for chunk in 0..100u32 {
        write!(buf, "{round:>12}{chunk:>12}").unwrap();
    }
    assert_eq!((buf.len(), buf.capacity()), (2400, 4096));
    std::hint::black_box(&buf);
    buf.len()
} // the last buffer goes back to its pool here

fn growing_allocates_nothing_once_the_pool_is_warm() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // Warm-up: the pools and this thread's caches, one buffer per class.
    for round in 0..10 {
        spill_and_grow(StackBuf::new(), round);
        spill_and_grow(StackBuf::new_in(&GIVEN), round);
    }
    let gets_before = (default_pool().stats().gets, GIVEN.stats().gets);
    let misses_before = (default_pool().stats().misses, GIVEN.stats().misses);

    let before = dhat::HeapStats::get();
    let mut written = 0;
    for round in 0..20_000 {
        written += spill_and_grow(StackBuf::new(), round);
        written += spill_and_grow(StackBuf::new_in(&GIVEN), round);
    }
    let after = dhat::HeapStats::get();
    std::hint::black_box(written);
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    // Six buffers a round (the spill and five growths), all from the pool.
    dhat::assert_eq!(default_pool().stats().gets - gets_before.0, 6 * 20_000);
    dhat::assert_eq!(GIVEN.stats().gets - gets_before.1, 6 * 20_000);
    dhat::assert_eq!(default_pool().stats().misses, misses_before.0);
    dhat::assert_eq!(GIVEN.stats().misses, misses_before.1);
}

fn main() {
    growing_allocates_nothing_once_the_pool_is_warm();
    println!("buf_stack_alloc_grow: growing_allocates_nothing_once_the_pool_is_warm ... ok");
}
