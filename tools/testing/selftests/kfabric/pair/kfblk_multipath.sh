#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk over two paths: the target on node b exports a RAM-backed null_blk
# device on every address (0.0.0.0), the client on node a maps it through
# node b's address on link 0 and adds a second path through its address on
# link 1 (tools/testing/vm/pair joins the nodes by two links), with the
# round-robin I/O policy.  fio (random write, then every block verified
# with crc32c) must find both paths carrying I/O; then link 1 is cut 20
# times under fio, 8 s each (longer than the keep-alive's 3 probes a
# second apart, so the path is found down each time rather than ridden
# out by the transport), and the disk must stay live throughout, its I/O
# move to link 0 and the cut path reconnect each time; then the second
# path is removed under fio, the last one cannot be, and the second one is
# added again.  The time each cut path took to be live again, the
# reconnects and the kernel's path messages are reported (measurements,
# not pass marks).  A two-node test: it runs on the host, driving both
# guests through pair_lib.sh.  Standalone KTAP producer.
#
# KFBLK_PAIR_PROVIDER=tcp runs it over the tcp provider, as kfblk_pair.

# shellcheck source=SCRIPTDIR/../kfabric_pair_lib.sh
. "$(dirname "$(readlink -f "$0")")/../kfabric_pair_lib.sh"
port=$KFBLK_PORT
ip1=${KFI_NODE_B_IP:-}
ip2=${KFI_NODE_B_IP2:-}
flaps=20
cut=8

cleanup()
{
	link_set a on 1 2>/dev/null
	link_set b on 1 2>/dev/null
	node_run a "$lib
		touch /tmp/mp.stop
		[ -d /sys/kernel/config/kfblk ] && \$KFBLKCTL unmap --all
		$pt_unload" >/dev/null 2>&1
	node_run b "$lib
		[ -d /sys/kernel/config/kfblk_target ] && \$KFBLKCTL unexport --all
		nullb_remove kfbt_mp
		$pt_unload" >/dev/null 2>&1
}

kt_plan 8
trap cleanup EXIT

# What node a's commands below share (no expansion here: they run there,
# after "dev=... sysfs=... $lib").
node_fns=$(cat <<'EOF'
# path_field ADDR:PORT FIELD: a path's state (FIELD state) or its
# inflight or reconnects count, from the disk's paths file.
path_field()
{
	awk -v p="$1" -v f="$2" '$1 == p {
		if (f == "state") { print $2; exit }
		for (i = 3; i < NF; i++) if ($i == f) { print $(i + 1); exit }
	}' "$sysfs/paths"
}

# ep_posted: "id posted" of each connected endpoint of the provider.
ep_posted()
{
	awk '$1 == "ep" && / state=connected / {
		id = ""; n = 0
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^id=/) id = substr($i, 4)
			else if ($i ~ /^posted=/) n = substr($i, 8)
		}
		print id, n
	}' "$objs"
}

