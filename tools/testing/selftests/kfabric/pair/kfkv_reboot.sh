#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfkv's durable puts when the target's machine dies: node b serves a dir
# store on an ext4 file system whose disk is a file on the host (a loop
# device on node b's results dir, a 9p share, so it outlives node b's
# RAM); node a attaches the store as /dev/kfkv/kvb and the kfkv tool puts
# objects of 0 B to 1 MiB with -d (acknowledged only once on stable
# storage), one of them twice.  Right after the last put, while ext4 still
# holds unsynced data in RAM, node b is reset (power pulled and plugged in
# again: QMP system_reset).  It boots, mounts the file system (the journal
# replays) and serves the store again, as its boot scripts would.  Node
# a's device, attached once, with its handle idle through the outage
# (ctrl_loss_tmo 900 s: a reset guest may take minutes to boot), notices
# the loss at the next operation and reconnects by itself; every object
# must come back whole (sha256), at its last version, and listed.
# A two-node test run on the host through pair_lib.sh; standalone KTAP
# producer.  KFBLK_PAIR_PROVIDER=tcp runs it over the tcp provider.

# shellcheck source=SCRIPTDIR/../kfabric_pair_lib.sh
. "$(dirname "$(readlink -f "$0")")/../kfabric_pair_lib.sh"
port=4797
tcfs=/sys/kernel/config/kfkv_target/kvboot
ccfs=/sys/kernel/config/kfkv/kvb
kfkv=$top/tools/kfkv/kfkv
# The file system's disk, as the host and node b see it; its mount point.
img=$KFI_NODE_B_OUT/kv.img
img_b=\$KFI_OUT/kv.img
mnt=/tmp/kvboot
# Object sizes: empty, one byte, around a page, 64 KiB, 1 MiB.
sizes="0 1 4095 4096 65536 1048576"

cleanup()
{
	node_run a "$lib
		[ -d $ccfs ] && { echo 0 >$ccfs/enable; rmdir $ccfs; }
		rm -rf /tmp/kvobj; $pt_unload" >/dev/null 2>&1
	node_run b "$lib
		[ -d $tcfs ] && { echo 0 >$tcfs/enable; rmdir $tcfs; }
		mountpoint -q $mnt && umount $mnt
		loop_detach $img_b
		$pt_unload" >/dev/null 2>&1
	rm -f "$img"
}

# serve_b [mkfs]: on node b, the file system on the host's file mounted
# (made first with mkfs) and its objects/ directory served as kvboot.
serve_b()
{
	node_run b "$lib
		modprobe -a loop ext4 2>/dev/null
		kfkv_load || exit 1
		loop=\$(losetup -f --show $img_b) || exit 1
		if [ '${1:-}' = mkfs ]; then
			mkfs.ext4 -q -F \$loop || exit 1
		fi
		mkdir -p $mnt && mount \$loop $mnt && mkdir -p $mnt/objects &&
		mkdir $tcfs && echo dir >$tcfs/backend &&
		echo $mnt/objects >$tcfs/path && echo 2048 >$tcfs/max_value_kb &&
		echo \$KFI_IPADDR >$tcfs/addr && echo $port >$tcfs/port &&
		echo 1 >$tcfs/enable"
}

# attach_a: on node a, the store as /dev/kfkv/kvb.
attach_a()
{
	node_run a "$lib
		kfkv_load || exit 1
		echo 900 >/sys/module/kfkv/parameters/ctrl_loss_tmo &&
		mkdir $ccfs &&
		echo $KFI_NODE_B_IP >$ccfs/addr && echo $port >$ccfs/port &&
		echo kvboot >$ccfs/store && echo 1 >$ccfs/enable &&
		[ -c /dev/kfkv/kvb ]"
}

kt_plan 3
trap cleanup EXIT

rm -f "$img"
truncate -s 64M "$img"
if ! out=$(serve_b mkfs 2>&1); then
	kt_diag "$out"
	kt_fail setup "node b: cannot serve the dir store"
	exit 1
fi
if ! out=$(attach_a 2>&1); then
	kt_diag "$out"
	kt_fail setup "node a: cannot attach node b's store"
	exit 1
fi
kt_ok setup
kt_diag "node a /dev/kfkv/kvb -> node b $KFI_NODE_B_IP port $port store kvboot (ext4 on a file on the host), over $provider"

# puts_a: on node a, one durable put per size and a key put twice (its
# first value replaced); what each key must hold, its checksum in
# /tmp/kvobj/sums and its size and version in /tmp/kvobj/stats.
puts_a()
{
	node_run a "rm -rf /tmp/kvobj && mkdir /tmp/kvobj && cd /tmp/kvobj || exit 1
		for s in $sizes; do
			head -c \$s /dev/urandom >obj-\$s &&
			$kfkv kvb put -d obj-\$s obj-\$s || exit 1
		done
		head -c 5000 /dev/urandom >twice.1 && head -c 3000 /dev/urandom >twice &&
		$kfkv kvb put -d twice twice.1 && $kfkv kvb put -d twice twice || exit 1
		rm twice.1 && sha256sum obj-* twice >sums &&
		for k in obj-* twice; do
			echo \"\$k \$($kfkv kvb stat \$k)\"
		done >stats"
}

# check_a: on node a, every key read back whole, at the size and version
# it had, and listed.
check_a()
{
	node_run a "cd /tmp/kvobj || exit 1
		rc=0
		for k in \$(awk '{print \$2}' sums); do
			$kfkv kvb get \$k got.\$k || { echo \"get \$k failed\"; rc=1; }
			st=\"\$k \$($kfkv kvb stat \$k)\"
			grep -qxF \"\$st\" stats ||
				{ echo \"now \$st; before: \$(grep \"^\$k \" stats)\"; rc=1; }
		done
		sed 's/  /  got./' sums | sha256sum -c --quiet || rc=1
		listed=\$($kfkv kvb ls | sort | tr '\\n' ' ')
		want=\$(awk '{print \$2}' sums | sort | tr '\\n' ' ')
		[ \"\$listed\" = \"\$want\" ] ||
			{ echo \"listed: \$listed; put: \$want\"; rc=1; }
		[ \$rc = 0 ] &&
			echo \"\$(wc -l <sums) objects read back whole, at their versions, and listed\"
		exit \$rc"
}

target_reset()
{
	local out rc=0 t0
	out=$(pt_log_clean b kfkv_reboot) || { echo "node b's log before the puts: $out"; rc=1; }
	out=$(puts_a 2>&1) || { echo "puts: $out"; return 1; }
	t0=$SECONDS
	node_reboot b || { echo "node b did not come back"; return 1; }
	echo "node b reset right after the last put; booted again in $((SECONDS - t0)) s"
	out=$(serve_b 2>&1) || { echo "node b: cannot serve again: $out"; return 1; }
	node_run b "dmesg | grep -E 'EXT4-fs .*(recovery|mounted)'"
	check_a || rc=1
	# The same handle, connected again by its session.
	node_run a "dmesg | grep -E 'kfkv[0-9]+-kvboot: path .*: (down|up again)'" ||
		{ echo "node a: no reconnect logged"; rc=1; }
	return $rc
}

kt_measure durable_puts.survive_reset target_reset

teardown()
{
	node_run a "echo 0 >$ccfs/enable && rmdir $ccfs && rm -rf /tmp/kvobj" &&
	node_run b "$lib; echo 0 >$tcfs/enable && rmdir $tcfs && umount $mnt &&
		loop_detach $img_b"
}
kt_check teardown teardown
kt_exit
