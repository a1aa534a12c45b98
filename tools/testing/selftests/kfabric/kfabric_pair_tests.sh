#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfabric's two-node tests, run on the host by tools/testing/vm/pair once
# its two guests are up (node a 192.0.2.1, node b 192.0.2.2, Soft-RoCE on
# the link between them; 198.51.100.1 and .2 on the second link).  Each
# listed "pair" test (pair/<name>.sh here, a standalone KTAP producer that
# drives both nodes with tools/testing/vm/pair_lib.sh) runs in the list's
# order; its cases become <name>.<case>.  Around them, the suite's own
# checks on each node: rxe0 (and rxe1 on the second link) ACTIVE, no
# project module left after a test, a kernel log without a splat, no bad
# taint.  Prints a flat KTAP stream and saves it as
# $KFI_PAIR_OUT/ktap.txt; scripts/check.sh appends it to the one-node
# suite's stream.  See Documentation/testing.rst.
#
#   kfabric_pair_tests.sh              the suite (as pair's driver)
#   kfabric_pair_tests.sh --list KIND  no VM: the selected tests of the
#                                      two-node lane (KIND pair) or of the
#                                      one-node one (KIND single)

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${KFI_TOP:=$(cd "$here/../../../.." && pwd)}"
: "${KFI_KO_DIR:=$KFI_TOP}"
: "${KFI_VM_TOOLS:=$KFI_TOP/tools/testing/vm}"
KFI_SELFTESTS=$here
KFI_OUT=${KFI_PAIR_OUT:-$(mktemp -d /tmp/kfabric-pair.XXXXXX)}
export KFI_TOP KFI_KO_DIR KFI_SELFTESTS KFI_OUT

if [ "${1:-}" = --list ]; then
	KT_PARTIAL=/dev/null
	# shellcheck source=kfabric_modules.sh
	. "$here/kfabric_modules.sh"
	kfi_read_expected >/dev/null 2>&1 || exit 1
	case ${2:-} in
	pair)	kfi_selected_tests pair ;;
	single)	kfi_selected_tests module; kfi_selected_tests script
		kfi_selected_tests warn ;;
	*)	exit 2 ;;
	esac
	exit 0
fi

KT_PARTIAL=$KFI_OUT/ktap.partial
: >"$KT_PARTIAL"
# shellcheck source=kfabric_modules.sh
. "$here/kfabric_modules.sh"
# shellcheck source=../../vm/pair_lib.sh
. "$KFI_VM_TOOLS/pair_lib.sh"

# What a node runs to see its own state; $1 of each function as below.
node_lib=". '$here/kfabric_modules.sh'"

# node_mark NODE TAG: a mark in NODE's kernel log.
node_mark()
{
	node_run "$1" "echo 'kfi-pair: mark $2' >/dev/kmsg" >/dev/null
}

# node_check_log NODE CHECK [TAG]: the check passes when NODE's kernel log
# since TAG's mark (since boot without TAG) is whole and has no splat.
node_check_log()
{
	local out rc=0
	out=$(node_run "$1" "$node_lib
		if [ -n '${3:-}' ]; then
			KFI_MARK_x='kfi-pair: mark ${3:-}'
			log=\$(kfi_kmsg_since x) || exit 3
		else
			log=\$(dmesg --notime)
			head -n 1 <<<\"\$log\" | grep -q '^Linux version ' || exit 3
		fi
		kfi_splats <<<\"\$log\" | head -n 20") || rc=$?
	if [ $rc = 3 ]; then
		kt_step fail "$2" "node $1: mark not in the kernel log (it wrapped); cannot tell"
	elif [ $rc != 0 ]; then
		kt_step fail "$2" "node $1: cannot read its kernel log ($rc)"
	elif [ -n "$out" ]; then
		kt_diag "$out"
		kt_step fail "$2" "node $1: kernel splat; see $1/dmesg.txt"
	else
		kt_step ok "$2"
	fi
}

