#!/usr/bin/env sh
# Run every benchmark once, then regenerate docs/benchmarks.md from the results.
# From the repository root with the virtual environment active:  benchmarks/run_all.sh
# A benchmark that fails is reported and the others still run; the page says what is missing.
# The harmful-wording benchmark runs last (its model changes most often).
cd "$(dirname "$0")/.." || exit 1
status=0
for bench in bench_pipeline bench_memory bench_leak leak_quality bench_polling bench_growth bench_e2e \
             bench_harmful; do
    echo "== $bench"
    if ! python "benchmarks/$bench.py"; then
        echo "!! $bench failed" >&2
        status=1
    fi
done
python benchmarks/render_page.py || status=1
exit $status
