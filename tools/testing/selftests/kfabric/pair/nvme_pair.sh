#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own nvme-rdma across the two nodes, under the cable pulls
# kfblk_pair.sh puts kfblk through, so that the fault table can set the two
# side by side: the same Soft-RoCE link, the same fio.  nvmet on node b
# exports a RAM-backed null_blk device on its address on the link; node a
# connects to it with nvme-rdma (nvme_core with native multipath off, as
# nvme_setup loads it: the disk is the controller's own) and fio writes at
# random and verifies every block (crc32c).  Then the cable is pulled
# under fio for 3 s and for 12 s.  The connection is set up as close to
# kfblk_pair's as nvme-fabrics goes: one I/O queue, keep-alive timeout
# 1 s (its smallest: nvme-fabrics counts it in whole seconds; the host
# sends a keep-alive once a quarter of it passes with no completion and
# gives it up after a whole one, nvmet ends a controller that sent it no
# command for a whole one; kfblk probes every second and gives up after
# 3), a reconnect attempt every second, ctrl_loss_tmo 120 s.  Each case
# passes when fio verified every block and the controller is live at the
# end; the pause from the pull to "Successfully reconnected" in node a's
# log, and whether it reconnected at all, are reported (measurements, not
# pass marks).  A two-node test run on the host through pair_lib.sh;
# standalone KTAP producer.
#
# KFBLK_PAIR_PROVIDER=tcp, the lane that runs kfblk over kfi_tcp, runs it
# over nvme-tcp instead, against that lane's numbers.
# NVME_PAIR_KATO=S sets the keep-alive timeout in seconds.

# shellcheck source=SCRIPTDIR/../kfabric_pair_lib.sh
. "$(dirname "$(readlink -f "$0")")/../kfabric_pair_lib.sh"
t=rdma
[ "$provider" = verbs ] || t=tcp
kato=${NVME_PAIR_KATO:-1}
# The modules each node had before the test: what it loads is unloaded.
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

# undo: both nodes back to where they were (nvme_teardown disconnects
# node a and removes node b's nvmet configfs tree).
undo()
{
	node_run a "$lib; nvme_teardown" >/dev/null 2>&1
	node_run b "$lib; nvme_teardown; nullb_remove kfbt_nvme" >/dev/null 2>&1
	[ -z "${mods[a]:-}" ] || unload_new a
	[ -z "${mods[b]:-}" ] || unload_new b
}

cleanup()
{
	undo >/dev/null 2>&1
}

