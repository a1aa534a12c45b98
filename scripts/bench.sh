#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: install what is missing, build our modules and run the
# benchmarks (tools/testing/bench/run) with the arguments given.
#
#   [KERNEL=FLAVOUR] scripts/bench.sh [runner arguments...]
#
# Without KERNEL the VM boots Debian's kernel ($KVER) and loads the modules
# of the tree.  KERNEL=lean (or any fragment tools/testing/vm/*.config)
# boots the kernel scripts/guest-kernel.sh builds from that fragment, cached
# after the first build; our modules are then built against it in
# build/<flavour>/, as make check-debug does for the debug kernel.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"

"$top/scripts/deps.sh"
runner=$top/tools/testing/bench/run
if [ -z "${KERNEL:-}" ]; then
	make -C "$top" --no-print-directory modules
	exec "$runner" --no-build "$@"
fi

kdir=$("$top/scripts/guest-kernel.sh" "$KERNEL")
kodir=$top/build/$KERNEL
kfi_copy_tree "$top" "$kodir"
make -C "$kodir" --no-print-directory KDIR="$kdir/build" modules
export KFI_KO_DIR=$kodir KFI_KDIR=$kdir/build
exec "$runner" --no-build --kernel "$kdir/root" "$@"
