//! Command-line flags: which mode to serve in, or which load to send.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// How the service handles a request: the story's leak, or its cure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A fresh 1 MiB buffer per request and an unbounded `HashMap` cache
    /// keyed by path: memory grows with the number of distinct paths.
    Leaky,
    /// Buffers from a bounded poolkit pool, held across `.await` through
    /// owned guards, and a `ShardedTtlCache` with an entry bound and a TTL.
    Pooled,
}

impl Mode {
    /// The flag value: `leaky` or `pooled`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Leaky => "leaky",
            Mode::Pooled => "pooled",
        }
    }
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `--mode`.
    pub mode: Mode,
    /// `--addr`: where to listen (a loopback address by default).
    pub addr: SocketAddr,
    /// `--buffer-bytes`: the per-request scratch buffer (1 MiB, as in the story).
    pub buffer_bytes: usize,
    /// `--payload-bytes`: the size of the rendered response for one key.
    pub payload_bytes: usize,
    /// `--cache-capacity`: the pooled mode's entry bound.
    pub cache_capacity: usize,
    /// `--cache-ttl-secs`: the pooled mode's time to live.
    pub cache_ttl: Duration,
    /// `--body-limit`: the largest request body accepted, in bytes; larger
    /// ones get 413 before any of the body is read.
    pub body_limit: usize,
    /// `--header-read-timeout-secs`: how long a client may take to send a
    /// request's headers, from the first read of that request; past it the
    /// connection is closed. It bounds what a slow or stalled client (a
    /// "slow loris") holds: an idle keep-alive connection and a half-sent
    /// request alike.
    pub header_read_timeout: Duration,
    /// `--shutdown-grace-secs`: after Ctrl-C, how long the requests in
    /// flight have to finish; connections still open then are closed.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Pooled,
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            buffer_bytes: 1 << 20,
            payload_bytes: 4096,
            cache_capacity: 1024,
            cache_ttl: Duration::from_secs(60),
            body_limit: 64 * 1024,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// The default `--header-read-timeout-secs`: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default `--shutdown-grace-secs`: 10 s.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The load driver's settings.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// `--addr`: the server to load.
    pub addr: SocketAddr,
    /// `--load`: how many requests to send in all.
    pub requests: usize,
    /// `--keys`: how many distinct paths to spread them over.
    pub keys: usize,
    /// `--connections`: how many keep-alive connections send at once.
    pub connections: usize,
}

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// Run the server.
    Serve(ServerConfig),
    /// Send load to a running server and print its `/debug/pools` before and after.
    Load(LoadConfig),
    /// Print the usage text.
    Help,
}

/// The usage text.
pub const USAGE: &str = "\
usage: leaky-service [--mode leaky|pooled] [--addr 127.0.0.1:8080] [--body-limit BYTES]
                     [--buffer-bytes BYTES] [--payload-bytes BYTES]
                     [--cache-capacity ENTRIES] [--cache-ttl-secs SECS]
                     [--header-read-timeout-secs SECS] [--shutdown-grace-secs SECS]
       leaky-service --load REQUESTS --keys KEYS [--connections N] [--addr 127.0.0.1:8080]

Routes: GET /item/{key}, POST /echo, GET /debug/pools, GET /debug/pools?format=prometheus, GET /metrics

A client gets --header-read-timeout-secs (default 10) to send each request's headers, then
its connection is closed. On Ctrl-C the requests in flight get --shutdown-grace-secs
(default 10) to finish; connections still open then are closed. Both take fractions (0.5).";

/// A command-line mistake, naming the flag at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    /// The flag, e.g. `--mode`.
    pub flag: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.flag, self.problem)
    }
}

impl std::error::Error for ArgError {}

fn error(flag: &str, problem: impl Into<String>) -> ArgError {
    ArgError {
        flag: flag.to_owned(),
        problem: problem.into(),
    }
}

fn number(flag: &str, value: &str, min: usize) -> Result<usize, ArgError> {
    let n: usize = value
        .parse()
        .map_err(|_| error(flag, format!("`{value}` is not a whole number")))?;
    if n < min {
        return Err(error(flag, format!("must be at least {min}, got {n}")));
    }
    Ok(n)
}

