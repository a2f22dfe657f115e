#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run ntdpc's KUnit suites in a kernel built from Debian's linux-source-6.1
# (linux-source-6.12 for PREEMPT_RT).
#
#   scripts/kunit.sh um        UML, one CPU, lockdep (raw-lock nesting) + KASAN
#   scripts/kunit.sh x86_64    QEMU (TCG) with 4 vCPUs, lockdep (raw-lock
#                              nesting) + KASAN + DEBUG_ATOMIC_SLEEP + hotplug
#   scripts/kunit.sh kcsan     QEMU with 4 vCPUs and KCSAN
#   scripts/kunit.sh rt        QEMU with 4 vCPUs, PREEMPT_RT, lockdep (raw-lock
#                              nesting) + DEBUG_ATOMIC_SLEEP + hotplug
#
# The source is unpacked once into $NTDPC_CACHE (default ~/.cache/ntdpc),
# keyed by the package version, and every configuration keeps its own build
# directory there, so reruns are incremental.  ntdpc is grafted into the
# tree as drivers/ntdpc and built in.  The run fails on a failed or missing
# test and on any kernel splat (lockdep, KASAN, KCSAN, BUG, WARNING, sleeping
# in atomic context); the full console log stays in out/kunit-<config>.log.
set -euo pipefail

config=${1:-um}
. "$(dirname "$0")/common.sh"
repo=$NTDPC_REPO
cache=$NTDPC_CACHE
out=$NTDPC_OUT
mkdir -p "$cache" "$out"

# PREEMPT_RT runs from Debian's 6.12 source (6.1 has no PREEMPT_RT on x86).
series=6.1
if [ "$config" = rt ]; then
	series=6.12
	"$repo/scripts/install-deps.sh" kunit kunit-rt
else
	"$repo/scripts/install-deps.sh" kunit
fi
src=$(ntdpc_kernel_source $series)
kver=$(make -s -C "$src" kernelversion)

# Graft ntdpc into the tree.  A file is copied only when its content
# differs, so unchanged files keep their timestamps and do not rebuild, and a
# changed one always looks newer than its object, even when the source came
# from an older checkout.
graft=$src/drivers/ntdpc
mkdir -p "$graft"
(
	cd "$repo"
	find Kbuild src include probes kunit -type f \( -name '*.[ch]' -o \
		-name Kbuild -o -name '*.mk' -o -name '*.kunitconfig' \)
	echo kunit/Kconfig:Kconfig
) | while read -r entry; do
	from=${entry%%:*}
	to=${entry#*:}
	[ "$to" = "$entry" ] && to=$from
	if ! cmp -s "$repo/$from" "$graft/$to"; then
		mkdir -p "$(dirname "$graft/$to")"
		cp "$repo/$from" "$graft/$to"
	fi
done
# Sources deleted from the repo must not linger in the graft, and nothing
# but sources belongs there (objects found there would shadow the build's).
find "$graft" -type f ! -name '*.[ch]' ! -name Kbuild ! -name Kconfig \
	! -name '*.mk' ! -name '*.kunitconfig' -delete
(cd "$graft" && find src include probes kunit -type f -name '*.[ch]') |
	while read -r f; do [ -f "$repo/$f" ] || rm -f "$graft/$f"; done
grep -q 'drivers/ntdpc/Kconfig' "$src/drivers/Kconfig" ||
	sed -i '$ i source "drivers/ntdpc/Kconfig"' "$src/drivers/Kconfig"
grep -q 'ntdpc/' "$src/drivers/Makefile" ||
	echo 'obj-$(CONFIG_NTDPC) += ntdpc/' >> "$src/drivers/Makefile"

args=(--jobs="$(nproc)" --raw_output=all)
case "$config" in
um)	args+=(--arch=um --kunitconfig="$repo/kunit/um.kunitconfig" --timeout=600) ;;
x86_64)	args+=(--arch=x86_64 --kunitconfig="$repo/kunit/x86_64.kunitconfig"
	       --qemu_args="-smp 4 -accel tcg" --timeout=1200) ;;
kcsan)	args+=(--arch=x86_64 --kunitconfig="$repo/kunit/x86_64-kcsan.kunitconfig"
	       --qemu_args="-smp 4 -accel tcg" --timeout=1200) ;;
rt)	args+=(--arch=x86_64 --kunitconfig="$repo/kunit/x86_64-rt.kunitconfig"
	       --qemu_args="-smp 4 -accel tcg" --timeout=1200) ;;
