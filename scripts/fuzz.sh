#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]     run (targets: decoder sender receiver transfer; default all)
#   scripts/fuzz.sh --build-only [TARGET ...]  build only
#   scripts/fuzz.sh --seeds                    rewrite the hand-made decoder seeds (Fuzz/corpus/decoder)
#   scripts/fuzz.sh --merge [TARGET ...]       add what the runs learned to the committed corpus, minimized
#   scripts/fuzz.sh --trace TARGET FILE        replay one input, printing the harness's steps
#
# Each target is one module made of Sources/RUDP and the harness, built with
# -sanitize=fuzzer,address (coverage-guided, out-of-bounds reads and writes trap). The committed
# seeds in Fuzz/corpus/TARGET are read; what the fuzzer learns goes to .build-fuzz/corpus/TARGET,
# so reruns resume from it. A crash is saved under .build-fuzz/crashes/ and makes the script
# exit 1; replay one with: .build-fuzz/TARGET FILE. The totals line gives the executions run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.build-fuzz
all_targets=(decoder sender receiver transfer)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

mode=run
seconds=60
targets=()
for argument in "$@"; do
    case $argument in
        -h|--help) usage; exit 0 ;;
        --build-only) mode=build ;;
        --seeds) mode=seeds ;;
        --merge) mode=merge ;;
        --trace) mode=trace ;;
        decoder|sender|receiver|transfer) targets+=("$argument") ;;
        *[!0-9]*|'')
            if [ "$mode" = trace ] && [ -f "$argument" ]; then trace_file=$argument; continue; fi
            echo "fuzz.sh: unknown argument '$argument' (see --help)" >&2; exit 2 ;;
        *) seconds=$argument ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

source_name() {
    case $1 in
        decoder) echo DecoderFuzzer ;; sender) echo SenderFuzzer ;;
        receiver) echo ReceiverFuzzer ;; transfer) echo TransferFuzzer ;;
    esac
}

mkdir -p "$out/shim" "$out/crashes"
shim_objects=()
prepare_shim() {
    # RUDP imports the C target CRUDPShim: give swiftc its module map and link its objects.
    cat > "$out/shim/module.modulemap" <<MAP
module CRUDPShim {
    header "$root/Sources/CRUDPShim/include/crudp_shim.h"
    export *
}
MAP
    for c in Sources/CRUDPShim/*.c; do
        object=$out/shim/$(basename "$c" .c).o
        clang -O2 -fPIC -I Sources/CRUDPShim/include -c "$c" -o "$object"
        shim_objects+=("$object")
    done
}

rudp_sources() { find Sources/RUDP -name '*.swift' | sort; }

build() {
    local target=$1 sanitizers=$2 output=$3
    shift 3
    # shellcheck disable=SC2046
    swiftc "$@" -sanitize="$sanitizers" -use-ld=lld -parse-as-library -O -module-name RUDPFuzz \
        -Xcc -fmodule-map-file="$out/shim/module.modulemap" -I Sources/CRUDPShim/include \
        $(rudp_sources) Fuzz/Support/*.swift "Fuzz/$(source_name "$target").swift" \
        "${shim_objects[@]}" -o "$output"
}

prepare_shim

if [ "$mode" = seeds ]; then
    # shellcheck disable=SC2046
    swiftc -O -module-name RUDPSeeds -Xcc -fmodule-map-file="$out/shim/module.modulemap" -I Sources/CRUDPShim/include \
        $(rudp_sources) Fuzz/Support/*.swift Fuzz/Seeds/SeedCorpus.swift "${shim_objects[@]}" -o "$out/seed-writer"
    "$out/seed-writer" "$root/Fuzz/corpus"
    exit 0
fi

if [ "$mode" = trace ]; then
    [ -n "${trace_file:-}" ] && [ ${#targets[@]} -eq 1 ] || { echo "fuzz.sh: --trace needs one TARGET and one FILE" >&2; exit 2; }
    build "${targets[0]}" fuzzer,address "$out/${targets[0]}-trace" -D FUZZ_TRACE
    SWIFT_BACKTRACE=enable=no "$out/${targets[0]}-trace" "$trace_file"
    exit $?
fi

for target in "${targets[@]}"; do
    echo "fuzz.sh: building $target" >&2
    build "$target" fuzzer,address "$out/$target"
done
[ "$mode" = build ] && exit 0

if [ "$mode" = merge ]; then
    for target in "${targets[@]}"; do
        mkdir -p "Fuzz/corpus/$target" "$out/corpus/$target"
        SWIFT_BACKTRACE=enable=no "$out/$target" -merge=1 -max_len=4096 "Fuzz/corpus/$target" "$out/corpus/$target" \
            >"$out/$target-merge.log" 2>&1
        echo "fuzz.sh: $target corpus: $(ls "Fuzz/corpus/$target" | wc -l) inputs" >&2
    done
    exit 0
fi

total=0
failed=()
for target in "${targets[@]}"; do
    mkdir -p "$out/corpus/$target" "Fuzz/corpus/$target"
    log=$out/$target.log
    echo "fuzz.sh: running $target for ${seconds}s" >&2
    status=0
    SWIFT_BACKTRACE=enable=no "$out/$target" -max_total_time="$seconds" -max_len=4096 -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/$target-" \
        "$out/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    runs=${runs:-0}
    total=$((total + runs))
    if [ $status -ne 0 ]; then
        failed+=("$target")
        echo "fuzz.sh: $target FAILED after $runs executions (log: $log)" >&2
        grep -E 'fuzz invariant broken|ERROR: AddressSanitizer|Fatal error|deadly signal|Test unit written' "$log" | head -n 5 >&2 || true
    else
        echo "fuzz.sh: $target: $runs executions, no crash" >&2
    fi
done
echo "fuzz.sh: total $total executions over ${#targets[@]} target(s); failures: ${#failed[@]}${failed:+ (${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
