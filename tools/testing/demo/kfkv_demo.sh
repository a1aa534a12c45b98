#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfkv demo, run inside the test VM (tools/testing/vm/run -- this script):
# a mem store served by kfkv_target on $KFI_IPADDR (Soft-RoCE), attached
# by the client as /dev/kfkv/demo, and an object put and got from the
# shell with the kfkv tool -- as root, then as an unprivileged user once
# the device's mode lets it read.

set -u

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/../../../consumers/block/kfblk_test_lib.sh
. "$here/../../../consumers/block/kfblk_test_lib.sh"

KFKV=$KFI_KO_DIR/tools/kfkv/kfkv
TCFS=/sys/kernel/config/kfkv_target/objects
CCFS=/sys/kernel/config/kfkv/demo

cleanup()
{
	[ -d "$CCFS" ] && echo 0 >"$CCFS/enable" && rmdir "$CCFS"
	[ -d "$TCFS" ] && echo 0 >"$TCFS/enable" && rmdir "$TCFS"
	kfblk_unload
}
trap cleanup EXIT

# show COMMAND...: print it as typed, then run it.
show()
{
	echo "# $*"
	"$@"
}

kfkv_load || exit 1

echo "== the target serves store 'objects' (mem, 64 MiB)"
mkdir "$TCFS" &&
echo mem >"$TCFS/backend" && echo 65536 >"$TCFS/capacity_kb" &&
echo "$KFI_IPADDR" >"$TCFS/addr" && echo 4796 >"$TCFS/port" &&
echo 1 >"$TCFS/enable" || exit 1

echo "== the client attaches it as /dev/kfkv/demo"
mkdir "$CCFS" &&
echo "$KFI_IPADDR" >"$CCFS/addr" && echo 4796 >"$CCFS/port" &&
echo objects >"$CCFS/store" && echo 1 >"$CCFS/enable" || exit 1
show ls -l /dev/kfkv/

echo "== an object put and got from the shell"
show "$KFKV" demo put greeting <<<"hello from kfkv over Soft-RoCE" &&
show "$KFKV" demo stat greeting &&
show "$KFKV" demo get greeting &&
head -c 1048576 /dev/urandom >/tmp/kfkv-demo.bin &&
show "$KFKV" demo put blob /tmp/kfkv-demo.bin &&
show "$KFKV" demo get blob /tmp/kfkv-demo.out &&
show cmp /tmp/kfkv-demo.bin /tmp/kfkv-demo.out && echo "1 MiB: same bytes back" &&
show "$KFKV" demo ls || exit 1
rm -f /tmp/kfkv-demo.bin /tmp/kfkv-demo.out

echo "== an unprivileged user: refused at mode 0600, reads at 0604"
show setpriv --reuid=65534 --regid=65534 --clear-groups "$KFKV" demo get greeting
show sh -c "echo 0604 > $CCFS/mode" && show ls -l /dev/kfkv/demo &&
show setpriv --reuid=65534 --regid=65534 --clear-groups "$KFKV" demo get greeting
exit 0
