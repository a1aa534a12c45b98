#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfi_info against the live kernel: providers and domains as loaded (the
# verbs provider on the Soft-RoCE device, limits as ib_core reports them),
# then the live objects of a mapped kfblk device with counters that move
# with I/O, and nothing left once it is unmapped.  JSON is checked with
# python3's parser.  Standalone KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

KFI_INFO=$KFI_TOP/tools/kfi_info/kfi_info
PY=$(command -v /usr/bin/python3 || command -v python3)
: "${KFI_RXE_DEV:=rxe0}"
tmp=$(mktemp -d /tmp/kfi_info.XXXXXX)

kt_plan 11
trap 'kfblk_cleanup; rm -rf "$tmp"' EXIT

# info NAME ARGS...: kfi_info ARGS into $tmp/NAME (and $KFI_OUT).
info()
{
	local name=$1
	shift
	"$PY" "$KFI_INFO" "$@" >"$tmp/$name" 2>&1
	local rc=$?
	cp "$tmp/$name" "$KFI_OUT/kfi_info.$name" 2>/dev/null
	return $rc
}

# jcheck FILE PYTHON: run PYTHON with `d` the parsed JSON of FILE; it
# fails the check by raising (assert) and may print why.
jcheck()
{
	"$PY" - "$tmp/$1" "$KFI_RXE_DEV" <<EOF
import json, sys
d = json.load(open(sys.argv[1]))
rxe = sys.argv[2]
$2
EOF
}

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

if ! kfblk_load; then
	kt_fail setup "cannot load the modules"
	exit 1
fi
kt_ok setup

# Providers: JSON parses, the format is 1, verbs is there with the core's API.
providers()
{
	info prov.json --json --list || return 1
	jcheck prov.json '
assert d["format_version"] == 1, d
assert "domains" not in d, "--list printed domains"
p = [p for p in d["providers"] if p["name"] == "verbs"]
assert len(p) == 1, d["providers"]
assert p[0]["api"] == "1.0" and p[0]["version"] == "1.0", p
assert p[0]["objects"] == 0, p'
}
kt_check providers providers

# A device limit as ibv_devinfo -v reports it.
devattr()
{
	ibv_devinfo -v -d "$KFI_RXE_DEV" 2>/dev/null | awk -v k="$1:" '$1 == k { print $2; exit }'
}

# Domains: the rxe device, its port, limits equal to the device's.
domains()
{
	local k
	for k in max_cq max_qp max_mr max_cqe; do
		[ -n "$(devattr $k)" ] || { echo "ibv_devinfo: no $k"; return 1; }
	done
	info dom.json --json || return 1
	jcheck dom.json "
doms = [x for x in d['domains'] if x['name'] == rxe]
assert len(doms) == 1, d['domains']
x = doms[0]
assert x['provider'] == 'verbs' and x['port'] == 1 and x['ep_type'] == 'msg', x
for c in ('msg', 'rma', 'send', 'recv', 'read', 'write'):
    assert c in x['caps_names'], (c, x['caps_names'])
for k in ('mr_key_size', 'max_mr_segs', 'max_mr_size', 'max_msg_size',
          'tx_size', 'rx_size', 'tx_iov_limit', 'rx_iov_limit',
          'rma_iov_limit', 'cm_data_size', 'max_rd_atomic'):
    assert isinstance(x[k], int) and x[k] > 0, (k, x.get(k))
assert x['cm_data_size'] <= 128, x
assert x['cq_cnt'] == $(devattr max_cq), x['cq_cnt']
assert x['ep_cnt'] == $(devattr max_qp), x['ep_cnt']
assert x['mr_cnt'] == $(devattr max_mr), x['mr_cnt']
# The verbs provider keeps KFIV_CQ_EXTRA (3) entries of every CQ for its
# own credit updates and drain markers (providers/verbs/kfi_verbs.h).
assert x['cq_size'] == $(devattr max_cqe) - 3, x['cq_size']"
}
kt_check domains domains

