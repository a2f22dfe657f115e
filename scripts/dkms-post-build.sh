#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# DKMS POST_BUILD: publish Module.symvers for companion modules, per kernel.
# Runs in the DKMS build directory; $1 is the kernel release.
set -e
[ -n "$1" ] && [ -f Module.symvers ] || exit 0
dest="/usr/src/ntdpc-$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)/symvers/$1"
mkdir -p "$dest"
cp Module.symvers "$dest/Module.symvers"
