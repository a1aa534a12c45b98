#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: the tree must be clean under
#   1. checkpatch.pl --strict --no-tree -f on every .c and .h of the project
#      (from Debian's linux-source-6.1; only the three files it needs are
#      taken out of the tarball, into $KFI_CACHE, when no unpacked tree is
#      at hand),
#   2. one build of every module with sparse on every file (C=2) and W=1,
#      no warning allowed,
#   3. shellcheck on the project's shell scripts,
#   4. the kernel's scripts/kernel-doc over every file a `.. kernel-doc::`
#      directive of Documentation/ names (with the same :export:), so the
#      rendered API reference has no warning.
# Prints what it found and exits non-zero on any finding.

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/scripts/common.sh"
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}

"$top/scripts/deps.sh" || exit 1

failed=()

# The project's files, as git sees them (tracked or not, never ignored).
project_files()
{
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -co --exclude-standard -- "$@"
	else
		(cd "$top" && find . -path ./build -prune -o -path ./results -prune \
			-o -path ./.git -prune -o -type f -print | sed 's|^\./||' |
			while read -r f; do
				for p in "$@"; do
					# shellcheck disable=SC2053
					[[ $f == $p ]] && { echo "$f"; break; }
				done
			done)
	fi
}

checkpatch()
{
	local ver dir t
	for t in /usr/src/linux-source-6.1 "$KFI_CACHE"/src/linux-source-6.1_*; do
		if [ -x "$t/scripts/checkpatch.pl" ]; then
			echo "$t/scripts/checkpatch.pl"
			return
		fi
	done
	ver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
	dir=$KFI_CACHE/checkpatch-$ver
	if [ ! -x "$dir/scripts/checkpatch.pl" ] ||
	   [ ! -x "$dir/scripts/kernel-doc" ]; then
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		tar -xf "$KFI_LINUX_SRC_TAR" -C "$dir.tmp" --strip-components=1 \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch \
			linux-source-6.1/scripts/kernel-doc >&2 ||
			return 1
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir/scripts/checkpatch.pl"
}

cd "$top" || exit 1

# 1. checkpatch
cp=$(checkpatch) || { echo "lint: no checkpatch.pl" >&2; exit 1; }
mapfile -t cfiles < <(project_files '*.c' '*.h')
echo "== checkpatch --strict ($((${#cfiles[@]})) files)"
# Test code's assertion macros jump to the case's cleanup on purpose (as
# KUnit's do), so only there is MACRO_WITH_FLOW_CONTROL accepted.
cp_run()
{
	[ $# -gt 1 ] || return 0
	"$cp" --strict --no-tree --quiet --no-summary --show-types --terse \
		"$@"
}
mapfile -t tfiles < <(printf '%s\n' "${cfiles[@]}" | grep '^tools/testing/')
mapfile -t kfiles < <(printf '%s\n' "${cfiles[@]}" | grep -v '^tools/testing/')
if ! cp_run -f "${kfiles[@]}" ||
   ! cp_run --ignore MACRO_WITH_FLOW_CONTROL -f "${tfiles[@]}"; then
	failed+=(checkpatch)
fi

# 2. sparse + W=1, in one build of everything
echo "== make C=2 W=1"
log=$(mktemp)
if ! make -C "$KDIR" M="$top" C=2 W=1 CONFIG_KFABRIC=m CONFIG_KFABRIC_VERBS=m \
	CONFIG_KFABRIC_TCP=m \
	CONFIG_KFABRIC_BLOCK=m CONFIG_KFABRIC_TESTS=m modules >"$log" 2>&1; then
	cat "$log"
	failed+=(build)
elif grep -E 'warning:|error:|note:' "$log"; then
	failed+=(sparse/W=1)
fi
rm -f "$log"

# 3. shellcheck
# Shell scripts: *.sh, and files whose first line names a shell.
mapfile -t sfiles < <(project_files '*' | while read -r f; do
	case $f in
	*.sh) echo "$f" ;;
	*.c|*.h|*.rst|*.md|Kbuild|*/Kbuild|Makefile|*/Makefile) ;;
	*) [ -f "$f" ] && head -n1 "$f" | grep -qE '^#!.*/(env )?(ba)?sh\b' &&
		echo "$f" ;;
	esac
done)
echo "== shellcheck (${#sfiles[@]} files)"
if [ ${#sfiles[@]} -gt 0 ] && ! shellcheck -x -S warning "${sfiles[@]}"; then
	failed+=(shellcheck)
fi

# 4. kernel-doc, as the Documentation/ directives render it
kd=$(dirname "$cp")/kernel-doc
mapfile -t kdocs < <(cd "$top" && grep -rhA1 '^\.\. kernel-doc::' Documentation |
	awk '/kernel-doc::/ { if (f) print f, m; f = $3; m = "" }
	     /:export:/ { m = "-export" } END { if (f) print f, m }' | sort -u)
echo "== kernel-doc (${#kdocs[@]} directives)"
for d in "${kdocs[@]}"; do
	read -r f mode <<<"$d"
	# shellcheck disable=SC2086 # $mode is one flag or none
	out=$(cd "$top" && "$kd" -none -sphinx-version 3.4.3 $mode "$f" 2>&1)
	if [ -n "$out" ] || [ ! -f "$top/$f" ]; then
		echo "$f: ${out:-missing}"
		failed+=(kernel-doc)
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "lint: FAILED: ${failed[*]}"
	exit 1
fi
echo "lint: clean"
