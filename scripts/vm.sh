#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one of the supported kernels (scripts/kernels.sh: Debian's own, or the
# debug kernel) under QEMU (TCG, 4 vCPUs) with a busybox initramfs carrying
# ntdpc.ko, the companion modules and a guest script, and report what the
# guest reported.
#
#   scripts/vm.sh <kernel> <guest-script>      e.g. 7.3-rt tests/vm/modules.sh
#
# The guest has QEMU's edu PCI device, trace-cmd (with its libraries; perf
# and objdump too with VM_PERF=1), and in /modules ntdpc.ko, every module of
# samples/ and of tests/vm/ (ntdpc_vmtest.ko, nt_conformance.ko,
# wdk_style.ko).  It sends files back with "vmexport FILE [NAME]" (base64
# over a second serial port); they land in out/vm-<kernel>/files/.
#
# The modules are built against the kernel's headers where they are installed
# (in the trixie root for Debian 13's: scripts/modules-build.sh, with the
# drain's backend VM_NTDPC_BH if set); the kernel image is unpacked from its
# package into the cache, never installed.  The console goes to
# out/vm-<kernel>-<guest script>[-<backend>].log and to the terminal as it
# runs with VMTEST_VERBOSE=1.  A guest that does not finish within VM_TIMEOUT seconds
# (default 600), and any kernel splat on the console (a WARNING, lockdep,
# KASAN, DEBUG_OBJECTS, a lockup or stall report, an oops), fail the run;
# one that has not reached its /init within VM_BOOT_TIMEOUT seconds (240)
# is run again, as is one killed at boot by the emulator's stale int3.
# VM_APPEND adds to the guest kernel's command line (scripts/bench.sh asks
# for the TSC clocksource that way).
set -euo pipefail
. "$(dirname "$0")/common.sh"

kernel=${1:?kernel: $(ntdpc_kernels | tr '\n' ' ')6.1-debug}
script=${2:?guest script}
smp=${VM_SMP:-4}
timeout=${VM_TIMEOUT:-600}
cd "$NTDPC_REPO"
mkdir -p "$NTDPC_OUT" "$NTDPC_CACHE/kernels"

ntdpc_kernel_field "$kernel" 1 >/dev/null
"$NTDPC_REPO/scripts/install-deps.sh" vm kernel "$kernel"
[ "$kernel" = 6.1-debug ] && "$NTDPC_REPO/scripts/debug-kernel.sh" >/dev/null
release=$(ntdpc_kernel_release "$kernel")
image=$(ntdpc_kernel_image "$kernel")

# The modules, built for this kernel (scripts/modules-build.sh, shared by
# the runs of one kernel); the guest's own files in a tree of this run.
modules=$(NTDPC_BH=${VM_NTDPC_BH:-} "$NTDPC_REPO/scripts/modules-build.sh" "$kernel")
build=$NTDPC_OUT/vm-$kernel/run
rm -rf "$build"
mkdir -p "$build"

