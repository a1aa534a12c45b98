#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk with several paths to one export, on one node: the node's link
# gets four more addresses, the target listens on all of them (0.0.0.0),
# and a disk mapped through the first gains paths through the others.
# Adding checks its refusals (a path the disk has, a bad address, a fifth
# path); fio writes and verifies over the paths, and the commands each
# path sent show the policy at work (round-robin spreads them, failover
# keeps them on the first); paths are removed under fio, the last one
# cannot be, one added again works, a reset with two paths reconnects
# both, and kfabric's objects and kfblk's own count are back where they
# were once the extra paths are gone.  Link faults on one of two paths
# are the two-node lane's (pair/kfblk_multipath.sh).  Over the provider
# KFBLK_PROVIDER names.  Standalone KTAP producer; run as root in the
# test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

PARAMS=/sys/module/kfblk/parameters
NET=${KFI_VM_NET:-dummy0}
EXTRA=(198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.4)
port=$KFBLK_PORT

kt_plan 11

cleanup()
{
	local a
	kfblk_cleanup
	for a in "${EXTRA[@]}"; do
		ip addr del "$a/24" dev "$NET" 2>/dev/null
	done
}
trap cleanup EXIT

dev=
setup()
{
	local a nb
	for a in "${EXTRA[@]}"; do
		ip addr add "$a/24" dev "$NET" || return 1
	done
	kfblk_load ctrl_loss_tmo=60 reconnect_delay_ms=10 \
		iopolicy=round-robin || return 1
	nb=$(nullb_create kfbt_mp 128) || return 1
	"$KFBLKCTL" export mp "$nb" 0.0.0.0 "$port" || return 1
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$port" mp m_mp) &&
		[ -b "$dev" ] && kfblk_on_provider
}
kt_call setup setup
[ -b "$dev" ] || exit 1
sysfs=/sys/block/${dev#/dev/}/kfblk
base_objects=$(kfi_objects; echo "kfblk $(kfblk_live_objects)")

# write_err FILE VALUE: the error text of a refused write; fails if the
# write was accepted.
write_err()
{
	local err
	if err=$( { echo "$2" >"$1"; } 2>&1); then
		echo "accepted: $2"
		return 1
	fi
	echo "${err##*: }"
}

# path_field ADDR FIELD [SYSFS]: a field of ADDR's line in the paths file
# ("state", or the number after "inflight", "reconnects", "ios").
path_field()
{
	awk -v a="$1:$port" -v f="$2" '$1 == a {
		if (f == "state") { print $2; exit }
		for (i = 3; i < NF; i++) if ($i == f) { print $(i + 1); exit }
	}' "${3:-$sysfs}/paths"
}

nr_paths()
{
	wc -l <"$sysfs/paths"
}

add_paths()
{
	local a rc=0
	for a in "${EXTRA[@]:0:3}"; do
		echo "$a $port" >"$sysfs/add_path" || { echo "add $a refused"; rc=1; }
	done
	cat "$sysfs/paths"
	[ "$(nr_paths)" = 4 ] || rc=1
	for a in "$KFI_IPADDR" "${EXTRA[@]:0:3}"; do
		[ "$(path_field "$a" state)" = live ] || { echo "$a not live"; rc=1; }
	done
	[ "$(cat "$sysfs/iopolicy")" = round-robin ] || rc=1
	return $rc
}
kt_check add_path.four_live add_paths

# A path the disk has, a bad address, a fifth path: each refused with its
# own errno, and the disk keeps its four.
add_refused()
{
	local e rc=0
	e=$(write_err "$sysfs/add_path" "${EXTRA[0]} $port") || rc=1
	echo "same path: $e"
	[[ $e == *"File exists"* ]] || rc=1
	e=$(write_err "$sysfs/add_path" "198.51.100.999 $port") || rc=1
	echo "bad address: $e"
	[[ $e == *"Invalid argument"* ]] || rc=1
	e=$(write_err "$sysfs/add_path" "${EXTRA[3]} $port") || rc=1
	echo "fifth path: $e"
	[[ $e == *"No space left"* ]] || rc=1
	[ "$(nr_paths)" = 4 ] || rc=1
	return $rc
}
kt_check add_path.refused add_refused

# ios_all: each path's commands sent, one number per line.
ios_all()
{
	awk '{ for (i = 3; i < NF; i++) if ($i == "ios") print $(i + 1) }' \
		"$sysfs/paths"
}

