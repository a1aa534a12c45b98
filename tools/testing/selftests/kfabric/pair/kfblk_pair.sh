#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk across two nodes: the target on node b exports a RAM-backed
# null_blk device on its address on the link, the client on node a maps it
# over Soft-RoCE on the other side, and fio writes at random and verifies
# every block (crc32c) from node a.  A two-node test: it runs on the host,
# driving both guests of tools/testing/vm/pair through pair_lib.sh.
# Standalone KTAP producer.

top=$(cd "$(dirname "$(readlink -f "$0")")/../../../../.." && pwd)
# shellcheck source=SCRIPTDIR/../../../../../consumers/block/kfblk_test_lib.sh
. "$top/consumers/block/kfblk_test_lib.sh"
# shellcheck source=SCRIPTDIR/../../../vm/pair_lib.sh
. "$top/tools/testing/vm/pair_lib.sh"

# Every node command starts from the same helpers, on the same paths.
lib=". '$top/consumers/block/kfblk_test_lib.sh'"
port=$KFBLK_PORT

cleanup()
{
	node_run a "$lib
		[ -d /sys/kernel/config/kfblk ] && \$KFBLKCTL unmap --all
		for m in kfblk kfblk_target kfi_verbs kfabric; do
			[ -d /sys/module/\$m ] && rmmod \$m
		done; true" >/dev/null 2>&1
	node_run b "$lib
		[ -d /sys/kernel/config/kfblk_target ] && \$KFBLKCTL unexport --all
		nullb_remove kfbt_pair
		for m in kfblk kfblk_target kfi_verbs kfabric; do
			[ -d /sys/module/\$m ] && rmmod \$m
		done; true" >/dev/null 2>&1
}

kt_plan 3
trap cleanup EXIT

# The export on node b, on its own address on the link; the map on node a.
if ! out=$(node_run b "$lib
	kfblk_load || exit 1
	nb=\$(nullb_create kfbt_pair 128) || exit 1
	\$KFBLKCTL export pair \$nb \$KFI_IPADDR $port" 2>&1); then
	kt_diag "$out"
	kt_fail setup "node b: cannot export"
	exit 1
fi
if ! dev=$(node_run a "$lib
	kfblk_load nr_queues=1 || exit 1
	\$KFBLKCTL map $KFI_NODE_B_IP $port pair m_pair" 2>&1) ||
   [[ ! $dev =~ ^/dev/kfblk[0-9]+$ ]]; then
	kt_diag "$dev"
	kt_fail setup "node a: cannot map node b's export"
	exit 1
fi
kt_ok setup
kt_diag "node a $dev -> node b $KFI_NODE_B_IP port $port export pair"

# fio_verify SIZE [fio args]: on node a, random writes over SIZE, then
# every block read back and verified; fails on any error.
fio_verify()
{
	local size=$1
	shift
	node_run a "fio --name=pair --filename=$dev --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --iodepth=32 --size=$size \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_backlog=0 --verify_state_save=0 $* --output-format=terse --terse-version=3 \
		>/tmp/fio.out 2>&1
		rc=\$?
		tail -n 5 /tmp/fio.out
		# terse v3: field 5 is the error count.
		[ \$rc = 0 ] && [ \"\$(tail -n 1 /tmp/fio.out | cut -d';' -f5)\" = 0 ]"
}

kt_check fio.verify_cross_node fio_verify 16M

teardown()
{
	node_run a "$lib; \$KFBLKCTL unmap m_pair" &&
	node_run b "$lib; \$KFBLKCTL unexport pair && nullb_remove kfbt_pair"
}
kt_check teardown teardown
kt_exit
