#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk against nvme-rdma, in one VM run, over the same Soft-RoCE device;
# with KFBLK_BENCH_TRANSPORT=tcp, kfblk over the TCP provider (kfi_tcp)
# against nvme-tcp, both over plain kernel TCP on an address no RDMA device
# carries (a second dummy netdev), where kfi_getinfo()'s first entry is the
# tcp domain.  Below, nvme-rdma stands for nvme-tcp in that mode.
#
# Two identical RAM-backed null_blk devices: one exported by kfblk_target
# and mapped by kfblk, one exported by nvmet-rdma and connected with
# nvme-rdma.  Both sides get the same shape, set explicitly and checked
# before anything is measured: $KFBLK_BENCH_QUEUES I/O queues (default 2)
# of $KFBLK_BENCH_DEPTH entries (default 128) -- kfblk's nr_queues and
# queue_depth, nvme connect's --nr-io-queues and --queue-size -- and no
# I/O scheduler.  nvme-rdma runs with native multipath off, so fio drives
# the controller's own device as it drives kfblk's, not a multipath head.
#
# Each point runs KFBLK_BENCH_REPEAT times (default 5) on each side, the
# order alternating (kfblk first on even repeats, nvme-rdma first on odd
# ones).  One JSON record per run and implementation:
#
#   {"suite": "block", "test", "op", "size", "iodepth",
#    "impl": "kfblk"|"nvme-rdma", "rep", "iops", "mbps", "lat_us_p50",
#    "lat_us_p99", "cpu_usr", "cpu_sys", "cpu_us_per_io", "pkts_per_io",
#    "runtime_s"}
#
# goes to $KFI_OUT/kfblk_vs_nvme.jsonl (lat: fio's total latency
# percentiles; cpu_usr/cpu_sys: fio's own, in percent; cpu_us_per_io: busy
# CPU time of the whole VM, both ends and softirqs included, per I/O
# (the counters run through fio's ramp, whose I/O is taken at the
# measured rate; the same for pkts_per_io);
# pkts_per_io: packets sent in the VM, both ends, acknowledgements
# included, per I/O -- the messages each side needs for one: TCP
# segments over tcp, Soft-RoCE packets over rdma).  A
# run where fio fails is recorded as {"failed": why} with no rate, and
# makes the script exit non-zero.  The plan (every point) goes first to
# kfblk_vs_nvme.plan.json.  Then a table: medians, the spread of each
# side's repeats, and each ratio with the range of its per-repeat ratios;
# a headline ratio is "shown" (kfblk ahead or behind) only when every
# repeat agrees on the side of 1 and the difference is larger than either
# side's spread.
#
# Points: 4 KiB randread and randwrite at iodepth 1 (latency) and 32
# (IOPS); 128 KiB sequential read and write at iodepth 8 (MB/s).  With
# KFBLK_BENCH_POINTS=scale (the block-scale suite), the curves instead:
# 4 KiB randread and randwrite at iodepth 1 to 128, and with 2 and 4 fio
# jobs of iodepth 32.  KFBLK_BENCH_POINTS=hwq: one point of the hardware
# queue curve, the suite runs it once for each count from 1 to the CPUs:
# 4 KiB randread and randwrite with one fio job of iodepth 32 pinned to
# each CPU, on $KFBLK_BENCH_QUEUES queues (test "hwqN").
#
# KFBLK_BENCH_POINTS=poll: both disks get as many poll queues as I/O
# queues (kfblk's poll_queues, nvme connect's --nr-poll-queues), and 4 KiB
# random I/O at iodepth 1 and 32 runs through io_uring twice: test "poll"
# submits it for polling (fio's hipri: IOPOLL, the poll queues), test
# "uring" does not (the interrupt-driven queues of the same disks).
#
# With KFI_KFBLK_AB set to kfblk parameters (e.g. "inline_write=0"), a
# third implementation runs beside the two: "kfblk-ab", the same export
# mapped a second time with those parameters set while it connects, so
# a change of kfblk is measured against itself in the same run; its
# records carry "ab", and the table gains its ratios against nvme-rdma
# and kfblk's against it.
#
# Environment: KFBLK_BENCH_TRANSPORT (rdma, the default, or tcp),
# KFBLK_BENCH_RUNTIME (seconds per run, default 10),
# KFBLK_BENCH_REPEAT, KFBLK_BENCH_QUEUES, KFBLK_BENCH_DEPTH,
# KFBLK_BENCH_OUT (records file), KFI_TCP_PARAMS (kfi_tcp's module
# parameters, e.g. wq_unbound=1), KFI_KFBLK_PARAMS (more of kfblk's, e.g.
# inline_write=0 to send every WRITE's data by RMA read).  Run as root in
# the test VM
# (tools/testing/vm/run -- tools/testing/bench/block/kfblk_vs_nvme.sh).

