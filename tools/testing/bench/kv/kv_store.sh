#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kv benchmark suite's kfkv store, in the test VM (run by
# tools/testing/bench/run --suite kv; see Documentation/kfabric/bench.rst):
#
#   kv_store.sh up DEPTH    load kfabric, kfi_verbs, kfkv_target and kfkv;
#                           serve a mem store on $KFI_IPADDR (Soft-RoCE)
#                           and attach it as /dev/kfkv/kvbench with DEPTH
#                           operations in flight
#   kv_store.sh down        detach, stop serving, unload what up loaded
#
# The store: 256 MiB of RAM, values up to 1 MiB; the device: the same
# largest value.  Prints the device's path on success.

set -u

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$here/../../../../consumers/block/kfblk_test_lib.sh"

NAME=kvbench
PORT=4797
TCFS=/sys/kernel/config/kfkv_target/$NAME
CCFS=/sys/kernel/config/kfkv/$NAME

log()
{
	echo "kv_store: $*" >&2
}

up()
{
	local depth=$1
	kfkv_load || { log "cannot load kfabric, kfi_verbs and kfkv"; return 1; }
	mkdir "$TCFS" &&
	echo mem >"$TCFS/backend" &&
	echo 262144 >"$TCFS/capacity_kb" &&
	echo 1024 >"$TCFS/max_value_kb" &&
	echo "$KFI_IPADDR" >"$TCFS/addr" &&
	echo $PORT >"$TCFS/port" &&
	echo 1 >"$TCFS/enable" || { log "cannot serve store $NAME"; return 1; }
	mkdir "$CCFS" &&
	echo "$KFI_IPADDR" >"$CCFS/addr" &&
	echo $PORT >"$CCFS/port" &&
	echo $NAME >"$CCFS/store" &&
	echo "$depth" >"$CCFS/depth" &&
	echo 1024 >"$CCFS/max_value_kb" &&
	echo 1 >"$CCFS/enable" || { log "cannot attach store $NAME"; return 1; }
	[ -c /dev/kfkv/$NAME ] || { log "no /dev/kfkv/$NAME"; return 1; }
	echo /dev/kfkv/$NAME
}

down()
{
	local m rc=0
	if [ -d "$CCFS" ]; then
		echo 0 >"$CCFS/enable"
		rmdir "$CCFS" || rc=1
	fi
	if [ -d "$TCFS" ]; then
		echo 0 >"$TCFS/enable"
		rmdir "$TCFS" || rc=1
	fi
	# What up loaded, in reverse; this is a new shell, so by name.
	for m in kfkv kfkv_target kfi_verbs kfabric; do
		[ -d "/sys/module/$m" ] || continue
		rmmod "$m" || rc=1
	done
	return $rc
}

case ${1:-} in
up)	up "${2:-32}" ;;
down)	down ;;
*)	echo "usage: $0 up DEPTH | down" >&2; exit 2 ;;
esac
