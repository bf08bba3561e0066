//! The storage core both cache flavours share: one [`Store`] holds the entries, the hash
//! index, the eviction queues with their frequency sketch, and the timer wheel, and
//! implements every read and write (lookup, insert, replace, refuse, evict, sweep, expire,
//! purge, drain).
//!
//! The core takes no lock, reads no clock and calls no user code other than the key's
//! `Hash`/`Eq`: the time is passed in by the flavour, and removed entries go to a
//! [`Sink`] chosen by the flavour. The flavours are front doors: [`TtlCache`] reads the
//! clock, calls the core and hands the sink to the listener; [`ShardedTtlCache`] reads the
//! clock, locks a shard, calls the core into a bounded buffer, unlocks and flushes it.
//!
//! [`TtlCache`]: crate::cache::TtlCache
//! [`ShardedTtlCache`]: crate::cache::ShardedTtlCache

mod config;
mod eviction;
mod sketch;
mod slab;
mod store;
mod timer_wheel;

pub use config::CacheConfigError;
pub(crate) use config::{Common, Limits};
pub(crate) use slab::NEVER;
pub(crate) use store::{InsertProgress, Inserted, Lookup, Sink, Store, Write, SWEEP_BUDGET};
