#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the kfabric suite (sourced by kfabric_tests.sh): KTAP output,
# finding and loading the project's modules, and folding a test module's own
# KTAP lines from the kernel log into the suite's flat KTAP stream.
#
# Results go, one line each, to the array KT_LINES and to $KT_PARTIAL (so a
# VM that times out still leaves what finished); progress goes to stderr.

KT_LINES=()
KT_N=0
KT_PASS=0
KT_FAIL=0
KT_SKIP=0
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

# kt_print: the whole stream, plan first.
kt_print()
{
	echo "KTAP version 1"
	echo "1..$KT_N"
	printf '%s\n' "${KT_LINES[@]}"
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
# separated shell patterns matches NAME.
kfi_selected()
{
	local pat
	[ -n "${KFI_TESTS:-}" ] || return 0
	for pat in $KFI_TESTS; do
		# shellcheck disable=SC2053
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

# kfi_test_modules: the test modules, filtered by $KFI_TESTS (space
# separated shell patterns on the module name, e.g. "kfi_test_core*").
kfi_test_modules()
{
	local ko
	for ko in "$KFI_KO_DIR"/tools/testing/selftests/kfabric/modules/kfi_test_*.ko; do
		[ -e "$ko" ] || continue
		kfi_selected "$(kfi_modname "$ko")" && echo "$ko"
	done
	return 0
}

# kfi_insmod FILE.ko: load a module after the kernel modules it needs;
# error text on stdout.
kfi_insmod()
{
	local ko=$1 dep name err params
	name=$(kfi_modname "$ko")
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		kfi_loaded "$dep" || modprobe -q "$dep" 2>/dev/null || true
	done
	params=$(kfi_params "$ko")
	# shellcheck disable=SC2086
	err=$(insmod "$ko" $params 2>&1) || { echo "${err:-insmod failed}"; return 1; }
	kfi_loaded "$name" || { echo "not in /sys/module after insmod"; return 1; }
}

kfi_rmmod()
{
	local err
	err=$(rmmod "$1" 2>&1) || { echo "${err:-rmmod failed}"; return 1; }
	! kfi_loaded "$1" || { echo "still loaded after rmmod"; return 1; }
}

# kfi_kmsg_mark TAG: a line in the kernel log that kfi_kmsg_since finds.
kfi_kmsg_mark()
{
	echo "kfi-suite: mark $1" >/dev/kmsg
}

# kfi_kmsg_since TAG: kernel log lines after the mark, without timestamps.
kfi_kmsg_since()
{
	dmesg --notime | awk -v m="kfi-suite: mark $1" '
		$0 == m { n = 0; delete l; found = 1; next }
		found { l[n++] = $0 }
		END { for (i = 0; i < n; i++) print l[i] }'
}

# kfi_run_test_module FILE.ko: load it, fold its KTAP into the stream as
# <module>.<case>, unload it.  A module whose load fails, whose plan is
# missing or does not match its results, or that will not unload, fails.
kfi_run_test_module()
{
	local ko=$1 name err load_ok=1 plan='' seen=0 line rest num cname dir
	local re_res='^(not ok|ok) ([0-9]+) ([^#]*[^# ]) *(# *(.*))?$'
	local re_plan='^1\.\.([0-9]+)$'

	local t0=$SECONDS
	name=$(kfi_modname "$ko")
	echo "# $name: loading" >&2
	kfi_kmsg_mark "$name"
	err=$(kfi_insmod "$ko") || load_ok=0

	while IFS= read -r line; do
		rest=${line#"$name: "}
		[ "$rest" != "$line" ] || continue
		if [[ $rest =~ $re_plan ]]; then
			plan=${BASH_REMATCH[1]}
		elif [[ $rest =~ $re_res ]]; then
			num=${BASH_REMATCH[2]}
			cname=${BASH_REMATCH[3]}
			dir=${BASH_REMATCH[5]}
			seen=$((seen + 1))
			[ "$num" = "$seen" ] ||
				kt_diag "$name: case $cname numbered $num, expected $seen"
			if [ "${BASH_REMATCH[1]}" = ok ]; then
				if [[ $dir =~ ^[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
					kt_result skip "$name.$cname" "${BASH_REMATCH[1]}"
				else
					kt_result ok "$name.$cname" "$dir"
				fi
			else
				kt_result fail "$name.$cname" "$dir"
			fi
		elif [[ $rest =~ ^\ *#\ ?(.*)$ ]]; then
			kt_diag "$name: ${BASH_REMATCH[1]}"
		fi
	done < <(kfi_kmsg_since "$name")

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
		kt_result ok "$name.unload"
	else
		kt_result fail "$name.unload" "$err"
	fi
	kfi_check_log "$name.kernel_log_clean" "$name"
	echo "# $name: $((SECONDS - t0)) s" >&2
}

# kfi_test_scripts: the script tests, every *.sh beside this file except the
# runner's own kfabric_*.sh, filtered by $KFI_TESTS like the modules.
kfi_test_scripts()
{
	local f name
	for f in "$KFI_SELFTESTS"/*.sh; do
		name=${f##*/}
		name=${name%.sh}
		case $name in kfabric_*) continue ;; esac
		kfi_selected "$name" && echo "$f"
	done
	return 0
}

# kfi_run_test_script FILE.sh: run a standalone KTAP producer (with a
# timeout of $KFI_SCRIPT_TIMEOUT s, default 600) and fold its results into
# the stream as <script>.<case>.  A missing or unmatched plan, or a non-zero
# exit with no failed case, is a failed test; so is a project module left
# loaded (which is then unloaded) or a kernel problem in the log.
kfi_run_test_script()
{
	local f=$1 name rc=0 plan='' seen=0 failed=0 line num cname dir out
	local re_res='^(not ok|ok) ([0-9]+) ([^#]*[^# ]) *(# *(.*))?$'
	local re_plan='^1\.\.([0-9]+)$'
	local -a left=() mods=()
	local ko i

	local t0=$SECONDS
	name=${f##*/}
	name=${name%.sh}
	echo "# $name: running" >&2
	kfi_kmsg_mark "$name"
	out=$KFI_OUT/$name.log
	timeout -k 10 "${KFI_SCRIPT_TIMEOUT:-600}" bash "$f" >"$out" 2>&1 </dev/null ||
		rc=$?

	while IFS= read -r line; do
		if [[ $line =~ $re_plan ]]; then
			# The first plan is the script's own; nested ones are not.
			[ -n "$plan" ] || plan=${BASH_REMATCH[1]}
		elif [[ $line =~ $re_res ]]; then
			num=${BASH_REMATCH[2]}
			cname=${BASH_REMATCH[3]}
			dir=${BASH_REMATCH[5]}
			seen=$((seen + 1))
			[ "$num" = "$seen" ] ||
				kt_diag "$name: case $cname numbered $num, expected $seen"
			if [ "${BASH_REMATCH[1]}" = ok ]; then
				if [[ $dir =~ ^[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
					kt_result skip "$name.$cname" "${BASH_REMATCH[1]}"
				else
					kt_result ok "$name.$cname" "$dir"
				fi
			else
				failed=$((failed + 1))
				kt_result fail "$name.$cname" "$dir"
			fi
		elif [[ $line =~ ^#\ ?(.*)$ ]]; then
			kt_diag "$name: ${BASH_REMATCH[1]}"
		fi
	done <"$out"

	if [ $rc = 124 ] || [ $rc = 137 ]; then
		kt_result fail "$name.timeout" "killed after ${KFI_SCRIPT_TIMEOUT:-600} s; see $name.log"
	elif [ -z "$plan" ]; then
		kt_result fail "$name.plan" "no KTAP plan; see $name.log"
	elif [ "$plan" != "$seen" ]; then
		kt_result fail "$name.plan" "plan 1..$plan but $seen results; see $name.log"
	elif [ $rc != 0 ] && [ $failed = 0 ]; then
		kt_result fail "$name.exit" "exit status $rc with no failed case; see $name.log"
	fi

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

# kfi_check_log TEST TAG: TEST passes when the kernel log since mark TAG
# (or since boot, without TAG) reports no kernel problem.
kfi_check_log()
{
	local test=$1 splats line
	if [ -n "${2:-}" ]; then
		splats=$(kfi_kmsg_since "$2" | kfi_splats | head -n 20)
	else
		splats=$(dmesg --notime | kfi_splats | head -n 20)
	fi
	if [ -z "$splats" ]; then
		kt_result ok "$test"
		return 0
	fi
	while IFS= read -r line; do
		kt_diag "$line"
	done <<<"$splats"
	kt_result fail "$test" "kernel splat; see dmesg.txt"
	return 1
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

# kfi_kmemleak_scan: have kmemleak (debug kernels) look now; prints its
# report, if any.  KFI_LAST_UNLOAD: when (date +%s) our modules were gone.
kfi_kmemleak_scan()
{
	local f=/sys/kernel/debug/kmemleak age
	[ -w "$f" ] || return 0
	# kmemleak reports only objects older than 5 s: let the last
	# module's allocations reach that age.
	age=$(( $(date +%s) - ${KFI_LAST_UNLOAD:-0} ))
	[ $age -ge 6 ] || sleep $((6 - age))
	echo scan >"$f" 2>/dev/null || return 0
	echo scan >"$f" 2>/dev/null
	cat "$f"
}
