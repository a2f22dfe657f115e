# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scripts (scripts/vm.sh installs it as /vmlib.sh):
# the result lines scripts/vm.sh counts.

pass() { echo "VMTEST PASS $1"; }
fail() { echo "VMTEST FAIL $1: $2"; }

# expect NAME COMMAND...: COMMAND must succeed.
expect() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then pass "$name"; else fail "$name" "$(cat /tmp/out)"; fi
}

# refuse NAME COMMAND...: COMMAND must fail.
refuse() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then fail "$name" "succeeded"; else pass "$name"; fi
}

# logged TEXT: the kernel log has TEXT (a grep pattern).
logged() { dmesg | grep -q "$1"; }

# uptime: seconds since boot, to the hundredth.
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# offline_within SECONDS CPU: take CPU offline, and fail unless that has
# happened within SECONDS; the time it took is printed.  A write that never
# returns stays blocked in the kernel, and what follows may wait on it.
offline_within() {
	rm -f /tmp/offline.$2
	t0=$(uptime_s)
	(echo 0 > /sys/devices/system/cpu/cpu$2/online && touch /tmp/offline.$2) &
	i=0
	while [ ! -f /tmp/offline.$2 ] && [ $i -lt $(($1 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "cpu$2 offline: $(awk "BEGIN { print $(uptime_s) - $t0 }") s" > /dev/console
	[ -f /tmp/offline.$2 ]
}

# edu_requests N DMA_EVERY: N factorials and, every DMA_EVERY-th (0: never),
# a DMA round trip, written at once to /dev/edu_dpc so that many are
# outstanding; the answers, in order, land in /tmp/edu.out.
edu_requests() {
	i=0
	n=0
	req=""
	while [ $i -lt "$1" ]; do
		req="${req}fact $((i % 14))\n"
		n=$((n + 1))
		if [ "$2" -gt 0 ] && [ $((i % $2)) -eq 0 ]; then
			req="${req}dma $((i * 67 + 1)) $i\n"
			n=$((n + 1))
		fi
		i=$((i + 1))
	done
	exec 3<>/dev/edu_dpc
	printf "$req" >&3
	head -n $n <&3 > /tmp/edu.out
	exec 3>&-
}