set -u

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$here/../../../../consumers/block/kfblk_test_lib.sh"

RUNTIME=${KFBLK_BENCH_RUNTIME:-10}
REPEAT=${KFBLK_BENCH_REPEAT:-5}
QUEUES=${KFBLK_BENCH_QUEUES:-2}
DEPTH=${KFBLK_BENCH_DEPTH:-128}
OUT=${KFBLK_BENCH_OUT:-$KFI_OUT/kfblk_vs_nvme.jsonl}
PLAN=${OUT%.jsonl}.plan.json
PY=$(command -v /usr/bin/python3 || command -v python3)
SIZE_MB=64
TRANSPORT=${KFBLK_BENCH_TRANSPORT:-rdma}
NVME=nvme-$TRANSPORT
TCP_NETDEV=kfbt_bench0
export NVME_TRANSPORT=$TRANSPORT BENCH_NVME=$NVME

POINTS=(
	"rand4k randread 4k 1"
	"rand4k randwrite 4k 1"
	"rand4k randread 4k 32"
	"rand4k randwrite 4k 32"
	"seq128k read 128k 8"
	"seq128k write 128k 8"
)
# KFBLK_BENCH_POINTS=scale: the curves instead, 4 KiB random I/O at every
# iodepth from 1 to 128, and 2 and 4 fio jobs of iodepth 32 each (a fifth
# field: jobs, reported together; test "jobsN").
if [ "${KFBLK_BENCH_POINTS:-main}" = scale ]; then
	POINTS=()
	for op in randread randwrite; do
		for qd in 1 2 4 8 16 32 64 128; do
			POINTS+=("rand4k $op 4k $qd")
		done
		POINTS+=("jobs2 $op 4k 32 2" "jobs4 $op 4k 32 4")
	done
fi
# poll: polled I/O against the same through interrupts, same disks.
POLL=0
if [ "${KFBLK_BENCH_POINTS:-main}" = poll ]; then
	POLL=$QUEUES POINTS=()
	for t in poll uring; do
		for qd in 1 32; do
			POINTS+=("$t randread 4k $qd" "$t randwrite 4k $qd")
		done
	done
