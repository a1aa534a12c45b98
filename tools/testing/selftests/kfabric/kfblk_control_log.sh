#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk control interface, what the administrator is told: every refused
# configfs value fails with the documented error number and writes the
# documented kernel log line (Documentation/kfabric/kfblk.rst, "Refused
# values"), word for word, and only after the refusal.  Standalone KTAP
# producer; run as root in the VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

T=/sys/kernel/config/kfblk_target
C=/sys/kernel/config/kfblk
MARK=0

kt_plan 19
trap kfblk_cleanup EXIT

# log_since_mark: kernel log lines after the last mark, no timestamps.
log_since_mark()
{
	dmesg --notime | awk -v m="kfblk-log-test: mark $MARK" '
		$0 == m { n = 0; found = 1; next }
		found { l[n++] = $0 }
		END { for (i = 0; i < n; i++) print l[i] }'
}

new_mark()
{
	MARK=$((MARK + 1))
	echo "kfblk-log-test: mark $MARK" >/dev/kmsg
}

# says NAME ERRNO LINE COMMAND...: COMMAND fails with the error text of
# ERRNO (as strerror() words it) and the kernel log then holds LINE.
says()
{
	local name=$1 err=$2 line=$3 out log
	shift 3
	new_mark
	if out=$("$@" 2>&1); then
		kt_fail "$name" "accepted"
		return
	fi
	log=$(log_since_mark)
	if [[ $out != *"$err"* ]]; then
		kt_diag "$out"
		kt_fail "$name" "refused, but not with '$err'"
	elif ! grep -qxF -e "$line" <<<"$log"; then
		kt_diag "wanted: $line"
		kt_diag "${log:-(nothing logged)}"
		kt_fail "$name" "not the documented log line"
	else
		kt_ok "$name"
	fi
}

# put FILE VALUE: the write a test refuses.
put()
{
	echo "$2" >"$1"
}

EINVAL="Invalid argument"
EBUSY="Device or resource busy"

if ! kfblk_load; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
nb=$(nullb_create kfbt_log 32)
mkdir "$T/log" && mkdir "$C/log"
if [ -z "$nb" ] || [ ! -d "$T/log" ] || [ ! -d "$C/log" ]; then
	kt_fail setup "cannot create the directories"
	exit 1
fi
kt_ok setup

# Target side.
says target.bad_name "$EINVAL" \
	"kfblk_target: export name 'bad:name': need 1-15 of [A-Za-z0-9._-]" \
	mkdir "$T/bad:name"
says target.relative_path "$EINVAL" \
	"kfblk_target: device_path: need an absolute path shorter than 256 bytes" \
	put "$T/log/device_path" dev/nullb0
says target.bad_addr "$EINVAL" \
	"kfblk_target: addr: '999.1.2.3' is not an IPv4 or IPv6 address" \
	put "$T/log/addr" 999.1.2.3
says target.port_zero "$EINVAL" "kfblk_target: port: need 1-65535" \
	put "$T/log/port" 0
says target.port_text "$EINVAL" "kfblk_target: port: need 1-65535" \
	put "$T/log/port" http
says target.read_only "$EINVAL" "kfblk_target: read_only: need 0 or 1" \
	put "$T/log/read_only" maybe
says target.enable_text "$EINVAL" "kfblk_target: enable: need 0 or 1" \
	put "$T/log/enable" maybe
says target.enable_unset "$EINVAL" \
	"kfblk_target: log: set device_path, addr and port first" \
	put "$T/log/enable" 1
echo "$nb" >"$T/log/device_path"
echo "$KFI_IPADDR" >"$T/log/addr"
echo "$KFBLK_PORT" >"$T/log/port"
kt_check target.enable sh -c "echo 1 > $T/log/enable"
says target.change_while_enabled "$EBUSY" \
	"kfblk_target: log: port cannot change while enabled" \
	put "$T/log/port" 4792

# Client side.
says client.bad_addr "$EINVAL" \
	"kfblk: addr: '1.2.3.4.5' is not an IPv4 or IPv6 address" \
	put "$C/log/addr" 1.2.3.4.5
says client.bad_port "$EINVAL" "kfblk: port: need 1-65535" \
	put "$C/log/port" -1
says client.bad_export "$EINVAL" \
	"kfblk: export: need 1-15 of [A-Za-z0-9._-]" \
	put "$C/log/export" "no/slashes"
says client.enable_text "$EINVAL" "kfblk: enable: need 0 or 1" \
	put "$C/log/enable" maybe
says client.enable_unset "$EINVAL" \
	"kfblk: log: set addr, port and export first" \
	put "$C/log/enable" 1
echo "$KFI_IPADDR" >"$C/log/addr"
echo "$KFBLK_PORT" >"$C/log/port"
echo log >"$C/log/export"
kt_check client.enable sh -c "echo 1 > $C/log/enable"
says client.change_while_mapped "$EBUSY" \
	"kfblk: log: export cannot change while mapped" \
	put "$C/log/export" other

kt_check teardown rmdir "$C/log" "$T/log"
kt_exit