# target_b: on node b, nvmet exporting a 128 MiB null_blk device on node
# b's address on the link (as nvme_setup does on one node).
target_b()
{
	node_run b "$lib
		modprobe -a configfs nvmet nvmet-$t || exit 1
		modprobe null_blk nr_devices=0 || exit 1
		mountpoint -q /sys/kernel/config ||
			mount -t configfs configfs /sys/kernel/config || exit 1
		nb=\$(nullb_create kfbt_nvme 128) || exit 1
		s=\$NVMET_CFS/subsystems/\$KFBLK_NQN
		p=\$NVMET_CFS/ports/1
		mkdir -p \$s/namespaces/1 \$p &&
		echo 1 >\$s/attr_allow_any_host &&
		echo \$nb >\$s/namespaces/1/device_path &&
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
			--ctrl-loss-tmo=120 || exit 1
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

kt_plan 5
trap cleanup EXIT

if ! mods[a]=$(node_run a "cut -d ' ' -f 1 /proc/modules" | tr '\n' ' ') ||
   ! mods[b]=$(node_run b "cut -d ' ' -f 1 /proc/modules" | tr '\n' ' '); then
	kt_fail setup "cannot list the nodes' modules"
	exit 1
fi
if ! out=$(target_b 2>&1); then
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
# What the controller took of the settings.
if ! out=$(node_run a "cd $cs && echo \$(cat transport state address)
		echo kato \$(cat kato) s, reconnect_delay \$(cat reconnect_delay) s, \
ctrl_loss_tmo \$(cat ctrl_loss_tmo) s, \$(cat queue_count) queues \
'(admin + I/O)'") || [[ $out != "$t live "* ]]; then
	kt_diag "$out"
	kt_fail setup "node a: $ctrl is not a live nvme-$t controller"
	exit 1
fi
kt_ok setup
kt_diag "node a $dev ($ctrl) -> node b $KFI_NODE_B_IP port $NVME_PORT, over nvme-$t"
kt_diag "$out"

kt_check fio.verify_cross_node node_run a "$lib; fio_verify_run $dev 16M /tmp/fio.out"

# writes: writes the disk on node a has completed.
writes()
{
	node_run a "awk '{print \$5}' /sys/block/$ns/stat"
}

# outage MARK: what the kernel logs say of the controller since the mark
# "kfi-pair: MARK" (written as the cable was pulled): node a's lines, with
# its Soft-RoCE port going down and up (the link as the guest saw it) and
# the first of the commands that timed out (queue 0 is the admin queue,
# where the keep-alive goes; the others are I/O); node b's nvmet lines;
# and the I/O pause from the pull to "Successfully reconnected" in node
# a's log (a measurement).
outage()
{
	node_run a "dmesg | sed -n '/kfi-pair: $1\$/,\$p' |
		grep -E 'kfi-pair|nvme $ctrl:|rxe0: set' |
		awk '{ t = substr(\$0, 2, index(\$0, \"]\") - 2) + 0
		       k = substr(\$0, index(\$0, \"]\") + 1) }
		     /kfi-pair/ { t0 = t; next }
		     / QID [0-9]+ timeout|: timeout request/ {
			if (k in seen) next; seen[k]; if (to++) next }
		     { print }
		     /Successfully reconnected/ { if (!r++) p = t - t0 }
		     END { if (to > 1) print to \" commands timed out\"
			   if (r) printf \"I/O paused %.1f s from the pull to the reconnect; %d reconnect(s)\\n\", p, r
			   else print \"no reconnect: the transport rode the outage out\" }'"
	node_run b "dmesg | sed -n '/kfi-pair: $1\$/,\$p' | grep nvmet |
		sed 's/^/node b: /'"
}

# link_cut_fio SECONDS: fio (random write, then verify) on node a with
# the cable pulled that long while it writes; every block verifies and
# the controller is live at the end.
link_cut_fio()
{
	local secs=$1 id rc w st t0 max
	w=$(writes) || return 1
	id=$(node_start a "$lib; fio_verify_run $dev 48M /tmp/cut.out")
	# Cut once fio has I/O in flight: writes completed on the disk.
	for _ in $(seq 100); do
		[ "$(writes)" -gt "$w" ] && break
		sleep 0.5
	done
	if node_done a "$id"; then
		echo "fio ended before the cable was pulled"
		node_wait a "$id"
		return 1
	fi
	node_run b "echo 'kfi-pair: nvcut$secs' >/dev/kmsg" >/dev/null
	node_run a "echo 'kfi-pair: nvcut$secs' >/dev/kmsg" >/dev/null
	t0=$SECONDS
	link_cut "$secs" || { echo "cannot cut the link"; return 1; }
	echo "link down $secs s (by the host's clock: $((SECONDS - t0)) s)"
	node_wait a "$id"
	rc=$?
	st=$(node_run a "cat $cs/state")
	outage "nvcut$secs"
	# terse v3: field 56 is the longest write's completion latency (us).
	max=$(node_run a "tail -n 1 /tmp/cut.out | cut -d ';' -f 56")
	[[ $max =~ ^[0-9]+$ ]] &&
		echo "the longest write took $((max / 1000)) ms (fio)"
	echo "fio: $([ $rc = 0 ] && echo every block verified || echo failed, status $rc); $ctrl $st at the end"
	[ $rc = 0 ] && [ "$st" = live ]
}

cut3()
{
	link_cut_fio 3
}
kt_measure link_cut_3s.fio_verify cut3

cut12()
{
	link_cut_fio 12
}
kt_measure link_cut_12s.fio_verify cut12

# teardown: both nodes as they were: no controller, no nvmet tree, no
# null_blk device, no module the test loaded.
teardown()
{
	local out
	undo || return 1
	out=$(node_run a "grep -l $KFBLK_NQN /sys/class/nvme/*/subsysnqn 2>/dev/null"
	      node_run b "ls -d /sys/kernel/config/nvmet /sys/kernel/config/nullb/kfbt_nvme 2>/dev/null")
	[ -z "$out" ] || { echo "left: $out"; return 1; }
}
kt_check teardown teardown
kt_exit
