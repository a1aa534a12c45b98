#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Map and unmap a kfblk device 20 times (reading from it each time) and
# check that nothing leaks: the client's count of live objects returns to
# zero, and the fabric objects (the core's live objects, the RDMA device's
# PDs, CQs, QPs, CM IDs and MRs) are the same before and after.  A leak too
# small to name an object is kmemleak's to find: the runner checks it after
# every test on the debug kernel.  Standalone KTAP producer; run as root in
# the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

ROUNDS=${KFBLK_ROUNDS:-20}
kt_plan 4
trap kfblk_cleanup EXIT

# Bytes of slab memory in use, from /proc/slabinfo (reported, not judged:
# caches grow and shrink with the rest of the system).
slab_bytes()
{
	awk 'NR > 2 { s += $3 * $4 } END { print s }' /proc/slabinfo
}

# One line naming every fabric object alive now: the core's count, then
# `rdma res`'s per-device counts.
fabric_objects()
{
	echo "kfabric $(wc -l </sys/kernel/debug/kfabric/objects)" \
		"$(rdma res show | tr -s ' ' | tr '\n' ' ')"
}

if ! kfblk_load nr_queues=2 queue_depth=32; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
nb=$(nullb_create kfbt_mu 32)
if [ -z "$nb" ] || ! "$KFBLKCTL" export mu "$nb" "$KFI_IPADDR" "$KFBLK_PORT"; then
	kt_fail setup "cannot export a device"
	exit 1
fi
kt_ok setup

one_round()
{
	local dev
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" mu leak) || return 1
	dd if="$dev" of=/dev/null bs=64k count=4 iflag=direct 2>/dev/null ||
		{ "$KFBLKCTL" unmap leak; return 1; }
	"$KFBLKCTL" unmap leak
}

# A few rounds first, so caches that grow once are not counted.
one_round && one_round
sync
echo 3 >/proc/sys/vm/drop_caches
before=$(slab_bytes)
objs_before=$(fabric_objects)
failed=0
for ((i = 0; i < ROUNDS; i++)); do
	one_round || { failed=$((failed + 1)); kt_diag "round $i failed"; }
done
if [ $failed = 0 ]; then
	kt_ok "map_unmap.rounds_$ROUNDS"
else
	kt_fail "map_unmap.rounds_$ROUNDS" "$failed failed"
fi

live=$(kfblk_live_objects)
if [ "$live" = 0 ]; then
	kt_ok map_unmap.no_live_objects
else
	kt_fail map_unmap.no_live_objects "$live objects left"
fi

objs_after=$(fabric_objects)
if [ "$objs_after" = "$objs_before" ]; then
	kt_ok map_unmap.fabric_objects_stable
else
	kt_diag "before: $objs_before"
	kt_fail map_unmap.fabric_objects_stable "after: $objs_after"
fi

sync
echo 3 >/proc/sys/vm/drop_caches
kt_diag "slab: $((before / 1024)) KiB before, $(($(slab_bytes) / 1024)) KiB after"

kt_exit
