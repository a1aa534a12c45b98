#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make build-newest: build every module, with W=1, against the newest kernel
# line Debian ships (the tree scripts/newest-kernel.sh prepares and caches),
# in build/newest/.  Any compiler or modpost warning fails it, and so does
# a struct module laid out unlike that of Debian's image (where init and
# exit land), which would make the modules fail to load there.  Prints the
# build's output and how long each step took; exits non-zero on failure.

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"

# Where a module's init and exit pointers sit in its struct module.
this_module_layout()
{
	readelf -r -W "$1" |
		sed -n '/rela\.gnu\.linkonce\.this_module/,/^$/p' |
		awk '$5 == "init_module" || $5 == "cleanup_module" { print $1, $5 }'
}

t0=$SECONDS
"$top/scripts/deps.sh" || exit 1
dir=$("$top/scripts/newest-kernel.sh") || exit 1
t1=$SECONDS
kodir=$top/build/newest
kfi_copy_tree "$top" "$kodir"
echo "== building against $(cat "$dir/kver") in $kodir (W=1)"
log=$(mktemp)
rc=0
make -C "$kodir" --no-print-directory KDIR="$dir/build" W=1 modules \
	>"$log" 2>&1 || rc=$?
t2=$SECONDS
if [ $rc != 0 ]; then
	cat "$log"
	echo "== build failed"
elif grep -E 'warning:|error:|note:|WARNING:' "$log"; then
	echo "== warnings"
	rc=1
fi
if [ $rc = 0 ]; then
	ref=$(find "$dir/root/lib/modules" -name 'rdma_rxe.ko*' | head -n1)
	case $ref in
	*.xz) xz -dc "$ref" >"$log" ;;
	*) cp "$ref" "$log" ;;
	esac
	want=$(this_module_layout "$log")
	got=$(this_module_layout "$kodir/kfabric/kfabric.ko")
	if [ -z "$want" ] || [ "$want" != "$got" ]; then
		echo "== struct module differs from Debian's image:"
		echo "   image: ${want:-?}"
		echo "   ours:  ${got:-?}"
		rc=1
	fi
fi
rm -f "$log"
echo "== tree $((t1 - t0)) s, build $((t2 - t1)) s"
exit $rc
