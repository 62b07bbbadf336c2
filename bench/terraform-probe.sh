#!/usr/bin/env bash
# Stands in for terraform during the benchmark's concurrency run: runs the real binary and logs,
# when it ends, one line "pid start end cwd command exit" (ms since the epoch) to
# $K3S_BENCH_TF_LOG, so the benchmark can prove that no cluster had two terraform runs at once.
# Lines are short single writes with O_APPEND, so concurrent processes do not interleave them.
real="${K3S_BENCH_REAL_TERRAFORM:?set K3S_BENCH_REAL_TERRAFORM to the real terraform}"
log="${K3S_BENCH_TF_LOG:?set K3S_BENCH_TF_LOG}"
start=$(date +%s%3N)
"$real" "$@"
rc=$?
end=$(date +%s%3N)
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$$" "$start" "$end" "$PWD" "${1:-}" "$rc" >>"$log"
exit "$rc"
