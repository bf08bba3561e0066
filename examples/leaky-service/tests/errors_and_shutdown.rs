//! Malformed requests, unknown paths and oversized bodies get HTTP errors and
//! the service keeps serving; the Prometheus endpoints answer; Ctrl-C stops
//! the service gracefully. All over real loopback sockets.

mod support;

use std::time::Duration;

use leaky_service::client::{self, Connection};
use support::Server;

const BODY_LIMIT: usize = 64 * 1024;

async fn raw(server: &Server, request: &[u8]) -> client::HttpResponse {
    let mut connection = Connection::open(server.addr).await.expect("connect");
    connection.send_raw(request).await.expect("a response")
}

async fn still_serving(server: &Server) {
    let response = client::get(server.addr, "/item/alive")
        .await
        .expect("a response");
    assert_eq!(response.status, 200);
    assert!(response.text().starts_with("item alive\n"));
}

#[tokio::test]
async fn malformed_requests_and_unknown_paths_get_errors_and_the_service_keeps_serving() {
    let server = Server::start(&["--mode", "pooled"]);
    let cases: [(&[u8], u16); 6] = [
        (b"THIS IS NOT HTTP\r\n\r\n", 400),
        (
            b"GET /item/a HTTP/1.1\r\nHost: x\r\nbroken header line\r\n\r\n",
            400,
        ),
        (b"GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"DELETE /item/a HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"GET /item/%FF%FE HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (
            b"GET /debug/pools?format=xml HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
        ),
    ];
    for (request, status) in cases {
        let response = raw(&server, request).await;
        assert_eq!(
            response.status,
            status,
            "{} -> {}",
            String::from_utf8_lossy(request),
            response.text()
        );
        still_serving(&server).await;
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_without_being_allocated() {
    let server = Server::start(&["--mode", "pooled", "--body-limit", &BODY_LIMIT.to_string()]);
    let before = client::debug_pools(server.addr).await.unwrap();

    // Declares 1 GiB and sends none of it: refused from the header alone.
    let response = raw(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n",
    )
    .await;
    assert_eq!(response.status, 413, "{}", response.text());

    // A chunked body with no declared length: cut off once past the limit.
    let chunk = vec![b'x'; 48 * 1024];
    let mut request =
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(&server, &request).await.status, 413);

    // Within the limit: echoed.
    let mut small = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n".to_vec();
    small.extend_from_slice(b"hello");
    let echoed = raw(&server, &small).await;
    assert_eq!((echoed.status, echoed.text().as_str()), (200, "hello"));

    let after = client::debug_pools(server.addr).await.unwrap();
    let peak = |vars: &serde_json::Value| vars["memstats"]["peak_live_bytes"].as_u64().unwrap();
    assert!(
        peak(&after) < peak(&before) + 16 * (1 << 20),
        "peak live heap went from {} to {}",
        peak(&before),
        peak(&after)
    );
    still_serving(&server).await;
}

#[tokio::test]
async fn prometheus_text_names_the_pool_and_cache_metrics() {
    let server = Server::start(&["--mode", "pooled"]);
    for i in 0..20 {
        assert_eq!(
            client::get(server.addr, &format!("/item/{}", i % 5))
                .await
                .unwrap()
                .status,
            200
        );
    }
    for path in ["/metrics", "/debug/pools?format=prometheus"] {
        let response = client::get(server.addr, path).await.unwrap();
        assert_eq!(response.status, 200);
        let text = response.text();
        for line in [
            "poolkit_buf_pool_gets_total{pool=\"request_buffers\"} 20",
            "poolkit_pool_gets_total{pool=\"path_strings\"} 20",
            "poolkit_cache_hits_total{cache=\"responses\"} 15",
            "poolkit_cache_misses_total{cache=\"responses\"} 5",
            "poolkit_cache_entries{cache=\"responses\"} 5",
            "poolkit_cache_capacity_entries{cache=\"responses\"} 1024",
            "# TYPE poolkit_pool_retained_objects gauge",
            "# TYPE service_heap_live_bytes gauge",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{path}: no `{line}` in\n{text}"
            );
        }
    }
}

#[tokio::test]
async fn ctrl_c_stops_the_service_gracefully() {
    let server = Server::start(&["--mode", "leaky"]);
    still_serving(&server).await;
    let (status, output) = server.interrupt(Duration::from_secs(10));
    assert!(status.success(), "{status}: {output}");
    assert!(
        output.contains("shutting down") && output.contains("stopped"),
        "{output}"
    );
}
