//! The two-thread hand-off shared by the benches' cross-thread rows: a
//! bounded lock-free queue with spinning on both ends.
//!
//! A blocking channel (`std::sync::mpsc`) made every row swing by 3-5x
//! between runs here, depending on how often a side fell asleep, which
//! measured the scheduler rather than the pools.

use std::thread;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;

/// This thread makes `iters` items with `make` and sends them through a
/// queue of `capacity` slots; a second thread hands each to `consume`
/// (giving pooled ones back on its own thread). Returns the total time.
pub fn hand_off<T: Send>(
    capacity: usize,
    iters: u64,
    make: impl Fn() -> T,
    consume: impl Fn(T) + Send,
) -> Duration {
    let channel = ArrayQueue::<T>::new(capacity);
    let channel = &channel;
    let start = Instant::now();
    thread::scope(|s| {
        s.spawn(move || {
            let mut received = 0;
            let mut backoff = Backoff::default();
            while received < iters {
                match channel.pop() {
                    Some(item) => {
                        consume(item);
                        received += 1;
                        backoff = Backoff::default();
                    }
                    None => backoff.wait(),
                }
            }
        });
        for _ in 0..iters {
            let mut item = make();
            let mut backoff = Backoff::default();
            while let Err(back) = channel.push(item) {
                item = back;
                backoff.wait();
            }
        }
    });
    start.elapsed()
}

/// How a side of the hand-off waits: it spins, and past a while yields its
/// core (never parks: no futex). The machine has 2 cores and other work on
/// them; a side that only spun while the other was descheduled burned its
/// whole time slice, and every row then measured the scheduler.
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    #[inline]
    fn wait(&mut self) {
        if self.0 < 64 {
            self.0 += 1;
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}
