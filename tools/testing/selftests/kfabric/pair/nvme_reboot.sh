#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own nvme-rdma when the target's machine dies, as
# kfblk_reboot.sh does it to kfblk, so that the fault table can set the two
# side by side.  nvmet on node b exports a disk whose backing store is a
# file on the host (a loop device on node b's results dir, a 9p share, so
# it outlives node b's RAM); node a connects with nvme-rdma (native
# multipath off; keep-alive timeout 1 s, nvme-fabrics' smallest; a
# reconnect attempt every second; ctrl_loss_tmo 900 s, as kfblk_reboot
# gives kfblk, since a boot under TCG takes minutes) and fio writes at
# random and verifies every block (crc32c, iodepth 32).  While the writes
# run, node b is reset (QMP system_reset); it boots, and nvmet is set up
# again as a saved configuration would be restored at boot: the same
# subsystem, serial number and namespace identifiers (nvmet makes up new
# ones otherwise, and the host then drops the namespace as another
# disk).  The host's keep-alive finds the silence, it reconnects once the
# port is back, the I/O in flight and queued is sent again, and fio ends
# with every block verified.  The time from the reset to "Successfully
# reconnected" is reported (a measurement).  A two-node test run on the
# host through pair_lib.sh; standalone KTAP producer.  KFBLK_PAIR_PROVIDER=
# tcp runs it over nvme-tcp.  Like the other reboot tests it runs only when
# asked for (Documentation/testing.rst says why).

# shellcheck source=SCRIPTDIR/../kfabric_pair_lib.sh
. "$(dirname "$(readlink -f "$0")")/../kfabric_pair_lib.sh"
# shellcheck source=SCRIPTDIR/../nvme_pair_lib.sh
. "$(dirname "$(readlink -f "$0")")/../nvme_pair_lib.sh"
t=$nvme_t
# The backing file, as the host and node b see it.
img=$KFI_NODE_B_OUT/nvme_reboot.img
img_b=\$KFI_OUT/nvme_reboot.img
# What a restored configuration keeps across the boot.
serial=kfabric0reboot
ns_uuid=6b66626c-6e76-4d65-8000-000000000001
ns_nguid=6b66626c-6e76-4d65-8000-000000000002



# undo: both nodes back to where they were.
undo()
{
	node_run a "$lib; nvme_teardown" >/dev/null 2>&1
	node_run b "$lib; nvme_teardown; loop_detach $img_b" >/dev/null 2>&1
	[ -z "${mods[a]:-}" ] || nvme_unload_new a
	[ -z "${mods[b]:-}" ] || nvme_unload_new b
}

cleanup()
{
	undo >/dev/null 2>&1
	rm -f "$img"
}

# export_b: on node b, nvmet exporting a loop device on the host's file on
# node b's address on the link, with the identifiers above.
export_b()
{
	nvme_export_b "modprobe loop 2>/dev/null; losetup -f --show $img_b" \
		serial=$serial ns/device_uuid=$ns_uuid ns/device_nguid=$ns_nguid
}


kt_plan 3
trap cleanup EXIT

rm -f "$img"
truncate -s 64M "$img"
if ! nvme_modules_now a || ! nvme_modules_now b; then
	kt_fail setup "cannot list the nodes' modules"
	exit 1
fi
if ! out=$(export_b 2>&1); then
	kt_diag "$out"
	kt_fail setup "node b: cannot export through nvmet-$t"
	exit 1
fi
if ! out=$(nvme_connect_a 900 2>&1); then
	kt_diag "$out"
	kt_fail setup "node a: cannot connect to node b with nvme-$t"
	exit 1
fi
read -r ctrl ns <<<"$(tail -n 1 <<<"$out")"
dev=/dev/$ns
cs=/sys/class/nvme/$ctrl
if ! out=$(node_run a "cd $cs && echo \$(cat transport state)
		echo kato \$(cat kato) s, reconnect_delay \$(cat reconnect_delay) s, \
ctrl_loss_tmo \$(cat ctrl_loss_tmo) s") || [[ $out != "$t live"* ]]; then
	kt_diag "$out"
	kt_fail setup "node a: $ctrl is not a live nvme-$t controller"
	exit 1
fi
kt_ok setup
kt_diag "node a $dev ($ctrl) -> node b $KFI_NODE_B_IP port $NVME_PORT (a file on the host), over nvme-$t"
kt_diag "$out"

# writes: writes the disk on node a has completed.
writes()
{
	node_run a "awk '{print \$5}' /sys/block/$ns/stat"
}

# pause_a: from node a's log, what the controller went through since the
# mark written as node b was reset: its lines (those that repeat counted
# instead), how many reconnect attempts failed, and the pause from the
# reset to "Successfully reconnected".
pause_a()
{
	node_run a "dmesg | sed -n '/kfi-pair: reset\$/,\$p' |
		grep -E 'kfi-pair|nvme $ctrl:' |
		awk '{ t = substr(\$0, 2, index(\$0, \"]\") - 2) + 0
		       k = substr(\$0, index(\$0, \"]\") + 2) }
		     /kfi-pair/ { t0 = t; next }
		     /Failed reconnect attempt/ { n++; next }
		     /failed|rejected|timeout|Reconnecting in/ { if (!(k in c)) o[m++] = k; c[k]++; next }
		     { print }
		     /Successfully reconnected/ { if (!r++) p = t - t0 }
		     END { for (i = 0; i < m; i++) print c[o[i]] \" x \" o[i]
			   print n + 0 \" failed reconnect attempts\"
			   if (r) printf \"I/O paused %.1f s from the reset to the reconnect\\n\", p
			   else print \"no reconnect\" }'"
}

target_reset()
{
	local id w rc=0 t0 out st
	out=$(pt_log_clean b nvme_reboot) || { echo "node b's log before the reset: $out"; rc=1; }
	w=$(writes) || return 1
	id=$(node_start a "$lib; fio_verify_run $dev 48M /tmp/boot.out &&
		echo 'fio: every block written and verified'")
	# Reset once writes have completed: some are acknowledged, more in flight.
	for _ in $(seq 100); do
		[ "$(writes)" -gt $((w + 256)) ] && break
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
	nvme_modules_now b || { echo "node b: cannot list its modules"; return 1; }
	if ! out=$(export_b 2>&1); then
		echo "node b: cannot export again: $out"
		return 1
	fi
	echo "exported again $((SECONDS - t0)) s after the reset"
	node_wait a "$id" || rc=1
	st=$(node_run a "cat $cs/state")
	out=$(pause_a)
	echo "$out"
	echo "$ctrl $st at the end"
	[ $rc = 0 ] && [ "$st" = live ] && [[ $out == *"I/O paused"* ]]
}
kt_measure target_reset.fio_verify target_reset

# teardown: both nodes as they were: no controller, no nvmet tree, no
# loop device on the file, no module the test loaded.
teardown()
{
	local out
	undo || return 1
	out=$(node_run a "grep -l $KFBLK_NQN /sys/class/nvme/*/subsysnqn 2>/dev/null"
	      node_run b "ls -d /sys/kernel/config/nvmet 2>/dev/null
		losetup -j $img_b")
	[ -z "$out" ] || { echo "left: $out"; return 1; }
}
kt_check teardown teardown
kt_exit
