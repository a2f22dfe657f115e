# SPDX-License-Identifier: GPL-2.0
#
# The drain's backend (src/bh.h): a dispatch thread on PREEMPT_RT, else a
# tasklet, or with NTDPC_BH=workqueue a BH workqueue where the kernel has one.
# Included by every Kbuild that compiles against src/, so that all of them
# see one struct ntdpc_cpu; needs probes.mk first.
# An empty NTDPC_BH (as scripts pass an unset choice on) is the default.
ifeq ($(strip $(NTDPC_BH)),)
override NTDPC_BH := tasklet
endif
ntdpc-bh := $(if $(CONFIG_PREEMPT_RT),thread,$(NTDPC_BH))
ifeq ($(ntdpc-bh),workqueue)
ifeq ($(findstring NTDPC_HAVE_WQ_BH,$(ntdpc-probe-flags)),)
$(error NTDPC_BH=workqueue: this kernel has no BH workqueues (WQ_BH))
endif
endif
ifeq ($(filter tasklet workqueue thread,$(ntdpc-bh)),)
$(error NTDPC_BH=$(NTDPC_BH): one of tasklet, workqueue)
endif
ntdpc-bh-flags := -DNTDPC_BH_$(shell echo $(ntdpc-bh) | tr a-z A-Z)
ntdpc-backend := src/bh_$(ntdpc-bh).o
