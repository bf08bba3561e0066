//! Writes the benchmark page, `bench/README.md`, and its charts
//! (`bench/charts/*.svg`) from criterion's own output: the median point
//! estimate of every benchmark in `target/criterion/**/new/estimates.json`
//! (named by the `benchmark.json` beside it). No figure is typed by hand: a
//! row the page expects but criterion has not written is shown as
//! *missing*, and a table shows ratios only between rows of one group,
//! i.e. of one run of one benchmark binary.
//!
//! Run from anywhere in the workspace, after the benchmarks:
//! `cargo run -p poolkit-bench --bin tables` (`CARGO_TARGET_DIR` is
//! honoured). The hit ratios on real traces are not criterion's: they are
//! included from `bench/results/hit-ratios.md` when that file exists.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use plotters::prelude::*;
use serde_json::Value;

/// The command that counts the instructions and runs every benchmark the
/// page shows, then this generator.
const RUN_ALL: &str = ".ci/instruction-budget --no-check && cargo bench -p poolkit-bench --bench pool --bench pool_jemalloc --bench pool_mimalloc --bench buf --bench small_writes --bench cache -- --warm-up-time 1 --measurement-time 2 && cargo run -p poolkit-bench --bin tables";

/// What the cache's speed tables measure.
const OPS: &str = "ns per operation over the trace (a get, and an insert on a miss); rows as named in `bench/benches/cache.rs`.";

/// Short criterion times, as the page's runs use.
const QUICK: &str = "--warm-up-time 1 --measurement-time 2";

/// One measurement: criterion's median, and when it was written.
struct Estimate {
    ns: f64,
    written: SystemTime,
}

/// Measurements by (group, function, parameter).
type Key = (String, String, Option<String>);

struct Measurements(BTreeMap<Key, Estimate>);

impl Measurements {
    /// Reads every `new/` directory under `root` (criterion's layout:
    /// `<group>/<function>[/<parameter>]/new/{benchmark,estimates}.json`).
    fn read(root: &Path) -> Result<Self, String> {
        let mut found = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !path.is_dir() {
                    continue;
                }
                if path.file_name().is_some_and(|n| n == "new") {
                    if let Some((key, estimate)) = read_one(&path)? {
                        found.insert(key, estimate);
                    }
                } else {
                    stack.push(path);
                }
            }
        }
        Ok(Measurements(found))
    }

    fn get(&self, group: &str, function: &str, value: Option<&str>) -> Option<&Estimate> {
        self.0.get(&(
            group.to_string(),
            function.to_string(),
            value.map(str::to_string),
        ))
    }

    /// The functions measured in `group`, in name order.
    fn functions(&self, group: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .0
            .keys()
            .filter(|(g, _, _)| g == group)
            .map(|(_, f, _)| f.clone())
            .collect();
        names.dedup();
        names
    }
}

/// One benchmark's median, if `dir` holds both of criterion's files.
fn read_one(dir: &Path) -> Result<Option<(Key, Estimate)>, String> {
    let (Ok(benchmark), Ok(estimates)) = (
        fs::read_to_string(dir.join("benchmark.json")),
        fs::read_to_string(dir.join("estimates.json")),
    ) else {
        return Ok(None);
    };
    let parse = |text: &str, file: &str| {
        serde_json::from_str::<Value>(text)
            .map_err(|e| format!("{}: {e}", dir.join(file).display()))
    };
    let benchmark = parse(&benchmark, "benchmark.json")?;
    let estimates = parse(&estimates, "estimates.json")?;
    let text = |v: &Value, field: &str| v.get(field).and_then(Value::as_str).map(str::to_string);
    let Some(group) = text(&benchmark, "group_id") else {
        return Ok(None);
    };
    let function = text(&benchmark, "function_id").unwrap_or_default();
    let value = text(&benchmark, "value_str");
    let Some(ns) = estimates
        .pointer("/median/point_estimate")
        .and_then(Value::as_f64)
    else {
        return Err(format!(
            "{}: no median point estimate",
            dir.join("estimates.json").display()
        ));
    };
    let written = fs::metadata(dir.join("estimates.json"))
        .and_then(|m| m.modified())
        .unwrap_or(UNIX_EPOCH);
    Ok(Some(((group, function, value), Estimate { ns, written })))
}

/// A column: one group (and parameter) of criterion's output.
struct Col {
    label: String,
    group: String,
    value: Option<String>,
}

/// A table of the page: rows by criterion function name, ratios to the
/// `baseline` row of the same column (same group, same run).
struct Table {
    title: &'static str,
    about: &'static str,
    command: String,
    allocator: String,
    cols: Vec<Col>,
    /// `(function, label)`; empty: every function found, by name.
    rows: Vec<(&'static str, &'static str)>,
    baseline: Option<&'static str>,
}

