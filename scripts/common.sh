# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared settings for kfabric's scripts; source it, do not run it.
#
# Everything downloaded or built for testing lives in $KFI_CACHE, outside the
# clone, so a fresh clone reuses it and `git clean` never throws it away.

: "${KFI_CACHE:=/var/cache/kfabric}"
# Debian 12's own kernel, the default everywhere; KVER=6.12.<n>+deb12-amd64
# picks the other line Debian 12 ships (bookworm-security).
KFI_KVER_DEFAULT=6.1.0-56-amd64
: "${KVER:=$KFI_KVER_DEFAULT}"
# Where the Debian guest kernel is unpacked (boot/vmlinuz-*, lib/modules/*).
: "${KFI_GUEST:=$KFI_CACHE/linux-image-$KVER}"
: "${KFI_LINUX_SRC_TAR:=/usr/src/linux-source-6.1.tar.xz}"
export KFI_CACHE KVER KFI_GUEST KFI_LINUX_SRC_TAR

kfi_log()
{
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

kfi_die()
{
	kfi_log "$*"
	exit 1
}

# kfi_copy_tree TOP DEST: the sources of TOP in DEST, for building them
# against another kernel (Kbuild writes objects beside the sources).
kfi_copy_tree()
{
	mkdir -p "$2"
	rsync -a --delete --exclude=/.git --exclude=/build --exclude=/results \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod*' \
		--exclude='.*.cmd' --exclude=Module.symvers \
		--exclude=modules.order "$1/" "$2/"
}
