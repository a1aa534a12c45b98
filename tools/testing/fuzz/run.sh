#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and run the kfblk protocol fuzzer for a bounded time.
#
#   tools/testing/fuzz/run.sh [seconds]    (default 60, or $KFI_FUZZ_TIME)
#
# Builds kfblk_proto_fuzz.c together with consumers/block/kfblk_proto.c
# using clang's libFuzzer, AddressSanitizer and UBSan (every UB report is
# fatal), runs it over a scratch copy of the seed corpus in corpus/, and
# exits non-zero on any crash, sanitizer report or leak.  Crash inputs are
# left in $KFI_OUT (or the build dir) as crash-*.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
secs=${1:-${KFI_FUZZ_TIME:-60}}
cc=${CLANG:-clang}
work=$(mktemp -d /tmp/kfblk-fuzz.XXXXXX)
artifacts=${KFI_OUT:-$work}
trap 'rm -rf "$work"' EXIT

command -v "$cc" >/dev/null || { echo "run.sh: $cc not found" >&2; exit 2; }

"$cc" -g -O1 -std=gnu2x -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DKFBLK_FUZZ_ENTRY=LLVMFuzzerTestOneInput -I"$top/consumers/block" \
	-o "$work/kfblk_proto_fuzz" \
	"$here/kfblk_proto_fuzz.c" "$top/consumers/block/kfblk_proto.c"

mkdir -p "$work/corpus" "$artifacts"
cp "$here"/corpus/* "$work/corpus/" 2>/dev/null || true

echo "run.sh: fuzzing kfblk_proto for ${secs}s"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
"$work/kfblk_proto_fuzz" -max_total_time="$secs" -max_len=256 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" \
	"$work/corpus" "$here/corpus"
echo "run.sh: no crash in ${secs}s"
