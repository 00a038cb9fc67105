#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and ThreadSanitizer, each in its own build
# directory (.build-address, .build-thread), and says which pass.
#
#   scripts/sanitizers.sh                      both sanitizers, every test
#   scripts/sanitizers.sh thread               one of them
#   scripts/sanitizers.sh address -- --filter EndToEndTests    extra `swift test` arguments after --
#
# The end-to-end tests run the programs built with the same sanitizer, so the sockets, poll
# loops and file handling of rudp-send and rudp-recv are checked too. Slow (each is a full
# debug build plus an instrumented test run): not part of CI. A log per sanitizer is kept in
# .build-SANITIZER/sanitizer.log. Exit code 1 if any sanitizer run failed.
set -uo pipefail
cd "$(dirname "$0")/.."

sanitizers=()
extra=()
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        address|thread) sanitizers+=("$1") ;;
        --) shift; extra=("$@"); break ;;
        *) echo "sanitizers.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)

# Reports go to the log; a report makes the instrumented process exit non-zero.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}

failed=()
for sanitizer in "${sanitizers[@]}"; do
    scratch=.build-$sanitizer
    mkdir -p "$scratch"
    log=$scratch/sanitizer.log
    start=$(date +%s)
    echo "sanitizers.sh: $sanitizer: building" >&2
    if ! swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" >"$log" 2>&1; then
        echo "sanitizers.sh: $sanitizer: BUILD FAILED (see $log)" >&2
        failed+=("$sanitizer")
        continue
    fi
    echo "sanitizers.sh: $sanitizer: testing" >&2
    swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "${extra[@]}" >>"$log" 2>&1
    status=$?
    reports=$(grep -c -E '^(==[0-9]+==ERROR: AddressSanitizer|WARNING: ThreadSanitizer)' "$log" || true)
    summary=$(grep -E 'Test run with [0-9]+ tests' "$log" | tail -n 1)
    elapsed=$(( $(date +%s) - start ))
    if [ $status -eq 0 ] && [ "$reports" -eq 0 ]; then
        echo "sanitizers.sh: $sanitizer: PASSED in ${elapsed}s — $summary"
    else
        echo "sanitizers.sh: $sanitizer: FAILED in ${elapsed}s (exit $status, $reports sanitizer reports; see $log) — $summary"
        # Where, once per site (ThreadSanitizer also flags state guarded by Synchronization.Mutex
        # when a contended lock is handed over in the kernel: check such sites before trusting them).
        grep -E '^SUMMARY: (AddressSanitizer|ThreadSanitizer)' "$log" | sed 's/ in \$.*//' | sort | uniq -c | sed 's/^/    /'
        failed+=("$sanitizer")
    fi
done
[ ${#failed[@]} -eq 0 ]
