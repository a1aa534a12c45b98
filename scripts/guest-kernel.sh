#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) a guest kernel from Debian's linux-source-6.1: defconfig +
# kvm_guest.config + the fragment tools/testing/vm/<flavour>.config, with the
# fixes in tools/testing/vm/kernel-patches/ applied to the source (each says
# which kernel bug it fixes and why the lanes need it).  The flavours:
#   debug   KASAN, lockdep, kmemleak, fault injection (make check-debug)
#   lean    no checkers, no debug options (make bench KERNEL=lean)
#
# The result is cached under $KFI_CACHE/<flavour>-kernel/<hash>, the hash
# covering the fragment's settings (not its comments), the patches, the
# build recipe's version and the source package's version (bump $recipe
# when a change here must rebuild):
#   <dir>/build             the O= build tree; use it as KDIR for our modules
#   <dir>/root/boot/vmlinuz-<kver>, <dir>/root/lib/modules/<kver>
#                           what tools/testing/vm/run --kernel takes
# Prints <dir> on stdout.  A second run with nothing changed returns at once.
#
# Usage: scripts/guest-kernel.sh FLAVOUR [--print-dir]
#   --print-dir   only print where the build is (or would be); build nothing

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"

flavour=${1:-}
fragment=$top/tools/testing/vm/$flavour.config
if [ -z "$flavour" ] || [ ! -e "$fragment" ]; then
	known=$(cd "$top/tools/testing/vm" && ls -- *.config)
	kfi_die "usage: $0 FLAVOUR [--print-dir]; FLAVOUR is one of:" \
		"$(echo "$known" | sed 's/\.config$//' | xargs)"
fi
patches=$top/tools/testing/vm/kernel-patches
jobs=${KFI_JOBS:-$(nproc)}

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
	kfi_die "linux-source-6.1 is not installed; run 'make deps'"
recipe="defconfig kvm_guest.config + fragment, v1"
# The fragment's settings count, its comments do not.
settings=$(sed -e '/^# CONFIG_/b' -e '/^#/d' -e '/^$/d' "$fragment")
hash=$( { echo "$settings"; cat "$patches"/*.patch; echo "$recipe";
	  echo "$srcver"; } | sha256sum | cut -c1-12)
dir=$KFI_CACHE/$flavour-kernel/$hash
src=$KFI_CACHE/src/linux-source-6.1_$srcver

if [ "${2:-}" = --print-dir ]; then
	echo "$dir"
	exit 0
fi

if [ -e "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$KFI_CACHE/$flavour-kernel" "$KFI_CACHE/src"
# One builder at a time, of any flavour (they share the unpacked source);
# a second caller waits and then finds its kernel done.
exec 9>"$KFI_CACHE/src/.guest-kernel.lock"
flock 9
if [ -e "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

start=$(date +%s)
if [ ! -e "$src/.unpacked" ]; then
	kfi_log "unpacking $KFI_LINUX_SRC_TAR"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$KFI_LINUX_SRC_TAR" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.unpacked"
	mv "$src.tmp" "$src"
fi

# The source is shared with other builds: apply each fix once.
for p in "$patches"/*.patch; do
	if patch -d "$src" -p1 -R -s -f --dry-run <"$p" >/dev/null; then
		continue
	fi
	kfi_log "applying ${p##*/}"
	patch -d "$src" -p1 -s -f <"$p" || kfi_die "$p does not apply"
done

rm -rf "$dir"
mkdir -p "$dir/build" "$dir/root/boot"
cp "$fragment" "$dir/$flavour.config"
kmake=(nice make -C "$src" O="$dir/build" -j"$jobs" -s)

kfi_log "configuring in $dir/build"
"${kmake[@]}" defconfig kvm_guest.config >/dev/null

# Apply the fragment through scripts/config, then let Kconfig settle it.
args=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=y)	args+=(--enable "${line%%=*}") ;;
	CONFIG_*=m)	args+=(--module "${line%%=*}") ;;
	CONFIG_*=\"*\")	v=${line#*=\"}; args+=(--set-str "${line%%=*}" "${v%\"}") ;;
	CONFIG_*=*)	args+=(--set-val "${line%%=*}" "${line#*=}") ;;
	"# CONFIG_"*" is not set")
		v=${line#\# }; args+=(--disable "${v%% *}") ;;
	esac
done <"$fragment"
"$src/scripts/config" --file "$dir/build/.config" "${args[@]}"
"${kmake[@]}" olddefconfig >/dev/null

# Kconfig silently drops what it cannot satisfy: make that loud.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*|"# CONFIG_"*" is not set") ;;
	*) continue ;;
	esac
	if ! grep -qxF "$line" "$dir/build/.config"; then
		kfi_log "config did not keep: $line"
		bad=1
	fi
done <"$fragment"
[ "$bad" = 0 ] || kfi_die "fix $fragment"

kfi_log "building bzImage and modules with -j$jobs (slow: ~15 min on 2 cores)"
"${kmake[@]}" bzImage modules
kver=$(cat "$dir/build/include/config/kernel.release")
"${kmake[@]}" INSTALL_MOD_PATH="$dir/root" modules_install >/dev/null
cp "$dir/build/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$kver"
cp "$dir/build/.config" "$dir/root/boot/config-$kver"
depmod -b "$dir/root" "$kver"
end=$(date +%s)
echo "$((end - start))" >"$dir/build-seconds"
touch "$dir/done"
kfi_log "$flavour kernel $kver built in $((end - start)) s"
echo "$dir"
