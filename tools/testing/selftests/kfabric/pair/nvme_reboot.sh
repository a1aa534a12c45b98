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
t=rdma
[ "$provider" = verbs ] || t=tcp
kato=${NVME_PAIR_KATO:-1}
# The backing file, as the host and node b see it.
img=$KFI_NODE_B_OUT/nvme_reboot.img
img_b=\$KFI_OUT/nvme_reboot.img
# What a restored configuration keeps across the boot.
serial=kfabric0reboot
ns_uuid=6b66626c-6e76-4d65-8000-000000000001
ns_nguid=6b66626c-6e76-4d65-8000-000000000002
# The modules each node had before the test (node b: since its new boot):
# what the test loads is unloaded.
declare -A mods=()

# unload_new NODE: on NODE, every module loaded since the test began
# unloaded, users first; names those that would not go.
unload_new()
{
	node_run "$1" "before=' ${mods[$1]} '
		for _ in 1 2 3 4 5 6; do
			left=
			for m in \$(cut -d ' ' -f 1 /proc/modules); do
				[[ \$before == *\" \$m \"* ]] && continue
				rmmod \$m 2>/dev/null || left+=\" \$m\"
			done
			[ -z \"\$left\" ] && break
		done
		[ -z \"\$left\" ] || { echo \"node $1: still loaded:\$left\"; exit 1; }"
}

# modules_now NODE: into mods[NODE], what NODE has loaded.
modules_now()
{
	mods[$1]=$(node_run "$1" "cut -d ' ' -f 1 /proc/modules" | tr '\n' ' ')
	[ -n "${mods[$1]}" ]
}

# undo: both nodes back to where they were.
undo()
{
	node_run a "$lib; nvme_teardown" >/dev/null 2>&1
	node_run b "$lib; nvme_teardown; loop_detach $img_b" >/dev/null 2>&1
	[ -z "${mods[a]:-}" ] || unload_new a
	[ -z "${mods[b]:-}" ] || unload_new b
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
	node_run b "$lib
		modprobe -a configfs nvmet nvmet-$t || exit 1
		modprobe loop 2>/dev/null
		mountpoint -q /sys/kernel/config ||
			mount -t configfs configfs /sys/kernel/config || exit 1
		loop=\$(losetup -f --show $img_b) || exit 1
		s=\$NVMET_CFS/subsystems/\$KFBLK_NQN
		p=\$NVMET_CFS/ports/1
		mkdir -p \$s/namespaces/1 \$p &&
		echo 1 >\$s/attr_allow_any_host &&
		echo $serial >\$s/attr_serial &&
		echo \$loop >\$s/namespaces/1/device_path &&
		echo $ns_uuid >\$s/namespaces/1/device_uuid &&
		echo $ns_nguid >\$s/namespaces/1/device_nguid &&
		echo 1 >\$s/namespaces/1/enable &&
		echo ipv4 >\$p/addr_adrfam &&
		echo $t >\$p/addr_trtype &&
		echo \$KFI_IPADDR >\$p/addr_traddr &&
		echo \$NVME_PORT >\$p/addr_trsvcid &&
		ln -s \$s \$p/subsystems/\$KFBLK_NQN"
}

# connect_a: on node a, nvme connect to node b's address; prints the
# controller and its namespace ("nvme0 nvme0n1") last.
connect_a()
{
	node_run a "$lib
		[ -d /sys/module/nvme_core ] || modprobe nvme_core multipath=N ||
			exit 1
		[ \$(cat /sys/module/nvme_core/parameters/multipath) = N ] ||
			{ echo 'nvme_core has native multipath on'; exit 1; }
		modprobe -a nvme-fabrics nvme-$t || exit 1
		nvme connect -t $t -a $KFI_NODE_B_IP -s \$NVME_PORT \
			-n \$KFBLK_NQN -q \$KFBLK_HOSTNQN --nr-io-queues=1 \
			--keep-alive-tmo=$kato --reconnect-delay=1 \
			--ctrl-loss-tmo=900 || exit 1
		for i in \$(seq 50); do
			for c in /sys/class/nvme/nvme*; do
				[ \"\$(cat \$c/subsysnqn 2>/dev/null)\" = \$KFBLK_NQN ] ||
					continue
				for n in \$c/nvme*n*; do
					[ -b /dev/\${n##*/} ] || continue
					echo \${c##*/} \${n##*/}
					exit 0
				done
			done
			sleep 0.2
		done
		echo 'no namespace showed'
		exit 1"
}

kt_plan 3
trap cleanup EXIT

rm -f "$img"
truncate -s 64M "$img"
if ! modules_now a || ! modules_now b; then
	kt_fail setup "cannot list the nodes' modules"
	exit 1
fi
if ! out=$(export_b 2>&1); then
	kt_diag "$out"
	kt_fail setup "node b: cannot export through nvmet-$t"
	exit 1
fi
if ! out=$(connect_a 2>&1); then
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
	modules_now b || { echo "node b: cannot list its modules"; return 1; }
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