# node_modules_left NODE: the project's modules still loaded there,
# unloaded (in reverse load order) after being named.
node_modules_left()
{
	node_run "$1" "$node_lib
		kfi_project_modules >/dev/null
		left=()
		for ko in \"\${KFI_PROJECT[@]}\"; do
			n=\$(kfi_modname \"\$ko\")
			kfi_loaded \"\$n\" && left+=(\"\$n\")
		done
		echo \"\${left[*]}\"
		for ((i = \${#left[@]} - 1; i >= 0; i--)); do
			rmmod \"\${left[i]}\" 2>/dev/null
		done"
}

# kfi_run_pair_test NAME: run pair/NAME.sh on the host (it drives both
# nodes) and fold its results in as NAME.<case>; then its checks on each
# node.  Failures of the run itself as for a one-node script test.
kfi_run_pair_test()
{
	local name=$1 f rc=0 out n left tag
	local t0=$SECONDS
	local -A boot

	# kfi_fold_case counts the cases in KFI_RAN, kfi_check_ran reads it.
	# shellcheck disable=SC2034
	KFI_RAN=0
	f=$KFI_SELFTESTS/pair/$name.sh
	if [ ! -f "$f" ]; then
		kt_result fail "$name.present" "no $f"
		return
	fi
	echo "# $name: running" >&2
	node_mark a "$name"
	node_mark b "$name"
	# A test may reboot a node: its log is then read from that boot.
	boot[a]=$(node_boot_id a)
	boot[b]=$(node_boot_id b)
	out=$KFI_OUT/$name.log
	timeout -k 10 "${KFI_SCRIPT_TIMEOUT:-600}" bash "$f" >"$out" 2>&1 </dev/null ||
		rc=$?
	kfi_fold_script "$name" "$out" $rc
	for n in a b; do
		left=$(node_modules_left $n)
		[ -z "$left" ] ||
			kt_result fail "$name.$n.modules_left" "node $n: still loaded: $left"
		tag=$name
		if [ "$(node_boot_id $n)" != "${boot[$n]}" ]; then
			kt_diag "node $n was rebooted by $name: its log from the end of that boot"
			tag=rebooted
			KFI_REBOOTED[$n]=1
		fi
		node_check_log $n "$name.$n.kernel_log_clean" "$tag"
	done
	echo "# $name: $((SECONDS - t0)) s" >&2
}

# Nodes a test rebooted: their log is read from the end of the last boot,
# which node_reboot marks.  What a guest's kernel logs while it boots again
# is not checked: the tests load our modules only after the mark, and under
# TCG a guest starved of the host's CPU can report an RCU stall there.
declare -A KFI_REBOOTED=()

kfi_read_expected
# When the one-node lane did not run, its checks of the selection are ours.
[ -z "${KFI_PAIR_ONLY:-}" ] || kfi_check_selection
mapfile -t pairs < <(kfi_selected_tests pair)
[ ${#pairs[@]} -gt 0 ] ||
	kt_result fail suite.pair_selection "KFI_TESTS='${KFI_TESTS:-}' selects no two-node test"

# Each node's Soft-RoCE devices ACTIVE: rxe0, and rxe1 on the second link
# when the node has one (KFI_RXE_DEV2).
for n in a b; do
	if down=$(node_run $n 'for d in "$KFI_RXE_DEV" ${KFI_RXE_DEV2:-}; do
			rdma link show "$d/1" | grep -q "state ACTIVE" || echo "$d"
		done') && [ -z "$down" ]; then
		kt_step ok "pair.$n.rxe_active"
	else
		kt_step fail "pair.$n.rxe_active" "node $n: not ACTIVE, or no answer: ${down//$'\n'/ }"
	fi
done

for name in "${pairs[@]}"; do
	kfi_run_pair_test "$name"
	kfi_check_ran pair "$name"
done

for n in a b; do
	node_check_log $n "pair.$n.kernel_log_clean" "${KFI_REBOOTED[$n]:+rebooted}"
	tainted=$(node_run $n 'cat /proc/sys/kernel/tainted')
	# A rebooted node: what its boot tainted (a soft lockup) is not ours.
	was=0
	[ -z "${KFI_REBOOTED[$n]:-}" ] ||
		was=$(cat "$(node_var $n OUT)/.vm/tainted-at-reboot" 2>/dev/null || echo 0)
	if [ -n "$tainted" ] &&
	   [ $((tainted & ~${was:-0} & (32 | 128 | 512 | 16384))) = 0 ]; then
		kt_step ok "pair.$n.kernel_not_tainted"
	else
		kt_step fail "pair.$n.kernel_not_tainted" "node $n: taint '$tainted', '$was' after a reboot (B=32 D=128 W=512 L=16384)"
	fi
done

kt_print | tee "$KFI_OUT/ktap.txt"
[ "$KT_FAIL" = 0 ]
