#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk against nvme-rdma, in one VM run, over the same Soft-RoCE device.
#
# Two identical RAM-backed null_blk devices: one exported by kfblk_target
# and mapped by kfblk, one exported by nvmet-rdma and connected with
# nvme-rdma (both with 2 queues of 128).  fio runs each point on both,
# alternating, and writes one JSON record per run and implementation:
#
#   {"suite": "block", "test", "op", "size", "iodepth",
#    "impl": "kfblk"|"nvme-rdma", "iops", "mbps", "lat_us_p50",
#    "lat_us_p99", "cpu_usr", "cpu_sys", "cpu_us_per_io", "runtime_s"}
#
# to $KFI_OUT/kfblk_vs_nvme.jsonl (lat: fio's total latency percentiles;
# cpu_usr/cpu_sys: fio's own, in percent; cpu_us_per_io: busy CPU time of
# the whole VM, both ends and softirqs included, per I/O), then prints a
# table and the two ratios the project tracks.
#
# Points: 4 KiB randread and randwrite at iodepth 1 (latency) and 32
# (IOPS); 128 KiB sequential read and write at iodepth 8 (MB/s).
#
# Environment: KFBLK_BENCH_RUNTIME (seconds per run, default 10),
# KFBLK_BENCH_REPEAT (runs per point and implementation, default 1),
# KFBLK_BENCH_OUT (records file).  Run as root in the test VM
# (tools/testing/vm/run -- tools/testing/bench/block/kfblk_vs_nvme.sh).

set -u

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$here/../../../../consumers/block/kfblk_test_lib.sh"

RUNTIME=${KFBLK_BENCH_RUNTIME:-10}
REPEAT=${KFBLK_BENCH_REPEAT:-1}
OUT=${KFBLK_BENCH_OUT:-$KFI_OUT/kfblk_vs_nvme.jsonl}
PY=$(command -v /usr/bin/python3 || command -v python3)
SIZE_MB=64

POINTS=(
	"rand4k randread 4k 1"
	"rand4k randwrite 4k 1"
	"rand4k randread 4k 32"
	"rand4k randwrite 4k 32"
	"seq128k read 128k 8"
	"seq128k write 128k 8"
)

log()
{
	echo "kfblk-bench: $*" >&2
}

cleanup()
{
	nvme_teardown
	kfblk_cleanup
}
trap cleanup EXIT

# record IMPL TEST OP BS QD JSONFILE BUSY_JIFFIES: one JSON line.
record()
{
	"$PY" - "$@" <<'PYEOF'
import json, os, sys

impl, test, op, bs, qd, path, busy = sys.argv[1:8]
hz = os.sysconf("SC_CLK_TCK")
size = int(bs[:-1]) * 1024
with open(path) as f:
    text = f.read()
job = json.loads(text[text.index("{"):])["jobs"][0]
side = job["read"] if "read" in op else job["write"]
pct = side["lat_ns"].get("percentile", {})
runtime = side["runtime"] / 1000.0
ios = side["total_ios"]
print(json.dumps({
    "suite": "block", "test": test, "op": op, "size": size,
    "iodepth": int(qd), "impl": impl,
    "iops": round(side["iops"], 1),
    "mbps": round(side["bw_bytes"] / 1e6, 2),
    "lat_us_p50": round(pct.get("50.000000", 0) / 1000.0, 1),
    "lat_us_p99": round(pct.get("99.000000", 0) / 1000.0, 1),
    "cpu_usr": round(job["usr_cpu"], 2),
    "cpu_sys": round(job["sys_cpu"], 2),
    "cpu_us_per_io": round(int(busy) / hz * 1e6 / ios, 1) if ios else None,
    "runtime_s": runtime,
}))
PYEOF
}

