#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest's half of tools/testing/mutate/run: for each line NAME DIR
# TESTS of the plan file, run the suite's runner of the tree in DIR (its
# modules, its scripts) on TESTS only, with $KFI_OUT/NAME/ for its results
# (ktap.txt, or ktap.partial if it was killed), where its exit status,
# duration and the kernel log go too.  Runs in the test VM.

set -u
plan=$1

while IFS=$'\t' read -r name dir tests; do
	o=$KFI_OUT/$name
	mkdir -p "$o"
	# A mutation that leaks a reference leaves its modules loaded; a run
	# after it would test those, not its own: leave it to a later VM run
	# (no rc file: the host reports it as norun).
	if grep -qE '^(kfabric|kfi_[a-z]+|kfblk[a-z_]*|kfkv[a-z_]*) ' /proc/modules; then
		echo "# mutate: $name not run: modules of an earlier run are still loaded" >&2
		continue
	fi
	echo "# mutate: $name ($tests)" >&2
	t0=$SECONDS
	KFI_TOP=$dir KFI_KO_DIR=$dir KFI_OUT=$o KFI_TESTS=$tests \
		timeout -k 10 "${KFI_MUTATE_TIMEOUT:-900}" \
		"$dir/tools/testing/selftests/kfabric/kfabric_tests.sh" \
		>"$o/stdout.txt" 2>"$o/progress.log" </dev/null
	echo $? >"$o/rc"
	echo $((SECONDS - t0)) >"$o/seconds"
	dmesg >"$o/dmesg.txt"
done <"$plan"