# The text form says the same.
human()
{
	info text || return 1
	grep -qx 'provider: verbs' "$tmp/text" &&
	grep -qx "    domain: $KFI_RXE_DEV" "$tmp/text" &&
	grep -qx '        ep_type: msg' "$tmp/text"
}
kt_check human human

# Filters: a provider or domain that does not exist is an error.
filters()
{
	info f1 -p nosuch && return 1
	info f2 -d nosuch && return 1
	info f3 --json -p verbs -d "$KFI_RXE_DEV" || return 1
	jcheck f3 'assert [x["name"] for x in d["domains"]] == [rxe], d'
}
kt_check filters filters

no_objects()
{
	info none.json --json --objects || return 1
	jcheck none.json 'assert d["objects"] == [], d["objects"]'
}
kt_check objects.none no_objects

dev=$(kfblk_setup info 16)
if [ -z "$dev" ] || [ ! -b "$dev" ]; then
	kt_fail objects.setup "cannot export and map a device"
	exit 1
fi
kt_ok objects.setup
dd if=/dev/zero of="$dev" bs=4k count=16 oflag=direct 2>/dev/null

# The mapped device's objects: a connected client and target endpoint,
# CQs with completions, MRs, every reference pointing at a listed object.
live()
{
	info live.json --json --objects || return 1
	jcheck live.json "
objs = d['objects']
ids = {o['id'] for o in objs}
assert len(ids) == len(objs), 'ids not unique'
for o in objs:
    assert o['provider'] == 'verbs', o
    assert o['parent'] is None or o['parent'] in ids, ('orphan', o)
    assert o['refs'] >= 1, o
by = {}
for o in objs:
    by.setdefault(o['class'], []).append(o)
eps = [e for e in by.get('ep', []) if e['state'] == 'connected']
assert len(eps) >= 2, ('connected eps', by.get('ep'))
for e in eps:
    assert e['posted'] > 0 and e['errors'] == 0, e
    for k in ('tx_cq', 'rx_cq', 'eq'):
        assert e[k] in ids, (k, e)
assert any(c['completed'] > 0 for c in by['cq']), by['cq']
assert all(c['errors'] == 0 for c in by['cq']), by['cq']
assert len(by.get('mr', [])) > 0, 'no MR'
assert all(m['mapped'] in (0, 1) for m in by['mr']), by['mr']
assert any(x['name'] == rxe for x in by['domain']), by['domain']
prov = [p for p in d['providers'] if p['name'] == 'verbs'][0]
assert prov['objects'] == len(objs), (prov, len(objs))"
}
kt_check objects.live live

# Counters move with I/O: 64 more writes post at least 64 more operations
# (each one a command message) and complete at least as many.
sums()
{
	"$PY" - "$tmp/$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["objects"]
print(sum(e["posted"] for e in o if e["class"] == "ep"),
      sum(c["completed"] for c in o if c["class"] == "cq"))
EOF
}
counters()
{
	local p0 c0 p1 c1
	read -r p0 c0 < <(sums live.json) || return 1
	dd if=/dev/zero of="$dev" bs=4k count=64 oflag=direct 2>/dev/null ||
		return 1
	info live2.json --json --objects || return 1
	read -r p1 c1 < <(sums live2.json) || return 1
	echo "posted $p0 -> $p1, completed $c0 -> $c1"
	[ $((p1 - p0)) -ge 64 ] && [ $((c1 - c0)) -ge 64 ]
}
kt_check objects.counters counters

gone()
{
	kfblk_teardown info || return 1
	info gone.json --json --objects || return 1
	jcheck gone.json 'assert d["objects"] == [], d["objects"]'
}
kt_check objects.gone gone

# Without kfabric loaded, kfi_info says so and fails.
unloaded()
{
	kfblk_unload || return 1
	rmmod kfi_verbs kfabric 2>/dev/null
	[ ! -d /sys/module/kfabric ] || return 1
	info unloaded && return 1
	grep -q 'kfabric.ko loaded' "$tmp/unloaded"
}
kt_check not_loaded unloaded

kt_exit
