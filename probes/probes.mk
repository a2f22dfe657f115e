# SPDX-License-Identifier: GPL-2.0
#
# Compile probes: an API that differs between the kernels ntdpc supports is
# detected by compiling a small file of this directory against the kernel's
# headers, never by a version number.  Included by ntdpc's Kbuild and by the
# Kbuild of each of ntdpc's own companions (tests, samples) that uses such an
# API; the includer sets ntdpc-probes to this directory.  probes/compat.h
# turns the results into one name per API.
ntdpc-probe = $(shell $(CC) $(NOSTDINC_FLAGS) $(LINUXINCLUDE) \
	$(KBUILD_CPPFLAGS) $(KBUILD_CFLAGS) -Werror -fsyntax-only \
	$(ntdpc-probes)/$(1).c >/dev/null 2>&1 && echo -D$(2))

ntdpc-probe-flags := $(call ntdpc-probe,wq_bh,NTDPC_HAVE_WQ_BH) \
	$(call ntdpc-probe,wq_percpu,NTDPC_HAVE_WQ_PERCPU) \
	$(call ntdpc-probe,wq_bh_percpu,NTDPC_HAVE_WQ_BH_PERCPU) \
	$(call ntdpc-probe,hrtimer_setup,NTDPC_HAVE_HRTIMER_SETUP) \
	$(call ntdpc-probe,hrtimer_setup_on_stack,NTDPC_HAVE_HRTIMER_SETUP_ON_STACK)
