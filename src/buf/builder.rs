//! [`BufPoolBuilder`] and the configuration errors it reports.

use std::fmt;

use super::BufPool;

/// Default smallest size class: 64 bytes (a cache line).
pub const DEFAULT_MIN_CLASS: usize = 64;
/// Default largest size class: 16 MiB. Requests above it get a plain
/// allocation that is freed on return.
pub const DEFAULT_MAX_CLASS: usize = 16 << 20;
/// Default byte budget: 64 MiB kept at most, across all classes and threads.
pub const DEFAULT_MAX_RETAINED_BYTES: usize = 64 << 20;
/// The largest accepted [`BufPoolBuilder::max_class`]: 1 GiB.
pub const MAX_CLASS_LIMIT: usize = 1 << 30;

/// Configures a [`BufPool`]: its size classes and byte budgets. Made by
/// [`BufPool::builder`]; [`build`](Self::build) checks the configuration.
///
/// # Examples
///
/// ```
/// use poolkit::buf::BufPool;
///
/// let pool = BufPool::builder()
///     .min_class(256)                   // requests below 256 B get 256 B
///     .max_class(1 << 20)               // above 1 MiB: plain allocation
///     .max_retained_bytes(8 << 20)      // keeps at most 8 MiB in total
///     .thread_cache_bytes(2 << 20)      // of which at most 2 MiB per thread
///     .build()?;
/// assert!(pool.get(100).capacity() >= 256);
///
/// // A bad configuration is an error that names the field.
/// let err = BufPool::builder().min_class(100).build().unwrap_err();
/// assert_eq!(err.field(), "min_class");
/// # Ok::<(), poolkit::buf::BufConfigError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
#[derive(Clone, Debug)]
pub struct BufPoolBuilder {
    min_class: usize,
    max_class: usize,
    max_retained_bytes: usize,
    thread_cache_bytes: Option<usize>,
}

impl Default for BufPoolBuilder {
    fn default() -> Self {
        BufPoolBuilder {
            min_class: DEFAULT_MIN_CLASS,
            max_class: DEFAULT_MAX_CLASS,
            max_retained_bytes: DEFAULT_MAX_RETAINED_BYTES,
            thread_cache_bytes: None,
        }
    }
}

impl BufPoolBuilder {
    /// The smallest size class, in bytes (default [`DEFAULT_MIN_CLASS`]): a
    /// power of two. Smaller requests get a buffer of this size.
    pub fn min_class(mut self, bytes: usize) -> Self {
        self.min_class = bytes;
        self
    }

    /// The largest size class, in bytes (default [`DEFAULT_MAX_CLASS`]): a
    /// power of two, at least `min_class`, at most [`MAX_CLASS_LIMIT`].
    /// A larger request gets a plain allocation, freed on return and counted
    /// as `oversize` in the stats.
    pub fn max_class(mut self, bytes: usize) -> Self {
        self.max_class = bytes;
        self
    }

    /// The byte budget (default [`DEFAULT_MAX_RETAINED_BYTES`]): the pool
    /// never keeps more than this many bytes of buffer capacity, summed over
    /// all classes and threads, at any instant. A return that would exceed
    /// it frees the buffer (counted as `refused_budget`).
    ///
    /// It must hold at least one buffer of the largest class (`max_class`),
    /// or [`build`](Self::build) refuses the configuration: a smaller budget
    /// would silently keep nothing of the top classes. 0 is accepted and
    /// keeps nothing at all.
    ///
    /// ```
    /// use poolkit::buf::BufPool;
    ///
    /// // 1 MiB cannot hold one buffer of the default 16 MiB top class.
    /// let err = BufPool::builder().max_retained_bytes(1 << 20).build().unwrap_err();
    /// assert_eq!(err.field(), "max_retained_bytes");
    /// // Lower the top class with it: classes up to 256 KiB, 1 MiB kept at most.
    /// let pool = BufPool::builder()
    ///     .max_class(256 << 10)
    ///     .max_retained_bytes(1 << 20)
    ///     .build()?;
    /// assert_eq!(pool.max_retained_bytes(), 1 << 20);
    /// # Ok::<(), poolkit::buf::BufConfigError>(())
    /// ```
    pub fn max_retained_bytes(mut self, bytes: usize) -> Self {
        self.max_retained_bytes = bytes;
        self
    }

    /// The most budget one thread may hold for its own cache (buffers it
    /// keeps plus unused credit, see [`BufPool`]), at most
    /// `max_retained_bytes`. Default: twice `max_class`, at most half the
    /// budget (32 MiB with the defaults). A thread caches one buffer per
    /// class from 256 KiB up, so it never pins more than this.
    pub fn thread_cache_bytes(mut self, bytes: usize) -> Self {
        self.thread_cache_bytes = Some(bytes);
        self
    }

