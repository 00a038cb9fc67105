#!/bin/sh
# Regenerates this directory: one Go-Back-N and one Selective Repeat transfer of the same
# 400 kB file through lossproxy on loopback (5% loss and 10 ms delay each way, seed 7), traced
# on both sides with --trace, then drawn with rudp-lab plot-trace; and one Selective Repeat
# transfer of 2 MB with NewReno (--cc reno) through a 20 Mbit/s relay with 1% loss, whose
# trace records the congestion window. Run from the repository root after
# `swift build -c release`; BIN overrides where the programs are.
set -eu
BIN=${BIN:-.build/release}
OUT=results/time-sequence
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
head -c 400000 /dev/urandom > "$WORK/file.bin"
mkdir -p "$WORK/in"
summary=""
for protocol in gbn sr; do
    "$BIN/rudp-recv" --listen 127.0.0.1:0 --out "$WORK/in" --once --overwrite \
        --trace "$OUT/$protocol-receiver.jsonl" 2> "$WORK/recv.err" &
    receiver=$!
    sleep 0.3
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/recv.err")
    "$BIN/lossproxy" --listen 127.0.0.1:0 --to "127.0.0.1:$port" --loss 5% --delay 10ms --seed 7 2> "$WORK/proxy.err" &
    proxy=$!
    sleep 0.3
    proxy_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/proxy.err")
    "$BIN/rudp-send" "$WORK/file.bin" "127.0.0.1:$proxy_port" --protocol "$protocol" --window 16 --name "$protocol.bin" \
        --trace "$OUT/$protocol-sender.jsonl" --json > "$OUT/$protocol-summary.json"
    wait "$receiver"
    kill -INT "$proxy"; wait "$proxy" || true
    line=$("$BIN/rudp-lab" plot-trace "$OUT/$protocol-sender.jsonl" --out "$OUT/$protocol-sender.svg")
    "$BIN/rudp-lab" plot-trace "$OUT/$protocol-receiver.jsonl" --out "$OUT/$protocol-receiver.svg" > /dev/null
    field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$OUT/$protocol-summary.json"; }
    summary="$summary
