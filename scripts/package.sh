#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfabric's packaging (Documentation/kfabric/packaging.rst):
#
#   scripts/package.sh stage DIR    the DKMS source tree, as DIR/kfabric-<version>
#   scripts/package.sh dkms         stage it, then `dkms add` and `dkms build`
#                                   it against each of $KFI_DKMS_KVERS
#                                   (default $KVER) in a private DKMS tree
#                                   (build/dkms/), never touching the host's
#   scripts/package.sh deb OUTDIR   the Debian package kfabric-dkms_<version>_all.deb
#
# Only plain dpkg-deb is used.  Nothing is written into the source tree
# except under build/ (make dkms), so `make deb` works from a read-only
# clone with OUTDIR elsewhere.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"

PKG=kfabric
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$VERSION" ] || kfi_die "no PACKAGE_VERSION in dkms.conf"
# The modules dkms.conf builds.
mapfile -t MODULES < <(sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"$/\1/p' \
	"$top/dkms.conf")

# Source directories of the modules DKMS builds, and what they need.
SRC_DIRS=(include kfabric providers consumers compat)
SRC_FILES=(Makefile Kbuild dkms.conf LICENSE README.md
	   scripts/dkms-post-build.sh)

# stage DIR: copy the DKMS source tree into DIR/kfabric-$VERSION: sources
# only (no build products), no tests, no benchmarks.
stage()
{
	local dst=$1/$PKG-$VERSION d f
	rm -rf "$dst"
	mkdir -p "$dst"
	for f in "${SRC_FILES[@]}"; do
		install -D -m "$(stat -c %a "$top/$f")" "$top/$f" "$dst/$f"
	done
	for d in "${SRC_DIRS[@]}"; do
		[ -d "$top/$d" ] || continue
		(cd "$top" && find "$d" -type f \( -name '*.[ch]' -o -name Kbuild \
			-o -name Makefile -o -name '*.sh' \) ! -name '*.mod.c' \
			! -name '*_test_lib.sh' \
			-print0) | while IFS= read -r -d '' f; do
			install -D -m "$(stat -c %a "$top/$f")" "$top/$f" "$dst/$f"
		done
	done
	chmod -R u+rwX,go+rX,go-w "$dst"
	echo "$dst"
}

# dkms_one KVER: dkms build of the staged tree (added to the private DKMS
# tree in $b) against KVER; check that every module and Module.symvers
# came out, that no test module did, and that a consumer builds on them.
dkms_one()
{
	local k=$1 kdir=${KDIR:-/usr/src/linux-headers-$1} out m
	local -a opts=(--dkmstree "$b/tree" --sourcetree "$b/src" -m "$PKG"
		       -v "$VERSION")
	if [ ! -d "$kdir" ] && [ -z "${KDIR:-}" ] && [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends "linux-headers-$k" >&2
	fi
	[ -d "$kdir" ] || { kfi_log "no kernel tree $kdir"; return 1; }
	if ! dkms build "${opts[@]}" -k "$k" --kernelsourcedir "$kdir"; then
		tail -n 40 "$b/tree/$PKG/$VERSION/build/make.log" 2>/dev/null
		return 1
	fi
	out=$b/tree/$PKG/$VERSION/$k/$(uname -m)
	for m in "${MODULES[@]}"; do
		modinfo -F vermagic "$out/module/$m.ko"* | grep -q "^$k " ||
			{ kfi_log "$m: not built for $k"; return 1; }
	done
	for m in kfi_getinfo kfi_provider_register; do
		grep -qw "$m" "$out/Module.symvers" ||
			{ kfi_log "$out/Module.symvers lacks $m"; return 1; }
	done
	if grep -E 'kfi_test_|kfi_bench' "$out/log/make.log"; then
		kfi_log "test or benchmark modules in the DKMS build for $k"
		return 1
	fi
	consumer "$b/consumer-$k" "$b/src/$PKG-$VERSION/include" \
		"$out/Module.symvers" "$kdir" || return 1
	echo "dkms: ${#MODULES[@]} modules and Module.symvers for $k in $out"
}

# dkms: stage the tree, add it to a private DKMS tree (build/dkms/), build
# it against each kernel of $KFI_DKMS_KVERS (default $KVER); one test per
# kernel in the closing "dkms: N passed, N failed" line.
do_dkms()
{
	local b=$top/build/dkms k pass=0 fail=0
	command -v dkms >/dev/null || kfi_die "dkms is not installed (make deps)"
	rm -rf "$b"
	mkdir -p "$b/tree" "$b/src"
	stage "$b/src" >/dev/null
	# sign_file: no module signing, so no key is made in /var/lib/dkms.
	export sign_file=/nonexistent
	dkms add --dkmstree "$b/tree" --sourcetree "$b/src" -m "$PKG" \
		-v "$VERSION" || kfi_die "dkms add failed"
	for k in ${KFI_DKMS_KVERS:-$KVER}; do
		if dkms_one "$k"; then
			pass=$((pass + 1))
		else
			echo "dkms: the build against $k FAILED"
			fail=$((fail + 1))
		fi
	done
	dkms status --dkmstree "$b/tree" -m "$PKG"
	echo "dkms: $pass passed, $fail failed"
	[ "$fail" = 0 ]
}

# consumer DIR INCLUDE SYMVERS KDIR: build the example out-of-tree consumer
# in DIR against INCLUDE and SYMVERS; modpost must resolve every kfi_*
# symbol it uses.
consumer()
{
	local d=$1 log
	cp -r "$top/tools/testing/pkg/consumer" "$d"
	if ! log=$(make -C "$4" M="$d" KFI_INCLUDE="$2" \
		KBUILD_EXTRA_SYMBOLS="$3" modules 2>&1); then
		echo "$log"
		kfi_log "the example consumer does not build"
		return 1
	fi
	if echo "$log" | grep -E 'WARNING|undefined'; then
		kfi_log "the example consumer has unresolved symbols"
		return 1
	fi
	[ -e "$d/kfi_example.ko" ] || { kfi_log "no kfi_example.ko"; return 1; }
	echo "dkms: an out-of-tree consumer builds against the headers and Module.symvers"
}

control()
{
	cat <<EOF
Package: kfabric-dkms
Version: $VERSION
Architecture: all
Maintainer: ${KFI_DEB_MAINTAINER:-kfabric developers <kfabric@localhost>}
Installed-Size: $1
Depends: dkms (>= 3), python3, kmod
Recommends: linux-headers-amd64 | linux-headers-generic | linux-headers
Section: kernel
Priority: optional
Homepage: ${KFI_DEB_HOMEPAGE:-https://localhost/kfabric}
Description: kernel fabric interface library (DKMS)
 kfabric gives in-kernel storage consumers one asynchronous, fabric-neutral
 interface (endpoints, completion and event queues, memory regions, in
 libfabric's object model) and maps it onto RDMA devices through its verbs
 provider.  This package builds the modules with DKMS for every installed
 kernel: kfabric (the core), kfi_verbs (the verbs provider), kfi_tcp
 (the provider over kernel TCP sockets), kfblk and kfblk_target (block
 storage over kfabric), kfkv and kfkv_target (key-value objects over
 kfabric).
 .
 It also installs kfi_info (providers, domains and live objects),
 kfblkctl (kfblk exports and mappings), the headers for out-of-tree
 consumers under /usr/src/kfabric-$VERSION/include, and the documentation.
EOF
}

maint_scripts()
{
	local d=$1
	cat >"$d/postinst" <<EOF
#!/bin/sh
set -e
# Add, build and install the modules for the installed kernels.
if [ "\$1" = configure ]; then
	/usr/lib/dkms/common.postinst $PKG $VERSION "" "" "\$2"
fi
EOF
	cat >"$d/prerm" <<EOF
#!/bin/sh
set -e
case "\$1" in
remove|upgrade|deconfigure)
	if [ -n "\$(dkms status -m $PKG -v $VERSION)" ]; then
		dkms remove -m $PKG -v $VERSION --all
	fi
	;;
esac
EOF
	chmod 0755 "$d/postinst" "$d/prerm"
}

copyright()
{
	cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kfabric

Files: *
Copyright: the kfabric authors
License: GPL-2
 On Debian systems the full text of the GNU General Public License
 version 2 is in /usr/share/common-licenses/GPL-2.
EOF
}

# deb OUTDIR
do_deb()
{
	local out=$1 root doc f size deb
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	root=$(mktemp -d "${TMPDIR:-/tmp}/kfabric-deb.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$root'" EXIT

	stage "$root/usr/src" >/dev/null
	install -D -m 0755 "$top/tools/kfi_info/kfi_info" "$root/usr/sbin/kfi_info"
	install -D -m 0755 "$top/consumers/block/kfblkctl" "$root/usr/sbin/kfblkctl"
	doc=$root/usr/share/doc/kfabric-dkms
	install -D -m 0644 "$top/README.md" "$doc/README.md"
	copyright >"$doc/copyright"
	for f in "$top"/Documentation/*.rst "$top"/Documentation/kfabric/*.rst; do
		install -D -m 0644 "$f" "$doc/${f#"$top"/}"
	done

	mkdir -p "$root/DEBIAN"
	maint_scripts "$root/DEBIAN"
	size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
	control "$size" >"$root/DEBIAN/control"
	(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
	find "$root" -type d -exec chmod 0755 {} +

	deb=$out/kfabric-dkms_${VERSION}_all.deb
	dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
	echo "$deb"
}

case ${1:-} in
stage)
	[ $# = 2 ] || kfi_die "usage: $0 stage DIR"
	stage "$2"
	;;
dkms)
	do_dkms
	;;
deb)
	[ $# = 2 ] || kfi_die "usage: $0 deb OUTDIR"
	do_deb "$2"
	;;
*)
	sed -n 's/^#   scripts/scripts/p' "$0" >&2
	exit 2
	;;
esac
