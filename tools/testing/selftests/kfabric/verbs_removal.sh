#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Device removal under load for the verbs provider.  Loads kfi_test_verbs
# in traffic mode (a connection kept busy from softirq context, with
# receives always posted), deletes the RDMA link under it, and checks that
# both endpoints got KFI_DEVICE_REMOVAL (and no KFI_SHUTDOWN), that the
# operations outstanding completed with -ECANCELED and nothing else, that
# everything is freed and the modules unload; then re-adds the link and
# checks that a new connection works on it.  Prints KTAP.
#
# Every wait is bounded by polling a condition (the test module publishes
# its counters as read-only parameters), never by a fixed sleep.
#
# Needs: root, the rig's environment (KFI_TOP, KFI_KO_DIR, KFI_IPADDR,
# KFI_RXE_DEV), the modules built, no project module loaded.

set -u
top=${KFI_TOP:-$(cd "$(dirname "$0")/../../../.." && pwd)}
kodir=${KFI_KO_DIR:-$top}
dev=${KFI_RXE_DEV:-rxe0}
ip=${KFI_IPADDR:-192.0.2.1}
test_ko=$kodir/tools/testing/selftests/kfabric/modules/kfi_test_verbs.ko
params=/sys/module/kfi_test_verbs/parameters
n=0
fail=0

ok()
{
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2${3:+ # $3}"
		fail=$((fail + 1))
	fi
}

diag()
{
	echo "# $*"
}

# wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for()
{
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

param()
{
	cat "$params/$1" 2>/dev/null || echo -1
}

param_ge()
{
	[ "$(param "$1")" -ge "$2" ]
}

link_active()
{
	rdma link show "$dev/1" 2>/dev/null | grep -q 'state ACTIVE'
}

unload_all()
{
	local m
	for m in kfi_test_verbs kfi_verbs kfabric; do
		[ -d "/sys/module/$m" ] && rmmod "$m" 2>/dev/null
	done
}

netdev=$(rdma link show "$dev/1" 2>/dev/null |
	 sed -n 's/.*netdev \([^ ]*\).*/\1/p')

# Whatever happens, leave the rig as it was: link back, our modules out.
restore()
{
	unload_all
	if [ -n "$netdev" ] && ! rdma link show "$dev/1" >/dev/null 2>&1; then
		rdma link add "$dev" type rxe netdev "$netdev"
		wait_for 30 link_active
	fi
}
trap restore EXIT

echo "KTAP version 1"
echo "1..9"

modprobe -q rdma_cm
insmod "$kodir/kfabric/kfabric.ko" &&
	insmod "$kodir/providers/verbs/kfi_verbs.ko"
ok $? load_core_and_provider

insmod "$test_ko" ipaddr="$ip" mode=traffic
r=$?
[ $r = 0 ] && wait_for 120 param_ge t_ok 100
r=$((r || $?))
ok $r traffic_flowing "$(param t_ok) completions"

rdma link del "$dev"
ok $? link_del_under_load

# Both endpoints are on the device: both hear of its removal first.
wait_for 60 param_ge t_removal 2
r=$?
diag "events: removal $(param t_removal) shutdown $(param t_shutdown) other $(param t_other_events)"
[ "$(param t_removal)" = 2 ] && [ "$(param t_shutdown)" = 0 ] &&
	[ "$(param t_other_events)" = 0 ] || r=1
ok $r events_device_removal

# The receives always posted on both sides come back flushed, and nothing
# completes with another error.
wait_for 60 param_ge t_canceled 2
r=$?
diag "completions: ok $(param t_ok) canceled $(param t_canceled) errors $(param t_errors)"
[ "$(param t_errors)" = 0 ] || r=1
ok $r outstanding_canceled

mark="kfi-removal-$$-$RANDOM"
echo "$mark" >/dev/kmsg
rmmod kfi_test_verbs
r=$?
dmesg | sed -n "/$mark/,\$p" | grep -q 'traffic: stopped, live objects 0$'
ok $((r || $?)) objects_freed

rmmod kfi_verbs && rmmod kfabric
ok $? modules_unload

[ -n "$netdev" ] && rdma link add "$dev" type rxe netdev "$netdev" &&
	wait_for 60 link_active
ok $? link_readded "netdev ${netdev:-unknown}"

# The provider finds the new device: a connection and a send work on it.
insmod "$kodir/kfabric/kfabric.ko" &&
	insmod "$kodir/providers/verbs/kfi_verbs.ko" &&
	insmod "$test_ko" ipaddr="$ip" mode=smoke
r=$?
s=$(param t_smoke)
[ $r = 0 ] && [ "$s" = 0 ]
ok $? new_device_works "smoke $s"
unload_all

echo "# $((n - fail)) passed, $fail failed"
[ "$fail" = 0 ]
