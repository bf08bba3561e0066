//! [`PoolBuilder`] and the configuration errors it reports.

use std::fmt;

use super::Pool;
use crate::Reset;

/// Default for [`PoolBuilder::local_capacity`].
pub const DEFAULT_LOCAL_CAPACITY: usize = 16;
/// Default for [`PoolBuilder::shared_capacity`].
pub const DEFAULT_SHARED_CAPACITY: usize = 128;
/// The largest accepted [`PoolBuilder::local_capacity`]: each thread that
/// uses a pool reserves room for this many objects up front.
pub const MAX_LOCAL_CAPACITY: usize = 1 << 16;
/// The largest accepted [`PoolBuilder::shared_capacity`]: the depot
/// reserves all its slots up front.
pub const MAX_SHARED_CAPACITY: usize = 1 << 24;

pub(crate) type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;

/// How returned objects are reset: the [`Reset`] impl (through one plain
/// function that also measures [`Reset::heap_bytes`], so a return makes one
/// indirect call, not two) or the user's closure.
pub(crate) enum ResetHook<T> {
    Trait(fn(&mut T) -> usize),
    Closure(Box<dyn Fn(&mut T) + Send + Sync>),
}

impl<T> ResetHook<T> {
    /// Resets `value`; returns its heap bytes if this hook measured them.
    #[inline]
    pub(crate) fn run(&self, value: &mut T) -> Option<usize> {
        match self {
            ResetHook::Trait(reset) => Some(reset(value)),
            ResetHook::Closure(reset) => {
                reset(value);
                None
            }
        }
    }
}

/// [`Reset::reset`], then [`Reset::heap_bytes`].
fn reset_and_measure<T: Reset>(value: &mut T) -> usize {
    value.reset();
    value.heap_bytes()
}
pub(crate) type AcceptHook<T> = Box<dyn Fn(&T) -> bool + Send + Sync>;

/// How a returned object's heap bytes are measured: not at all (0), the
/// [`Reset::heap_bytes`] impl, or the user's closure.
pub(crate) enum BytesHook<T> {
    Zero,
    Function(fn(&T) -> usize),
    Closure(Box<dyn Fn(&T) -> usize + Send + Sync>),
}

impl<T> BytesHook<T> {
    /// The heap bytes of `value`, reset just now; `measured` is what the
    /// reset hook measured, if it did (the [`Reset`] impl's answer, used
    /// unless the user gave a closure).
    #[inline]
    pub(crate) fn run(&self, value: &T, measured: Option<usize>) -> usize {
        match (self, measured) {
            (BytesHook::Zero, _) => 0,
            (BytesHook::Function(_), Some(bytes)) => bytes,
            (BytesHook::Function(bytes), None) => bytes(value),
            (BytesHook::Closure(bytes), _) => bytes(value),
        }
    }
}

/// Everything `build` hands to the pool.
pub(crate) struct PoolParts<T> {
    pub(crate) factory: Factory<T>,
    pub(crate) reset: ResetHook<T>,
    pub(crate) accept: Option<AcceptHook<T>>,
    pub(crate) heap_bytes: BytesHook<T>,
    pub(crate) local_capacity: usize,
    pub(crate) shared_capacity: usize,
    pub(crate) max_retained_bytes: Option<usize>,
}

/// Configures a [`Pool`]: hooks and capacities. Made by [`Pool::builder`] or
/// [`Pool::builder_with_reset`]; [`build`](Self::build) checks the
/// configuration.
///
/// # Examples
///
/// ```
/// use poolkit::Pool;
///
/// // Pool 4 KiB buffers, but refuse any that grew past 64 KiB on return,
/// // so one huge request cannot pin a huge buffer forever.
/// let pool = Pool::builder(|| Vec::<u8>::with_capacity(4096))
///     .accept(|buf| buf.capacity() <= 64 * 1024)
///     .local_capacity(8)
///     .shared_capacity(64)
///     .build()
///     .expect("valid configuration");
///
/// let mut buf = pool.get();
/// buf.resize(1 << 20, 0); // grows to 1 MiB
/// drop(buf);              // refused by `accept`: freed, not kept
/// assert_eq!(pool.stats().rejected, 1);
/// assert_eq!(pool.stats().retained, 0);
///
/// // A bad configuration is an error that names the field.
/// let err = Pool::builder(Vec::<u8>::new).local_capacity(usize::MAX).build().unwrap_err();
/// assert_eq!(err.field(), "local_capacity");
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder<T> {
    factory: Factory<T>,
    reset: ResetHook<T>,
    accept: Option<AcceptHook<T>>,
    heap_bytes: BytesHook<T>,
    local_capacity: usize,
    shared_capacity: usize,
    max_retained_bytes: Option<usize>,
}