*)	echo "kunit: unknown configuration '$config' (um, x86_64, kcsan, rt)" >&2; exit 2 ;;
esac
build=$cache/build-$config-$kver
log=$out/kunit-$config.log
json=$out/kunit-$config.json

echo "kunit: $config in $build (Linux $kver)"
# ntdpc's own objects always rebuild (seconds): no stale object can survive a
# switch between checkouts sharing this cache.
rm -rf "$build/drivers/ntdpc"
start=$(date +%s)
status=0
( cd "$src" && python3 tools/testing/kunit/kunit.py run --build_dir="$build" "${args[@]}" ) \
	> "$log" 2>&1 || status=$?
echo "kunit: build and run took $(( $(date +%s) - start ))s"

if grep -q 'Building KUnit Kernel' "$log" && ! grep -q 'TAP version' "$log"; then
	tail -n 40 "$log"
	echo "kunit: $config: the kernel did not build or did not run (see $log)" >&2
	exit 1
fi

parse_status=0
( cd "$src" && python3 tools/testing/kunit/kunit.py parse --json="$json" "$log" ) ||
	parse_status=$?

# Any splat fails the run, even if every test passed, with one exception
# that is the kernel's and not ours: 6.1's serial console takes its
# spinlock_t port lock from a printk in hardirq context, which
# PROVE_RAW_LOCK_NESTING reports as an invalid wait context.  The kernel
# itself prints from hardirq when TCG stalls a vCPU ("hrtimer: interrupt
# took ... ns").  Such a report is set aside (and said) only when the
# printk's caller is not ntdpc's; ntdpc's own reports never reach a console
# driver from there (src/misuse.c).
scan=$out/kunit-$config.scan
python3 - "$log" "$scan" <<'PY'
import re, sys
lines = open(sys.argv[1], errors="replace").read().split("\n")
out, i = [], 0
while i < len(lines):
    if "[ BUG: Invalid wait context ]" not in lines[i]:
        out.append(lines[i]); i += 1; continue
    j = i + 1
    while j < len(lines) and "Call Trace:" not in lines[j] and j - i < 40:
        j += 1
    k = j + 1
    while k < len(lines) and (lines[k].startswith(" ") or re.match(r"^(RIP|Code|RSP|R[A-Z0-9]+):", lines[k])):
        k += 1
    block = lines[i:k]
    console = any("is trying to lock" in l for l in block) and \
        any("serial8250_console_write" in l for l in block[:12])
    frames = [l.strip() for l in block if l.startswith(" ") and not l.strip().startswith("?")]
    caller = ""
    for n, f in enumerate(frames):
        if re.match(r"(_printk|vprintk_emit|printk)\+", f) and n + 1 < len(frames):
            caller = frames[n + 1]
    if console and caller and "ntdpc" not in caller.lower():
        out.append("kunit: set aside: the kernel's console lock from a printk in hardirq (caller %s)" % caller)
        i = k
    else:
        out.append(lines[i]); i += 1
open(sys.argv[2], "w").write("\n".join(out))
PY
grep -h '^kunit: set aside' "$scan" >&2 || true
splats='BUG:|WARNING:|INFO: possible|INFO: inconsistent|possible circular locking|'
splats+='possible recursive locking|inconsistent lock state|KASAN|KCSAN: |'
splats+='sleeping function called from invalid context|scheduling while atomic|'
splats+='Kernel panic|Oops|general protection fault|stack-protector|ODEBUG'
if grep -En "$splats" "$scan" | grep -v 'kunit:' > "$out/kunit-$config.splats"; then
	echo "kunit: $config: kernel splats (see $log):" >&2
	head -n 40 "$out/kunit-$config.splats" >&2
	status=1
fi

read -r passed failed skipped < <(python3 - "$json" <<'PY'
import json, sys
def walk(t, acc):
    subs = t.get("sub_groups") or []
    cases = t.get("test_cases") or []
    for c in cases:
        s = c.get("status", "")
        acc[{"PASS": 0, "FAIL": 1, "SKIP": 2}.get(s, 1)] += 1
    for g in subs:
        walk(g, acc)
acc = [0, 0, 0]
try:
    walk(json.load(open(sys.argv[1])), acc)
except Exception:
    acc = [0, 1, 0]
print(*acc)
PY
)
echo "kunit-$config: $passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] || [ "$failed" -ne 0 ] || [ "$parse_status" -ne 0 ]; then
	status=1
fi
exit $status
