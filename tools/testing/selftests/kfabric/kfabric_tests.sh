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
# kernel log stayed clean.  See Documentation/testing.rst.  Prints one flat KTAP stream on stdout (progress on stderr) and
# saves it as $KFI_OUT/ktap.txt.  Exit status 0 when no test failed.
#
# Environment: KFI_KO_DIR (where the built .ko files are; default the
# repository), KFI_TESTS (only the test modules matching these patterns).

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

# The rig: the fabric every test below assumes.
if rdma link show "$KFI_RXE_DEV/1" 2>/dev/null | grep -q 'state ACTIVE'; then
	kt_result ok rig.rxe_active
else
	kt_diag "$(rdma link show 2>&1)"
	kt_result fail rig.rxe_active "$KFI_RXE_DEV is not ACTIVE"
fi

# Every project module loads.
kfi_project_modules >/dev/null	# not in a subshell: keep KFI_PROJECT
project=("${KFI_PROJECT[@]}")
loaded=()
for ko in "${project[@]}"; do
	name=$(kfi_modname "$ko")
	if err=$(kfi_insmod "$ko"); then
		loaded+=("$name")
		kt_result ok "load.$name"
	else
		kt_result fail "load.$name" "$err"
	fi
done

# Each test module runs its cases.
mapfile -t tests < <(kfi_test_modules)
for ko in "${tests[@]}"; do
	kfi_run_test_module "$ko"
done
[ ${#tests[@]} -gt 0 ] || kt_diag "no test modules in $KFI_KO_DIR (make first?)"

# Every project module unloads, in reverse order.
for ((i = ${#loaded[@]} - 1; i >= 0; i--)); do
	name=${loaded[i]}
	if err=$(kfi_rmmod "$name"); then
		kt_result ok "unload.$name"
	else
		kt_result fail "unload.$name" "$err"
	fi
done

# Each script test loads what it needs itself, on a kernel without our
# modules, and unloads it.
mapfile -t scripts < <(kfi_test_scripts)
for f in "${scripts[@]}"; do
	kfi_run_test_script "$f"
done

# Nothing of ours is left behind.
left=()
for ko in "${project[@]}" "${tests[@]}"; do
	name=$(kfi_modname "$ko")
	kfi_loaded "$name" && left+=("$name")
done
if [ ${#left[@]} = 0 ]; then
	kt_result ok rig.no_modules_left
else
	kt_result fail rig.no_modules_left "still loaded: ${left[*]}"
fi

# The kernel log since boot has no splat, the kernel took no bad taint, and
# kmemleak (when the kernel has it) finds no leak.
kfi_check_log rig.kernel_log_clean

tainted=$(cat /proc/sys/kernel/tainted)
bad=$((tainted & (32 | 128 | 512 | 16384)))	# B, D, W, L
if [ $bad = 0 ]; then
	kt_result ok rig.kernel_not_tainted
else
	kt_result fail rig.kernel_not_tainted "taint $tainted (B=32 D=128 W=512 L=16384)"
fi

if [ -e /sys/kernel/debug/kmemleak ]; then
	export KFI_LAST_UNLOAD; KFI_LAST_UNLOAD=$(date +%s)
	leaks=$(kfi_kmemleak_scan)
	if [ -z "$leaks" ]; then
		kt_result ok rig.kmemleak_clean
	else
		printf '%s\n' "$leaks" >"$KFI_OUT/kmemleak.txt"
		while IFS= read -r line; do
			kt_diag "$line"
		done < <(printf '%s\n' "$leaks" | head -n 40)
		kt_result fail rig.kmemleak_clean "see kmemleak.txt"
	fi
else
	kt_result skip rig.kmemleak_clean "kernel without kmemleak"
fi

kt_print | tee "$KFI_OUT/ktap.txt"
[ "$KT_FAIL" = 0 ]