# io_split SIZE: fio_verify_run over SIZE of the disk while its paths'
# inflight counts are read every 0.05 s; then each path's highest count
# and each endpoint's posts during the run.  Fails unless fio passed and
# each of the two busiest endpoints posted an eighth of all posts at least
# (one path's keep-alives alone do not).  The inflight samples are for the
# log only: a read catches I/O in flight in as few as 1 of 20 (the I/O is
# short next to the 0.05 s between reads), so they cannot decide.
io_split()
{
	local before after sampler rc=0 total
	mountpoint -q /sys/kernel/debug ||
		mount -t debugfs debugfs /sys/kernel/debug
	before=$(ep_posted)
	rm -f /tmp/mp.sampled
	while [ ! -e /tmp/mp.sampled ]; do
		awk '{ for (i = 3; i < NF; i++)
			if ($i == "inflight") print $1, $(i + 1) }' "$sysfs/paths"
		sleep 0.05
	done >/tmp/mp.samples &
	sampler=$!
	fio_verify_run "$dev" "$1" /tmp/mp.split || rc=1
	touch /tmp/mp.sampled
	wait "$sampler"
	after=$(ep_posted)
	awk '{ n[$1]++; if ($2 > 0) b[$1]++; if ($2 > m[$1]) m[$1] = $2 }
	     END { for (p in n) printf "%s inflight max %d, above 0 in %d of %d reads\n",
			p, m[p], b[p], n[p] }' /tmp/mp.samples | sort
	# Posts per endpoint during the run, busiest first.
	total=$(awk 'NR == FNR { b[$1] = $2; next }
		{ print $1, $2 - ($1 in b ? b[$1] : 0) }' \
		<(echo "$before") <(echo "$after") | sort -k2,2nr)
	echo "posts per connected endpoint: $(awk '{ printf "%s ", $2 }' <<<"$total")"
	awk '{ s += $2; if (NR <= 2) top[NR] = $2 }
	     END { exit !(NR >= 2 && top[2] * 8 >= s && s > 0) }' <<<"$total" ||
		{ echo "fewer than two endpoints carried the I/O"; rc=1; }
	return $rc
}

# flap_job: until /tmp/mp.stop exists, fio passes one after the other
# (16 MiB, random write, then every block verified), while the disk's
# state is read every 0.2 s and each read but "live" kept.  Fails if a
# pass fails or the disk ever left live.
flap_job()
{
	local n=0 rc=0 poller
	rm -f /tmp/mp.stop
	: >/tmp/mp.states
	while [ ! -e /tmp/mp.stop ]; do
		s=$(cat "$sysfs/state")
		[ "$s" = live ] || echo "uptime $(cut -d' ' -f1 /proc/uptime): $s" >>/tmp/mp.states
		sleep 0.2
	done &
	poller=$!
	while :; do
		n=$((n + 1))
		fio_verify_run "$dev" 16M "/tmp/mp.pass$n" ||
			{ echo "fio pass $n failed"; rc=1; break; }
		[ ! -e /tmp/mp.stop ] || break
	done
	touch /tmp/mp.stop
	wait "$poller"
	echo "fio passes: $n of 16 MiB, every block verified"
	if [ -s /tmp/mp.states ]; then
		echo "the disk left live, $(wc -l </tmp/mp.states) reads:"
		head -n 10 /tmp/mp.states
		rc=1
	fi
	return $rc
}

# carrier_is VALUE SECS: eth1's carrier (link 1) reads VALUE within SECS.
carrier_is()
{
	local end=$((SECONDS + $2))
	until [ "$(cat /sys/class/net/eth1/carrier 2>/dev/null)" = "$1" ]; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

# cycle_wait PATH: one cut of link 1 as node a sees it: its carrier goes
# (the host cuts as this starts), comes back, then PATH is live again
# within 60 s.  Prints the milliseconds from the carrier's return to PATH
# live, PATH's state when the carrier returned ("missed" if the carrier
# was back before this looked) and how many times PATH reconnected.
cycle_wait()
{
	local r0 t0 first s end
	r0=$(path_field "$1" reconnects)
	carrier_is 0 10 || first=missed
	carrier_is 1 30 || { echo "link 1 did not come back"; return 1; }
	t0=$(date +%s%N)
	s=$(path_field "$1" state)
	first=${first:-$s}
	end=$((SECONDS + 60))
	while [ "$s" != live ] && [ $SECONDS -lt $end ]; do
		sleep 0.1
		s=$(path_field "$1" state)
	done
	echo "$((($(date +%s%N) - t0) / 1000000)) ${first:-none}" \
		"$(($(path_field "$1" reconnects) - r0))"
	[ "$s" = live ]
}

# path_log MARK: what the kernel said of the paths since the mark
# "kfi-pair: MARK": how many lines of each kind, and the first few.
path_log()
{
	dmesg | sed -n "/kfi-pair: $1\$/,\$p" | grep -F ': path ' >/tmp/mp.log
	echo "kernel log since the mark: $(grep -c ' down: ' /tmp/mp.log) down," \
		"$(grep -c 'reconnect attempt [0-9]* of' /tmp/mp.log) reconnect attempts," \
		"$(grep -c 'failed' /tmp/mp.log) failed," \
		"$(grep -c 'up again' /tmp/mp.log) up again"
	head -n 8 /tmp/mp.log
}
EOF
)

