//! The story's leaking web service, rebuilt in Rust with axum: a `leaky` mode
//! (a fresh 1 MiB buffer per request, an unbounded `HashMap` cache) and a
//! `pooled` mode (poolkit buffers held across `.await`, a bounded
//! `ShardedTtlCache`), live pool, cache and heap statistics at
//! `/debug/pools`, and a load driver to watch the difference.
//!
//! The library holds everything but the command line, so that the
//! integration tests can reuse the load driver's client.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod config;
pub mod connections;
pub mod counting_alloc;
pub mod debug_vars;
pub mod routes;
pub mod store;

use std::future::Future;
use std::io;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::{parse_args, Command, LoadConfig, Mode, ServerConfig};

/// Serves `config`'s mode on `listener` until `shutdown` completes, then
/// gives the requests in flight `config.shutdown_grace` to finish and
/// returns; a client slower than `config.header_read_timeout` to send a
/// request's headers is disconnected (see [`connections`]).
pub async fn serve(
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let store = store::Store::new(&config).map_err(io::Error::other)?;
    let state = Arc::new(routes::AppState {
        config,
        store,
        exporter: debug_vars::Exporter::default(),
    });
    let (header_read_timeout, grace) = (
        state.config.header_read_timeout,
        state.config.shutdown_grace,
    );
    let app = routes::router(state);
    let closed = connections::serve(listener, app, header_read_timeout, grace, shutdown).await?;
    if closed > 0 {
        println!(
            "closed {closed} connection(s) still open after the {:.1} s grace period",
            grace.as_secs_f64()
        );
    }
    Ok(())
}
