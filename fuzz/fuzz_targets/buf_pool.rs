//! `BufPool` from a fuzzed configuration (valid or not: `build()` must answer with an
//! error, never panic), then fuzzed operations on its buffers: gets of every size
//! (fallible ones past what any system can allocate), writes, reserve, shrink, freeze,
//! detach, trim, and owned guards dropped on another thread. After every step: each
//! buffer handed out is empty with at least the capacity asked for, holds what was
//! written, the byte budget holds (`retained_bytes <= reserved_bytes <=
//! max_retained_bytes`), the statistics add up, and every buffer the pool made is
//! accounted for (held, kept, or counted where it left).

#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use poolkit::buf::{BufPool, OwnedPooledBuf, PooledBuf, MAX_CLASS_LIMIT};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ClassSel {
    Pow2(u8),
    Raw(u32),
    Limit,
    OverLimit,
}

impl ClassSel {
    fn value(self) -> usize {
        match self {
            // Up to 16 MiB, so that a class buffer stays cheap to allocate.
            ClassSel::Pow2(s) => 1 << (s % 25),
            ClassSel::Raw(r) => r as usize % (16 << 20),
            ClassSel::Limit => MAX_CLASS_LIMIT,
            ClassSel::OverLimit => MAX_CLASS_LIMIT * 2,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum BytesSel {
    Zero,
    Pow2(u8),
    Raw(u32),
    Max,
}

impl BytesSel {
    fn value(self) -> usize {
        match self {
            BytesSel::Zero => 0,
            BytesSel::Pow2(s) => 1 << (s % 40),
            BytesSel::Raw(r) => r as usize,
            BytesSel::Max => usize::MAX,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Config {
    min_class: Option<ClassSel>,
    max_class: Option<ClassSel>,
    max_retained_bytes: Option<BytesSel>,
    thread_cache_bytes: Option<BytesSel>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum SizeSel {
    Tiny(u8),
    Small(u16),
    Medium(u32),
    /// Past `isize::MAX`: no system can allocate it.
    Impossible(u16),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum BufOp {
    Get {
        size: SizeSel,
        fallible: bool,
        owned: bool,
    },
    Write {
        slot: u8,
        len: u16,
    },
    Reserve {
        slot: u8,
        additional: u32,
    },
    ShrinkTo {
        slot: u8,
        min: u16,
    },
    Freeze {
        slot: u8,
    },
    CloneBytes {
        slot: u8,
    },
    DropBytes {
        slot: u8,
    },
    Detach {
        slot: u8,
    },
    Drop {
        slot: u8,
    },
    DropOnAnotherThread {
        slot: u8,
    },
    Trim,
}

#[derive(Arbitrary, Debug)]
struct Input {
    config: Config,
    ops: Vec<BufOp>,
}

enum Guard<'a> {
    Borrowed(PooledBuf<'a>),
    Owned(OwnedPooledBuf),
}

impl Guard<'_> {
    fn vec(&self) -> &Vec<u8> {
        match self {
            Guard::Borrowed(g) => g,
            Guard::Owned(g) => g,
        }
    }
    fn vec_mut(&mut self) -> &mut Vec<u8> {
        match self {
            Guard::Borrowed(g) => g,
            Guard::Owned(g) => g,
        }
    }
}

struct Held<'a> {
    guard: Guard<'a>,
    /// What was written, as a `Vec` would hold it.
    model: Vec<u8>,
}

const MAX_HELD: usize = 12;

/// What the harness saw, to check the pool's counters against.
#[derive(Default)]
struct Seen {
    gets: u64,
    detached: u64,
    /// Guards given back with no capacity (their storage was shrunk away): freed
    /// without being counted anywhere.
    empty_returns: u64,
}

fn expected_error(config: &Config) -> bool {
    let min = config.min_class.map_or(64, ClassSel::value);
    let max = config.max_class.map_or(16 << 20, ClassSel::value);
    let budget = config.max_retained_bytes.map_or(64 << 20, BytesSel::value);
    !min.is_power_of_two()
        || !max.is_power_of_two()
        || max < min
        || max > MAX_CLASS_LIMIT
        || (budget != 0 && budget < max)
        || config
            .thread_cache_bytes
            .is_some_and(|t| t.value() > budget)
}

fn give_back(held: Held<'_>, seen: &mut Seen) {
    if held.guard.vec().capacity() == 0 {
        seen.empty_returns += 1;
    }
    drop(held);
}

fn check(pool: &BufPool, held: &[Held<'_>], frozen: &[Vec<Bytes>], seen: &Seen, op: &BufOp) {
    for h in held {
        let v = h.guard.vec();
        assert_eq!(v.as_slice(), h.model.as_slice(), "{op:?}: contents");
    }
    let s = pool.stats();
    assert!(
        s.retained_bytes <= s.reserved_bytes && s.reserved_bytes <= s.max_retained_bytes,
        "{op:?}: budget broken: retained {} reserved {} budget {}",
        s.retained_bytes,
        s.reserved_bytes,
        s.max_retained_bytes
    );
    assert_eq!(s.max_retained_bytes, pool.max_retained_bytes());
    assert_eq!(s.gets, seen.gets, "{op:?}: gets");
    assert_eq!(s.hits + s.misses + s.oversize, s.gets, "{op:?}: {s:?}");
    assert_eq!(s.detached, seen.detached, "{op:?}: detached");
    let (mut bytes, mut buffers) = (0usize, 0usize);
    for class in &s.classes {
        assert!(
            class.retained_bytes >= class.retained * class.size
                && class.retained_bytes <= class.retained * (2 * class.size - 1),
            "{op:?}: class {} keeps {} buffers of {} bytes",
            class.size,
            class.retained,
            class.retained_bytes
        );
        assert_eq!(class.hits + class.misses, class.gets, "{op:?}: {class:?}");
        bytes += class.retained_bytes;
        buffers += class.retained;
    }
    assert_eq!(
        (bytes, buffers),
        (s.retained_bytes, s.retained),
        "{op:?}: totals"
    );
    // Every buffer the pool made is held, kept, or counted where it left.
    let made = s.misses + s.oversize;
    let accounted = (held.len() + frozen.len() + s.retained) as u64
        + s.refused_budget
        + s.dropped_full
        + s.rejected
        + s.discarded_unwinding
        + s.detached
        + s.trimmed;
    assert!(
        accounted <= made && made - accounted <= seen.empty_returns,
        "{op:?}: made {made} buffers, accounted for {accounted} ({s:?})"
    );
}

fn pick(len: usize, slot: u8) -> Option<usize> {
    (len > 0).then(|| usize::from(slot) % len)
}

fuzz_target!(|input: Input| {
    let config = &input.config;
    let mut builder = BufPool::builder();
    if let Some(c) = config.min_class {
        builder = builder.min_class(c.value());
    }
    if let Some(c) = config.max_class {
        builder = builder.max_class(c.value());
    }
    if let Some(b) = config.max_retained_bytes {
        builder = builder.max_retained_bytes(b.value());
    }
    if let Some(b) = config.thread_cache_bytes {
        builder = builder.thread_cache_bytes(b.value());
    }
    let pool = match builder.build() {
        Ok(pool) => {
            assert!(
                !expected_error(config),
                "{config:?}: invalid configuration accepted"
            );
            Arc::new(pool)
        }
        Err(e) => {
            assert!(
                expected_error(config),
                "{config:?}: valid configuration refused: {e}"
            );
            assert!(!e.to_string().is_empty() && !e.field().is_empty());
            return;
        }
    };
    let mut held: Vec<Held<'_>> = Vec::new();
    let mut frozen: Vec<Vec<Bytes>> = Vec::new();
    let mut seen = Seen::default();
    for op in &input.ops {
        match *op {
            BufOp::Get {
                size,
                fallible,
                owned,
            } => {
                let request = match size {
                    SizeSel::Tiny(n) => usize::from(n),
                    SizeSel::Small(n) => usize::from(n),
                    SizeSel::Medium(n) => n as usize % (4 << 20),
                    SizeSel::Impossible(d) => usize::MAX - usize::from(d),
                };
                if matches!(size, SizeSel::Impossible(_)) {
                    assert!(
                        pool.try_get(request).is_err(),
                        "{op:?}: impossible size served"
                    );
                    assert!(pool.try_get_owned(request).is_err());
                    check(&pool, &held, &frozen, &seen, op);
                    continue;
                }
                if held.len() == MAX_HELD {
                    give_back(held.remove(0), &mut seen);
                }
                let guard = match (fallible, owned) {
                    (false, false) => Guard::Borrowed(pool.get(request)),
                    (false, true) => Guard::Owned(pool.get_owned(request)),
                    (true, false) => Guard::Borrowed(pool.try_get(request).expect("try_get")),
                    (true, true) => Guard::Owned(pool.try_get_owned(request).expect("try_get")),
                };
                seen.gets += 1;
                let v = guard.vec();
                assert!(
                    v.is_empty(),
                    "{op:?}: a buffer came back with {} bytes",
                    v.len()
                );
                assert!(
                    v.capacity() >= request,
                    "{op:?}: capacity {} < {request}",
                    v.capacity()
                );
                held.push(Held {
                    guard,
                    model: Vec::new(),
                });
            }
            BufOp::Write { slot, len } => {
                if let Some(i) = pick(held.len(), slot) {
                    let byte = (held[i].model.len() % 251) as u8;
                    let data = vec![byte; usize::from(len)];
                    held[i].guard.vec_mut().extend_from_slice(&data);
                    held[i].model.extend_from_slice(&data);
                }
            }
            BufOp::Reserve { slot, additional } => {
                if let Some(i) = pick(held.len(), slot) {
                    let additional = additional as usize % (4 << 20);
                    let v = held[i].guard.vec_mut();
                    v.reserve(additional);
                    assert!(v.capacity() >= v.len() + additional);
                }
            }
            BufOp::ShrinkTo { slot, min } => {
                if let Some(i) = pick(held.len(), slot) {
                    held[i].guard.vec_mut().shrink_to(usize::from(min));
                }
            }
            BufOp::Freeze { slot } => {
                if let Some(i) = pick(held.len(), slot) {
                    if matches!(held[i].guard, Guard::Owned(_)) {
                        let h = held.remove(i);
                        let Guard::Owned(g) = h.guard else {
                            unreachable!()
                        };
                        let empty_storage = g.capacity() == 0;
                        let bytes = OwnedPooledBuf::freeze(g);
                        assert_eq!(&bytes[..], h.model.as_slice(), "{op:?}: frozen contents");
                        if h.model.is_empty() {
                            // Documented: an empty buffer freezes to `Bytes::new()` and
                            // goes back at once.
                            seen.empty_returns += u64::from(empty_storage);
                        } else {
                            frozen.push(vec![bytes]);
                        }
                    }
                }
            }
            BufOp::CloneBytes { slot } => {
                if let Some(i) = pick(frozen.len(), slot) {
                    let clone = frozen[i][0].clone();
                    frozen[i].push(clone);
                }
            }
            BufOp::DropBytes { slot } => {
                if let Some(i) = pick(frozen.len(), slot) {
                    frozen[i].pop();
                    if frozen[i].is_empty() {
                        frozen.remove(i);
                    }
                }
            }
            BufOp::Detach { slot } => {
                if let Some(i) = pick(held.len(), slot) {
                    let h = held.remove(i);
                    let v = match h.guard {
                        Guard::Borrowed(g) => PooledBuf::detach(g),
                        Guard::Owned(g) => OwnedPooledBuf::detach(g),
                    };
                    assert_eq!(v, h.model, "{op:?}: detached contents");
                    seen.detached += 1;
                }
            }
            BufOp::Drop { slot } => {
                if let Some(i) = pick(held.len(), slot) {
                    give_back(held.remove(i), &mut seen);
                }
            }
            BufOp::DropOnAnotherThread { slot } => {
                if let Some(i) = pick(held.len(), slot) {
                    if matches!(held[i].guard, Guard::Owned(_)) {
                        let h = held.remove(i);
                        let Guard::Owned(g) = h.guard else {
                            unreachable!()
                        };
                        if g.capacity() == 0 {
                            seen.empty_returns += 1;
                        }
                        std::thread::spawn(move || drop(g)).join().unwrap();
                    }
                }
            }
            BufOp::Trim => {
                pool.trim();
            }
        }
        check(&pool, &held, &frozen, &seen, op);
    }
    for h in held.drain(..) {
        give_back(h, &mut seen);
    }
    frozen.clear();
    check(&pool, &held, &frozen, &seen, &BufOp::Trim);
    pool.trim();
    pool.trim();
    let s = pool.stats();
    assert_eq!(
        (s.retained_bytes, s.retained),
        (0, 0),
        "two trims leave {s:?}"
    );
});
