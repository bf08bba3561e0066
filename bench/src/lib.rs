//! poolkit's benchmarks beside the strongest peers, in a package of their own so that the peers
//! and criterion never enter poolkit's own build (the README's first command builds only what the
//! allocation report needs).
//!
//! Run from the repository root: `cargo bench -p poolkit-bench --bench pool` or `--bench cache`;
//! the peer hit-ratio comparison: `cargo test -p poolkit-bench`.
