# SPDX-License-Identifier: GPL-2.0
#
# ntdpc: out-of-tree build and the project's commands.
#
#   make demo         the main job: the demo drivers traced in a 4-vCPU VM
#                     and the latency report (scripts/demo.sh)
#   make bench        ntdpc against tasklets, workqueues, irq_work and IPIs
#                     in the VM, one table (scripts/bench.sh)
#   make              build ntdpc.ko against KDIR
#   make check        every test on every supported kernel (scripts/check.sh,
#                     kernels in scripts/kernels.sh): W=1 builds, lint, DKMS,
#                     KUnit (UML, 4 vCPUs, KCSAN, PREEMPT_RT), VM tests,
#                     stress, the demo, the report tool, the bench smoke run
#   make kunit        build ntdpc.ko and run the KUnit suites in UML, with
#                     their summary
#   make lint         checkpatch.pl --strict and sparse (C=1)
#   make vmtest       load ntdpc.ko and companions in Debian's SERIES kernel
#                     (default 6.1) under QEMU (4 vCPUs)
#   make stress       load ntdpc from every CPU and context for DURATION
#                     seconds (default 60) with CPU hotplug, then unload
#                     cycles, in Debian's SERIES kernel (default 6.1) under
#                     QEMU, invariants checked (scripts/stress.sh)
#   make modules_install / clean / distclean
#
# KDIR defaults to the running kernel's build dir, else the newest Debian
# headers installed under /usr/src.

KVER ?= $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
	  $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1))

PWD := $(shell pwd)
DURATION ?= 60
SERIES ?= 6.1

all: modules

modules:
	@test -n "$(KDIR)" || { echo "No kernel headers: run scripts/install-deps.sh build" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) modules

modules_install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install

clean:
	@test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(PWD) clean

# Also the test and demo output; the kernel caches in ~/.cache/ntdpc stay.
distclean: clean
	rm -rf out

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

# Build ntdpc.ko and run the KUnit suites in UML, with their summary.
kunit:
	scripts/install-deps.sh build kunit
	$(MAKE) modules
	scripts/kunit.sh um

lint:
	scripts/lint.sh

vmtest:
	scripts/vm.sh $(SERIES) tests/vm/modules.sh

stress:
	DURATION=$(DURATION) scripts/stress.sh $(SERIES)

.PHONY: all modules modules_install clean distclean check demo bench kunit lint vmtest stress