/// Where the tables come from: the benchmark sources' groups and rows.
fn tables(glibc: &str) -> Vec<(&'static str, Vec<Table>)> {
    let alloc_sizes = ["64B", "4KiB", "64KiB", "1MiB"];
    let buf_sizes = ["64B", "4KiB", "64KiB", "1MiB", "4MiB", "16MiB"];
    let freeze_sizes = ["4KiB", "64KiB", "1MiB"];
    let by_param = |group: &str, sizes: &[&str]| -> Vec<Col> {
        sizes
            .iter()
            .map(|s| Col {
                label: pretty_size(s),
                group: group.to_string(),
                value: Some(s.to_string()),
            })
            .collect()
    };
    let by_group = |prefix: &str, sizes: &[&str]| -> Vec<Col> {
        sizes
            .iter()
            .map(|s| Col {
                label: pretty_size(s),
                group: format!("{prefix}/{s}"),
                value: None,
            })
            .collect()
    };
    let one = |group: &str, label: &str| {
        vec![Col {
            label: label.to_string(),
            group: group.to_string(),
            value: None,
        }]
    };
    let round_trip_rows = vec![
        ("pool", "`Pool<Vec<u8>>`"),
        ("bufpool", "`BufPool::get`"),
        ("buf_get", "`poolkit::buf::get`"),
        ("floor", "floor: bare `thread_local!` of boxes"),
        ("vec_with_capacity", "`Vec::with_capacity` + free"),
    ];
    let mut glibc_rows = round_trip_rows.clone();
    glibc_rows.push((
        "lockfree_object_pool",
        "lockfree-object-pool `LinearObjectPool`",
    ));
    glibc_rows.push(("sharded_slab", "sharded-slab `Pool`"));

    let round_trip = |alloc: &'static str, name: &str, bench: &str, rows| Table {
        title: match alloc {
            "glibc" => "Under glibc's malloc (the default)",
            "jemalloc" => "Under jemalloc (`tikv-jemallocator`)",
            _ => "Under mimalloc (`mimalloc`)",
        },
        about: "",
        command: format!(
            "cargo bench -p poolkit-bench --bench {bench} -- round_trip_{alloc} {QUICK}"
        ),
        allocator: name.to_string(),
        cols: by_param(&format!("round_trip_{alloc}"), &alloc_sizes),
        rows,
        baseline: Some("floor"),
    };
    let buf_rows = vec![
        ("bufpool", "`BufPool::get`"),
        ("bufpool_default", "`poolkit::buf::get`"),
        ("bare_thread_local", "bare `thread_local!` of `Vec`s"),
        (
            "bare_thread_local_boxed",
            "floor: bare `thread_local!` of boxes",
        ),
        ("no_pool_vec_with_capacity", "`Vec::with_capacity` + free"),
        ("no_pool_vec_zeroed", "`vec![0; n]` + free"),
        (
            "no_pool_bytesmut_with_capacity",
            "`BytesMut::with_capacity` + free",
        ),
    ];
    let freeze_rows = vec![
        ("channel_alone", "the channel alone (three empty `Bytes`)"),
        ("bufpool_freeze", "`BufPool::get_owned` + `freeze`"),
        (
            "bytes_from_vec_with_capacity",
            "`Bytes::from(Vec::with_capacity(n))`",
        ),
        ("bytesmut_freeze", "`BytesMut::with_capacity(n).freeze()`"),
    ];
    let cache = |group: &'static str, title: &'static str, about: &'static str| Table {
        title,
        about,
        command: format!("cargo bench -p poolkit-bench --bench cache -- {group} {QUICK}"),
        allocator: glibc.to_string(),
        cols: one(group, "ns per op"),
        rows: Vec::new(),
        baseline: None,
    };
    vec![
        (
            "Round trips under three allocators",
            vec![
                round_trip("glibc", glibc, "pool", glibc_rows),
                round_trip("jemalloc", "jemalloc", "pool_jemalloc", round_trip_rows.clone()),
                round_trip("mimalloc", "mimalloc", "pool_mimalloc", round_trip_rows),
            ],
        ),
        (
            "Pool",
            vec![
                Table {
                    title: "Two threads sharing one pool, 4 KiB",
                    about: "ns per round trip per thread, both threads running at once.",
                    command: format!("cargo bench -p poolkit-bench --bench pool -- get_return_2t {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: one("get_return_2t/4KiB", "4 KiB, 2 threads"),
                    rows: vec![
                        ("poolkit", "`Pool<Vec<u8>>`"),
                        ("bare_thread_local", "bare `thread_local!` of `Vec`s"),
                        ("bare_thread_local_boxed", "floor: bare `thread_local!` of boxes"),
                        ("no_pool_with_capacity", "`Vec::with_capacity` + free"),
                        ("lockfree_object_pool", "lockfree-object-pool `LinearObjectPool`"),
                        ("sharded_slab", "sharded-slab `Pool`"),
                    ],
                    baseline: Some("bare_thread_local_boxed"),
                },
                Table {
                    title: "Across threads, 4 KiB",
                    about: "Get and use on one thread, return on the other through a spinning queue of 1,024 slots; ns per item. The floor moves each buffer header's cache line to the consumer and back, with no pool logic.",
                    command: format!("cargo bench -p poolkit-bench --bench pool -- cross_thread {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: one("cross_thread/4KiB", "4 KiB across threads"),
                    rows: vec![
                        ("channel_alone", "the channel alone"),
                        ("floor_cache_lines_only", "floor: the cache lines only"),
                        ("poolkit", "`Pool::get_owned`"),
                        ("poolkit_borrowed_guard", "`Pool::get` (scoped thread)"),
                        ("no_pool_with_capacity", "`Vec::with_capacity` + free"),
                        ("lockfree_object_pool", "lockfree-object-pool `LinearObjectPool`"),
                        ("sharded_slab", "sharded-slab `Pool`"),
                    ],
                    baseline: Some("floor_cache_lines_only"),
                },
                Table {
                    title: "An object that is expensive to build",
                    about: "A map and three reserved vectors, used and reset; ratio to building a new one each time.",
                    command: format!("cargo bench -p poolkit-bench --bench pool -- expensive_object {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: one("expensive_object_1t", "1 thread"),
                    rows: vec![
                        ("poolkit", "`Pool<Session>`"),
                        ("no_pool", "no pool"),
                        ("lockfree_object_pool", "lockfree-object-pool `LinearObjectPool`"),
                    ],
                    baseline: Some("no_pool"),
                },
            ],
        ),
        (
            "Buffers",
            vec![
                Table {
                    title: "16 bytes written",
                    about: "Get a buffer of `n` bytes, write 16 bytes, let it go.",
                    command: format!("cargo bench -p poolkit-bench --bench buf -- get_return_16B {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: by_group("get_return_16B", &buf_sizes),
                    rows: buf_rows.clone(),
                    baseline: Some("bare_thread_local_boxed"),
                },
                Table {
                    title: "The whole buffer written",
                    about: "Get a buffer of `n` bytes, write all `n`, let it go.",
                    command: format!("cargo bench -p poolkit-bench --bench buf -- get_return_full {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: by_group("get_return_full", &buf_sizes),
                    rows: buf_rows,
                    baseline: Some("bare_thread_local_boxed"),
                },
                Table {
                    title: "`freeze` into `Bytes`, one thread",
                    about: "16 bytes in an `n`-byte buffer, frozen, cloned and sliced, all dropped; ratio to `Bytes::from(Vec)`.",
                    command: format!("cargo bench -p poolkit-bench --bench buf -- freeze_1t {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: by_group("freeze_1t", &freeze_sizes),
                    rows: freeze_rows[1..].to_vec(),
                    baseline: Some("bytes_from_vec_with_capacity"),
                },
                Table {
                    title: "`freeze` into `Bytes`, across threads",
                    about: "The same, dropped on a second thread (a queue of 16 slots); ratio to `Bytes::from(Vec)`.",
                    command: format!("cargo bench -p poolkit-bench --bench buf -- freeze_2t {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: by_group("freeze_2t", &freeze_sizes),
                    rows: freeze_rows,
                    baseline: Some("bytes_from_vec_with_capacity"),
                },
                Table {
                    title: "A small formatted key (about 20 bytes)",
                    about: "Format `user:{id}:{field}` (20 bytes) into a buffer and read it; ratio to `format!`.",
                    command: format!("cargo bench -p poolkit-bench --bench small_writes -- small_key {QUICK}"),
                    allocator: glibc.to_string(),
                    cols: one("small_key", "ns per key"),
                    rows: vec![
                        ("format", "`format!`"),
                        ("String_fmt_write", "`String` reused, `write!`"),
                        ("Vec::new", "`Vec::new` + `write!`"),
                        ("Vec::with_capacity_32", "`Vec::with_capacity(32)` + `write!`"),
                        ("SmallVec_256", "`SmallVec<[u8; 256]>` + `write!`"),
                        ("StackBuf_256_io", "`StackBuf<256>`, `io::Write`"),
                        ("StackBuf_256_fmt", "`StackBuf<256>`, `fmt::Write`"),
                        ("StackBuf_32_fmt", "`StackBuf<32>` (spills), `fmt::Write`"),
                    ],
                    baseline: Some("format"),
                },
            ],
        ),
        (
            "Cache speed",
            vec![
                cache("zipf_1_thread", "Zipf trace, one thread", OPS),
                cache("zipf_2_threads", "Zipf trace, two threads", OPS),
                cache("loop", "A loop larger than the cache", OPS),
                cache(
                    "expiry",
                    "Expiry",
                    "The Zipf trace with a clock that advances 100 ns per operation and a 200 µs TTL: \
                     ns per operation (a get, and an insert on a miss or an expired entry).",
                ),
            ],
        ),
    ]
}

/// `4KiB` -> `4 KiB`.
fn pretty_size(s: &str) -> String {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    format!("{} {}", &s[..split], &s[split..])
}

/// Bytes of a size label (`64B`, `4KiB`, `1MiB`).
fn size_bytes(s: &str) -> f64 {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: f64 = s[..split].parse().unwrap_or(0.0);
    n * match &s[split..] {
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        _ => 1.0,
    }
}

/// Three significant figures (at least two decimals below 10), thousands
/// separated: times in ns and ratios.
fn ns(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        let whole = format!("{:.0}", v);
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

/// A date (UTC) from a time stamp.
fn date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    // Days to a civil date (H. Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The machine, as far as this process can see it.
struct Machine {
    cpu: String,
    cores: usize,
    rustc: String,
    glibc: String,
}

impl Machine {
    fn probe() -> Self {
        let cpu = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let first_line = |program: &str, arg: &str| {
            Command::new(program)
                .arg(arg)
                .output()
                .ok()
                .and_then(|o| {
                    String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .next()
                        .map(|l| l.trim().to_string())
                })
                .filter(|l| !l.is_empty())
        };
        let rustc = first_line(
            &std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()),
            "--version",
        )
        .unwrap_or_else(|| "rustc (version unknown)".into());
        // `ldd --version` names the C library: "ldd (Debian GLIBC 2.36-9) 2.36".
        let glibc = first_line("ldd", "--version")
            .and_then(|l| l.rsplit(' ').next().map(|v| format!("glibc {v} malloc")))
            .unwrap_or_else(|| "the system allocator".into());
        Machine {
            cpu,
            cores,
            rustc,
            glibc,
        }
    }
}

/// Renders one table; returns its markdown.
fn render(table: &Table, m: &Measurements, machine: &Machine) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#### {}\n", table.title);
    if !table.about.is_empty() {
        let _ = writeln!(out, "{}\n", table.about);
    }
    let rows: Vec<(String, String)> = if table.rows.is_empty() {
        let mut names: Vec<String> = Vec::new();
        for col in &table.cols {
            for f in m.functions(&col.group) {
                if !names.contains(&f) {
                    names.push(f);
                }
            }
        }
        names
            .into_iter()
            .map(|f| (f.clone(), format!("`{f}`")))
            .collect()
    } else {
        table
            .rows
            .iter()
            .map(|(f, l)| (f.to_string(), l.to_string()))
            .collect()
    };
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "*Not measured yet*: no output of this group under `target/criterion`. Run `{}`, then `cargo run -p poolkit-bench --bin tables`.\n",
            table.command
        );
        return out;
    }
    let ratio_note = match table.baseline {
        Some(b) => {
            let label = rows
                .iter()
                .find(|(f, _)| f == b)
                .map_or(b.to_string(), |(_, l)| l.clone());
            format!(" (× {label}, same run)")
        }
        None => String::new(),
    };
    let _ = write!(out, "| ns, median{ratio_note} |");
    for col in &table.cols {
        let _ = write!(out, " {} |", col.label);
    }
    out.push_str("\n|---|");
    for _ in &table.cols {
        out.push_str("---|");
    }
    out.push('\n');
    let mut newest = UNIX_EPOCH;
    let mut any = false;
    for (function, label) in &rows {
        let _ = write!(out, "| {label} |");
        for col in &table.cols {
            let cell = m.get(&col.group, function, col.value.as_deref());
            let base = table
                .baseline
                .and_then(|b| m.get(&col.group, b, col.value.as_deref()));
            match cell {
                None => out.push_str(" *missing* |"),
                Some(e) => {
                    any = true;
                    newest = newest.max(e.written);
                    match base {
                        Some(b) if b.ns > 0.0 => {
                            let _ = write!(out, " {} ({} ×) |", ns(e.ns), ns(e.ns / b.ns));
                        }
                        _ => {
                            let _ = write!(out, " {} |", ns(e.ns));
                        }
                    }
                }
            }
        }
        out.push('\n');
    }
    let when = if any {
        format!("measured {}", date(newest))
    } else {
        "not measured yet".into()
    };
    let _ = writeln!(
        out,
        "\n{} · {} cores · {} · {} · {}. Reproduce: `{}`\n",
        machine.cpu, machine.cores, machine.rustc, table.allocator, when, table.command
    );
    out
}

/// One line of a chart: a label and its points (bytes, ns).
type Line = (String, Vec<(f64, f64)>);

/// The points of `function` in a group measured per size parameter.
fn line_by_param(m: &Measurements, group: &str, function: &str, sizes: &[&str]) -> Vec<(f64, f64)> {
    sizes
        .iter()
        .filter_map(|s| {
            m.get(group, function, Some(s))
                .map(|e| (size_bytes(s), e.ns))
        })
        .collect()
}

/// The points of `function` in groups `<prefix>/<size>`.
fn line_by_group(
    m: &Measurements,
    prefix: &str,
    function: &str,
    sizes: &[&str],
) -> Vec<(f64, f64)> {
    sizes
        .iter()
        .filter_map(|s| {
            m.get(&format!("{prefix}/{s}"), function, None)
                .map(|e| (size_bytes(s), e.ns))
        })
        .collect()
}

/// A log-log chart of round-trip time against buffer size; `None` when no
/// line has a point.
fn chart(title: &str, lines: &[Line]) -> Result<Option<String>, String> {
    let points = || lines.iter().flat_map(|(_, p)| p.iter());
    if points().next().is_none() {
        return Ok(None);
    }
    // Sizes are powers of two: the x axis is their exponent, so that its
    // ticks fall on round sizes (64 B, 256 B, 1 KiB, ...).
    let x_min = points().map(|p| p.0.log2()).fold(f64::INFINITY, f64::min);
    let x_max = points().map(|p| p.0.log2()).fold(0.0, f64::max);
    let y_max = points().map(|p| p.1).fold(0.0, f64::max);
    let y_min = points().map(|p| p.1).fold(f64::INFINITY, f64::min);
    // Whole decades on the time axis, so its ticks are round.
    let y_lo = 10f64.powf(y_min.log10().floor());
    let y_hi = 10f64.powf(y_max.log10().ceil());
    let colours = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
    ];
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        // The legend goes in a band of its own to the right of the plot,
        // clear of every line.
        let (plot, legend) = root.split_horizontally(610);
        let mut c = ChartBuilder::on(&plot)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x_min - 0.5..x_max + 0.5, (y_lo..y_hi).log_scale())
            .map_err(|e| e.to_string())?;
        c.configure_mesh()
            .x_desc("buffer size")
            .y_desc("ns per round trip (median)")
            .x_labels(12)
            .x_label_formatter(&|v| human_bytes(v.exp2()))
            .y_label_formatter(&|v| ns(*v))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (label, pts)) in lines.iter().enumerate() {
            let (colour, style) = line_style(&colours, i, label);
            let pts: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x.log2(), y)).collect();
            c.draw_series(LineSeries::new(pts.iter().copied(), style))
                .map_err(|e| e.to_string())?;
            c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(|e| e.to_string())?;
        }
        let font = ("sans-serif", 15).into_font();
        for (i, (label, pts)) in lines.iter().enumerate() {
            let (_, style) = line_style(&colours, i, label);
            let y = 60 + 26 * i as i32;
            legend
                .draw(&PathElement::new(vec![(10, y), (40, y)], style))
                .map_err(|e| e.to_string())?;
            let text = if pts.is_empty() {
                format!("{label} (missing)")
            } else {
                label.clone()
            };
            legend
                .draw(&Text::new(text, (48, y - 8), font.clone()))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(Some(svg))
}

