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
# A file that cannot even include <linux/kernel.h> with these flags means the
# flags are wrong, not that features are missing: then print KFI_PROBE_FAILED
# and let Kbuild stop.

dir=$1
shift
out=$(mktemp -d "${TMPDIR:-/tmp}/kfi-probe.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT

if ! echo '#include <linux/kernel.h>' |
	"$@" -fsyntax-only -x c - >"$out/baseline.log" 2>&1; then
	cat "$out/baseline.log" >&2
	echo KFI_PROBE_FAILED
	exit 0
fi

# Each probe takes a second or so: run them side by side.
for f in "$dir"/*.c; do
	name=${f##*/}
	name=${name%.c}
	if "$@" -fsyntax-only "$f" >/dev/null 2>&1; then
		echo "-DKFI_HAVE_$name" | tr '[:lower:]' '[:upper:]' \
			>"$out/have-$name"
	fi &
done
wait
cat "$out"/have-* 2>/dev/null | sort | tr '\n' ' '
