#!/usr/bin/env bash
# The performance benchmark of issue 7: in one run on loopback, with release builds, it measures
# the baselines (iperf3's UDP blast, kernel TCP, atftp with windowsize 1 and 64) and our
# stop-and-wait, Go-Back-N and Selective Repeat, directly and through lossproxy, with both
# sides' peak RSS (also for a 256 MiB file), the simulator's packets per second and, when
# valgrind is installed, instructions per MB. It prints goodput and every ratio (ours ÷ baseline)
# beside the issue's targets, and writes results/perf/ (README.md, raw.jsonl, env.json, the
# console output, history.jsonl with one line per run).
#
#   scripts/bench.sh [SIZE]                 file size of the transfer measurements (default 64MB)
#
# Environment:
#   BENCH_REPEATS=5        each transfer measurement is repeated, interleaved; the median counts
#   BENCH_IPERF_SECONDS=2  length of each iperf3 run
#   BENCH_SINK_DIR=/dev/shm where received files are written (by rudp-recv and by atftp alike);
#                          a tmpfs keeps the disk's fsync and writeback out of a network figure
#   BENCH_RSS_SIZE=256MiB  file of the peak-RSS measurement (sr)
#   BENCH_CALLGRIND=1      0 skips scripts/bench/callgrind.sh (about a minute)
#   BENCH_PERF=1           0 skips scripts/bench/perf-profile.sh (perf's cpu-clock profile, ~10 s)
#   BENCH_INSTALL=1        0 never runs apt-get for missing tools (their rows say "not measured")
#   BENCH_OUT=results/perf where the results go
#   SCRATCH_PATH=.build-x  build in another scratch directory
#
# Not a test: the figures depend on the machine; only the ratios of one run compare. Needs
# Linux, python3 and, for the baselines, iperf3, atftp, atftpd and GNU time (Debian packages
# iperf3 atftp atftpd time, installed with apt-get when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$PWD
source scripts/bench/common.sh

size=${1:-64MB}
repeats=${BENCH_REPEATS:-5}
iperf_seconds=${BENCH_IPERF_SECONDS:-2}
rss_size=${BENCH_RSS_SIZE:-256MiB}
out=${BENCH_OUT:-results/perf}
started=$SECONDS

work=$(mktemp -d)
sink_root=${BENCH_SINK_DIR:-/dev/shm}
[[ -d $sink_root && -w $sink_root ]] || sink_root=$work
sink=$(mktemp -d -p "$sink_root")
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        pkill -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$work" "$sink"
}
trap cleanup EXIT
exec > >(tee "$work/console.txt") 2>&1

# --- tools -------------------------------------------------------------------------------------
missing=()
command -v iperf3 > /dev/null || missing+=(iperf3)
command -v atftp > /dev/null || missing+=(atftp)
command -v atftpd > /dev/null || missing+=(atftpd)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]} > 0)) && [[ ${BENCH_INSTALL:-1} == 1 ]] && [[ $(id -u) == 0 ]] && command -v apt-get > /dev/null; then
    echo "installing ${missing[*]} with apt-get"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" \
        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; }; } \
        > "$work/apt.log" 2>&1 || { echo "apt-get failed (see below); continuing without ${missing[*]}"; tail -5 "$work/apt.log"; }
fi
have() { command -v "$1" > /dev/null; }
[[ -x /usr/bin/time ]] || { echo "bench: GNU time (/usr/bin/time, Debian package 'time') is needed for peak RSS" >&2; exit 1; }

echo "building release products"
bench_build rudp-send rudp-recv lossproxy rudp-lab

# --- records -----------------------------------------------------------------------------------
raw="$work/raw.jsonl"
: > "$raw"
# record key=value...: appends one JSON object to raw.jsonl; numbers stay numbers, key:=JSON
# takes raw JSON.
record() {
    python3 - "$@" >> "$raw" <<'PY'
import json, sys
entry = {}
for argument in sys.argv[1:]:
    key, text = argument.split("=", 1)
    if key.endswith(":"):
        entry[key[:-1]] = json.loads(text)
        continue
    try:
        entry[key] = int(text)
    except ValueError:
        try:
            entry[key] = float(text)
        except ValueError:
            entry[key] = text
print(json.dumps(entry))
PY
}
last_line() { tail -n 1 "$1" 2>/dev/null || true; }