impl<T: Send> PoolBuilder<T> {
    pub(crate) fn new(factory: Factory<T>, reset: ResetHook<T>) -> Self {
        PoolBuilder {
            factory,
            reset,
            accept: None,
            heap_bytes: BytesHook::Zero,
            local_capacity: DEFAULT_LOCAL_CAPACITY,
            shared_capacity: DEFAULT_SHARED_CAPACITY,
            max_retained_bytes: None,
        }
    }

    /// Replaces the reset hook (by default [`Reset::reset`]). It runs on every
    /// returned object, before `accept`, on the returning thread, outside any
    /// lock; it may use the pool. If it panics, that one object is dropped and
    /// the panic continues; the pool stays usable.
    pub fn reset(mut self, reset: impl Fn(&mut T) + Send + Sync + 'static) -> Self {
        self.reset = ResetHook::Closure(Box::new(reset));
        self
    }

    /// Sets a predicate run on every returned object after reset: `false`
    /// drops the object instead of keeping it. Use it to refuse buffers that
    /// grew too large (a pool that keeps them pins their memory forever).
    /// Same rules as `reset`: outside any lock, may use the pool, a panic
    /// loses that one object.
    pub fn accept(mut self, accept: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.accept = Some(Box::new(accept));
        self
    }

    /// How many objects each thread may keep for itself (default
    /// [`DEFAULT_LOCAL_CAPACITY`], at most [`MAX_LOCAL_CAPACITY`]). 0 sends
    /// every return to the depot.
    pub fn local_capacity(mut self, capacity: usize) -> Self {
        self.local_capacity = capacity;
        self
    }

    /// How many objects the depot keeps for all threads (default
    /// [`DEFAULT_SHARED_CAPACITY`], at most [`MAX_SHARED_CAPACITY`]). It takes
    /// returns that overflow a thread's cache and serves gets that miss it.
    ///
    /// # Sizing for pipelines
    ///
    /// When objects are taken on one thread and dropped on another (a
    /// producer sending buffers down a channel to a writer thread), every
    /// object the consumer returns travels through this queue back to the
    /// producer. If more objects are in flight between the threads than the
    /// consumer's cache plus this queue can hold, the surplus returns are
    /// dropped and the producer allocates new ones: count them in
    /// [`PoolStats::dropped_full`](crate::PoolStats::dropped_full). Set
    /// `shared_capacity` to at least the most objects in flight at once
    /// (a bounded channel's capacity plus what each end holds), so that
    /// `dropped_full` stays 0.
    ///
    /// ```
    /// use poolkit::Pool;
    /// use std::sync::mpsc;
    ///
    /// const IN_FLIGHT: usize = 300;
    /// let pool = Pool::builder(|| Vec::<u8>::with_capacity(1024))
    ///     .shared_capacity(IN_FLIGHT)
    ///     .build()
    ///     .unwrap();
    /// let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| for buf in rx { drop(buf) }); // the writer: returns only
    ///     for _ in 0..IN_FLIGHT {
    ///         tx.send(pool.get()).unwrap();
    ///     }
    ///     drop(tx);
    /// });
    /// assert_eq!(pool.stats().dropped_full, 0);
    /// ```
    pub fn shared_capacity(mut self, capacity: usize) -> Self {
        self.shared_capacity = capacity;
        self
    }

    /// Caps the heap bytes the pool keeps, over all threads and the shared
    /// queue, as measured by [`Reset::heap_bytes`] (or the
    /// [`heap_bytes`](Self::heap_bytes) hook): a return that would take the
    /// pool past `limit` is dropped and counted in
    /// [`PoolStats::refused_budget`](crate::PoolStats::refused_budget). By
    /// default there is no byte cap, only the object count bound.
    ///
    /// Objects that report 0 bytes are never refused. Each thread reserves
    /// budget in chunks of at most 1/16 of `limit`, so a warm get and return
    /// touch no shared counter; budget reserved by a thread but unused is
    /// returned when that thread's cache is trimmed, and the part beyond
    /// one chunk at its next miss.
    ///
    /// ```
    /// use poolkit::Pool;
    ///
    /// let pool = Pool::builder(Vec::<u8>::new)
    ///     .max_retained_bytes(1 << 20) // 1 MiB for all threads
    ///     .build()
    ///     .unwrap();
    /// let mut big = pool.get();
    /// big.reserve_exact(4 << 20); // this one grew to 4 MiB
    /// drop(big); // dropped, not kept
    /// let stats = pool.stats();
    /// assert_eq!((stats.refused_budget, stats.retained, stats.retained_bytes), (1, 0, 0));
    /// drop(pool.get()); // a small one is kept
    /// assert_eq!(pool.stats().retained, 1);
    /// ```
    pub fn max_retained_bytes(mut self, limit: usize) -> Self {
        self.max_retained_bytes = Some(limit);
        self
    }

