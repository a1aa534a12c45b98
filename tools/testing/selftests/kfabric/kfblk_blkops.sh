#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk block operations beyond READ and WRITE, each seen arrive on the
# backing device, a 32 MiB RAM-backed null_blk with a volatile cache and
# discard: fsync sends a FLUSH (the backing device's flush count grows),
# zero-out leaves zeroes where data was, and the export's discard support
# reaches the client's queue limits and a discard reaches the backing
# device (its discard count grows, it reads back zeroes).  Standalone KTAP
# producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

kt_plan 6
trap kfblk_cleanup EXIT

if ! kfblk_load; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
dev=$(kfblk_setup ops 32 blocksize=512 cache_size=8 discard=1)
nb=$(kfblk_backing ops)
if [ -z "$dev" ] || [ ! -b "$dev" ] || [ ! -b "$nb" ]; then
	kt_fail setup "cannot export and map a device"
	exit 1
fi
kt_ok setup

# The export's null_blk has a volatile cache: the client's queue says so,
# and an fsync on the client reaches the backing device as a FLUSH (its
# flush count, stat field 16, grows).
flush()
{
	local wc st=/sys/block/${nb#/dev/}/stat before after
	wc=$(cat "/sys/block/${dev#/dev/}/queue/write_cache")
	[ "$wc" = "write back" ] || { echo "client write_cache: $wc"; return 1; }
	before=$(awk '{ print $16 }' "$st")
	dd if=/dev/urandom of="$dev" bs=4096 seek=10 count=1 conv=fsync \
		2>/dev/null || return 1
	after=$(awk '{ print $16 }' "$st")
	echo "backing flushes: $before -> $after"
	[ "$after" -gt "$before" ]
}
kt_check blk.flush_reaches_backing flush

# Zero-out (WRITE_ZEROES, or the block layer's emulation): random data
# first, so that zeroes read back mean something, then zeroes through
# kfblk and on the backing device.
zeroout()
{
	dd if=/dev/urandom of="$dev" bs=1M seek=1 count=1 oflag=direct \
		2>/dev/null || return 1
	cmp -s -n 1048576 <(dd if="$nb" bs=1M skip=1 count=1 iflag=direct \
		2>/dev/null) /dev/zero && { echo "no data written"; return 1; }
	blkdiscard -z -o 1048576 -l 1048576 "$dev" &&
	cmp -n 1048576 <(dd if="$dev" bs=1M skip=1 count=1 iflag=direct 2>/dev/null) /dev/zero &&
	cmp -n 1048576 <(dd if="$nb" bs=1M skip=1 count=1 iflag=direct 2>/dev/null) /dev/zero
}
kt_check blk.zeroout zeroout

# The export's null_blk takes discards, so the client's queue must too,
# within the backing device's limit.
discard_limits()
{
	local cq=/sys/block/${dev#/dev/}/queue bq=/sys/block/${nb#/dev/}/queue
	local cmax bmax
	cmax=$(cat "$cq/discard_max_bytes")
	bmax=$(cat "$bq/discard_max_bytes")
	echo "discard_max_bytes: client $cmax, backing $bmax"
	[ "$bmax" -gt 0 ] && [ "$cmax" -gt 0 ] && [ "$cmax" -le "$bmax" ] &&
	[ "$(cat "$cq/discard_granularity")" -gt 0 ]
}
kt_check blk.discard_limits discard_limits

# A discard reaches the backing device: its discard count (stat field 12)
# grows, and the RAM-backed null_blk, which frees discarded sectors, reads
# zeroes where random data was.
discard()
{
	local before after
	dd if=/dev/urandom of="$dev" bs=1M seek=4 count=4 oflag=direct \
		2>/dev/null || return 1
	cmp -s -n 4194304 <(dd if="$nb" bs=1M skip=4 count=4 iflag=direct \
		2>/dev/null) /dev/zero && { echo "no data written"; return 1; }
	before=$(awk '{ print $12 }' "/sys/block/${nb#/dev/}/stat")
	blkdiscard -o 4194304 -l 4194304 "$dev" || return 1
	after=$(awk '{ print $12 }' "/sys/block/${nb#/dev/}/stat")
	echo "backing discards: $before -> $after"
	[ "$after" -gt "$before" ] &&
	cmp -n 4194304 <(dd if="$nb" bs=1M skip=4 count=4 iflag=direct \
		2>/dev/null) /dev/zero &&
	cmp -n 4194304 <(dd if="$dev" bs=1M skip=4 count=4 iflag=direct \
		2>/dev/null) /dev/zero
}
kt_check blk.discard discard

kt_check teardown kfblk_teardown ops
kt_exit