fi
# stages: where the time of a 4 KiB I/O goes, both drivers, at iodepth 1.
# ftrace's function_graph tracer times the entry points of each stage
# (STAGE_FUNCS: the syscalls, each driver's submit and completion, each
# target's receive and response, the backing device, the CQ dispatch of
# ib_core and kfabric, Soft-RoCE's tasks) while fio runs, without ramp so
# that fio's I/O count covers the time traced; record, below, turns the
# trace into each stage's own time (its calls' durations less those of
# the traced calls nested in them, time scheduled out left out) per I/O.
# (perf's sampling does not work under emulation: its cpu-clock samples
# land almost all in idle.)
STAGES=0 FIO_STAGES=()
STAGE_FUNCS=(
	__x64_sys_io_submit __x64_sys_io_getevents __x64_sys_io_pgetevents
	kfblk_queue_rq nvme_rdma_queue_rq
	kfblk_recv_done kfblk_send_done kfblk_inv_done
	nvme_rdma_recv_done nvme_rdma_send_done nvme_rdma_inv_rkey_done
	kfblk_slot_recv_done nvmet_rdma_recv_done
	null_queue_rq
	kfblk_bio_end_io kfblk_rma_read_done kfblk_rma_write_done
	kfblk_rsp_done nvmet_bio_done nvmet_rdma_queue_response
	nvmet_rdma_read_data_done nvmet_rdma_write_data_done
	nvmet_rdma_send_done
	ib_poll_handler ib_cq_poll_work kfi_cq_iop_poll kfi_cq_work
	rxe_requester rxe_responder rxe_completer rxe_udp_encap_recv
)
TRACEFS=/sys/kernel/tracing
if [ "${KFBLK_BENCH_POINTS:-main}" = stages ]; then
	POINTS=("stages randread 4k 1" "stages randwrite 4k 1")
	STAGES=1 FIO_STAGES=(--ramp_time=0)
	[ -e $TRACEFS/trace ] || mount -t tracefs nodev $TRACEFS
fi

# trace_setup: function_graph on STAGE_FUNCS, tracing still off.
trace_setup()
{
	local f
	echo 0 >$TRACEFS/tracing_on
	echo nop >$TRACEFS/current_tracer
	: >$TRACEFS/set_ftrace_filter
	# One at a time: a function this kernel lacks is skipped.
	for f in "${STAGE_FUNCS[@]}"; do
		echo "$f" >>$TRACEFS/set_ftrace_filter 2>/dev/null
	done
	echo 8192 >$TRACEFS/buffer_size_kb
	echo function_graph >$TRACEFS/current_tracer
	echo 1 >$TRACEFS/options/funcgraph-tail
	echo 0 >$TRACEFS/options/sleep-time
	: >$TRACEFS/trace
}

# trace_stop READER: tracing off, the reader of trace_pipe (a child of
# this shell) gone, the tracer back to nop.
trace_stop()
{
	echo 0 >$TRACEFS/tracing_on
	sleep 1
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	echo nop >$TRACEFS/current_tracer
	: >$TRACEFS/set_ftrace_filter
}

# hwq: every CPU submits, each through its own queue once there are as
# many queues as CPUs (blk-mq maps CPUs to queues).
FIO_PIN=()
if [ "${KFBLK_BENCH_POINTS:-main}" = hwq ]; then
	ncpu=$(nproc)
	POINTS=("hwq$QUEUES randread 4k 32 $ncpu" "hwq$QUEUES randwrite 4k 32 $ncpu")
	FIO_PIN=(--cpus_allowed="0-$((ncpu - 1))" --cpus_allowed_policy=split)
fi

log()
{
	echo "kfblk-bench: $*" >&2
}

cleanup()
{
	nvme_teardown
	kfblk_cleanup
	[ "$TRANSPORT" != tcp ] || ip link del "$TCP_NETDEV" 2>/dev/null
}

# tcp_setup: kfi_tcp, and an address of this host no RDMA device carries.
tcp_setup()
{
	KFI_IPADDR=198.51.100.1
	# shellcheck disable=SC2086 # KFI_TCP_PARAMS: words, one per parameter
	kfblk_load_one kfi_tcp providers/tcp/kfi_tcp.ko ${KFI_TCP_PARAMS:-} &&
	ip link add "$TCP_NETDEV" type dummy &&
	ip addr add "$KFI_IPADDR/24" dev "$TCP_NETDEV" &&
	ip link set "$TCP_NETDEV" up
}
trap cleanup EXIT

# wire_pkts: packets this host has sent (both ends are here): TCP
# segments over tcp, Soft-RoCE's packets (requests and acknowledgements,
# every device) over rdma.
wire_pkts()
{
	if [ "$TRANSPORT" = tcp ]; then
		awk '/^Tcp:/ { if (!n) { for (i = 1; i <= NF; i++)
					      if ($i == "OutSegs") c = i; n = 1 }
			       else print $c }' /proc/net/snmp
		return
	fi
	cat /sys/class/infiniband/*/ports/*/hw_counters/sent_pkts \
		2>/dev/null | awk '{ n += $1 } END { print n + 0 }'
}

