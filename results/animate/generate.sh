#!/bin/sh
# Regenerates this directory: one animation per textbook exercise (rudp-lab animate
# --exercise NAME, the real state machines in the simulator), one animation of a real
# transfer's trace (results/time-sequence/gbn-sender.jsonl), and a screenshot of one exercise
# taken by headless Chromium. Run from the repository root after `swift build -c release`;
# BIN overrides where the programs are, CHROMIUM the browser (Debian: apt-get install chromium).
set -eu
BIN=${BIN:-.build/release}
CHROMIUM=${CHROMIUM:-chromium}
OUT=results/animate
rows=""
for exercise in kill-first-packet kill-first-ack window-5-six-packets gbn-vs-sr; do
    line=$("$BIN/rudp-lab" animate --exercise "$exercise" --out "$OUT/$exercise.html")
    rows="$rows
| [$exercise]($exercise.html) | \`rudp-lab animate --exercise $exercise\` | $(echo "$line" | sed 's/^wrote [^:]*: //') |"
done
trace_line=$("$BIN/rudp-lab" animate --trace results/time-sequence/gbn-sender.jsonl --max-packets 120 \
    --out "$OUT/trace-gbn-sender.html")
# The screenshot: Go-Back-N beside Selective Repeat while both repair the same loss.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" --window-size=1400,1700 \
    --screenshot="$OUT/gbn-vs-sr.png" "file://$(pwd)/$OUT/gbn-vs-sr.html#t=0.43" 2>/dev/null
browser=$("$CHROMIUM" --version 2>/dev/null || echo unknown)

cat > "$OUT/README.md" <<README
# Animations of the textbook exercises

Each page is one self-contained HTML file (inline script and style, nothing fetched: open it
offline in any browser) written by \`rudp-lab animate\`. The exercises run the real RUDP sender
and receiver state machines in the simulator on a virtual clock, over a link of 50 ms each way
at 1 Mbit/s; the losses are scripted drops of exactly the datagrams named. Every "what to
observe" note on a page is computed from its run. Play, pause, step (← →), change the speed or
drag the time cursor; \`#t=0.35\` in the address opens a page at 0.35 s.

## Command

\`\`\`
sh results/animate/generate.sh
\`\`\`

## Exercises

| page | command | recorded |
|---|---|---|$rows

And one real transfer, Go-Back-N at 5% loss through lossproxy (the trace of
[results/time-sequence](../time-sequence/README.md)), its first 120 DATA sendings:
[trace-gbn-sender.html](trace-gbn-sender.html), from
\`rudp-lab animate --trace results/time-sequence/gbn-sender.jsonl --max-packets 120\`
(\`$trace_line\`). A trace is written at one end, so the other end's times are estimated
from half the smoothed RTT the sender traced and drawn dashed.

## Screenshot

[gbn-vs-sr.html](gbn-vs-sr.html) at 0.43 s, taken with \`chromium --headless --screenshot\`
(\`$browser\`):

![Go-Back-N beside Selective Repeat, DATA 2 lost in both](gbn-vs-sr.png)

## Environment

| | |
|---|---|
| machine | $(uname -m), $(nproc) cores |
| kernel | $(uname -sr) |
| commit | $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes to Sources') |
| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |
README
echo "wrote $OUT/README.md"
