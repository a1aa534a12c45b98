# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared settings for kfabric's scripts; source it, do not run it.
#
# Everything downloaded or built for testing lives in $KFI_CACHE, outside the
# clone, so a fresh clone reuses it and `git clean` never throws it away.

: "${KFI_CACHE:=/var/cache/kfabric}"
: "${KVER:=6.1.0-56-amd64}"
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
