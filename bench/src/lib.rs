//! poolkit's benchmarks beside the strongest peers, in a package of their own so that the peers
//! and criterion never enter poolkit's own build (the README's first command builds only what the
//! allocation report needs).
//!
//! Run from the repository root: `cargo bench -p poolkit-bench --bench pool` (glibc's malloc,
//! with the peer pools), `--bench pool_jemalloc` and `--bench pool_mimalloc` (the same round
//! trips under those global allocators), `--bench buf` or `--bench cache`; the peer hit-ratio
//! comparison: `cargo test -p poolkit-bench`. `cargo run -p poolkit-bench --bin tables` then
//! writes the benchmark page, `bench/README.md`, from criterion's output; the page gives the one
//! command that runs everything it shows.
