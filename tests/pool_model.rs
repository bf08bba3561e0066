//! Model-based test of `Pool<T>`: random sequences of get, return (on the
//! owning thread or another one), detach, put, trim and thread exits, run on
//! real worker threads and checked after every step against a model.
//!
//! The sequence is deterministic: the test thread sends each operation to one
//! worker and waits for its reply before the next, so the pool sees one
//! operation at a time, but each on a real OS thread with its own cache.
//!
//! On every get it checks, and after every operation it checks the rest:
//!
//! - **Exclusive**: an object handed out is held by no other guard and is not
//!   a detached object (no object is out twice at once).
//! - **Clean**: every object handed out is fresh or was reset since its last
//!   use, exactly once per return or `put` (the object counts its resets).
//! - **Tiers**: a get takes from the thread's cache first (its most recent
//!   object, LIFO), else from the shared queue, else from the factory; a
//!   return goes to the thread's cache, else the shared queue, else is
//!   dropped; `accept` refusals are dropped. A cache made by a return holds
//!   one batch before it hands a batch over, until its thread's first get
//!   that misses it.
//! - **Aging**: the exact set of objects alive (not yet dropped) is the
//!   model's, so trim frees exactly the objects not taken between two
//!   consecutive trims (the calling thread's cache and the shared queue at
//!   once, other threads' caches at their next use), and nothing else.
//! - **Bounds**: retained <= threads that used the pool × local capacity +
//!   shared capacity.
//! - **Stats**: every field equals the model's count, and the documented
//!   identities hold (`gets`, `returns`, `outstanding`, `misses` == factory
//!   calls, alive objects == retained + outstanding + detached).
//!
//! A thread exit replaces a worker by a new thread, which inherits the exited
//! thread's cache (the `thread_local` crate hands a freed thread id, smallest
//! first, to the next thread that asks). Until the new thread uses the pool,
//! the cache is abandoned, and every trim (on any thread) ages it. This binary holds this one test so
//! that no other test's threads take thread ids meanwhile.
//!
//! At the end every guard is returned, each worker trims twice (everything
//! must be freed: `retained == 0`), and once the pool and the detached
//! objects are dropped, every object ever made was dropped exactly once.

use std::collections::BTreeSet;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};

use poolkit::{OwnedPooled, Pool, PoolStats, Reset};
use proptest::prelude::*;
use proptest::sample::Index;
use thread_local::ThreadLocal;

/// Worker threads, each with its own cache.
const WORKERS: usize = 3;
/// `accept` refuses an object handed out this many times ("worn out").
const MAX_WEAR: u32 = 3;

// ---------------------------------------------------------------------------
// The pooled object and the registry of every object made and dropped.

#[derive(Default)]
struct Registry {
    next_id: u64,
    factory_calls: u64,
    dropped: BTreeSet<u64>,
    dropped_twice: Vec<u64>,
}

type SharedRegistry = Arc<Mutex<Registry>>;

fn lock(registry: &SharedRegistry) -> MutexGuard<'_, Registry> {
    registry.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Obj {
    id: u64,
    /// Set by every user, cleared by reset.
    dirty: bool,
    /// How many times it was handed out; reset keeps it (like a buffer's
    /// capacity), `accept` refuses worn-out objects.
    wear: u32,
    /// How many times reset ran on it.
    resets: u32,
    registry: SharedRegistry,
}

impl Obj {
    fn new(registry: &SharedRegistry, from_factory: bool) -> Obj {
        let mut r = lock(registry);
        let id = r.next_id;
        r.next_id += 1;
        if from_factory {
            r.factory_calls += 1;
        }
        drop(r);
        Obj {
            id,
            // An object made outside the pool and `put` was used: dirty.
            dirty: !from_factory,
            wear: 0,
            resets: 0,
            registry: Arc::clone(registry),
        }
    }
}

impl Reset for Obj {
    fn reset(&mut self) {
        self.dirty = false;
        self.resets += 1;
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        let mut r = lock(&self.registry);
        if !r.dropped.insert(self.id) {
            r.dropped_twice.push(self.id);
        }
    }
}

