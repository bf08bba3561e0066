//! Two small models in one target:
//!
//! * `StackBuf<N>` against a `Vec<u8>`: same bytes after every operation; inline (capacity
//!   `N`) until the first write past `N`, spilled for good after it, with a capacity of at
//!   least `max(2 × N, len)`; its pooled buffer goes back to its pool.
//! * `Pool` with reset and accept hooks that panic when the object says so: every object
//!   handed out is reset; retention stays within `thread caches × local_capacity +
//!   shared_capacity` and the byte budget; every object the pool ever held is accounted
//!   for; a panicking hook loses only its object and the pool stays usable.

#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use poolkit::buf::{BufPool, StackBuf};
use poolkit::{OwnedPooled, Pool, Pooled};

#[path = "../common/expected_panic.rs"]
mod expected_panic;

use expected_panic::{expect_panic, PROVOKED};

#[derive(Arbitrary, Debug, Clone)]
enum StackOp {
    Push(u8),
    Extend(Vec<u8>),
    Truncate(u16),
    Clear,
    Overwrite(u16, u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Fate {
    Keep,
    ResetPanics,
    AcceptPanics,
    AcceptRefuses,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum PoolOp {
    Get { owned: bool },
    Write { slot: u8, len: u16 },
    Mark { slot: u8, fate: Fate },
    Drop { slot: u8 },
    DropOnAnotherThread { slot: u8 },
    DropWhilePanicking { slot: u8 },
    Detach { slot: u8 },
    Put { len: u16, fate: Fate },
    Trim,
}

#[derive(Arbitrary, Debug)]
struct PoolConfig {
    local_capacity: Option<u32>,
    shared_capacity: Option<u32>,
    max_retained_bytes: Option<u32>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    inline: StackInline,
    stack_ops: Vec<StackOp>,
    into_vec: bool,
    pool: PoolConfig,
    pool_ops: Vec<PoolOp>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum StackInline {
    Zero,
    Eight,
    Sixty,
}

/// The pool `StackBuf`s spill into, shared by every run.
fn spill_pool() -> &'static BufPool {
    static POOL: OnceLock<BufPool> = OnceLock::new();
    POOL.get_or_init(|| {
        BufPool::builder()
            .max_class(1 << 20)
            .max_retained_bytes(1 << 20)
            .build()
            .expect("valid configuration")
    })
}

fn stack_model<const N: usize>(ops: &[StackOp], into_vec: bool) {
    let pool = spill_pool();
    let gets_before = pool.stats().gets;
    let mut buf = StackBuf::<N>::new_in(pool);
    let mut model: Vec<u8> = Vec::new();
    let mut spilled = false;
    let mut longest = 0;
    for op in ops {
        match op {
            StackOp::Push(b) => {
                buf.push(*b);
                model.push(*b);
            }
            StackOp::Extend(data) => {
                buf.extend_from_slice(data);
                model.extend_from_slice(data);
            }
            StackOp::Truncate(n) => {
                buf.truncate(usize::from(*n));
                model.truncate(usize::from(*n));
            }
            StackOp::Clear => {
                buf.clear();
                model.clear();
            }
            StackOp::Overwrite(i, b) => {
                if !model.is_empty() {
                    let i = usize::from(*i) % model.len();
                    buf.as_mut_slice()[i] = *b;
                    model[i] = *b;
                }
            }
        }
        spilled |= model.len() > N;
        longest = longest.max(model.len());
        assert_eq!(buf.as_slice(), model.as_slice(), "{op:?}: contents");
        assert_eq!((buf.len(), buf.is_empty()), (model.len(), model.is_empty()));
        assert_eq!(
            buf.is_inline(),
            !spilled,
            "{op:?}: inline after {} bytes",
            model.len()
        );
        assert!(buf.capacity() >= buf.len());
        if spilled {
            assert!(
                buf.capacity() >= 2 * N,
                "{op:?}: spilled into {}",
                buf.capacity()
            );
        } else {
            assert_eq!(buf.capacity(), N);
        }
        assert_eq!(buf.as_str().ok(), std::str::from_utf8(&model).ok());
    }
    // A spill takes one pooled buffer of at least 2 N bytes; growing past it
    // takes the next from the pool, at least doubling: so at most
    // 2 + log2(longest / 2N) gets.
    let gets = pool.stats().gets - gets_before;
    if spilled {
        let doublings = (longest / (2 * N).max(1)).max(1).ilog2();
        assert!(
            gets >= 1 && gets <= 2 + u64::from(doublings),
            "{gets} pooled buffers for a spill that grew to {longest} bytes"
        );
    } else {
        assert_eq!(gets, 0, "no pooled buffer without a spill");
    }
    if into_vec {
        assert_eq!(buf.into_vec(), model);
    } else {
        let pooled = buf.into_pooled();
        assert_eq!(pooled.as_slice(), model.as_slice());
    }
    let s = pool.stats();
    assert!(s.retained_bytes <= s.reserved_bytes && s.reserved_bytes <= s.max_retained_bytes);
}

/// A pooled object that carries the fate its next return should meet.
struct Obj {
    data: Vec<u8>,
    fate: Fate,
    /// Set by a user, cleared by reset.
    dirty: bool,
}

enum Guard<'a> {
    Borrowed(Pooled<'a, Obj>),
    Owned(OwnedPooled<Obj>),
}

impl std::ops::Deref for Guard<'_> {
    type Target = Obj;
    fn deref(&self) -> &Obj {
        match self {
            Guard::Borrowed(g) => g,
            Guard::Owned(g) => g,
        }
    }
}

impl std::ops::DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut Obj {
        match self {
            Guard::Borrowed(g) => g,
            Guard::Owned(g) => g,
        }
    }
}

#[derive(Default)]
struct Seen {
    gets: u64,
    puts: u64,
    rejected: u64,
    hook_panics: u64,
    unwinding: u64,
    detached: u64,
}

const MAX_HELD: usize = 24;

/// Gives `guard` back (on this thread or another), expecting what its fate says.
fn give_back(guard: Guard<'_>, elsewhere: bool, seen: &mut Seen) {
    let fate = guard.fate;
    let panicked = match guard {
        Guard::Owned(g) if elsewhere => std::thread::spawn(move || expect_panic(|| drop(g)))
            .join()
            .unwrap(),
        g => expect_panic(|| drop(g)),
    };
    record(fate, panicked, seen);
}

fn record(fate: Fate, panicked: bool, seen: &mut Seen) {
    let should_panic = matches!(fate, Fate::ResetPanics | Fate::AcceptPanics);
    assert_eq!(
        panicked, should_panic,
        "{fate:?}: the hook's panic got lost or invented"
    );
    match fate {
        Fate::ResetPanics | Fate::AcceptPanics => seen.hook_panics += 1,
        Fate::AcceptRefuses => seen.rejected += 1,
        Fate::Keep => {}
    }
}

fn pool_model(config: &PoolConfig, ops: &[PoolOp]) {
    let made = Arc::new(AtomicU64::new(0));
    let factory_count = made.clone();
    let mut builder = Pool::builder_with_reset(
        move || {
            factory_count.fetch_add(1, Ordering::Relaxed);
            Obj {
                data: Vec::with_capacity(16),
                fate: Fate::Keep,
                dirty: false,
            }
        },
        |o: &mut Obj| {
            if matches!(o.fate, Fate::ResetPanics) {
                std::panic::panic_any(PROVOKED);
            }
            o.data.clear();
            o.dirty = false;
        },
    )
    .accept(|o: &Obj| match o.fate {
        Fate::AcceptPanics => std::panic::panic_any(PROVOKED),
        Fate::AcceptRefuses => false,
        _ => true,
    })
    .heap_bytes(|o: &Obj| o.data.capacity());
    if config.local_capacity.is_some() {
        builder = builder.local_capacity(pool_local(config));
    }
    if config.shared_capacity.is_some() {
        builder = builder.shared_capacity(pool_shared(config));
    }
    if let Some(b) = config.max_retained_bytes {
        builder = builder.max_retained_bytes(b as usize);
    }
    let pool = match builder.build() {
        Ok(pool) => Arc::new(pool),
        Err(e) => {
            let local = pool_local(config);
            let shared = pool_shared(config);
            assert!(
                local > poolkit::pool::MAX_LOCAL_CAPACITY
                    || shared > poolkit::pool::MAX_SHARED_CAPACITY
                    || (local == 0 && shared == 0),
                "{config:?}: valid configuration refused: {e}"
            );
            return;
        }
    };
    let mut held: Vec<Guard<'_>> = Vec::new();
    let mut seen = Seen::default();
    for op in ops {
        match *op {
            PoolOp::Get { owned } => {
                if held.len() == MAX_HELD {
                    give_back(held.remove(0), false, &mut seen);
                }
                let g = if owned {
                    Guard::Owned(pool.get_owned())
                } else {
                    Guard::Borrowed(pool.get())
                };
                seen.gets += 1;
                assert!(
                    g.data.is_empty() && !g.dirty,
                    "{op:?}: an object came back unreset"
                );
                assert!(
                    !matches!(g.fate, Fate::ResetPanics),
                    "{op:?}: reset never ran"
                );
                held.push(g);
                let last = held.last_mut().unwrap();
                last.fate = Fate::Keep;
            }
            PoolOp::Write { slot, len } => {
                if let Some(g) = pick(&mut held, slot) {
                    g.data.extend(std::iter::repeat_n(7u8, usize::from(len)));
                    g.dirty = true;
                }
            }
            PoolOp::Mark { slot, fate } => {
                if let Some(g) = pick(&mut held, slot) {
                    g.fate = fate;
                }
            }
            PoolOp::Drop { slot } | PoolOp::DropOnAnotherThread { slot } => {
                if !held.is_empty() {
                    let g = held.remove(usize::from(slot) % held.len());
                    let elsewhere = matches!(op, PoolOp::DropOnAnotherThread { .. });
                    give_back(g, elsewhere, &mut seen);
                }
            }
            PoolOp::DropWhilePanicking { slot } => {
                if !held.is_empty() {
                    let g = held.remove(usize::from(slot) % held.len());
                    let panicked = expect_panic(move || {
                        let _g = g;
                        std::panic::panic_any(PROVOKED);
                    });
                    assert!(panicked);
                    seen.unwinding += 1;
                }
            }
            PoolOp::Detach { slot } => {
                if !held.is_empty() {
                    let g = held.remove(usize::from(slot) % held.len());
                    let dirty = g.dirty;
                    let o = match g {
                        Guard::Borrowed(g) => Pooled::detach(g),
                        Guard::Owned(g) => OwnedPooled::detach(g),
                    };
                    assert_eq!(o.dirty, dirty);
                    seen.detached += 1;
                }
            }
            PoolOp::Put { len, fate } => {
                let o = Obj {
                    data: vec![1; usize::from(len)],
                    fate,
                    dirty: true,
                };
                seen.puts += 1;
                let panicked = expect_panic(|| pool.put(o));
                record(fate, panicked, &mut seen);
            }
            PoolOp::Trim => {
                pool.trim();
            }
        }
        let s = pool.stats();
        let factory_calls = made.load(Ordering::Relaxed);
        assert_eq!(s.misses, factory_calls, "{op:?}: misses");
        assert_eq!(s.gets, seen.gets, "{op:?}: gets");
        assert_eq!(
            s.local_hits + s.shared_hits + s.misses,
            s.gets,
            "{op:?}: {s:?}"
        );
        assert_eq!(s.puts, seen.puts, "{op:?}: puts");
        assert_eq!(s.outstanding, held.len() as u64, "{op:?}: outstanding");
        assert_eq!(s.rejected, seen.rejected, "{op:?}: rejected");
        assert_eq!(s.hook_panics, seen.hook_panics, "{op:?}: hook panics");
        assert_eq!(s.discarded_unwinding, seen.unwinding, "{op:?}: unwinding");
        assert_eq!(s.detached, seen.detached, "{op:?}: detached");
        let bound = s.thread_caches * pool.local_capacity() as u64 + pool.shared_capacity() as u64;
        assert!(
            s.retained <= bound,
            "{op:?}: retains {} > {bound}",
            s.retained
        );
        if let Some(limit) = pool.max_retained_bytes() {
            assert!(
                s.retained_bytes <= limit as u64,
                "{op:?}: {} bytes kept",
                s.retained_bytes
            );
        }
        // Every object the pool made or was given is held, kept, or counted where it left.
        let came_in = s.misses + s.puts;
        let went = s.outstanding
            + s.retained
            + s.rejected
            + s.refused_budget
            + s.dropped_full
            + s.hook_panics
            + s.discarded_unwinding
            + s.detached
            + s.trimmed;
        assert_eq!(came_in, went, "{op:?}: objects unaccounted for: {s:?}");
    }
    for g in held.drain(..) {
        give_back(g, false, &mut seen);
    }
    // Usable after whatever the hooks did.
    let mut g = pool.get();
    g.data.push(1);
    drop(g);
    assert!(pool.get().data.is_empty());
}

/// Mostly small capacities, sometimes one over the maximum (which `build()` refuses).
/// Never a huge valid one: the shared tier is allocated when the pool is built.
fn pool_local(config: &PoolConfig) -> usize {
    config
        .local_capacity
        .map_or(poolkit::pool::DEFAULT_LOCAL_CAPACITY, |c| match c % 7 {
            0 => poolkit::pool::MAX_LOCAL_CAPACITY + 1 + c as usize % 3,
            _ => c as usize % 40,
        })
}

fn pool_shared(config: &PoolConfig) -> usize {
    config
        .shared_capacity
        .map_or(poolkit::pool::DEFAULT_SHARED_CAPACITY, |c| match c % 7 {
            0 => poolkit::pool::MAX_SHARED_CAPACITY + 1 + c as usize % 3,
            1 => 4096,
            _ => c as usize % 300,
        })
}

fn pick<'g, 'a>(held: &'g mut [Guard<'a>], slot: u8) -> Option<&'g mut Guard<'a>> {
    let len = held.len();
    (len > 0).then(|| &mut held[usize::from(slot) % len])
}

fuzz_target!(|input: Input| {
    expected_panic::install();
    match input.inline {
        StackInline::Zero => stack_model::<0>(&input.stack_ops, input.into_vec),
        StackInline::Eight => stack_model::<8>(&input.stack_ops, input.into_vec),
        StackInline::Sixty => stack_model::<60>(&input.stack_ops, input.into_vec),
    }
    pool_model(&input.pool, &input.pool_ops);
});
