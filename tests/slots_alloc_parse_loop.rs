//! dhat: once warm, a loop that splits log lines into owned `String` fields
//! held in a pooled `Slots<String>` makes no heap allocation, while the same
//! loop over a pooled `Vec<String>` allocates one `String` per field.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml), so
//! that only this thread allocates inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::{Pool, Reset, Slots};

const LINES: [&str; 3] = [
    "2026-12-01T10:00:00Z GET /index.html 200 512",
    "2026-12-01T10:00:01Z POST /login 302 0",
    "2026-12-01T10:00:02Z GET /static/app.js 200 40960",
];

/// Pushes each space-separated field of `line` as an owned `String`.
trait Fields: Reset {
    fn push_field(&mut self, field: &str);
    fn field_bytes(&self) -> usize;
}

impl Fields for Slots<String> {
    fn push_field(&mut self, field: &str) {
        self.push_with(|slot| slot.push_str(field));
    }
    fn field_bytes(&self) -> usize {
        self.iter().map(String::len).sum()
    }
}

impl Fields for Vec<String> {
    fn push_field(&mut self, field: &str) {
        self.push(field.to_owned());
    }
    fn field_bytes(&self) -> usize {
        self.iter().map(String::len).sum()
    }
}

/// Parses `rounds` × `LINES` lines through `pool`; returns the heap blocks
/// allocated after a warm-up of one round. (Call it outside `dhat::assert*`:
/// dhat's heap statistics cannot be read inside its own assertions.)
fn blocks_allocated_while_parsing<F: Fields + Send>(pool: &Pool<F>, rounds: usize) -> u64 {
    let parse = || {
        for line in LINES {
            let mut fields = pool.get();
            for field in line.split(' ') {
                fields.push_field(field);
            }
            assert_eq!(fields.field_bytes() + 4, line.len());
            std::hint::black_box(&fields);
        }
    };
    parse(); // warm-up: the thread's cache, the pooled value and its fields
    let before = dhat::HeapStats::get();
    for _ in 0..rounds {
        parse();
    }
    let after = dhat::HeapStats::get();
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    after.total_blocks - before.total_blocks
}

fn warm_parse_loop_allocates_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();

    let slots = Pool::new(Slots::<String>::new);
    let with_slots = blocks_allocated_while_parsing(&slots, 10_000);
    dhat::assert_eq!(with_slots, 0);

    // The obvious code, a pooled `Vec<String>`, frees its Strings on reset:
    // one allocation per field per line, which the counter above would see.
    let vec = Pool::new(Vec::<String>::new);
    let fields_per_round: u64 = LINES.iter().map(|l| l.split(' ').count() as u64).sum();
    let with_vec = blocks_allocated_while_parsing(&vec, 1_000);
    dhat::assert_eq!(with_vec, 1_000 * fields_per_round);
}

fn main() {
    warm_parse_loop_allocates_nothing();
    println!("slots_alloc_parse_loop: warm_parse_loop_allocates_nothing ... ok");
}
