//! dhat: after warm-up, two threads doing get/return round trips on one
//! default `BufPool` at every size class (64 B to 16 MiB) make no heap
//! allocation.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations, and libtest's main thread may allocate
//! while it waits for the test thread, inside the measured window. The
//! threads are spawned and warmed before the window and exit after it.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::sync::Barrier;

use poolkit::buf::BufPool;

const ROUNDS: u32 = 500;

fn requests(pool: &BufPool) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut size = pool.min_class();
    while size <= pool.max_class() {
        sizes.push(size);
        sizes.push(size / 2 + 1);
        size *= 2;
    }
    sizes
}

fn steady_state_round_trips_on_two_threads_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = BufPool::new();
    let requests = requests(&pool);
    // Main thread and two workers: warmed, measure starts, loops done,
    // measure ends (then the workers may exit).
    let barrier = Barrier::new(3);
    std::thread::scope(|s| {
        for worker in 0..2u32 {
            let (pool, requests, barrier) = (&pool, &requests, &barrier);
            s.spawn(move || {
                for _ in 0..3 {
                    for &n in requests {
                        pool.get(n).extend_from_slice(b"warm");
                    }
                }
                barrier.wait(); // warm
                barrier.wait(); // measuring
                for round in 0..ROUNDS {
                    for &n in requests {
                        let mut buf = pool.get(n);
                        buf.extend_from_slice(&round.to_le_bytes());
                        buf.extend_from_slice(&worker.to_le_bytes());
                        std::hint::black_box(&buf);
                    }
                }
                barrier.wait(); // done
                barrier.wait(); // measured
            });
        }
        barrier.wait();
        let warm = pool.stats();
        let before = dhat::HeapStats::get();
        barrier.wait();
        barrier.wait();
        let after = dhat::HeapStats::get();
        barrier.wait();
        dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
        dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
        let stats = pool.stats();
        let round_trips = 2 * u64::from(ROUNDS) * requests.len() as u64;
        assert_eq!(stats.hits - warm.hits, round_trips, "{stats:?}");
        assert_eq!(stats.misses, warm.misses, "{stats:?}");
    });
}

fn main() {
    steady_state_round_trips_on_two_threads_allocate_nothing();
    println!(
        "buf_alloc_two_threads: steady_state_round_trips_on_two_threads_allocate_nothing ... ok"
    );
}
