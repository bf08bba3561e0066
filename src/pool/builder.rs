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
/// The largest accepted [`PoolBuilder::shared_capacity`]: the shared queue
/// reserves all its slots up front.
pub const MAX_SHARED_CAPACITY: usize = 1 << 24;

pub(crate) type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;

/// How returned objects are reset: a plain function (the [`Reset`] impl,
/// called directly) or the user's closure.
pub(crate) enum ResetHook<T> {
    Function(fn(&mut T)),
    Closure(Box<dyn Fn(&mut T) + Send + Sync>),
}

impl<T> ResetHook<T> {
    #[inline]
    pub(crate) fn run(&self, value: &mut T) {
        match self {
            ResetHook::Function(reset) => reset(value),
            ResetHook::Closure(reset) => reset(value),
        }
    }
}
pub(crate) type AcceptHook<T> = Box<dyn Fn(&T) -> bool + Send + Sync>;

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
    local_capacity: usize,
    shared_capacity: usize,
}

impl<T: Send> PoolBuilder<T> {
    pub(crate) fn new(factory: Factory<T>, reset: ResetHook<T>) -> Self {
        PoolBuilder {
            factory,
            reset,
            accept: None,
            local_capacity: DEFAULT_LOCAL_CAPACITY,
            shared_capacity: DEFAULT_SHARED_CAPACITY,
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
    /// every return to the shared queue.
    pub fn local_capacity(mut self, capacity: usize) -> Self {
        self.local_capacity = capacity;
        self
    }

    /// How many objects the shared queue keeps for all threads (default
    /// [`DEFAULT_SHARED_CAPACITY`], at most [`MAX_SHARED_CAPACITY`]). It takes
    /// returns that overflow a thread's cache and serves gets that miss it.
    pub fn shared_capacity(mut self, capacity: usize) -> Self {
        self.shared_capacity = capacity;
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
        Ok(Pool::from_parts(
            self.factory,
            self.reset,
            self.accept,
            self.local_capacity,
            self.shared_capacity,
        ))
    }
}

impl<T: Reset + Send> PoolBuilder<T> {
    pub(crate) fn with_reset_trait(factory: Factory<T>) -> Self {
        Self::new(factory, ResetHook::Function(T::reset))
    }
}

impl<T> fmt::Debug for PoolBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("local_capacity", &self.local_capacity)
            .field("shared_capacity", &self.shared_capacity)
            .field("accept", &self.accept.is_some())
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