# The export on node b, on every address; the map on node a through link
# 0, the second path through link 1.
if [ -z "$ip2" ]; then
	kt_fail setup "the pair has no second link (KFI_NODE_B_IP2)"
	exit 1
fi
if ! out=$(node_run b "$lib
	kfblk_load || exit 1
	nb=\$(nullb_create kfbt_mp 128) || exit 1
	\$KFBLKCTL export mp \$nb 0.0.0.0 $port" 2>&1); then
	kt_diag "$out"
	kt_fail setup "node b: cannot export on 0.0.0.0"
	exit 1
fi
if ! dev=$(pt_map_a mp m_mp 120 iopolicy=round-robin); then
	kt_diag "$dev"
	kt_fail setup "node a: cannot map node b's export"
	exit 1
fi
sysfs=/sys/block/${dev#/dev/}/kfblk
# Node a's commands start from these.
na="dev=$dev sysfs=$sysfs objs=/sys/kernel/debug/kfabric/$provider/objects
	$lib
	$node_fns"
if ! out=$(node_run a "$na
	\$KFBLKCTL add-path m_mp $ip2 $port" 2>&1); then
	kt_diag "$out"
	kt_fail setup "node a: cannot add the path through $ip2"
	exit 1
fi
# Round-robin, and the paths' endpoints are the chosen provider's.
out=$(node_run a "$na
	echo \"iopolicy \$(cat /sys/module/kfblk/parameters/iopolicy)\"
	echo \"connected \$(grep -c 'state=connected' \$objs)\"")
n=$(sed -n 's/^connected \([0-9][0-9]*\)$/\1/p' <<<"$out")
if [[ $out != *"iopolicy round-robin"* ]] || [ "${n:-0}" -lt 2 ]; then
	kt_diag "$out"
	kt_fail setup "node a: not round-robin, or not two connections over $provider"
	exit 1
fi
kt_ok setup
kt_diag "node a $dev -> node b's export mp on 0.0.0.0 port $port," \
	"through $ip1 and $ip2, over $provider, round-robin"

# paths_are N: the paths file has N lines, each live.
paths_are()
{
	local out
	out=$(node_run a "$na; \$KFBLKCTL paths m_mp") || return 1
	echo "$out"
	[ "$(grep -c . <<<"$out")" = "$1" ] &&
		[ "$(awk '$2 == "live"' <<<"$out" | grep -c .)" = "$1" ]
}

two_paths()
{
	local out
	out=$(paths_are 2) || { echo "$out"; return 1; }
	echo "$out"
	grep -q "^$ip1:$port live" <<<"$out" && grep -q "^$ip2:$port live" <<<"$out"
}
kt_check two_paths_live two_paths

split()
{
	node_run a "$na; io_split 16M"
}
kt_measure fio.verify_two_paths split

# Link 1 cut $flaps times under fio: down $cut s, then up until the path
# through it is live again (60 s at most, or the flapping stops).  fio
# must verify every block, the disk stay live, and the path reconnect
# once for every cut.
flap()
{
	local before after id wid c out rc=0 ms=() first=() rec=() w_ms w_st w_rec
	before=$(node_run a "cat $sysfs/reconnects") || return 1
	node_run a "echo 'kfi-pair: flap' >/dev/kmsg" >/dev/null
	id=$(node_start a "$na; flap_job")
	for ((c = 1; c <= flaps; c++)); do
		if node_done a "$id"; then
			echo "fio ended before cut $c"
			rc=1
			break
		fi
		wid=$(node_start a "$na; cycle_wait $ip2:$port")
		link_cut "$cut" 1 || { echo "cannot cut link 1"; rc=1; break; }
		if ! out=$(node_wait a "$wid"); then
			echo "cut $c: the path through $ip2 not live 60 s after the link returned: $out"
			rc=1
			break
		fi
		read -r w_ms w_st w_rec <<<"$out"
		ms+=("$w_ms") first+=("$w_st") rec+=("$w_rec")
	done
	node_run a "touch /tmp/mp.stop" >/dev/null
	out=$(node_wait a "$id") || rc=1
	echo "$out"
	after=$(node_run a "cat $sysfs/reconnects; cat $sysfs/state")
	echo "cuts: ${#ms[@]}; disk reconnects before $before, after: ${after//$'\n'/, state }"
	echo "ms from link back to path live: ${ms[*]}"
	echo "path state when the link came back: ${first[*]}"
	echo "path reconnects per cut: ${rec[*]}"
	[ ${#ms[@]} = 0 ] ||
		printf '%s\n' "${ms[@]}" | sort -n | awk '{ v[NR] = $1 }
			END { printf "time to live again: min %d ms, median %d ms, max %d ms\n",
				v[1], v[int((NR + 1) / 2)], v[NR] }'
	node_run a "$na; path_log flap"
	[ $rc = 0 ] && [ ${#ms[@]} = "$flaps" ] &&
		[ "${after#*$'\n'}" = live ] &&
		[ "${after%%$'\n'*}" -ge $((before + flaps)) ]
}
kt_measure "path_flap_$flaps.fio_verify" flap

# The second path removed while fio runs: fio verifies every block, one
# path is left.
remove_second()
{
	local id writes rc=0 out
	writes=$(node_run a "awk '{print \$5}' /sys/block/${dev#/dev/}/stat")
	id=$(node_start a "$na; fio_verify_run $dev 16M /tmp/mp.remove")
	for _ in $(seq 100); do
		[ "$(node_run a "awk '{print \$5}' /sys/block/${dev#/dev/}/stat")" -gt "$writes" ] && break
		sleep 0.5
	done
	node_done a "$id" && { echo "fio ended before the removal"; rc=1; }
	out=$(node_run a "$na; \$KFBLKCTL remove-path m_mp $ip2 $port" 2>&1) ||
		{ echo "remove-path: $out"; rc=1; }
	node_done a "$id" || echo "fio still ran when the removal returned"
	out=$(node_wait a "$id") || { echo "fio: $out"; rc=1; }
	out=$(paths_are 1) || rc=1
	echo "$out"
	grep -q "^$ip1:$port live" <<<"$out" || rc=1
	return $rc
}
kt_check remove_path remove_second

# The last path cannot go: EBUSY, and the disk still works through it.
remove_last()
{
	local out rc=0
	if out=$(node_run a "$na; \$KFBLKCTL remove-path m_mp $ip1 $port" 2>&1); then
		echo "the last path was removed"
		rc=1
	fi
	echo "$out"
	[[ $out == *"Device or resource busy"* ]] || { echo "not EBUSY"; rc=1; }
	out=$(paths_are 1) || rc=1
	echo "$out"
	node_run a "dd if=$dev of=/dev/null bs=64k count=16 iflag=direct status=none" ||
		{ echo "a read failed"; rc=1; }
	return $rc
}
kt_check remove_last_path_refused remove_last

# The second path back: both live, fio verifies.
add_again()
{
	local out
	out=$(node_run a "$na; \$KFBLKCTL add-path m_mp $ip2 $port" 2>&1) ||
		{ echo "add-path: $out"; return 1; }
	two_paths || return 1
	node_run a "$na; fio_verify_run $dev 8M /tmp/mp.again"
}
kt_check add_path_again add_again

teardown()
{
	node_run a "$lib; \$KFBLKCTL unmap m_mp" &&
	node_run b "$lib; \$KFBLKCTL unexport mp && nullb_remove kfbt_mp"
}
kt_check teardown teardown
kt_exit
