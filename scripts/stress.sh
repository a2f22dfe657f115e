#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make stress`: ntdpc under load in a 4-vCPU VM (tests/vm/ntdpc_stress.c,
# driven by tests/vm/stress.sh), with its invariants checked.
#
#   scripts/stress.sh [6.1|6.12]
#
# DURATION      seconds of load (default 60); the unload cycles that follow
#               take about as long again, the boot and the checks a few
#               minutes under TCG
# STRESS_SKIP   phases not to run, e.g. "selfq unload-rearm" (the list is
#               in tests/vm/stress.sh); the default runs every one
# UNLOAD_CYCLES load/unload cycles (default DURATION / 4 + 5)
# VM_TIMEOUT    for scripts/vm.sh (default 3 * DURATION + 900)
#
# The guest gets no environment, so these are prepended to a copy of the
# guest script, as scripts/bench.sh does for --smoke.  The console log is
# out/vm-<series>-stress.log; the counts and rates are printed here, and
# for a run that did not finish, the phase it died in and the kernel's
# reports.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${1:-6.1}
duration=${DURATION:-60}
skip=${STRESS_SKIP:-}
cd "$NTDPC_REPO"
[[ $duration =~ ^[0-9]+$ ]] || { echo "stress: DURATION must be seconds" >&2; exit 2; }
[[ $skip =~ ^[a-z0-9\ -]*$ ]] || { echo "stress: bad STRESS_SKIP '$skip'" >&2; exit 2; }
[[ ${UNLOAD_CYCLES:-0} =~ ^[0-9]+$ ]] || { echo "stress: UNLOAD_CYCLES must be a number" >&2; exit 2; }

out=$NTDPC_OUT/stress
mkdir -p "$out"
guest=$out/stress.sh
{
	sed -n 1p tests/vm/stress.sh
	echo "DURATION=$duration"
	echo "SKIP='$skip'"
	[ -n "${UNLOAD_CYCLES:-}" ] && echo "UNLOAD_CYCLES=$UNLOAD_CYCLES"
	sed 1d tests/vm/stress.sh
} > "$guest"

status=0
VM_TIMEOUT=${VM_TIMEOUT:-$((3 * duration + 900))} scripts/vm.sh "$series" "$guest" ||
	status=$?
log=$NTDPC_OUT/vm-$series-stress.log
[ -f "$log" ] || { echo "stress: no console log" >&2; exit 1; }

# The emulator's stale int3 (Documentation/testing.rst) has a second form:
# a vCPU still running translated code that holds the int3 of a jump label
# patched meanwhile traps, the int3 handler finds the breakpoint gone from
# memory and retries the instruction, for ever.  That vCPU is then
# reported stuck (soft lockup, RCU stall) at one instruction which is a
# jump-label site of a module, with the same registers every time.  On
# hardware the patching protocol rules it out.  Such a run is repeated
# once, saying so, its log kept as *.log.int3-loop.
int3_loop() {
	python3 - "$log" "$NTDPC_OUT/modules-$series" <<'PY'
import glob, os, re, subprocess, sys

log, build = sys.argv[1], sys.argv[2]
text = open(log, errors="replace").read()
if "VMTEST DONE" in text and not re.search(r"soft lockup|rcu.*stall", text):
    sys.exit(1)
stuck = re.findall(r"(?:soft lockup|self-detected stall)[^\n]*\n(?:[^\n]*\n){0,8}?"
                   r"[^\n]*RIP: 0010:(\w+)\+(0x[0-9a-f]+)/0x[0-9a-f]+ \[(\w+)\]", text)
for func, off, mod in stuck:
    kos = glob.glob(os.path.join(build, "**", mod + ".ko"), recursive=True)
    if not kos:
        continue
    syms = subprocess.run(["objdump", "-t", kos[0]], capture_output=True, text=True).stdout
    m = re.search(r"^([0-9a-f]+) .* (\S+)\s+[0-9a-f]+ " + re.escape(func) + "$", syms, re.M)
    if not m:
        continue
    site = "%s+0x%x" % (m.group(2), int(m.group(1), 16) + int(off, 16))
    relocs = subprocess.run(["objdump", "-r", "-j", "__jump_table", kos[0]],
                            capture_output=True, text=True).stdout
    sites = {"%s+0x%x" % (r.split("+")[0], int(r.split("+")[1], 16))
             for r in re.findall(r"(\.\S+\+0x[0-9a-f]+)$", relocs, re.M)}
    if site in sites:
        print("%s+%s [%s], a jump-label site" % (func, off, mod))
        sys.exit(0)
sys.exit(1)
PY
}
if [ $status -ne 0 ] && [ -z "${STRESS_INT3_RETRY:-}" ] && where=$(int3_loop); then
	echo "stress: a vCPU looped on a stale int3 at $where (a QEMU TCG artifact, log kept as $log.int3-loop); running it once more" >&2
	mv "$log" "$log.int3-loop"
	STRESS_INT3_RETRY=1 exec "$0" "$@"
fi

# What the module measured, then what went wrong.
sed -n 's/.*\(STRESS \(INFO\|RATE\|COUNT\|SUMMARY\).*\)/stress: \1/p' "$log"
sed -n 's/.*ntdpc_stress: \(VIOLATION .*\)/stress: \1/p' "$log" | sed -n '1,40p'
if ! grep -q '^VMTEST DONE' "$log"; then
	echo "stress: the guest died in phase: $(grep -o 'STRESS PHASE .*' "$log" | tail -n1 | cut -d' ' -f3-)"
fi
splat='BUG:|WARNING:|Oops|general protection|INFO: possible|sleeping function|INFO: task .* blocked|rcu.*stall|soft lockup'
if grep -qE "$splat" "$log"; then
	echo "stress: the kernel's reports:"
	grep -E "$splat" "$log" | sed -n '1,20s/^/stress:   /p'
fi
passed=$(grep -c '^VMTEST PASS ' "$log" || true)
failed=$(grep -c '^VMTEST FAIL ' "$log" || true)
grep -q '^VMTEST DONE' "$log" || failed=$((failed + 1))
echo "stress-$series: $passed passed, $failed failed (log: $log)"
exit $status
