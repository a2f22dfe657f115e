#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The insertion's instruction budget (Documentation/performance.rst): the
# path of the benchmark's insert row through ntdpc.ko's KeInsertQueueDpc(),
# each instruction attributed to the NT rule it serves, next to the
# kernel's own tasklet_hi_schedule() path (scripts/insert-budget.py).
#
#   scripts/insert-budget.sh [-v] [KERNEL]       default 6.1
#
# The kernel's code comes from its image (extract-vmlinux of the kernel
# source), the addresses of its functions from /proc/kallsyms of a guest
# booted with nokaslr (one short VM run, scripts/vm.sh).  The report goes
# to the terminal and to out/budget/<kernel>.txt.
set -euo pipefail
. "$(dirname "$0")/common.sh"

verbose=
[ "${1:-}" = -v ] && { verbose=-v; shift; }
kernel=${1:-6.1}
cd "$NTDPC_REPO"
out=$NTDPC_OUT/budget
mkdir -p "$out"

modules=$(scripts/modules-build.sh "$kernel")
image=$(ntdpc_kernel_image "$kernel")
src=$(ntdpc_kernel_source 6.1)
vmlinux=$out/vmlinux-$kernel
[ -s "$vmlinux" ] || "$src/scripts/extract-vmlinux" "$image" > "$vmlinux"

guest=$out/kallsyms.sh
cat > "$guest" <<'EOT'
#!/bin/sh
echo 0 > /proc/sys/kernel/kptr_restrict
grep -E ' [tTwW] ' /proc/kallsyms | grep -v '\[' > /tmp/kallsyms.txt
vmexport /tmp/kallsyms.txt kallsyms.txt
echo "VMTEST DONE"
EOT
VM_APPEND=nokaslr VM_TIMEOUT=${VM_TIMEOUT:-300} scripts/vm.sh "$kernel" "$guest" >/dev/null
cp "$NTDPC_OUT/vm-$kernel/files/kallsyms.txt" "$out/kallsyms-$kernel.txt"

python3 scripts/insert-budget.py "$modules/ntdpc.ko" "$vmlinux" \
	"$out/kallsyms-$kernel.txt" $verbose | tee "$out/$kernel.txt"
