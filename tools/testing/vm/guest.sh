#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Second stage of the test VM, run by the initramfs's /init inside the
# chroot of the host's root (read-only 9p).  Brings up Soft-RoCE on a dummy
# netdev (or on the virtio-net card eth0 that run --net gave the guest, and
# a second device on eth1 when run --net2 gave it a second card), runs the
# command that tools/testing/vm/run was given, saves the kernel log and the
# command's exit status into the results share.
#
# Settings come from $KFI_OUT/.vm/env, which run wrote and init sourced.

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux} LANG=C.UTF-8

vmdir=$KFI_OUT/.vm

say()
{
	echo "kfi-vm: $*"
}

# Record @status and stop: init powers the VM off when we return.
finish()
{
	dmesg >"$KFI_OUT/dmesg.txt" 2>&1
	echo "$1" >"$vmdir/status.tmp" && mv "$vmdir/status.tmp" "$vmdir/status"
	exit 0
}

# Poll @what (a command) until it succeeds or @secs pass.
wait_for()
{
	local secs=$1 deadline
	shift
	deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# rxe_active DEV: Soft-RoCE device DEV's port is ACTIVE.
rxe_active()
{
	rdma link show "$1/1" | grep -q 'state ACTIVE'
}

# netdev_up DEV ADDR: the netdev Soft-RoCE runs on, up with ADDR/24:
# dummy0 alone, or a virtio-net card of the guest (a link to another
# guest) when run was given --net (eth0) and --net2 (eth1).
netdev_up()
{
	local dev=$1
	if [ "$dev" = dummy0 ]; then
		ip link add dummy0 type dummy 2>/dev/null
	else
		modprobe virtio_net || return 1
		wait_for 30 test -e "/sys/class/net/$dev" || return 1
	fi
	ip addr add "$2/24" dev "$dev" || return 1
	ip link set "$dev" up
}

# rxe_up RXE NETDEV: Soft-RoCE device RXE on NETDEV, waited for until
# ACTIVE.
rxe_up()
{
	rdma link add "$1" type rxe netdev "$2" || return 1
	if ! wait_for 30 rxe_active "$1"; then
		say "$1 did not go ACTIVE:"
		rdma link show
		return 1
	fi
}

setup()
{
	hostname "$KFI_VM_NODE"
	mount -t debugfs debugfs /sys/kernel/debug
	ip link set lo up

	# Up to 6.x rdma_rxe needs crc32 through the crypto API, and Debian
	# builds the generic implementation as a module that nothing pulls
	# in; later kernels have crc32 as a library and no such module.
	if modprobe -n crc32_generic 2>/dev/null; then
		modprobe crc32_generic || return 1
	fi
	modprobe -a dummy configfs || return 1
	mountpoint -q /sys/kernel/config ||
		mount -t configfs configfs /sys/kernel/config
	netdev_up "$KFI_VM_NET" "$KFI_IPADDR" || return 1
	if [ -n "$KFI_VM_NET2" ]; then
		netdev_up "$KFI_VM_NET2" "$KFI_IPADDR2" || return 1
	fi

	modprobe -a rdma_rxe rdma_cm ib_uverbs || return 1
	rxe_up "$KFI_RXE_DEV" "$KFI_VM_NET" || return 1
	[ -z "$KFI_VM_NET2" ] || rxe_up "$KFI_RXE_DEV2" "$KFI_VM_NET2"
}

: "${KFI_VM_NET:=dummy0}" "${KFI_VM_IP:=192.0.2.1}" "${KFI_VM_NODE:=kfi-vm}"
: "${KFI_VM_NET2:=}"
export KFI_RXE_DEV=rxe0 KFI_IPADDR=$KFI_VM_IP
# The second link's device and address, only with one.
[ -z "$KFI_VM_NET2" ] || export KFI_RXE_DEV2=rxe1 KFI_IPADDR2=$KFI_VM_IP2
export KFI_TOP KFI_OUT KFI_KDIR KFI_KO_DIR KFI_VM_KERNEL

if ! setup; then
	say "Soft-RoCE setup failed"
	finish 125
fi

cd "$KFI_CWD" 2>/dev/null || cd "$KFI_TOP" || cd /
if [ "$KFI_VM_SHELL" = 1 ]; then
	say "shell; Soft-RoCE $KFI_RXE_DEV on $KFI_VM_NET $KFI_IPADDR${KFI_VM_NET2:+, $KFI_RXE_DEV2 on $KFI_VM_NET2 $KFI_IPADDR2}; exit to power off"
	PS1="kfi-vm:\w# " setsid -c bash --norc -i <>/dev/ttyS0 >&0 2>&0
	finish $?
fi

# Shortly before the host gives up on us, leave a trace of where the
# command hangs: blocked tasks and CPU backtraces, into dmesg.txt.
watchdog()
{
	local up
	up=$(cut -d. -f1 /proc/uptime)	# about the host's count since boot
	sleep $((KFI_VM_TIMEOUT - 30 - up))
	say "watchdog: $((KFI_VM_TIMEOUT - 30)) s since boot; dumping tasks"
	echo w >/proc/sysrq-trigger
	echo l >/proc/sysrq-trigger
	dmesg >"$KFI_OUT/dmesg.txt" 2>&1
}
wdpid=
if [ "$KFI_VM_TIMEOUT" -gt 60 ]; then
	watchdog &
	wdpid=$!
fi

rc=0
bash -c "$(cat "$vmdir/cmd")" || rc=$?
[ -z "$wdpid" ] || kill "$wdpid" 2>/dev/null
finish $rc
