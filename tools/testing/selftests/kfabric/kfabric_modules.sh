#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the kfabric suite (sourced by kfabric_tests.sh): KTAP output,
# finding and loading the project's modules, and folding a test module's own
# KTAP lines from the kernel log into the suite's flat KTAP stream.
#
# Results go, one line each, to the array KT_LINES and to $KT_PARTIAL (so a
# VM that times out still leaves what finished); progress goes to stderr.
#
# Two kinds of result: the cases of the test modules and scripts, numbered
# KTAP results that make up the "N passed" count; and the suite's own
# checks (the rig, loading and unloading, the kernel log), which are not
# tests of their own: one that passes or skips is a "# check" diagnostic,
# one that fails is a numbered "not ok" so that the run fails.

KT_LINES=()
KT_N=0
KT_PASS=0
KT_FAIL=0
KT_SKIP=0
KT_CHECK_OK=0
KT_CHECK_SKIP=0
: "${KT_PARTIAL:=/dev/null}"

kt_emit()
{
	KT_LINES+=("$1")
	printf '%s\n' "$1" >>"$KT_PARTIAL"
	printf '# %s\n' "$1" >&2
}

# kt_diag TEXT: a diagnostic line, attached to the next result.
kt_diag()
{
	kt_emit "# $*"
}

# kt_result ok|fail|skip NAME [DIRECTIVE]
kt_result()
{
	local how=$1 name=$2 dir=${3:-}

	KT_N=$((KT_N + 1))
	case $how in
	ok)   KT_PASS=$((KT_PASS + 1)); kt_emit "ok $KT_N $name${dir:+ # $dir}" ;;
	skip) KT_SKIP=$((KT_SKIP + 1)); kt_emit "ok $KT_N $name # SKIP $dir" ;;
	*)    KT_FAIL=$((KT_FAIL + 1)); kt_emit "not ok $KT_N $name${dir:+ # $dir}" ;;
	esac
}

# kt_step ok|fail|skip NAME [WHY]: one of the suite's own checks; only a
# failed one becomes a numbered result.
kt_step()
{
	local how=$1 name=$2 why=${3:-}

	case $how in
	ok)   KT_CHECK_OK=$((KT_CHECK_OK + 1)); kt_diag "check ok $name" ;;
	skip) KT_CHECK_SKIP=$((KT_CHECK_SKIP + 1))
	      kt_diag "check SKIP $name: $why" ;;
	*)    kt_result fail "$name" "$why" ;;
	esac
}

# kt_print: the whole stream, plan first.
kt_print()
{
	echo "KTAP version 1"
	echo "1..$KT_N"
	printf '%s\n' "${KT_LINES[@]}"
	echo "# cases: $KT_PASS passed, $KT_FAIL failed, $KT_SKIP skipped;" \
	     "checks (rig, load/unload, kernel log; not counted as cases):" \
	     "$KT_CHECK_OK passed, $KT_CHECK_SKIP skipped"
}

