#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for kfblk's selftests, demo and benchmark (sourced, not run):
# KTAP output, loading the modules, RAM-backed null_blk devices made
# through configfs, and a target export mapped back over Soft-RoCE.
#
# Environment (tools/testing/vm/run sets it): KFI_TOP, KFI_KO_DIR (built
# modules, default KFI_TOP), KFI_IPADDR, KFI_OUT.

: "${KFI_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${KFI_KO_DIR:=$KFI_TOP}"
: "${KFI_IPADDR:=192.0.2.1}"
: "${KFI_OUT:=/tmp}"
KFBLKCTL=$KFI_TOP/consumers/block/kfblkctl
KFBLK_PORT=${KFBLK_PORT:-4791}

# ---- KTAP ----
KT_N=0
KT_FAIL=0

kt_plan()
{
	echo "KTAP version 1"
	echo "1..$1"
}

kt_diag()
{
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# kt_ok NAME [DIRECTIVE] / kt_fail NAME [WHY] / kt_skip NAME WHY
kt_ok()
{
	KT_N=$((KT_N + 1))
	echo "ok $KT_N $1${2:+ # $2}"
}

kt_fail()
{
	KT_N=$((KT_N + 1))
	KT_FAIL=$((KT_FAIL + 1))
	echo "not ok $KT_N $1${2:+ # $2}"
}

kt_skip()
{
	KT_N=$((KT_N + 1))
	echo "ok $KT_N $1 # SKIP $2"
}

# kt_check NAME COMMAND...: ok if COMMAND succeeds; its output as diagnostics
# when it fails.
kt_check()
{
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		kt_ok "$name"
	else
		kt_diag "$out"
		kt_fail "$name"
	fi
}

# kt_measure NAME COMMAND...: kt_check, with COMMAND's output (what was
# measured) reported whether it passes or not.
kt_measure()
{
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		kt_diag "$out"
		kt_ok "$name"
	else
		kt_diag "$out"
		kt_fail "$name"
	fi
}

# kt_call NAME FUNCTION: FUNCTION in this shell (so it may load modules
# and set variables), its output as diagnostics when it fails.
kt_call()
{
	local out
	out=$(mktemp)
	if "$2" >"$out" 2>&1; then
		kt_ok "$1"
	else
		kt_diag "$(cat "$out")"
		kt_fail "$1"
	fi
	rm -f "$out"
}

kt_exit()
{
	[ "$KT_FAIL" = 0 ]
	exit
}

# ---- modules ----
KFBLK_LOADED=()

kfblk_load_one()
{
	local name=$1 ko=$2
	shift 2
	[ -d "/sys/module/$name" ] && return 0
	insmod "$KFI_KO_DIR/$ko" "$@" || return 1
	KFBLK_LOADED+=("$name")
}

# kfblk_load [client params...]: load kfabric, a provider and both kfblk
# modules (those not loaded yet).  The provider is the verbs one, or the
# tcp one with KFBLK_PROVIDER=tcp (then kfabric has no other to offer).
# The client gets ctrl_loss_tmo=0 and keepalive_ms=0 unless the params
# name them: the one-node suites check what a lost connection does to a
# disk that does not reconnect; the two-node lane and the cases that want
# a reconnect ask for one.
kfblk_load()
{
	local p pin=(ctrl_loss_tmo=0 keepalive_ms=0) args=()
	for p in "${pin[@]}"; do
		[[ " $* " == *" ${p%%=*}="* ]] || args+=("$p")
	done
	set -- "$@" "${args[@]}"
	modprobe -a configfs rdma_cm ib_core ext4 2>/dev/null
	modprobe null_blk nr_devices=0 2>/dev/null
	mountpoint -q /sys/kernel/config ||
		mount -t configfs configfs /sys/kernel/config
	kfblk_load_one kfabric kfabric/kfabric.ko &&
	if [ "${KFBLK_PROVIDER:-verbs}" = tcp ]; then
		kfblk_load_one kfi_tcp providers/tcp/kfi_tcp.ko
	else
		kfblk_load_one kfi_verbs providers/verbs/kfi_verbs.ko
	fi &&
	kfblk_load_one kfblk_target consumers/block/kfblk_target.ko &&
	kfblk_load_one kfblk consumers/block/kfblk.ko "$@"
}

# kfkv_load [client params...]: load kfabric, the provider (as
# kfblk_load: KFBLK_PROVIDER) and both kfkv modules (those not loaded
# yet), with configfs mounted; kfblk_unload unloads them.  As kfblk_load,
# the client gets ctrl_loss_tmo=0 unless the params name it: its handles
# then fail at the first loss, which the one-node suites check; the cases
# that want a reconnect set kfkv's parameters before they attach.
kfkv_load()
{
	[[ " $* " == *" ctrl_loss_tmo="* ]] || set -- "$@" ctrl_loss_tmo=0
	modprobe -a configfs rdma_cm ib_core 2>/dev/null
	mountpoint -q /sys/kernel/config ||
		mount -t configfs configfs /sys/kernel/config
	kfblk_load_one kfabric kfabric/kfabric.ko &&
	if [ "${KFBLK_PROVIDER:-verbs}" = tcp ]; then
		kfblk_load_one kfi_tcp providers/tcp/kfi_tcp.ko
	else
		kfblk_load_one kfi_verbs providers/verbs/kfi_verbs.ko
	fi &&
	kfblk_load_one kfkv_target consumers/kv/kfkv_target.ko &&
	kfblk_load_one kfkv consumers/kv/kfkv.ko "$@"
}

# kfblk_unload: unload, in reverse, what kfblk_load loaded.
kfblk_unload()
{
	local i m
	for ((i = ${#KFBLK_LOADED[@]} - 1; i >= 0; i--)); do
		m=${KFBLK_LOADED[i]}
		# A test may have unloaded one itself (in a subshell).
		[ -d "/sys/module/$m" ] || continue
		rmmod "$m" || return 1
	done
	KFBLK_LOADED=()
}

# ---- null_blk ----
NULLB_CFS=/sys/kernel/config/nullb

# nullb_create NAME SIZE_MB [attr=value...]: a memory-backed null_blk
# device; prints /dev/nullbN.
nullb_create()
{
	local name=$1 size=$2 d kv
	shift 2
	d=$NULLB_CFS/$name
	mkdir "$d" || return 1
	echo "$size" >"$d/size"
	echo 1 >"$d/memory_backed"
	for kv in "$@"; do
		echo "${kv#*=}" >"$d/${kv%%=*}" || return 1
	done
	echo 1 >"$d/power" || return 1
	nullb_dev "$name"
}

# nullb_dev NAME: the /dev path of the null_blk device made as NAME.
nullb_dev()
{
	# null_blk names a configfs-made disk after its directory.
	if [ -b "/dev/$1" ]; then
		echo "/dev/$1"
	else
		echo "/dev/nullb$(cat "$NULLB_CFS/$1/index")"
	fi
}

nullb_remove()
{
	local d=$NULLB_CFS/$1
	[ -d "$d" ] || return 0
	echo 0 >"$d/power" 2>/dev/null
	rmdir "$d"
}

# kfblk_unreported: operations posted and never reported, over every
# endpoint (debugfs: posted less completed and errors).
kfblk_unreported()
{
	awk '$1 == "ep" { for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "posted") n += kv[2]
				if (kv[1] == "completed" || kv[1] == "errors")
					n -= kv[2] } }
	     END { print n + 0 }' /sys/kernel/debug/kfabric/objects
}

# kfblk_read_answers DEV WANT: 2,048 READs of one page at iodepth 1 on DEV
# leave WANT more operations unreported: 2,048 where the target's answer
# writes go unreported (a provider that completes in order), 0 where each
# is reported.  A READ still in its last completions when fio is done may
# count once more.
kfblk_read_answers()
{
	local before after
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	before=$(kfblk_unreported)
	fio --name=answers --filename="$1" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth=1 --size=8M \
		--output-format=terse >/dev/null || return 1
	sleep 1
	after=$(kfblk_unreported)
	echo "unreported operations: $before -> $after, want +$2"
	[ $((after - before)) -ge $(($2 - 2)) ] &&
		[ $((after - before)) -le $(($2 + 2)) ]
}

# kfblk_on_provider: kfabric has connected endpoints (a client queue and
# the target's end of it at least), and every one of them belongs to the
# provider KFBLK_PROVIDER names (default verbs).
kfblk_on_provider()
{
	local want=${KFBLK_PROVIDER:-verbs} dbg=/sys/kernel/debug/kfabric
	local f n mine=0 all=0
	mountpoint -q /sys/kernel/debug ||
		mount -t debugfs debugfs /sys/kernel/debug || return 1
	for f in "$dbg"/*/objects; do
		[ -f "$f" ] || continue
		n=$(grep -c 'state=connected' "$f")
		all=$((all + n))
		[ "$f" = "$dbg/$want/objects" ] && mine=$n
	done
	echo "connected endpoints: $mine of $all are $want's"
	[ "$mine" -ge 2 ] && [ "$mine" = "$all" ]
}

# fio_verify_run DEV SIZE OUT: fio writes 4 KiB blocks at random over SIZE
# of DEV at iodepth 32, then reads every block back and checks it
# (crc32c); its terse output goes to OUT.  Fails, printing the end of OUT,
# unless fio ended with no error.
fio_verify_run()
{
	local rc=0
	fio --name=verify --filename="$1" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --iodepth=32 --size="$2" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_backlog=0 --verify_state_save=0 \
		--output-format=terse --terse-version=3 >"$3" 2>&1 || rc=1
	# terse v3: field 5 is the error count.
	[ $rc = 0 ] && [ "$(tail -n 1 "$3" | cut -d';' -f5)" = 0 ] && return 0
	tail -n 5 "$3"
	return 1
}

# loop_detach FILE: detach every loop device on FILE.
loop_detach()
{
	losetup -j "$1" -O NAME -n | xargs -r -n 1 losetup -d
}

# ---- kfblk ----

# kfblk_setup NAME SIZE_MB [nullb attrs...]: export a fresh null_blk device
# as NAME and map it; prints /dev/kfblkN.
kfblk_setup()
{
	local name=$1 size=$2 nb
	shift 2
	nb=$(nullb_create "kfbt_$name" "$size" "$@") || return 1
	"$KFBLKCTL" export "$name" "$nb" "$KFI_IPADDR" "$KFBLK_PORT" >&2 ||
		return 1
	"$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" "$name" "m_$name"
}

# kfblk_backing NAME: the null_blk device under kfblk_setup NAME's export.
kfblk_backing()
{
	nullb_dev "kfbt_$1"
}

# kfblk_teardown NAME: undo kfblk_setup, whatever state it reached.
kfblk_teardown()
{
	local name=$1
	[ -d "/sys/kernel/config/kfblk/m_$name" ] &&
		"$KFBLKCTL" unmap "m_$name"
	[ -d "/sys/kernel/config/kfblk_target/$name" ] &&
		"$KFBLKCTL" unexport "$name"
	nullb_remove "kfbt_$name"
}

# kfi_objects: what kfabric has open, by provider and class (each
# provider's list in debugfs), one "provider class count" line each.
kfi_objects()
{
	local f
	for f in /sys/kernel/debug/kfabric/*/objects; do
		[ -f "$f" ] || continue
		awk -v p="${f%/objects}" '{ n[$1]++ }
			END { for (c in n) print p, c, n[c] }' "$f" | sort
	done
}

# poll_until TRIES COMMAND...: COMMAND succeeds, tried every 0.1 s at
# most TRIES times.
poll_until()
{
	local i tries=$1
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# objects_same BEFORE AFTER: two kfi_objects (or the like) the same;
# both shown when they are not.
objects_same()
{
	[ "$1" = "$2" ] && return 0
	echo "objects before:"; echo "$1"
	echo "objects after:"; echo "$2"
	return 1
}

# kfkv_cfs_clear: every kfkv client device and target store disabled and
# removed from configfs (an EXIT trap's cleanup).
kfkv_cfs_clear()
{
	local s
	for s in /sys/kernel/config/kfkv/*/ /sys/kernel/config/kfkv_target/*/; do
		[ -d "$s" ] || continue
		echo 0 >"$s/enable"
		rmdir "$s"
	done
}

# kfblk_live_objects: the client module's count of live objects.
kfblk_live_objects()
{
	cat /sys/module/kfblk/parameters/live_objects
}

# kfblk_cleanup: unmap and unexport everything, remove the null_blk and
# device-mapper devices the tests made (kfbt_*), unload what was loaded.
# Meant for an EXIT trap, so a failing test leaves a clean VM behind.
kfblk_cleanup()
{
	local d
	[ -d /sys/kernel/config/kfblk ] && "$KFBLKCTL" unmap --all
	[ -d /sys/kernel/config/kfblk_target ] && "$KFBLKCTL" unexport --all
	for d in /sys/block/dm-*/dm/name; do
		[ -e "$d" ] || continue
		case $(cat "$d") in
		kfbt_*) dmsetup remove --noudevsync "$(cat "$d")" ;;
		esac
	done
	for d in "$NULLB_CFS"/kfbt_*; do
		[ -d "$d" ] && nullb_remove "${d##*/}"
	done
	kfblk_unload
}

# ---- nvme-rdma, the baseline ----
NVMET_CFS=/sys/kernel/config/nvmet
KFBLK_NQN=nqn.2014-08.org.kfabric:kfblk-baseline
KFBLK_HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:6b66626c-6b00-4000-8000-000000000001
NVME_PORT=${NVME_PORT:-4420}

# nvme_setup DEVICE [IO_QUEUES QUEUE_SIZE [POLL_QUEUES]]: export DEVICE
# through nvmet-rdma and connect to it with nvme-rdma on the same
# Soft-RoCE device, with that many I/O queues of that size (and poll
# queues) when given; prints /dev/nvmeXnY.  With
# NVME_TRANSPORT=tcp, nvmet-tcp and nvme-tcp on $KFI_IPADDR.  nvme_core
# is loaded with native multipath off when this loads it, so the device is
# the controller's own path, not a multipath head in front of it.
nvme_setup()
{
	local dev=$1 nq=${2:-} qs=${3:-} pq=${4:-0} s p c i
	local t=${NVME_TRANSPORT:-rdma}
	local -a opts=()
	[ -d /sys/module/nvme_core ] || modprobe nvme_core multipath=N ||
		return 1
	modprobe -a nvmet "nvmet-$t" "nvme-$t" || return 1
	[ -z "$nq" ] || opts+=(--nr-io-queues="$nq")
	[ -z "$qs" ] || opts+=(--queue-size="$qs")
	[ "$pq" = 0 ] || opts+=(--nr-poll-queues="$pq")
	s=$NVMET_CFS/subsystems/$KFBLK_NQN
	p=$NVMET_CFS/ports/1
	mkdir -p "$s/namespaces/1" "$p" || return 1
	echo 1 >"$s/attr_allow_any_host"
	echo "$dev" >"$s/namespaces/1/device_path"
	echo 1 >"$s/namespaces/1/enable" || return 1
	echo ipv4 >"$p/addr_adrfam"
	echo "$t" >"$p/addr_trtype"
	echo "$KFI_IPADDR" >"$p/addr_traddr"
	echo "$NVME_PORT" >"$p/addr_trsvcid"
	ln -s "$s" "$p/subsystems/$KFBLK_NQN" || return 1
	nvme connect -t "$t" -a "$KFI_IPADDR" -s "$NVME_PORT" -n "$KFBLK_NQN" \
		-q "$KFBLK_HOSTNQN" "${opts[@]}" >&2 || return 1
	# The namespace shows under its subsystem (native multipath) or
	# under its controller.
	for i in $(seq 50); do
		for c in /sys/class/nvme-subsystem/* /sys/class/nvme/*; do
			[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$KFBLK_NQN" ] ||
				continue
			for d in "$c"/nvme*n*; do
				[ -b "/dev/${d##*/}" ] || continue
				echo "/dev/${d##*/}"
				return 0
			done
		done
		sleep 0.2
	done
	return 1
}

nvme_teardown()
{
	local s=$NVMET_CFS/subsystems/$KFBLK_NQN p=$NVMET_CFS/ports/1
	nvme disconnect -n "$KFBLK_NQN" >/dev/null 2>&1
	[ -L "$p/subsystems/$KFBLK_NQN" ] && rm -f "$p/subsystems/$KFBLK_NQN"
	[ -d "$p" ] && rmdir "$p"
	if [ -d "$s" ]; then
		echo 0 >"$s/namespaces/1/enable" 2>/dev/null
		rmdir "$s/namespaces/1" && rmdir "$s"
	fi
}

# ---- fio ----

# fio_json NAME DEV RW BS IODEPTH RUNTIME [extra fio args]: run fio, print
# its JSON report.
fio_json()
{
	local name=$1 dev=$2 rw=$3 bs=$4 qd=$5 rt=$6
	shift 6
	fio --name="$name" --filename="$dev" --direct=1 --ioengine=libaio \
		--rw="$rw" --bs="$bs" --iodepth="$qd" --size="${KFBLK_FIO_SIZE:-48M}" \
		--time_based --runtime="$rt" --ramp_time=2 --lat_percentiles=1 \
		--percentile_list=50:99 --output-format=json "$@"
}

# Busy and total jiffies of all CPUs, from /proc/stat.
cpu_jiffies()
{
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i;
		       print t - $5 - $6, t }' /proc/stat
}