/// The floor in thick black, every other line in the palette's colours.
fn line_style(colours: &[RGBColor], i: usize, label: &str) -> (RGBColor, ShapeStyle) {
    if label.contains("floor") {
        (BLACK, BLACK.stroke_width(3))
    } else {
        let colour = colours[i % colours.len()];
        (colour, colour.stroke_width(2))
    }
}

fn human_bytes(v: f64) -> String {
    if v >= 1024.0 * 1024.0 {
        format!("{:.0} MiB", v / (1024.0 * 1024.0))
    } else if v >= 1024.0 {
        format!("{:.0} KiB", v / 1024.0)
    } else {
        format!("{v:.0} B")
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("tables: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = bench_dir
        .parent()
        .ok_or("the bench package has no parent directory")?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| {
            if t.is_relative() {
                workspace.join(t)
            } else {
                t
            }
        })
        .unwrap_or_else(|| workspace.join("target"));
    let criterion_dir = target.join("criterion");
    let m = Measurements::read(&criterion_dir)?;
    let machine = Machine::probe();
    let charts_dir = bench_dir.join("charts");
    fs::create_dir_all(&charts_dir).map_err(|e| format!("{}: {e}", charts_dir.display()))?;

    let mut page = String::new();
    page.push_str(
        "# poolkit's benchmarks\n\n\
         Generated by `cargo run -p poolkit-bench --bin tables` from criterion's own output \
         (`target/criterion/**/new/estimates.json`): every figure is the median of its row, \
         and every ratio compares two rows of one group, measured in one run of one benchmark \
         binary. A row the benchmarks define but criterion has not written is shown as \
         *missing*. Nothing on this page is typed by hand.\n\n",
    );
    let _ = writeln!(
        page,
        "Machine: {}, {} cores, {}, Linux. Absolute times on a shared machine vary from run to \
         run with the other work on it; compare ratios within a table, each measured in one run.\n\n\
         Everything on this page but the cache's hit ratios, in one line:\n\n\
         ```sh\n{RUN_ALL}\n```\n\n\
         The floor is a bare `thread_local!` `RefCell<Vec<Box<Vec<u8>>>>` pop and push, with no \
         classes, bounds, stats or aging (`bench/support/bare.rs`). It and poolkit's get and \
         return are inlined into the same criterion loop: the floor through `#[inline(always)]`, \
         poolkit through the bench profile's thin LTO and single codegen unit, as in a user's \
         release build. The size of each round trip is read at run time.\n",
        machine.cpu, machine.cores, machine.rustc
    );

    page.push_str(&instructions(
        &target.join("instruction-counts.tsv"),
        &machine,
    ));

    let glibc = machine.glibc.clone();
    for (section, tables) in tables(&glibc) {
        let _ = writeln!(page, "## {section}\n");
        if section.starts_with("Round trips") {
            page.push_str(
                "Get a buffer of at least `n` bytes, write 16 bytes, give it back (ns per round \
                 trip). One benchmark binary per global allocator, each with the same rows \
                 (`bench/support/alloc_rows.rs`); the glibc binary adds the peer pools. Ratios \
                 are to the floor of the same table.\n\n",
            );
            write_round_trip_charts(&m, &charts_dir, &mut page)?;
        }
        if section == "Buffers" {
            write_buffer_chart(&m, &charts_dir, &mut page)?;
        }
        for table in &tables {
            page.push_str(&render(table, &m, &machine));
        }
    }

    page.push_str("## Cache hit ratios on real traces\n\n");
    if bench_dir.join("results").join("hit-ratios.svg").exists() {
        page.push_str("![miss ratio per trace and capacity](results/hit-ratios.svg)\n\n");
    }
    let hit_ratios = bench_dir.join("results").join("hit-ratios.md");
    match fs::read_to_string(&hit_ratios) {
        Ok(text) => {
            // Its headings one level down, under this page's section.
            for line in text.lines() {
                if line.starts_with('#') {
                    let _ = writeln!(page, "##{line}");
                } else {
                    let _ = writeln!(page, "{line}");
                }
            }
            page.push('\n');
        }
        Err(_) => page.push_str(
            "Not measured yet on this page: the hit ratios of poolkit's cache beside `lru` and \
             `quick_cache` on real traces are written to `bench/results/hit-ratios.md` by the \
             hit-ratio replay, and appear here when this page is next generated.\n",
        ),
    }

    let readme = bench_dir.join("README.md");
    fs::write(&readme, page).map_err(|e| format!("{}: {e}", readme.display()))?;
    println!(
        "wrote {} from {} measurements under {}",
        readme.display(),
        m.0.len(),
        criterion_dir.display()
    );
    Ok(())
}

/// The instruction counts `.ci/instruction-budget` wrote (callgrind), as a
/// table with ratios to the floor; says how to get them when absent.
fn instructions(file: &Path, machine: &Machine) -> String {
    let command = ".ci/instruction-budget --no-check";
    let mut out = String::from("## Instructions per round trip\n\n");
    let text = fs::read_to_string(file).unwrap_or_default();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() == 3)
        .collect();
    let count = |name: &str| {
        rows.iter()
            .find(|f| f[0] == name)
            .and_then(|f| f[1].parse::<f64>().ok())
    };
    let Some(floor) = count("bare") else {
        let _ = writeln!(
            out,
            "*Not measured yet*: run `{command}`, then `cargo run -p poolkit-bench --bin tables`.\n"
        );
        return out;
    };
    out.push_str(
        "Get a 4 KiB buffer, write 16 bytes, return it, warm, counted by callgrind \
         (`examples/round_trip.rs`, `examples/buf_round_trip.rs`, built with the bench profile; \
         two round-trip counts, the difference divided by the extra round trips). Counts are \
         repeatable where times are not; CI fails when one exceeds its budget \
         (`.ci/instruction-budget.toml`).\n\n\
         | contestant | instructions (× floor) | budget |\n|---|---|---|\n",
    );
    let labels = [
        ("pool", "`Pool<Vec<u8>>`"),
        ("bufpool", "`BufPool::get`"),
        ("buf_get", "`poolkit::buf::get`"),
        ("bare", "floor: bare `thread_local!` of boxes"),
    ];
    for (name, label) in labels {
        let budget = rows.iter().find(|f| f[0] == name).map_or("", |f| f[2]);
        match count(name) {
            Some(c) => {
                let _ = writeln!(out, "| {label} | {c:.0} ({:.2} ×) | {budget} |", c / floor);
            }
            None => {
                let _ = writeln!(out, "| {label} | *missing* | |");
            }
        }
    }
    let when = fs::metadata(file)
        .and_then(|m| m.modified())
        .map_or("date unknown".into(), |t| format!("measured {}", date(t)));
    let _ = writeln!(
        out,
        "\n{} · {} cores · {} · {} · {when}. Reproduce: `{command}`\n",
        machine.cpu, machine.cores, machine.rustc, machine.glibc
    );
    out
}

