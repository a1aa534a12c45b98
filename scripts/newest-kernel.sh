#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare (once) a tree of the newest kernel line Debian ships, to build our
# modules against it, and unpack that line's Debian image for the test VM.
#
# Debian 12 cannot use that line's linux-headers package (its tools need a
# newer glibc), so the tree is made from the source:
#   - linux-source-$KFI_NEWEST, linux-config-$KFI_NEWEST, the matching
#     linux-headers-<kver> (only its Module.symvers is used) and the
#     image's parts (linux-binary-, linux-modules-, linux-base-<kver>: the
#     kernel, its modules, modules.builtin) are downloaded from $KFI_NEWEST_SUITE with an apt
#     configuration of their own under $KFI_CACHE/apt-newest: the host's apt
#     sources are not touched and nothing is installed;
#   - Debian's amd64 config, with Rust off (the host has no rustc), is
#     prepared with the host's gcc by `make modules_prepare`, KERNELRELEASE
#     set to Debian's.  BTF and debug info stay on: they shape struct
#     module and, through sched_ext, struct task_struct, and a module built
#     without them does not load into Debian's image ("Invalid relocation
#     target" on its struct module);
#   - Debian's Module.symvers goes into the tree, so modpost checks every
#     symbol we use is exported and our modules load in Debian's image.
#
# Cached under $KFI_CACHE/newest-kernel/<hash> (hash of the recipe, the
# version and the config changes), like scripts/guest-kernel.sh debug:
#   <dir>/build       the prepared O= tree: KDIR for our modules
#   <dir>/root/boot/vmlinuz-<kver>, <dir>/root/lib/modules/<kver>
#                     Debian's image, for tools/testing/vm/run --kernel
# Prints <dir> on stdout; a second run with nothing changed returns at once.
#
# Usage: scripts/newest-kernel.sh [--print-dir]

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"

: "${KFI_NEWEST:=7.3}"
: "${KFI_NEWEST_SUITE:=trixie-backports}"
: "${KFI_NEWEST_MIRROR:=http://deb.debian.org/debian}"
jobs=${KFI_JOBS:-$(nproc)}
recipe="debian config, -rust, modules_prepare, symvers, v3"
config_changes=(--disable RUST --set-str SYSTEM_TRUSTED_KEYS ""
		--set-str SYSTEM_REVOCATION_KEYS "")

apt_dir=$KFI_CACHE/apt-newest
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	  -o Dir::Etc::SourceParts=/dev/null
	  -o "Dir::State::Lists=$apt_dir/lists"
	  -o "Dir::Cache=$apt_dir/cache" -o APT::Get::List-Cleanup=0)

# The suite's package lists, refreshed when older than a day.
apt_lists()
{
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
	     "$KFI_NEWEST_MIRROR $KFI_NEWEST_SUITE main" >"$apt_dir/sources.list"
	if [ -z "$(find "$apt_dir/updated" -mtime -1 2>/dev/null)" ]; then
		kfi_log "fetching $KFI_NEWEST_SUITE package lists"
		apt-get "${apt_opts[@]}" -q update >&2
		touch "$apt_dir/updated"
	fi
}

candidate()
{
	apt-cache "${apt_opts[@]}" policy "$1" |
		sed -n 's/^ *Candidate: *//p' | grep -v '(none)'
}

# The kernel release of the flavour Debian builds from that source version,
# e.g. 7.3.4+deb13-amd64.
debian_kver()
{
	local p
	for p in $(apt-cache "${apt_opts[@]}" pkgnames "linux-headers-$KFI_NEWEST." |
		   grep -E '^linux-headers-[0-9.]+\+[a-z0-9]+-amd64$'); do
		if [ "$(candidate "$p")" = "$1" ]; then
			echo "${p#linux-headers-}"
			return
		fi
	done
	return 1
}

