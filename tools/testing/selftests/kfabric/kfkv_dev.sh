#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfkv from user space: a mem store served by kfkv_target, attached by
# the client through configfs as /dev/kfkv/kvu, driven by the kfkv tool
# and by kfkv_uapi_test: every ioctl at value sizes 0, 1, 4096 and 1 MiB
# with binary keys; version conditions; a listing over several LISTs;
# bad pointers, lengths and flags; the protection model -- an
# unprivileged user denied without the mode bits and allowed with them,
# a mode taken away from a descriptor already open, the client's and the
# target's configfs refused without CAP_SYS_ADMIN -- and a device
# disabled under an open descriptor.  The same through io_uring commands:
# round trips at 0, 1, 4096 and 1 MiB, 32 in flight, bad commands, the
# protection, and commands in flight when the device is disabled or the
# target's store goes away; and the tool's bench.  Then a store with a
# secret: the secret write-only and bounded on both sides, a device
# attached with it working, one with a wrong secret or none refused with
# EKEYREJECTED and the target's log naming the store; and through
# modules/kfkv_test.ko, the client API opening it with the secret,
# refused without, and a raw peer that skips the AUTH exchange or forges
# its proof answered AUTH and dropped.
#
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

TKO=$KFI_KO_DIR/tools/testing/selftests/kfabric/modules/kfkv_test.ko
TCFS=/sys/kernel/config/kfkv_target
CCFS=/sys/kernel/config/kfkv
DEV=/dev/kfkv/kvu
PORT=4795
SPORT=4796
SECRET=kfkv-dev-secret-0123456789abcdef
NOBODY=65534
WORK=$(mktemp -d /tmp/kfkv-dev.XXXXXX)
chmod 0755 "$WORK"
# The tool runs from here: the unprivileged user may not be able to reach
# the tree (a scratch copy in a private directory of the host).
KFKV=$WORK/kfkv
cp "$KFI_KO_DIR/tools/kfkv/kfkv" "$KFKV"
UAPI=$WORK/kfkv_uapi_test
cp "$KFI_KO_DIR/tools/testing/selftests/kfabric/kfkv_uapi_test" "$UAPI"

kt_plan 32

cleanup()
{
	[ -d /sys/module/kfkv_test ] && rmmod kfkv_test
	kfkv_cfs_clear
	kfblk_unload
	rm -rf "$WORK"
}
trap cleanup EXIT

# kt_report NAME COMMAND...: as kt_check, with COMMAND's output shown
# also when it passes (the figures it prints).
kt_report()
{
	local name=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=1
	kt_diag "$out"
	if [ $rc = 0 ]; then
		kt_ok "$name"
	else
		kt_fail "$name"
	fi
}

# as_nobody COMMAND...: COMMAND as an unprivileged user, in no group.
as_nobody()
{
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- "$@"
}

# expect_err ERRNAME COMMAND...: COMMAND fails, naming ERRNAME.
expect_err()
{
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "'$*' succeeded, want $want"
		return 1
	fi
	case $out in
	*": $want: "*) return 0 ;;
	esac
	echo "'$*': $out (want $want)"
	return 1
}

# set_mode MODE: the device's mode in configfs; the node must follow it.
# Then the node is opened to everyone, so that only kfkv's own check --
# not the node's permission bits -- decides what follows.
set_mode()
{
	local got
	echo "$1" >"$CCFS/kvu/mode" || return 1
	got=$(stat -c %a "$DEV") || return 1
	[ "$got" = "${1#0}" ] || { echo "node mode $got, want $1"; return 1; }
	chmod 0666 "$DEV"
}

load()
{
	local got
	kfkv_load || return 1
	mkdir "$TCFS/kvustore" &&
	echo mem >"$TCFS/kvustore/backend" &&
	echo "$KFI_IPADDR" >"$TCFS/kvustore/addr" &&
	echo $PORT >"$TCFS/kvustore/port" &&
	echo 2048 >"$TCFS/kvustore/max_value_kb" &&
	echo 1 >"$TCFS/kvustore/enable" &&
	mkdir "$CCFS/kvu" &&
	echo "$KFI_IPADDR" >"$CCFS/kvu/addr" &&
	echo $PORT >"$CCFS/kvu/port" &&
	echo kvustore >"$CCFS/kvu/store" &&
	echo 1 >"$CCFS/kvu/enable" || return 1
	# The default: root's alone.
	got=$(stat -c '%F %a %u %g' "$DEV") || return 1
	echo "$DEV: $got"
	[ "$got" = "character special file 600 0 0" ] &&
	[ "$(cat "$CCFS/kvu/dev")" = "$(stat -c '%t:%T' "$DEV" |
		{ IFS=: read -r a b; echo "$((16#$a)):$((16#$b))"; })" ]
}

