#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk client keys: once a READ or WRITE has completed, the target can no
# longer reach the client's pages through that request's remote key (the
# pages go back to their owner, who reuses them).  The client is mapped to
# kfblk_peer.ko, a test target that does not invalidate keys itself and
# remembers the last key it was given; after the I/O completes, the peer
# reads through that key and must get a remote access error (-EACCES).
# Standalone KTAP producer; run as root in the VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

PEER_KO=$KFI_KO_DIR/tools/testing/selftests/kfabric/modules/kfblk_peer.ko
PEER=/sys/module/kfblk_peer/parameters
PORT=$((KFBLK_PORT + 7))
EACCES=-13

kt_plan 6

cleanup()
{
	kfblk_cleanup
	[ -d /sys/module/kfblk_peer ] && rmmod kfblk_peer
}
trap cleanup EXIT

if ! kfblk_load nr_queues=1 queue_depth=4 ||
   ! insmod "$PEER_KO" addr="$KFI_IPADDR" port="$PORT"; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
kt_ok setup

pattern()
{
	head -c 4096 /dev/zero | tr '\0' 'K'
}

# probe_after IO...: map the peer, run IO on the disk ($dev), check the
# peer moved data through the client's key, then that the key is dead.
probe_after()
{
	local before res rc=0
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$PORT" peer m_peer) || return 1
	before=$(cat "$PEER/answered")
	if ! "$@"; then
		echo "the I/O failed"
		rc=1
	elif [ "$(cat "$PEER/answered")" -le "$before" ]; then
		echo "the peer moved no data"
		rc=1
	elif ! echo 1 >"$PEER/probe"; then
		echo "the probe could not run"
		rc=1
	else
		res=$(cat "$PEER/probe_result")
		echo "read through the completed request's key: $res"
		[ "$res" = "$EACCES" ] || rc=1
	fi
	# The probe's access error broke the connection: the disk failed.
	"$KFBLKCTL" unmap m_peer || rc=1
	return $rc
}

write_block()
{
	pattern | dd of="$dev" bs=4096 seek=3 count=1 oflag=direct 2>/dev/null
}
read_block()
{
	cmp <(pattern) <(dd if="$dev" bs=4096 skip=3 count=1 iflag=direct \
		2>/dev/null)
}
kt_check stale_key.after_write probe_after write_block
kt_check stale_key.after_read probe_after read_block

# Mapped again, the disk still holds what was written (so the peer's
# answers above were real I/O), and a clean unmap leaves nothing behind.
remap()
{
	local rc=0
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$PORT" peer m_peer) || return 1
	read_block || rc=1
	"$KFBLKCTL" unmap m_peer || rc=1
	return $rc
}
kt_check stale_key.data_kept remap

teardown()
{
	rmmod kfblk_peer && kfblk_unload && [ "$(ls /sys/kernel/config/kfblk)" = "" ]
}
kt_check stale_key.no_live_objects sh -c \
	"[ \"\$(cat /sys/module/kfblk/parameters/live_objects)\" = 0 ]"
kt_check teardown teardown
kt_exit
