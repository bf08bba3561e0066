//! The byte budget is a bound over all threads: four threads get, grow,
//! freeze, hand over and return buffers (and pooled `BytesMut`s) of every
//! class (and oversize ones) in lock-step rounds; after every round the
//! pool's own figures and an
//! independent count of the bytes it really keeps are checked against
//! `max_retained_bytes`.
//!
//! The independent count: a counting global allocator tracks the live bytes
//! of alignment-1 allocations (the `Vec<u8>` storage of buffers; the pool's
//! own structures, thread handles and the test's vectors are aligned to 8 or
//! more). Live alignment-1 bytes minus the capacity the test holds is what
//! the pool keeps.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml) so
//! that no harness thread allocates inside the measured rounds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use bytes::Bytes;
use poolkit::buf::{BufPool, OwnedPooledBuf};

/// Counts the live bytes of alignment-1 allocations.
struct CountingAlloc;

static BYTE_BUFFERS_LIVE: AtomicIsize = AtomicIsize::new(0);

fn track(layout: Layout, delta: isize) {
    if layout.align() == 1 {
        BYTE_BUFFERS_LIVE.fetch_add(delta, Ordering::SeqCst);
    }
}

// SAFETY: forwards every call to `System` unchanged; it only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            track(layout, layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(layout, -(layout.size() as isize));
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            track(layout, new_size as isize - layout.size() as isize);
        }
        new
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const THREADS: usize = 4;
const ROUNDS: usize = 1500;
const MAX_CLASS: usize = 16 << 20;
/// Room for two top-class buffers and a lot of small ones: the budget is
/// reached often, by every thread.
const BUDGET: usize = 40 << 20;
const THREAD_CACHE: usize = 20 << 20;
/// Buffers one thread holds at most (they keep the budget under pressure).
const HELD_PER_THREAD: usize = 4;
const MAILBOX: usize = 16;

/// xorshift64*: deterministic per thread, no allocation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A request size: any class from 64 B to 16 MiB (anywhere inside it),
    /// now and then above the top class.
    fn request(&mut self) -> usize {
        if self.below(25) == 0 {
            return MAX_CLASS + 1 + self.below(4096) as usize;
        }
        let class = 64usize << self.below(19);
        class / 2 + 1 + self.below(class as u64 / 2) as usize
    }
}

/// Buffers handed from one thread to another, with the storage capacity of
/// each (a frozen `Bytes` does not show its storage's capacity).
#[derive(Default)]
struct Mailbox {
    bufs: Vec<OwnedPooledBuf>,
    frozen: Vec<(Bytes, usize)>,
}

impl Mailbox {
    fn held(&self) -> usize {
        self.bufs.iter().map(|b| b.capacity()).sum::<usize>()
            + self.frozen.iter().map(|(_, cap)| cap).sum::<usize>()
    }
}

struct Shared {
    pool: Arc<BufPool>,
    mailbox: Mutex<Mailbox>,
    held: [AtomicUsize; THREADS],
    round_done: Barrier,
    checked: Barrier,
    /// Live alignment-1 bytes before the pool was used (the runtime's own).
    baseline: isize,
}

/// One random step of thread `me`.
fn step(shared: &Shared, me: usize, rng: &mut Rng, held: &mut Vec<OwnedPooledBuf>) {
    match rng.below(100) {
        0..=39 if held.len() < HELD_PER_THREAD => {
            let mut buf = shared.pool.get_owned(rng.request());
            buf.extend_from_slice(b"some bytes");
            held.push(buf);
        }
        0..=54 if !held.is_empty() => {
            let i = rng.below(held.len() as u64) as usize;
            drop(held.swap_remove(i)); // returned on this thread
        }
        55..=64 if !held.is_empty() => {
            // Grow: the buffer moves up a class (or out of all of them).
            let i = rng.below(held.len() as u64) as usize;
            let extra = held[i].capacity() + rng.below(4096) as usize;
            held[i].reserve(extra);
        }
        65..=74 if !held.is_empty() => {
            // Hand over: returned later, on whichever thread takes it.
            let buf = held.swap_remove(0);
            let mut mailbox = shared.mailbox.lock().unwrap();
            if mailbox.bufs.len() < MAILBOX {
                mailbox.bufs.push(buf);
            } else {
                drop(mailbox);
                drop(buf);
            }
        }
        75..=82 if !held.is_empty() => {
            // Freeze, keep one clone in the mailbox, drop the rest here.
            let buf = held.swap_remove(0);
            let capacity = buf.capacity();
            let frozen = OwnedPooledBuf::freeze(buf);
            let clone = frozen.slice(1..);
            drop(frozen);
            let mut mailbox = shared.mailbox.lock().unwrap();
            if mailbox.frozen.len() < MAILBOX {
                mailbox.frozen.push((clone, capacity));
            }
        }
        83..=94 => {
            // Take something handed over by another thread and drop it here.
            let mut mailbox = shared.mailbox.lock().unwrap();
            let buf = mailbox.bufs.pop();
            let frozen = mailbox.frozen.pop();
            drop(mailbox);
            drop((buf, frozen));
        }
        95..=96 => {
            shared.pool.trim();
        }
        97..=99 => {
            // A pooled `BytesMut` round trip (same storage, same budget).
            let mut frame = shared.pool.get_bytes_mut_owned(rng.request());
            frame.extend_from_slice(b"frame");
            if rng.below(2) == 0 {
                drop(frame.split_to(2)); // whole again before the drop
            }
        }
        _ => {}
    }
    let mine: usize = held.iter().map(|b| b.capacity()).sum();
    shared.held[me].store(mine, Ordering::SeqCst);
}

