#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk control interface: bad input is refused (-EINVAL and a kernel log
# message) and changes nothing, on the target's exports and on the
# client's mappings.  Standalone KTAP producer; run as root in the VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

T=/sys/kernel/config/kfblk_target
C=/sys/kernel/config/kfblk

kt_plan 20
trap kfblk_cleanup EXIT

# said_why MARK MODULE: the kernel log has, after the line MARK, a line
# from MODULE (its pr_fmt prefix "MODULE: ").  The mark itself, written
# from user space, does not count.
said_why()
{
	dmesg --notime | awk -v m="$1" -v p="$2: " '
		$0 == m { found = 1; hit = 0; next }
		found && index($0, p) == 1 { hit = 1 }
		END { exit !hit }'
}

# refused NAME FILE VALUE: the write fails, FILE keeps its value, and the
# module behind FILE (kfblk_target for target.*, kfblk for client.*) said
# why in the kernel log.
refused()
{
	local name=$1 file=$2 val=$3 old new mark mod=kfblk
	[[ $name != target.* ]] || mod=kfblk_target
	old=$(cat "$file")
	mark="kfi-test-mark: $name"
	echo "$mark" >/dev/kmsg
	if echo "$val" >"$file" 2>/dev/null; then
		kt_fail "$name" "'$val' accepted"
		return
	fi
	new=$(cat "$file")
	if [ "$old" != "$new" ]; then
		kt_fail "$name" "value changed from '$old' to '$new'"
	elif ! said_why "$mark" "$mod"; then
		kt_fail "$name" "no $mod message in the kernel log"
	else
		kt_ok "$name"
	fi
}

if ! kfblk_load; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
nb=$(nullb_create kfbt_ctl 32)
mkdir "$T/ctl" && mkdir "$C/ctl"
if [ -z "$nb" ] || [ ! -d "$T/ctl" ] || [ ! -d "$C/ctl" ]; then
	kt_fail setup "cannot create the directories"
	exit 1
fi
kt_ok setup

# Target side.
if mkdir "$T/this-name-is-too-long" 2>/dev/null ||
   mkdir "$T/bad:name" 2>/dev/null; then
	kt_fail target.bad_name "accepted"
	rmdir "$T/this-name-is-too-long" "$T/bad:name" 2>/dev/null
else
	kt_ok target.bad_name
fi
refused target.relative_path "$T/ctl/device_path" dev/nullb0
refused target.bad_addr "$T/ctl/addr" 999.1.2.3
refused target.hostname_addr "$T/ctl/addr" localhost
refused target.port_zero "$T/ctl/port" 0
refused target.port_too_big "$T/ctl/port" 70000
refused target.port_text "$T/ctl/port" http
refused target.enable_unset "$T/ctl/enable" 1
echo /dev/does-not-exist >"$T/ctl/device_path"
echo "$KFI_IPADDR" >"$T/ctl/addr"
echo "$KFBLK_PORT" >"$T/ctl/port"
refused target.enable_no_device "$T/ctl/enable" 1
echo "$nb" >"$T/ctl/device_path"
kt_check target.enable sh -c "echo 1 > $T/ctl/enable"
refused target.change_while_enabled "$T/ctl/port" 4792

# Client side.
refused client.bad_addr "$C/ctl/addr" 1.2.3.4.5
refused client.bad_port "$C/ctl/port" -1
refused client.bad_export "$C/ctl/export" "no/slashes"
refused client.enable_unset "$C/ctl/enable" 1
echo "$KFI_IPADDR" >"$C/ctl/addr"
echo "$KFBLK_PORT" >"$C/ctl/port"
echo nosuchexport >"$C/ctl/export"
refused client.unknown_export "$C/ctl/enable" 1
echo ctl >"$C/ctl/export"
echo $((KFBLK_PORT + 1)) >"$C/ctl/port"
refused client.nobody_listening "$C/ctl/enable" 1

# After all that, the right values still work.
echo "$KFBLK_PORT" >"$C/ctl/port"
if echo 1 >"$C/ctl/enable" && [ "$(cat "$C/ctl/state")" = live ] &&
   dd if="/dev/$(cat "$C/ctl/device")" of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null; then
	kt_ok client.map_after_errors
else
	kt_fail client.map_after_errors "state $(cat "$C/ctl/state")"
fi

kt_check teardown rmdir "$C/ctl" "$T/ctl"
kt_exit
