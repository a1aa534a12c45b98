#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package: `make deb` builds kfabric-dkms from this tree (into
# /tmp: the tree may be read-only), dpkg unpacks it into a scratch root,
# and its contents are checked: the DKMS source tree (every module
# dkms.conf names, no build products, no tests), the headers, kfi_info and
# kfblkctl (the packaged kfi_info run against the live kernel), the
# documentation and the maintainer scripts.  `dkms build` itself runs on
# the host (make dkms), where compiling is fast.  Standalone KTAP producer;
# run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

PY=$(command -v /usr/bin/python3 || command -v python3)
tmp=$(mktemp -d /tmp/kfi_package.XXXXXX)
R=$tmp/root
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$KFI_TOP/dkms.conf")
SRC=$R/usr/src/kfabric-$VERSION

kt_plan 9
trap 'kfblk_unload; rm -rf "$tmp"' EXIT

build()
{
	make -s -C "$KFI_TOP" deb KFI_DEB_DIR="$tmp/out" || return 1
	deb=$tmp/out/kfabric-dkms_${VERSION}_all.deb
	[ -s "$deb" ] && cp "$deb" "$KFI_OUT/" 2>/dev/null
	[ -s "$deb" ]
}
if [ -z "$VERSION" ] || ! build >"$tmp/build.log" 2>&1; then
	kt_diag "$(tail -n 20 "$tmp/build.log")"
	kt_fail build "make deb failed"
	exit 1
fi
kt_ok build

control()
{
	local f
	f() { dpkg-deb -f "$deb" "$1"; }
	[ "$(f Package)" = kfabric-dkms ] && [ "$(f Version)" = "$VERSION" ] &&
	[ "$(f Architecture)" = all ] && f Depends | grep -q 'dkms' &&
	f Depends | grep -q python3
}
kt_check control control

unpack()
{
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" &&
	touch "$R/var/lib/dpkg/status" &&
	dpkg --root="$R" --log="$R/dpkg.log" --force-depends --unpack "$deb" &&
	dpkg --root="$R" -s kfabric-dkms | grep -qx 'Status: install ok unpacked' &&
	(cd "$R" && md5sum --quiet -c var/lib/dpkg/info/kfabric-dkms.md5sums)
}
kt_check unpack unpack

# The DKMS tree: every module dkms.conf builds is one this tree's build
# made outside the tests, each from a directory that is in the package;
# no build products, no test modules or benchmarks.
sources()
{
	local want got conf
	conf=$(kernelver=x arch=x kernel_source_dir=/k dkms_tree=/d bash -c \
		". '$SRC/dkms.conf' && declare -p MAKE BUILT_MODULE_NAME BUILT_MODULE_LOCATION") ||
		return 1
	echo "$conf" | grep -q 'KFI_BUILD_TESTS=0' || { echo "MAKE keeps the tests"; return 1; }
	got=$(bash -c "$conf"'; for i in "${!BUILT_MODULE_NAME[@]}"; do
		echo "${BUILT_MODULE_LOCATION[i]}${BUILT_MODULE_NAME[i]}.ko"; done' | sort)
	want=$(cd "$KFI_TOP" && find kfabric providers consumers -name '*.ko' | sort)
	[ "$got" = "$want" ] || { echo "dkms.conf: $got; tree built: $want"; return 1; }
	for f in $got; do
		[ -e "$SRC/$(dirname "$f")/Kbuild" ] || { echo "no $f source"; return 1; }
	done
	[ -x "$SRC/scripts/dkms-post-build.sh" ] && [ -e "$SRC/Makefile" ] &&
		[ -e "$SRC/Kbuild" ] || return 1
	if find "$SRC" -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o \
		-name '*.mod.c' -o -name 'Module.symvers' -o -path '*/tools/*' |
		grep .; then
		return 1
	fi
}
kt_check dkms_sources sources

headers()
{
	local h
	for h in kfi.h kfi_provider.h; do
		cmp "$KFI_TOP/include/kfabric/$h" "$SRC/include/kfabric/$h" || return 1
	done
}
kt_check headers headers

tools()
{
	local t
	for t in kfi_info:tools/kfi_info/kfi_info kfblkctl:consumers/block/kfblkctl; do
		[ -x "$R/usr/sbin/${t%%:*}" ] &&
		cmp "$R/usr/sbin/${t%%:*}" "$KFI_TOP/${t#*:}" || return 1
	done
	"$R/usr/sbin/kfblkctl" 2>/dev/null
	[ $? = 2 ] || { echo "kfblkctl without arguments: not a usage error"; return 1; }
}
kt_check tools tools

# The packaged kfi_info reads the live kernel.
live()
{
	modprobe -a rdma_cm ib_core || return 1
	kfblk_load_one kfabric kfabric/kfabric.ko &&
	kfblk_load_one kfi_verbs providers/verbs/kfi_verbs.ko || return 1
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	"$PY" "$R/usr/sbin/kfi_info" --json >"$tmp/info.json" || return 1
	"$PY" - "$tmp/info.json" "${KFI_RXE_DEV:-rxe0}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert [p["name"] for p in d["providers"]] == ["verbs"], d["providers"]
assert sys.argv[2] in [x["name"] for x in d["domains"]], d["domains"]
EOF
	local rc=$?
	kfblk_unload || return 1
	return $rc
}
kt_check kfi_info_runs live

docs()
{
	local d=$R/usr/share/doc/kfabric-dkms f
	for f in copyright README.md Documentation/testing.rst \
		Documentation/kfabric/kfi_info.rst Documentation/kfabric/packaging.rst; do
		[ -s "$d/$f" ] || { echo "no $f"; return 1; }
	done
}
kt_check docs docs

# Maintainer scripts: valid sh, DKMS driven with this version.
maint()
{
	local i=$R/var/lib/dpkg/info
	sh -n "$i/kfabric-dkms.postinst" && sh -n "$i/kfabric-dkms.prerm" &&
	grep -q "common.postinst kfabric $VERSION " "$i/kfabric-dkms.postinst" &&
	grep -q "dkms remove -m kfabric -v $VERSION --all" "$i/kfabric-dkms.prerm"
}
kt_check maintainer_scripts maint

kt_exit
