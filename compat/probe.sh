#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Kernel feature probes, run by the top-level Kbuild:
#
#   probe.sh DIR CC CFLAGS...
#
# compiles every DIR/<name>.c against the kernel being built for, with that
# kernel's own compiler and flags, and prints -DKFI_HAVE_<NAME> for each one
# that compiles.  kfi_compat.h turns those into one API for every kernel.
# Probing what the headers offer, rather than comparing version numbers,
# keeps distribution kernels with backported changes right.
#
# Each probe is first compiled with its #include lines alone: if that
# fails, the flags are wrong, not the feature missing, and the answer would
# be silently wrong; then print KFI_PROBE_FAILED and let Kbuild stop.

dir=$1
shift
out=$(mktemp -d "${TMPDIR:-/tmp}/kfi-probe.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT

# What Kbuild gives every object of a module, which some headers use.
set -- "$@" -DKBUILD_MODNAME='"kfi_probe"' -DKBUILD_BASENAME='"kfi_probe"' \
	-D__KBUILD_MODNAME=kmod_kfi_probe

# Each probe takes a second or so: run them side by side.
for f in "$dir"/*.c; do
	name=${f##*/}
	name=${name%.c}
	{
		if ! grep '^#include' "$f" |
			"$@" -fsyntax-only -x c - >"$out/$name.log" 2>&1; then
			touch "$out/broken-$name"
		elif "$@" -fsyntax-only "$f" >/dev/null 2>&1; then
			echo "-DKFI_HAVE_$name" | tr '[:lower:]' '[:upper:]' \
				>"$out/have-$name"
		fi
	} &
done
wait
for f in "$out"/broken-*; do
	[ -e "$f" ] || continue
	name=${f##*/broken-}
	echo "probe $name: its headers do not compile:" >&2
	cat "$out/$name.log" >&2
	echo KFI_PROBE_FAILED
	exit 0
done
cat "$out"/have-* 2>/dev/null | sort | tr '\n' ' '
