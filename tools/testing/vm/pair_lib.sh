# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Host-side helpers for a driver run by tools/testing/vm/pair (sourced, not
# run): commands into either guest through its agent, and its QEMU's QMP
# monitor.  A node is "a" or "b".
#
#   node_run NODE SCRIPT        run SCRIPT (bash) in NODE, wait; its output
#                               on stdout, its exit status returned
#   node_start NODE SCRIPT      start it; prints an id for node_wait
#   node_wait NODE ID           wait for it as node_run does
#   node_qmp NODE JSON          one QMP command; its answer on stdout
#   link_set NODE on|off [LINK] that node's end of link LINK (0, the
#                               default: QEMU netdev net0, the guest's eth0;
#                               1: net1, eth1) up or down
#   node_pause / node_resume NODE   stop / continue the guest's CPUs
#   node_done NODE ID           true once a node_start command ended
#   link_cut SECONDS [LINK]     both ends of link LINK (default 0) down
#                               that long, then up
#   node_reboot NODE            hard reset (power cycle) and wait until the
#                               guest's agent is back; its RAM is lost, the
#                               results dir (a host directory) is not; the
#                               new boot's log gets the mark "rebooted",
#                               its taint then is in .vm/tainted-at-reboot
#   node_boot_id NODE           the guest's boot id (changes with each boot)
#
# A command that does not end within $KFI_NODE_CMD_TIMEOUT seconds (default
# 600), or whose guest dies, returns 124.

: "${KFI_NODE_CMD_TIMEOUT:=600}"
: "${KFI_NODE_BOOT_TIMEOUT:=900}"
KFI_NODE_SEQ=0

node_var()
{
	local v="KFI_NODE_${1^^}_$2"
	[ -n "${!v:-}" ] || { echo "pair_lib: no $v (node '$1')" >&2; return 1; }
	echo "${!v}"
}

node_start()
{
	local out chan id
	out=$(node_var "$1" OUT) || return 1
	chan=$out/.vm/chan
	KFI_NODE_SEQ=$((KFI_NODE_SEQ + 1))
	id=$(date +%s%N)-$BASHPID-$KFI_NODE_SEQ
	printf '%s\n' "$2" >"$chan/$id.tmp"
	# The agent only picks up *.cmd: the script is whole when it does.
	mv "$chan/$id.tmp" "$chan/$id.cmd"
	echo "$id"
}

# node_wait_file NODE FILE SECS WHAT: wait until FILE exists, while NODE's
# run lives; 124, saying WHAT, when the node is gone or SECS have passed.
node_wait_file()
{
	local pid deadline
	pid=$(node_var "$1" PID) || return 1
	deadline=$((SECONDS + $3))
	until [ -e "$2" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "pair_lib: node $1 is gone" >&2
			return 124
		fi
		if [ $SECONDS -ge $deadline ]; then
			echo "pair_lib: node $1: $4 after $3 s" >&2
			return 124
		fi
		sleep 0.2
	done
}

node_wait()
{
	local out chan
	out=$(node_var "$1" OUT) || return 1
	chan=$out/.vm/chan
	node_wait_file "$1" "$chan/$2.rc" "$KFI_NODE_CMD_TIMEOUT" \
		"command $2 still running" || return
	cat "$chan/$2.out"
	return "$(cat "$chan/$2.rc")"
}

node_run()
{
	local id
	id=$(node_start "$1" "$2") || return 1
	node_wait "$1" "$id"
}

# node_qmp NODE JSON: connect, negotiate, send JSON, print the answer (the
# first line that is not an event).
node_qmp()
{
	local port fd line rc=1
	port=$(node_var "$1" QMP) || return 1
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	if read -r -t 10 line <&"$fd" && [[ $line == *'"QMP"'* ]]; then
		echo '{"execute":"qmp_capabilities"}' >&"$fd"
		if read -r -t 10 line <&"$fd" && [[ $line == *'"return"'* ]]; then
			echo "$2" >&"$fd"
			while read -r -t 30 line <&"$fd"; do
				[[ $line == *'"event"'* ]] && continue
				echo "$line"
				[[ $line == *'"return"'* ]] && rc=0
				break
			done
		fi
	fi
	exec {fd}>&-
	return $rc
}

link_set()
{
	local up=true link=${3:-0}
	case $2 in
	on)	;;
	off)	up=false ;;
	*)	echo "pair_lib: link_set: '$2' is not on or off" >&2; return 1 ;;
	esac
	case $link in
	0|1)	;;
	*)	echo "pair_lib: link_set: no link '$link' (0 or 1)" >&2; return 1 ;;
	esac
	node_qmp "$1" "{\"execute\":\"set_link\",\"arguments\":{\"name\":\"net$link\",\"up\":$up}}" >/dev/null
}

node_pause()
{
	node_qmp "$1" '{"execute":"stop"}' >/dev/null
}

node_resume()
{
	node_qmp "$1" '{"execute":"cont"}' >/dev/null
}

# node_done NODE ID: true once the command node_start started has ended.
node_done()
{
	local out
	out=$(node_var "$1" OUT) || return 1
	[ -e "$out/.vm/chan/$2.rc" ]
}

# link_cut SECONDS [LINK]: pull the cable: both ends of link LINK (default
# 0) down for that long, then up again.
link_cut()
{
	local link=${2:-0}
	link_set a off "$link" && link_set b off "$link" || return 1
	sleep "$1"
	link_set a on "$link" && link_set b on "$link"
}

node_boot_id()
{
	node_run "$1" 'cat /proc/sys/kernel/random/boot_id'
}

# node_reboot NODE: pull the power and plug it in again.  QEMU runs with
# -no-reboot (a guest that panics ends the run), so the reset is allowed
# only for this one reboot.  The guest boots the same kernel, sets up its
# link and Soft-RoCE and starts its agent again; commands that were
# running in it are lost (their node_wait returns 124 at its timeout).
node_reboot()
{
	local out rc=0
	out=$(node_var "$1" OUT) || return 1
	rm -f "$out/.vm/chan/ready"
	node_qmp "$1" '{"execute":"set-action","arguments":{"reboot":"reset"}}' \
		>/dev/null || return 1
	node_qmp "$1" '{"execute":"system_reset"}' >/dev/null || return 1
	node_wait_file "$1" "$out/.vm/chan/ready" "$KFI_NODE_BOOT_TIMEOUT" \
		"not back" || rc=$?
	node_qmp "$1" '{"execute":"set-action","arguments":{"reboot":"shutdown"}}' \
		>/dev/null || [ $rc != 0 ] || rc=1
	# Where the suite starts reading the new boot's log (see
	# kfabric_pair_tests.sh): after the boot, before any test step.
	# And what the boot tainted, in the node's rig files.
	[ $rc != 0 ] ||
		node_run "$1" "echo 'kfi-pair: mark rebooted' >/dev/kmsg
			cat /proc/sys/kernel/tainted" >"$out/.vm/tainted-at-reboot" ||
		rc=1
	return $rc
}
