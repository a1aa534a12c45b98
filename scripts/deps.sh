#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building, testing, linting and benchmarking kfabric need on a
# Debian 12 host (run as root), and unpack the guest kernel into $KFI_CACHE.
# Idempotent: when everything is already there it only checks and returns.
#
# The guest kernel (linux-image-$KVER) is downloaded and unpacked, never
# installed on the host: the VM boots it from $KFI_GUEST.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"

pkgs=(
	# build (liburing-dev: the kfkv tool's asynchronous commands)
	make gcc "linux-headers-$KVER" flex bison bc libelf-dev libssl-dev
	liburing-dev
	# test VM: QEMU, initramfs, in-guest tools
	qemu-system-x86 busybox-static kmod cpio iproute2 rdma-core
	ibverbs-utils ibverbs-providers fio nvme-cli e2fsprogs util-linux procps
	dmsetup coreutils
	# packaging: make dkms, make deb
	dkms
	# lint, debug lane (checkpatch.pl and the kernel source)
	sparse perl linux-source-6.1 xz-utils shellcheck git rsync
	# benchmarks (memcached, redis-server and redis-tools' redis-benchmark:
	# the kv suite's baselines, run in the guest from the host's root)
	python3 python3-matplotlib memcached redis-server redis-tools
	# protocol fuzzing (libFuzzer)
	clang libclang-rt-14-dev
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || kfi_die "need root to install: ${missing[*]}"
	kfi_log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
		apt-get update
		apt-get install -y --no-install-recommends "${missing[@]}"
	fi
fi

# The guest kernel, unpacked into the cache.
if [ ! -e "$KFI_GUEST/.unpacked" ]; then
	kfi_log "fetching guest kernel linux-image-$KVER into $KFI_GUEST"
	debs=$KFI_CACHE/debs
	mkdir -p "$debs"
	# Let apt download as its sandbox user when it exists.
	chown _apt "$debs" 2>/dev/null || true
	deb=$(ls "$debs"/linux-image-"$KVER"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		(cd "$debs" && apt-get download "linux-image-$KVER")
		deb=$(ls "$debs"/linux-image-"$KVER"_*.deb | head -n1)
	fi
	rm -rf "$KFI_GUEST.tmp"
	mkdir -p "$KFI_GUEST.tmp"
	dpkg -x "$deb" "$KFI_GUEST.tmp"
	depmod -b "$KFI_GUEST.tmp" "$KVER"
	touch "$KFI_GUEST.tmp/.unpacked"
	rm -rf "$KFI_GUEST"
	mv "$KFI_GUEST.tmp" "$KFI_GUEST"
fi

[ -e "$KFI_GUEST/boot/vmlinuz-$KVER" ] || kfi_die "no kernel in $KFI_GUEST"
[ -d "/usr/src/linux-headers-$KVER" ] || kfi_die "no headers for $KVER"
