# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the two-node nvme comparisons (pair/nvme_pair.sh, pair/nvme_reboot.sh)
# share, sourced by each after kfabric_pair_lib.sh: the kernel's nvmet on
# node b, nvme connect on node a, and putting both nodes' modules back.
#
#   $nvme_t      rdma, or tcp when the pair runs kfblk over kfi_tcp
#   $nvme_kato   keep-alive timeout in seconds (NVME_PAIR_KATO, default 1:
#                nvme-fabrics' smallest)
#   mods[NODE]   what NODE had loaded when nvme_modules_now last looked
#   nvme_modules_now NODE      record it
#   nvme_unload_new NODE       every module loaded since unloaded, users
#                first; names those that would not go
#   nvme_export_b DEVICE [SUBSYS_ATTR=V...] [ns/NS_ATTR=V...]
#                on node b, nvmet exporting DEVICE (a node command that
#                prints the device's path) on node b's address on link 0,
#                with these subsystem and namespace attributes set first
#   nvme_connect_a TMO         on node a, nvme connect to it (native
#                multipath off, one I/O queue, keep-alive $nvme_kato, a
#                reconnect attempt every second, ctrl_loss_tmo TMO); prints
#                the controller and its namespace ("nvme0 nvme0n1") last

nvme_t=rdma
# shellcheck disable=SC2154
[ "$provider" = verbs ] || nvme_t=tcp
nvme_kato=${NVME_PAIR_KATO:-1}
declare -A mods=()

nvme_modules_now()
{
	mods[$1]=$(node_run "$1" "cut -d ' ' -f 1 /proc/modules" | tr '\n' ' ')
	[ -n "${mods[$1]}" ]
}

nvme_unload_new()
{
	node_run "$1" "before=' ${mods[$1]} '
		for _ in 1 2 3 4 5 6; do
			left=
			for m in \$(cut -d ' ' -f 1 /proc/modules); do
				[[ \$before == *\" \$m \"* ]] && continue
				rmmod \$m 2>/dev/null || left+=\" \$m\"
			done
			[ -z \"\$left\" ] && break
		done
		[ -z \"\$left\" ] || { echo \"node $1: still loaded:\$left\"; exit 1; }"
}

nvme_export_b()
{
	local devcmd=$1 a attrs=
	shift
	for a in "$@"; do
		case $a in
		ns/*)	attrs+="echo ${a#*=} >\$s/namespaces/1/$(cut -d= -f1 <<<"${a#ns/}") && " ;;
		*)	attrs+="echo ${a#*=} >\$s/attr_${a%%=*} && " ;;
		esac
	done
	# shellcheck disable=SC2154
	node_run b "$lib
		modprobe -a configfs nvmet nvmet-$nvme_t || exit 1
		mountpoint -q /sys/kernel/config ||
			mount -t configfs configfs /sys/kernel/config || exit 1
		dev=\$($devcmd) || exit 1
		s=\$NVMET_CFS/subsystems/\$KFBLK_NQN
		p=\$NVMET_CFS/ports/1
		mkdir -p \$s/namespaces/1 \$p &&
		echo 1 >\$s/attr_allow_any_host &&
		$attrs
		echo \$dev >\$s/namespaces/1/device_path &&
		echo 1 >\$s/namespaces/1/enable &&
		echo ipv4 >\$p/addr_adrfam &&
		echo $nvme_t >\$p/addr_trtype &&
		echo \$KFI_IPADDR >\$p/addr_traddr &&
		echo \$NVME_PORT >\$p/addr_trsvcid &&
		ln -s \$s \$p/subsystems/\$KFBLK_NQN"
}

nvme_connect_a()
{
	node_run a "$lib
		[ -d /sys/module/nvme_core ] || modprobe nvme_core multipath=N ||
			exit 1
		[ \$(cat /sys/module/nvme_core/parameters/multipath) = N ] ||
			{ echo 'nvme_core has native multipath on'; exit 1; }
		modprobe -a nvme-fabrics nvme-$nvme_t || exit 1
		nvme connect -t $nvme_t -a $KFI_NODE_B_IP -s \$NVME_PORT \
			-n \$KFBLK_NQN -q \$KFBLK_HOSTNQN --nr-io-queues=1 \
			--keep-alive-tmo=$nvme_kato --reconnect-delay=1 \
			--ctrl-loss-tmo=$1 || exit 1
		for i in \$(seq 50); do
			for c in /sys/class/nvme/nvme*; do
				[ \"\$(cat \$c/subsysnqn 2>/dev/null)\" = \$KFBLK_NQN ] ||
					continue
				for n in \$c/nvme*n*; do
					[ -b /dev/\${n##*/} ] || continue
					echo \${c##*/} \${n##*/}
					exit 0
				done
			done
			sleep 0.2
		done
		echo 'no namespace showed'
		exit 1"
}
