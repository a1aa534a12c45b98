#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk across two nodes: the target on node b exports a RAM-backed
# null_blk device on its address on the link, the client on node a maps it
# over Soft-RoCE on the other side, and fio writes at random and verifies
# every block (crc32c) from node a.  Then the cable is pulled under fio:
# both ends of the link down for 3 s, and again for 12 s (longer than
# Soft-RoCE's own retransmissions last, so the connection is lost for
# sure); the client's keep-alive (1 s, 3 misses) notices the silence, its
# session reconnects, the I/O in flight and queued is
# sent again, and fio ends with every block verified.  Then an unmap
# while the client is reconnecting; a disk whose fail-fast time passes
# with the link down (its I/O fails with EIO, and works again without a
# remap once the link is back); a lost RTU.  The pause each outage caused is
# reported (a measurement, not a pass mark).  A two-node test: it runs on
# the host, driving both guests of tools/testing/vm/pair through
# pair_lib.sh.  Standalone KTAP producer.
#
# KFBLK_PAIR_PROVIDER=tcp runs it all over the tcp provider instead of
# Soft-RoCE (only kfi_tcp is loaded on either node); the connection must
# then be kfi_tcp's.  CI's 6.12 lane does so (Documentation/testing.rst
# says why).

# shellcheck source=SCRIPTDIR/../kfabric_pair_lib.sh
. "$(dirname "$(readlink -f "$0")")/../kfabric_pair_lib.sh"
port=$KFBLK_PORT

cleanup()
{
	node_run a "$lib
		[ -d /sys/kernel/config/kfblk ] && \$KFBLKCTL unmap --all
		$pt_unload" >/dev/null 2>&1
	node_run b "$lib
		[ -d /sys/kernel/config/kfblk_target ] && \$KFBLKCTL unexport --all
		nullb_remove kfbt_pair
		$pt_unload" >/dev/null 2>&1
}

kt_plan 8
trap cleanup EXIT

