#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, the main job: ntdpc.ko with the demo PCI driver (QEMU's edu
# device) and the demo timer driver in a 4-vCPU VM running Debian's own
# kernel, traced with trace-cmd, and the latency report.
#
#   scripts/demo.sh [--check] [KERNEL]
#
# The timer driver runs well-behaved, then with a driver hogging its CPU,
# then with the hog deferred to a work item and to a threaded DPC.  Output
# goes to out/demo/: trace.dat, report.txt, report.json, latency.svg, the
# guest's console and dmesg.  --check (used by `make check`) also asserts
# that the report agrees with the module's own counters.
set -euo pipefail
. "$(dirname "$0")/common.sh"

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
series=${1:-6.1}
cd "$NTDPC_REPO"
out=$NTDPC_OUT/demo
mkdir -p "$out"

scripts/install-deps.sh build vm report
make -s -C tools/ntdpc-latency
status=0
# Show the guest's console as it runs, unless this is the check.
VMTEST_VERBOSE=$((1 - check)) scripts/vm.sh "$series" tests/vm/trace.sh || status=$?

files=$NTDPC_OUT/vm-$series/files
cp "$NTDPC_OUT/vm-$series-trace.log" "$out/console.log"
for f in trace.dat stats.txt phases.txt dmesg.txt; do
	[ -f "$files/$f" ] && cp "$files/$f" "$out/$f"
done
[ -f "$out/trace.dat" ] || { echo "demo: the VM sent no trace.dat" >&2; exit 1; }

tools/ntdpc-latency/ntdpc-latency "$out/trace.dat" > "$out/report.txt"
tools/ntdpc-latency/ntdpc-latency --json "$out/trace.dat" > "$out/report.json"
tools/ntdpc-latency/ntdpc-latency --svg "$out/latency.svg" "$out/trace.dat" > /dev/null

echo
echo "== The timer driver, 200 buffers a phase (drop-outs = buffers lost)"
sed 's/^TIMER_DPC /  /' "$out/phases.txt"
echo
echo "== The DPC watchdog"
grep -m1 'ntdpc: DPC watchdog' "$out/dmesg.txt" | sed 's/^\[[^]]*\] /  /' || true
echo
echo "== The latency report (tools/ntdpc-latency)"
cat "$out/report.txt"
echo
echo "demo: trace.dat, report.txt, report.json, latency.svg in $out"

if [ $check -eq 1 ]; then
	passed=0
	failed=0
	# The report's watchdog events against the module's own counter: both
	# cover the same span (stats reset at the start of the recording).
	python3 - "$out/report.json" "$out/stats.txt" <<'PY' || status=1
import json, sys
report = json.load(open(sys.argv[1]))
stats = {}
for line in open(sys.argv[2]):
    name, _, vals = line.partition(":")
    if vals.strip():
        stats[name.strip()] = [int(v) for v in vals.split()]
n = len(report["watchdog"])
slow = [w for w in report["watchdog"] if w["routine"] == "SlowDpc" and w["module"] == "timer_dpc"]
print("demo: watchdog reports naming SlowDpc [timer_dpc]: %d" % len(slow))
if not slow:
    sys.exit(1)
print("demo: watchdog events in the report %s, in ntdpc's counters %d" % (n, sum(stats["watchdog"])))
sys.exit(0 if n == sum(stats["watchdog"]) and n > 0 else 1)
PY
	[ $status -eq 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
	grep -q 'SlowDpc \[timer_dpc\]' "$out/report.txt" && passed=$((passed + 1)) || failed=$((failed + 1))
	grep -q 'EduDpcForIsr \[edu_dpc\]' "$out/report.txt" && passed=$((passed + 1)) || failed=$((failed + 1))
	echo "demo: $passed passed, $failed failed"
	[ $failed -eq 0 ] || status=1
fi
exit $status
