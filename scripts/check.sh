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
#             injection) built by scripts/guest-kernel.sh debug, cached after the
#             first build; our modules are then built in build/debug/.
#   --newest  use Debian's image of the newest kernel line, our modules
#             built in build/newest/ against the tree scripts/newest-kernel.sh
#             prepares (cached after the first run).
#
# Environment: KFI_RESULTS (where result dirs go; default results/ in the
# tree), KFI_TESTS (only these test modules, shell patterns),
# KFI_SKIP_TESTS (tests left out, shell patterns), KFI_TIMEOUT (seconds
# before the VM is killed), KDIR/KVER as for make.

set -euo pipefail

# The two-node reboot tests run only when asked for (KFI_TESTS names
# them, or KFI_SKIP_TESTS is set, empty or not): a reset guest can take
# minutes to boot again under TCG (Documentation/testing.rst), which
# would make the suite's time depend on luck.  On the lane whose two-node
# tests run over tcp (KFBLK_PAIR_PROVIDER=tcp, CI's 6.12 lane) so do
# kfblk_multipath and nvme_pair: their many link cuts took that kernel
# down once (testing.rst); the lane keeps kfblk_pair's cuts, and both run
# on the Soft-RoCE lane (6.1).
skip='*_reboot'
[ "${KFBLK_PAIR_PROVIDER:-}" != tcp ] || skip+=' kfblk_multipath nvme_pair'
[ -n "${KFI_TESTS:-}" ] || export KFI_SKIP_TESTS=${KFI_SKIP_TESTS-$skip}

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

# lane_ktap DIR RC TIMEOUT NAME: the KTAP a lane left in DIR, or what it
# got through before its VM died and a failed case NAME saying so.
lane_ktap()
{
	local dir=$1 rc=$2 why partial n k
	if [ -s "$dir/ktap.txt" ] && [ "$rc" -lt 124 ]; then
		cat "$dir/ktap.txt"
		return
	fi
	case $rc in
	124) why="VM timed out after $3 s" ;;
	*)   why="VM failed (exit $rc); see console.log" ;;
	esac
	partial=$(grep -v '^#' "$dir/ktap.partial" 2>/dev/null || true)
	n=$(printf '%s' "$partial" | grep -c . || true)
	k=$(printf 'KTAP version 1\n1..%d\n' $((n + 1))
	    [ -z "$partial" ] || printf '%s\n' "$partial"
	    printf 'not ok %d %s # %s\n' $((n + 1)) "$4" "$why")
	echo "$k" >"$dir/ktap.txt"
	echo "$k" >&2
	echo "$k"
}

# ktap_join A B: one KTAP stream, B's results numbered after A's.
ktap_join()
{
	local na
	na=$(grep -cE '^(not )?ok [0-9]+ ' <<<"$1" || true)
	echo "KTAP version 1"
	echo "1..$((na + $(grep -cE '^(not )?ok [0-9]+ ' <<<"$2" || true)))"
	[ -z "$1" ] || grep -vE '^(KTAP version|1\.\.[0-9]+$)' <<<"$1"
	grep -vE '^(KTAP version|1\.\.[0-9]+$)' <<<"$2" |
		awk -v off="$na" '
			/^ok [0-9]+ / { $2 += off }
			/^not ok [0-9]+ / { $3 += off }
			{ print }'
}

t0=$SECONDS
"$top/scripts/deps.sh"

kernel=$KFI_GUEST
kodir=$top
if [ $lane = debug ]; then
	dkdir=$("$top/scripts/guest-kernel.sh" debug)
	kernel=$dkdir/root
	kdir=$dkdir/build
	# Kbuild writes objects beside the sources, so the debug build of our
	# modules gets its own copy of the tree.
	kodir=$top/build/debug
	kfi_copy_tree "$top" "$kodir"
	# The whole one-node suite runs well over an hour here (two parts of
	# it took 2,400 and 1,370 s): the limit only catches a wedged guest.
	timeout=${KFI_TIMEOUT:-9000}
	boot_timeout=600
	# KASAN, lockdep and kmemleak under TCG: a script takes about three
	# times as long (kfblk_hostile ran 13 of its 18 cases in 600 s;
	# kfblk_pair 5 of its 8 in 1,800 s).
	export KFI_SCRIPT_TIMEOUT=${KFI_SCRIPT_TIMEOUT:-3600}
	# The same for one command in a guest of the two-node lane: kfblk_pair's
	# 48 MiB fio across a link cut took over 600 s on a busy host.
	export KFI_NODE_CMD_TIMEOUT=${KFI_NODE_CMD_TIMEOUT:-1800}
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

# Which lanes the selection needs: the one-node suite, the two-node one
# (tests listed as "pair"), or both.
pairs=$("$top/tools/testing/selftests/kfabric/kfabric_pair_tests.sh" --list pair || true)
singles=$("$top/tools/testing/selftests/kfabric/kfabric_pair_tests.sh" --list single || true)

# Both lanes are one VM run: the lock is taken once, here, so another run
# cannot slip in between them (run and pair are told it is held).
exec 8>"${KFI_VM_LOCK:-/tmp/kfvm-run.lock}"
if ! flock -n 8; then
	say "waiting for another VM run to end"
	flock 8
fi

rc=0
if [ -n "$singles" ] || [ -z "$pairs" ]; then
	KFI_KO_DIR=$kodir KFI_KDIR=$kdir \
		"$top/tools/testing/vm/run" --no-lock --kernel "$kernel" --out "$res" \
		--timeout "$timeout" --boot-timeout "$boot_timeout" \
		--append log_buf_len=16M -- \
		"$top/tools/testing/selftests/kfabric/kfabric_tests.sh" || rc=$?
	ktap=$(lane_ktap "$res" $rc "$timeout" vm)
else
	# Only two-node tests selected: that lane checks the selection.
	export KFI_PAIR_ONLY=1
	ktap=
fi
t3=$SECONDS

# The two-node lane: two guests, one VM run; its cases join the stream.
prc=0
if [ -n "$pairs" ]; then
	pmem=1G
	[ $lane != debug ] || pmem=2G
	KFI_KO_DIR=$kodir KFI_KDIR=$kdir \
		"$top/tools/testing/vm/pair" --no-lock --kernel "$kernel" --out "$res/pair" \
		--timeout "$timeout" --boot-timeout "$boot_timeout" --mem $pmem \
		--append log_buf_len=16M -- \
		"$top/tools/testing/selftests/kfabric/kfabric_pair_tests.sh" || prc=$?
	ktap=$(ktap_join "$ktap" "$(lane_ktap "$res/pair" $prc "$timeout" pair_vm)")
	echo "$ktap" >"$res/ktap.txt"
	say "both lanes, one stream:"
	echo "$ktap"
	[ $prc = 0 ] || rc=$prc
fi
t4=$SECONDS
exec 8>&-

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
	echo "pair vm $((t4 - t3)) s"
	echo "total $((t4 - t0)) s"
} >"$res/times.txt"
say "results: $res (build $((t2 - t1)) s, VM $((t3 - t2)) s, two-node VMs $((t4 - t3)) s, total $((t4 - t0)) s)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