# run_point IMPL DEV TEST OP BS QD
run_point()
{
	local impl=$1 dev=$2 test=$3 op=$4 bs=$5 qd=$6 tmp b0 b1 rec
	tmp=$(mktemp /tmp/kfblk-fio.XXXXXX)
	read -r b0 _ < <(cpu_jiffies)
	if ! fio_json "$test" "$dev" "$op" "$bs" "$qd" "$RUNTIME" >"$tmp" 2>&1; then
		log "fio failed on $impl $test $op qd$qd"
		tail -n 5 "$tmp" >&2
		rm -f "$tmp"
		return 1
	fi
	read -r b1 _ < <(cpu_jiffies)
	rec=$(record "$impl" "$test" "$op" "$bs" "$qd" "$tmp" $((b1 - b0)))
	rm -f "$tmp"
	[ -n "$rec" ] || return 1
	echo "$rec" >>"$OUT"
	log "$rec"
}

summary()
{
	"$PY" - "$OUT" <<'PYEOF'
import json, statistics, sys

recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pts = {}
for r in recs:
    key = (r["test"], r["op"], r["size"], r["iodepth"])
    pts.setdefault(key, {}).setdefault(r["impl"], []).append(r)

def med(rs, m):
    return statistics.median(r[m] for r in rs)

print("%-8s %-9s %4s | %10s %10s | %8s %8s | %8s %8s | %7s %7s" % (
    "test", "op", "qd", "kfblk", "nvme-rdma", "p50 kfb", "p50 nvme",
    "p99 kfb", "p99 nvme", "cpu kfb", "cpu nvm"))
for key in sorted(pts, key=lambda k: (k[0], k[3], k[1])):
    g = pts[key]
    if "kfblk" not in g or "nvme-rdma" not in g:
        continue
    k, n = g["kfblk"], g["nvme-rdma"]
    unit = "iops" if key[2] == 4096 else "mbps"
    print("%-8s %-9s %4d | %10.1f %10.1f | %8.1f %8.1f | %8.1f %8.1f | %7.1f %7.1f %s" % (
        key[0], key[1], key[3], med(k, unit), med(n, unit),
        med(k, "lat_us_p50"), med(n, "lat_us_p50"),
        med(k, "lat_us_p99"), med(n, "lat_us_p99"),
        med(k, "cpu_us_per_io"), med(n, "cpu_us_per_io"), unit))

def ratio(key, metric):
    g = pts.get(key, {})
    if "kfblk" in g and "nvme-rdma" in g and med(g["nvme-rdma"], metric):
        return med(g["kfblk"], metric) / med(g["nvme-rdma"], metric)
    return float("nan")

print("ratio kfblk/nvme-rdma 4k randread qd32 IOPS: %.2f (target >= 1.20)" %
      ratio(("rand4k", "randread", 4096, 32), "iops"))
print("ratio kfblk/nvme-rdma 4k randread qd1 p50 latency: %.2f (target <= 0.90)" %
      ratio(("rand4k", "randread", 4096, 1), "lat_us_p50"))
PYEOF
}

main()
{
	local nb_n kdev ndev pt i test op bs qd
	kfblk_load nr_queues=2 queue_depth=128 || { log "cannot load modules"; return 1; }
	kdev=$(kfblk_setup bench "$SIZE_MB") || { log "kfblk setup failed"; return 1; }
	nb_n=$(nullb_create kfbt_nvme "$SIZE_MB") || return 1
	ndev=$(nvme_setup "$nb_n") || { log "nvme-rdma setup failed"; return 1; }
	log "kfblk: $kdev, nvme-rdma: $ndev, ${RUNTIME}s per run"
	# Write the whole area once, so reads find data on both.
	for d in "$kdev" "$ndev"; do
		dd if=/dev/zero of="$d" bs=1M count="$SIZE_MB" oflag=direct 2>/dev/null
	done
	: >"$OUT"
	for pt in "${POINTS[@]}"; do
		read -r test op bs qd <<<"$pt"
		for ((i = 0; i < REPEAT; i++)); do
			run_point kfblk "$kdev" "$test" "$op" "$bs" "$qd"
			run_point nvme-rdma "$ndev" "$test" "$op" "$bs" "$qd"
		done
	done
	summary | tee "${OUT%.jsonl}.txt"
}

main
