//! Trace replay: reads real and synthetic request traces, replays each through every
//! policy of [`policies::all`] at capacities of 0.1, 1 and 10 % of the trace's distinct
//! keys, and reports miss ratios (every request counted, no warm-up, as libCacheSim counts
//! them).

pub mod policies;
pub mod report;

use std::collections::HashSet;
use std::fs;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// A request trace: its name and its keys.
pub struct Trace {
    /// Name shown in the table.
    pub name: String,
    /// The keys, in request order.
    pub keys: Vec<u64>,
}

impl Trace {
    /// How many different keys the trace requests.
    pub fn distinct(&self) -> usize {
        self.keys.iter().collect::<HashSet<_>>().len()
    }
}

/// One key per line (decimal), blank lines ignored.
pub fn read_lines(path: &Path) -> io::Result<Vec<u64>> {
    let text = fs::read_to_string(path)?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.parse().map_err(|e| bad(path, l, e)))
        .collect()
}

/// libCacheSim's csv traces (`time, object, size, next_access_vtime`, `#` comments): the
/// object column, at most `limit` requests.
pub fn read_object_csv(path: &Path, limit: usize) -> io::Result<Vec<u64>> {
    let mut keys = Vec::new();
    for line in BufReader::new(fs::File::open(path)?).lines() {
        let line = line?;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if keys.len() == limit {
            break;
        }
        let field = line
            .split(',')
            .nth(1)
            .ok_or_else(|| bad(path, &line, "no second column"))?
            .trim();
        keys.push(field.parse().map_err(|e| bad(path, &line, e))?);
    }
    Ok(keys)
}

/// Keys stored as little-endian `u32`s, four bytes each (the committed trace samples).
pub fn read_u32_keys(path: &Path) -> io::Result<Vec<u64>> {
    let bytes = fs::read(path)?;
    if bytes.len() % 4 != 0 {
        return Err(bad(path, "", "length is not a multiple of 4"));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| u64::from(u32::from_le_bytes(b.try_into().expect("4 bytes"))))
        .collect())
}

/// Renumbers `keys` densely in order of first appearance (a one-to-one renaming: every
/// policy sees the same trace) and encodes them for [`read_u32_keys`].
pub fn dense_u32_bytes(keys: &[u64]) -> Vec<u8> {
    let mut ids = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(keys.len() * 4);
    for &k in keys {
        let next = ids.len() as u32;
        out.extend_from_slice(&ids.entry(k).or_insert(next).to_le_bytes());
    }
    out
}

fn bad(path: &Path, line: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: cannot read {line:?}: {e}", path.display()),
    )
}

/// The capacities replayed, as fractions of the distinct keys.
pub const FRACTIONS: [f64; 3] = [0.001, 0.01, 0.1];

/// Miss ratios of one trace at one capacity, one per policy (in [`policies::all`] order).
#[derive(Clone)]
pub struct Row {
    /// The trace's name.
    pub trace: String,
    /// Capacity as a fraction of the distinct keys.
    pub fraction: f64,
    /// Capacity in entries.
    pub capacity: usize,
    /// Miss ratio in % per policy.
    pub miss: Vec<f64>,
}

/// Replays `trace` through every policy at `fraction` of its `distinct` keys.
pub fn replay(trace: &Trace, distinct: usize, fraction: f64) -> Row {
    let capacity = ((distinct as f64 * fraction).round() as usize).max(1);
    let miss = policies::all()
        .into_iter()
        .map(|(_, make)| {
            let mut p = make(capacity);
            let hits = trace.keys.iter().filter(|&&k| p.access(k)).count();
            100.0 * (trace.keys.len() - hits) as f64 / trace.keys.len() as f64
        })
        .collect();
    Row {
        trace: trace.name.clone(),
        fraction,
        capacity,
        miss,
    }
}