# fio over four paths, round-robin: every path sends a share.
rr_fio()
{
	local before after rc=0 b a
	before=$(ios_all)
	fio_verify_run "$dev" 16M /tmp/kfblk-mp.fio || rc=1
	after=$(ios_all)
	paste <(echo "$before") <(echo "$after") | while read -r b a; do
		echo "path sent $((a - b)) commands"
		[ $((a - b)) -gt 100 ] || exit 1
	done || rc=1
	return $rc
}
kt_measure fio.verify_round_robin rr_fio

# A second disk mapped with the failover policy: its second path stands
# by, so all its commands go through the first.
failover()
{
	local d2 s2 first second rc=0
	echo failover >"$PARAMS/iopolicy" || return 1
	d2=$("$KFBLKCTL" map "$KFI_IPADDR" "$port" mp m_mp2) || return 1
	s2=/sys/block/${d2#/dev/}/kfblk
	echo "${EXTRA[0]} $port" >"$s2/add_path" || rc=1
	[ "$(cat "$s2/iopolicy")" = failover ] || rc=1
	dd if="$d2" of=/dev/null bs=64k count=256 iflag=direct 2>/dev/null || rc=1
	first=$(path_field "$KFI_IPADDR" ios "$s2")
	second=$(path_field "${EXTRA[0]}" ios "$s2")
	echo "failover: first path sent $first commands, second $second"
	[ "${first:-0}" -ge 256 ] && [ "$second" = 0 ] || rc=1
	"$KFBLKCTL" unmap m_mp2 || rc=1
	echo round-robin >"$PARAMS/iopolicy"
	return $rc
}
kt_measure policy.failover failover

# Three paths removed one by one while fio writes and verifies: what was
# in flight on each goes to the others, and every block verifies.
remove_under_fio()
{
	local pid a rc=0
	fio_verify_run "$dev" 32M /tmp/kfblk-mp-rm.fio &
	pid=$!
	sleep 2
	for a in "${EXTRA[@]:0:3}"; do
		echo "$a $port" >"$sysfs/remove_path" || { echo "remove $a refused"; rc=1; }
		sleep 1
	done
	wait "$pid" || { echo "fio failed"; rc=1; }
	cat "$sysfs/paths"
	[ "$(nr_paths)" = 1 ] && [ "$(cat "$sysfs/state")" = live ] || rc=1
	return $rc
}
kt_check remove_path.under_fio remove_under_fio

last_refused()
{
	local e rc=0
	e=$(write_err "$sysfs/remove_path" "$KFI_IPADDR $port") || rc=1
	echo "last path: $e"
	[[ $e == *"busy"* ]] || rc=1
	e=$(write_err "$sysfs/remove_path" "${EXTRA[0]} $port") || rc=1
	echo "no such path: $e"
	[[ $e == *"No such file"* ]] || rc=1
	[ "$(nr_paths)" = 1 ] || rc=1
	return $rc
}
kt_check remove_path.last_refused last_refused

# A removed path added again carries I/O again.
add_again()
{
	local before after
	echo "${EXTRA[0]} $port" >"$sysfs/add_path" || return 1
	before=$(path_field "${EXTRA[0]}" ios)
	fio_verify_run "$dev" 8M /tmp/kfblk-mp-again.fio || return 1
	after=$(path_field "${EXTRA[0]}" ios)
	echo "path added again sent $((after - before)) commands"
	[ $((after - before)) -gt 0 ]
}
kt_measure add_path.again add_again

# A reset drops both paths' connections; both come back.
both_live()
{
	[ "$(path_field "$KFI_IPADDR" state)" = live ] &&
		[ "$(path_field "${EXTRA[0]}" state)" = live ] &&
		[ "$(cat "$sysfs/state")" = live ]
}
reset_two()
{
	local r0 r1
	r0=$(cat "$sysfs/reconnects")
	"$KFBLKCTL" reset "$dev" || return 1
	poll_until 300 both_live || { cat "$sysfs/paths"; return 1; }
	r1=$(cat "$sysfs/reconnects")
	echo "reconnects $r0 -> $r1"
	[ $((r1 - r0)) = 2 ] && fio_verify_run "$dev" 8M /tmp/kfblk-mp-rs.fio
}
kt_measure reset.both_paths reset_two

# With the extra path gone, what is open is what was open with one path.
no_leak()
{
	local after
	echo "${EXTRA[0]} $port" >"$sysfs/remove_path" || return 1
	after=$(kfi_objects; echo "kfblk $(kfblk_live_objects)")
	objects_same "$base_objects" "$after"
}
kt_check remove_path.objects_back no_leak

kt_check teardown kfblk_teardown mp
kt_exit
