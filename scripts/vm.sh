#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's own kernel under QEMU (TCG, 4 vCPUs) with a busybox
# initramfs carrying ntdpc.ko, the companion modules and a guest script, and
# report what the guest reported.
#
#   scripts/vm.sh <kernel-series> <guest-script>      e.g. 6.1 tests/vm/modules.sh
#
# The guest has QEMU's edu PCI device, trace-cmd (with its libraries; perf
# and objdump too with VM_PERF=1), and in /modules ntdpc.ko, every module of
# samples/ and of tests/vm/ (ntdpc_vmtest.ko, nt_conformance.ko).  It sends
# files back with "vmexport FILE [NAME]" (base64 over a second serial port);
# they land in out/vm-<series>/files/.
#
# The kernel package (linux-image-<release>, the release whose headers the
# modules are built against) is fetched with apt and unpacked into the cache,
# never installed on the host.  The console goes to
# out/vm-<series>-<guest script>.log and to
# the terminal as it runs with VMTEST_VERBOSE=1.  A guest that panics, oopses or does not
# finish within VM_TIMEOUT seconds (default 600) fails the run.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${1:?kernel series, e.g. 6.1 or 6.12}
script=${2:?guest script}
smp=${VM_SMP:-4}
timeout=${VM_TIMEOUT:-600}
cd "$NTDPC_REPO"
mkdir -p "$NTDPC_OUT" "$NTDPC_CACHE/kernels"

"$NTDPC_REPO/scripts/install-deps.sh" vm

# Debian's standard flavour: a PREEMPT_RT one (-rt-amd64) installed beside
# it is not what ntdpc runs on (Documentation/design.rst, "Not emulated").
kdir=$(ntdpc_kdirs | grep "linux-headers-$series\." | grep -v -- '-rt-amd64$' | tail -n1)
[ -n "$kdir" ] || { echo "vm: no headers for $series" >&2; exit 1; }
release=${kdir#/usr/src/linux-headers-}

# The kernel image, unpacked once per release.
kroot=$NTDPC_CACHE/kernels/$release
if [ ! -f "$kroot/boot/vmlinuz-$release" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download \
		"linux-image-$release" >/dev/null)
	rm -rf "$kroot"
	dpkg-deb -x "$tmp"/linux-image-*.deb "$kroot"
	rm -rf "$tmp"
fi

# Modules built against this kernel's headers, in a private build tree.
build=$NTDPC_OUT/vm-build-$series
rm -rf "$build"
mkdir -p "$build"
cp -a Kbuild Makefile src include probes samples tests "$build/"
make -s -C "$build" KDIR="$kdir" modules 2>&1 | grep -v '^Skipping BTF' || true
[ -f "$build/ntdpc.ko" ] || { echo "vm: ntdpc.ko did not build" >&2; exit 1; }
for dir in samples/*/ tests/vm/; do
	dir=${dir%/}
	make -s -C "$kdir" M="$build/$dir" NTDPC="$build" \
		KBUILD_EXTRA_SYMBOLS="$build/Module.symvers" modules 2>&1 |
		grep -v '^Skipping BTF' || true
done

# The initramfs: busybox, the modules, the guest script as /test.sh.
root=$build/initramfs
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,modules}
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
cp "$build/ntdpc.ko" "$build"/samples/*/*.ko "$build"/tests/vm/*.ko \
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
cat > "$root/init" <<'EOT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug
mount -t tracefs none /sys/kernel/tracing
echo 7 > /proc/sys/kernel/printk
echo "VMTEST BOOTED $(uname -r)"
sh /test.sh
echo "VMTEST EXIT"
poweroff -f
EOT
chmod +x "$root/init" "$root/test.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$build/initramfs.gz"

log=$NTDPC_OUT/vm-$series-$(basename "$script" .sh).log
echo "vm: booting $release with $smp vCPUs (TCG)"
set +e
files=$NTDPC_OUT/vm-$series/files
rm -rf "$files"
mkdir -p "$files"
# The serial console goes to the log, and to the terminal too with
# VMTEST_VERBOSE=1.
timeout "$timeout" qemu-system-x86_64 -accel tcg -smp "$smp" -m 1024 \
	-nodefaults -nographic -no-reboot -serial stdio -device edu \
	-serial "file:$build/ttyS1.out" \
	-kernel "$kroot/boot/vmlinuz-$release" -initrd "$build/initramfs.gz" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4" \
	< /dev/null 2>&1 | if [ "${VMTEST_VERBOSE:-0}" = 1 ]; then tee "$log"; else cat > "$log"; fi
qemu_status=${PIPESTATUS[0]}
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
# emulator's run is repeated once, saying so (Documentation/testing.rst).
if [ -z "${VM_INT3_RETRY:-}" ] && ! grep -q '^VMTEST DONE' "$log" &&
   grep -q 'Oops: int3' "$log"; then
	echo "vm: the guest hit a stale text-patching int3 (a QEMU TCG artifact, log kept as $log.int3); running it once more" >&2
	mv "$log" "$log.int3"
	VM_INT3_RETRY=1 exec "$NTDPC_REPO/scripts/vm.sh" "$series" "$script"
fi

passed=$(grep -c '^VMTEST PASS ' "$log" || true)
failed=$(grep -c '^VMTEST FAIL ' "$log" || true)
grep '^VMTEST FAIL ' "$log" || true
status=0
if ! grep -q '^VMTEST DONE' "$log"; then
	[ $qemu_status -eq 124 ] && echo "vm: guest did not finish within ${timeout}s" >&2
	echo "vm: guest did not complete its script; the console's last lines:" >&2
	tail -n 40 "$log" | sed 's/^/vm:   /' >&2
	failed=$((failed + 1))
	status=1
fi
[ "$failed" -eq 0 ] || status=1
echo "vm-$series: $passed passed, $failed failed"
exit $status
