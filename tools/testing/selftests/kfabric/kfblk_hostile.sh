#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk against hostile peers (Documentation/kfabric/security.rst).
#
# target.*: modules/kfblk_hostile.ko, a client written from the protocol
# document alone, attacks an export: malformed connects and commands,
# teardown with commands in flight, connection floods, a peer that never
# returns credits, an idle connection after a burst.  Each case checks the
# answer the protocol promises (in the module), that the target reaps every
# connection, and that the kernel log has no splat.  A well-behaved
# client's fio verify then runs while the module hammers the same export.
#
# client.*: the same module as a target that misbehaves for a window of
# sectors; the kfblk client reading them must fail the I/O or the device,
# within its I/O timeout, and nothing else.
#
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

HKO=$KFI_KO_DIR/tools/testing/selftests/kfabric/modules/kfblk_hostile.ko
TCFS=/sys/kernel/config/kfblk_target/hostile
CCFS=/sys/kernel/config/kfblk
HPORT=$((KFBLK_PORT + 1))
IO_TIMEOUT=5
SPLATS='Oops|BUG:|WARNING:|KASAN|UBSAN:|general protection fault|refcount_t:|list_(add|del) corruption|soft lockup|blocked for more than|rcu_.*stall|Call Trace:'
TARGET_CASES=(malformed_connect malformed_fields malformed_inline malformed_burst
	malformed_then_stream inflight_disconnect conn_flood credit_hold
	idle_memory)
CLIENT_CASES=(unknown_tag dup_answer wrong_len never_sent wrong_op
	late_answer silent rma_oob)

kt_plan $((1 + ${#TARGET_CASES[@]} + 1 + ${#CLIENT_CASES[@]}))

cleanup()
{
	[ -d /sys/module/kfblk_hostile ] && rmmod kfblk_hostile
	kfblk_cleanup
}
trap cleanup EXIT

mark()
{
	echo "kfblk-hostile: mark $1" >/dev/kmsg
}

# since TAG: the kernel log since mark TAG.
since()
{
	dmesg --notime | awk -v m="kfblk-hostile: mark $1" '
		$0 == m { found = 1; next } found'
}

# splats TAG: kernel problems reported since mark TAG.
splats()
{
	since "$1" | grep -E "$SPLATS" | head -5
}

# set_limit ATTR VALUE: an export limit, where the target has it.
set_limit()
{
	[ -e "$TCFS/$1" ] || return 0
	echo "$2" >"$TCFS/$1"
}

# export_limits: re-enable the export with the limits the cases expect.
export_limits()
{
	echo 0 >"$TCFS/enable" || return 1
	set_limit max_connections_per_peer 12
	set_limit peer_timeout_ms 3000
	set_limit idle_ms 1000
	echo 1 >"$TCFS/enable"
}

# reaped: the export's connections all went within 15 s.
reaped()
{
	local i n
	for i in $(seq 75); do
		n=$(cat "$TCFS/connections")
		[ "$n" = 0 ] && return 0
		sleep 0.2
	done
	echo "$n connections still open"
	return 1
}

# hostile_client CASE [params...]: the module attacks the export.
hostile_client()
{
	insmod "$HKO" role=client case="$1" ipaddr="$KFI_IPADDR" \
		port="$KFBLK_PORT" export=hostile "${@:2}"
}

# memory_kb: what the export's connections hold in I/O buffers.
memory_kb()
{
	cat "$TCFS/memory_kb" 2>/dev/null || echo unknown
}

# An idle connection after a burst of 1 MiB READs gives its buffers back.
idle_memory()
{
	local i kb
	hostile_client idle_after_burst || return 1
	echo "after the burst: $(memory_kb) KiB"
	for i in $(seq 50); do
		kb=$(memory_kb)
		[ "$kb" = 0 ] && break
		sleep 0.2
	done
	echo "idle: $kb KiB"
	rmmod kfblk_hostile
	[ "$kb" = 0 ]
}

target_case()
{
	local c=$1 rc=0 out s
	mark "$c"
	case $c in
	conn_flood) out=$(hostile_client conn_flood expect_accept=12 2>&1) ;;
	credit_hold) out=$(hostile_client credit_hold hold_ms=15000 2>&1) ;;
	idle_memory) out=$(idle_memory 2>&1) ;;
	*) out=$(hostile_client "$c" 2>&1) ;;
	esac || rc=1
	[ -d /sys/module/kfblk_hostile ] && rmmod kfblk_hostile
	kt_diag "$(dmesg --notime | awk -v m="kfblk-hostile: mark $c" '
		$0 == m { found = 1; next }
		found && /kfblk_hostile: *#/' | sed 's/^kfblk_hostile: *# *//')"
	[ -n "$out" ] && kt_diag "$out"
	if ! out=$(reaped); then
		kt_diag "$out"
		kt_diag "$(since "$c" | grep -E '^(kfblk_target|kfi_verbs|kfi_tcp):' |
			tail -n 20)"
		rc=1
	fi
	s=$(splats "$c")
	[ -n "$s" ] && kt_diag "$s" && rc=1
	if [ $rc = 0 ]; then kt_ok "target.$c"; else kt_fail "target.$c"; fi
}

