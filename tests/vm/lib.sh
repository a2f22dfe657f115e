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
