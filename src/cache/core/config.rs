//! The configuration both flavours share: validated [`Limits`], and [`CacheConfigError`].

use std::fmt;
use std::time::Duration;

use super::slab::NEVER;
use crate::cache::clock::duration_nanos;

/// An invalid cache configuration, naming the offending builder field.
///
/// # Examples
///
/// ```
/// use poolkit::cache::{CacheConfigError, TtlCache};
///
/// let err = TtlCache::<u32, u32>::builder(0).build().unwrap_err();
/// assert_eq!(err, CacheConfigError::ZeroCapacity);
/// assert_eq!(err.field(), "capacity");
/// assert_eq!(err.to_string(), "invalid cache configuration: `capacity` must be at least 1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum CacheConfigError {
    /// `capacity` was 0: a cache that can hold nothing is always a mistake.
    ZeroCapacity,
    /// `max_weight` was given a budget of 0: every entry would be refused.
    ZeroMaxWeight,
    /// `time_to_live` was zero: every entry would be expired on arrival.
    ZeroTimeToLive,
    /// `time_to_idle` was zero: every entry would be expired on arrival.
    ZeroTimeToIdle,
    /// `shards` was 0.
    ZeroShards,
    /// `capacity` was `u32::MAX` or more: entries are addressed by `u32` index.
    CapacityTooLarge,
    /// The memory for `capacity` entries (about `bytes`, reserved when the cache is built)
    /// could not be allocated.
    OutOfMemory {
        /// The size of the allocation that failed, in bytes.
        bytes: usize,
    },
}

impl CacheConfigError {
    /// The name of the builder method whose argument was invalid.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::CacheConfigError;
    /// assert_eq!(CacheConfigError::ZeroTimeToIdle.field(), "time_to_idle");
    /// ```
    pub fn field(&self) -> &'static str {
        match self {
            Self::ZeroCapacity | Self::CapacityTooLarge | Self::OutOfMemory { .. } => "capacity",
            Self::ZeroMaxWeight => "max_weight",
            Self::ZeroTimeToLive => "time_to_live",
            Self::ZeroTimeToIdle => "time_to_idle",
            Self::ZeroShards => "shards",
        }
    }
}

impl fmt::Display for CacheConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            Self::ZeroCapacity | Self::ZeroMaxWeight | Self::ZeroShards => "be at least 1",
            Self::ZeroTimeToLive | Self::ZeroTimeToIdle => "be longer than zero",
            Self::CapacityTooLarge => "be less than 4,294,967,295",
            Self::OutOfMemory { bytes } => {
                return write!(
                    f,
                    "invalid cache configuration: `capacity` needs {bytes} bytes of memory, \
                     which could not be allocated"
                )
            }
        };
        write!(
            f,
            "invalid cache configuration: `{}` must {what}",
            self.field()
        )
    }
}

impl std::error::Error for CacheConfigError {}

/// The settings both builders share.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Common {
    pub(crate) capacity: usize,
    pub(crate) max_weight: Option<u64>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) tti: Option<Duration>,
}

impl Common {
    pub(crate) fn limits(&self) -> Result<Limits, CacheConfigError> {
        if self.capacity == 0 {
            return Err(CacheConfigError::ZeroCapacity);
        }
        if self.capacity >= u32::MAX as usize {
            return Err(CacheConfigError::CapacityTooLarge);
        }
        if self.max_weight == Some(0) {
            return Err(CacheConfigError::ZeroMaxWeight);
        }
        if self.ttl == Some(Duration::ZERO) {
            return Err(CacheConfigError::ZeroTimeToLive);
        }
        if self.tti == Some(Duration::ZERO) {
            return Err(CacheConfigError::ZeroTimeToIdle);
        }
        Ok(Limits {
            capacity: self.capacity,
            max_weight: self.max_weight,
            ttl: self.ttl.map_or(NEVER, duration_nanos),
            tti: self.tti.map_or(NEVER, duration_nanos),
        })
    }
}

/// Configuration numbers already validated by a builder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) capacity: usize,
    /// Weight budget, or `None` when unweighted. An `Option`, not a sentinel: every `u64`,
    /// `u64::MAX` included, is a budget a user may ask for.
    pub(crate) max_weight: Option<u64>,
    /// Default time to live in nanoseconds, or [`NEVER`].
    pub(crate) ttl: u64,
    /// Time to idle in nanoseconds, or [`NEVER`].
    pub(crate) tti: u64,
}
