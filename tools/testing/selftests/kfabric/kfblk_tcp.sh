#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk over the TCP provider, with no change to kfblk: the export and the
# map use an address that no RDMA device serves (198.51.100.1 on a second
# dummy netdev, without Soft-RoCE), so kfi_getinfo()'s first entry there is
# the tcp domain (the verbs provider, listed first by priority, cannot
# resolve it).  The connections must be kfi_tcp's, then fio writes and
# verifies (crc32c) at 4 KiB iodepth 32 and 128 KiB iodepth 1, and the
# target's READ answers must report every RMA write.  kfi_tcp
# runs here with its work bound to the CPU that queued it (wq_unbound=0);
# the other tcp scripts run it unbound, the default.
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

TCP_NETDEV=kfbt_tcp0
KFI_IPADDR=198.51.100.1

kt_plan 7

tcp_cleanup()
{
	kfblk_cleanup
	ip link del "$TCP_NETDEV" 2>/dev/null
}
trap tcp_cleanup EXIT

# An address of this host that no RDMA device carries.
tcp_netdev()
{
	ip link add "$TCP_NETDEV" type dummy &&
	ip addr add "$KFI_IPADDR/24" dev "$TCP_NETDEV" &&
	ip link set "$TCP_NETDEV" up
}

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
if ! tcp_netdev || ! kfblk_load nr_queues=2 ||
   ! kfblk_load_one kfi_tcp providers/tcp/kfi_tcp.ko wq_unbound=0; then
	kt_fail setup "cannot load the modules or add $TCP_NETDEV"
	exit 1
fi
dev=$(kfblk_setup tcp 32)
if [ -z "$dev" ] || [ ! -b "$dev" ]; then
	kt_fail setup "cannot export and map a device at $KFI_IPADDR"
	exit 1
fi
kt_ok setup
# The client's queues and the target's endpoints are all kfi_tcp's,
# though kfi_verbs is loaded too.
over_tcp()
{
	KFBLK_PROVIDER=tcp kfblk_on_provider
}
kt_check over_tcp over_tcp
# wq_bound: with wq_unbound=0 kfi_tcp's work goes to the per-CPU pool of
# the CPU that queued it.  The workqueue_queue_work events of "kfi_tcp"
# during a short read each name the pool's CPU; an unbound pool's is -1.
T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs nodev "$T" 2>/dev/null ||
	T=/sys/kernel/debug/tracing
wq_bound()
{
	local ev=$T/events/workqueue/workqueue_queue_work n unbound
	[ "$(cat /sys/module/kfi_tcp/parameters/wq_unbound)" = N ] &&
	echo 'workqueue == "kfi_tcp"' >"$ev/filter" &&
	echo >"$T/trace" && echo 1 >"$ev/enable" || return 1
	dd if="$dev" of=/dev/null bs=4k count=256 iflag=direct 2>/dev/null
	echo 0 >"$ev/enable"
	echo 0 >"$ev/filter"
	n=$(grep -c 'workqueue=kfi_tcp ' "$T/trace")
	unbound=$(grep 'workqueue=kfi_tcp ' "$T/trace" | grep -c ' cpu=-1$')
	echo "$n work items queued, $unbound of them to an unbound pool"
	[ "$n" -gt 0 ] && [ "$unbound" = 0 ]
}
kt_check wq_bound wq_bound

# fio_verify BS IODEPTH SIZE
fio_verify()
{
	local out rc
	out=$(fio --name=verify --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs="$1" --iodepth="$2" --size="$3" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_backlog=0 --output-format=terse --terse-version=3 2>&1)
	rc=$?
	# terse v3: field 5 is the error count.
	if [ $rc != 0 ] || [ "$(echo "$out" | tail -n 1 | cut -d';' -f5)" != 0 ]; then
		echo "$out" | tail -n 20
		return 1
	fi
}

kt_check fio.verify_4k_qd32 fio_verify 4k 32 8M
kt_check fio.verify_128k_qd1 fio_verify 128k 1 16M
# kfi_tcp does not complete in order (tx_attr.comp_order 0): the target
# reports every answer's RMA write, and holds its pages until then.
kt_check fio.read_answers_reported kfblk_read_answers "$dev" 0
kt_check teardown kfblk_teardown tcp
kt_exit