| $protocol | $(field retransmissions) | $(field timeouts) | $(field fast_retransmits) | $(field seconds) | $(field goodput_mbps) | \`$line\` |"
done

# NewReno: a window that matters (20 Mbit/s, a 50-packet queue, 10 ms each way) and 1% loss.
head -c 2000000 /dev/urandom > "$WORK/reno.bin"
"$BIN/rudp-recv" --listen 127.0.0.1:0 --out "$WORK/in" --once --overwrite 2> "$WORK/recv.err" &
receiver=$!
sleep 0.3
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/recv.err")
"$BIN/lossproxy" --listen 127.0.0.1:0 --to "127.0.0.1:$port" --loss 1% --delay 10ms --rate 20mbit --queue 50 --seed 7 \
    2> "$WORK/proxy.err" &
proxy=$!
sleep 0.3
proxy_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/proxy.err")
"$BIN/rudp-send" "$WORK/reno.bin" "127.0.0.1:$proxy_port" --protocol sr --cc reno --name reno.bin \
    --trace "$OUT/reno-sender.jsonl" --json > "$OUT/reno-summary.json"
wait "$receiver"
kill -INT "$proxy"; wait "$proxy" || true
reno_line=$("$BIN/rudp-lab" plot-trace "$OUT/reno-sender.jsonl" --out "$OUT/reno-sender.svg")
protocol=reno
count() { grep -c "$1" "$OUT/reno-sender.jsonl" || true; }
reno_summary="| $(field retransmissions) | $(field timeouts) | $(field cwnd_max) | $(field cwnd_final) | $(field seconds) | $(field goodput_mbps) | $(count '"cause":"loss"') | $(count '"event":"cwnd"') | $(count '"event":"s\{0,1\}ack"') |"

cat > "$OUT/README.md" <<README
# Time-sequence graphs: Go-Back-N and Selective Repeat at 5% loss, and NewReno's window

The same 400 kB file sent with Go-Back-N and with Selective Repeat (window 16 packets, 1200-byte
packets) through \`lossproxy\` on loopback, losing 5% of the datagrams and delaying each by
10 ms in each direction (seed 7), traced on both sides with \`--trace\` and drawn with
\`rudp-lab plot-trace\`, in the style of tcptrace's time-sequence graphs.

## Command

\`\`\`
sh results/time-sequence/generate.sh
\`\`\`

It runs, for each protocol:

\`\`\`
rudp-recv --listen 127.0.0.1:0 --once --trace PROTOCOL-receiver.jsonl
lossproxy --listen 127.0.0.1:0 --to 127.0.0.1:RECEIVER --loss 5% --delay 10ms --seed 7
rudp-send file.bin 127.0.0.1:PROXY --protocol PROTOCOL --window 16 --trace PROTOCOL-sender.jsonl --json
rudp-lab plot-trace PROTOCOL-sender.jsonl
rudp-lab plot-trace PROTOCOL-receiver.jsonl
\`\`\`

and for NewReno (a 2 MB file, the receiver untraced):

\`\`\`
rudp-recv --listen 127.0.0.1:0 --once
lossproxy --listen 127.0.0.1:0 --to 127.0.0.1:RECEIVER --loss 1% --delay 10ms --rate 20mbit --queue 50 --seed 7
rudp-send reno.bin 127.0.0.1:PROXY --protocol sr --cc reno --trace reno-sender.jsonl --json
rudp-lab plot-trace reno-sender.jsonl
\`\`\`

## Environment

| | |
|---|---|
| machine | $(uname -m), $(nproc) cores |
| kernel | $(uname -sr) |
| commit | $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':(exclude)results' 2>/dev/null || echo ' + uncommitted changes') |
| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |

## Results

| protocol | retransmissions | timeouts | fast retransmits | seconds | goodput Mbit/s | plot-trace |
|---|---:|---:|---:|---:|---:|---|$summary

The loss decisions depend on the seed and on the order datagrams reach the proxy, so the two
transfers do not lose the same packets; the numbers come from each sender's \`--json\` summary.

![Go-Back-N sender](gbn-sender.svg)

![Selective Repeat sender](sr-sender.svg)

## How to read them

Time runs to the right, the sequence (the packet index, from 0) upwards. Each black tick is a
packet's first transmission, spanning its place in the sequence; a red tick is a retransmission.
The green step line is the cumulative acknowledgement (every packet below it has arrived), the
orange one the window edge (the sender may not send at or above it): the sender works in the band
between them. A purple × marks a retransmission timeout, a blue ○ a fast retransmit (three
later-sent packets acknowledged).

- Go-Back-N: after a loss the receiver drops everything out of order, the ACK line stalls, the
  timer expires and the whole window is resent: columns of red ticks, one per window.
- Selective Repeat: SACK blocks tell the sender which packets arrived, so mostly only the lost
  packets are resent, often early by fast retransmit, and the ACK line jumps once a hole is filled.

The receivers' views are in \`gbn-receiver.svg\` and \`sr-receiver.svg\` (arrivals after a gap in
blue, duplicates in red, the ACKs sent and the window advertised).

## NewReno's congestion window

With a congestion controller the sender's trace also holds \`cwnd\` lines (the window, the
slow-start threshold, the bytes in flight, the pacing rate and the controller's phase), and
\`plot-trace\` draws them in a second panel under the time-sequence graph, on the same time axis.
Selective Repeat with \`--cc reno\`, 2 MB through 20 Mbit/s, a 50-packet queue, 10 ms and 1% loss
each way (seed 7):

| retransmissions | timeouts | cwnd max (packets) | cwnd at the end | seconds | goodput Mbit/s | reductions on loss | cwnd lines | ACK lines |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$reno_summary

\`$reno_line\`

![NewReno sender](reno-sender.svg)

Slow start doubles the window every round trip until the first loss; from then on each loss
event halves it (a red dot on the blue window line, the dashed threshold set to the new
window) and it climbs back by about one packet per round trip: AIMD's sawtooth. Several losses in
one round trip are one event (NewReno's recovery), so a burst costs one halving. The grey line
is what was actually in flight. The \`cwnd\` lines are sampled (at most one per four ACKs and per
eighth of a smoothed RTT, plus one per change of phase and per reaction), so the trace stays small
beside its ACK lines.

## Files

- \`PROTOCOL-sender.jsonl\`, \`PROTOCOL-receiver.jsonl\`: the traces (one JSON object per event; the
  format is in \`rudp-lab plot-trace --help\`).
- \`PROTOCOL-sender.svg\`, \`PROTOCOL-receiver.svg\`: the time-sequence graphs.
- \`PROTOCOL-summary.json\`: rudp-send's \`--json\` summary.
- \`reno-sender.jsonl\`, \`reno-sender.svg\`, \`reno-summary.json\`: the same for the NewReno transfer.
- \`generate.sh\`: the script that made all of this.
README
