#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kfabric tracepoints under traffic: with kfabric:kfi_post and
# kfabric:kfi_complete enabled through tracefs, a mapped kfblk device does
# 64 writes and 64 reads; every event must carry sane fields, and the
# events of each endpoint and CQ must account exactly for how far its
# counters (read with kfi_info before and after) moved.  Standalone KTAP
# producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

KFI_INFO=$KFI_TOP/tools/kfi_info/kfi_info
PY=$(command -v /usr/bin/python3 || command -v python3)
T=/sys/kernel/tracing
tmp=$(mktemp -d /tmp/kfi_trace.XXXXXX)

kt_plan 8

tracing_off()
{
	[ -e "$T/events/kfabric/enable" ] && echo 0 >"$T/events/kfabric/enable"
}
trap 'tracing_off; kfblk_cleanup; rm -rf "$tmp"' EXIT

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
mountpoint -q "$T" || mount -t tracefs nodev "$T" 2>/dev/null ||
	T=/sys/kernel/debug/tracing

if ! kfblk_load; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
dev=$(kfblk_setup trace 16)
if [ -z "$dev" ] || [ ! -b "$dev" ]; then
	kt_fail setup "cannot export and map a device"
	exit 1
fi
kt_ok setup

# Both events exist, with the fields the analysis below reads.
formats()
{
	local f
	for f in ep op len ret; do
		grep -q "field:.* $f;" "$T/events/kfabric/kfi_post/format" ||
			{ echo "kfi_post: no field $f"; return 1; }
	done
	for f in cq ctx flags len err prov_errno; do
		grep -q "field:.* $f;" "$T/events/kfabric/kfi_complete/format" ||
			{ echo "kfi_complete: no field $f"; return 1; }
	done
}
kt_check events formats

# snapshot FILE: the live objects, once their counters have stopped
# moving (completions of the last I/O may still be on their way).
snapshot()
{
	local i
	"$PY" "$KFI_INFO" --json --objects >"$tmp/$1" || return 1
	for i in $(seq 50); do
		sleep 0.2
		"$PY" "$KFI_INFO" --json --objects >"$tmp/$1.next" || return 1
		cmp -s "$tmp/$1" "$tmp/$1.next" && return 0
		mv "$tmp/$1.next" "$tmp/$1"
	done
	echo "counters still moving after 10 s"
	return 1
}

traffic()
{
	snapshot before.json || return 1
	# %p prints hashed ids, as debugfs does, only with hash-ptr set.
	[ ! -e "$T/options/hash-ptr" ] || echo 1 >"$T/options/hash-ptr"
	echo 8192 >"$T/buffer_size_kb" &&
	echo >"$T/trace" &&
	echo 1 >"$T/tracing_on" &&
	echo 1 >"$T/events/kfabric/enable" || return 1
	dd if=/dev/urandom of="$dev" bs=4k count=64 oflag=direct 2>&1 &&
	dd if="$dev" of=/dev/null bs=4k count=64 iflag=direct 2>&1 &&
	snapshot after.json || return 1
	tracing_off
	cp "$T/trace" "$tmp/trace"
	cp "$tmp/trace" "$KFI_OUT/kfi_trace.trace" 2>/dev/null
	grep -c ' kfi_post: ' "$tmp/trace"
	grep -c ' kfi_complete: ' "$tmp/trace"
}
kt_check traffic traffic

# check NAME: one of the analyses in the python below.
check()
{
	"$PY" - "$1" "$tmp" <<'EOF'
import json, re, sys

name, tmp = sys.argv[1], sys.argv[2]
text = open(tmp + "/trace").read().splitlines()
POST = re.compile(r" kfi_post: ep=([0-9a-f]+) op=(\w+) len=(\d+) ret=(-?\d+)$")
COMP = re.compile(r" kfi_complete: cq=([0-9a-f]+) ctx=([0-9a-f]+) "
                  r"flags=0x([0-9a-f]+) len=(\d+) err=(-?\d+) "
                  r"prov_errno=(-?\d+)$")
KFI_RECV = 1 << 10
EAGAIN = -11


def events(tag, pat):
    lines = [l for l in text if " %s: " % tag in l]
    out = []
    for l in lines:
        m = pat.search(l)
        assert m, "unparsable: " + l
        out.append(m.groups())
    return out


def objs(f):
    d = json.load(open(tmp + "/" + f))
    return {o["id"]: o for o in d["objects"]}


def nonzero_id(i):
    return int(i, 16) != 0


if name == "overrun":
    hdr = re.compile(r"^# entries-in-buffer/entries-written: (\d+)/(\d+)")
    m = [hdr.match(l) for l in text if hdr.match(l)]
    assert m, "no trace header"
    assert m[0].group(1) == m[0].group(2), m[0].group(0)

elif name == "post_fields":
    posts = events("kfi_post", POST)
    ok = [p for p in posts if p[3] == "0"]
    assert len(ok) >= 128, "%d successful posts for 128 I/Os" % len(ok)
    for ep, op, ln, ret in posts:
        assert nonzero_id(ep), ep
        assert op in ("send", "recv", "read", "write", "atomic"), op
        assert int(ret) in (0, EAGAIN), "post failed: %s" % ret
        assert op == "recv" or int(ln) > 0, (ep, op, ln)
    ops = {p[1] for p in ok}
    assert {"send", "recv"} <= ops, ops

elif name == "complete_fields":
    comps = events("kfi_complete", COMP)
    assert len(comps) >= 128, "%d completions for 128 I/Os" % len(comps)
    for cq, ctx, flags, ln, err, perr in comps:
        assert nonzero_id(cq), cq
        assert int(flags, 16) != 0, "completion without flags"
        assert err == "0" and perr == "0", "completion error %s/%s" % (err, perr)
        if int(flags, 16) & KFI_RECV:
            assert int(ln) > 0, "empty receive"

elif name == "posts_match":
    a, b = objs("before.json"), objs("after.json")
    posts = events("kfi_post", POST)
    for ep in {p[0] for p in posts}:
        assert ep in b and b[ep]["class"] == "ep", "traced ep %s not listed" % ep
    for i, o in b.items():
        if o["class"] != "ep":
            continue
        ok = sum(1 for p in posts if p[0] == i and p[3] == "0")
        again = sum(1 for p in posts if p[0] == i and int(p[3]) == EAGAIN)
        base = a.get(i, {"posted": 0, "eagain": 0})
        assert o["posted"] - base["posted"] == ok, \
            ("ep", i, base["posted"], o["posted"], ok)
        assert o["eagain"] - base["eagain"] == again, ("ep", i, again)

elif name == "completions_match":
    a, b = objs("before.json"), objs("after.json")
    comps = events("kfi_complete", COMP)
    for cq in {c[0] for c in comps}:
        assert cq in b and b[cq]["class"] == "cq", "traced cq %s not listed" % cq
    for i, o in b.items():
        if o["class"] != "cq":
            continue
        n = sum(1 for c in comps if c[0] == i)
        base = a.get(i, {"completed": 0, "errors": 0})
        moved = o["completed"] + o["errors"] - base["completed"] - base["errors"]
        assert moved == n, ("cq", i, moved, n)
EOF
}

kt_check overrun check overrun
kt_check post_fields check post_fields
kt_check complete_fields check complete_fields
kt_check posts_match_counters check posts_match
kt_check completions_match_counters check completions_match

kt_exit