    /// Sets how a returned object's heap bytes are measured, for
    /// [`PoolStats::retained_bytes`](crate::PoolStats::retained_bytes) and
    /// [`max_retained_bytes`](Self::max_retained_bytes). By default
    /// [`Reset::heap_bytes`] for pools built with [`Pool::builder`], and 0
    /// (not measured) for [`Pool::builder_with_reset`]. Runs after `reset`
    /// and `accept`, on every return that `accept` let through; it must
    /// give the same answer while the object sits in the pool.
    ///
    /// ```
    /// use poolkit::Pool;
    ///
    /// struct Frame { pixels: Vec<u32> }
    /// let pool = Pool::builder_with_reset(
    ///     || Frame { pixels: Vec::with_capacity(256) },
    ///     |f| f.pixels.clear(),
    /// )
    /// .heap_bytes(|f| f.pixels.capacity() * 4)
    /// .build()
    /// .unwrap();
    /// drop(pool.get());
    /// assert!(pool.stats().retained_bytes >= 1024);
    /// ```
    pub fn heap_bytes(mut self, heap_bytes: impl Fn(&T) -> usize + Send + Sync + 'static) -> Self {
        self.heap_bytes = BytesHook::Closure(Box::new(heap_bytes));
        self
    }

    /// Checks the configuration and makes the pool.
    ///
    /// # Errors
    ///
    /// [`PoolConfigError`] when a capacity is above its maximum, or when both
    /// are 0 (such a pool could never keep an object).
    pub fn build(self) -> Result<Pool<T>, PoolConfigError> {
        if self.local_capacity > MAX_LOCAL_CAPACITY {
            return Err(PoolConfigError::CapacityTooLarge {
                field: "local_capacity",
                requested: self.local_capacity,
                max: MAX_LOCAL_CAPACITY,
            });
        }
        if self.shared_capacity > MAX_SHARED_CAPACITY {
            return Err(PoolConfigError::CapacityTooLarge {
                field: "shared_capacity",
                requested: self.shared_capacity,
                max: MAX_SHARED_CAPACITY,
            });
        }
        if self.local_capacity == 0 && self.shared_capacity == 0 {
            return Err(PoolConfigError::NoCapacity);
        }
        Ok(Pool::from_parts(PoolParts {
            factory: self.factory,
            reset: self.reset,
            accept: self.accept,
            heap_bytes: self.heap_bytes,
            local_capacity: self.local_capacity,
            shared_capacity: self.shared_capacity,
            max_retained_bytes: self.max_retained_bytes,
        }))
    }
}

impl<T: Reset + Send> PoolBuilder<T> {
    pub(crate) fn with_reset_trait(factory: Factory<T>) -> Self {
        let mut builder = Self::new(factory, ResetHook::Trait(reset_and_measure::<T>));
        builder.heap_bytes = BytesHook::Function(T::heap_bytes);
        builder
    }
}

impl<T> fmt::Debug for PoolBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("local_capacity", &self.local_capacity)
            .field("shared_capacity", &self.shared_capacity)
            .field("accept", &self.accept.is_some())
            .field("max_retained_bytes", &self.max_retained_bytes)
            .finish_non_exhaustive()
    }
}

/// An invalid [`PoolBuilder`] configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum PoolConfigError {
    /// A capacity is above its maximum.
    CapacityTooLarge {
        /// The builder method that set it.
        field: &'static str,
        /// The value asked for.
        requested: usize,
        /// The largest value accepted.
        max: usize,
    },
    /// `local_capacity` and `shared_capacity` are both 0.
    NoCapacity,
}

impl PoolConfigError {
    /// The name of the builder field at fault. For
    /// [`NoCapacity`](Self::NoCapacity) both are; it names
    /// `local_capacity`, and the message names both.
    pub fn field(&self) -> &'static str {
        match self {
            PoolConfigError::CapacityTooLarge { field, .. } => field,
            PoolConfigError::NoCapacity => "local_capacity",
        }
    }
}

impl fmt::Display for PoolConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolConfigError::CapacityTooLarge {
                field,
                requested,
                max,
            } => write!(
                f,
                "invalid pool configuration: `{field}` is {requested}, above the maximum of {max}"
            ),
            PoolConfigError::NoCapacity => f.write_str(
                "invalid pool configuration: `local_capacity` and `shared_capacity` are both 0, \
                 so the pool could never keep an object",
            ),
        }
    }
}

impl std::error::Error for PoolConfigError {}
