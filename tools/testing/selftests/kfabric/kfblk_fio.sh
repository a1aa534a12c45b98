#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk data integrity with fio: random writes, then every block read back
# and verified (crc32c), at 4 KiB and 128 KiB, iodepth 1 and 32, on a
# 64 MiB RAM-backed null_blk device with a volatile cache (so FLUSH and FUA
# travel too), exported and mapped over Soft-RoCE.  The 4 KiB WRITEs carry
# their data inline in the command, the 128 KiB ones go by RMA read: both
# are counted, and so are the target's completions per READ.  (FLUSH,
# zero-out and discard, each checked on the backing device:
# kfblk_blkops.sh.)
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

kt_plan 7
trap kfblk_cleanup EXIT

if ! kfblk_load nr_queues=2; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
dev=$(kfblk_setup fio 64 blocksize=512 cache_size=16 discard=1)
if [ -z "$dev" ] || [ ! -b "$dev" ]; then
	kt_fail setup "cannot export and map a device"
	exit 1
fi
kt_ok setup

# fio_verify BS IODEPTH SIZE
fio_verify()
{
	local out rc
	out=$(fio --name=verify --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs="$1" --iodepth="$2" --size="$3" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_backlog=0 --output-format=terse --terse-version=3 2>&1)
	rc=$?
	# terse v3: field 5 is the error count.
	if [ $rc != 0 ] || [ "$(echo "$out" | tail -n 1 | cut -d';' -f5)" != 0 ]; then
		echo "$out" | tail -n 20
		return 1
	fi
}

# WRITEs sent with their data inline in the command, on every path.
inline_writes()
{
	awk '{ for (i = 3; i < NF; i++) if ($i == "inline") n += $(i + 1) }
	     END { print n + 0 }' "/sys/block/${dev#/dev/}/kfblk/paths"
}

# inline_verify BS IODEPTH SIZE WANT: fio_verify, and exactly WANT of its
# WRITEs went inline (iodepth 1: nothing merges).
inline_verify()
{
	local before after
	before=$(inline_writes)
	fio_verify "$1" "$2" "$3" || return 1
	after=$(inline_writes)
	echo "inline WRITEs: $before -> $after, want +$4"
	[ $((after - before)) = "$4" ]
}

# 8 MiB in 4 KiB WRITEs: one page each, all inline; 128 KiB never.
kt_check fio.verify_4k_qd1 inline_verify 4k 1 8M 2048
kt_check fio.verify_4k_qd32 fio_verify 4k 32 16M
kt_check fio.verify_128k_qd1 inline_verify 128k 1 32M 0
kt_check fio.verify_128k_qd32 fio_verify 128k 32 64M

# 2,048 READs of one page at iodepth 1: on verbs, which completes in
# order, each answer's RMA write goes unreported (kfblk.rst).
kt_check fio.read_answer_one_completion kfblk_read_answers "$dev" 2048

kt_check teardown kfblk_teardown fio
kt_exit