/// A positive number of seconds, fractions allowed, up to a day.
fn seconds(flag: &str, value: &str) -> Result<Duration, ArgError> {
    let secs: f64 = value
        .parse()
        .map_err(|_| error(flag, format!("`{value}` is not a number of seconds")))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(error(
            flag,
            format!("must be more than 0 and at most 86400 seconds, got {value}"),
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses the arguments after the program name.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, ArgError> {
    let mut server = ServerConfig::default();
    let mut load: Option<usize> = None;
    let mut keys: Option<usize> = None;
    let mut connections = 8;
    let mut mode_given = false;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        let value = args.next().ok_or_else(|| error(&flag, "needs a value"))?;
        match flag.as_str() {
            "--mode" => {
                mode_given = true;
                server.mode = match value.as_str() {
                    "leaky" => Mode::Leaky,
                    "pooled" => Mode::Pooled,
                    other => {
                        return Err(error(
                            &flag,
                            format!("`{other}` is not `leaky` or `pooled`"),
                        ))
                    }
                }
            }
            "--addr" => {
                server.addr = value.parse().map_err(|_| {
                    error(
                        &flag,
                        format!("`{value}` is not an address like 127.0.0.1:8080"),
                    )
                })?
            }
            "--buffer-bytes" => server.buffer_bytes = number(&flag, &value, 1)?,
            "--payload-bytes" => server.payload_bytes = number(&flag, &value, 1)?,
            "--cache-capacity" => server.cache_capacity = number(&flag, &value, 1)?,
            "--cache-ttl-secs" => {
                server.cache_ttl = Duration::from_secs(number(&flag, &value, 1)? as u64)
            }
            "--body-limit" => server.body_limit = number(&flag, &value, 0)?,
            "--header-read-timeout-secs" => server.header_read_timeout = seconds(&flag, &value)?,
            "--shutdown-grace-secs" => server.shutdown_grace = seconds(&flag, &value)?,
            "--load" => load = Some(number(&flag, &value, 1)?),
            "--keys" => keys = Some(number(&flag, &value, 1)?),
            "--connections" => connections = number(&flag, &value, 1)?,
            _ => return Err(error(&flag, "unknown flag (see --help)")),
        }
    }
    if server.payload_bytes > server.buffer_bytes {
        return Err(error(
            "--payload-bytes",
            format!("must fit in --buffer-bytes ({})", server.buffer_bytes),
        ));
    }
    match (load, keys) {
        (None, None) => Ok(Command::Serve(server)),
        (Some(_), None) => Err(error("--keys", "is needed with --load")),
        (None, Some(_)) => Err(error("--load", "is needed with --keys")),
        (Some(_), Some(_)) if mode_given => {
            Err(error("--mode", "belongs to the server, not to --load"))
        }
        (Some(requests), Some(keys)) => Ok(Command::Load(LoadConfig {
            addr: server.addr,
            requests,
            keys,
            connections: connections.min(requests),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, ArgError> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_serve_pooled_on_loopback_8080() {
        let Ok(Command::Serve(config)) = parse(&[]) else {
            panic!()
        };
        assert_eq!(config.mode, Mode::Pooled);
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn flags_set_mode_addr_and_load() {
        let Ok(Command::Serve(config)) = parse(&["--mode", "leaky", "--addr", "127.0.0.1:0"])
        else {
            panic!()
        };
        assert_eq!((config.mode, config.addr.port()), (Mode::Leaky, 0));
        let Ok(Command::Load(load)) = parse(&["--load", "100", "--keys", "7"]) else {
            panic!()
        };
        assert_eq!((load.requests, load.keys, load.connections), (100, 7, 8));
    }

    #[test]
    fn mistakes_name_the_flag() {
        assert_eq!(parse(&["--mode", "fast"]).unwrap_err().flag, "--mode");
        assert_eq!(parse(&["--load", "10"]).unwrap_err().flag, "--keys");
        assert_eq!(parse(&["--keys", "x"]).unwrap_err().flag, "--keys");
        assert_eq!(parse(&["--addr"]).unwrap_err().flag, "--addr");
        assert_eq!(
            parse(&["--cache-capacity", "0"]).unwrap_err().flag,
            "--cache-capacity"
        );
        assert_eq!(parse(&["--bogus", "1"]).unwrap_err().flag, "--bogus");
        for bad in ["0", "-1", "NaN", "inf", "1e9", "soon"] {
            for flag in ["--header-read-timeout-secs", "--shutdown-grace-secs"] {
                assert_eq!(parse(&[flag, bad]).unwrap_err().flag, flag, "{flag} {bad}");
            }
        }
    }

    #[test]
    fn slow_client_limits_default_to_ten_seconds_and_take_fractions() {
        let Ok(Command::Serve(config)) = parse(&[]) else {
            panic!()
        };
        assert_eq!(config.header_read_timeout, Duration::from_secs(10));
        assert_eq!(config.shutdown_grace, Duration::from_secs(10));
        let Ok(Command::Serve(config)) = parse(&[
            "--header-read-timeout-secs",
            "0.5",
            "--shutdown-grace-secs",
            "2",
        ]) else {
            panic!()
        };
        assert_eq!(config.header_read_timeout, Duration::from_millis(500));
        assert_eq!(config.shutdown_grace, Duration::from_secs(2));
    }
}
