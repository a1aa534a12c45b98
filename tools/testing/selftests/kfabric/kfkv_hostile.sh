#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfkv against hostile peers (Documentation/kfabric/security.rst).
#
# modules/kfkv_hostile.ko, a client written from kfkv-protocol.rst alone,
# attacks a mem store served by kfkv_target: malformed connect requests;
# messages that cannot be answered (magic, version, key and inline
# lengths that disagree with the message, tag index, segments); fields
# answered INVAL, TOOBIG, RANGE or OVERFLOW (keys of 0 and 250 bytes,
# values over the store's maximum, inline lengths off, ranges past the
# end and wrapping); guessed and over-wide remote keys for values moved
# by RMA; a tag reused in flight; sends past kfabric's credits; LISTs
# resumed after garbage cookies; disconnects with RMA requests in
# flight, 30 times.  Each case checks in the module the outcome the
# protocol promises; here, after each, the store's connections must drop
# to 0 within 20 s, the real client (modules/kfkv_test.ko, roundtrip)
# must still put and get through it, and the kernel log must be free of
# splats.  max_connections_per_peer is kfkv_ops.sh's (limits).
#
# client.*: the same module as a target that answers every request
# wrongly (unknown tag, a tag not in flight, twice, a wrong length or
# opcode, after the client's timeout, never); kfkv_test.ko (case
# hostile_target) opens a handle on it: each operation must fail with an
# error, within four of the handle's timeouts, and complete exactly once.
# client.rma_past_end, rma_before and stale_key: the target answers a GET
# by writing across the end or the start of the segment it was offered,
# or (stale_key) into the segment of the GET it answered before; the
# client's fabric must refuse the write (the module counts it, refused,
# or cancelled if the disconnect overtook the refusal), and kfkv_test.ko
# (case hostile_rma) checks that the GET fails once, sooner than the
# handle's timeout, and that no byte it did not offer for it changed.
# client.replay: a silent target, and a handle that reconnects; when the
# timeout drops the connection, the DELETE in flight completes with
# ECONNRESET (it may have run: not sent again) while the STAT waits, is
# sent again on the next connection (the target counts it), and
# completes only when the handle closes.
#
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

MODDIR=$KFI_KO_DIR/tools/testing/selftests/kfabric/modules
HKO=$MODDIR/kfkv_hostile.ko
TKO=$MODDIR/kfkv_test.ko
CFS=/sys/kernel/config/kfkv_target
STORE=kvhostile
PORT=4797
SPLATS='Oops|BUG:|WARNING:|KASAN|UBSAN:|general protection fault|refcount_t:|list_(add|del) corruption|soft lockup|blocked for more than|rcu_.*stall|Call Trace:'
CASES=(connect frame fields range rma_key tag_reuse over_credits list_cookie
	inflight_disconnect)
HPORT=$((PORT + 1))
TIMEOUT_MS=5000
CLIENT_CASES=(unknown_tag never_sent dup_answer wrong_len wrong_op
	late_answer silent rma_past_end rma_before stale_key replay)