    /// Checks the configuration and makes the pool. Allocates the per-class
    /// shared queues (a few dozen bytes per slot, at most 64 slots a class).
    ///
    /// # Errors
    ///
    /// [`BufConfigError`] naming the field at fault when a class size is not
    /// a power of two, `max_class` is below `min_class` or above
    /// [`MAX_CLASS_LIMIT`], `max_retained_bytes` is neither 0 nor at least
    /// `max_class`, or `thread_cache_bytes` exceeds `max_retained_bytes`.
    pub fn build(self) -> Result<BufPool, BufConfigError> {
        if !self.min_class.is_power_of_two() {
            return Err(BufConfigError::NotPowerOfTwo {
                field: "min_class",
                value: self.min_class,
            });
        }
        if !self.max_class.is_power_of_two() {
            return Err(BufConfigError::NotPowerOfTwo {
                field: "max_class",
                value: self.max_class,
            });
        }
        if self.max_class > MAX_CLASS_LIMIT {
            return Err(BufConfigError::TooLarge {
                field: "max_class",
                value: self.max_class,
                max: MAX_CLASS_LIMIT,
            });
        }
        if self.max_class < self.min_class {
            return Err(BufConfigError::MaxBelowMin {
                min_class: self.min_class,
                max_class: self.max_class,
            });
        }
        if self.max_retained_bytes != 0 && self.max_retained_bytes < self.max_class {
            return Err(BufConfigError::BudgetBelowMaxClass {
                max_retained_bytes: self.max_retained_bytes,
                max_class: self.max_class,
            });
        }
        let thread_cache_bytes = match self.thread_cache_bytes {
            Some(bytes) if bytes > self.max_retained_bytes => {
                return Err(BufConfigError::TooLarge {
                    field: "thread_cache_bytes",
                    value: bytes,
                    max: self.max_retained_bytes,
                })
            }
            Some(bytes) => bytes,
            None => self
                .max_class
                .saturating_mul(2)
                .min(self.max_retained_bytes / 2),
        };
        Ok(BufPool::from_config(
            self.min_class.trailing_zeros(),
            self.max_class.trailing_zeros(),
            self.max_retained_bytes,
            thread_cache_bytes,
        ))
    }
}

/// An invalid [`BufPoolBuilder`] configuration. [`field`](Self::field) names
/// the builder method at fault; the message says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum BufConfigError {
    /// A class size is not a power of two (0 included).
    NotPowerOfTwo {
        /// The builder method that set it.
        field: &'static str,
        /// The value given.
        value: usize,
    },
    /// A value is above its maximum.
    TooLarge {
        /// The builder method that set it.
        field: &'static str,
        /// The value given.
        value: usize,
        /// The largest value accepted.
        max: usize,
    },
    /// `max_class` is below `min_class`.
    MaxBelowMin {
        /// The smallest class asked for.
        min_class: usize,
        /// The largest class asked for.
        max_class: usize,
    },
    /// `max_retained_bytes` is not 0 but cannot hold one buffer of the
    /// largest class: the top classes would keep nothing.
    BudgetBelowMaxClass {
        /// The byte budget asked for.
        max_retained_bytes: usize,
        /// The largest class asked for.
        max_class: usize,
    },
}

impl BufConfigError {
    /// The name of the builder method at fault (`max_class` for
    /// [`MaxBelowMin`](Self::MaxBelowMin), `max_retained_bytes` for
    /// [`BudgetBelowMaxClass`](Self::BudgetBelowMaxClass)).
    pub fn field(&self) -> &'static str {
        match self {
            BufConfigError::NotPowerOfTwo { field, .. }
            | BufConfigError::TooLarge { field, .. } => field,
            BufConfigError::MaxBelowMin { .. } => "max_class",
            BufConfigError::BudgetBelowMaxClass { .. } => "max_retained_bytes",
        }
    }
}

impl fmt::Display for BufConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BufConfigError::NotPowerOfTwo { field, value } => write!(
                f,
                "invalid buffer pool configuration: `{field}` is {value}, not a power of two"
            ),
            BufConfigError::TooLarge { field, value, max } => write!(
                f,
                "invalid buffer pool configuration: `{field}` is {value}, above the maximum of {max}"
            ),
            BufConfigError::MaxBelowMin {
                min_class,
                max_class,
            } => write!(
                f,
                "invalid buffer pool configuration: `max_class` ({max_class}) is below \
                 `min_class` ({min_class})"
            ),
            BufConfigError::BudgetBelowMaxClass {
                max_retained_bytes,
                max_class,
            } => write!(
                f,
                "invalid buffer pool configuration: `max_retained_bytes` ({max_retained_bytes}) \
                 cannot hold one buffer of the largest class, `max_class` ({max_class}): raise \
                 `max_retained_bytes`, lower `max_class`, or set `max_retained_bytes` to 0 to \
                 keep nothing"
            ),
        }
    }
}

impl std::error::Error for BufConfigError {}
