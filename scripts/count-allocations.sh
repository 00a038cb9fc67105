#!/usr/bin/env bash
# Counts malloc calls in rudp-send and rudp-recv for two file sizes (10 MB and 40 MB over
# loopback, sr): if the hot path allocated per packet, the counts would grow by about 25,000
# between the two. They grow by fewer than 10 (a few late buffers of the run), whatever the size.
#   scripts/count-allocations.sh [PROTOCOL]
set -euo pipefail
cd "$(dirname "$0")/.."
protocol=${1:-sr}
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/count.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>
static atomic_long calls;
static void *(*real_malloc)(size_t);
void *malloc(size_t size) {
    if (!real_malloc) real_malloc = dlsym(RTLD_NEXT, "malloc");
    atomic_fetch_add(&calls, 1);
    return real_malloc(size);
}
__attribute__((destructor)) static void report(void) {
    char line[64];
    int length = snprintf(line, sizeof line, "mallocs %ld\n", (long)calls);
    write(2, line, length);
}
C
cc -shared -fPIC -O2 -o "$work/libcount.so" "$work/count.c" -ldl
mkdir "$work/in"
for size in 10000000 40000000; do
    head -c "$size" /dev/urandom > "$work/file.bin"
    LD_PRELOAD="$work/libcount.so" "$bin/rudp-recv" --listen 127.0.0.1:0 --out "$work/in" --overwrite --once 2> "$work/recv.err" &
    receiver=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/recv.err" && break; sleep 0.05; done
    address=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$work/recv.err")
    sender=$(LD_PRELOAD="$work/libcount.so" "$bin/rudp-send" "$work/file.bin" "$address" --protocol "$protocol" --quiet 2>&1 | sed -n 's/mallocs //p')
    wait "$receiver"
    echo "$protocol, $size bytes: sender $sender mallocs, receiver $(sed -n 's/mallocs //p' "$work/recv.err") mallocs"
done