# One value size, binary key: put, stat, get whole and a range, ls, del.
size_case()
{
	local n=$1 key f=$WORK/v$1 ver got
	key=00ff0a$(printf '%08x' "$n")fe
	head -c "$n" /dev/urandom >"$f"
	ver=$("$KFKV" -x kvu put "$key" "$f") || return 1
	got=$("$KFKV" -x kvu stat "$key") || return 1
	[ "$got" = "size $n ${ver}" ] || { echo "stat: $got, put: $ver"; return 1; }
	"$KFKV" -x kvu get "$key" "$f.out" && cmp "$f" "$f.out" || return 1
	if [ "$n" -ge 2 ]; then
		"$KFKV" -x kvu get -o 1 -l $((n - 1)) "$key" "$f.range" &&
		tail -c $((n - 1)) "$f" | cmp - "$f.range" || return 1
	fi
	got=$("$KFKV" -x kvu ls 00ff0a) || return 1
	grep -qx "$key" <<<"$got" || { echo "ls: $got"; return 1; }
	"$KFKV" -x kvu del "$key" &&
	expect_err ENOENT "$KFKV" -x kvu stat "$key" &&
	expect_err ENOENT "$KFKV" -x kvu get "$key"
}

conditions()
{
	local v1 v2 f=$WORK/c
	echo one >"$f"
	v1=$("$KFKV" kvu put -a cond "$f") || return 1
	expect_err EEXIST "$KFKV" kvu put -a cond "$f" &&
	expect_err ESTALE "$KFKV" kvu put -V $((${v1#version } + 1)) cond "$f" &&
	v2=$("$KFKV" kvu put -d -V "${v1#version }" cond "$f") &&
	[ "$v2" != "$v1" ] || { echo "versions $v1 then $v2"; return 1; }
	expect_err ESTALE "$KFKV" kvu del -V "${v1#version }" cond &&
	"$KFKV" kvu del -V "${v2#version }" cond &&
	expect_err ENOENT "$KFKV" kvu del cond
}

# 30 keys under a binary prefix, listed 7 at a time (LIST after LIST,
# each resuming after the cookie): all of them, once, in order.
listing()
{
	local i want got
	for i in $(seq 10 39); do
		"$KFKV" -x kvu put "0102$i" </dev/null >/dev/null || return 1
	done
	want=$(seq 10 39 | sed 's/^/0102/')
	got=$("$KFKV" -x kvu ls -n 7 0102) || return 1
	[ "$got" = "$want" ] || { echo "ls: $got"; return 1; }
	for i in $(seq 10 39); do
		"$KFKV" -x kvu del "0102$i" || return 1
	done
}

# Without the mode bits: the open is refused by kfkv, not by the node.
perm_denied()
{
	echo secret | "$KFKV" kvu put pk >/dev/null &&
	set_mode 0600 || return 1
	expect_err EACCES as_nobody "$KFKV" "$DEV" stat pk &&
	expect_err EACCES as_nobody "$KFKV" "$DEV" get pk &&
	expect_err EACCES as_nobody "$KFKV" "$DEV" ls &&
	expect_err EACCES as_nobody "$KFKV" "$DEV" put pk /dev/null &&
	expect_err EACCES as_nobody "$KFKV" "$DEV" del pk
}

# The others' read bit: read, not write; then the group's bits.
perm_allowed()
{
	local got
	set_mode 0604 || return 1
	got=$(as_nobody "$KFKV" "$DEV" get pk) && [ "$got" = secret ] &&
	as_nobody "$KFKV" "$DEV" stat pk && as_nobody "$KFKV" "$DEV" ls &&
	expect_err EACCES as_nobody "$KFKV" "$DEV" put pk /dev/null &&
	expect_err EACCES as_nobody "$KFKV" "$DEV" del pk || return 1
	echo 4242 >"$CCFS/kvu/gid" && set_mode 0660 || return 1
	expect_err EACCES as_nobody "$KFKV" "$DEV" stat pk &&
	setpriv --reuid=$NOBODY --regid=$NOBODY --groups=4242 -- \
		"$KFKV" "$DEV" put pk /dev/null &&
	echo $NOBODY >"$CCFS/kvu/uid" && set_mode 0600 &&
	as_nobody "$KFKV" "$DEV" del pk || return 1
	echo 0 >"$CCFS/kvu/uid" && echo 0 >"$CCFS/kvu/gid"
}

# A descriptor opened while allowed loses its access with the mode.
perm_revoked()
{
	local out=$WORK/revoked rc=0 i
	echo v | "$KFKV" kvu put rk >/dev/null && set_mode 0606 || return 1
	chmod 0777 "$WORK"
	as_nobody bash -c '
		exec 3<"$1" 4>"$1" || exit 3
		"$2" @3 stat rk || exit 4
		touch "$3/ready"
		while [ ! -e "$3/go" ]; do sleep 0.1; done
		"$2" @3 stat rk
		"$2" @4 put rk /dev/null
		"$2" @4 del rk
		exit 0' _ "$DEV" "$KFKV" "$WORK" >"$out" 2>&1 &
	for i in $(seq 100); do
		[ -e "$WORK/ready" ] && break
		sleep 0.1
	done
	[ -e "$WORK/ready" ] || rc=1
	set_mode 0600 || rc=1
	touch "$WORK/go"
	wait $! || rc=1
	chmod 0755 "$WORK"
	cat "$out"
	[ $rc = 0 ] && [ "$(grep -c ': EACCES: ' "$out")" = 3 ] &&
	"$KFKV" kvu stat rk
}

# Configfs without CAP_SYS_ADMIN: root, but the capability dropped.
admin()
{
	local nocap=(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin --)
	"${nocap[@]}" sh -c "echo 0666 >$CCFS/kvu/mode" &&
		{ echo "mode changed without CAP_SYS_ADMIN"; return 1; }
	[ "$(cat "$CCFS/kvu/mode")" = 0600 ] ||
		{ echo "mode $(cat "$CCFS/kvu/mode") after the refusal"; return 1; }
	"${nocap[@]}" sh -c "echo 0 >$CCFS/kvu/gid; echo 1 >$CCFS/kvu/depth" &&
		{ echo "attributes changed without CAP_SYS_ADMIN"; return 1; }
	"${nocap[@]}" mkdir "$CCFS/kvu2" &&
		{ echo "mkdir without CAP_SYS_ADMIN"; return 1; }
	# The target's side: creating, configuring and exporting stores.
	"${nocap[@]}" mkdir "$TCFS/kvu2" &&
		{ echo "store made without CAP_SYS_ADMIN"; return 1; }
	"${nocap[@]}" sh -c "echo 0 >$TCFS/kvustore/enable" &&
		{ echo "store disabled without CAP_SYS_ADMIN"; return 1; }
	"${nocap[@]}" sh -c "echo 1 >$TCFS/kvustore/max_depth" &&
		{ echo "store changed without CAP_SYS_ADMIN"; return 1; }
	[ "$(cat "$TCFS/kvustore/enable")" = 1 ] || return 1
	as_nobody sh -c "echo 0666 >$CCFS/kvu/mode" &&
		{ echo "mode changed by an unprivileged user"; return 1; }
	[ "$(cat "$CCFS/kvu/mode")" = 0600 ] || { echo "mode changed"; return 1; }
	# What is refused is the capability, not root: with it, it works.
	echo 0600 >"$CCFS/kvu/mode"
}

# Disabled under an open descriptor: its operations fail, nothing hangs;
# enabled again, a new open works.
disable()
{
	local out
	exec 5<"$DEV" || return 1
	echo 0 >"$CCFS/kvu/enable" || return 1
	[ ! -e "$DEV" ] || { echo "$DEV still there"; return 1; }
	out=$("$KFKV" @5 stat rk 2>&1)
	exec 5<&-
	case $out in
	*ENODEV*) ;;
	*) echo "after disable: $out"; return 1 ;;
	esac
	echo 1 >"$CCFS/kvu/enable" && "$KFKV" kvu stat rk && "$KFKV" kvu del rk
}

# io_uring commands on a descriptor root opened, used by a user without
# access (EACCES, as the ioctls get), then with the mode bits (success).
uring_perm()
{
	local rc=0
	set_mode 0600 && exec 6<>"$DEV" || return 1
	as_nobody "$UAPI" @6 uring_perm EACCES || rc=1
	set_mode 0606 && as_nobody "$UAPI" @6 uring_perm 0 || rc=1
	exec 6>&-
	set_mode 0600 || rc=1
	return $rc
}

# uring_gone WHAT: gets in flight through io_uring while WHAT goes away
# (client: the device is disabled; target: the target's store is); every
# one completes, with an error from then on; then all is as before.
uring_gone()
{
	local rc=0 i
	rm -f "$WORK/running"
	timeout 300 "$UAPI" "$DEV" uring_load "$WORK/running" &
	for i in $(seq 600); do
		[ -e "$WORK/running" ] && break
		sleep 0.1
	done
	[ -e "$WORK/running" ] || { echo "no gets running"; rc=1; }
	if [ "$1" = client ]; then
		echo 0 >"$CCFS/kvu/enable" || rc=1
	else
		echo 0 >"$TCFS/kvustore/enable" || rc=1
	fi
	wait $! || rc=1
	if [ "$1" = target ]; then
		echo 1 >"$TCFS/kvustore/enable" &&
		echo 0 >"$CCFS/kvu/enable" || rc=1
	fi
	echo 1 >"$CCFS/kvu/enable" || rc=1
	"$KFKV" kvu put uring-after </dev/null >/dev/null &&
	"$KFKV" kvu del uring-after || rc=1
	return $rc
}

# The tool's bench: puts then gets of 4 KiB through io_uring, one and
# 32 in flight, a fixed count each; every line must count them all done,
# none short, and every byte of their values moved.
bench()
{
	local op q out
	for q in 1 32; do
		for op in put get; do
			out=$("$KFKV" kvu bench -o "$op" -s 4096 -q $q \
				-n $((q * 20))) || return 1
			echo "$out"
			[[ $out == *" ops=$((q * 20)) errors=0 short=0 bytes=$((q * 20 * 4096)) "* ]] ||
				return 1
		done
	done
}

# write_err WANT FILE VALUE: writing VALUE to FILE fails, with the
# message of errno WANT (strerror's words).
write_err()
{
	local out
	if out=$( { echo "$3" >"$2"; } 2>&1); then
		echo "$2 took '$3'"
		return 1
	fi
	case $out in
	*"$1"*) return 0 ;;
	esac
	echo "$2: $out (want $1)"
	return 1
}

