#!/bin/sh
# Fetches the real cache traces that libCacheSim ships in its source distribution on PyPI
# into target/traces/ (ignored by git): Twitter's key-value cache, cluster 52, its first
# 5,000,000 requests. (The CloudPhysics block I/O trace of the same folder is small and
# committed as bench/traces/cloudphysics.txt, one block number per request, identical to its
# cloudPhysicsIO.txt and to the objects of its cloudPhysicsIO.oracleGeneral.bin. The CI
# check's Twitter sample, bench/traces/twitter_cluster52_400k.u32, is the first 400,000
# requests of this trace with keys renumbered densely, written by
# `cargo run --release -p poolkit-bench --bin replay -- --make-sample`.)
#
#   sh bench/traces/fetch.sh            # from the repository root; needs pip, tar and zstd
#
# Then: cargo run --release -p poolkit-bench --bin replay
set -eu
out=target/traces
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# `--no-binary libcachesim` (not `:all:`): the source distribution, with its build tools as wheels.
pip download libcachesim==0.3.5 --no-binary libcachesim --no-deps -d "$tmp" >&2
tar xzf "$tmp"/libcachesim-0.3.5.tar.gz -C "$tmp" \
    libcachesim-0.3.5/src/libCacheSim/data/twitter_cluster52_10m.csv.zst
data="$tmp/libcachesim-0.3.5/src/libCacheSim/data"
# The header line plus the first 5,000,000 requests.
zstd -dc "$data/twitter_cluster52_10m.csv.zst" | head -n 5000001 > "$out/twitter_cluster52_5m.csv" || true
wc -l "$out/twitter_cluster52_5m.csv" >&2
ls -l "$out" >&2