# --- environment -------------------------------------------------------------------------------
bytes=$(bench_bytes "$size")
rss_bytes=$(bench_bytes "$rss_size")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
uncommitted=$(git status --porcelain -- Sources Package.swift 2>/dev/null | wc -l)
python3 - "$work/env.json" <<PY
import json, sys
env = {
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "machine": "$(uname -srm)",
    "cpu": "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)",
    "cores": $(nproc),
    "commit": "$commit",
    "uncommitted_source_files": $uncommitted,
    "swift": "$(swift --version 2>&1 | head -1)",
    "iperf3": "$(have iperf3 && iperf3 --version 2>&1 | head -1)",
    "atftp": "$(have atftp && atftp --version 2>&1 | head -1)",
    "valgrind": "$(have valgrind && valgrind --version 2>&1 | head -1)",
    "rmem_max": "$(cat /proc/sys/net/core/rmem_max 2>/dev/null)",
    "loadavg_start": "$(cut -d' ' -f1-3 /proc/loadavg)",
    "sink": "$sink_root ($(df --output=fstype "$sink_root" 2>/dev/null | tail -1))",
    "wmem_max": "$(cat /proc/sys/net/core/wmem_max 2>/dev/null)",
    "size": "$size", "bytes": $bytes, "rss_size": "$rss_size", "rss_bytes": $rss_bytes,
    "repeats": $repeats, "iperf_seconds": $iperf_seconds,
}
json.dump(env, open(sys.argv[1], "w"), indent=1)
PY
echo "machine: $(uname -srm), $(nproc) cores; commit $commit ($uncommitted uncommitted source files)"
echo "file: $size ($bytes bytes); $repeats repeats, median counts; RSS file: $rss_size; received files in $sink_root"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"

source_file="$work/tftp/file.bin"
mkdir -p "$work/tftp"
chmod 755 "$work" "$work/tftp"  # atftpd serves as the user nobody
head -c "$bytes" /dev/urandom > "$source_file"
sync "$source_file"
chmod 644 "$source_file"

# --- measurements ------------------------------------------------------------------------------

# iperf3 -u: its UDP blast, whose received rate is the unreliable ceiling the issue compares sr
# with; iperf3 over TCP: what the kernel's TCP does without any file handling, for reference.
measure_iperf3() {
    local transport=$1 repeat=$2 port server name=iperf3 options=()
    if [[ $transport == udp ]]; then
        options=(-u -b 0 -l 1200)
    else
        name=iperf3-tcp
    fi
    port=$(bench_free_port)
    iperf3 -s -1 -B 127.0.0.1 -p "$port" -J > "$work/iperf3-server.json" 2>&1 &
    server=$!
    pids+=("$server")
    for _ in $(seq 200); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.05; done
    if ! iperf3 -c 127.0.0.1 -p "$port" "${options[@]}" -t "$iperf_seconds" -J > "$work/iperf3.json" 2> "$work/iperf3.err"; then
        wait "$server" || true
        record name="$name" repeat="$repeat" ok:=false error="$(head -c 300 "$work/iperf3.err" "$work/iperf3.json" | tr '\n' ' ')"
        return
    fi
    wait "$server" || true
    python3 - "$work/iperf3.json" "$repeat" "$name" >> "$raw" <<'PY'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
received = end.get("sum_received") or end["sum"]
sent = end.get("sum_sent") or end["sum"]
udp = end.get("sum") or {}
print(json.dumps({
    "name": sys.argv[3], "repeat": int(sys.argv[2]), "ok": True,
    "mbps": received["bits_per_second"] / 1e6, "sent_mbps": sent["bits_per_second"] / 1e6,
    "lost_percent": received.get("lost_percent", udp.get("lost_percent")),
    "seconds": received["seconds"], "bytes": received["bytes"],
}))
PY
}

# atftpd serves the file for every atftp measurement of the run.
start_atftpd() {
    atftpd_port=$(bench_free_port)
    atftpd --daemon --no-fork --port "$atftpd_port" --bind-address 127.0.0.1 --logfile - "$work/tftp" \
        > "$work/atftpd.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do ss -Hlun "sport = :$atftpd_port" | grep -q . && return 0; sleep 0.05; done
    echo "atftpd did not start:"; cat "$work/atftpd.log"
    return 1
}