# A good client's fio verify while the module hammers the same export.
# The well-behaved client may reconnect, as a disk in service does, for
# one reason only: its own Soft-RoCE failing a fast registration that a
# retransmission ran a second time ("local QP operation error"; see
# Documentation/kfabric/verbs.rst), which a loaded machine can provoke.
# Any other loss of its connection fails the case: the attack must not
# reach it.
KPARAM=/sys/module/kfblk/parameters
fio_under_attack()
{
	local dev out rc downs local_errs
	echo 60 >"$KPARAM/ctrl_loss_tmo"
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" hostile m_good)
	rc=$?
	echo 0 >"$KPARAM/ctrl_loss_tmo"
	[ $rc = 0 ] || return 1
	fio --name=verify --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=16k --iodepth=16 --size=32M --loops=4 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--output=/tmp/hostile-fio.txt &
	local fio_pid=$!
	hostile_client hammer loops=2 expect_accept=-1
	rc=$?
	[ -d /sys/module/kfblk_hostile ] && rmmod kfblk_hostile
	wait "$fio_pid" || rc=1
	out=$(grep -E 'err=|verify' /tmp/hostile-fio.txt | head -5)
	echo "$out"
	grep -q 'err= 0' /tmp/hostile-fio.txt || rc=1
	"$KFBLKCTL" unmap m_good || rc=1
	downs=$(since fio | grep -cE '^kfabric: kfblk[0-9]+: path .* down:')
	local_errs=$(since fio | grep -c 'local QP operation error')
	echo "good client: $downs connection losses, $local_errs local operation errors"
	if [ "$downs" -gt 0 ] && [ "$local_errs" = 0 ]; then
		echo "the good client lost its connection during the attack"
		rc=1
	fi
	out=$(splats fio)
	[ -n "$out" ] && echo "$out" && rc=1
	return $rc
}

# The kfblk client against a target misbehaving as CASE.
client_case()
{
	local c=$1 rc=0 dev st s start dd_rc extra=()
	mark "client-$c"
	[ "$c" = late_answer ] && extra=(late_ms=$((IO_TIMEOUT * 1000 + 2000)))
	if ! insmod "$HKO" role=target case="$c" ipaddr="$KFI_IPADDR" \
		port="$HPORT" "${extra[@]}"; then
		kt_fail "client.$c" "hostile target did not start"
		return
	fi
	if dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$HPORT" evil "m_$c"); then
		start=$SECONDS
		timeout 120 dd if="$dev" of=/dev/null bs=4k count=1 skip=1024 \
			iflag=direct 2>/dev/null
		dd_rc=$?
		for _ in $(seq $((IO_TIMEOUT * 15))); do
			[ "$(cat "$CCFS/m_$c/state")" = failed ] && break
			sleep 0.2
		done
		# The device has failed: later I/O fails at once.
		timeout 60 dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct \
			2>/dev/null && rc=1
		st=$(cat "$CCFS/m_$c/state")
		echo "dd $dd_rc after $((SECONDS - start)) s, state $st, hostile hits $(cat /sys/module/kfblk_hostile/parameters/hits), refused RMA $(cat /sys/module/kfblk_hostile/parameters/rma_errors)"
		[ "$dd_rc" = 124 ] && rc=1
		[ "$st" = failed ] || rc=1
		[ $((SECONDS - start)) -le $((IO_TIMEOUT * 4)) ] || rc=1
		if [ "$c" = rma_oob ] &&
		   [ "$(cat /sys/module/kfblk_hostile/parameters/rma_errors)" = 0 ]; then
			rc=1
		fi
		"$KFBLKCTL" unmap "m_$c" || rc=1
	else
		echo "map failed"
		rc=1
	fi
	rmmod kfblk_hostile || rc=1
	s=$(splats "client-$c")
	[ -n "$s" ] && echo "$s" && rc=1
	return $rc
}

if ! kfblk_load connect_timeout_ms=3000 io_timeout=$IO_TIMEOUT nr_queues=1 ||
   [ ! -e "$HKO" ]; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
nb=$(nullb_create kfbt_hostile 256 irqmode=2 completion_nsec=100000)
if [ -z "$nb" ] ||
   ! "$KFBLKCTL" export hostile "$nb" "$KFI_IPADDR" "$KFBLK_PORT" >/dev/null ||
   ! export_limits; then
	kt_fail setup "cannot export a null_blk device"
	exit 1
fi
kt_ok setup

for c in "${TARGET_CASES[@]}"; do
	target_case "$c"
done
mark fio
kt_check target.fio_verify_under_attack fio_under_attack

for c in "${CLIENT_CASES[@]}"; do
	kt_check "client.$c" client_case "$c"
done
kt_exit
