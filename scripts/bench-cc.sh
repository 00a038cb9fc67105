#!/usr/bin/env bash
# The congestion-control benchmark of issue 13, on lossproxy's TUN link (Linux, root): in one
# run, Selective Repeat with each controller against kernel TCP with each of its congestion
# controls on the same emulated paths, every figure beside its target:
#   1. a long fat path: 50 ms each way, 200 Mbit/s, a queue of about one BDP, no loss, 50 MB;
#   2. random loss: 10 ms each way, 50 Mbit/s, 1 %, 3 % and 5 % loss each way, 20 MB.
# It prints one table per path and writes results/congestion/ (README.md with the console
# output, raw.jsonl with every rudp-send summary). Not a test: the figures depend on the machine.
#   sudo scripts/bench-cc.sh [--quick]        (--quick: 10 MB and 5 MB files, for a try)
#   SCRATCH_PATH=.build-x scripts/bench-cc.sh (build in another scratch directory)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
long_size=50MB
loss_size=20MB
if [[ ${1:-} == --quick ]]; then long_size=10MB; loss_size=5MB; fi
if [[ $(id -u) -ne 0 ]]; then
    echo "bench-cc.sh: the TUN link needs root: sudo scripts/bench-cc.sh" >&2
    exit 1
fi
out=${BENCH_OUT:-results/congestion}
work=$(mktemp -d)
ns_a="bench-cc-a-$$"
ns_b="bench-cc-b-$$"
link=""
receiver=""
cleanup() {
    [[ -n $receiver ]] && kill "$receiver" 2>/dev/null || true
    [[ -n $link ]] && { kill -INT "$link" 2>/dev/null || true; wait "$link" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT
echo "bench-cc.sh: building (release)" >&2
bench_build lossproxy rudp-send rudp-recv rudp-lab
mkdir -p "$out"
: > "$work/raw.jsonl"
head -c "$(bench_bytes "$long_size")" /dev/urandom > "$work/long.bin"
head -c "$(bench_bytes "$loss_size")" /dev/urandom > "$work/loss.bin"

in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }

# Starts the link with the impairments given and a receiver in B.
start_path() {
    "$bin/lossproxy" link --ns-a "$ns_a" --ns-b "$ns_b" --seed 1 "$@" > "$work/link.out" 2> "$work/link.err" &
    link=$!
    bench_wait_for "." "$work/link.out" 400
    rm -rf "$work/in"; mkdir -p "$work/in"
    # ip netns exec, not the in_b function: a function runs in a subshell, whose pid is not the
    # receiver's, and killing it left the receiver running after the benchmark.
    ip netns exec "$ns_b" "$bin/rudp-recv" --listen 10.77.0.2:9000 --out "$work/in" --overwrite --quiet 2> "$work/recv.err" &
    receiver=$!
    sleep 0.5
}
stop_path() {
    kill "$receiver" 2>/dev/null || true; wait "$receiver" 2>/dev/null || true; receiver=""
    kill -INT "$link"; wait "$link" 2>/dev/null || true; link=""
}

# send PATH_NAME FILE LABEL ARGS...: one transfer from A; prints its goodput (or "failed").
send() {
    local path=$1 file=$2 label=$3; shift 3
    if in_a "$bin/rudp-send" "$file" 10.77.0.2:9000 --name "$label.bin" --max-retries 50 --json "$@" \
        > "$work/send.json" 2> "$work/send.err"; then
        python3 -c "
import json, sys
summary = json.load(open(sys.argv[1]))
summary.update({'path': sys.argv[2], 'label': sys.argv[3]})
print(json.dumps(summary))" "$work/send.json" "$path" "$label" >> "$work/raw.jsonl"
        bench_json_field "$(cat "$work/send.json")" goodput_mbps
    else
        echo "failed: $(tail -1 "$work/send.err")" >&2
        echo failed
    fi
}

available=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)
tcp_variants=()
for variant in cubic reno bbr; do [[ " $available " == *" $variant "* ]] && tcp_variants+=("$variant"); done
# "sr" is rudp-send with no --cc: Selective Repeat's default (bbr; its summary's cc says so).
# "sr-mss1436" fills the link's 1,500-byte MTU, as TCP's 1,448-byte segments do (beside the
# targets, not one of them: the default payload is 1,200 bytes, safe on any path).
senders=("sr:" "sr-mss1436:--mss 1436" "sr-cubic:--cc cubic" "sr-reno:--cc reno" "sr-none:--cc none")
for variant in "${tcp_variants[@]}"; do senders+=("tcp-$variant:--protocol tcp --tcp-cc $variant"); done

