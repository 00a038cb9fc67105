#!/usr/bin/env bash
# Regenerates the committed experiment results in results/ with the lab's own commands.
#
#   sudo scripts/results.sh                 every experiment below, then the index
#   sudo scripts/results.sh NAME [NAME…]    only those (loss-sweep-sim, window-sweep-sim,
#                                           sim-vs-link, loss-sweep, window-sweep, delay-sweep,
#                                           animate), then the index
#
# The `link` experiments need root (network namespaces and TUN devices, see docs/IMPAIRMENTS.md);
# the `sim` ones do not. Nothing in results/ is edited by hand: every number comes from
# `rudp-lab sweep`, the sim-vs-link comparison from scripts/compare-sim-link.py reading the two
# sub-runs' results.csv and summary.json, and results/README.md from `rudp-lab report`.
# results/perf is not made here: scripts/bench.sh writes it (about an hour).
#
# Sizes and repeats, chosen so the whole set takes about half an hour on the 2-core lab machine
# (link runs are real time; sim runs take seconds):
# - loss-sweep: 1 MB (10^6 bytes), 3 repeats. Stop-and-wait is the slow one: ≈ 17 s per run at
#   0 % loss and ≈ 70 s at 20 % (the model: 0.12 Mbit/s); the sweep takes ≈ 12 minutes.
# - window-sweep: 1 MB, 3 repeats; window 1 at 2 % loss runs ≈ 20 s, the sweep ≈ 4 minutes.
# - delay-sweep: 512 KB, 3 repeats; stop-and-wait at 100 ms one-way (200 ms per packet) runs
#   ≈ 90 s, the sweep ≈ 10 minutes. Smaller files would make the 1 ms runs last only tens of
#   milliseconds and keep TCP in slow start for most of its transfer at long delays.
# - sim-vs-link: 1 MB, 3 repeats, the same command on both networks (same seeds); ≈ 1 minute.
# - --max-retries 30 everywhere: at 20 % loss per direction a round trip fails with probability
#   0.36, so the default 10 consecutive timeouts (0.36^10 ≈ 4e-5 per packet) could fail a run
#   spuriously; 0.36^30 cannot.
# - --seed 1 (the default, spelled out): every run's seed derives from it, so the impairment
#   draws are the same on each regeneration.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-results
lab=$scratch/release/rudp-lab

all=(loss-sweep-sim window-sweep-sim sim-vs-link loss-sweep window-sweep delay-sweep animate)
for name in "$@"; do
    case $name in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
    case " ${all[*]} " in
        *" $name "*) ;;
        *) echo "results.sh: unknown experiment '$name' (one of: ${all[*]})" >&2; exit 2 ;;
    esac
done
selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${all[@]}")

needs_root=no
for name in "${selected[@]}"; do
    case $name in *-sim|animate) ;; *) needs_root=yes ;; esac
done
if [ "$needs_root" = yes ] && [ "$(id -u)" != 0 ]; then
    echo "results.sh: the link experiments need root (sudo scripts/results.sh), or name only the -sim ones" >&2
    exit 1
fi

echo "results.sh: building (release, $scratch)" >&2
swift build -c release --scratch-path "$scratch" >"$scratch.log" 2>&1 || { cat "$scratch.log" >&2; exit 1; }

run() {
    local name=$1
    local started=$SECONDS
    echo "results.sh: $name" >&2
    case $name in
    loss-sweep-sim)
        "$lab" sweep --protocols sw,gbn,sr --loss 0,1,2,5,10,20 --delay 10ms --rate 50mbit --window 64 \
            --size 2MB --repeats 3 --title 'Loss sweep, simulated (sw, gbn, sr)' --out results/loss-sweep-sim ;;
    window-sweep-sim)
        "$lab" sweep --protocols gbn,sr --loss 2 --delay 10ms --rate 50mbit --window 1..256 \
            --size 2MB --repeats 3 --title 'Window sweep at 2% loss, simulated (gbn, sr)' --out results/window-sweep-sim ;;
    sim-vs-link)
        for network in sim link; do
            "$lab" sweep --network "$network" --protocols gbn,sr --loss 0,2,5,10 --delay 10ms --rate 50mbit \
                --window 64 --size 1MB --repeats 3 --max-retries 30 --seed 1 \
                --title "Simulator against TUN link: $network (gbn, sr)" --out "results/sim-vs-link/$network"
        done
        python3 scripts/compare-sim-link.py results/sim-vs-link ;;
    loss-sweep)
        "$lab" sweep --network link --protocols sw,gbn,sr,tcp --cc tcp:cubic,tcp:bbr --loss 0,1,2,5,10,20 \
            --delay 10ms --rate 50mbit --window 64 --size 1MB --repeats 3 --max-retries 30 --seed 1 \
            --title 'Loss sweep over the TUN link (sw, gbn, sr, tcp)' --out results/loss-sweep ;;
    window-sweep)
        "$lab" sweep --network link --protocols gbn,sr --loss 2 --delay 10ms --rate 50mbit --window 1..256 \
            --size 1MB --repeats 3 --max-retries 30 --seed 1 \
            --title 'Window sweep at 2% loss over the TUN link (gbn, sr)' --out results/window-sweep ;;
    delay-sweep)
        "$lab" sweep --network link --protocols sw,gbn,sr,tcp --cc tcp:cubic,tcp:bbr --loss 1 \
            --delay 1ms,5ms,10ms,20ms,50ms,100ms --rate 50mbit --window 64 --size 512KB --repeats 3 --max-retries 30 --seed 1 \
            --title 'Delay sweep at 1% loss over the TUN link (sw, gbn, sr, tcp)' --out results/delay-sweep ;;
    animate)
        BIN=$scratch/release sh results/animate/generate.sh ;;
    esac
    echo "results.sh: $name took $((SECONDS - started)) s" >&2
}

for name in "${selected[@]}"; do run "$name"; done
"$lab" report