/// Checks the bound while every worker waits at the barrier.
fn check(shared: &Shared, round: usize) {
    let stats = shared.pool.stats();
    let by_test: usize = shared
        .held
        .iter()
        .map(|h| h.load(Ordering::SeqCst))
        .sum::<usize>()
        + shared.mailbox.lock().unwrap().held();
    let live = BYTE_BUFFERS_LIVE.load(Ordering::SeqCst) - shared.baseline;
    let kept = usize::try_from(live).expect("live bytes are never negative") - by_test;
    assert!(
        stats.retained_bytes <= stats.reserved_bytes,
        "round {round}: {stats:?}"
    );
    assert!(
        stats.reserved_bytes <= BUDGET,
        "round {round}: reserved {} > budget {BUDGET}",
        stats.reserved_bytes
    );
    assert!(
        kept <= BUDGET,
        "round {round}: the heap holds {kept} bytes of kept buffers, budget {BUDGET}"
    );
    // The pool's figure is the truth, not an estimate.
    assert_eq!(
        kept, stats.retained_bytes,
        "round {round}: counted {kept} kept bytes, stats say {}",
        stats.retained_bytes
    );
}

fn main() {
    // A failed check or a panic on any thread ends the run (the others
    // would wait at the barrier for ever).
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        std::process::exit(101);
    }));
    let pool = BufPool::builder()
        .max_class(MAX_CLASS)
        .max_retained_bytes(BUDGET)
        .thread_cache_bytes(THREAD_CACHE)
        .build()
        .unwrap();
    let shared = Arc::new(Shared {
        pool: Arc::new(pool),
        mailbox: Mutex::new(Mailbox {
            bufs: Vec::with_capacity(MAILBOX),
            frozen: Vec::with_capacity(MAILBOX),
        }),
        held: Default::default(),
        round_done: Barrier::new(THREADS + 1),
        checked: Barrier::new(THREADS + 1),
        baseline: BYTE_BUFFERS_LIVE.load(Ordering::SeqCst),
    });
    let workers: Vec<_> = (0..THREADS)
        .map(|me| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((me as u64 + 1) * 0x1234_5678_9abc));
                let mut held = Vec::with_capacity(HELD_PER_THREAD);
                for _ in 0..ROUNDS {
                    step(&shared, me, &mut rng, &mut held);
                    shared.round_done.wait();
                    shared.checked.wait();
                }
                drop(held);
                shared.held[me].store(0, Ordering::SeqCst);
            })
        })
        .collect();
    let mut peak = 0;
    for round in 0..ROUNDS {
        shared.round_done.wait();
        check(&shared, round);
        peak = peak.max(shared.pool.stats().retained_bytes);
        shared.checked.wait();
    }
    for worker in workers {
        worker.join().unwrap();
    }
    // Quiescence: the workers exited (their caches live on, inherited by
    // the next thread with the same id), the mailbox is emptied here.
    *shared.mailbox.lock().unwrap() = Mailbox::default();
    check(&shared, ROUNDS);
    let stats = shared.pool.stats();
    // The run really pressed on the budget and used every class.
    assert!(stats.refused_budget > 0, "{stats:?}");
    assert!(peak > BUDGET / 2, "peak {peak}");
    assert!(stats.oversize > 0 && stats.rejected > 0, "{stats:?}");
    for class in &stats.classes {
        assert!(class.gets > 0, "class {} never used", class.size);
    }
    println!(
        "buf_budget_threads: {THREADS} threads x {ROUNDS} rounds, peak kept {peak} of {BUDGET} \
         bytes, {} returns refused for budget ... ok",
        stats.refused_budget
    );
}