# kfi_modname FILE.ko: the module's name as lsmod shows it.
kfi_modname()
{
	local n=${1##*/}
	n=${n%.ko}
	echo "${n//-/_}"
}

kfi_loaded()
{
	[ -d "/sys/module/$1" ] && [ -e "/sys/module/$1/initstate" ]
}

# kfi_params FILE.ko: insmod arguments from FILE.params beside it, with
# $VAR / ${VAR} expanded from the environment; # starts a comment.
kfi_params()
{
	local f=${1%.ko}.params s re var
	[ -f "$f" ] || return 0
	s=$(sed 's/#.*//' "$f" | tr '\n' ' ')
	re='\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?'
	while [[ $s =~ $re ]]; do
		var=${BASH_REMATCH[1]}
		s=${s/"${BASH_REMATCH[0]}"/${!var:-}}
	done
	echo "$s"
}

# kfi_project_modules: the project's .ko files (core, providers, consumers)
# under $KFI_KO_DIR, in an order that loads dependencies first.  Computed
# once and kept in KFI_PROJECT (forks are dear under emulation).
KFI_PROJECT=()
KFI_PROJECT_DONE=0
kfi_project_modules()
{
	local -a todo=() next=() order=()
	local -A have=() name_of=() deps_of=() ours=()
	local ko dep ready progress d

	if [ "$KFI_PROJECT_DONE" = 1 ]; then
		[ ${#KFI_PROJECT[@]} = 0 ] || printf '%s\n' "${KFI_PROJECT[@]}"
		return
	fi
	for d in kfabric providers consumers; do
		[ -d "$KFI_KO_DIR/$d" ] || continue
		mapfile -t -O ${#todo[@]} todo < <(find "$KFI_KO_DIR/$d" -name '*.ko' | sort)
	done
	for ko in "${todo[@]}"; do
		name_of[$ko]=$(kfi_modname "$ko")
		ours[${name_of[$ko]}]=1
		deps_of[$ko]=$(modinfo -F depends "$ko")
	done
	# Dependencies among project modules come from modinfo; the rest
	# (ib_core, rdma_cm, ...) are loaded with modprobe when needed.
	progress=1
	while [ ${#todo[@]} -gt 0 ] && [ $progress = 1 ]; do
		progress=0
		next=()
		for ko in "${todo[@]}"; do
			ready=1
			for dep in ${deps_of[$ko]//,/ }; do
				if [ -n "${ours[$dep]:-}" ] && [ -z "${have[$dep]:-}" ]; then
					ready=0
				fi
			done
			if [ $ready = 1 ]; then
				order+=("$ko")
				have[${name_of[$ko]}]=1
				progress=1
			else
				next+=("$ko")
			fi
		done
		todo=("${next[@]}")
	done
	# A dependency cycle: list the rest anyway and let insmod complain.
	order+=("${todo[@]}")
	KFI_PROJECT=("${order[@]}")
	KFI_PROJECT_DONE=1
	[ ${#order[@]} = 0 ] || printf '%s\n' "${order[@]}"
}

# kfi_selected NAME: true if $KFI_TESTS is unset or one of its space
# separated shell patterns matches NAME, and none of $KFI_SKIP_TESTS's does.
kfi_selected()
{
	local pat
	# KFI_SKIP_TESTS: patterns of tests left out (a lane too slow for them).
	for pat in ${KFI_SKIP_TESTS:-}; do
		# shellcheck disable=SC2053
		[[ $1 == $pat ]] && return 1
	done
	[ -n "${KFI_TESTS:-}" ] || return 0
	for pat in $KFI_TESTS; do
		# shellcheck disable=SC2053
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

# The expected list ($KFI_SELFTESTS/expected): every test module and script
# test of the suite, with the least number of its cases that must run (not
# counting skips).  A test that is not listed, a listed one that is missing,
# one that runs fewer cases, and a KFI_TESTS pattern that matches nothing
# all fail the run, so a run that tests nothing cannot pass.
KFI_EXP_KIND=()
KFI_EXP_NAME=()
KFI_EXP_MIN=()

# kfi_read_expected: fill KFI_EXP_*; a malformed line fails suite.expected.
kfi_read_expected()
{
	local f=${KFI_EXPECTED:-$KFI_SELFTESTS/expected} line kind name min extra
	local n=0 bad=0

	if [ ! -r "$f" ]; then
		kt_result fail suite.expected "cannot read $f"
		return 1
	fi
	while IFS= read -r line; do
		n=$((n + 1))
		line=${line%%#*}
		read -r kind name min extra <<<"$line"
		[ -n "$kind" ] || continue
		if [[ ! $kind =~ ^(module|script|warn|pair)$ ]] || [ -z "$name" ] ||
		   [[ ! $min =~ ^[1-9][0-9]*$ ]] || [ -n "$extra" ]; then
			kt_diag "expected:$n: '$line' is not 'module|script|warn|pair NAME MIN'"
			bad=1
			continue
		fi
		KFI_EXP_KIND+=("$kind")
		KFI_EXP_NAME+=("$name")
		KFI_EXP_MIN+=("$min")
	done <"$f"
	if [ $bad = 1 ] || [ ${#KFI_EXP_NAME[@]} = 0 ]; then
		kt_result fail suite.expected "malformed or empty $f"
		return 1
	fi
}

# kfi_listed KIND NAME: true if the expected list has that entry.
kfi_listed()
{
	local i
	for i in "${!KFI_EXP_NAME[@]}"; do
		[ "${KFI_EXP_KIND[i]}" = "$1" ] && [ "${KFI_EXP_NAME[i]}" = "$2" ] &&
			return 0
	done
	return 1
}

# kfi_check_selection: every KFI_TESTS pattern matches a listed test, and
# every test module source, built test module and script test is listed.
kfi_check_selection()
{
	local pat i hit f name
	local -A found=()

	for pat in ${KFI_TESTS:-}; do
		hit=0
		for i in "${!KFI_EXP_NAME[@]}"; do
			# shellcheck disable=SC2053
			[[ ${KFI_EXP_NAME[i]} == $pat ]] && hit=1
		done
		[ $hit = 1 ] ||
			kt_result fail suite.filter "KFI_TESTS pattern '$pat' matches no test in the expected list"
	done
	for f in "$KFI_SELFTESTS"/modules/kfi_test_*.c \
		 "$KFI_KO_DIR"/tools/testing/selftests/kfabric/modules/kfi_test_*.ko; do
		[ -e "$f" ] || continue
		case $f in *.mod.c) continue ;; esac
		name=${f##*/}
		name=${name%.*}
		[ -z "${found[$name]:-}" ] || continue
		found[$name]=1
		kfi_listed module "$name" ||
			kt_result fail "$name.listed" "test module not in the expected list; add 'module $name N'"
	done
	for f in "$KFI_SELFTESTS"/*.sh; do
		name=${f##*/}
		name=${name%.sh}
		case $name in kfabric_*) continue ;; esac
		kfi_listed script "$name" ||
			kt_result fail "$name.listed" "script test not in the expected list; add 'script $name N'"
	done
	for f in "$KFI_SELFTESTS"/pair/*.sh; do
		[ -e "$f" ] || continue
		name=${f##*/}
		name=${name%.sh}
		kfi_listed pair "$name" ||
			kt_result fail "$name.listed" "two-node test not in the expected list; add 'pair $name N'"
	done
}

# kfi_selected_tests KIND: the listed tests of that kind that KFI_TESTS
# selects, in the list's order.
kfi_selected_tests()
{
	local i
	for i in "${!KFI_EXP_NAME[@]}"; do
		[ "${KFI_EXP_KIND[i]}" = "$1" ] || continue
		kfi_selected "${KFI_EXP_NAME[i]}" && echo "${KFI_EXP_NAME[i]}"
	done
	return 0
}

# kfi_expected_min KIND NAME: the least number of cases that must run.
kfi_expected_min()
{
	local i
	for i in "${!KFI_EXP_NAME[@]}"; do
		if [ "${KFI_EXP_KIND[i]}" = "$1" ] && [ "${KFI_EXP_NAME[i]}" = "$2" ]; then
			echo "${KFI_EXP_MIN[i]}"
			return
		fi
	done
	echo 1
}

# kfi_load_project_for TAG: load every project module, in order, for a
# test module run on its own (the warn pass); failures are TAG.load.<mod>.
KFI_PASS_LOADED=()
kfi_load_project_for()
{
	local ko name err
	KFI_PASS_LOADED=()
	for ko in "${KFI_PROJECT[@]}"; do
		name=$(kfi_modname "$ko")
		if err=$(kfi_insmod "$ko"); then
			KFI_PASS_LOADED+=("$name")
		else
			kt_step fail "$1.load.$name" "$err"
		fi
	done
}

# kfi_unload_project TAG: unload, in reverse, what kfi_load_project_for did.
kfi_unload_project()
{
	local i err
	for ((i = ${#KFI_PASS_LOADED[@]} - 1; i >= 0; i--)); do
		err=$(kfi_rmmod "${KFI_PASS_LOADED[i]}") ||
			kt_step fail "$1.unload.${KFI_PASS_LOADED[i]}" "$err"
	done
	KFI_PASS_LOADED=()
}

# kfi_check_ran KIND NAME: fail NAME.cases when fewer cases ran (ok or not
# ok, skips not counted; KFI_RAN, set by the run functions) than listed.
kfi_check_ran()
{
	local min suffix=cases
	min=$(kfi_expected_min "$1" "$2")
	[ "$1" != warn ] || suffix=warn_cases
	if [ "$KFI_RAN" -lt "$min" ]; then
		kt_result fail "$2.$suffix" "$KFI_RAN cases ran (skips not counted); the expected list wants at least $min"
	fi
}

# kfi_test_ko NAME: where the test module's .ko is (it may not exist).
kfi_test_ko()
{
	echo "$KFI_KO_DIR/tools/testing/selftests/kfabric/modules/$1.ko"
}

# kfi_insmod FILE.ko [PARAM...]: load a module after the kernel modules it
# needs, with its .params and PARAMs; error text on stdout.
kfi_insmod()
{
	local ko=$1 dep name err params
	shift
	name=$(kfi_modname "$ko")
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		kfi_loaded "$dep" || modprobe -q "$dep" 2>/dev/null || true
	done
	params=$(kfi_params "$ko")
	# shellcheck disable=SC2086
	err=$(insmod "$ko" $params "$@" 2>&1) || { echo "${err:-insmod failed}"; return 1; }
	kfi_loaded "$name" || { echo "not in /sys/module after insmod"; return 1; }
}

kfi_rmmod()
{
	local err
	err=$(rmmod "$1" 2>&1) || { echo "${err:-rmmod failed}"; return 1; }
	! kfi_loaded "$1" || { echo "still loaded after rmmod"; return 1; }
}

# kfi_kmsg_mark TAG: a line in the kernel log that kfi_kmsg_since finds.
# Each mark is made unique, so a test run twice (the warn pass) is read
# from its own mark; KFI_MARK_<TAG> remembers which.
KFI_MARKS=0
kfi_kmsg_mark()
{
	local var=KFI_MARK_${1//[^A-Za-z0-9_]/_}
	KFI_MARKS=$((KFI_MARKS + 1))
	printf -v "$var" '%s' "kfi-suite: mark $1 $KFI_MARKS"
	echo "${!var}" >/dev/kmsg
}

# kfi_kmsg_since TAG: kernel log lines after TAG's last mark, without
# timestamps.  Fails, printing nothing, when the mark is no longer in the
# log (the ring buffer wrapped): what followed it cannot be trusted whole.
kfi_kmsg_since()
{
	local var=KFI_MARK_${1//[^A-Za-z0-9_]/_}
	dmesg --notime | awk -v m="${!var:-kfi-suite: mark $1}" '
		$0 == m { n = 0; delete l; found = 1; next }
		found { l[n++] = $0 }
		END { for (i = 0; i < n; i++) print l[i]; exit !found }'
}

# kfi_fold_case NAME.CASE RESULT NUM EXPECTED DIRECTIVE: one case of a test
# module or script as a result of the suite; counts KFI_RAN.
kfi_fold_case()
{
	local test=$1 res=$2 num=$3 want=$4 dir=$5

	[ "$num" = "$want" ] ||
		kt_diag "${test%%.*}: case ${test#*.} numbered $num, expected $want"
	if [ "$res" = ok ] && [[ $dir =~ ^[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
		kt_result skip "$test" "${BASH_REMATCH[1]}"
		return
	fi
	KFI_RAN=$((KFI_RAN + 1))
	if [ "$res" = ok ]; then
		kt_result ok "$test" "$dir"
	else
		kt_result fail "$test" "$dir"
	fi
}

# kfi_run_test_module NAME [warn]: load it, fold its KTAP into the stream
# as <module>.<case>, unload it.  A module whose load fails, whose plan is
# missing or does not match its results, or that will not unload, fails.
# With "warn", it is loaded with warn_tests=1 and runs only its cases that
# make the kernel WARN by design (see kfi_check_warn_log).
kfi_run_test_module()
{
	local name=$1 mode=${2:-} ko err load_ok=1 plan='' seen=0 line rest
	local re_res='^(not ok|ok) ([0-9]+) ([^#]*[^# ]) *(# *(.*))?$'
	local re_plan='^1\.\.([0-9]+)$'
	local -a extra=()
	local t0=$SECONDS tag=$name

	KFI_RAN=0
	ko=$(kfi_test_ko "$name")
	if [ ! -e "$ko" ]; then
		kt_result fail "$name.built" "no $ko: the test module was not built"
		return
	fi
	if [ "$mode" = warn ]; then
		extra=(warn_tests=1)
		tag=$name.warn
	fi
	echo "# $tag: loading" >&2
	kfi_kmsg_mark "$tag"
	err=$(kfi_insmod "$ko" "${extra[@]}") || load_ok=0

	while IFS= read -r line; do
		rest=${line#"$name: "}
		[ "$rest" != "$line" ] || continue
		if [[ $rest =~ $re_plan ]]; then
			plan=${BASH_REMATCH[1]}
		elif [[ $rest =~ $re_res ]]; then
			seen=$((seen + 1))
			kfi_fold_case "$name.${BASH_REMATCH[3]}" "${BASH_REMATCH[1]}" \
				"${BASH_REMATCH[2]}" $seen "${BASH_REMATCH[5]}"
		elif [[ $rest =~ ^\ *#\ ?(.*)$ ]]; then
			kt_diag "$name: ${BASH_REMATCH[1]}"
		fi
	done < <(kfi_kmsg_since "$tag")

	if [ $load_ok = 0 ] && [ -z "$plan" ]; then
		kt_result fail "$name.load" "$err"
		return
	fi
	if [ -z "$plan" ]; then
		kt_result fail "$name.plan" "no KTAP plan in the kernel log"
	elif [ "$plan" != "$seen" ]; then
		kt_result fail "$name.plan" "plan 1..$plan but $seen results"
	fi
	if [ $load_ok = 0 ]; then
		kt_result fail "$name.load" "$err"
		return
	fi
	if err=$(kfi_rmmod "$name"); then
		kt_step ok "$tag.unload"
	else
		kt_step fail "$tag.unload" "$err"
	fi
	if [ "$mode" = warn ]; then
		kfi_check_warn_log "$tag.kernel_log" "$tag" "$plan"
	else
		kfi_check_log "$tag.kernel_log_clean" "$tag"
	fi
	echo "# $tag: $((SECONDS - t0)) s" >&2
}

# kfi_fold_script NAME LOG RC: fold a script test's KTAP output (LOG, its
# exit status RC) into the stream as NAME.<case>, counting KFI_RAN; then
# fail NAME.timeout, NAME.plan or NAME.exit when the run itself went wrong
# (killed, no or an unmatched plan, non-zero exit with no failed case).
kfi_fold_script()
{
	local name=$1 out=$2 rc=$3 plan='' seen=0 failed=0 line
	local re_res='^(not ok|ok) ([0-9]+) ([^#]*[^# ]) *(# *(.*))?$'
	local re_plan='^1\.\.([0-9]+)$'

	while IFS= read -r line; do
		if [[ $line =~ $re_plan ]]; then
			# The first plan is the script's own; nested ones are not.
			[ -n "$plan" ] || plan=${BASH_REMATCH[1]}
		elif [[ $line =~ $re_res ]]; then
			seen=$((seen + 1))
			[ "${BASH_REMATCH[1]}" = ok ] || failed=$((failed + 1))
			kfi_fold_case "$name.${BASH_REMATCH[3]}" "${BASH_REMATCH[1]}" \
				"${BASH_REMATCH[2]}" $seen "${BASH_REMATCH[5]}"
		elif [[ $line =~ ^#\ ?(.*)$ ]]; then
			kt_diag "$name: ${BASH_REMATCH[1]}"
		fi
	done <"$out"

	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		kt_result fail "$name.timeout" "killed after ${KFI_SCRIPT_TIMEOUT:-600} s; see $name.log"
	elif [ -z "$plan" ]; then
		kt_result fail "$name.plan" "no KTAP plan; see $name.log"
	elif [ "$plan" != "$seen" ]; then
		kt_result fail "$name.plan" "plan 1..$plan but $seen results; see $name.log"
	elif [ "$rc" != 0 ] && [ $failed = 0 ]; then
		kt_result fail "$name.exit" "exit status $rc with no failed case; see $name.log"
	fi
}

# kfi_run_test_script NAME: run the standalone KTAP producer NAME.sh (with a
# timeout of $KFI_SCRIPT_TIMEOUT s, default 600) and fold its results into
# the stream as <script>.<case>.  A missing script, a missing or unmatched
# plan, or a non-zero exit with no failed case, is a failed test; so is a
# project module left loaded (which is then unloaded) or a kernel problem
# in the log.
kfi_run_test_script()
{
	local name=$1 f rc=0 out
	local -a left=() mods=()
	local ko i

	local t0=$SECONDS
	KFI_RAN=0
	f=$KFI_SELFTESTS/$name.sh
	if [ ! -f "$f" ]; then
		kt_result fail "$name.present" "no $f"
		return
	fi
	echo "# $name: running" >&2
	kfi_kmsg_mark "$name"
	out=$KFI_OUT/$name.log
	timeout -k 10 "${KFI_SCRIPT_TIMEOUT:-600}" bash "$f" >"$out" 2>&1 </dev/null ||
		rc=$?
	kfi_fold_script "$name" "$out" $rc

	# Leave the next test a clean kernel.
	kfi_project_modules >/dev/null
	mods=("${KFI_PROJECT[@]}")
	for ko in "${mods[@]}"; do
		kfi_loaded "$(kfi_modname "$ko")" && left+=("$(kfi_modname "$ko")")
	done
	if [ ${#left[@]} -gt 0 ]; then
		kt_result fail "$name.modules_left" "still loaded: ${left[*]}"
		for ((i = ${#left[@]} - 1; i >= 0; i--)); do
			rmmod "${left[i]}" 2>/dev/null
		done
	fi
	kfi_check_log "$name.kernel_log_clean" "$name"
	echo "# $name: $((SECONDS - t0)) s" >&2
}

# kfi_splats: the kernel log lines on stdin that report a kernel problem.
kfi_splats()
{
	grep -E -e "$(IFS='|'; echo "${KFI_SPLATS[*]}")"
}

# kfi_check_log TEST [TAG]: the check TEST passes when the kernel log since
# mark TAG (or since boot, without TAG) is whole and reports no kernel
# problem.  A lost mark, or lost boot messages, fail it: the log wrapped
# and a splat may have gone with it.
kfi_check_log()
{
	local test=$1 log splats line
	if [ -n "${2:-}" ]; then
		if ! log=$(kfi_kmsg_since "$2"); then
			kt_step fail "$test" "start mark not in the kernel log (it wrapped); cannot tell"
			return 1
		fi
	else
		log=$(dmesg --notime)
		if ! head -n 1 <<<"$log" | grep -q '^Linux version '; then
			kt_step fail "$test" "boot messages not in the kernel log (it wrapped); cannot tell"
			return 1
		fi
	fi
	splats=$(kfi_splats <<<"$log" | head -n 20)
	if [ -z "$splats" ]; then
		kt_step ok "$test"
		return 0
	fi
	while IFS= read -r line; do
		kt_diag "$line"
	done <<<"$splats"
	kt_step fail "$test" "kernel splat; see dmesg.txt"
	return 1
}

# kfi_check_warn_log TEST TAG N: after a warn pass of N cases, the kernel
# log since TAG has exactly N warnings (each case makes the kernel WARN
# once, on purpose) and no other kind of problem.
kfi_check_warn_log()
{
	local test=$1 n=$3 log warns other line
	if ! log=$(kfi_kmsg_since "$2"); then
		kt_step fail "$test" "start mark not in the kernel log (it wrapped); cannot tell"
		return 1
	fi
	warns=$(grep -c '^WARNING: ' <<<"$log")
	other=$(kfi_splats <<<"$log" | grep -v -e '^WARNING: ' -e 'Call Trace:' |
		head -n 20)
	if [ -n "$other" ]; then
		while IFS= read -r line; do
			kt_diag "$line"
		done <<<"$other"
		kt_step fail "$test" "kernel problem besides the intended warnings"
		return 1
	fi
	if [ "$warns" != "$n" ]; then
		kt_step fail "$test" "$warns warnings for $n cases that each warn once"
		return 1
	fi
	kt_step ok "$test"
}

# Kernel log patterns that mean something went wrong in the kernel.
# shellcheck disable=SC2034	# used by kfabric_tests.sh
KFI_SPLATS=(
	'Oops'
	'BUG:'
	'WARNING:'
	'KASAN'
	'UBSAN:'
	'general protection fault'
	'lockdep is turned off'
	'DEBUG_LOCKS_WARN_ON'
	'possible circular locking'
	'possible recursive locking'
	'inconsistent lock state'
	'sleeping function called from invalid context'
	'suspected memory leak'
	'refcount_t:'
	'list_add corruption'
	'list_del corruption'
	'soft lockup'
	'hard LOCKUP'
	'blocked for more than'
	'rcu_.*stall'
	'Call Trace:'
)

# kfi_kernel_config OPTION: the running kernel's value of CONFIG_OPTION
# ("y", "m", "n" when not set), or nothing when no config can be found.
kfi_kernel_config()
{
	local f kver
	kver=$(uname -r)
	if [ -r /proc/config.gz ]; then
		f=$(zcat /proc/config.gz)
	else
		for f in "${KFI_VM_KERNEL:-/nonexistent}/boot/config-$kver" \
			 "/boot/config-$kver"; do
			[ -r "$f" ] && break
		done
		[ -r "$f" ] || return 0
		f=$(cat "$f")
	fi
	f=$(grep -E "^(# )?CONFIG_$1[= ]" <<<"$f")
	case $f in
	"CONFIG_$1="*)	echo "${f#*=}" ;;
	'')		;;
	*)		echo n ;;
	esac
}

KFI_KMEMLEAK=/sys/kernel/debug/kmemleak

# kfi_kmemleak_clear: forget what kmemleak suspects already (the boot's own),
# so the check at the end reports only what the suite left.
kfi_kmemleak_clear()
{
	[ -e "$KFI_KMEMLEAK" ] && echo clear >"$KFI_KMEMLEAK" 2>/dev/null
	return 0
}

# kfi_check_kmemleak TEST: on a kernel with kmemleak, a scan now finds no
# leak (the report goes to kmemleak.txt).  Skipped, saying why, only on a
# kernel built without kmemleak; a kernel that has it but where it cannot
# be asked (debugfs missing, kmemleak off) fails.  KFI_LAST_UNLOAD: when
# (date +%s) our modules were gone.
kfi_check_kmemleak()
{
	local test=$1 age err leaks line cfg

	if [ ! -e "$KFI_KMEMLEAK" ]; then
		cfg=$(kfi_kernel_config DEBUG_KMEMLEAK)
		case $cfg in
		n)  kt_step skip "$test" "kernel built without CONFIG_DEBUG_KMEMLEAK" ;;
		'') kt_step skip "$test" "no $KFI_KMEMLEAK and no kernel config to tell why" ;;
		*)  kt_step fail "$test" "CONFIG_DEBUG_KMEMLEAK=$cfg but no $KFI_KMEMLEAK (debugfs not mounted?)" ;;
		esac
		return
	fi
	# kmemleak reports only objects older than 5 s: let the last
	# module's allocations reach that age.
	age=$(( $(date +%s) - ${KFI_LAST_UNLOAD:-0} ))
	[ $age -ge 6 ] || sleep $((6 - age))
	# Two scans: an object is reported once it was unreferenced in both.
	if ! err=$( (echo scan >"$KFI_KMEMLEAK" && echo scan >"$KFI_KMEMLEAK") 2>&1); then
		kt_step fail "$test" "kmemleak would not scan (${err:-disabled?})"
		return
	fi
	leaks=$(cat "$KFI_KMEMLEAK")
	if [ -z "$leaks" ]; then
		kt_step ok "$test"
		return
	fi
	printf '%s\n' "$leaks" >"$KFI_OUT/kmemleak.txt"
	while IFS= read -r line; do
		kt_diag "$line"
	done < <(printf '%s\n' "$leaks" | head -n 40)
	kt_step fail "$test" "$(grep -c '^unreferenced object' <<<"$leaks") leaks; see kmemleak.txt"
}
