#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DKMS POST_BUILD hook (dkms.conf), run in the build directory: keep the
# build's Module.symvers in DKMS's per-kernel directory ($1), beside the
# modules, so that modules built out of tree against kfabric resolve its
# symbols with their version CRCs (KBUILD_EXTRA_SYMBOLS=$1/Module.symvers).

set -e
[ $# = 1 ] || { echo "usage: $0 DKMS_KERNEL_DIR" >&2; exit 2; }
[ -s Module.symvers ] || { echo "$0: no Module.symvers in $(pwd)" >&2; exit 1; }
mkdir -p "$1"
cp Module.symvers "$1/Module.symvers"
echo "kfabric: Module.symvers kept in $1"