# Download a package into $KFI_CACHE/debs unless it is there; print its path.
fetch()
{
	local debs=$KFI_CACHE/debs deb
	mkdir -p "$debs"
	chown _apt "$debs" 2>/dev/null || true
	deb=$(ls "$debs/$1"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		(cd "$debs" && apt-get "${apt_opts[@]}" -q download "$1" >&2)
		deb=$(ls "$debs/$1"_*.deb | head -n1)
	fi
	echo "$deb"
}

apt_lists
srcver=$(candidate "linux-source-$KFI_NEWEST") ||
	kfi_die "no linux-source-$KFI_NEWEST in $KFI_NEWEST_SUITE"
kver=$(debian_kver "$srcver") ||
	kfi_die "no amd64 linux-headers for $srcver in $KFI_NEWEST_SUITE"
hash=$( { echo "$recipe $srcver $kver"; echo "${config_changes[*]}"; } |
	sha256sum | cut -c1-12)
dir=$KFI_CACHE/newest-kernel/$hash

if [ "${1:-}" = --print-dir ]; then
	echo "$dir"
	exit 0
fi
[ -e "$dir/done" ] && { echo "$dir"; exit 0; }

mkdir -p "$KFI_CACHE/newest-kernel" "$KFI_CACHE/src"
exec 9>"$KFI_CACHE/newest-kernel/.lock"
flock 9
[ -e "$dir/done" ] && { echo "$dir"; exit 0; }

start=$(date +%s)
pkg=$KFI_CACHE/src/linux-$KFI_NEWEST-pkgs_$srcver
src=$KFI_CACHE/src/linux-source-${KFI_NEWEST}_$srcver
if [ ! -e "$pkg/.unpacked" ]; then
	rm -rf "$pkg"
	mkdir -p "$pkg"
	for p in "linux-source-$KFI_NEWEST" "linux-config-$KFI_NEWEST" \
		 "linux-headers-$kver"; do
		dpkg -x "$(fetch "$p")" "$pkg"
	done
	touch "$pkg/.unpacked"
fi
if [ ! -e "$src/.unpacked" ]; then
	kfi_log "unpacking linux-source-$KFI_NEWEST $srcver"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$pkg/usr/src/linux-source-$KFI_NEWEST.tar.xz" -C "$src.tmp" \
		--strip-components=1
	touch "$src.tmp/.unpacked"
	mv "$src.tmp" "$src"
fi

rm -rf "$dir"
mkdir -p "$dir/build" "$dir/root"
kfi_log "preparing $kver in $dir/build"
xzcat "$pkg/usr/src/linux-config-$KFI_NEWEST/config.amd64_none_amd64.xz" \
	>"$dir/build/.config"
"$src/scripts/config" --file "$dir/build/.config" "${config_changes[@]}"
kmake=(nice make -C "$src" O="$dir/build" -j"$jobs" -s KERNELRELEASE="$kver")
"${kmake[@]}" olddefconfig >/dev/null
"${kmake[@]}" modules_prepare
cp "$pkg/usr/src/linux-headers-$kver/Module.symvers" "$dir/build/"
echo "$kver" >"$dir/kver"

kfi_log "unpacking the image of $kver"
for p in "linux-binary-$kver" "linux-modules-$kver" "linux-base-$kver"; do
	dpkg -x "$(fetch "$p")" "$dir/root"
done
# Laid out as the VM expects (these packages use /usr/lib/modules and keep
# vmlinuz there).
if [ -d "$dir/root/usr/lib/modules/$kver" ]; then
	mkdir -p "$dir/root/lib/modules" "$dir/root/boot"
	mv "$dir/root/usr/lib/modules/$kver" "$dir/root/lib/modules/"
fi
if [ -e "$dir/root/lib/modules/$kver/vmlinuz" ]; then
	mv "$dir/root/lib/modules/$kver/vmlinuz" "$dir/root/boot/vmlinuz-$kver"
fi
depmod -b "$dir/root" "$kver"

end=$(date +%s)
echo "$((end - start))" >"$dir/prepare-seconds"
touch "$dir/done"
kfi_log "$kver prepared in $((end - start)) s"
echo "$dir"