fn save_chart(
    dir: &Path,
    name: &str,
    title: &str,
    lines: &[Line],
    alt: &str,
    page: &mut String,
) -> Result<(), String> {
    let path = dir.join(format!("{name}.svg"));
    match chart(title, lines)? {
        Some(svg) => {
            fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
            let _ = writeln!(page, "![{alt}](charts/{name}.svg)\n");
        }
        None => {
            // No stale chart beside a page that has no figures for it.
            let _ = fs::remove_file(&path);
            let _ = writeln!(page, "*Chart `{name}`: not measured yet.*\n");
        }
    }
    Ok(())
}

fn write_round_trip_charts(m: &Measurements, dir: &Path, page: &mut String) -> Result<(), String> {
    let sizes = ["64B", "4KiB", "64KiB", "1MiB"];
    let allocators = [
        ("glibc", "glibc malloc"),
        ("jemalloc", "jemalloc"),
        ("mimalloc", "mimalloc"),
    ];
    for (alloc, name) in allocators {
        let group = format!("round_trip_{alloc}");
        let mut rows = vec![
            ("pool", "Pool<Vec<u8>>"),
            ("bufpool", "BufPool::get"),
            ("buf_get", "poolkit::buf::get"),
            ("floor", "bare thread_local! (floor)"),
            ("vec_with_capacity", "Vec::with_capacity + free"),
        ];
        if alloc == "glibc" {
            rows.push(("lockfree_object_pool", "lockfree-object-pool"));
            rows.push(("sharded_slab", "sharded-slab"));
        }
        let lines: Vec<Line> = rows
            .iter()
            .map(|(f, l)| (l.to_string(), line_by_param(m, &group, f, &sizes)))
            .collect();
        save_chart(
            dir,
            &group,
            &format!("Get, write 16 B, return: {name}"),
            &lines,
            &format!("round trip time against buffer size under {name}"),
            page,
        )?;
    }
    // Allocating instead of pooling, under each allocator, beside poolkit's
    // pool under the same allocator.
    let mut lines: Vec<Line> = Vec::new();
    for (alloc, name) in allocators {
        let group = format!("round_trip_{alloc}");
        lines.push((
            format!("Vec::with_capacity, {name}"),
            line_by_param(m, &group, "vec_with_capacity", &sizes),
        ));
    }
    for (alloc, name) in allocators {
        let group = format!("round_trip_{alloc}");
        lines.push((
            format!("Pool<Vec<u8>>, {name}"),
            line_by_param(m, &group, "pool", &sizes),
        ));
    }
    page.push_str(
        "Allocating a fresh `Vec` under each allocator beside poolkit's `Pool` under the same \
         allocator (each line from its allocator's run):\n\n",
    );
    save_chart(
        dir,
        "allocators",
        "Allocate and free, or pool: three allocators",
        &lines,
        "Vec::with_capacity and Pool under glibc, jemalloc and mimalloc",
        page,
    )
}

