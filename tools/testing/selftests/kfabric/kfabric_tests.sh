#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfabric's test suite, for the test VM (tools/testing/vm/run sets the
# scene: Soft-RoCE device $KFI_RXE_DEV ACTIVE, $KFI_TOP, $KFI_OUT).
#
# Loads the project's modules (core, providers, consumers) in dependency
# order, then each test module tools/testing/selftests/kfabric/modules/
# kfi_test_*.ko, whose KTAP lines in the kernel log become tests named
# <module>.<case>; unloads everything; runs each script test (the other
# *.sh here, standalone KTAP producers) as <script>.<case>; checks that the
# kernel log stayed clean.  What must run is in ./expected: a test missing
# from the run or the list, or a selection that runs nothing, fails.  See
# Documentation/testing.rst.  Prints one flat KTAP stream on stdout
# (progress on stderr) and saves it as $KFI_OUT/ktap.txt.  Exit status 0
# when no test failed.
#
# Environment: KFI_KO_DIR (where the built .ko files are; default the
# repository), KFI_TESTS (only the tests whose names match these shell
# patterns), KFI_EXPECTED (the expected list; default ./expected).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${KFI_TOP:=$(cd "$here/../../../.." && pwd)}"
: "${KFI_KO_DIR:=$KFI_TOP}"
: "${KFI_RXE_DEV:=rxe0}"
: "${KFI_OUT:=$(mktemp -d /tmp/kfabric-tests.XXXXXX)}"
: "${KFI_IPADDR:=192.0.2.1}"
KFI_SELFTESTS=$here
export KFI_TOP KFI_KO_DIR KFI_RXE_DEV KFI_IPADDR KFI_OUT KFI_SELFTESTS

KT_PARTIAL=$KFI_OUT/ktap.partial
: >"$KT_PARTIAL"
# shellcheck source=kfabric_modules.sh
. "$here/kfabric_modules.sh"

[ "$(id -u)" = 0 ] || { echo "# kfabric_tests.sh must run as root" >&2; exit 4; }

# What must run: the expected list, the KFI_TESTS selection in it, and no
# test left out of it.
kfi_read_expected
kfi_check_selection
mapfile -t tests < <(kfi_selected_tests module)
mapfile -t scripts < <(kfi_selected_tests script)
mapfile -t warns < <(kfi_selected_tests warn)
# Two-node tests run in a lane of their own (kfabric_pair_tests.sh).
mapfile -t pairs < <(kfi_selected_tests pair)
if [ $((${#tests[@]} + ${#scripts[@]} + ${#warns[@]} + ${#pairs[@]})) = 0 ]; then
	kt_result fail suite.selection "KFI_TESTS='${KFI_TESTS:-}' selects no test"
fi
kfi_kmemleak_clear

# The rig: the fabric every test below assumes.
if rdma link show "$KFI_RXE_DEV/1" 2>/dev/null | grep -q 'state ACTIVE'; then
	kt_step ok rig.rxe_active
else
	kt_diag "$(rdma link show 2>&1)"
	kt_step fail rig.rxe_active "$KFI_RXE_DEV is not ACTIVE"
fi

# Every project module loads.
kfi_project_modules >/dev/null	# not in a subshell: keep KFI_PROJECT
project=("${KFI_PROJECT[@]}")
[ ${#project[@]} -gt 0 ] ||
	kt_step fail rig.project_modules "no project module under $KFI_KO_DIR (make first?)"
loaded=()
for ko in "${project[@]}"; do
	name=$(kfi_modname "$ko")
	if err=$(kfi_insmod "$ko"); then
		loaded+=("$name")
		kt_step ok "load.$name"
	else
		kt_step fail "load.$name" "$err"
	fi
done

# Each test module runs its cases, at least as many as listed.
for name in "${tests[@]}"; do
	kfi_run_test_module "$name"
	kfi_check_ran module "$name"
done

# Every project module unloads, in reverse order.
for ((i = ${#loaded[@]} - 1; i >= 0; i--)); do
	name=${loaded[i]}
	if err=$(kfi_rmmod "$name"); then
		kt_step ok "unload.$name"
	else
		kt_step fail "unload.$name" "$err"
	fi
done

# Each script test loads what it needs itself, on a kernel without our
# modules, and unloads it.
for name in "${scripts[@]}"; do
	kfi_run_test_script "$name"
	kfi_check_ran script "$name"
done

# Nothing of ours is left behind.
left=()
for ko in "${project[@]}"; do
	name=$(kfi_modname "$ko")
	kfi_loaded "$name" && left+=("$name")
done
for name in "${tests[@]}" "${warns[@]}"; do
	kfi_loaded "$name" && left+=("$name")
done
if [ ${#left[@]} = 0 ]; then
	kt_step ok rig.no_modules_left
else
	kt_step fail rig.no_modules_left "still loaded: ${left[*]}"
fi

# The kernel log since boot has no splat, the kernel took no bad taint, and
# kmemleak (when the kernel has it) finds no leak.
kfi_check_log rig.kernel_log_clean

tainted=$(cat /proc/sys/kernel/tainted)
bad=$((tainted & (32 | 128 | 512 | 16384)))	# B, D, W, L
if [ $bad = 0 ]; then
	kt_step ok rig.kernel_not_tainted
else
	kt_step fail rig.kernel_not_tainted "taint $tainted (B=32 D=128 W=512 L=16384)"
fi

export KFI_LAST_UNLOAD; KFI_LAST_UNLOAD=$(date +%s)
kfi_check_kmemleak rig.kmemleak_clean

# Last, after the checks above: the cases that make the kernel WARN on
# purpose (a warning taints the kernel for good).  Each must warn once.
for name in "${warns[@]}"; do
	kfi_load_project_for "$name.warn"
	kfi_run_test_module "$name" warn
	kfi_check_ran warn "$name"
	kfi_unload_project "$name.warn"
done

kt_print | tee "$KFI_OUT/ktap.txt"
[ "$KT_FAIL" = 0 ]
