//! What each mode keeps between requests, and the story's handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use std::fmt::Write as _;

use bytes::Bytes;
use poolkit::buf::{BufConfigError, BufPool};
use poolkit::cache::CacheConfigError;
use poolkit::{Pool, PoolConfigError, ShardedTtlCache};

use crate::config::{Mode, ServerConfig};

/// The most bytes of request buffers the pooled mode keeps, all threads together.
pub const BUFFER_BUDGET_BYTES: usize = 16 << 20;
/// Of which one thread's cache keeps at most this many.
const THREAD_BUFFER_BYTES: usize = 4 << 20;
/// Path strings kept per thread, and in the shared queue.
const PATHS_PER_THREAD: usize = 4;
const SHARED_PATHS: usize = 16;
/// A path string that grew past this is freed on return, not kept.
const MAX_KEPT_PATH_BYTES: usize = 1024;

/// The state of one mode.
// One per server: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Store {
    /// The story's service: nothing is bounded.
    Leaky {
        /// Rendered responses by path, never evicted.
        cache: Mutex<HashMap<String, Bytes>>,
    },
    /// The cure.
    Pooled {
        /// Request buffers from size classes under one byte budget.
        buffers: Arc<BufPool>,
        /// Scratch strings to build the cache lookup key in.
        paths: Pool<String>,
        /// Rendered responses by path, bounded by entries and a TTL.
        cache: ShardedTtlCache<String, Bytes>,
    },
}

/// A configuration the pool or cache refused.
#[derive(Debug)]
pub enum StoreError {
    /// The buffer pool's configuration.
    Buffers(BufConfigError),
    /// The path pool's configuration.
    Pool(PoolConfigError),
    /// The cache's configuration.
    Cache(CacheConfigError),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Buffers(e) => e.fmt(f),
            StoreError::Pool(e) => e.fmt(f),
            StoreError::Cache(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StoreError {}

impl Store {
    /// The state for `config.mode`.
    pub fn new(config: &ServerConfig) -> Result<Self, StoreError> {
        Ok(match config.mode {
            Mode::Leaky => Store::Leaky {
                cache: Mutex::new(HashMap::new()),
            },
            Mode::Pooled => {
                let buffers = BufPool::builder()
                    .max_class(config.buffer_bytes.next_power_of_two().max(64))
                    .max_retained_bytes(BUFFER_BUDGET_BYTES)
                    .thread_cache_bytes(THREAD_BUFFER_BYTES)
                    .build()
                    .map_err(StoreError::Buffers)?;
                let paths = Pool::builder(|| String::with_capacity(64))
                    .accept(|path| path.capacity() <= MAX_KEPT_PATH_BYTES)
                    .local_capacity(PATHS_PER_THREAD)
                    .shared_capacity(SHARED_PATHS)
                    .build()
                    .map_err(StoreError::Pool)?;
                let cache = ShardedTtlCache::builder(config.cache_capacity)
                    .time_to_live(config.cache_ttl)
                    .build()
                    .map_err(StoreError::Cache)?;
                Store::Pooled {
                    buffers: Arc::new(buffers),
                    paths,
                    cache,
                }
            }
        })
    }

    /// The story's handler for `GET /item/{key}`: take a request buffer,
    /// find the rendered payload in the cache (or render and cache it), write
    /// the response into the buffer, wait for the (simulated) slow client with
    /// the buffer held, and answer with the buffer's bytes.
    pub async fn item(&self, key: &str, config: &ServerConfig) -> Bytes {
        match self {
            Store::Leaky { cache } => {
                let path = format!("/item/{key}");
                // Go's `buf := make([]byte, 1<<20)`, on every request.
                let mut buffer = vec![0u8; config.buffer_bytes];
                let cached = cache
                    .lock()
                    .expect("no panics under this lock")
                    .get(&path)
                    .cloned();
                let payload = match cached {
                    Some(payload) => payload,
                    None => {
                        let payload = render(key, config.payload_bytes);
                        cache
                            .lock()
                            .expect("no panics under this lock")
                            .insert(path, payload.clone());
                        payload
                    }
                };
                buffer[..payload.len()].copy_from_slice(&payload);
                tokio::task::yield_now().await;
                Bytes::copy_from_slice(&buffer[..payload.len()])
            }
            Store::Pooled {
                buffers,
                paths,
                cache,
            } => {
                // An owned guard: `Send + 'static`, so it lives across the
                // `.await` below, and goes back to the pool when dropped.
                let mut buffer = buffers.get_owned(config.buffer_bytes);
                let cached = {
                    // The lookup key in a pooled string: a hit allocates no key.
                    let mut path = paths.get();
                    let _ = write!(path, "/item/{key}");
                    cache.get(path.as_str())
                };
                let payload = match cached {
                    Some(payload) => payload,
                    None => {
                        let payload = render(key, config.payload_bytes);
                        // A refusal (never for this configuration) only means
                        // the payload is not cached.
                        let _ = cache.insert(format!("/item/{key}"), payload.clone());
                        payload
                    }
                };
                buffer.extend_from_slice(&payload);
                tokio::task::yield_now().await;
                Bytes::copy_from_slice(&buffer)
            }
        }
    }

    /// Entries in the response cache now.
    pub fn cache_entries(&self) -> usize {
        match self {
            Store::Leaky { cache } => cache.lock().expect("no panics under this lock").len(),
            Store::Pooled { cache, .. } => cache.len(),
        }
    }
}

/// The "expensive" response for `key`: `payload_bytes` bytes of text.
fn render(key: &str, payload_bytes: usize) -> Bytes {
    let line = format!("item {key}\n");
    let mut payload = line.repeat(payload_bytes / line.len() + 1).into_bytes();
    payload.truncate(payload_bytes);
    Bytes::from(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_exactly_the_payload_size() {
        let payload = render("k", 100);
        assert_eq!(payload.len(), 100);
        assert!(payload.starts_with(b"item k\nitem k\n"));
    }
}