# The export on node b, on its own address on the link; the map on node a.
if ! out=$(node_run b "$lib
	kfblk_load || exit 1
	nb=\$(nullb_create kfbt_pair 128) || exit 1
	\$KFBLKCTL export pair \$nb \$KFI_IPADDR $port" 2>&1); then
	kt_diag "$out"
	kt_fail setup "node b: cannot export"
	exit 1
fi
if ! dev=$(pt_map_a pair m_pair 120); then
	kt_diag "$dev"
	kt_fail setup "node a: cannot map node b's export"
	exit 1
fi
# The endpoints of the map are the chosen provider's.
if ! out=$(node_run a "mountpoint -q /sys/kernel/debug ||
		mount -t debugfs debugfs /sys/kernel/debug
	grep -c 'state=connected' /sys/kernel/debug/kfabric/$provider/objects") ||
   [ "$out" -lt 1 ]; then
	kt_diag "connected $provider endpoints on node a: ${out:-none}"
	kt_fail setup "node a: the map is not over $provider"
	exit 1
fi
kt_ok setup
kt_diag "node a $dev -> node b $KFI_NODE_B_IP port $port export pair, over $provider"

# fio_verify SIZE: on node a, random writes over SIZE, then every block
# read back and verified; fails on any error.
fio_verify()
{
	node_run a "$lib; fio_verify_run $dev $1 /tmp/fio.out"
}

kt_check fio.verify_cross_node fio_verify 16M

sysfs=/sys/block/${dev#/dev/}/kfblk

# What node a's kernel log says of the client's outage since the mark
# "kfi-pair: MARK" (written as the cable was pulled): the session's lines,
# and the I/O pause, from the pull to "resuming I/O" (a measurement).
outages()
{
	node_run a "dmesg | sed -n '/kfi-pair: $1\$/,\$p' |
		grep -E 'kfi-pair|timed out|reconnect attempt|up again after|resuming I/O|down:' |
		awk '{ t = substr(\$0, 2, index(\$0, \"]\") - 2) + 0 }
		     /kfi-pair/ { t0 = t; next }
		     /timed out/ { if (to++) next }
		     { print }
		     /resuming I\/O/ && !p { p = t - t0 }
		     END { if (p) printf \"I/O paused %.1f s from the pull to the reconnect\\n\", p
			   else print \"no reconnect: the transport rode the outage out\" }'"
}

# link_cut_fio SECONDS MIN: fio (random write, then verify) on node a with
# the cable pulled that long while it runs; every block verifies, the
# device is live at the end, it reconnected at least MIN times, and no
# outage was left to the I/O timeout to find.  With MIN above 0 the
# silence must also have been probed (keep-alive).
link_cut_fio()
{
	local secs=$1 min=$2 id before after rc log t0 writes ka
	before=$(node_run a "cat $sysfs/reconnects") || return 1
	ka=$(node_run a "cat $sysfs/keepalives") || return 1
	writes=$(node_run a "awk '{print \$5}' /sys/block/${dev#/dev/}/stat")
	id=$(node_start a "$lib; fio_verify_run $dev 48M /tmp/cut.out")
	# Cut once fio has I/O in flight: writes completed on the disk.
	for _ in $(seq 100); do
		[ "$(node_run a "awk '{print \$5}' /sys/block/${dev#/dev/}/stat")" -gt "$writes" ] && break
		sleep 0.5
	done
	if node_done a "$id"; then
		echo "fio ended before the cable was pulled"
		node_wait a "$id"
		return 1
	fi
	node_run a "echo 'kfi-pair: cut$secs' >/dev/kmsg" >/dev/null
	t0=$SECONDS
	link_cut "$secs" || { echo "cannot cut the link"; return 1; }
	echo "link down $secs s (by the host's clock: $((SECONDS - t0)) s)"
	node_wait a "$id"
	rc=$?
	after=$(node_run a "cat $sysfs/reconnects; cat $sysfs/state")
	log=$(outages "cut$secs")
	echo "$log"
	echo "reconnects before $before, after: ${after//$'\n'/, state }"
	ka=$(($(node_run a "cat $sysfs/keepalives") - ka))
	echo "keep-alive probes sent: $ka"
	if grep -q "down: I/O timeout" <<<"$log"; then
		echo "the I/O timeout found the outage, not keep-alive"
		return 1
	fi
	[ $rc = 0 ] && [ "${after#*$'\n'}" = live ] &&
		[ "${after%%$'\n'*}" -ge $((before + min)) ] &&
		{ [ "$min" = 0 ] || [ "$ka" -gt 0 ]; }
}

# 3 s: the outage may be ridden out by the transport's own retries (no
# reconnect) or not; either way no I/O may fail.
cut3()
{
	link_cut_fio 3 0
}
kt_measure link_cut_3s.fio_verify cut3

# 12 s: Soft-RoCE takes about 30 s to end the connection by itself, and
# the I/O stuck on it would time out (io_timeout, 30 s): keep-alive finds
# the silence first (3 probes a second apart) and the client reconnects.
cut12()
{
	link_cut_fio 12 1
}
kt_measure link_cut_12s.fio_verify cut12

# Unmap while the client reconnects: a write starts the outage's
# detection, the unmap ends it, the write fails, the link comes back.
unmap_reconnecting()
{
	local id st rc=0
	link_set a off && link_set b off || return 1
	id=$(node_start a "dd if=/dev/zero of=$dev bs=4k count=256 oflag=direct")
	for _ in $(seq 120); do
		st=$(node_run a "cat $sysfs/state")
		[ "$st" = reconnecting ] && break
		sleep 0.5
	done
	echo "state before unmap: $st"
	[ "$st" = reconnecting ] || rc=1
	node_run a "$lib; \$KFBLKCTL unmap m_pair" || rc=1
	node_wait a "$id" && { echo "dd succeeded with no target"; rc=1; }
	link_set a on && link_set b on || rc=1
	[ $rc = 0 ] || return 1
	# The export is still there: map it again for teardown.
	dev=$(node_run a "$lib; \$KFBLKCTL map $KFI_NODE_B_IP $port pair m_pair")
}
kt_check unmap_while_reconnecting unmap_reconnecting

# Past the fail-fast time: a second disk on the export, mapped with
# fast_io_fail_tmo=3; the cable pulled for 20 s under a direct write.
# Keep-alive finds the silence, and 3 s later, the link still down, the
# write fails with EIO and so does a new one; once the link is back the
# disk reconnects by itself and a new write succeeds and reads back, with
# no remap.
fast_fail()
{
	local d2 id rc=0 out t0
	d2=$(node_run a "$lib; p=/sys/module/kfblk/parameters/fast_io_fail_tmo
		echo 3 >\$p && \$KFBLKCTL map $KFI_NODE_B_IP $port pair m_ff
		r=\$?; echo -1 >\$p; exit \$r") || { echo "map: $d2"; return 1; }
	link_set a off && link_set b off || return 1
	t0=$SECONDS
	id=$(node_start a "dd if=/dev/zero of=$d2 bs=4k count=1 oflag=direct 2>&1")
	for _ in $(seq 60); do
		node_done a "$id" && break
		sleep 0.5
	done
	if node_done a "$id"; then
		out=$(node_wait a "$id") && { echo "the write succeeded, link down"; rc=1; }
		echo "the write ended $((SECONDS - t0)) s into the outage: $(grep -m 1 error <<<"$out")"
		[[ $out == *"Input/output error"* ]] || rc=1
		out=$(node_run a "dd if=$d2 of=/dev/null bs=4k count=1 iflag=direct 2>&1") &&
			{ echo "a new read succeeded, link down"; rc=1; }
	else
		echo "the write still waits 30 s into the outage"
		rc=1
	fi
	sleep $((20 - (SECONDS - t0) > 0 ? 20 - (SECONDS - t0) : 0))
	link_set a on && link_set b on || return 1
	out=$(node_run a "for i in \$(seq 120); do
			[ \$(cat /sys/block/${d2#/dev/}/kfblk/state) = live ] && break
			sleep 0.5
		done
		head -c 4096 /dev/urandom >/tmp/ff.blk &&
		dd if=/tmp/ff.blk of=$d2 bs=4k count=1 oflag=direct status=none &&
		cmp <(dd if=$d2 bs=4k count=1 iflag=direct status=none) /tmp/ff.blk &&
		cat /sys/block/${d2#/dev/}/kfblk/state") || { echo "after the link returned: $out"; rc=1; }
	echo "after the link returned: state $out, a new write read back"
	node_run a "$lib; \$KFBLKCTL unmap m_ff" || rc=1
	return $rc
}
kt_measure link_down_past_fast_fail fast_fail

# A lost RTU (the connection manager's last handshake message, which tells
# the target the client has the connection up): the target's QP can
# already answer, but until it is told it must not.  The client's first
# command proves the RTU was sent, so the target goes on at once instead
# of waiting for its REP to be retransmitted (seconds; forever here, where
# every RTU is lost).  Node b drops every RTU that reaches it (RoCEv2: UDP
# 4791, BTH and DETH, then a CM MAD, attribute 0x0014) while node a maps
# the export a second time and reads from it.  Without the early notice
# each REP retransmission brings only another RTU that is dropped, until
# ib_cm gives up; with it the map waits the provider's 1-s grace per
# connection.  The debug kernel took from 20 s to over 30 s for that map
# and read, so the bound is 180 s and the time taken is printed.  Verbs
# only: kfi_tcp has no RTU.
rtu_filter="tc filter add dev eth0 parent ffff: protocol ip prio 1 u32 \
	match ip protocol 17 0xff match ip dport 4791 0xffff \
	match u8 0x07 0xff at 49 match u16 0x0014 0xffff at 64 action drop"
lost_rtu()
{
	local id rc=0 dropped dev2 out t0
	node_run b "modprobe -a sch_ingress cls_u32 act_gact &&
		tc qdisc add dev eth0 ingress && $rtu_filter" || return 1
	id=$(node_start a "$lib; d=\$(\$KFBLKCTL map $KFI_NODE_B_IP $port pair m_rtu) &&
		dd if=\$d of=/dev/null bs=64k count=16 iflag=direct status=none &&
		echo \$d")
	t0=$SECONDS
	for _ in $(seq 360); do
		node_done a "$id" && break
		sleep 0.5
	done
	if node_done a "$id"; then
		echo "map and read done in $((SECONDS - t0)) s while RTUs were lost"
	else
		echo "no map and read within 180 s while RTUs were lost"
		rc=1
	fi
	dropped=$(node_run b "tc -s filter show dev eth0 parent ffff: |
		sed -n 's/.* \([0-9]*\) pkt .*/\1/p' | head -n 1")
	node_run b "tc qdisc del dev eth0 ingress" || rc=1
	echo "RTUs dropped by node b: ${dropped:-none}"
	[ "${dropped:-0}" -gt 0 ] || { echo "no RTU was lost: nothing tested"; rc=1; }
	dev2=$(node_wait a "$id") || { echo "map or read failed: $dev2"; rc=1; }
	out=$(node_run a "$lib; \$KFBLKCTL unmap m_rtu" 2>&1) ||
		{ echo "unmap: $out"; rc=1; }
	return $rc
}
if [ "$provider" = verbs ]; then
	kt_measure lost_rtu.map_and_read lost_rtu
else
	kt_skip lost_rtu.map_and_read "kfi_tcp has no RTU"
fi

teardown()
{
	node_run a "$lib; \$KFBLKCTL unmap m_pair" &&
	node_run b "$lib; \$KFBLKCTL unexport pair && nullb_remove kfbt_pair"
}
kt_check teardown teardown
kt_exit
