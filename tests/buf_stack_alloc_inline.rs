//! dhat: a `StackBuf<N>` that stays within N bytes allocates nothing, however
//! it is written (slices, bytes, `fmt` and `io` formatting), up to exactly N.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml) so that
//! only this thread allocates inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::buf::StackBuf;

fn inline_writes_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // Warm-up: whatever std's formatting machinery sets up on first use.
    let mut warm = StackBuf::<64>::new();
    let field = std::hint::black_box("email");
    write!(warm, "user:{}:{field}", 1).unwrap();
    std::hint::black_box(&warm);

    let before = dhat::HeapStats::get();
    let mut filled = 0usize;
    for id in 0..100_000u32 {
        let mut key = StackBuf::<64>::new();
        write!(key, "user:{id}:{field}").unwrap();
        std::io::Write::write_all(&mut key, b":").unwrap();
        key.push(b'x');
        // Fill up to exactly N: still inline, still no allocation.
        let room = key.capacity() - key.len();
        key.extend_from_slice(&[b'.'; 64][..room]);
        assert!(key.is_inline() && key.len() == 64);
        filled += key.as_str().unwrap().len();
        std::hint::black_box(&key);
    }
    let after = dhat::HeapStats::get();
    assert_eq!(filled, 100_000 * 64);
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);

    // One byte past N spills: the counter above would have seen that.
    let mut full = StackBuf::<64>::new();
    full.extend_from_slice(&[b'.'; 65]);
    std::hint::black_box(&full);
    let spilled = dhat::HeapStats::get();
    dhat::assert!(spilled.total_blocks > after.total_blocks);
}

fn main() {
    inline_writes_allocate_nothing();
    println!("buf_stack_alloc_inline: inline_writes_allocate_nothing ... ok");
}
