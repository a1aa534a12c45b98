#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and run the wire-protocol fuzzers (kfblk's, kfkv's, then the TCP
# provider's), each for a bounded time.
#
#   tools/testing/fuzz/run.sh [seconds]    (default 60, or $KFI_FUZZ_TIME)
#
# Builds kfblk_proto_fuzz.c together with consumers/block/kfblk_proto.c
# (kfkv_proto_fuzz.c with consumers/kv/kfkv_proto.c, kfit_proto_fuzz.c with
# providers/tcp/kfit_proto.c) using clang's libFuzzer, AddressSanitizer
# and UBSan (every UB report is fatal), runs each over a scratch copy of
# its seed corpus (corpus/, corpus-kfkv/, corpus-kfit/), and
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

# fuzz_one NAME DIR: build NAME_proto_fuzz.c with DIR/NAME_proto.c and run
# it over a scratch copy of its seed corpus (corpus/ for kfblk,
# corpus-NAME/ for the others).
fuzz_one()
{
	local name=$1 dir=$2 seeds=$here/corpus entry
	entry=$(echo "$name" | tr '[:lower:]' '[:upper:]')_FUZZ_ENTRY
	[ "$name" = kfblk ] || seeds=$here/corpus-$name
	"$cc" -g -O1 -std=gnu2x -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-D"$entry"=LLVMFuzzerTestOneInput -I"$dir" -I"$here" \
		-o "$work/${name}_proto_fuzz" \
		"$here/${name}_proto_fuzz.c" "$dir/${name}_proto.c"

	mkdir -p "$work/corpus-$name" "$artifacts"
	cp "$seeds"/* "$work/corpus-$name/" 2>/dev/null || true

	echo "run.sh: fuzzing ${name}_proto for ${secs}s"
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$work/${name}_proto_fuzz" -max_total_time="$secs" -max_len="$3" \
		-print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
		"$work/corpus-$name" "$seeds"
	echo "run.sh: no crash in ${name}_proto in ${secs}s"
}

fuzz_one kfblk "$top/consumers/block" 1200
fuzz_one kfkv "$top/consumers/kv" 4200
fuzz_one kfit "$top/providers/tcp" 406