# record IMPL REP TEST OP BS QD JSONFILE BUSY_JIFFIES WIRE_PKTS [TRACE]:
# one JSON line; a failed record when fio reports an error or moved
# nothing.  With TRACE (function_graph of STAGE_FUNCS), the record gains
# stages_us_per_io: each stage's own microseconds per I/O.
record()
{
	"$PY" - "$@" <<'PYEOF'
import json, os, re, sys

impl, rep, test, op, bs, qd, path, busy, pkts = sys.argv[1:10]

# The stage of each traced function (STAGE_FUNCS).
STAGE = {}
for name, funcs in (
        ("syscall", "__x64_sys_io_submit __x64_sys_io_getevents "
                    "__x64_sys_io_pgetevents"),
        ("submit", "kfblk_queue_rq nvme_rdma_queue_rq"),
        ("complete", "kfblk_recv_done kfblk_send_done kfblk_inv_done "
                     "nvme_rdma_recv_done nvme_rdma_send_done "
                     "nvme_rdma_inv_rkey_done"),
        ("target_recv", "kfblk_slot_recv_done nvmet_rdma_recv_done"),
        ("backend", "null_queue_rq"),
        ("target_resp", "kfblk_bio_end_io kfblk_rma_read_done "
                        "kfblk_rma_write_done kfblk_rsp_done nvmet_bio_done "
                        "nvmet_rdma_queue_response nvmet_rdma_read_data_done "
                        "nvmet_rdma_write_data_done nvmet_rdma_send_done"),
        ("cq", "ib_poll_handler ib_cq_poll_work kfi_cq_iop_poll "
               "kfi_cq_work"),
        ("rxe", "rxe_requester rxe_responder rxe_completer "
                "rxe_udp_encap_recv")):
    for f in funcs.split():
        STAGE[f] = name
LINE = re.compile(r"^\s*(\d+)\)\s*(?:[+!#*@$]\s*)?(?:([\d.]+) (us|ms|s)\s*)?"
                  r"\|\s*(.*)$")
CALL = re.compile(r"^(\w+)(?: \[\w+\])?\(\)\s*(;|\{)")
SCALE = {"us": 1.0, "ms": 1e3, "s": 1e6}


def stages(path, ios):
    """Each stage's own time per I/O: a call's duration less the traced
    calls nested in it, on the same CPU."""
    own, stacks = {}, {}

