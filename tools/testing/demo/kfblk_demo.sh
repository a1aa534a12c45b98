#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk demo, run inside the test VM (tools/testing/vm/run -- this script):
#
#   1. a RAM-backed null_blk device exported by kfblk_target on
#      $KFI_IPADDR (Soft-RoCE) and mapped back as /dev/kfblkN;
#   2. a second null_blk device of the same kind exported by nvmet-rdma
#      and connected with `nvme connect -t rdma` over the same rxe device;
#   3. fio 4 KiB random reads at iodepth 32 and 1 on both, side by side.
#
# Environment: KFBLK_DEMO_RUNTIME (seconds per run, default 10).

set -u

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/../../../consumers/block/kfblk_test_lib.sh
. "$here/../../../consumers/block/kfblk_test_lib.sh"

RUNTIME=${KFBLK_DEMO_RUNTIME:-10}
PY=$(command -v /usr/bin/python3 || command -v python3)

cleanup()
{
	nvme_teardown
	kfblk_cleanup
}
trap cleanup EXIT

say()
{
	printf '\n== %s\n' "$*"
}

# summary FILE: "IOPS p50 p99 avg" of a fio JSON report.
summary()
{
	"$PY" - "$1" <<'PYEOF'
import json, sys
text = open(sys.argv[1]).read()
r = json.loads(text[text.index("{"):])["jobs"][0]["read"]
p = r["lat_ns"]["percentile"]
print("%.0f %.0f %.0f %.0f" % (r["iops"], p["50.000000"] / 1e3,
                               p["99.000000"] / 1e3, r["lat_ns"]["mean"] / 1e3))
PYEOF
}

run()
{
	local dev=$1 qd=$2 tmp
	tmp=$(mktemp /tmp/kfblk-demo.XXXXXX)
	fio_json demo "$dev" randread 4k "$qd" "$RUNTIME" >"$tmp" 2>&1 &&
		summary "$tmp"
	rm -f "$tmp"
}

say "Soft-RoCE: $(rdma link show 2>/dev/null | head -n1)"
say "loading kfabric, kfi_verbs, kfblk_target, kfblk"
kfblk_load nr_queues=2 queue_depth=128 || exit 1

say "kfblk: export a 64 MiB null_blk (memory_backed) and map it"
kdev=$(kfblk_setup demo 64) || exit 1
"$KFBLKCTL" list
echo "client: $kdev, $(cat "/sys/block/${kdev#/dev/}/kfblk/nr_queues") queues of $(cat "/sys/block/${kdev#/dev/}/kfblk/queue_depth")"

say "nvme-rdma: nvmet-rdma on a second null_blk of the same kind, nvme connect -t rdma"
nb=$(nullb_create kfbt_nvme 64) || exit 1
ndev=$(nvme_setup "$nb") || exit 1
echo "client: $ndev"

for d in "$kdev" "$ndev"; do
	dd if=/dev/zero of="$d" bs=1M count=64 oflag=direct 2>/dev/null
done

declare -A res
for qd in 32 1; do
	say "fio 4 KiB randread, iodepth $qd, ${RUNTIME}s each"
	res[kfblk,$qd]=$(run "$kdev" "$qd")
	echo "kfblk:     ${res[kfblk,$qd]}"
	res[nvme,$qd]=$(run "$ndev" "$qd")
	echo "nvme-rdma: ${res[nvme,$qd]}"
done

say "kfi_info -o: kfabric's live objects under the kfblk device, with their counters"
"$PY" "$here/../../kfi_info/kfi_info" --objects -p verbs |
	sed -n '/^objects:/,$p' | grep -Ev '^ +mr ' || true
echo "(MRs left out: $("$PY" "$here/../../kfi_info/kfi_info" --objects |
	grep -c '^ *mr ') of them)"

say "4 KiB random read over $KFI_RXE_DEV (same VM, same run)"
printf '%-9s %4s %10s %10s %10s %10s\n' impl qd IOPS p50_us p99_us avg_us
for qd in 32 1; do
	for impl in kfblk nvme; do
		# shellcheck disable=SC2086
		printf '%-9s %4s %10s %10s %10s %10s\n' \
			"$([ $impl = nvme ] && echo nvme-rdma || echo kfblk)" "$qd" \
			${res[$impl,$qd]:-- - - -}
	done
done
"$PY" - "${res[kfblk,32]:-0 0 0 0}" "${res[nvme,32]:-0 0 0 0}" \
	"${res[kfblk,1]:-0 0 0 0}" "${res[nvme,1]:-0 0 0 0}" <<'PYEOF'
import sys
k32, n32, k1, n1 = (list(map(float, a.split())) for a in sys.argv[1:5])
if n32[0] and n1[1]:
    print("kfblk/nvme-rdma: IOPS at QD32 %.2fx, p50 latency at QD1 %.2fx" %
          (k32[0] / n32[0], k1[1] / n1[1]))
PYEOF
