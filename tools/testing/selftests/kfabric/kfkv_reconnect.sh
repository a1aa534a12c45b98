#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfkv riding out a lost target, on one node, through a device node.  A
# dir store's target module is unloaded and loaded again (its store made
# again on the same directory) while the kfkv tool puts objects one after
# another, inline and by RMA, and while a STAT issued with the target gone
# waits: every put and the STAT succeed, the handle reconnected by itself
# (no attach again; its session logs "up again"), every object reads back
# whole, and kfabric has the same objects open before and after.  Then a
# device attached with fast_io_fail_tmo 2 (and ctrl_loss_tmo 600): with
# the target gone, its operations fail within 30 s (ECONNRESET for one
# waiting when the time passes, ENOTCONN for one issued after), and once
# the target is back the same device works again.  Over the provider KFBLK_PROVIDER names.
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

TCFS=/sys/kernel/config/kfkv_target
CCFS=/sys/kernel/config/kfkv
PARAMS=/sys/module/kfkv/parameters
KVDIR=/tmp/kfkv-rc-dir
PORT=4799
COUNT=40
KFKV=$KFI_KO_DIR/tools/kfkv/kfkv
WORK=$(mktemp -d /tmp/kfkv-rc.XXXXXX)

kt_plan 4

cleanup()
{
	kfkv_cfs_clear
	kfblk_unload
	rm -rf "$WORK" "$KVDIR"
}
trap cleanup EXIT

store_up()
{
	local s=$TCFS/kvrc
	mkdir "$s" &&
	echo dir >"$s/backend" &&
	echo "$KFI_IPADDR" >"$s/addr" &&
	echo $PORT >"$s/port" &&
	echo "$KVDIR" >"$s/path" &&
	echo 4096 >"$s/max_value_kb" &&
	echo 1 >"$s/enable"
}

# target_down, target_up: the store and the target module go, and come
# back on the same directory.
target_down()
{
	echo 0 >"$TCFS/kvrc/enable" && rmdir "$TCFS/kvrc" && rmmod kfkv_target
}

target_up()
{
	insmod "$KFI_KO_DIR/consumers/kv/kfkv_target.ko" && store_up
}

# attach NAME: /dev/kfkv/NAME on the store, with kfkv's parameters now.
attach()
{
	mkdir "$CCFS/$1" &&
	echo "$KFI_IPADDR" >"$CCFS/$1/addr" &&
	echo $PORT >"$CCFS/$1/port" &&
	echo kvrc >"$CCFS/$1/store" &&
	echo 1 >"$CCFS/$1/enable"
}

detach()
{
	echo 0 >"$CCFS/$1/enable" && rmdir "$CCFS/$1"
}

setup()
{
	rm -rf "$KVDIR" && mkdir -p "$KVDIR" && kfkv_load &&
	echo 100 >"$PARAMS/reconnect_delay_ms" &&
	echo 60 >"$PARAMS/ctrl_loss_tmo" &&
	store_up && attach kvr
}
kt_call setup setup
[ -c /dev/kfkv/kvr ] || exit 1

# putter: COUNT objects put one after another, of sizes that travel in
# the message and by RMA; "started" once a few are in.
putter()
{
	local sizes=(0 1 100 3000 4096 65536 300000 1048576) i
	for ((i = 0; i < COUNT; i++)); do
		head -c "${sizes[i % 8]}" /dev/urandom >"$WORK/v$i"
		"$KFKV" kvr put "k$i" "$WORK/v$i" >/dev/null ||
			{ echo "put k$i failed"; return 1; }
		[ $i = 4 ] && touch "$WORK/started"
	done
	return 0
}

reload()
{
	local before after pid spid i ups rc=0
	before=$(kfi_objects)
	ups=$(dmesg | grep -c 'kfkv[0-9]*-kvrc: path .*: up again')
	putter >"$WORK/putter.out" 2>&1 &
	pid=$!
	# At most 120 s for the first puts.
	poll_until 1200 test -e "$WORK/started" || rc=1
	target_down || rc=1
	"$KFKV" kvr stat k0 >"$WORK/stat.out" 2>&1 &
	spid=$!
	sleep 2
	# Issued with the target gone, it must be waiting still.
	kill -0 $spid 2>/dev/null ||
		{ echo "the STAT ended with the target gone"; rc=1; }
	target_up || rc=1
	wait $pid || rc=1
	cat "$WORK/putter.out"
	wait $spid || rc=1
	echo "STAT issued with the target gone: $(cat "$WORK/stat.out")"
	for ((i = 0; i < COUNT; i++)); do
		"$KFKV" kvr get "k$i" "$WORK/g$i" &&
		cmp -s "$WORK/v$i" "$WORK/g$i" ||
			{ echo "k$i does not read back"; rc=1; }
	done
	dmesg | grep 'kfkv[0-9]*-kvrc: path .*: \(up again\|reconnect attempt\)' |
		tail -3
	[ "$(dmesg | grep -c 'kfkv[0-9]*-kvrc: path .*: up again')" -gt "$ups" ] ||
		{ echo "no reconnect logged"; rc=1; }
	after=$(kfi_objects)
	objects_same "$before" "$after" || rc=1
	return $rc
}
kt_measure target_reload.puts_wait_and_read_back reload

# expect_err ERR... -- COMMAND...: COMMAND fails naming one of ERR.
expect_err()
{
	local want=() out w
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	if out=$("$@" 2>&1); then
		echo "'$*' succeeded with the target gone"
		return 1
	fi
	echo "'$*': $out"
	for w in "${want[@]}"; do
		[[ $out == *": $w: "* ]] && return 0
	done
	return 1
}

# A device that fails fast after 2 s and gives up only after 600: an
# operation waiting for its target must fail within 30 s.
fast_fail()
{
	local rc=0
	echo 2 >"$PARAMS/fast_io_fail_tmo" && echo 600 >"$PARAMS/ctrl_loss_tmo" &&
	attach kvf || return 1
	echo -1 >"$PARAMS/fast_io_fail_tmo" && echo 60 >"$PARAMS/ctrl_loss_tmo"
	target_down || return 1
	# Waiting when the time passes, or issued after it.
	expect_err ECONNRESET ENOTCONN -- timeout 30 "$KFKV" kvf stat k0 || rc=1
	expect_err ENOTCONN -- "$KFKV" kvf stat k0 || rc=1
	target_up || return 1
	poll_until 300 "$KFKV" kvf stat k0 >/dev/null 2>&1
	echo "kvf with the target back: $("$KFKV" kvf stat k0 2>&1)"
	"$KFKV" kvf stat k0 >/dev/null || rc=1
	detach kvf || rc=1
	return $rc
}
kt_measure fast_fail.then_works_again fast_fail

no_connections()
{
	[ "$(cat "$TCFS/kvrc/connections")" = 0 ]
}

teardown()
{
	local i
	detach kvr || return 1
	for ((i = 0; i < COUNT; i++)); do
		rm -f "$WORK/v$i" "$WORK/g$i"
	done
	poll_until 200 no_connections
	no_connections &&
	echo 0 >"$TCFS/kvrc/enable" && rmdir "$TCFS/kvrc" &&
	kfblk_unload
}
kt_check teardown teardown
kt_exit