# A store with a secret, and a device for it that has none yet.  The
# secret is write-only on both sides (not even root reads it back),
# 16 to 64 bytes, and fixed while enabled.
auth_config()
{
	local s=$TCFS/kvsec c=$CCFS/kvs out
	mkdir "$s" && echo mem >"$s/backend" &&
	echo "$KFI_IPADDR" >"$s/addr" && echo $SPORT >"$s/port" &&
	write_err "Invalid argument" "$s/secret" short-secret &&
	write_err "Invalid argument" "$s/secret" "$(printf 'k%.0s' $(seq 65))" &&
	echo "$SECRET" >"$s/secret" && echo 1 >"$s/enable" || return 1
	write_err "busy" "$s/secret" "$SECRET-changed" || return 1
	if out=$(cat "$s/secret" 2>&1) || [[ $out == *"$SECRET"* ]]; then
		echo "the target's secret read back: $out"
		return 1
	fi
	mkdir "$c" && echo "$KFI_IPADDR" >"$c/addr" && echo $SPORT >"$c/port" &&
	echo kvsec >"$c/store" &&
	write_err "Invalid argument" "$c/secret" short-secret &&
	echo "$SECRET" >"$c/secret" || return 1
	if out=$(cat "$c/secret" 2>&1) || [[ $out == *"$SECRET"* ]]; then
		echo "the client's secret read back: $out"
		return 1
	fi
}