fn new_pool(local: usize, shared: usize, registry: &SharedRegistry) -> Arc<Pool<Obj>> {
    let factory_registry = Arc::clone(registry);
    Arc::new(
        Pool::builder(move || Obj::new(&factory_registry, true))
            .accept(|o| o.wear < MAX_WEAR)
            .local_capacity(local)
            .shared_capacity(shared)
            .build()
            .expect("valid configuration"),
    )
}

// ---------------------------------------------------------------------------
// Worker threads.

enum Cmd {
    Get,
    /// Drop the guard at this index (a return on this thread).
    Return(usize),
    /// Hand the guard at this index to the test thread (to move it).
    Take(usize),
    /// Hold this guard from now on.
    Give(OwnedPooled<Obj>),
    Detach(usize),
    Put(Obj),
    Trim,
    /// Return every held guard, in order, and exit.
    Exit,
}

/// What a get handed out, as seen before the worker uses it.
#[derive(Debug)]
struct Seen {
    id: u64,
    dirty: bool,
    wear: u32,
    resets: u32,
}

enum Reply {
    Ready,
    Got(Seen),
    /// The id of the guard returned or given.
    Id(u64),
    Guard(OwnedPooled<Obj>),
    Detached(Obj),
    Trimmed(usize),
}

fn worker_main(pool: Arc<Pool<Obj>>, cmds: Receiver<Cmd>, replies: Sender<Reply>) {
    // Take a `thread_local` thread id now, before the test thread goes on,
    // so that a replacement worker takes the id its predecessor freed.
    let claim = ThreadLocal::new();
    claim.get_or(|| ());
    drop(claim);
    let _ = replies.send(Reply::Ready);
    let mut held: Vec<OwnedPooled<Obj>> = Vec::new();
    while let Ok(cmd) = cmds.recv() {
        let reply = match cmd {
            Cmd::Get => {
                let mut guard = pool.get_owned();
                let seen = Seen {
                    id: guard.id,
                    dirty: guard.dirty,
                    wear: guard.wear,
                    resets: guard.resets,
                };
                guard.dirty = true;
                guard.wear += 1;
                held.push(guard);
                Reply::Got(seen)
            }
            Cmd::Return(i) => {
                let guard = held.remove(i);
                let id = guard.id;
                drop(guard);
                Reply::Id(id)
            }
            Cmd::Take(i) => Reply::Guard(held.remove(i)),
            Cmd::Give(guard) => {
                let id = guard.id;
                held.push(guard);
                Reply::Id(id)
            }
            Cmd::Detach(i) => Reply::Detached(OwnedPooled::detach(held.remove(i))),
            Cmd::Put(obj) => {
                let id = obj.id;
                pool.put(obj);
                Reply::Id(id)
            }
            Cmd::Trim => Reply::Trimmed(pool.trim()),
            Cmd::Exit => break,
        };
        if replies.send(reply).is_err() {
            break;
        }
    }
    // Front to back, as the model returns them.
    for guard in held.drain(..) {
        drop(guard);
    }
}

struct Worker {
    cmds: Option<Sender<Cmd>>,
    replies: Receiver<Reply>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn(pool: &Arc<Pool<Obj>>) -> Worker {
        let (cmd_tx, cmd_rx) = channel();
        let (reply_tx, reply_rx) = channel();
        let pool = Arc::clone(pool);
        let handle = thread::spawn(move || worker_main(pool, cmd_rx, reply_tx));
        let worker = Worker {
            cmds: Some(cmd_tx),
            replies: reply_rx,
            handle: Some(handle),
        };
        assert!(matches!(worker.replies.recv(), Ok(Reply::Ready)));
        worker
    }

    fn call(&mut self, cmd: Cmd) -> Reply {
        let sent = self.cmds.as_ref().expect("worker running").send(cmd);
        match sent.ok().and_then(|()| self.replies.recv().ok()) {
            Some(reply) => reply,
            // The worker died: a panic in the pool on that thread. Report it.
            None => {
                self.join();
                panic!("worker thread exited without replying");
            }
        }
    }

