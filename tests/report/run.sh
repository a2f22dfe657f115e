#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/report/run.sh TRACE.DAT - test ntdpc-latency on a trace.dat recorded
# in a VM (trace-cmd record -e ntdpc [-e irq:irq_handler_entry]).
#
#  1. its --json numbers against an independent computation from
#     `trace-cmd report -t` (check_report.py): event counts, per routine
#     count / max latency / max runtime, the highest execution time,
#     per-CPU DPC time, interrupt-to-DPC delays, watchdog, timers;
#  2. --svg is well-formed and has one block per routine;
#  3. bad input: a missing file, an empty file, the trace cut in half,
#     garbage, garbage behind a valid magic, damaged copies of the trace,
#     and a trace without ntdpc events (cut out of the real one with
#     `trace-cmd split`), each a clean non-zero exit with the right message.
#
# Ends with "report: N passed, M failed" and fails if anything failed.
# NTDPC_LATENCY=path tests another binary instead of building the tool.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ $# -ne 1 ]; then
	echo "usage: $0 TRACE.DAT" >&2
	exit 2
fi
trace=$(realpath "$1")
if [ ! -r "$trace" ]; then
	echo "report: $1: cannot read the trace to test with" >&2
	exit 2
fi
for cmd in trace-cmd python3; do
	if ! command -v "$cmd" >/dev/null; then
		echo "report: $cmd is needed" >&2
		exit 2
	fi
done

if [ -n "${NTDPC_LATENCY:-}" ]; then
	tool=$(realpath "$NTDPC_LATENCY")
else
	make -s -C "$repo/tools/ntdpc-latency" >/dev/null
	tool=$repo/tools/ntdpc-latency/ntdpc-latency
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

pass() {
	passed=$((passed + 1))
	echo "ok   $*"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# run NAME ARGS...: the tool's stdout, stderr and status in $work/NAME.*
run() {
	local name=$1 rc=0

	shift
	"$tool" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
	echo "$rc" >"$work/$name.rc"
}

# expect_error NAME REGEX ARGS...: a clean failure whose stderr matches
expect_error() {
	local name=$1 regex=$2 rc

	shift 2
	(cd "$work" && run "$name" "$@")
	rc=$(cat "$work/$name.rc")
	if [ "$rc" -eq 0 ]; then
		fail "$name: exit 0, expected an error"
	elif [ "$rc" -ge 128 ]; then
		fail "$name: killed by signal $((rc - 128))"
	elif ! grep -Eq -- "$regex" "$work/$name.err"; then
		fail "$name: exit $rc, but stderr does not match /$regex/: $(head -c 300 "$work/$name.err")"
	else
		pass "$name: exit $rc: $(head -n1 "$work/$name.err")"
	fi
}

echo "report: testing $tool on $trace"

# 1 and 2: numbers against trace-cmd report, and the SVG.
trace-cmd report -t "$trace" >"$work/trace-cmd.txt" 2>"$work/trace-cmd.err"
run json --json --svg "$work/report.svg" "$trace"
run text "$trace"
for name in json text; do
	rc=$(cat "$work/$name.rc")
	if [ "$rc" -eq 0 ]; then
		pass "$name report: exit 0"
	else
		fail "$name report: exit $rc: $(head -c 300 "$work/$name.err")"
	fi
done
if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/json.out" 2>"$work/json-parse.err"; then
	pass "--json output parses as JSON"
	while read -r verdict what; do
		case $verdict in
		PASS) pass "$what" ;;
		FAIL) fail "$what" ;;
		*) fail "check_report.py: $verdict $what" ;;
		esac
	done < <(python3 "$here/check_report.py" "$work/trace-cmd.txt" \
		 "$work/json.out" "$work/report.svg" "$work/text.out" 2>&1 || true)
else
	fail "--json output parses as JSON: $(tail -n1 "$work/json-parse.err")"
fi

# Options.
run help --help
if [ "$(cat "$work/help.rc")" -eq 0 ] && grep -q '^Usage: ntdpc-latency' "$work/help.out"; then
	pass "--help: usage on stdout, exit 0"
else
	fail "--help: exit $(cat "$work/help.rc")"
fi
expect_error bad-option 'Usage: ntdpc-latency' --bogus "$trace"
expect_error no-argument 'no trace.dat given' --json
expect_error svg-unwritable 'ntdpc-latency: .*/no-such-dir/x.svg: No such file or directory' \
	--svg "$work/no-such-dir/x.svg" "$trace"

