#!/usr/bin/env bash
# Instructions a post for one part of the classifier pipeline, counted by callgrind: unlike
# seconds, the count repeats to a fraction of a percent on a busy machine, so two versions
# of the code can be compared in one sitting. Needs valgrind (Debian's package).
#
#   benchmarks/count_instructions.sh TARGET [POSTS] [CODE_DIR]
#
# TARGET: whole, language, or a detector name (harmful_wording, personal_data, ...).
# POSTS: how many of the bench_pipeline texts, spread over both sets (default 300).
# CODE_DIR: another checkout to measure instead of this one (e.g. a `git worktree` of the
# commit before a change), put first on PYTHONPATH.
# Only the second pass over the posts is counted (callgrind_control switches
# instrumentation on and off around it), so model loading and cold caches are left out.
set -euo pipefail
target=${1:?target: whole, language or a detector name}
posts=${2:-300}
code=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)
marks=$(mktemp -d)
python=${PYTHON:-python}
cd "$here"
PYTHONPATH="${code:+$code:}$here/benchmarks" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$marks/callgrind.out" \
    "$python" benchmarks/instructions_driver.py "$target" "$posts" "$marks" \
    >"$marks/log" 2>&1 &
pid=$!
until [ -e "$marks/ready" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$marks/log" >&2; exit 1; }
    sleep 0.5
done
callgrind_control -i on "$pid" >/dev/null 2>&1
touch "$marks/go"
until [ -e "$marks/done" ]; do sleep 0.5; done
callgrind_control -i off "$pid" >/dev/null 2>&1
touch "$marks/stop"
wait "$pid"
total=$(awk '/Collected/ {gsub(",", "", $4); print $4}' "$marks/log")
echo "$target${code:+ ($code)}: $total instructions for $posts posts, $((total / posts)) a post"
rm -rf "$marks"
