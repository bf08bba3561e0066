//! `leaky-service`: serve in `leaky` or `pooled` mode, or drive load at a
//! running server (`--load N --keys K`). See `--help`.

use std::process::ExitCode;

use leaky_service::client;
use leaky_service::config::USAGE;
use leaky_service::{parse_args, Command, LoadConfig, ServerConfig};

fn main() -> ExitCode {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(error) => {
            eprintln!("error: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::Serve(config) => runtime.block_on(serve(config)),
        Command::Load(config) => runtime.block_on(load(config)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServerConfig) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    // The first line of output: tests and scripts read the port from it.
    println!(
        "listening on http://{} in {} mode (Ctrl-C to stop)",
        listener.local_addr()?,
        config.mode.name()
    );
    let shutdown = async {
        // If the signal handler cannot be installed, serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        println!("shutting down: finishing the requests in flight");
    };
    leaky_service::serve(config, listener, shutdown).await?;
    println!("stopped");
    Ok(())
}

async fn load(config: LoadConfig) -> std::io::Result<()> {
    let before = client::debug_pools(config.addr).await?;
    println!(
        "/debug/pools before:\n{}",
        serde_json::to_string_pretty(&before)?
    );
    let report = client::run_load(&config).await?;
    let after = client::debug_pools(config.addr).await?;
    println!(
        "/debug/pools after:\n{}",
        serde_json::to_string_pretty(&after)?
    );
    println!(
        "sent {} requests for {} distinct keys over {} connections in {:.2?}: {} ok, {} failed",
        config.requests, config.keys, config.connections, report.elapsed, report.ok, report.failed
    );
    let number = |vars: &serde_json::Value, pointer: &str| {
        vars.pointer(pointer)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
    println!(
        "live heap: {:.1} MiB before, {:.1} MiB after (peak {:.1} MiB)",
        mib(number(&before, "/memstats/live_bytes")),
        mib(number(&after, "/memstats/live_bytes")),
        mib(number(&after, "/memstats/peak_live_bytes")),
    );
    let allocations = number(&after, "/memstats/allocations")
        .saturating_sub(number(&before, "/memstats/allocations"));
    let allocated = number(&after, "/memstats/allocated_bytes")
        .saturating_sub(number(&before, "/memstats/allocated_bytes"));
    println!(
        "server allocations during the run: {allocations} ({:.1} per request), {:.1} MiB ({:.1} KiB per request)",
        allocations as f64 / config.requests as f64,
        mib(allocated),
        allocated as f64 / 1024.0 / config.requests as f64
    );
    println!(
        "response cache entries: {} before, {} after",
        number(&before, "/caches/responses/entries"),
        number(&after, "/caches/responses/entries"),
    );
    Ok(())
}
