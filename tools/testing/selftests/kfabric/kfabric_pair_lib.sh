# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the two-node tests (pair/<name>.sh) share, sourced by each: the
# host-side helpers (tools/testing/vm/pair_lib.sh) and kfblk's test
# library, the provider both nodes use, and what node commands start from.
# The tree is found from the path of the test that sources this.
#
#   $provider    verbs, or tcp with KFBLK_PAIR_PROVIDER=tcp: then only
#                kfi_tcp is loaded on either node
#   $lib         the start of a node command: KFBLK_PROVIDER set and
#                kfblk_test_lib.sh sourced (KFBLKCTL, kfblk_load, ...)
#   $pt_unload   a node command that unloads every project module left
#   pt_map_a EXPORT MAP TMO [PARAM...]  on node a: kfblk loaded with one
#                queue, keep-alive 1 s x 3, a reconnect attempt every second,
#                ctrl_loss_tmo TMO and the PARAMs (name=value), and node
#                b's EXPORT mapped as MAP (through its address on link 0);
#                prints /dev/kfblkN (or, failing, what went wrong)
#   pt_log_clean NODE TEST   NODE's kernel log since the suite's mark for
#                TEST has no splat (for a test that resets NODE: the suite
#                can then only read the new boot's log)

top=$(cd "$(dirname "$(readlink -f "$0")")/../../../../.." && pwd)
# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$top/consumers/block/kfblk_test_lib.sh"
# shellcheck source=SCRIPTDIR/../../vm/pair_lib.sh
. "$top/tools/testing/vm/pair_lib.sh"

provider=${KFBLK_PAIR_PROVIDER:-verbs}
case $provider in
verbs|tcp) ;;
*)	echo "${0##*/}: KFBLK_PAIR_PROVIDER must be verbs or tcp" >&2; exit 2 ;;
esac
# Every node command starts from the same helpers, on the same paths.
# shellcheck disable=SC2034
lib="KFBLK_PROVIDER=$provider; . '$top/consumers/block/kfblk_test_lib.sh'"
# shellcheck disable=SC2034
pt_unload='for m in kfkv kfkv_target kfblk kfblk_target kfi_verbs kfi_tcp kfabric; do
		[ -d /sys/module/$m ] && rmmod $m
	done; true'

pt_log_clean()
{
	node_run "$1" ". '$top/tools/testing/selftests/kfabric/kfabric_modules.sh'
		KFI_MARK_x='kfi-pair: mark $2'
		log=\$(kfi_kmsg_since x) || { echo 'mark not in the log'; exit 1; }
		out=\$(kfi_splats <<<\"\$log\" | head -n 20)
		[ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
}

pt_map_a()
{
	local dev exp=$1 map=$2 tmo=$3
	shift 3
	dev=$(node_run a "$lib
		kfblk_load nr_queues=1 ctrl_loss_tmo=$tmo reconnect_delay_ms=1000 \
			keepalive_ms=1000 keepalive_misses=3 $* || exit 1
		\$KFBLKCTL map $KFI_NODE_B_IP $KFBLK_PORT $exp $map" 2>&1)
	echo "$dev"
	[[ $dev =~ ^/dev/kfblk[0-9]+$ ]]
}
