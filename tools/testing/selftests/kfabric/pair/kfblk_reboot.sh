#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk when the target's machine dies: node b exports a disk whose backing
# store is a file on the host (a loop device on node b's results dir, a
# 9p share, so it outlives node b's RAM), node a maps it, and fio writes at
# random and verifies every block (crc32c, iodepth 32).  While the writes
# run, node b is reset (power pulled and plugged in again: QMP
# system_reset); it boots, and the target is loaded and the disk exported
# again as an administrator's boot scripts would.  The client's keep-alive
# finds the silence, its session reconnects every second until the export
# is back, the I/O that was in flight and queued is sent again, and fio
# ends with every block verified: each write acknowledged before the reset
# reached the host's file, and none after it was lost.  The time from the
# reset to the client's "resuming I/O" is reported (a measurement).  A
# two-node test run on the host through pair_lib.sh; standalone KTAP
# producer.  KFBLK_PAIR_PROVIDER=tcp runs it over the tcp provider.

# shellcheck source=SCRIPTDIR/../kfabric_pair_lib.sh
. "$(dirname "$(readlink -f "$0")")/../kfabric_pair_lib.sh"
port=$KFBLK_PORT
# The backing file, as the host and node b see it.
img=$KFI_NODE_B_OUT/reboot.img
img_b=\$KFI_OUT/reboot.img

cleanup()
{
	node_run a "$lib
		[ -d /sys/kernel/config/kfblk ] && \$KFBLKCTL unmap --all
		$pt_unload" >/dev/null 2>&1
	node_run b "$lib
		[ -d /sys/kernel/config/kfblk_target ] && \$KFBLKCTL unexport --all
		loop_detach $img_b
		$pt_unload" >/dev/null 2>&1
	rm -f "$img"
}

# export_b: on node b, the loop device on the host's file, exported.
export_b()
{
	node_run b "$lib
		kfblk_load || exit 1
		modprobe loop 2>/dev/null
		loop=\$(losetup -f --show $img_b) || exit 1
		\$KFBLKCTL export boot \$loop \$KFI_IPADDR $port"
}

kt_plan 3
trap cleanup EXIT

rm -f "$img"
truncate -s 64M "$img"
if ! out=$(export_b 2>&1); then
	kt_diag "$out"
	kt_fail setup "node b: cannot export"
	exit 1
fi
# Reconnect for as long as a boot may take under emulation.
if ! dev=$(pt_map_a boot m_boot 900); then
	kt_diag "$dev"
	kt_fail setup "node a: cannot map node b's export"
	exit 1
fi
sysfs=/sys/block/${dev#/dev/}/kfblk
kt_ok setup
kt_diag "node a $dev -> node b $KFI_NODE_B_IP port $port export boot (a file on the host), over $provider"

# The pause the reset caused, from node a's log: from the mark written as
# node b was reset to "resuming I/O".
pause_a()
{
	node_run a "dmesg | sed -n '/kfi-pair: reset\$/,\$p' |
		grep -E 'kfi-pair|reconnect attempt [0-9]+ of|resuming I/O|down:' |
		awk '{ t = substr(\$0, 2, index(\$0, \"]\") - 2) + 0 }
		     /kfi-pair/ { t0 = t; next }
		     /reconnect attempt/ { last = \$0; n++; next }
		     { print }
		     /resuming I\/O/ && !p { p = t - t0 }
		     END { if (n) print n \" reconnect attempts; the last: \" last
			   if (p) printf \"I/O paused %.1f s from the reset to the reconnect\\n\", p
			   else print \"no reconnect\" }'"
}

target_reset()
{
	local id writes before after rc=0 t0 out
	out=$(pt_log_clean b kfblk_reboot) || { echo "node b's log before the reset: $out"; rc=1; }
	before=$(node_run a "cat $sysfs/reconnects") || return 1
	writes=$(node_run a "awk '{print \$5}' /sys/block/${dev#/dev/}/stat")
	id=$(node_start a "$lib; fio_verify_run $dev 48M /tmp/boot.out &&
		echo 'fio: every block written and verified'")
	# Reset once writes have completed: some are acknowledged, more in flight.
	for _ in $(seq 100); do
		[ "$(node_run a "awk '{print \$5}' /sys/block/${dev#/dev/}/stat")" -gt $((writes + 256)) ] && break
		sleep 0.5
	done
	if node_done a "$id"; then
		echo "fio ended before node b was reset"
		node_wait a "$id"
		return 1
	fi
	node_run a "echo 'kfi-pair: reset' >/dev/kmsg" >/dev/null
	t0=$SECONDS
	node_reboot b || { echo "node b did not come back"; return 1; }
	echo "node b reset and booted again in $((SECONDS - t0)) s"
	if ! out=$(export_b 2>&1); then
		echo "node b: cannot export again: $out"
		return 1
	fi
	echo "exported again $((SECONDS - t0)) s after the reset"
	node_wait a "$id" || rc=1
	after=$(node_run a "cat $sysfs/reconnects; cat $sysfs/state")
	pause_a
	echo "reconnects before $before, after: ${after//$'\n'/, state }"
	[ $rc = 0 ] && [ "${after#*$'\n'}" = live ] &&
		[ "${after%%$'\n'*}" -gt "$before" ]
}

kt_measure target_reset.fio_verify target_reset

teardown()
{
	node_run a "$lib; \$KFBLKCTL unmap m_boot" &&
	node_run b "$lib; \$KFBLKCTL unexport boot &&
		loop_detach $img_b"
}
kt_check teardown teardown
kt_exit
