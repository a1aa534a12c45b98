#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk reconnecting under load, on one node: a disk whose session
# reconnects (ctrl_loss_tmo 60 s, a reconnect delay of 10 ms) has its
# connections dropped 100 times with `kfblkctl reset` while fio writes at
# random and verifies every block (crc32c, iodepth 32, run after run);
# every run verifies, every reset is a reconnect, and kfabric's objects
# (each provider's list in debugfs) and kfblk's own count are the same
# before and after: nothing is leaked or lost per reconnect.  Then the
# target module is unloaded under fio and loaded again, its export made
# again: the client's reconnects are refused until the export is back,
# and the I/O pauses and completes, verified.  A disk that does not
# reconnect (ctrl_loss_tmo 0) refuses a reset.  Over the provider
# KFBLK_PROVIDER names.  Standalone KTAP producer; run as root in the
# test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

RESETS=${KFBLK_RESETS:-100}
PARAMS=/sys/module/kfblk/parameters

kt_plan 5
trap kfblk_cleanup EXIT

dev=
setup()
{
	kfblk_load ctrl_loss_tmo=60 reconnect_delay_ms=10 || return 1
	dev=$(kfblk_setup rc 128) && [ -b "$dev" ] && kfblk_on_provider
}
kt_call setup setup
[ -b "$dev" ] || exit 1
sysfs=/sys/block/${dev#/dev/}/kfblk

# objects: what kfabric has open, and kfblk's own count.
objects()
{
	kfi_objects
	echo "kfblk live_objects $(kfblk_live_objects)"
}

# fio_loop: fio runs, each writing at random over the disk and verifying
# it, one after another until /tmp/kfblk-rc.stop exists; fails on the
# first run that does.
fio_loop()
{
	local runs=0
	while [ ! -e /tmp/kfblk-rc.stop ]; do
		fio_verify_run "$dev" 16M /tmp/kfblk-rc.fio || return 1
		runs=$((runs + 1))
	done
	echo "$runs fio runs, every block verified"
}

is_live()
{
	[ "$(cat "$sysfs/state")" = live ]
}

# wait_live: the disk is live again (at most 30 s).
wait_live()
{
	poll_until 300 is_live
}

resets()
{
	local before after r0 r1 i pid rc=0
	before=$(objects)
	r0=$(cat "$sysfs/reconnects")
	rm -f /tmp/kfblk-rc.stop
	fio_loop &
	pid=$!
	sleep 2
	for ((i = 0; i < RESETS; i++)); do
		wait_live || { echo "not live again after reset $i"; rc=1; break; }
		"$KFBLKCTL" reset "$dev" || { echo "reset $i refused"; rc=1; break; }
	done
	wait_live || { echo "not live after the last reset"; rc=1; }
	touch /tmp/kfblk-rc.stop
	wait "$pid" || rc=1
	r1=$(cat "$sysfs/reconnects")
	echo "$i resets, reconnects $r0 -> $r1"
	[ $((r1 - r0)) = "$RESETS" ] || rc=1
	after=$(objects)
	objects_same "$before" "$after" || rc=1
	return $rc
}
kt_measure reset_100.fio_verify resets

# The target module goes under fio and comes back with its export.
target_reload()
{
	local pid r0 r1 nb rc=0
	r0=$(cat "$sysfs/reconnects")
	nb=$(kfblk_backing rc) || return 1
	fio_verify_run "$dev" 32M /tmp/kfblk-rl.fio &
	pid=$!
	sleep 2
	"$KFBLKCTL" unexport rc && rmmod kfblk_target || rc=1
	sleep 1
	kfblk_load_one kfblk_target consumers/block/kfblk_target.ko &&
	"$KFBLKCTL" export rc "$nb" "$KFI_IPADDR" "$KFBLK_PORT" >/dev/null || rc=1
	wait "$pid" || rc=1
	r1=$(cat "$sysfs/reconnects")
	echo "reconnects $r0 -> $r1; refused attempts: $(dmesg | grep -c 'reconnect attempt [0-9]* failed: -111')"
	wait_live && [ "$r1" -gt "$r0" ] || rc=1
	return $rc
}
kt_measure target_reload.fio_verify target_reload

# A disk that does not reconnect cannot be reset: -EOPNOTSUPP, and it
# stays live.
no_reconnect()
{
	local d2 err rc=0
	echo 0 >"$PARAMS/ctrl_loss_tmo" &&
	d2=$("$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" rc m_rc2) || return 1
	if err=$( { echo 1 >"/sys/block/${d2#/dev/}/kfblk/reset"; } 2>&1); then
		echo "reset accepted"; rc=1
	elif [[ $err != *"not supported"* ]]; then
		echo "reset refused with: $err"; rc=1
	fi
	[ "$(cat "/sys/block/${d2#/dev/}/kfblk/state")" = live ] || rc=1
	"$KFBLKCTL" unmap m_rc2 || rc=1
	echo 60 >"$PARAMS/ctrl_loss_tmo"
	return $rc
}
kt_check reset.refused_without_reconnect no_reconnect

kt_check teardown kfblk_teardown rc
kt_exit
