#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ext4 on kfblk: mkfs, mount, write files, remount (so reads come from the
# target, not the page cache), compare checksums, umount, fsck clean.
# Over the provider KFBLK_PROVIDER names (kfblk_fs_tcp.sh: tcp).
# Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

kt_plan 8

mnt=$(mktemp -d /tmp/kfblk-fs.XXXXXX)
sums=$mnt.sums

cleanup()
{
	mountpoint -q "$mnt" && umount "$mnt"
	rmdir "$mnt" 2>/dev/null
	rm -f "$sums"
	kfblk_cleanup
}
trap cleanup EXIT

if ! kfblk_load; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
dev=$(kfblk_setup fs 64 blocksize=4096 cache_size=8 discard=1)
if [ -z "$dev" ] || [ ! -b "$dev" ]; then
	kt_fail setup "cannot export and map a device"
	exit 1
fi
kt_ok setup
kt_check provider kfblk_on_provider

kt_check fs.mkfs mkfs.ext4 -q -F "$dev"
kt_check fs.mount mount -t ext4 "$dev" "$mnt"

write_files()
{
	local i
	mkdir -p "$mnt/dir" || return 1
	for i in 1 2 3 4 5 6 7 8; do
		head -c $((i * 777777)) /dev/urandom >"$mnt/dir/file$i" || return 1
	done
	head -c 12345 /dev/urandom >"$mnt/small" &&
	sync &&
	(cd "$mnt" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$sums"
}
kt_check fs.write write_files

readback()
{
	umount "$mnt" &&
	echo 3 >/proc/sys/vm/drop_caches &&
	mount -t ext4 "$dev" "$mnt" &&
	(cd "$mnt" && sha256sum --quiet -c "$sums")
}
kt_check fs.readback readback

kt_check fs.umount umount "$mnt"
kt_check fs.fsck fsck.ext4 -f -n "$dev"

kt_exit