    /// Waits for the thread to end and re-raises its panic, if any.
    fn join(&mut self) {
        if let Some(handle) = self.handle.take() {
            // The thread's TLS destructors (which free its thread id) have
            // run once `join` returns.
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }

    fn exit(&mut self) {
        if let Some(cmds) = self.cmds.take() {
            let _ = cmds.send(Cmd::Exit);
        }
        self.join();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Also reached while a failed case unwinds: stop quietly.
        drop(self.cmds.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

// ---------------------------------------------------------------------------
// The model.

/// One thread cache: objects (bottom to top) with their generation.
#[derive(Debug, Default)]
struct Cache {
    /// `(id, old)`: `old` means kept since the last trim this cache applied
    /// and not taken since.
    items: Vec<(u64, bool)>,
    /// The trim epoch this cache has applied.
    seen_epoch: u64,
    /// Objects returns may leave here before a batch moves to the shared
    /// tier: one batch while the cache's thread (or threads: a cache is
    /// inherited) only returned objects, the whole cache after a get missed.
    limit: usize,
    /// Its thread exited and no thread used the pool on that id since:
    /// every trim ages it, as its owner would have at its next use.
    abandoned: bool,
}

/// The counters the pool's stats must match.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    gets: u64,
    local_hits: u64,
    shared_hits: u64,
    misses: u64,
    returns: u64,
    puts: u64,
    stored_local: u64,
    stored_shared: u64,
    rejected: u64,
    dropped_full: u64,
    detached: u64,
    trimmed: u64,
    retained: u64,
    outstanding: u64,
}

impl Counts {
    fn of(s: &PoolStats) -> Counts {
        Counts {
            gets: s.gets,
            local_hits: s.local_hits,
            shared_hits: s.shared_hits,
            misses: s.misses,
            returns: s.returns,
            puts: s.puts,
            stored_local: s.stored_local,
            stored_shared: s.stored_shared,
            rejected: s.rejected,
            dropped_full: s.dropped_full,
            detached: s.detached,
            trimmed: s.trimmed,
            retained: s.retained,
            outstanding: s.outstanding,
        }
    }
}

/// A batch of objects in the shared tier.
#[derive(Debug)]
struct Magazine {
    index: usize,
    /// Bottom to top.
    items: Vec<u64>,
    /// Kept since the last trim and not taken since.
    old: bool,
}

#[derive(Debug)]
struct Model {
    local_capacity: usize,
    shared_capacity: usize,
    /// Trims so far.
    epoch: u64,
    /// Per worker slot: a replacement thread inherits its predecessor's
    /// cache. `None` until a thread in that slot uses the pool.
    caches: Vec<Option<Cache>>,
    /// The shared tier's magazines holding objects, head (oldest) first.
    shared: Vec<Magazine>,
    /// The spare (empty) magazines, by index, head first.
    spare: Vec<usize>,
    /// Each magazine's capacity, by index.
    magazine_capacity: Vec<usize>,
    /// Ids of the guards each worker holds, in the worker's order.
    held: Vec<Vec<u64>>,
    /// Ids of the detached objects the test thread holds, in its order.
    detached: Vec<u64>,
    /// Per id: times handed out, times reset.
    wear: Vec<u32>,
    resets: Vec<u32>,
    counts: Counts,
}

impl Model {
    fn new(local_capacity: usize, shared_capacity: usize) -> Model {
        // Magazines of half a thread cache (at least 1); the last one holds
        // what is left of `shared_capacity`.
        let batch = (local_capacity / 2).max(1);
        let magazine_capacity: Vec<usize> = (0..shared_capacity.div_ceil(batch))
            .map(|i| batch.min(shared_capacity - i * batch))
            .collect();
        Model {
            local_capacity,
            shared_capacity,
            epoch: 0,
            caches: (0..WORKERS).map(|_| None).collect(),
            shared: Vec::new(),
            spare: (0..magazine_capacity.len()).collect(),
            magazine_capacity,
            held: vec![Vec::new(); WORKERS],
            detached: Vec::new(),
            wear: Vec::new(),
            resets: Vec::new(),
            counts: Counts::default(),
        }
    }

    /// A new object id (from the factory or made outside the pool).
    fn make(&mut self) -> u64 {
        self.wear.push(0);
        self.resets.push(0);
        self.wear.len() as u64 - 1
    }

    /// Thread `t`'s cache (it has one).
    fn cache(&mut self, t: usize) -> &mut Cache {
        self.caches[t].as_mut().expect("the thread has a cache")
    }

    /// Thread `t`'s cache, made on its first use of the pool: by a get, or
    /// (`by_return`) by a return, which makes it with a limit of one batch.
    fn cache_made_by(&mut self, t: usize, by_return: bool) -> &mut Cache {
        let epoch = self.epoch;
        let local_capacity = self.local_capacity;
        let limit = if by_return {
            self.batch().min(local_capacity)
        } else {
            local_capacity
        };
        self.adopt(t);
        self.caches[t].get_or_insert_with(|| Cache {
            items: Vec::new(),
            seen_epoch: epoch,
            limit,
            abandoned: false,
        })
    }

    /// Thread `t` uses the pool: it takes over the cache its id inherited,
    /// if that cache was abandoned.
    fn adopt(&mut self, t: usize) {
        if let Some(cache) = self.caches[t].as_mut() {
            cache.abandoned = false;
        }
    }

    /// Objects per batch: half a thread cache, at least one.
    fn batch(&self) -> usize {
        (self.local_capacity / 2).max(1)
    }

    /// Thread `t` applies the trims it missed. Returns how many it freed.
    fn catch_up(&mut self, t: usize) -> usize {
        let epoch = self.epoch;
        let Some(cache) = self.caches[t].as_mut() else {
            return 0;
        };
        let missed = epoch - cache.seen_epoch;
        cache.seen_epoch = epoch;
        let before = cache.items.len();
        match missed {
            0 => {}
            1 => {
                cache.items.retain(|&(_, old)| !old);
                cache.items.iter_mut().for_each(|(_, old)| *old = true);
            }
            _ => cache.items.clear(),
        }
        let freed = before - cache.items.len();
        self.counts.trimmed += freed as u64;
        freed
    }

    fn is_out(&self, id: u64) -> bool {
        self.held.iter().flatten().any(|&h| h == id) || self.detached.contains(&id)
    }

    fn get(&mut self, t: usize, seen: &Seen) {
        assert!(
            !self.is_out(seen.id),
            "object {} handed out while already out",
            seen.id
        );
        assert!(!seen.dirty, "object {} handed out dirty", seen.id);
        self.cache_made_by(t, false);
        self.catch_up(t);
        if let Some((top, _)) = self.cache(t).items.pop() {
            assert_eq!(
                seen.id, top,
                "a get takes the thread cache's most recent object"
            );
            self.counts.local_hits += 1;
        } else if !self.shared.is_empty() {
            // A miss in the cache: from now on returns may fill all of it.
            self.cache(t).limit = self.local_capacity;
            // The oldest magazine: its top object is handed out, the rest
            // fill the (empty) cache in order, the magazine becomes spare.
            let mut magazine = self.shared.remove(0);
            let top = magazine.items.pop();
            assert_eq!(
                Some(seen.id),
                top,
                "the thread cache is empty: a get takes the top of the oldest batch {magazine:?}"
            );
            let refill = magazine.items.iter().map(|&id| (id, false));
            self.cache(t).items.extend(refill);
            self.spare.push(magazine.index);
            self.counts.shared_hits += 1;
        } else {
            self.cache(t).limit = self.local_capacity;
            let id = self.make();
            assert_eq!(seen.id, id, "both tiers are empty: the factory runs");
            self.counts.misses += 1;
        }
        let id = seen.id as usize;
        assert_eq!(
            seen.resets, self.resets[id],
            "object {id} was not reset exactly once per return"
        );
        assert_eq!(seen.wear, self.wear[id]);
        self.wear[id] += 1;
        self.held[t].push(seen.id);
        self.counts.gets += 1;
    }

    /// Object `id` comes back on thread `t` (a guard dropped or a `put`).
    fn give_back(&mut self, t: usize, id: u64, put: bool) {
        // A return makes the thread's cache if it has none yet.
        self.cache_made_by(t, true);
        self.counts.returns += 1;
        if put {
            self.counts.puts += 1;
        }
        self.resets[id as usize] += 1;
        if self.wear[id as usize] >= MAX_WEAR {
            // A refused return is a use too: it applies missed trims.
            self.catch_up(t);
            self.counts.rejected += 1;
            return;
        }
        self.catch_up(t);
        let local_capacity = self.local_capacity;
        let limit = self.cache(t).limit;
        if self.cache(t).items.len() < limit {
            self.cache(t).items.push((id, false));
            self.counts.stored_local += 1;
        } else if !self.spare.is_empty() {
            // The cache is full: its top moves to the shared tier as one
            // batch, as much as the next spare magazine holds, and the
            // object takes its place (or, with no cache room at all, travels
            // alone).
            let index = self.spare.remove(0);
            let room = self.magazine_capacity[index];
            let cache = self.cache(t);
            let start = cache.items.len() - room.min(cache.items.len());
            let mut items: Vec<u64> = cache.items.drain(start..).map(|(id, _)| id).collect();
            if cache.items.len() < local_capacity {
                cache.items.push((id, false));
                self.counts.stored_local += 1;
            } else {
                items.push(id);
                self.counts.stored_shared += 1;
            }
            self.shared.push(Magazine {
                index,
                items,
                old: false,
            });
        } else if self.cache(t).items.len() < local_capacity {
            // The depot is full, but a cache held to one batch has room.
            self.cache(t).items.push((id, false));
            self.counts.stored_local += 1;
        } else {
            self.counts.dropped_full += 1;
        }
    }

    fn trim(&mut self, t: usize) -> usize {
        self.epoch += 1;
        // The old magazines are at the head; their objects are freed and
        // they become spare, in order.
        let old = self.shared.iter().take_while(|m| m.old).count();
        let mut freed = 0;
        for magazine in self.shared.drain(..old) {
            freed += magazine.items.len();
            self.spare.push(magazine.index);
        }
        self.shared.iter_mut().for_each(|m| m.old = true);
        self.counts.trimmed += freed as u64;
        // Trim does not make the calling thread's cache, but takes over one
        // its id inherited.
        self.adopt(t);
        freed += self.catch_up(t);
        // The caches of exited threads not adopted yet age too.
        for other in 0..WORKERS {
            if self.caches[other].as_ref().is_some_and(|c| c.abandoned) {
                freed += self.catch_up(other);
            }
        }
        freed
    }

    /// Every object the model says is alive.
    fn alive(&self) -> BTreeSet<u64> {
        let cached = self.caches.iter().flatten().flat_map(|c| &c.items);
        cached
            .map(|&(id, _)| id)
            .chain(self.shared.iter().flat_map(|m| m.items.iter().copied()))
            .chain(self.held.iter().flatten().copied())
            .chain(self.detached.iter().copied())
            .collect()
    }

    fn expected_counts(&self) -> Counts {
        let cached: usize = self.caches.iter().flatten().map(|c| c.items.len()).sum();
        let shared: usize = self.shared.iter().map(|m| m.items.len()).sum();
        Counts {
            retained: (cached + shared) as u64,
            outstanding: self.held.iter().map(Vec::len).sum::<usize>() as u64,
            ..self.counts
        }
    }
}

// ---------------------------------------------------------------------------
// Operations.

#[derive(Debug, Clone)]
enum Op {
    /// Thread `t` gets an object and uses it (it becomes dirty).
    Get(usize),
    /// Thread `t` drops one of its guards: the object returns on `t`.
    Return(usize, Index),
    /// One of `from`'s guards moves to `to`, to be returned or detached there.
    Move(usize, usize, Index),
    /// Thread `t` detaches one of its guards; the object is kept aside.
    Detach(usize, Index),
    /// Thread `t` puts a detached object back (`Some`, if any is aside), or
    /// a used object made outside the pool (`None`).
    Put(usize, Option<Index>),
    /// Thread `t` trims the pool.
    Trim(usize),
    /// Thread `t` returns its guards and exits; a new thread takes its place.
    Exit(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let t = || 0..WORKERS;
    prop_oneof![
        6 => t().prop_map(Op::Get),
        4 => (t(), any::<Index>()).prop_map(|(t, i)| Op::Return(t, i)),
        2 => (t(), t(), any::<Index>()).prop_map(|(from, to, i)| Op::Move(from, to, i)),
        1 => (t(), any::<Index>()).prop_map(|(t, i)| Op::Detach(t, i)),
        2 => (t(), proptest::option::of(any::<Index>())).prop_map(|(t, i)| Op::Put(t, i)),
        3 => t().prop_map(Op::Trim),
        1 => t().prop_map(Op::Exit),
    ]
}

fn capacities() -> impl Strategy<Value = (usize, usize)> {
    (0..7usize, 0..7usize).prop_filter("a pool must be able to keep an object", |&(l, s)| l + s > 0)
}

// ---------------------------------------------------------------------------
// Running a sequence against the pool and the model.

struct Run {
    registry: SharedRegistry,
    pool: Arc<Pool<Obj>>,
    workers: Vec<Worker>,
    /// Detached objects, in the model's `detached` order.
    detached: Vec<Obj>,
    model: Model,
}

impl Run {
    fn new(local: usize, shared: usize) -> Run {
        let registry = SharedRegistry::default();
        let pool = new_pool(local, shared, &registry);
        let workers = (0..WORKERS).map(|_| Worker::spawn(&pool)).collect();
        Run {
            registry,
            pool,
            workers,
            detached: Vec::new(),
            model: Model::new(local, shared),
        }
    }

    fn returned_id(reply: Reply) -> u64 {
        match reply {
            Reply::Id(id) => id,
            _ => panic!("unexpected reply"),
        }
    }

    /// Thread `t` drops its guard at index `i`.
    fn return_at(&mut self, t: usize, i: usize) {
        let id = self.model.held[t].remove(i);
        assert_eq!(Self::returned_id(self.workers[t].call(Cmd::Return(i))), id);
        self.model.give_back(t, id, false);
    }

    fn apply(&mut self, op: &Op) {
        let model = &mut self.model;
        match *op {
            Op::Get(t) => match self.workers[t].call(Cmd::Get) {
                Reply::Got(seen) => model.get(t, &seen),
                _ => panic!("unexpected reply"),
            },
            Op::Return(t, i) => {
                if model.held[t].is_empty() {
                    return;
                }
                let i = i.index(model.held[t].len());
                self.return_at(t, i);
            }
            Op::Move(from, to, i) => {
                if model.held[from].is_empty() || from == to {
                    return;
                }
                let i = i.index(model.held[from].len());
                let id = model.held[from].remove(i);
                let Reply::Guard(guard) = self.workers[from].call(Cmd::Take(i)) else {
                    panic!("unexpected reply");
                };
                assert_eq!(
                    Self::returned_id(self.workers[to].call(Cmd::Give(guard))),
                    id
                );
                model.held[to].push(id);
            }
            Op::Detach(t, i) => {
                if model.held[t].is_empty() {
                    return;
                }
                let i = i.index(model.held[t].len());
                let id = model.held[t].remove(i);
                let Reply::Detached(obj) = self.workers[t].call(Cmd::Detach(i)) else {
                    panic!("unexpected reply");
                };
                assert_eq!(obj.id, id);
                assert!(obj.dirty, "detach hands the object over as used, not reset");
                model.counts.detached += 1;
                model.adopt(t);
                model.detached.push(id);
                self.detached.push(obj);
            }
            Op::Put(t, i) => {
                let obj = match i {
                    Some(i) if !self.detached.is_empty() => {
                        let i = i.index(self.detached.len());
                        model.detached.remove(i);
                        self.detached.remove(i)
                    }
                    _ => {
                        let obj = Obj::new(&self.registry, false);
                        assert_eq!(obj.id, model.make());
                        obj
                    }
                };
                let id = obj.id;
                assert_eq!(Self::returned_id(self.workers[t].call(Cmd::Put(obj))), id);
                model.give_back(t, id, true);
            }
            Op::Trim(t) => {
                let Reply::Trimmed(freed) = self.workers[t].call(Cmd::Trim) else {
                    panic!("unexpected reply");
                };
                assert_eq!(freed, model.trim(t), "objects freed by this trim");
            }
            Op::Exit(t) => {
                self.workers[t].exit();
                for id in std::mem::take(&mut model.held[t]) {
                    model.give_back(t, id, false);
                }
                // The exiting thread gives its cache up: trims reach it.
                if let Some(cache) = model.caches[t].as_mut() {
                    cache.abandoned = true;
                }
                self.workers[t] = Worker::spawn(&self.pool);
            }
        }
    }

    /// Compares the pool with the model and checks the invariants that need
    /// no model.
    fn check(&self) {
        let s = self.pool.stats();
        let model = &self.model;

        // Identities.
        assert_eq!(s.gets, s.local_hits + s.shared_hits + s.misses, "{s:?}");
        assert_eq!(s.hits, s.local_hits + s.shared_hits, "{s:?}");
        assert_eq!(
            s.returns,
            s.stored_local
                + s.stored_shared
                + s.rejected
                + s.refused_budget
                + s.dropped_full
                + s.hook_panics,
            "{s:?}"
        );
        assert_eq!((s.hook_panics, s.discarded_unwinding), (0, 0), "{s:?}");
        let held: usize = model.held.iter().map(Vec::len).sum();
        assert_eq!(s.outstanding, held as u64, "outstanding == guards alive");

        // Bounds.
        // The pool's own count of thread caches: a thread that inherited an
        // exited thread's cache must not have made a new one.
        let threads_used = model.caches.iter().flatten().count();
        assert_eq!(s.thread_caches, threads_used as u64, "thread caches: {s:?}");
        let bound = s.thread_caches as usize * model.local_capacity + model.shared_capacity;
        assert!(s.retained <= bound as u64, "retained above {bound}: {s:?}");

        // Objects alive.
        let registry = lock(&self.registry);
        assert!(
            registry.dropped_twice.is_empty(),
            "dropped twice: {:?}",
            registry.dropped_twice
        );
        assert_eq!(s.misses, registry.factory_calls, "misses == factory calls");
        let alive: BTreeSet<u64> = (0..registry.next_id)
            .filter(|id| !registry.dropped.contains(id))
            .collect();
        drop(registry);
        assert_eq!(
            alive.len() as u64,
            s.retained + s.outstanding + self.detached.len() as u64,
            "alive == retained + outstanding + detached: {s:?}"
        );

        // The model.
        assert_eq!(alive, model.alive(), "objects alive vs the model {model:?}");
        assert_eq!(
            Counts::of(&s),
            model.expected_counts(),
            "stats vs the model"
        );
    }

    /// Returns every guard, trims twice on every worker, drops everything,
    /// and checks that every object was dropped exactly once.
    fn finish(mut self) {
        for t in 0..WORKERS {
            while !self.model.held[t].is_empty() {
                self.return_at(t, 0);
                self.check();
            }
        }
        assert_eq!(self.pool.stats().outstanding, 0);
        for t in 0..WORKERS {
            // Two trims with no use in between free everything this thread's
            // cache and the shared queue keep.
            self.apply(&Op::Trim(t));
            self.apply(&Op::Trim(t));
            self.check();
            let cache = self.model.caches[t].as_ref().map_or(0, |c| c.items.len());
            assert_eq!((cache, self.model.shared.len()), (0, 0));
        }
        let s = self.pool.stats();
        assert_eq!(s.retained, 0, "two trims on every thread free everything");
        let made = lock(&self.registry).next_id;
        let kept: BTreeSet<u64> = self.detached.iter().map(|o| o.id).collect();
        let dropped = lock(&self.registry).dropped.clone();
        assert_eq!(
            dropped.len() as u64 + kept.len() as u64,
            made,
            "only detached objects survive"
        );
        assert!(dropped.is_disjoint(&kept));

        let Run {
            registry,
            pool,
            workers,
            detached,
            ..
        } = self;
        drop(workers);
        drop(pool);
        drop(detached);
        let r = lock(&registry);
        assert!(r.dropped_twice.is_empty(), "{:?}", r.dropped_twice);
        assert_eq!(r.dropped.len() as u64, r.next_id, "every object dropped");
    }
}

proptest! {
    // 256 cases (proptest's default; `PROPTEST_CASES` overrides it).
    #[test]
    fn pool_matches_model(
        (local, shared) in capacities(),
        ops in prop::collection::vec(op(), 0..60),
    ) {
        let mut run = Run::new(local, shared);
        run.check();
        for op in &ops {
            run.apply(op);
            run.check();
        }
        run.finish();
    }
}
