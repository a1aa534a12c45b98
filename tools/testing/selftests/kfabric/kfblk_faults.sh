#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk faults: an unreachable target fails the map after a timeout; I/O
# the target does not answer in time fails with an error; a target that
# goes away (export disabled, module unloaded) under running I/O fails that
# I/O with an error on the client, whose disk stays until unmapped and
# whose unmap always works.  Standalone KTAP producer; run as root in the
# test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

kt_plan 8
trap kfblk_cleanup EXIT

CFS=/sys/kernel/config/kfblk

if ! kfblk_load connect_timeout_ms=3000 io_timeout=5; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
kt_ok setup

# An address nobody answers on: the map fails, and soon.
unreachable()
{
	local start=$SECONDS
	if "$KFBLKCTL" map 192.0.2.99 "$KFBLK_PORT" nobody unreach; then
		return 1
	fi
	echo "failed after $((SECONDS - start)) s"
	[ $((SECONDS - start)) -le 30 ] && [ ! -e "$CFS/unreach" ]
}
kt_check fault.unreachable_target unreachable

# A backing device slower (dm-delay, 20 s) than the client's 5 s timeout.
io_timeout()
{
	local nb sz dm dev rc
	modprobe dm-delay || return 1
	nb=$(nullb_create kfbt_slowdev 32) || return 1
	sz=$(blockdev --getsz "$nb")
	dmsetup create --noudevsync kfbt_slow \
		--table "0 $sz delay $nb 0 20000" || return 1
	dm=$(dmsetup info -c --noheadings -o minor kfbt_slow | tr -d ' ')
	"$KFBLKCTL" export slow "/dev/dm-$dm" "$KFI_IPADDR" "$KFBLK_PORT" ||
		return 1
	# The partition scan at map time is the first I/O to time out.
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" slow m_slow) || return 1
	dd if="$dev" of=/dev/null bs=4k count=1 skip=100 iflag=direct
	rc=$?
	echo "dd: $rc, state $(cat "$CFS/m_slow/state")"
	[ $rc != 0 ] && [ -b "$dev" ] &&
	[ "$(cat "$CFS/m_slow/state")" = failed ] &&
	"$KFBLKCTL" unmap m_slow && "$KFBLKCTL" unexport slow
}
kt_check fault.io_timeout io_timeout

# The export goes away under fio.
dev=$(kfblk_setup gone 64)
fio_pid=
if [ -b "$dev" ]; then
	fio --name=gone --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randrw --bs=16k --iodepth=16 --time_based --runtime=60 \
		--output=/dev/null >/dev/null 2>&1 &
	fio_pid=$!
	sleep 3
fi
unexport()
{
	local start=$SECONDS rc
	"$KFBLKCTL" unexport gone || return 1
	wait "$fio_pid"
	rc=$?
	echo "fio exit $rc after $((SECONDS - start)) s"
	[ $rc != 0 ]
}
if [ -n "$fio_pid" ]; then
	kt_check fault.target_gone_fails_io unexport
else
	kt_fail fault.target_gone_fails_io "no device"
fi

disk_stays()
{
	[ -b "$dev" ] &&
	[ "$(cat "/sys/block/${dev#/dev/}/kfblk/state")" = failed ] &&
	! dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
}
kt_check fault.disk_stays_failing disk_stays

# With a client still mapped, the target module goes.
target_rmmod()
{
	local nb i
	nb=$(nullb_create kfbt_again 32) &&
	"$KFBLKCTL" export again "$nb" "$KFI_IPADDR" $((KFBLK_PORT + 2)) &&
	"$KFBLKCTL" map "$KFI_IPADDR" $((KFBLK_PORT + 2)) again m_again &&
	"$KFBLKCTL" unexport --all && rmmod kfblk_target || return 1
	for i in "${!KFBLK_LOADED[@]}"; do
		[ "${KFBLK_LOADED[i]}" = kfblk_target ] && unset "KFBLK_LOADED[i]"
	done
	KFBLK_LOADED=("${KFBLK_LOADED[@]}")
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(cat "$CFS/m_again/state")" = failed ] && return 0
		sleep 1
	done
	echo "state: $(cat "$CFS/m_again/state")"
	return 1
}
kt_check fault.target_module_unload target_rmmod

unmap_all()
{
	"$KFBLKCTL" unmap --all && [ -z "$(ls "$CFS")" ] &&
	[ "$(kfblk_live_objects)" = 0 ]
}
kt_check fault.unmap_after_loss unmap_all
kt_check teardown kfblk_cleanup
kt_exit