# The right secret: the device comes up and objects go through it.
auth_right()
{
	local got
	echo 1 >"$CCFS/kvs/enable" &&
	echo authed | "$KFKV" kvs put ak >/dev/null &&
	got=$("$KFKV" kvs get ak) && [ "$got" = authed ] &&
	"$KFKV" kvs del ak &&
	write_err "busy" "$CCFS/kvs/secret" "$SECRET" &&
	echo 0 >"$CCFS/kvs/enable"
}

# A wrong secret: refused, and the target says which store and peer.
auth_wrong()
{
	local mark="kfkv-dev: mark auth.wrong" log
	echo "$mark" >/dev/kmsg
	echo "$SECRET-but-wrong" >"$CCFS/kvs/secret" &&
	write_err "Key was rejected" "$CCFS/kvs/enable" 1 || return 1
	[ ! -e /dev/kfkv/kvs ] || { echo "/dev/kfkv/kvs exists"; return 1; }
	# After the last mark: a guest that ran this script before has one.
	log=$(dmesg --notime | tac | awk -v m="$mark" '$0 == m { exit } 1')
	grep -q "kfkv_target: kvsec: client .* failed to authenticate: wrong secret" \
		<<<"$log" || { echo "no refusal naming kvsec in: $log"; return 1; }
	# Neither secret ever reaches the log.
	! dmesg | grep -qF -e "$SECRET" -e "kfkv-dev-secret"
}

