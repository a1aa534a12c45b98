#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk faults: an unreachable target fails the map after a timeout; I/O
# the target does not answer in time fails with an error; a target that
# goes away (export disabled, module unloaded) under running I/O fails that
# I/O with an error on the client, whose disk stays until unmapped and
# whose unmap always works.  Over the provider KFBLK_PROVIDER names
# (kfblk_faults_tcp.sh: tcp).  Standalone KTAP producer; run as root in
# the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

kt_plan 9
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
	echo "kfblk-faults: io_timeout" >/dev/kmsg
	# The partition scan at map time is the first I/O to time out.
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" slow m_slow) || return 1
	dd if="$dev" of=/dev/null bs=4k count=1 skip=100 iflag=direct
	rc=$?
	echo "dd: $rc, state $(cat "$CFS/m_slow/state")"
	# The I/O failed because it timed out, not for some other reason.
	dmesg | sed -n '/kfblk-faults: io_timeout/,$p' |
		grep -q "^.*kfblk: ${dev#/dev/}: I/O tag [0-9]* timed out" ||
		{ echo "no timeout in the kernel log"; return 1; }
	[ $rc != 0 ] && [ -b "$dev" ] &&
	[ "$(cat "$CFS/m_slow/state")" = failed ] &&
	"$KFBLKCTL" unmap m_slow && "$KFBLKCTL" unexport slow
}
kt_check fault.io_timeout io_timeout

# The export goes away under fio: the I/O in flight fails with EIO (not
# some other error, not fio giving up for its own reasons), after data had
# moved, and the client says in the kernel log that it is failing its I/O.
# fio is waited for here, in the shell that started it (a subshell cannot
# wait for it); the verdict is then taken from what was seen.
dev=$(kfblk_setup gone 64)
kt_check provider kfblk_on_provider
gone_out=$(mktemp /tmp/kfbt_gone.XXXXXX)
gone_mark="kfi-test-mark: target_gone"
gone_state="no device"
# I/O completed on the disk: reads plus writes from its stat.
disk_ios()
{
	awk '{print $1 + $5}' "/sys/block/${dev#/dev/}/stat"
}
if [ -b "$dev" ]; then
	gone_ios=$(disk_ios)
	fio --name=gone --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randrw --bs=16k --iodepth=16 --time_based --runtime=60 \
		--output-format=terse --terse-version=3 --output="$gone_out" \
		>/dev/null 2>&1 &
	fio_pid=$!
	# fio's own I/O has completed (more than the map's partition scan
	# left), however slow the machine: only then does the target go.
	for _ in $(seq 600); do
		[ "$(disk_ios)" -gt $((gone_ios + 16)) ] && break
		kill -0 "$fio_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! kill -0 "$fio_pid" 2>/dev/null; then
		gone_state="fio ended before the target went away"
		wait "$fio_pid"
	else
		echo "$gone_mark" >/dev/kmsg
		gone_start=$SECONDS
		"$KFBLKCTL" unexport gone
		gone_unexport=$?
		wait "$fio_pid"
		gone_rc=$?
		gone_state="fio exit $gone_rc $((SECONDS - gone_start)) s after unexport (exit $gone_unexport)"
	fi
fi
gone_failed_io()
{
	local t err rd wr kb

	echo "$gone_state"
	[ -n "${gone_rc:-}" ] && [ "$gone_unexport" = 0 ] && [ "$gone_rc" != 0 ] ||
		return 1
	# terse v3: field 5 is fio's errno, 6 and 47 the KiB read and written.
	t=$(tail -n 1 "$gone_out")
	err=$(cut -d';' -f5 <<<"$t")
	rd=$(cut -d';' -f6 <<<"$t")
	wr=$(cut -d';' -f47 <<<"$t")
	if [[ ! "$err;$rd;$wr" =~ ^[0-9]+\;[0-9]+\;[0-9]+$ ]]; then
		echo "no fio report:"
		cat "$gone_out"
		return 1
	fi
	kb=$((rd + wr))
	echo "fio: error $err, $kb KiB moved"
	[ "$err" = 5 ] || { echo "expected EIO (5)"; return 1; }
	[ "$kb" -gt 0 ] || { echo "no I/O completed before the loss"; return 1; }
	dmesg --notime | awk -v m="$gone_mark" '
		$0 == m { found = 1; hit = 0; next }
		found && /^kfblk: kfblk[0-9]+: .*; failing its I\/O$/ { hit = 1 }
		END { exit !hit }' ||
		{ echo "the client did not log why it failed the I/O"; return 1; }
}
kt_check fault.target_gone_fails_io gone_failed_io
rm -f "$gone_out"

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