    def done(cpu, func, us):
        stack = stacks.setdefault(cpu, [])
        nested = 0.0
        if stack and stack[-1][0] == func:
            nested = stack.pop()[1]
        if stack:
            stack[-1][1] += us
        name = STAGE.get(func, "other")
        own[name] = own.get(name, 0.0) + max(us - nested, 0.0)

    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            cpu, body = int(m.group(1)), m.group(4).strip()
            us = float(m.group(2)) * SCALE[m.group(3)] if m.group(2) \
                else None
            call = CALL.match(body)
            if call and call.group(2) == "{":
                stacks.setdefault(cpu, []).append([call.group(1), 0.0])
            elif call and us is not None:
                done(cpu, call.group(1), us)
            elif body.startswith("}") and us is not None:
                tail = re.search(r"/\* (\w+)", body)
                stack = stacks.get(cpu) or [["?", 0.0]]
                done(cpu, tail.group(1) if tail else stack[-1][0], us)
    return {k: round(v / ios, 2) for k, v in sorted(own.items())}


hz = os.sysconf("SC_CLK_TCK")
size = int(bs[:-1]) * 1024
rec = {"suite": "block", "test": test, "op": op, "size": size,
       "iodepth": int(qd), "impl": impl, "rep": int(rep)}
try:
    with open(path) as f:
        text = f.read()
    job = json.loads(text[text.index("{"):])["jobs"][0]
except (OSError, ValueError, KeyError, IndexError) as e:
    rec["failed"] = "no fio report: %s" % e
    print(json.dumps(rec))
    sys.exit(0)
side = job["read"] if "read" in op else job["write"]
ios = side["total_ios"]
if job.get("error") or not ios:
    rec["failed"] = "fio error %s after %d I/Os" % (job.get("error"), ios)
    print(json.dumps(rec))
    sys.exit(0)
pct = side["lat_ns"].get("percentile", {})
# The CPU and packet counters run through fio's ramp too, whose I/O fio
# does not count: per I/O, that time's I/O is taken at the measured rate.
ramp = re.match(r"[\d.]*", job.get("job options", {}).get("ramp_time", ""))
ramp_s = float(ramp.group(0) or 0)
run_s = side["runtime"] / 1000.0
window_ios = ios * (run_s + ramp_s) / run_s if run_s else ios
rec.update({
    "iops": round(side["iops"], 1),
    "mbps": round(side["bw_bytes"] / 1e6, 2),
    "lat_us_p50": round(pct.get("50.000000", 0) / 1000.0, 1),
    "lat_us_p99": round(pct.get("99.000000", 0) / 1000.0, 1),
    "cpu_usr": round(job["usr_cpu"], 2),
    "cpu_sys": round(job["sys_cpu"], 2),
    "cpu_us_per_io": round(int(busy) / hz * 1e6 / window_ios, 1),
    "pkts_per_io": round(int(pkts) / window_ios, 2),
    "runtime_s": side["runtime"] / 1000.0,
})
if len(sys.argv) > 10:
    rec["stages_us_per_io"] = stages(sys.argv[10], ios)
print(json.dumps(rec))
PYEOF
}

# failed_record IMPL REP TEST OP BS QD WHY
failed_record()
{
	"$PY" -c 'import json, sys
impl, rep, test, op, bs, qd, why = sys.argv[1:8]
print(json.dumps({"suite": "block", "test": test, "op": op,
                  "size": int(bs[:-1]) * 1024, "iodepth": int(qd),
                  "impl": impl, "rep": int(rep), "failed": why}))' "$@"
}

# run_point IMPL DEV REP TEST OP BS QD [JOBS]: one fio run, one record;
# fails when fio does.
run_point()
{
	local impl=$1 dev=$2 rep=$3 test=$4 op=$5 bs=$6 qd=$7 jobs=${8:-1}
	local tmp b0 b1 s0 s1 rec rc=0 tpid='' st=() eng=()
	tmp=$(mktemp /tmp/kfblk-fio.XXXXXX)
	if [ "$STAGES" = 1 ]; then
		trace_setup
		cat $TRACEFS/trace_pipe >"$tmp.trace" &
		tpid=$!
		echo 1 >$TRACEFS/tracing_on
	fi
	case $test in
	poll) eng=(--ioengine=io_uring --hipri=1) ;;
	uring) eng=(--ioengine=io_uring) ;;
	esac
	read -r b0 _ < <(cpu_jiffies)
	s0=$(wire_pkts)
	fio_json "$test" "$dev" "$op" "$bs" "$qd" "$RUNTIME" \
		--numjobs="$jobs" --group_reporting "${FIO_PIN[@]}" \
		"${FIO_STAGES[@]}" "${eng[@]}" >"$tmp" 2>&1 || rc=$?
	s1=$(wire_pkts)
	read -r b1 _ < <(cpu_jiffies)
	if [ -n "$tpid" ]; then
		trace_stop "$tpid"
		st=("$tmp.trace")
	fi
	if [ $rc != 0 ]; then
		log "fio failed on $impl $test $op qd$qd (exit $rc)"
		tail -n 5 "$tmp" >&2
		rec=$(failed_record "$impl" "$rep" "$test" "$op" "$bs" "$qd" \
			"fio exit $rc: $(grep -m1 -i 'err' "$tmp" | tr -d '"\\')")
	else
		rec=$(record "$impl" "$rep" "$test" "$op" "$bs" "$qd" "$tmp" \
			$((b1 - b0)) $((s1 - s0)) "${st[@]}")
	fi
	rm -f "$tmp" "$tmp.trace"
	[ "$impl" != kfblk-ab ] || rec="${rec%\}}, \"ab\": \"$KFI_KFBLK_AB\"}"
	[ -n "$rec" ] || rec=$(failed_record "$impl" "$rep" "$test" "$op" \
		"$bs" "$qd" "no record")
	echo "$rec" >>"$OUT"
	log "$rec"
	[ $rc = 0 ] && [[ $rec != *'"failed"'* ]]
}