# No secret on the device for a store that has one: refused.
auth_none()
{
	echo >"$CCFS/kvs/secret" &&
	write_err "Key was rejected" "$CCFS/kvs/enable" 1 &&
	[ "$(cat "$CCFS/kvs/enable")" = 0 ] && rmdir "$CCFS/kvs"
}

# auth_module CASE [PARAM...]: one case of kfkv_test.ko against kvsec;
# its reasons are in the kernel log.
auth_module()
{
	local c=$1 mark="kfkv-dev: mark auth.$1"
	shift
	echo "$mark" >/dev/kmsg
	if insmod "$TKO" case="$c" ipaddr="$KFI_IPADDR" port=$SPORT \
		store=kvsec "$@" 2>/dev/null; then
		rmmod kfkv_test
		return
	fi
	dmesg --notime | tac | awk -v m="$mark" '$0 == m { exit } 1' |
		grep kfkv | head -20 | tac
	return 1
}

# The client API: the secret opens the store; a wrong one, none, one too
# short, and one for a store that has none are refused.
auth_api()
{
	auth_module auth secret="$SECRET" plain=kvustore plain_port=$PORT
}

# A raw peer's request before the exchange, and a forged proof: both
# answered AUTH and dropped; then the store goes.
auth_raw()
{
	local rc=0
	auth_module unauth || rc=1
	echo 0 >"$TCFS/kvsec/enable" && rmdir "$TCFS/kvsec" && return $rc
}

unload()
{
	echo 0 >"$CCFS/kvu/enable" && rmdir "$CCFS/kvu" &&
	echo 0 >"$TCFS/kvustore/enable" && rmdir "$TCFS/kvustore" &&
	kfblk_unload
}


kt_call load load
for n in 0 1 4096 1048576; do
	kt_check "size.$n" size_case "$n"
done
kt_check conditions conditions
kt_check list listing
for g in badptr badlen badflags; do
	kt_check "$g" "$UAPI" "$DEV" "$g"
done
kt_check perm.denied perm_denied
kt_check perm.allowed perm_allowed
kt_check perm.revoked perm_revoked
kt_check admin admin
kt_call disable disable
for n in 0 1 4096 1048576; do
	kt_check "uring.size.$n" "$UAPI" "$DEV" uring_size "$n"
done
kt_check uring.depth32 "$UAPI" "$DEV" uring_depth
kt_check uring.bad "$UAPI" "$DEV" uring_bad
kt_check uring.perm uring_perm
kt_report uring.detach uring_gone client
kt_report uring.target_gone uring_gone target
kt_report bench bench
kt_check auth.config auth_config
kt_check auth.right auth_right
kt_check auth.wrong auth_wrong
kt_check auth.none auth_none
kt_check auth.api auth_api
kt_check auth.raw auth_raw
kt_call unload unload
kt_exit
