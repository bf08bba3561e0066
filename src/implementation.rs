//! How poolkit is built, and why: notes for contributors and for users who
//! want to know what the guarantees rest on. Nothing here is API.
//! Measured numbers live on the benchmark page (`bench/README.md`), each
//! beside the command that produced it; this module states designs and the
//! reasons for them.
//!
//! # `Slots<T>`, guard traits and `#[derive(Reset)]`
//!
//! | file | what |
//! |---|---|
//! | `src/slots.rs` | `Slots<T>`: a `Vec<T>` plus a logical length; the slots past it are reset spares |
//! | `src/pool/guard_traits.rs` | `Display`, comparisons, `Hash`, `Borrow`, `io::Read`/`Write` for the guards |
//! | `derive/` | the `poolkit-derive` proc-macro crate, re-exported under the `derive` feature |
//!
//! `Slots` keeps one invariant: every element at or past `len` has been
//! reset. `truncate` resets from the back and shortens `len` only after
//! each reset returns, so a panicking `reset` leaves the unreset elements
//! inside the list, where the user sees them, never among the spares that a
//! push would hand out; `push_with` counts the new element before the fill
//! closure runs, for the same reason. A clear drops spares past
//! `max_retained`, which is what bounds the list across reuses.
//!
//! The guard traits go through `Deref` only, so they can never observe or
//! touch the pool; they are kept out of `guard.rs` so that the guard's
//! lifecycle (get, drop, detach) reads on its own.
//!
//! The derive emits one `<FieldType as Reset>::reset(&mut self.field)` per
//! field, spanned at the field's type, so a field whose type has no `Reset`
//! impl is reported at that field. It bounds the impl by `FieldType: Reset`
//! only for fields whose type names a type parameter: `T: Reset` on every
//! parameter, as std's derives do, would refuse `Vec<T>` fields of a
//! non-`Reset` `T` and parameters used only in skipped fields. A `value =`
//! expression is passed through as tokens, so `syn` needs no `full` feature
//! and the compiler reports mistakes in the user's expression.
//!
//! # `Pool<T>`
//!
//! ## Layout
//!
//! | file | what |
//! |---|---|
//! | `src/pool/mod.rs` | `Pool`: the get / return paths, `trim`, `stats` |
//! | `src/pool/local.rs` | one thread's cache: a bounded LIFO stack with two-generation aging |
//! | `src/pool/shared.rs` | the shared tier: a depot of magazines (two `crossbeam_queue::ArrayQueue`s, full and spare) plus aging counters |
//! | `src/tiers/memo.rs` | the per-thread memo: `(pool id, cache address)` for the last pools used, so a warm get or return finds its cache with one compare (both pools) |
//! | `src/tiers/exit_watch.rs` | a thread-local destructor that clears the memo and marks the thread as exiting before the `thread_local` crate releases its id (both pools) |
//! | `src/tiers/ownership.rs` | a cache's claim: its thread's, given up at exit so that `trim` on any thread ages the caches of exited threads until a new thread adopts them; the pool's registry of its caches (both pools) |
//! | `src/tiers/loom_models.rs` | loom models of the byte budget's reservation and of the claim's hand-over |
//! | `src/tiers/budget.rs` | the byte budget shared by a pool's threads (both pools) |
//! | `src/pool/guard.rs` | `Pooled` and `OwnedPooled` |
//! | `src/pool/builder.rs` | `PoolBuilder`, `PoolConfigError` |
//! | `src/pool/stats.rs` | single-writer counters, `PoolStats` |
//! | `src/pool/loom_models.rs` | loom models (`--cfg loom`) |
//! | `src/sync.rs` | locks and atomics facade (pool and cache): std, or loom's under `--cfg loom` |
//!
//! ## The fast path
//!
//! `get` finds the calling thread's cache in the thread's memo (one compare
//! of the pool's id; on a miss, `thread_local::ThreadLocal`, one entry per
//! thread per pool, made on the thread's first use), pops a `Box<T>` from
//! its stack and bumps a counter; dropping the guard finds the cache again
//! the same way (the guard may have moved to another thread), runs the
//! reset hook, the optional accept hook, and pushes. Nothing shared is
//! written: no atomic read-modify-write, no lock. The depot is touched
//! only when the thread's cache is empty (get: one magazine comes back) or
//! full (return: half the cache leaves as one magazine), or when the
//! returning thread is exiting.
//!
//! ## Why objects are boxed
//!
//! The first version stored `T` by value. A `Vec<u8>` is 24 bytes; moving it
//! out of the stack on `get` and back on return, every round trip, made the
//! next load of that slot wait on store-to-load forwarding (two 8-byte
//! stores read back by one 16-byte load), and perf showed that load as the
//! hottest instruction. A bare `thread_local!` `RefCell<Vec<Vec<u8>>>` pool
//! has the same problem, and is markedly slower per round trip than the
//! same pool moving a `Box` (one pointer) in the same criterion run (the
//! benchmark page has the figures and the command). The price: `put`
//! of a foreign value allocates its box and `detach` frees it.
//!
//! ## `unsafe`: the memo and the registry
//!
//! The cache is a boxed slice of `Cell<Option<Box<T>>>` plus `Cell`
//! indices: only its owning thread touches it, values move in and out
//! whole, and no reference into it is ever handed out, so user code (hooks,
//! `T::drop`) that re-enters the pool at any point finds nothing borrowed.
//! (A `RefCell` version measured the same, within noise, but needed care
//! never to run user code while borrowed.) Counters are read by other threads for `stats`, so they live
//! in an `Arc<LocalCounters>` registered with the pool rather than in the
//! (non-`Sync`) cache.
//!
//! The guard does not keep a pointer to the cache between get and return:
//! a `'static` guard dropped by a thread-local destructor after the
//! `thread_local` crate released the thread's id could otherwise touch a
//! cache already handed to another thread. A return looks the cache up
//! again and makes one if the thread has none (a consumer thread), except
//! while the thread is exiting: `ThreadLocal::get_or` allocates a thread id,
//! and that panics inside a late thread-local destructor, which aborts the
//! process (`tests/pool_behaviour.rs` has the reproduction). `exit_watch`
//! tells the two apart with a thread-local whose destructor runs before the
//! `thread_local` crate's; an exiting thread sends its returns to the depot
//! and counts them in the pool's own (`fetch_add`) counters.
//!
//! The memo (`src/tiers/memo.rs`) keeps the cache's address, keyed by a pool
//! id that is never reused, and turns it back into a reference: the pool's
//! first `unsafe` block (`Pool::memoized`, and the same in `BufPool`). The
//! exit watch clears the memo before the `thread_local` crate releases the
//! thread's id, so a late destructor's return finds no entry and takes the
//! path above; `tests/pool_thread_memo.rs` pins the destructor order, the
//! late return, a pool rebuilt at the same address and more pools than the
//! memo has entries.
//!
//! The second is the registry (`src/tiers/ownership.rs`): the pool keeps
//! the address of every cache it made, so that `trim` can age the cache of
//! an exited thread from another thread. It dereferences one only while the
//! cache is abandoned and its claim (a mutex) is held: the exiting thread
//! gave it up after its last use, and a thread that takes it over claims it
//! first. `tests/trim_exited_threads.rs` and a loom model check the
//! hand-over.
//!
//! ## Counters
//!
//! Each event is counted on the thread where it happens, in that thread's
//! `LocalCounters`, by a plain atomic load and store (the thread is the
//! only writer). `stats()` sums every thread's counters; derived fields
//! (`gets`, `returns`, `retained`, `outstanding`) are computed from them, so
//! the fast path pays for two counter bumps per round trip, plus two updates
//! of the bytes counter (see below), and nothing else.
//! Bumps are Release stores (plain stores on x86) and `stats` reads each
//! thread's `stored_local` first with Acquire: the hits and trims it reads
//! next are at least as new, so that thread's `stored - hits - trimmed`
//! never exceeds what its cache held at some instant, and `retained` stays
//! within the bound even while threads work (a first version subtracted
//! counters read in the other order and could report 100,000 for a bound
//! of 2).
//! The loom model `loom_counter_single_writer_is_monotonic_for_readers`
//! checks the single-writer protocol.
//!
//! ## Retained bytes and the byte budget
//!
//! The pool stores each object with the heap bytes it reported on return
//! (`Reset::heap_bytes`, measured in the same indirect call as `reset`), so
//! taking it out needs no second measurement. `retained_bytes` is one more
//! single-writer counter per thread: bytes stored minus bytes taken or
//! trimmed by that thread, wrapping (a consumer that only returns and a
//! producer that only takes drift apart in opposite directions); the
//! wrapping sum over all threads is exact once the pool is quiet.
//!
//! The budget reuses `BufPool`'s: a reservation covers every kept object
//! before it is stored and is released only after it has left the pool, so
//! `bytes kept ≤ reserved ≤ limit` at every instant. Each thread keeps the
//! bytes of the objects it takes as credit, and spends credit when it stores
//! one, reserving a chunk (at most 1/16 of the limit) only when short: a
//! warm round trip touches no shared atomic. Objects moved between a thread
//! cache and the shared tier keep their reservation. A trim gives back what
//! it freed and the trimmed thread's credit; a miss gives back credit beyond
//! one chunk. Pools without a budget pay one branch per return and the
//! bytes counter; the common return path (room in the cache, bytes covered)
//! is kept free of the refusal paths, which are out of line.
//!
//! ## Aging
//!
//! A thread's cache is a stack: the bottom holds what was unused longest.
//! It remembers `old`, how many bottom objects were there at the last trim
//! it applied and have not been popped since (a pop below `old` lowers it).
//! Applying one trim frees those `old` objects and makes all survivors old;
//! applying two or more frees everything. The pool only bumps an epoch
//! (`AtomicU64`, Relaxed: it publishes no data, and a thread that uses the
//! pool after `trim` returned sees the new value by coherence); each cache
//! catches up on its next use.
//!
//! The depot's queue of full magazines is FIFO, so takes get the oldest
//! magazines first; at each trim it records its length (the old generation)
//! and the take count, and the next trim frees the objects of the
//! `old - takes since` magazines at the head. A trim racing with takes may
//! free a young magazine instead of an old one, never more than the old
//! generation: the loom model
//! `loom_shared_trim_racing_with_reuse_frees_only_idle_objects` checks it.
//!
//! ## Thread exit
//!
//! `thread_local` does not drop a thread's entry when the thread exits; it
//! recycles the thread's id, and the next thread given that id inherits the
//! entry. So an exited thread's objects are reused by a later thread
//! (`tests/pool_thread_exit.rs`), which also applies the trims it missed.
//! Not done: freeing an *idle* (or exited, not yet replaced) thread's cache
//! from `trim` on another thread. That needs the owner to synchronize with
//! the trimmer on every get and return (an atomic read-modify-write or a
//! fence), which would cost the fast path more than the objects are worth;
//! the bound `local_capacity` per such thread holds meanwhile.
//!
//! # `TtlCache` and `ShardedTtlCache`
//!
//! The [`cache`](crate::cache) module docs describe the design as built:
//! the slab with 48-byte slots (timer data in a parallel array, so a hit
//! reads one slot), the `hashbrown::HashTable<u32>` index reserved at twice
//! the bound (so deleted slots are reclaimed in place instead of growing the
//! table), S3-FIFO's queues behind a TinyLFU admission filter (a count-min
//! sketch of 4-bit counters in 64-byte blocks, halved after ten counted
//! accesses per entry, then every five; an admission window that starts at one entry and adapts by hill
//! climbing on the hit ratio, and a margin of two counts, each chosen on
//! the hit-ratio traces for the reasons given in `cache/core/eviction.rs`;
//! it replaced a ghost table of fingerprints), the five-level
//! timer wheel linked by slab index with at most 8 entries examined per
//! write, and the sharded cache's fixed 16-slot buffer that carries evicted
//! entries past the shard lock to the listener without allocating.
