#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk write acknowledgement: the target answers a WRITE only once its
# backing device has completed it, so every write the client saw complete
# survives a target crash.  The export sits on dm-delay, which holds each
# write for a few seconds before passing it to a RAM-backed null_blk; the
# null_blk's count of completed writes (/sys/block/X/stat) is read every
# time the client's write is seen finished, and must have grown by then.
# Then every acknowledged write must read back, through kfblk and on the
# backing device itself.  Standalone KTAP producer; run as root in the VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

# Long enough that an answer sent before the backing write completed is
# seen; the client's I/O timeout (30 s) is far above it.
WRITE_DELAY_MS=4000
ROUNDS=3

kt_plan 6
trap kfblk_cleanup EXIT

# writes_done DEV: writes the block device has completed (stat field 5).
writes_done()
{
	awk '{ print $5 }' "/sys/block/${1#/dev/}/stat"
}

if ! kfblk_load; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
setup()
{
	local sz dm
	modprobe dm-delay || return 1
	nb=$(nullb_create kfbt_ack 32) || return 1
	sz=$(blockdev --getsz "$nb")
	# Reads pass at once (the partition scan at map time), writes wait.
	dmsetup create --noudevsync kfbt_ack \
		--table "0 $sz delay $nb 0 0 $nb 0 $WRITE_DELAY_MS" || return 1
	dm=$(dmsetup info -c --noheadings -o minor kfbt_ack | tr -d ' ')
	"$KFBLKCTL" export ack "/dev/dm-$dm" "$KFI_IPADDR" "$KFBLK_PORT" >&2 ||
		return 1
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" ack m_ack)
	[ -b "$dev" ]
}
if ! setup; then
	kt_fail setup "cannot export and map a delayed device"
	exit 1
fi
kt_ok setup

# One block of a pattern per round: block i holds byte 0x41+i.
pattern()
{
	head -c 4096 /dev/zero | tr '\0' "\\$(printf '%03o' $((65 + $1)))"
}

# write_round I: write block I; watch the backing device while the client
# waits.  Fails if the client's write finished while the backing device
# had not yet completed it.
write_round()
{
	local i=$1 before pid now
	before=$(writes_done "$nb")
	pattern "$i" | dd of="$dev" bs=4096 seek="$i" count=1 oflag=direct \
		2>/dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
	done
	# The client has its answer: the backing write must be done by now.
	now=$(writes_done "$nb")
	if ! wait "$pid"; then
		echo "round $i: the write failed"
		return 1
	fi
	if [ "$now" -le "$before" ]; then
		echo "round $i: acknowledged with $before -> $now backing writes done"
		return 1
	fi
}
ack_after_backing()
{
	local i
	for ((i = 0; i < ROUNDS; i++)); do
		write_round "$i" || return 1
	done
}
kt_check write_ack.after_backing_completion ack_after_backing

# Every acknowledged block reads back, through kfblk and on the null_blk
# under dm-delay (what a restarted target would find).
readback()
{
	local i d
	for d in "$dev" "$nb"; do
		for ((i = 0; i < ROUNDS; i++)); do
			if ! cmp <(pattern "$i") <(dd if="$d" bs=4096 skip="$i" \
				count=1 iflag=direct 2>/dev/null); then
				echo "block $i differs on $d"
				return 1
			fi
		done
	done
}
kt_check write_ack.readback readback

# A FLUSH answers after the delayed write before it, too: fsync on a
# buffered write must not return before the backing device has the data.
flush_round()
{
	local before now
	before=$(writes_done "$nb")
	pattern 9 | dd of="$dev" bs=4096 seek=9 count=1 conv=fsync 2>/dev/null ||
		return 1
	now=$(writes_done "$nb")
	[ "$now" -gt "$before" ] ||
		{ echo "fsync returned with $before -> $now backing writes done"; return 1; }
	cmp <(pattern 9) <(dd if="$nb" bs=4096 skip=9 count=1 iflag=direct 2>/dev/null)
}
kt_check write_ack.fsync_after_backing_completion flush_round

# A write the backing device fails is not acknowledged as done: the
# second half of this export is a dm "error" target.
error_reported()
{
	local nb2 sz half dm dev2 rc=0
	nb2=$(nullb_create kfbt_err 8) || return 1
	sz=$(blockdev --getsz "$nb2")
	half=$((sz / 2))
	printf '0 %d linear %s 0\n%d %d error\n' "$half" "$nb2" "$half" \
		$((sz - half)) | dmsetup create --noudevsync kfbt_err || return 1
	# No udev here: no /dev/mapper link, but the kernel's dm-N node.
	dm=$(dmsetup info -c --noheadings -o minor kfbt_err | tr -d ' ')
	"$KFBLKCTL" export err "/dev/dm-$dm" "$KFI_IPADDR" \
		$((KFBLK_PORT + 1)) >&2 || return 1
	dev2=$("$KFBLKCTL" map "$KFI_IPADDR" $((KFBLK_PORT + 1)) err m_err) ||
		return 1
	if ! pattern 1 | dd of="$dev2" bs=4096 count=1 oflag=direct 2>/dev/null; then
		echo "a write to the good half failed"
		rc=1
	fi
	if pattern 2 | dd of="$dev2" bs=4096 seek=$((half / 8 + 1)) count=1 \
		oflag=direct 2>/dev/null; then
		echo "a write the backing device failed was acknowledged"
		rc=1
	fi
	"$KFBLKCTL" unmap m_err && "$KFBLKCTL" unexport err &&
	dmsetup remove --noudevsync kfbt_err && nullb_remove kfbt_err || rc=1
	return $rc
}
kt_check write_ack.backing_error_reported error_reported

teardown()
{
	"$KFBLKCTL" unmap m_ack && "$KFBLKCTL" unexport ack &&
	dmsetup remove --noudevsync kfbt_ack && nullb_remove kfbt_ack
}
kt_check teardown teardown
kt_exit
