//! The HTTP routes and their error answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::config::ServerConfig;
use crate::debug_vars::{self, Exporter};
use crate::store::Store;

/// Everything a request handler can reach.
pub struct AppState {
    /// The flags the server started with.
    pub config: ServerConfig,
    /// The mode's pools and caches.
    pub store: Store,
    /// The Prometheus exporter for `/metrics`.
    pub exporter: Exporter,
}

/// The service's routes; unknown paths get 404, wrong methods 405,
/// unparsable paths or queries 400, bodies over the limit 413.
pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.config.body_limit;
    Router::new()
        .route("/", get(index))
        .route("/item/{key}", get(item))
        .route("/echo", post(echo))
        .route("/debug/pools", get(debug_pools))
        .route("/metrics", get(prometheus))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

async fn index() -> &'static str {
    crate::config::USAGE
}

async fn item(State(app): State<Arc<AppState>>, Path(key): Path<String>) -> Response {
    let body = app.store.item(&key, &app.config).await;
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// Echoes the request body. A declared length over the limit is refused
/// before a byte of the body is read; a chunked body is cut off (and
/// refused) as soon as it passes the limit.
async fn echo(State(app): State<Arc<AppState>>, request: Request) -> Response {
    let limit = app.config.body_limit;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large(limit);
    }
    match Bytes::from_request(request, &()).await {
        Ok(body) => body.into_response(),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(limit),
        Err(rejection) => rejection.into_response(),
    }
}

fn too_large(limit: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body over the limit of {limit} bytes\n"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct DebugQuery {
    format: Option<String>,
}

async fn debug_pools(
    State(app): State<Arc<AppState>>,
    Query(query): Query<DebugQuery>,
) -> Response {
    match query.format.as_deref() {
        None | Some("json") => Json(debug_vars::json(&app.store, &app.config)).into_response(),
        Some("prometheus") => prometheus(State(app)).await,
        Some(other) => (
            StatusCode::BAD_REQUEST,
            format!("unknown format `{other}`: use `json` or `prometheus`\n"),
        )
            .into_response(),
    }
}

async fn prometheus(State(app): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.exporter.render(&app.store),
    )
        .into_response()
}

async fn not_found(uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("no route for {}\n", uri.path()),
    )
        .into_response()
}