fn write_buffer_chart(m: &Measurements, dir: &Path, page: &mut String) -> Result<(), String> {
    let sizes = ["64B", "4KiB", "64KiB", "1MiB", "4MiB", "16MiB"];
    let rows = [
        ("bufpool", "BufPool::get"),
        ("bufpool_default", "poolkit::buf::get"),
        ("bare_thread_local", "bare thread_local! of Vecs"),
        (
            "bare_thread_local_boxed",
            "bare thread_local! of boxes (floor)",
        ),
        ("no_pool_vec_with_capacity", "Vec::with_capacity + free"),
        ("no_pool_vec_zeroed", "vec![0; n] + free"),
        (
            "no_pool_bytesmut_with_capacity",
            "BytesMut::with_capacity + free",
        ),
    ];
    let lines: Vec<Line> = rows
        .iter()
        .map(|(f, l)| (l.to_string(), line_by_group(m, "get_return_16B", f, &sizes)))
        .collect();
    save_chart(
        dir,
        "buf_get_return_16B",
        "Buffers, 16 B written: glibc malloc",
        &lines,
        "buffer round trip time against size, 16 bytes written",
        page,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes one benchmark's two files as criterion does.
    fn write_estimate(root: &Path, function: &str, value: &str, median: f64, mean: f64) {
        let dir = root.join("g").join(function).join(value).join("new");
        fs::create_dir_all(&dir).unwrap();
        let benchmark = serde_json::json!({
            "group_id": "g", "function_id": function, "value_str": value,
            "full_id": format!("g/{function}/{value}"), "directory_name": "g",
        });
        let estimates = serde_json::json!({
            "mean": {"point_estimate": mean},
            "median": {"point_estimate": median},
        });
        fs::write(dir.join("benchmark.json"), benchmark.to_string()).unwrap();
        fs::write(dir.join("estimates.json"), estimates.to_string()).unwrap();
    }

    #[test]
    fn medians_ratios_to_the_floor_and_missing_rows() {
        let root = std::env::temp_dir().join(format!("poolkit-tables-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        write_estimate(&root, "floor", "4KiB", 4.0, 40.0);
        write_estimate(&root, "pool", "4KiB", 6.0, 60.0);
        // A second run's older directory must not be read.
        let old = root.join("g").join("pool").join("4KiB").join("base");
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join("estimates.json"), "{}").unwrap();
        let m = Measurements::read(&root).unwrap();
        let table = Table {
            title: "t",
            about: "",
            command: "cmd".into(),
            allocator: "alloc".into(),
            cols: vec![Col {
                label: "4 KiB".into(),
                group: "g".into(),
                value: Some("4KiB".into()),
            }],
            rows: vec![("pool", "P"), ("floor", "F"), ("absent", "A")],
            baseline: Some("floor"),
        };
        let machine = Machine {
            cpu: "cpu".into(),
            cores: 2,
            rustc: "rustc".into(),
            glibc: "glibc".into(),
        };
        let text = render(&table, &m, &machine);
        fs::remove_dir_all(&root).unwrap();
        assert!(text.contains("| P | 6.00 (1.50 ×) |"), "{text}");
        assert!(text.contains("| F | 4.00 (1.00 ×) |"), "{text}");
        assert!(text.contains("| A | *missing* |"), "{text}");
        assert!(text.contains("Reproduce: `cmd`"), "{text}");
    }

    #[test]
    fn a_group_not_measured_says_so_with_its_command() {
        let m = Measurements(BTreeMap::new());
        let machine = Machine {
            cpu: "cpu".into(),
            cores: 2,
            rustc: "rustc".into(),
            glibc: "glibc".into(),
        };
        let table = Table {
            title: "t",
            about: "",
            command: "cmd".into(),
            allocator: "alloc".into(),
            cols: vec![Col {
                label: "x".into(),
                group: "nothing".into(),
                value: None,
            }],
            rows: Vec::new(),
            baseline: None,
        };
        let text = render(&table, &m, &machine);
        assert!(text.contains("*Not measured yet*"), "{text}");
        assert!(text.contains("`cmd`"), "{text}");
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(ns(3.456), "3.46");
        assert_eq!(ns(34.56), "34.6");
        assert_eq!(ns(3456.0), "3,456");
        assert_eq!(
            date(UNIX_EPOCH + std::time::Duration::from_secs(1_765_152_000)),
            "2025-12-08"
        );
        assert_eq!(size_bytes("4KiB"), 4096.0);
        assert_eq!(pretty_size("16MiB"), "16 MiB");
    }
}