# ab_map: the export mapped once more, as kfblk-ab: KFI_KFBLK_AB's
# parameters set while it connects, and put back after.
ab_map()
{
	local kv p old=() dev rc=0
	for kv in $KFI_KFBLK_AB; do
		p=/sys/module/kfblk/parameters/${kv%%=*}
		old+=("$p=$(cat "$p")") && echo "${kv#*=}" >"$p" || return 1
	done
	dev=$("$KFBLKCTL" map "$KFI_IPADDR" "$KFBLK_PORT" bench m_bench_ab) ||
		rc=1
	for kv in "${old[@]}"; do
		echo "${kv#*=}" >"${kv%%=*}"
	done
	[ $rc = 0 ] && echo "$dev"
}

# shape DEV: "<hardware queues> <tags per queue> <scheduler>" of a disk.
shape()
{
	local b=${1#/dev/} q n=0
	for q in /sys/block/"$b"/mq/*/; do
		[ -d "$q" ] && n=$((n + 1))
	done
	echo "$n $(cat "/sys/block/$b/mq/0/nr_tags")" \
	     "$(sed 's/.*\[\(.*\)\].*/\1/' "/sys/block/$b/queue/scheduler")"
}

# same_shape KDEV NDEV: both disks have $QUEUES queues (and $POLL poll
# queues) of $DEPTH tags and no scheduler, so neither side is measured
# with more parallelism.
same_shape()
{
	local d want="$((QUEUES + POLL)) $DEPTH none" got ok=0
	for d in "$@"; do
		echo none >"/sys/block/${d#/dev/}/queue/scheduler" 2>/dev/null
		got=$(shape "$d")
		log "$d: $got (hardware queues, tags each, scheduler)"
		[ "$got" = "$want" ] || { log "$d: want $want"; ok=1; }
	done
	return $ok
}

# write_plan: every point, as the host's report expects it.
write_plan()
{
	local pt
	for pt in "${POINTS[@]}"; do
		echo "$pt"
	done | "$PY" -c 'import json, sys
pts = []
for line in sys.stdin:
    test, op, bs, qd = line.split()[:4]
    pts.append({"test": test, "op": op, "size": int(bs[:-1]) * 1024,
                "iodepth": int(qd)})
json.dump(pts, sys.stdout)' >"$PLAN"
}

summary()
{
	"$PY" - "$OUT" <<'PYEOF'
import json, os, statistics, sys

NVME = os.environ.get("BENCH_NVME", "nvme-rdma")

recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pts = {}
for r in recs:
    key = (r["test"], r["op"], r["size"], r["iodepth"])
    pts.setdefault(key, {}).setdefault(r["impl"], []).append(r)

def good(rs):
    return [r for r in rs if "failed" not in r]

def med(rs, m):
    return statistics.median(r[m] for r in good(rs))

def spread(rs, m):
    v = [r[m] for r in good(rs)]
    if len(v) < 2 or not statistics.median(v):
        return "-"
    return "%.0f%%" % (100.0 * (max(v) - min(v)) / statistics.median(v))

def pair_ratios(g, m, a="kfblk", b=NVME):
    """a / b of the runs of the same repeat, both sound."""
    n = {r["rep"]: r[m] for r in good(g.get(b, []))}
    return [r[m] / n[r["rep"]] for r in good(g.get(a, []))
            if n.get(r["rep"])]

print("%-8s %-9s %4s | %10s %5s %10s %5s | %6s %11s | %8s %8s | %7s %7s | "
      "%7s %7s" % (
    "test", "op", "qd", "kfblk", "spr", NVME, "spr", "ratio",
    "range", "p50 kfb", "p50 nvme", "cpu kfb", "cpu nvm", "pkt kfb",
    "pkt nvm"))
failed = 0
for key in sorted(pts, key=lambda k: (k[0], k[3], k[1])):
    g = pts[key]
    bad = sum(len(rs) - len(good(rs)) for rs in g.values())
    if bad or not good(g.get("kfblk", [])) or not good(g.get(NVME, [])):
        failed += 1
        print("%-8s %-9s %4d | FAILED (%d failed runs), no ratio" % (
            key[0], key[1], key[3], bad))
        continue
    k, n = g["kfblk"], g[NVME]
    unit = "iops" if key[2] == 4096 else "mbps"
    pr = pair_ratios(g, unit)
    print("%-8s %-9s %4d | %10.1f %5s %10.1f %5s | %6.2f %5.2f-%5.2f | "
          "%8.1f %8.1f | %7.1f %7.1f | %7.2f %7.2f %s" % (
              key[0], key[1], key[3], med(k, unit), spread(k, unit),
              med(n, unit), spread(n, unit), med(k, unit) / med(n, unit),
              min(pr), max(pr), med(k, "lat_us_p50"), med(n, "lat_us_p50"),
              med(k, "cpu_us_per_io"), med(n, "cpu_us_per_io"),
              med(k, "pkts_per_io"), med(n, "pkts_per_io"), unit))

def ab_table():
    """kfblk-ab beside the two, when the run has it."""
    keys = [k for k in pts if good(pts[k].get("kfblk-ab", []))]
    if not keys:
        return
    ab = good(pts[keys[0]]["kfblk-ab"])[0].get("ab", "")
    print("kfblk-ab: kfblk with %s, same export, same run" % ab)
    print("%-8s %-9s %4s | %10s %5s | %6s | %6s %11s | %8s | %7s" % (
        "test", "op", "qd", "kfblk-ab", "spr", "ab/nvm", "kfb/ab",
        "range", "p50 ab", "cpu ab"))
    for key in sorted(keys, key=lambda k: (k[0], k[3], k[1])):
        g = pts[key]
        unit = "iops" if key[2] == 4096 else "mbps"
        a, n, k = g["kfblk-ab"], g.get(NVME, []), g.get("kfblk", [])
        if not good(n) or not good(k):
            continue
        pr = pair_ratios(g, unit, "kfblk", "kfblk-ab") or [0]
        print("%-8s %-9s %4d | %10.1f %5s | %6.2f | %6.2f %5.2f-%5.2f | "
              "%8.1f | %7.1f %s" % (
                  key[0], key[1], key[3], med(a, unit), spread(a, unit),
                  med(a, unit) / med(n, unit), med(k, unit) / med(a, unit),
                  min(pr), max(pr), med(a, "lat_us_p50"),
                  med(a, "cpu_us_per_io"), unit))

ab_table()

def spread_of(rs, m):
    v = [r[m] for r in good(rs)]
    med_v = statistics.median(v)
    return (max(v) - min(v)) / med_v if len(v) > 1 and med_v else None

def headline(key, metric, what, better):
    g = pts.get(key, {})
    pr = pair_ratios(g, metric)
    if not pr or any("failed" in r for rs in g.values() for r in rs):
        print("ratio kfblk/%s %s: no sound pair" % (NVME, what))
        return
    r = med(g["kfblk"], metric) / med(g[NVME], metric)
    lo, hi = min(pr), max(pr)
    spreads = [spread_of(g[i], metric) for i in ("kfblk", NVME)]
    spread = max(spreads) if None not in spreads else None
    # A difference is shown only when every repeat's ratio is on the same
    # side of 1 and it is larger than the spread of either side's runs --
    # kfblk behind as much as kfblk ahead.
    agree = lo > 1 or hi < 1
    side = "ahead" if (r > 1) == (better == "higher") else "behind"
    if spread is None:
        verdict = "one repeat: no spread, nothing shown"
    elif agree and abs(r - 1) > spread:
        verdict = "kfblk %s, difference %.0f%% > spread %.0f%%: shown" % (
            side, 100 * abs(r - 1), 100 * spread)
    else:
        verdict = "difference %.0f%%, spread %.0f%%%s: not shown" % (
            100 * abs(r - 1), 100 * spread,
            "" if agree else ", repeats disagree")
    print("ratio kfblk/%s %s: %.2f (per-repeat %.2f-%.2f over %d "
          "pairs; %s is better; %s)" % (NVME, what, r, lo, hi, len(pr),
                                         better, verdict))

headline(("rand4k", "randread", 4096, 32), "iops",
         "4k randread qd32 IOPS", "higher")
headline(("rand4k", "randread", 4096, 1), "lat_us_p50",
         "4k randread qd1 p50 latency", "lower")
print("%d failed points" % failed)
PYEOF
}

main()
{
	local nb_n kdev ndev adev='' pt i j k n test op bs qd jobs fails=0 mp
	# shellcheck disable=SC2086
	kfblk_load nr_queues="$QUEUES" queue_depth="$DEPTH" poll_queues="$POLL" \
		${KFI_KFBLK_PARAMS:-} ||
		{ log "cannot load modules"; return 1; }
	if [ "$TRANSPORT" = tcp ]; then
		tcp_setup || { log "cannot set up kfi_tcp and $TCP_NETDEV"; return 1; }
	fi
	kdev=$(kfblk_setup bench "$SIZE_MB") || { log "kfblk setup failed"; return 1; }
	nb_n=$(nullb_create kfbt_nvme "$SIZE_MB") || return 1
	ndev=$(nvme_setup "$nb_n" "$QUEUES" "$DEPTH" "$POLL") ||
		{ log "$NVME setup failed"; return 1; }
	mp=$(cat /sys/module/nvme_core/parameters/multipath 2>/dev/null)
	if [ "$mp" = Y ]; then
		log "nvme_core has native multipath on: $ndev is a multipath head"
		return 1
	fi
	if [ -n "${KFI_KFBLK_AB:-}" ]; then
		adev=$(ab_map) || { log "kfblk-ab ($KFI_KFBLK_AB) map failed"; return 1; }
	fi
	# shellcheck disable=SC2086 # adev: none, or one more disk
	same_shape "$kdev" "$ndev" $adev || { log "the sides differ"; return 1; }
	log "kfblk: $kdev, $NVME: $ndev (multipath ${mp:-N}), ${RUNTIME}s per run, $REPEAT repeats"
	# Write the whole area once, so reads find data on both.
	for d in "$kdev" "$ndev"; do
		dd if=/dev/zero of="$d" bs=1M count="$SIZE_MB" oflag=direct 2>/dev/null
	done
	: >"$OUT"
	write_plan
	local impls=(kfblk "$NVME") devs=("$kdev" "$ndev")
	[ -z "$adev" ] || { impls+=(kfblk-ab); devs+=("$adev"); }
	n=${#impls[@]}
	for pt in "${POINTS[@]}"; do
		read -r test op bs qd jobs <<<"$pt"
		for ((i = 0; i < REPEAT; i++)); do
			# Each repeat starts with the next implementation, so none
			# always runs first, or after the same other one's caches.
			for ((j = 0; j < n; j++)); do
				k=$(((i + j) % n))
				# shellcheck disable=SC2086 # jobs: none, or a count
				run_point "${impls[$k]}" "${devs[$k]}" $i "$test" \
					"$op" "$bs" "$qd" $jobs || fails=$((fails + 1))
			done
		done
	done
	summary | tee "${OUT%.jsonl}.txt"
	[ $fails = 0 ] || { log "$fails fio runs failed"; return 1; }
}

main
