#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check / make check-debug: install what is missing, build the modules,
# boot the test VM and run the suite in it.  Prints the suite's KTAP and ends
# with one plain line "N passed, N failed, N skipped", which CI reads.
# Exits non-zero on any failed test, kernel splat or VM timeout.
#
#   scripts/check.sh [--debug | --newest]
#
#   --debug   use the debug kernel (KASAN, lockdep, kmemleak, fault
#             injection) built by scripts/debug-kernel.sh, cached after the
#             first build; our modules are then built in build/debug/.
#   --newest  use Debian's image of the newest kernel line, our modules
#             built in build/newest/ against the tree scripts/newest-kernel.sh
#             prepares (cached after the first run).
#
# Environment: KFI_RESULTS (where result dirs go; default results/ in the
# tree), KFI_TESTS (only these test modules, shell patterns), KFI_TIMEOUT
# (seconds before the VM is killed), KDIR/KVER as for make.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"

lane=stock
# Another Debian kernel than the default gets results of its own.
[ "$KVER" = "$KFI_KVER_DEFAULT" ] || lane=stock-$KVER
case ${1:-} in
--debug)	lane=debug ;;
--newest)	lane=newest ;;
esac

say()
{
	echo "# $*"
}

t0=$SECONDS
"$top/scripts/deps.sh"

kernel=$KFI_GUEST
kodir=$top
if [ $lane = debug ]; then
	dkdir=$("$top/scripts/debug-kernel.sh")
	kernel=$dkdir/root
	kdir=$dkdir/build
	# Kbuild writes objects beside the sources, so the debug build of our
	# modules gets its own copy of the tree.
	kodir=$top/build/debug
	kfi_copy_tree "$top" "$kodir"
	timeout=${KFI_TIMEOUT:-2400}
	boot_timeout=600
elif [ $lane = newest ]; then
	nkdir=$("$top/scripts/newest-kernel.sh")
	kernel=$nkdir/root
	kdir=$nkdir/build
	kodir=$top/build/newest
	kfi_copy_tree "$top" "$kodir"
	timeout=${KFI_TIMEOUT:-1800}
	boot_timeout=240
else
	kdir=${KDIR:-/usr/src/linux-headers-$KVER}
	timeout=${KFI_TIMEOUT:-1800}
	boot_timeout=240
fi
t1=$SECONDS
say "building against $kdir"
blog=$(mktemp /tmp/kfi-build.XXXXXX)
make -C "$kodir" --no-print-directory KDIR="$kdir" modules >"$blog" 2>&1 || {
	cat "$blog"
	rm -f "$blog"
	say "build failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}
t2=$SECONDS

res=${KFI_RESULTS:-$top/results}/$lane-$(date +%Y%m%d-%H%M%S)
mkdir -p "$res"
mv "$blog" "$res/build.log"
ln -sfn "${res##*/}" "${res%/*}/latest-$lane"

rc=0
KFI_KO_DIR=$kodir KFI_KDIR=$kdir \
	"$top/tools/testing/vm/run" --kernel "$kernel" --out "$res" \
	--timeout "$timeout" --boot-timeout "$boot_timeout" \
	--append log_buf_len=16M -- \
	"$top/tools/testing/selftests/kfabric/kfabric_tests.sh" || rc=$?
t3=$SECONDS

# The suite's own KTAP, or what it got through before the VM died.
if [ -s "$res/ktap.txt" ] && [ $rc -lt 124 ]; then
	ktap=$(cat "$res/ktap.txt")
else
	case $rc in
	124) why="VM timed out after $timeout s" ;;
	*)   why="VM failed (exit $rc); see console.log" ;;
	esac
	partial=$(grep -v '^#' "$res/ktap.partial" 2>/dev/null || true)
	n=$(printf '%s' "$partial" | grep -c . || true)
	ktap=$(printf 'KTAP version 1\n1..%d\n' $((n + 1))
	       [ -n "$partial" ] && printf '%s\n' "$partial"
	       printf 'not ok %d vm # %s\n' $((n + 1)) "$why")
	echo "$ktap" >"$res/ktap.txt"
	echo "$ktap"
fi

pass=$(grep -cE '^ok [0-9]+ ' <<<"$ktap" | tr -d ' ' || true)
skip=$(grep -cE '^ok [0-9]+ [^#]*# *SKIP' <<<"$ktap" || true)
fail=$(grep -cE '^not ok [0-9]+ ' <<<"$ktap" || true)
pass=$((pass - skip))
# A run that reports nothing is a failure, not a pass.
if [ $((pass + fail + skip)) = 0 ]; then
	fail=1
fi
[ $rc = 0 ] || [ "$fail" -gt 0 ] || fail=1

{
	echo "deps+kernel $((t1 - t0)) s"
	echo "build $((t2 - t1)) s"
	echo "vm $((t3 - t2)) s"
	echo "total $((t3 - t0)) s"
} >"$res/times.txt"
say "results: $res (build $((t2 - t1)) s, VM $((t3 - t2)) s, total $((t3 - t0)) s)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