kt_plan $((1 + ${#CASES[@]} + ${#CLIENT_CASES[@]}))

cleanup()
{
	[ -d /sys/module/kfkv_hostile ] && rmmod kfkv_hostile
	[ -d /sys/module/kfkv_test ] && rmmod kfkv_test
	if [ -d "$CFS/$STORE" ]; then
		echo 0 >"$CFS/$STORE/enable"
		rmdir "$CFS/$STORE"
	fi
	kfblk_unload
}
trap cleanup EXIT

mark()
{
	echo "kfkv-hostile: mark $1" >/dev/kmsg
}

# since TAG: the kernel log since mark TAG.
since()
{
	dmesg --notime | awk -v m="kfkv-hostile: mark $1" '
		$0 == m { found = 1; next } found'
}

# reaped: the store's connections all went within 20 s.
reaped()
{
	local n
	for _ in $(seq 100); do
		n=$(cat "$CFS/$STORE/connections")
		[ "$n" = 0 ] && return 0
		sleep 0.2
	done
	echo "$n connections still open after 20 s"
	return 1
}

# good_client: the real client still puts and gets through the store.
good_client()
{
	if ! insmod "$TKO" case=roundtrip ipaddr="$KFI_IPADDR" port="$PORT" \
		store="$STORE" 2>/dev/null; then
		echo "the good client's round trip failed:"
		dmesg --notime | grep 'kfkv_test: *#' | tail -n 3
		return 1
	fi
	rmmod kfkv_test
}

setup()
{
	kfkv_load && [ -e "$HKO" ] && [ -e "$TKO" ] &&
	mkdir "$CFS/$STORE" &&
	echo mem >"$CFS/$STORE/backend" &&
	echo "$KFI_IPADDR" >"$CFS/$STORE/addr" &&
	echo "$PORT" >"$CFS/$STORE/port" &&
	echo 3000 >"$CFS/$STORE/peer_timeout_ms" &&
	echo 1 >"$CFS/$STORE/enable" && good_client
}

hostile_case()
{
	local c=$1 rc=0 out s
	mark "$c"
	insmod "$HKO" case="$c" ipaddr="$KFI_IPADDR" port="$PORT" \
		store="$STORE" 2>/dev/null || rc=1
	[ -d /sys/module/kfkv_hostile ] && rmmod kfkv_hostile
	kt_diag "$(since "$c" | grep 'kfkv_hostile: *#' |
		sed 's/^kfkv_hostile: *# *//')"
	if ! out=$(reaped); then
		kt_diag "$out"
		kt_diag "$(since "$c" | grep -E '^kfkv_target:' | tail -n 20)"
		rc=1
	fi
	if ! out=$(good_client); then
		kt_diag "$out"
		rc=1
	fi
	s=$(since "$c" | grep -E "$SPLATS" | head -5)
	[ -n "$s" ] && kt_diag "$s" && rc=1
	if [ $rc = 0 ]; then kt_ok "target.$c"; else kt_fail "target.$c"; fi
}

# rma_writes CASE: the hostile target's RMA writes, taken and refused by
# the client's fabric, are what CASE plants (one not taken; stale_key: the
# right answer's write taken first).  The refusal drops the connection,
# and the disconnect may overtake it: the write then completes cancelled
# (kfkv_test.ko has checked the GET failed sooner than its timeout).
rma_writes()
{
	local p=/sys/module/kfkv_hostile/parameters landed refused cut want=0
	landed=$(cat $p/rma_landed)
	refused=$(cat $p/rma_refused)
	cut=$(cat $p/rma_cut)
	[ "$1" = stale_key ] && want=1
	echo "RMA writes taken $landed, refused $refused, cut off $cut"
	[ "$landed" = "$want" ] && [ $((refused + cut)) = 1 ]
}

# The kfkv client against a target misbehaving as CASE.
client_case()
{
	local c=$1 rc=0 s tcase=hostile_target tparams=() hparams=() out
	local mode=$1 hits early
	mark "client-$c"
	case $c in
	dup_answer) tparams=(first_ok=1) ;;
	late_answer)
		hparams=(late_ms=$((TIMEOUT_MS + 2000)))
		tparams=(settle_ms=$((TIMEOUT_MS - 1000)))
		;;
	rma_*) tcase=hostile_rma ;;
	stale_key) tcase=hostile_rma tparams=(first_ok=1) ;;
	replay)
		mode=silent tcase=replay
		tparams=(settle_ms=$((2 * TIMEOUT_MS)))
		;;
	esac
	if ! insmod "$HKO" role=target case="$mode" ipaddr="$KFI_IPADDR" \
		port="$HPORT" "${hparams[@]}"; then
		kt_fail "client.$c" "hostile target did not start"
		return
	fi
	insmod "$TKO" case=$tcase ipaddr="$KFI_IPADDR" port="$HPORT" \
		store=evil timeout_ms=$TIMEOUT_MS "${tparams[@]}" 2>/dev/null ||
		rc=1
	[ -d /sys/module/kfkv_test ] && rmmod kfkv_test
	hits=$(cat /sys/module/kfkv_hostile/parameters/hits)
	early=$(cat /sys/module/kfkv_hostile/parameters/early)
	kt_diag "$(since "client-$c" | grep 'kfkv_test: *#' |
		sed 's/^kfkv_test: *# *//')
hostile target hits: $hits (before it saw the connection established: $early)"
	# The STAT and the DELETE, and the STAT again after the reconnect.
	[ "$c" = replay ] && [ "$hits" -lt 3 ] && rc=1
	if [ $tcase = hostile_rma ]; then
		out=$(rma_writes "$c") || rc=1
		kt_diag "$out"
	fi
	rmmod kfkv_hostile || rc=1
	s=$(since "client-$c" | grep -E "$SPLATS" | head -5)
	[ -n "$s" ] && kt_diag "$s" && rc=1
	if [ $rc = 0 ]; then kt_ok "client.$c"; else kt_fail "client.$c"; fi
}

# In this shell, not a subshell: kfblk_unload unloads what it loaded.
if ! setup >/tmp/kfkv-hostile-setup.txt 2>&1; then
	kt_diag "$(cat /tmp/kfkv-hostile-setup.txt)"
	kt_fail setup "cannot serve a store"
	exit 1
fi
kt_ok setup
for c in "${CASES[@]}"; do
	hostile_case "$c"
done
for c in "${CLIENT_CASES[@]}"; do
	client_case "$c"
done
kt_exit
