#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfkv, the key-value consumer, end to end over Soft-RoCE: kfkv_target
# serves a mem store, a small mem store and a dir store (configfs), and
# modules/kfkv_test.ko, a kernel client of include/kfabric/kfkv.h, runs
# one case per load against them: every operation at sizes 0, 1, 4095,
# 4096, 1 MiB and the store's largest value with binary keys; version
# conditions; many objects read back by checksum and listed by prefix;
# threads on two connections and a burst past the depth; a raw peer
# sending a malformed request (dropped, and nothing else); -ENOSPC from a
# full store; a third connection over max_connections_per_peer refused
# with BUSY; a dir store's objects surviving a reload of the target.
#
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

TKO=$KFI_KO_DIR/tools/testing/selftests/kfabric/modules/kfkv_test.ko
CFS=/sys/kernel/config/kfkv_target
KVDIR=/tmp/kfkv-ops-dir
MEM_PORT=4792
DIR_PORT=4793
SMALL_PORT=4794
# Objects of the many case (about 20 s of emulated time, 70 MiB of the
# mem store).
COUNT=${KFKV_COUNT:-10000}
DIR_COUNT=30

kt_plan 13

cleanup()
{
	local s
	[ -d /sys/module/kfkv_test ] && rmmod kfkv_test
	for s in "$CFS"/*/; do
		[ -d "$s" ] || continue
		echo 0 >"$s/enable"
		rmdir "$s"
	done
	kfblk_unload
	rm -rf "$KVDIR"
}
trap cleanup EXIT

# store_make NAME BACKEND PORT [ATTR=VALUE...]: a store, enabled.
store_make()
{
	local s=$CFS/$1 backend=$2 port=$3 a
	shift 3
	mkdir "$s" &&
	echo "$backend" >"$s/backend" &&
	echo "$KFI_IPADDR" >"$s/addr" &&
	echo "$port" >"$s/port" || return 1
	for a in "$@"; do
		echo "${a#*=}" >"$s/${a%%=*}" || return 1
	done
	echo 1 >"$s/enable"
}

store_remove()
{
	echo 0 >"$CFS/$1/enable" && rmdir "$CFS/$1"
}

# tcase NAME CASE STORE PORT: one load of the test module, KTAP result.
tcase()
{
	local name=$1 c=$2 store=$3 port=$4 start=$SECONDS
	echo "kfkv-ops: mark $name" >/dev/kmsg
	if insmod "$TKO" case="$c" ipaddr="$KFI_IPADDR" port="$port" \
		store="$store" count="$COUNT" 2>/dev/null; then
		rmmod kfkv_test
		kt_diag "$(dmesg --notime | awk -v m="kfkv-ops: mark $name" '
			$0 == m { found = 1; next }
			found && /kfkv_test: *# [0-9]/' | sed 's/^kfkv_test: *# *//')"
		kt_ok "$name" "$((SECONDS - start)) s"
		return
	fi
	kt_diag "$(dmesg --notime | awk -v m="kfkv-ops: mark $name" '
		$0 == m { found = 1; next }
		found && /kfkv/' | tail -20)"
	kt_fail "$name"
}

load()
{
	rm -rf "$KVDIR" && mkdir -p "$KVDIR" && kfkv_load &&
	store_make kvmem mem "$MEM_PORT" max_value_kb=16384 capacity_kb=262144 &&
	store_make kvsmall mem "$SMALL_PORT" max_value_kb=64 capacity_kb=256 \
		max_connections_per_peer=2 &&
	store_make kvdir dir "$DIR_PORT" path="$KVDIR" max_value_kb=4096
}

# The dir store's files outlive the target module; it reads them back.
reload()
{
	local n
	store_remove kvdir && store_remove kvmem && store_remove kvsmall &&
	rmmod kfkv_target || return 1
	n=$(find "$KVDIR" -type f | wc -l)
	echo "$n files in $KVDIR with the target unloaded"
	[ "$n" = "$DIR_COUNT" ] || return 1
	insmod "$KFI_KO_DIR/consumers/kv/kfkv_target.ko" &&
	store_make kvdir dir "$DIR_PORT" path="$KVDIR" max_value_kb=4096 ||
		return 1
	n=$(cat "$CFS/kvdir/objects")
	echo "$n objects loaded back"
	[ "$n" = "$DIR_COUNT" ]
}

unload()
{
	local conns
	conns=$(cat "$CFS/kvdir/connections") &&
	[ "$conns" = 0 ] && store_remove kvdir &&
	[ -z "$(ls -A "$KVDIR")" ] && kfblk_unload
}

kt_call load load
tcase mem.sizes sizes kvmem "$MEM_PORT"
tcase mem.versions versions kvmem "$MEM_PORT"
tcase mem.many many kvmem "$MEM_PORT"
tcase concurrent concurrent kvmem "$MEM_PORT"
tcase malformed malformed kvmem "$MEM_PORT"
tcase capacity capacity kvsmall "$SMALL_PORT"
tcase limits limits kvsmall "$SMALL_PORT"
tcase dir.sizes sizes kvdir "$DIR_PORT"
COUNT=$DIR_COUNT tcase dir.write dir_write kvdir "$DIR_PORT"
kt_call dir.reload reload
COUNT=$DIR_COUNT tcase dir.verify dir_verify kvdir "$DIR_PORT"
kt_call unload unload
kt_exit
