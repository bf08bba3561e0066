//! dhat: after warm-up, `with_scratch` calls, nested up to the retained
//! depth, allocate nothing.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml) so that
//! only this thread allocates inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::io::Write as _;

use poolkit::buf::{with_scratch, SCRATCH_RETAINED_BUFFERS};

/// Writes a record through `depth` nested scratch buffers.
fn nested_write(depth: usize, id: u32) -> usize {
    with_scratch(4096, |buf| {
        write!(buf, "record {id} at depth {depth}").unwrap();
        buf.extend_from_slice(&[0u8; 3000]);
        let inner = if depth > 1 {
            nested_write(depth - 1, id)
        } else {
            0
        };
        std::hint::black_box(&buf);
        buf.len() + inner
    })
}

fn steady_state_scratch_allocates_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // Warm-up: the thread's free list fills with one buffer per level.
    for id in 0..10 {
        nested_write(SCRATCH_RETAINED_BUFFERS, id);
    }
    let before = dhat::HeapStats::get();
    let mut written = 0;
    for id in 0..50_000 {
        written += nested_write(SCRATCH_RETAINED_BUFFERS, id);
        written += with_scratch(100, |buf| {
            buf.push(1);
            buf.len()
        });
    }
    let after = dhat::HeapStats::get();
    std::hint::black_box(written);
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);

    // One level deeper than retained allocates once per call: the counter
    // above would have seen it.
    for id in 0..100 {
        nested_write(SCRATCH_RETAINED_BUFFERS + 1, id);
    }
    let deeper = dhat::HeapStats::get();
    dhat::assert_eq!(deeper.total_blocks - after.total_blocks, 100);
}

fn main() {
    steady_state_scratch_allocates_nothing();
    println!("buf_scratch_alloc: steady_state_scratch_allocates_nothing ... ok");
}