# atftp fetches the file with blksize 1200 and the given RFC 7440 windowsize; timed from the
# client's start to its exit (request, option negotiation and transfer).
measure_atftp() {
    local windowsize=$1 repeat=$2 start end status=0
    rm -f "$sink/atftp.out"
    start=$EPOCHREALTIME
    timeout 300 /usr/bin/time -f %M -o "$work/atftp.rss" atftp --option "blksize 1200" --option "windowsize $windowsize" \
        -g -r file.bin -l "$sink/atftp.out" 127.0.0.1 "$atftpd_port" > "$work/atftp.log" 2>&1 || status=$?
    end=$EPOCHREALTIME
    if ((status != 0)) || ! cmp -s "$source_file" "$sink/atftp.out"; then
        record name="atftp-ws$windowsize" repeat="$repeat" ok:=false error="exit $status: $(tail -c 300 "$work/atftp.log" | tr '\n' ' ')"
        return
    fi
    local seconds
    seconds=$(python3 -c "print($end - $start)")
    record name="atftp-ws$windowsize" repeat="$repeat" ok:=true seconds="$seconds" bytes="$bytes" \
        mbps="$(python3 -c "print($bytes * 8 / $seconds / 1e6)")" receiver_rss_kb="$(last_line "$work/atftp.rss")"
    rm -f "$sink/atftp.out"
}

# transfer NAME FILE REPEAT direct|proxy SENDER-ARGS...: one rudp-send to a fresh
# `rudp-recv --once` (through a fresh lossproxy without impairment for `proxy`), both under GNU
# time for their peak RSS; goodput is rudp-send's own figure. The received file must match.
transfer() {
    local name=$1 file=$2 repeat=$3 via=$4
    shift 4
    local incoming="$sink/in" receiver proxy="" target line status=0
    rm -rf "$incoming"
    mkdir "$incoming"
    : > "$work/recv.err"
    /usr/bin/time -f %M -o "$work/recv.rss" "$bin/rudp-recv" --listen 127.0.0.1:0 --out "$incoming" --once --json \
        > "$work/recv.out" 2> "$work/recv.err" &
    receiver=$!
    pids+=("$receiver")
    bench_wait_for "listening on" "$work/recv.err"
    target=$(bench_listening_address "$work/recv.err")
    if [[ $via == proxy ]]; then
        : > "$work/proxy.err"
        "$bin/lossproxy" --listen 127.0.0.1:0 --to "$target" --seed 1 --json > "$work/proxy.out" 2> "$work/proxy.err" &
        proxy=$!
        pids+=("$proxy")
        bench_wait_for "listening on" "$work/proxy.err"
        target=$(bench_listening_address "$work/proxy.err")
    fi
    line=$(timeout 300 /usr/bin/time -f %M -o "$work/send.rss" "$bin/rudp-send" "$file" "$target" --json --name "$name.bin" "$@" \
        2> "$work/send.err") || status=$?
    if ((status != 0)); then
        pkill -P "$receiver" 2>/dev/null || true
    fi
    wait "$receiver" || true
    local proxy_line=""
    if [[ -n $proxy ]]; then
        kill -INT "$proxy" 2>/dev/null || true
        wait "$proxy" || true
        proxy_line=$(last_line "$work/proxy.out")
    fi
    if ((status != 0)) || ! cmp -s "$file" "$incoming/$name.bin"; then
        record name="$name" repeat="$repeat" ok:=false \
            error="sender exit $status: $(tail -c 300 "$work/send.err" | tr '\n' ' ') receiver: $(tail -c 200 "$work/recv.err" | tr '\n' ' ')"
        rm -rf "$incoming"
        return
    fi
    record name="$name" repeat="$repeat" ok:=true sender:="$line" \
        mbps="$(bench_json_field "$line" goodput_mbps)" seconds="$(bench_json_field "$line" seconds)" \
        bytes="$(bench_json_field "$line" bytes)" \
        sender_rss_kb="$(last_line "$work/send.rss")" receiver_rss_kb="$(last_line "$work/recv.rss")" \
        proxy:="${proxy_line:-null}"
    rm -rf "$incoming"
}