# The initramfs: busybox, the modules, the guest script as /test.sh.
root=$build/initramfs
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,modules}
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
cp "$modules/ntdpc.ko" "$modules"/samples/*/*.ko "$modules"/tests/vm/*.ko \
   "$root/modules/"
cp "$script" "$root/test.sh"
cp tests/vm/lib.sh "$root/vmlib.sh"

# trace-cmd (and with VM_PERF=1 perf and objdump, for perf annotate: 50 MB
# more) and the shared libraries they need, at the paths they expect.
tools=(trace-cmd)
[ "${VM_PERF:-0}" = 1 ] && tools+=(perf objdump)
mkdir -p "$root/usr/bin"
for tool in "${tools[@]}"; do
	bin=$(command -v "$tool")
	cp "$bin" "$root/usr/bin/$tool"
	for lib in $(ldd "$bin" | awk '/=>/ {print $3} /^\t\/lib/ {print $1}'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
mkdir -p "$root/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

cat > "$root/bin/vmexport" <<'EOT'
#!/bin/sh
# vmexport FILE [NAME]: send FILE to the host over the second serial port.
{
	echo "VMFILE ${2:-$(basename "$1")}"
	base64 "$1"
	echo "VMFILE-END"
} > /dev/ttyS1
EOT
chmod +x "$root/bin/vmexport"
# The kernel's messages go to the console as they come, except on the debug
# kernel: there, 6.1's lockdep (PROVE_RAW_LOCK_NESTING) reports the serial
# console's own lock whenever an interrupt handler prints, which under
# emulation the kernel does by itself ("hrtimer: interrupt took").  Its
# console takes emergencies only, and the whole log follows the script.
loglevel=7
[ "$kernel" = 6.1-debug ] && loglevel=2
cat > "$root/init" <<EOT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug
mount -t tracefs none /sys/kernel/tracing
echo $loglevel > /proc/sys/kernel/printk
echo "VMTEST BOOTED \$(uname -r)"
sh /test.sh
[ $loglevel -lt 7 ] && { echo "VMTEST DMESG"; dmesg; }
echo "VMTEST EXIT"
poweroff -f
EOT
chmod +x "$root/init" "$root/test.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$build/initramfs.gz"

log=$NTDPC_OUT/vm-$kernel-$(basename "$script" .sh)${VM_NTDPC_BH:+-$VM_NTDPC_BH}.log
echo "vm: booting $kernel ($release) with $smp vCPUs (TCG)"
set +e
files=$NTDPC_OUT/vm-$kernel/files
rm -rf "$files"
mkdir -p "$files"
# A guest that has not reached its /init within VM_BOOT_TIMEOUT seconds
# (default 240; a boot takes 10 to 60 here) is stopped: under TCG on a busy
# host a vCPU's timer can stop firing during boot ("rcu_preempt kthread
# timer wakeup didn't happen", soft lockups in swapper), before any module
# is loaded, and such a guest never recovers.  The run is repeated below.
boot_timeout=${VM_BOOT_TIMEOUT:-240}
rm -f "$build/qemu.pid" "$build/boot-stalled"
# The watcher keeps no descriptor of the caller's open and takes its sleep
# with it when stopped: a command substitution around vm.sh would
# otherwise wait for the sleep.
(
	trap 'kill "$nap" 2>/dev/null; wait "$nap"; exit 0' TERM
	sleep "$boot_timeout" &
	nap=$!
	wait "$nap"
	if ! grep -q 'VMTEST BOOTED' "$log" 2>/dev/null &&
	   [ -s "$build/qemu.pid" ]; then
		touch "$build/boot-stalled"
		kill "$(cat "$build/qemu.pid")" 2>/dev/null
	fi
) < /dev/null > /dev/null 2>&1 &
boot_watch=$!
# The serial console goes to the log, and to the terminal too with
# VMTEST_VERBOSE=1.
timeout "$timeout" qemu-system-x86_64 -accel tcg -smp "$smp" -m 1024 \
	-nodefaults -nographic -no-reboot -serial stdio -device edu \
	-serial "file:$build/ttyS1.out" -pidfile "$build/qemu.pid" \
	-kernel "$image" -initrd "$build/initramfs.gz" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4${VM_APPEND:+ $VM_APPEND}" \
	< /dev/null 2>&1 | if [ "${VMTEST_VERBOSE:-0}" = 1 ]; then tee "$log"; else cat > "$log"; fi
qemu_status=${PIPESTATUS[0]}
kill "$boot_watch" 2>/dev/null
wait "$boot_watch" 2>/dev/null
set -e

tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"

# Files the guest sent back.
if [ -s "$build/ttyS1.out" ]; then
	python3 - "$build/ttyS1.out" "$files" <<'EOT'
import base64, os, sys
name, chunks = None, []
for line in open(sys.argv[1], errors="replace"):
    line = line.strip()
    if line.startswith("VMFILE-END") and name:
        with open(os.path.join(sys.argv[2], name), "wb") as f:
            f.write(base64.b64decode("".join(chunks)))
        print("vm: received", name)
        name = None
    elif line.startswith("VMFILE "):
        name, chunks = os.path.basename(line.split(" ", 1)[1]), []
    elif name:
        chunks.append(line)
EOT
fi

# Under MTTCG a vCPU can still run translated code holding the breakpoint
# that text_poke_bp() on another vCPU put in while flipping a jump label,
# after the patch completed: the guest dies with "Oops: int3" in code that
# is a NOP again.  Nothing of ntdpc's places an int3; the kernel's text
# patching does, and on hardware its protocol makes this impossible, so the
# emulator's run is repeated, up to twice, saying so (Documentation/testing.rst).
# It strikes at boot too, before the guest script has run and any module is
# loaded (sched_clock_cpu(), as "sched_clock: Marking stable" flips its
# static key on every boot), up to three times in a row on an -rt kernel:
# such a run is repeated up to four times.  Once the script has started, an
# int3 could also be a wild jump into padding, so twice stays the limit.
retry=${VM_INT3_RETRY:-0}
boot_retry=${VM_INT3_BOOT_RETRY:-0}
if [ -e "$build/boot-stalled" ] && [ "$boot_retry" -lt 4 ]; then
	boot_retry=$((boot_retry + 1))
	echo "vm: the guest did not reach its /init within ${boot_timeout}s (an emulator stall at boot, no module loaded; log kept as $log.stall.$boot_retry); running it again" >&2
	mv "$log" "$log.stall.$boot_retry"
	VM_INT3_RETRY=$retry VM_INT3_BOOT_RETRY=$boot_retry \
		exec "$NTDPC_REPO/scripts/vm.sh" "$kernel" "$script"
fi
if ! grep -q '^VMTEST DONE' "$log" && grep -q 'Oops: int3' "$log"; then
	n=$((retry + boot_retry))
	if ! grep -q '^VMTEST ' "$log" && [ "$boot_retry" -lt 4 ]; then
		boot_retry=$((boot_retry + 1))
	elif grep -q '^VMTEST ' "$log" && [ "$retry" -lt 2 ]; then
		retry=$((retry + 1))
	else
		n=
	fi
	if [ -n "$n" ]; then
		echo "vm: the guest hit a stale text-patching int3 (a QEMU TCG artifact, log kept as $log.int3.$n); running it again" >&2
		mv "$log" "$log.int3.$n"
		VM_INT3_RETRY=$retry VM_INT3_BOOT_RETRY=$boot_retry \
			exec "$NTDPC_REPO/scripts/vm.sh" "$kernel" "$script"
	fi
fi

passed=$(grep -c '^VMTEST PASS ' "$log" || true)
failed=$(grep -c '^VMTEST FAIL ' "$log" || true)
grep '^VMTEST FAIL ' "$log" || true
status=0
# Whatever the guest checked itself: any splat of the kernel's fails the run.
splats='BUG:|WARNING:|Oops|general protection|INFO: possible|INFO: inconsistent|'
splats+='INFO: task .* blocked for more than|sleeping function called from invalid context|'
splats+='scheduling while atomic|ODEBUG:|KASAN|UBSAN|detected stall|soft lockup|'
splats+='hard LOCKUP|Kernel panic|stack-protector|list_add corruption|list_del corruption|'
splats+='workqueue lockup|hogged CPU'
# After the guest's script, only its power-off is left, whose own noise
# (an IPI to a CPU already stopped) is not ntdpc's.
if sed '/^VMTEST EXIT/,$d' "$log" | grep -v '^VMTEST ' | grep -E "$splats" > "$log.splats"; then
	echo "vm: kernel splats on the console (all in $log.splats):" >&2
	head -n 20 "$log.splats" | sed 's/^/vm:   /' >&2
	failed=$((failed + 1))
else
	rm -f "$log.splats"
fi
if ! grep -q '^VMTEST DONE' "$log"; then
	[ $qemu_status -eq 124 ] && echo "vm: guest did not finish within ${timeout}s" >&2
	[ -e "$build/boot-stalled" ] &&
		echo "vm: guest did not reach its /init within ${boot_timeout}s, $((boot_retry + 1)) times in a row" >&2
	echo "vm: guest did not complete its script; the console's last lines:" >&2
	tail -n 40 "$log" | sed 's/^/vm:   /' >&2
	failed=$((failed + 1))
	status=1
fi
[ "$failed" -eq 0 ] || status=1
echo "vm-$kernel: $passed passed, $failed failed"
exit $status