declare -A goodput
measure() {
    local path=$1 file=$2 entry label
    for entry in "${senders[@]}"; do
        label=${entry%%:*}
        # shellcheck disable=SC2086
        goodput["$path/$label"]=$(send "$path" "$file" "$label" ${entry#*:})
        echo "  $path $label ${goodput["$path/$label"]} Mbit/s" >&2
    done
}

echo "bench-cc.sh: long fat path" >&2
start_path --delay 50ms --rate 200mbit --queue 2000
measure long "$work/long.bin"
stop_path
for loss in 1 3 5; do
    echo "bench-cc.sh: ${loss} % loss" >&2
    start_path --delay 10ms --rate 50mbit --loss "$loss%"
    measure "loss$loss" "$work/loss.bin"
    stop_path
done

# The same long fat path in the simulator (the same impairment engine on a virtual clock), for
# the sim-against-link agreement the issue asks of it.
echo "bench-cc.sh: long fat path, simulated" >&2
"$bin/rudp-lab" sweep --network sim --protocols sr --cc bbr --loss 0 --delay 50ms --rate 200mbit --queue 2000 \
    --size "$long_size" --repeats 1 --quiet --out "$work/sim" >&2
sim_goodput=$(python3 -c "
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['ok'] == 'true']
print(rows[0]['goodput_mbps'] if rows else '')" "$work/sim/results.csv")

python3 - "$work/raw.jsonl" "$long_size" "$loss_size" "$sim_goodput" > "$work/report.txt" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
by = {(r["path"], r["label"]): r for r in runs}
def rate(path, label):
    r = by.get((path, label))
    return r["goodput_mbps"] if r else None
def fmt(v): return "failed" if v is None else f"{v:,.1f}"
def ratio(a, b): return None if a is None or not b else a / b
labels = sorted({r["label"] for r in runs}, key=lambda l: (l.startswith("tcp"), l))
print(f"Paths on lossproxy link, files of {sys.argv[2]} (long fat path) and {sys.argv[3]} (loss).")
print()
paths = [("long", "50 ms each way, 200 Mbit/s, queue 2000 (≈ 1 BDP), no loss", 200.0, 0.0)] + \
        [(f"loss{p}", f"10 ms each way, 50 Mbit/s, {p} % loss each way", 50.0, p / 100) for p in (1, 3, 5)]
print(f"{'sender':<12}" + "".join(f"{name:>12}" for name, *_ in paths) + "   (goodput, Mbit/s)")
for label in labels:
    print(f"{label:<12}" + "".join(f"{fmt(rate(name, label)):>12}" for name, *_ in paths))
print()
for name, text, *_ in paths: print(f"  {name}: {text}")
print()
default_cc = {r.get("cc") for r in runs if r["label"] == "sr"}
print(f"sr is rudp-send's default Selective Repeat sender (cc reported: {', '.join(sorted(c for c in default_cc if c)) or 'none recorded'}).")
sim = float(sys.argv[4]) if sys.argv[4] else None
print(f"Simulator, same long fat path, sr --cc bbr: {fmt(sim)} Mbit/s.")
print()
print("Targets (issue 13):")
print(f"{'target':<58}{'value':>10}{'required':>12}  verdict")
def row(text, value, required):
    verdict = "not measured" if value is None else ("met" if value >= required else "missed")
    print(f"{text:<58}{('—' if value is None else f'{value:.2f}'):>10}{('≥ ' + format(required, 'g')):>12}  {verdict}")
row("long fat path: sr ÷ TCP cubic", ratio(rate("long", "sr"), rate("long", "tcp-cubic")), 1.0)
row("long fat path: sr ÷ link rate (startup included)", ratio(rate("long", "sr"), 200.0), 0.7)
for p in (1, 3, 5):
    row(f"{p} % loss: sr ÷ TCP cubic", ratio(rate(f"loss{p}", "sr"), rate(f"loss{p}", "tcp-cubic")), 2.0)
    row(f"{p} % loss: sr ÷ (50 Mbit/s × (1 − p))", ratio(rate(f"loss{p}", "sr"), 50 * (1 - p / 100)), 0.75)
agreement = None if sim is None or rate("long", "sr") is None else abs(sim - rate("long", "sr")) / rate("long", "sr")
verdict = "not measured" if agreement is None else ("met" if agreement <= 0.15 else "missed")
print(f"{'long fat path: |sim − link| ÷ link, sr':<58}{('—' if agreement is None else f'{agreement:.2f}'):>10}{'≤ 0.15':>12}  {verdict}")
print()
# The most any sender gets whose window doubles each round trip from RFC 9002's 10 packets,
# that sends its first flight with the SYN (as rudp-send does) and keeps the link busy from the
# round its flight reaches one BDP: the link idles for part of each round before.
RUDP_HEADERS = 36 + 28  # RUDP's, then IPv4's and UDP's, on every packet on the link
def doubling_bound(size, payload, rate_bps, rtt, on_wire=RUDP_HEADERS, initial=10, idle_rounds=0):
    per_packet = (payload + on_wire) * 8 / rate_bps  # seconds on the bottleneck (RUDP + IPv4/UDP headers)
    packets = -(-size // payload)
    elapsed, sent, flight = 0.0, 0, initial
    while flight * per_packet < rtt and sent + flight < packets:
        sent, elapsed, flight = sent + flight, elapsed + rtt, flight * 2
    # The rest at the link rate, then the last packet's way there and its answer's way back,
    # after the round trips before any data (a handshake that carries none).
    elapsed += (packets - sent) * per_packet + rtt + idle_rounds * rtt
    return size * 8 / elapsed / rate_bps
long_bytes = runs[0]["bytes"] if runs else 0
bound_default = doubling_bound(long_bytes, 1200, 200e6, 0.1)
bound_mtu = doubling_bound(long_bytes, 1436, 200e6, 0.1)
# TCP: 1,448-byte segments with 52 header bytes (IPv4, TCP with timestamps), its first data a
# round trip after the SYN.
bound_tcp = doubling_bound(long_bytes, 1448, 200e6, 0.1, on_wire=52, idle_rounds=1)
def share_of(label, bound):
    value = ratio(rate("long", label), 200.0)
    return "not measured" if value is None else f"{value / bound:.2f}"
print("Model, long fat path: a sender doubling from 10 packets from its SYN on gets at most "
      f"{bound_default:.3f} of the link rate with 1,200-byte payloads (1,264 bytes per IP packet), "
      f"{bound_mtu:.3f} with 1,436 (a full 1,500-byte MTU). Measured: sr reached {share_of('sr', bound_default)} "
      f"of its bound, sr-mss1436 {share_of('sr-mss1436', bound_mtu)} of its. Kernel TCP's own bound "
      f"(1,448-byte segments, data from one round trip after its SYN): {bound_tcp:.3f}; TCP cubic reached "
      f"{share_of('tcp-cubic', bound_tcp)} of it.")
def link_share(label, payload):
    r = by.get(("long", label))
    if not r: return "not measured"
    packets = -(-r["bytes"] // payload)
    return f"{(r['bytes'] + packets * RUDP_HEADERS) * 8 / r['seconds'] / 200e6:.3f}"
print(f"The same transfers counted as the link counts them, each packet of the file once with its {RUDP_HEADERS} "
      f"header bytes (RUDP, UDP, IPv4): sr {link_share('sr', 1200)}, sr-mss1436 {link_share('sr-mss1436', 1436)} "
      "of the link's rate, startup included.")
print()
print("TCP congestion control as each connection reported it: " +
      ", ".join(sorted({f"{r['label']}={r.get('tcp_cc')}" for r in runs if r['label'].startswith('tcp')})))
PY
cat "$work/report.txt"
{
    echo "# Congestion control on the TUN link"
    echo
    echo "Written by \`scripts/bench-cc.sh\` $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD)" \
         "($(git status --porcelain --untracked-files=no -- . ":(exclude)results" | grep -c . || true) uncommitted files outside results/);" \
         "$(uname -sr), $(nproc) cores; kernel TCP default \`$(cat /proc/sys/net/ipv4/tcp_congestion_control)\`," \
         "available \`$available\`; load average $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo '```'
    cat "$work/report.txt"
    echo '```'
    echo
    echo "Every rudp-send summary is in \`raw.jsonl\` (with \`path\` and \`label\`)."
} > "$out/README.md"
cp "$work/raw.jsonl" "$out/raw.jsonl"
echo "bench-cc.sh: wrote $out/README.md" >&2
