//! The connection loop: hyper's HTTP/1 server under two limits that
//! `axum::serve` does not set, so that slow or stalled clients cannot hold
//! the service:
//!
//! - **Header read timeout**: each request's headers must arrive within
//!   [`ServerConfig::header_read_timeout`](crate::ServerConfig) of the
//!   server starting to read them, or the connection is closed. This covers
//!   a half-sent request (the "slow loris") and an idle keep-alive
//!   connection alike.
//! - **Shutdown deadline**: once `shutdown` completes, the listener closes,
//!   idle connections close at once, and requests in flight get
//!   [`ServerConfig::shutdown_grace`](crate::ServerConfig) to finish; then
//!   every connection still open is closed.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Serves `app` on `listener` until `shutdown` completes, then shuts down
/// gracefully within `grace`. Returns how many connections were still open
/// at the deadline and had to be closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    grace: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<usize> {
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(error) => {
                        wait_after_accept_error(error).await;
                        continue;
                    }
                };
                // Small responses go out at once rather than after Nagle's delay.
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                let mut closing_seen = closing_seen.clone();
                connections.spawn(async move {
                    let mut builder = http1::Builder::new();
                    builder
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_read_timeout);
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let mut connection = std::pin::pin!(connection);
                    tokio::select! {
                        // A protocol error or a timeout ends the connection: nothing to report.
                        _ = connection.as_mut() => {}
                        _ = async { closing_seen.wait_for(|closing| *closing).await.is_ok() } => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                    }
                });
                // Reap finished connections so the set holds only open ones.
                while connections.try_join_next().is_some() {}
            }
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let finished = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    let still_open = if finished.is_ok() {
        0
    } else {
        let open = connections.len();
        // Aborting a connection's task drops its socket: the client sees it close.
        connections.shutdown().await;
        open
    };
    Ok(still_open)
}

/// After a failed `accept`: per-connection errors (the client gave up
/// before we accepted) are skipped; others (out of file descriptors) are
/// waited out for a second rather than spinning.
async fn wait_after_accept_error(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    eprintln!("accept failed: {error}; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