have atftpd && have atftp && { start_atftpd || true; }
for repeat in $(seq "$repeats"); do
    echo "repeat $repeat/$repeats"
    if have iperf3; then
        measure_iperf3 udp "$repeat"
        measure_iperf3 tcp "$repeat"
    fi
    transfer tcp "$source_file" "$repeat" direct --protocol tcp
    if [[ -n ${atftpd_port:-} ]]; then
        measure_atftp 1 "$repeat"
        measure_atftp 64 "$repeat"
    fi
    transfer sw "$source_file" "$repeat" direct --protocol sw --mss 1200
    transfer gbn "$source_file" "$repeat" direct --protocol gbn --mss 1200
    transfer sr "$source_file" "$repeat" direct --protocol sr --mss 1200
    transfer sr-w64 "$source_file" "$repeat" direct --protocol sr --mss 1200 --window 64
    transfer sr-proxy "$source_file" "$repeat" proxy --protocol sr --mss 1200
done

echo "peak RSS with a $rss_size file"
head -c "$rss_bytes" /dev/urandom > "$work/big.bin"
# Written back to disk first, so that the writeback of fresh dirty pages does not overlap the measurement.
sync "$work/big.bin"
transfer sr-rss "$work/big.bin" 1 direct --protocol sr --mss 1200
rm -f "$work/big.bin"

echo "simulator"
for repeat in $(seq "$repeats"); do
    if line=$("$bin/rudp-lab" bench-sim --json 2> "$work/sim.err"); then
        record name=sim repeat="$repeat" ok:=true result:="$line" \
            packets_per_second="$(bench_json_field "$line" packets_per_second)"
    else
        record name=sim repeat="$repeat" ok:=false error="$(tail -c 300 "$work/sim.err" | tr '\n' ' ')"
    fi
done
if line=$("$bin/rudp-lab" bench-sim --json --loss 2% --delay 5ms 2> "$work/sim.err"); then
    record name=sim-lossy repeat=1 ok:=true result:="$line" packets_per_second="$(bench_json_field "$line" packets_per_second)"
fi

if [[ ${BENCH_CALLGRIND:-1} == 1 ]] && have valgrind; then
    echo "callgrind (instructions per MB; valgrind runs ~50x slower)"
    if BENCH_BIN="$bin" CALLGRIND_JSON="$work/callgrind.json" CALLGRIND_TOP="$work/callgrind-top.txt" \
        scripts/bench/callgrind.sh > "$work/callgrind.txt" 2>&1; then
        record name=callgrind repeat=1 ok:=true result:="$(cat "$work/callgrind.json")"
    else
        echo "callgrind failed:"; tail -5 "$work/callgrind.txt"
        record name=callgrind repeat=1 ok:=false error="$(tail -c 300 "$work/callgrind.txt" | tr '\n' ' ')"
    fi
fi

if [[ ${BENCH_PERF:-1} == 1 ]] && have perf; then
    echo "perf profile (where the time goes)"
    BENCH_BIN="$bin" BENCH_SINK_DIR="$sink_root" scripts/bench/perf-profile.sh > "$work/perf-profile.txt" 2>&1 \
        || { echo "perf profile failed:"; tail -5 "$work/perf-profile.txt"; rm -f "$work/perf-profile.txt"; }
fi

python3 - "$work/env.json" <<'PY'
import json, sys
env = json.load(open(sys.argv[1]))
env["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
json.dump(env, open(sys.argv[1], "w"), indent=1)
PY
echo "finished in $((SECONDS - started)) s"
echo
mkdir -p "$out"
python3 scripts/bench/report.py --raw "$raw" --env "$work/env.json" --out "$out" \
    --callgrind-top "$work/callgrind-top.txt" --perf-profile "$work/perf-profile.txt" --seconds "$((SECONDS - started))"
cp "$raw" "$out/raw.jsonl"
cp "$work/env.json" "$out/env.json"
[[ -f $work/callgrind.txt ]] && cp "$work/callgrind.txt" "$out/callgrind.txt"
[[ -f $work/callgrind-top.txt ]] && cp "$work/callgrind-top.txt" "$out/callgrind-top.txt"
[[ -f $work/perf-profile.txt ]] && cp "$work/perf-profile.txt" "$out/perf-profile.txt"
# The console output last, so that it holds the table the report just printed.
sleep 0.2
cp "$work/console.txt" "$out/bench-output.txt"
