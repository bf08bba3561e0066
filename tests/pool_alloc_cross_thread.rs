//! dhat: once warm, 100,000 objects taken on one thread and returned on
//! another (a producer and a consumer joined by a queue) make no heap
//! allocation: the consumer hands them back in batches through the shared
//! tier, and the producer takes them back from it.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations, and libtest's main thread may allocate
//! while it waits for the test thread, inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use crossbeam_queue::ArrayQueue;
use poolkit::{OwnedPooled, Pool};

/// Objects in flight between the two threads, at most.
const IN_FLIGHT: usize = 256;
const ITEMS: u32 = 100_000;

fn objects_made_on_one_thread_and_returned_on_another_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = Arc::new(
        Pool::builder(|| Vec::<u8>::with_capacity(4096))
            .shared_capacity(2 * IN_FLIGHT)
            .build()
            .unwrap(),
    );
    let channel = ArrayQueue::<OwnedPooled<Vec<u8>>>::new(IN_FLIGHT);
    let warmed = Barrier::new(3);
    let measured = Barrier::new(3);
    let done = Barrier::new(3);
    // Threads exit only after the last snapshot: thread exit itself allocates
    // (the thread-id free list), which is not the pool's doing.
    let release = Barrier::new(3);
    let stop = AtomicBool::new(false);
    let send = |item: OwnedPooled<Vec<u8>>| {
        let mut item = item;
        while let Err(back) = channel.push(item) {
            item = back;
            std::hint::spin_loop();
        }
    };
    let (before, after) = thread::scope(|s| {
        // The consumer: returns whatever arrives, until told to stop.
        s.spawn(|| {
            for phase in [&warmed, &done] {
                while !stop.load(Ordering::Acquire) || !channel.is_empty() {
                    match channel.pop() {
                        Some(item) => drop(item),
                        None => std::hint::spin_loop(),
                    }
                }
                phase.wait(); // the producer resets `stop` before going on
                if std::ptr::eq(phase, &warmed) {
                    measured.wait();
                }
            }
            release.wait();
        });
        // The producer. It first makes more objects than can ever be in
        // flight at once (the queue, the consumer's cache, one in each
        // thread's hand), so that the measured phase needs no new one
        // whatever the two threads' relative speed.
        s.spawn(|| {
            let population: Vec<_> = (0..IN_FLIGHT + 64).map(|_| pool.get()).collect();
            drop(population);
            for round in 0..2 {
                let items = if round == 0 {
                    4 * IN_FLIGHT as u32
                } else {
                    ITEMS
                };
                for i in 0..items {
                    let mut buf = pool.get_owned();
                    buf.extend_from_slice(&i.to_le_bytes());
                    send(buf);
                }
                stop.store(true, Ordering::Release);
                if round == 0 {
                    warmed.wait();
                    stop.store(false, Ordering::Release);
                    measured.wait();
                } else {
                    done.wait();
                }
            }
            release.wait();
        });
        warmed.wait();
        let before = dhat::HeapStats::get();
        measured.wait();
        done.wait();
        let after = dhat::HeapStats::get();
        release.wait();
        (before, after)
    });
    let stats = pool.stats();
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    dhat::assert_eq!(stats.gets, u64::from(ITEMS) + 5 * IN_FLIGHT as u64 + 64);
    dhat::assert_eq!(stats.dropped_full, 0);
    dhat::assert_eq!(stats.misses, IN_FLIGHT as u64 + 64, "{stats:?}");
}

fn main() {
    objects_made_on_one_thread_and_returned_on_another_allocate_nothing();
    println!(
        "pool_alloc_cross_thread: objects_made_on_one_thread_and_returned_on_another_allocate_nothing ... ok"
    );
}
