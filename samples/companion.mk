# SPDX-License-Identifier: GPL-2.0
# Shared by the samples' Makefiles.  A companion module needs ntdpc's header
# and its Module.symvers, nothing else:
#   make NTDPC=/path/to/ntdpc KDIR=/lib/modules/$(uname -r)/build
NTDPC ?= $(abspath $(CURDIR)/../..)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

all:
	$(MAKE) -C $(KDIR) M=$(CURDIR) NTDPC=$(NTDPC) \
		KBUILD_EXTRA_SYMBOLS=$(NTDPC)/Module.symvers modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

.PHONY: all clean
