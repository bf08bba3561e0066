//! Model-based proptest of `BufPool` on one thread: random sequences of
//! get / return / grow / shrink / detach / trim on small pools with small
//! budgets. After every step:
//!
//! - a request got an empty buffer with capacity ≥ the request, in its
//!   class's range (or, above the top class, an oversize allocation);
//! - a returned buffer was kept in the class of its *current* capacity
//!   (rounded down) or freed, and no other class changed;
//! - `retained_bytes ≤ reserved_bytes ≤ max_retained_bytes`, and every class
//!   keeps only buffers of its size range.

use poolkit::buf::{BufPool, BufStats, PooledBuf};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// A request; the size is a fraction of 4 × the top class, so about a
    /// quarter are oversize.
    Get(u32),
    /// Return the held buffer at this index (modulo how many are held).
    Return(usize),
    /// Reserve this many more bytes than the length in a held buffer.
    Grow(usize, usize),
    /// `shrink_to`: the capacity may fall below its class, or to 0.
    Shrink(usize, usize),
    Detach(usize),
    Trim,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u32>().prop_map(Op::Get),
        4 => any::<usize>().prop_map(Op::Return),
        2 => (any::<usize>(), 0usize..300_000).prop_map(|(i, n)| Op::Grow(i, n)),
        1 => (any::<usize>(), 0usize..5_000).prop_map(|(i, n)| Op::Shrink(i, n)),
        1 => any::<usize>().prop_map(Op::Detach),
        1 => Just(Op::Trim),
    ]
}

#[derive(Clone, Debug)]
struct Config {
    min_shift: u32,
    max_shift: u32,
    budget: usize,
    thread_cache: usize,
}

fn config() -> impl Strategy<Value = Config> {
    (4u32..9, 0u32..10, 0usize..(512 << 10), 0u32..=100).prop_map(
        |(min_shift, span, budget, thread_share)| Config {
            min_shift,
            max_shift: min_shift + span,
            budget,
            thread_cache: budget / 100 * thread_share as usize,
        },
    )
}

/// The class a request of `n` bytes is served from, as the docs state it:
/// the smallest power of two ≥ `n`, at least the smallest class.
fn class_size_for_request(pool: &BufPool, n: usize) -> Option<usize> {
    let size = n.max(pool.min_class()).checked_next_power_of_two()?;
    (size <= pool.max_class()).then_some(size)
}

/// The class a returned buffer belongs to, as the docs state it: its
/// capacity rounded down to a power of two, if that is a class.
fn class_size_for_return(pool: &BufPool, capacity: usize) -> Option<usize> {
    if capacity == 0 {
        return None;
    }
    let size = 1usize << capacity.ilog2();
    (pool.min_class()..=pool.max_class())
        .contains(&capacity)
        .then_some(size)
}

fn check_bounds(pool: &BufPool, stats: &BufStats) -> Result<(), TestCaseError> {
    prop_assert!(stats.retained_bytes <= stats.reserved_bytes, "{:?}", stats);
    prop_assert!(
        stats.reserved_bytes <= pool.max_retained_bytes(),
        "{:?}",
        stats
    );
    prop_assert_eq!(stats.gets, stats.hits + stats.misses + stats.oversize);
    let mut sum = 0;
    for class in &stats.classes {
        let n = class.retained;
        prop_assert!(
            (n * class.size..=n * (2 * class.size - 1)).contains(&class.retained_bytes),
            "class {:?}",
            class
        );
        sum += class.retained_bytes;
    }
    prop_assert_eq!(sum, stats.retained_bytes);
    Ok(())
}

/// Per class: (retained buffers, retained bytes, returns refused).
fn class_state(stats: &BufStats) -> Vec<(usize, usize, u64)> {
    stats
        .classes
        .iter()
        .map(|c| {
            (
                c.retained,
                c.retained_bytes,
                c.refused_budget + c.dropped_full,
            )
        })
        .collect()
}

fn run(config: Config, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let built = BufPool::builder()
        .min_class(1 << config.min_shift)
        .max_class(1 << config.max_shift)
        .max_retained_bytes(config.budget)
        .thread_cache_bytes(config.thread_cache)
        .build();
    // A budget that cannot hold one buffer of the top class is refused.
    if config.budget != 0 && config.budget < 1 << config.max_shift {
        prop_assert_eq!(built.unwrap_err().field(), "max_retained_bytes");
        return Ok(());
    }
    let pool = built.unwrap();
    let top = pool.max_class();
    let mut held: Vec<PooledBuf<'_>> = Vec::new();
    for op in ops {
        let before = pool.stats();
        match op {
            Op::Get(fraction) => {
                let n = ((u64::from(fraction) * 4 * top as u64) >> 32) as usize;
                let buf = pool.get(n);
                prop_assert!(buf.is_empty());
                prop_assert!(buf.capacity() >= n);
                match class_size_for_request(&pool, n) {
                    // A new buffer has exactly the class's size; a kept one
                    // may be larger (it grew, or shrank into this class).
                    Some(size) => prop_assert!(
                        (size..2 * size).contains(&buf.capacity()),
                        "request {} got {} (class {})",
                        n,
                        buf.capacity(),
                        size
                    ),
                    None => prop_assert_eq!(pool.stats().oversize, before.oversize + 1),
                }
                held.push(buf);
            }
            Op::Return(i) if !held.is_empty() => {
                let buf = held.swap_remove(i % held.len());
                let capacity = buf.capacity();
                drop(buf);
                let after = pool.stats();
                let (old, new) = (class_state(&before), class_state(&after));
                match class_size_for_return(&pool, capacity) {
                    // Shrunk to nothing: there is no storage to give back.
                    None if capacity == 0 => prop_assert_eq!(old, new),
                    None => {
                        prop_assert_eq!(after.rejected, before.rejected + 1);
                        prop_assert_eq!(old, new);
                    }
                    Some(size) => {
                        let class = (size / pool.min_class()).ilog2() as usize;
                        for (c, (o, n)) in old.iter().zip(&new).enumerate() {
                            if c != class {
                                prop_assert_eq!(o, n, "class {} changed", c);
                            } else if n.0 == o.0 + 1 {
                                prop_assert_eq!(n.1, o.1 + capacity); // kept
                                prop_assert_eq!(n.2, o.2);
                            } else {
                                prop_assert_eq!((n.0, n.1, n.2), (o.0, o.1, o.2 + 1));
                                // freed
                            }
                        }
                    }
                }
            }
            Op::Grow(i, extra) if !held.is_empty() => {
                let i = i % held.len();
                held[i].reserve(extra);
                held[i].push(1);
            }
            Op::Shrink(i, to) if !held.is_empty() => {
                let i = i % held.len();
                held[i].shrink_to(to);
            }
            Op::Detach(i) if !held.is_empty() => {
                let buf = held.swap_remove(i % held.len());
                drop(PooledBuf::detach(buf));
                prop_assert_eq!(pool.stats().detached, before.detached + 1);
            }
            Op::Trim => {
                pool.trim();
            }
            _ => {}
        }
        check_bounds(&pool, &pool.stats())?;
    }
    drop(held);
    check_bounds(&pool, &pool.stats())?;
    pool.trim();
    pool.trim();
    let stats = pool.stats();
    prop_assert_eq!((stats.retained_bytes, stats.reserved_bytes), (0, 0));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn size_classes_and_budget_hold_after_every_step(
        config in config(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        run(config, ops)?;
    }
}