# 3: bad input.
expect_error missing-file '^ntdpc-latency: trace.dat: No such file or directory$' trace.dat

: >"$work/empty.dat"
expect_error empty-file 'empty\.dat: empty file, not a trace\.dat' empty.dat

size=$(stat -c %s "$trace")
head -c $((size / 2)) "$trace" >"$work/half.dat"
expect_error truncated-half 'half\.dat: .*(truncated|corrupt)' half.dat

head -c 100 "$trace" >"$work/head100.dat"
expect_error truncated-100-bytes 'head100\.dat: .*(truncated|corrupt)' head100.dat

python3 -c 'import random, sys
random.seed(1)
sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(65536)))' >"$work/garbage.dat"
expect_error garbage 'garbage\.dat: not a trace-cmd trace\.dat file' garbage.dat

# Past the magic check, straight into the header parser.
{ head -c 10 "$trace"; head -c 65536 "$work/garbage.dat"; } >"$work/magic-garbage.dat"
expect_error magic-then-garbage 'magic-garbage\.dat: .*(truncated|corrupt)' magic-garbage.dat

# Damaged copies may still be readable, but must never crash the tool.
crashes=0
for seed in $(seq 1 20); do
	python3 - "$trace" "$work/damaged.dat" "$seed" <<-'EOF'
	import random, sys
	data = bytearray(open(sys.argv[1], 'rb').read())
	rnd = random.Random(int(sys.argv[3]))
	for _ in range(rnd.choice([1, 4, 32])):
	    data[rnd.randrange(len(data))] = rnd.randrange(256)
	open(sys.argv[2], 'wb').write(data)
	EOF
	(cd "$work" && run damaged --json damaged.dat)
	rc=$(cat "$work/damaged.rc")
	if [ "$rc" -ge 128 ] || { [ "$rc" -ne 0 ] && ! grep -q '^ntdpc-latency: ' "$work/damaged.err"; }; then
		crashes=$((crashes + 1))
		cp "$work/damaged.dat" "$work/damaged-$seed.dat"
		echo "     damaged copy $seed: exit $rc: $(head -c 200 "$work/damaged.err")"
	fi
done
if [ "$crashes" -eq 0 ]; then
	pass "20 randomly damaged copies: no crash, every failure explained"
else
	fail "randomly damaged copies: $crashes of 20 crashed or failed silently"
fi

# A trace with no ntdpc events: trace-cmd split keeps the event formats and
# the records of a time window, so take the window before the first ntdpc
# event (often empty, which is still a valid trace.dat).
first_ntdpc=$(awk '$0 ~ / ntdpc_[a-z_]+: / {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { sub(":", "", $i); print $i; exit } }' \
	"$work/trace-cmd.txt")
if [ -z "$first_ntdpc" ]; then
	fail "no-ntdpc-events: cannot find an ntdpc event in trace-cmd report output"
else
	end=$(python3 -c "import sys; print('%.6f' % (float(sys.argv[1]) - 1e-6))" "$first_ntdpc")
	start=$(python3 -c "import sys; print('%.6f' % max(0.0, float(sys.argv[1]) - 3600))" "$first_ntdpc")
	split_out=
	# split names its output nontdpc.dat or nontdpc.dat.1 depending on version
	if trace-cmd split -i "$trace" -o "$work/nontdpc.dat" "$start" "$end" \
		>"$work/split.log" 2>&1; then
		for f in "$work"/nontdpc.dat*; do
			if [ -e "$f" ]; then
				split_out=$f
				break
			fi
		done
	fi
	if [ -z "$split_out" ]; then
		echo "     skipped no-ntdpc-events: trace-cmd split failed: $(tail -n1 "$work/split.log")"
		fail "no-ntdpc-events: could not craft a trace without ntdpc events"
	elif trace-cmd report "$split_out" 2>/dev/null | grep -q ' ntdpc_[a-z_]*: '; then
		fail "no-ntdpc-events: trace-cmd split kept ntdpc events; case not testable"
	else
		cp "$split_out" "$work/no-ntdpc.dat"
		expect_error no-ntdpc-events \
			'^ntdpc-latency: no ntdpc events in no-ntdpc\.dat \(record with: trace-cmd record -e ntdpc' \
			no-ntdpc.dat
	fi
fi

echo "report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
