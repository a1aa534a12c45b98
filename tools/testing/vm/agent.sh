#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The command channel of a guest of tools/testing/vm/pair: the command that
# pair gives each of its two guests.  The host drops shell scripts into
# $KFI_OUT/.vm/chan (a writable 9p share) as ID.cmd; each runs at once, in
# the background, so the host can start a long job (fio) on one node and
# act on the other meanwhile.  Its output goes to ID.out and its exit
# status, written last, to ID.rc.  The file "stop" ends the agent.
#
# A command runs as root with the guest's environment (KFI_IPADDR,
# KFI_RXE_DEV, KFI_TOP, KFI_OUT ...), in a bash of its own, stdin from
# /dev/null.  Host side: tools/testing/vm/pair_lib.sh (node_run & co).

set -u

chan=$KFI_OUT/.vm/chan
mkdir -p "$chan"

# run_cmd ID: run ID.cmd, then publish its status atomically.
run_cmd()
{
	local id=$1 rc=0
	bash "$chan/$id.run" >"$chan/$id.out" 2>&1 </dev/null || rc=$?
	echo "$rc" >"$chan/$id.rc.tmp"
	mv "$chan/$id.rc.tmp" "$chan/$id.rc"
}

echo "$KFI_VM_NODE $KFI_IPADDR" >"$chan/ready"
while [ ! -e "$chan/stop" ]; do
	for f in "$chan"/*.cmd; do
		[ -e "$f" ] || continue
		id=${f##*/}
		id=${id%.cmd}
		# Renamed first, so it runs once.
		mv "$f" "$chan/$id.run" || continue
		run_cmd "$id" &
	done
	sleep 0.2
done
# What still runs is killed with the guest; the host waited for what it
# needed.
exit 0
