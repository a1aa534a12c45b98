// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric benchmarks: registry of implementations, test matrix and the
 * debugfs interface.
 *
 *   /sys/kernel/debug/kfi_bench/impls    registered implementations
 *   /sys/kernel/debug/kfi_bench/plan     the matrix from the module
 *                                        parameters: "test op size depth
 *                                        iters" per line
 *   /sys/kernel/debug/kfi_bench/run      write "impl test op size depth
 *                                        iters" to measure one point (the
 *                                        write returns when it is done);
 *                                        read: that point's JSON record
 *   /sys/kernel/debug/kfi_bench/results  every record so far, one a line
 *
 * Each record also goes to the kernel log, so a run whose debugfs reader
 * died can still be recovered from dmesg.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <linux/sizes.h>
#include <linux/inet.h>

#include "bench_priv.h"

#define BENCH_LIST_MAX	16
#define BENCH_REC_MAX	512
#define BENCH_CMD_MAX	128
/* The connect test's ports: connect_port up to this many above it. */
#define BENCH_CONNECT_MAX	10000

static char *ipaddr;
module_param(ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "IPv4 address of the RDMA device to run over (required)");

static ushort port = 7471;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "first TCP port; each implementation listens on the next one");

static char *tests;
module_param(tests, charp, 0444);
MODULE_PARM_DESC(tests, "test:op list (default pingpong:send,pingpong:write,bw:send,bw:write,bw:read,rate:send,rate:inject)");

static char *sizes;
module_param(sizes, charp, 0444);
MODULE_PARM_DESC(sizes, "message sizes of pingpong and bw tests, bytes");

static char *rate_sizes;
module_param(rate_sizes, charp, 0444);
MODULE_PARM_DESC(rate_sizes, "message sizes of rate tests, bytes");

static char *depths;
module_param(depths, charp, 0444);
MODULE_PARM_DESC(depths, "queue depths of bw and rate tests (pingpong is depth 1)");

static uint iters;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "timed operations per point at small sizes (default 10000, quick 2000)");

static uint min_iters;
module_param(min_iters, uint, 0444);
MODULE_PARM_DESC(min_iters, "fewest timed operations per point (default 64, quick 16)");

static char *bytes;
module_param(bytes, charp, 0444);
MODULE_PARM_DESC(bytes, "bytes per point (k, m, g suffixes): large sizes run bytes/size operations (default 64m, quick 16m)");

static uint warmup_pct = 10;
module_param(warmup_pct, uint, 0444);
MODULE_PARM_DESC(warmup_pct, "untimed warm-up before each point, percent of its operations");

static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "smoke-test defaults: few sizes, few depths, few operations");

static uint timeout_s = 60;
module_param(timeout_s, uint, 0444);
MODULE_PARM_DESC(timeout_s, "give up on a point after this many seconds");

static ushort connect_port = 20000;
module_param(connect_port, ushort, 0444);
MODULE_PARM_DESC(connect_port, "first port of the connect test's listeners");

static uint inject_size = 64;
module_param(inject_size, uint, 0444);
MODULE_PARM_DESC(inject_size, "largest inject the plan asks for, bytes");

const char *const bench_test_names[BENCH_NR_TESTS] = {
	[BENCH_PINGPONG] = "pingpong",
	[BENCH_BW] = "bw",
	[BENCH_RATE] = "rate",
	[BENCH_CONNECT] = "connect",
};

const char *const bench_op_names[BENCH_NR_OPS] = {
	[BENCH_OP_SEND] = "send",
	[BENCH_OP_WRITE] = "write",
	[BENCH_OP_READ] = "read",
	[BENCH_OP_INJECT] = "inject",
	[BENCH_OP_RECV] = "recv",
};

/* Every test of the matrix, in the order the plan lists them. */
static const char bench_all_tests[] =
	"pingpong:send,pingpong:write,bw:send,bw:write,bw:read,rate:send,rate:inject";

struct bench_test_op {
	u8 test;
	u8 op;
};

/**
 * struct bench_plan - the matrix, parsed from the parameters at load
 * @tests: test and operation of each entry
 * @sizes: sizes of pingpong and bw tests
 * @rate_sizes: sizes of rate tests
 * @depths: depths of bw and rate tests
 * @nr_tests: entries in @tests (and so on)
 * @nr_sizes: entries in @sizes
 * @nr_rate_sizes: entries in @rate_sizes
 * @nr_depths: entries in @depths
 * @iters: most timed operations of a point
 * @min_iters: fewest
 * @bytes: payload budget of a point
 * @max_size: largest size of all lists
 * @max_depth: deepest depth
 */
struct bench_plan {
	struct bench_test_op tests[BENCH_LIST_MAX];
	u32 sizes[BENCH_LIST_MAX];
	u32 rate_sizes[BENCH_LIST_MAX];
	u32 depths[BENCH_LIST_MAX];
	u32 nr_tests;
	u32 nr_sizes;
	u32 nr_rate_sizes;
	u32 nr_depths;
	u32 iters;
	u32 min_iters;
	u64 bytes;
	u32 max_size;
	u32 max_depth;
};

/* Written once at load, read-only afterwards. */
static struct bench_plan plan;

/*
 * Serializes runs and guards the list of implementations (bench_impls),
 * each implementation's connection, the run state and the records.
 */
static DEFINE_MUTEX(bench_lock);
static LIST_HEAD(bench_impls);
static LIST_HEAD(bench_records);
static u16 bench_next_port;
static struct bench_run bench_run;
static struct dentry *bench_dir;

struct bench_record {
	struct list_head node;
	char text[];
};

/* ------------------------------------------------------------------ */
/* Parameters */

static int bench_name_index(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -EINVAL;
}

/* Parse "a,b,c" into @out; sizes accept a k or m suffix (KiB, MiB). */
static int bench_parse_u32s(const char *str, u32 *out, u32 *nr)
{
	char *copy = kstrdup(str, GFP_KERNEL), *cur, *tok;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*nr = 0;
	cur = copy;
	while ((tok = strsep(&cur, ",")) && !ret) {
		unsigned long long v;
		char *end;

		if (*nr == BENCH_LIST_MAX) {
			ret = -E2BIG;
			break;
		}
		v = memparse(tok, &end);
		if (end == tok || *end || !v || v > SZ_1G)
			ret = -EINVAL;
		else
			out[(*nr)++] = v;
	}
	kfree(copy);
	return ret ?: (*nr ? 0 : -EINVAL);
}

static int bench_parse_tests(const char *str)
{
	char *copy = kstrdup(str, GFP_KERNEL), *cur, *tok, *op;
	int ret = 0, t, o;

	if (!copy)
		return -ENOMEM;
	plan.nr_tests = 0;
	cur = copy;
	while ((tok = strsep(&cur, ",")) && !ret) {
		op = strchr(tok, ':');
		if (!op || plan.nr_tests == BENCH_LIST_MAX) {
			ret = -EINVAL;
			break;
		}
		*op++ = '\0';
		t = bench_name_index(bench_test_names, BENCH_NR_TESTS, tok);
		o = bench_name_index(bench_op_names, BENCH_OP_RECV, op);
		/* The connect test is run by name only (the connect suite). */
		if (t < 0 || o < 0 || t == BENCH_CONNECT) {
			ret = -EINVAL;
			break;
		}
		plan.tests[plan.nr_tests++] = (struct bench_test_op){ t, o };
	}
	kfree(copy);
	return ret;
}

static u32 bench_max(const u32 *v, u32 n)
{
	u32 m = 0;

	while (n--)
		m = max(m, v[n]);
	return m;
}

static int bench_parse_lists(void)
{
	int ret;

	ret = bench_parse_tests(tests ?: bench_all_tests);
	if (ret)
		return ret;
	ret = bench_parse_u32s(sizes ?: (quick ? "1,4k,1m" :
			       "1,64,512,4k,16k,64k,256k,1m"),
			       plan.sizes, &plan.nr_sizes);
	if (ret)
		return ret;
	ret = bench_parse_u32s(rate_sizes ?: (quick ? "64" : "1,64"),
			       plan.rate_sizes, &plan.nr_rate_sizes);
	if (ret)
		return ret;
	return bench_parse_u32s(depths ?: (quick ? "1,16" : "1,8,32,128"),
				plan.depths, &plan.nr_depths);
}

static int bench_parse_plan(void)
{
	int ret = bench_parse_lists();

	if (ret) {
		pr_err("bad tests, sizes, rate_sizes or depths parameter\n");
		return ret;
	}
	plan.iters = iters ?: (quick ? 2000 : 10000);
	plan.min_iters = min_t(u32, min_iters ?: (quick ? 16 : 64), plan.iters);
	plan.bytes = quick ? SZ_16M : SZ_64M;
	if (bytes) {
		char *end;

		plan.bytes = memparse(bytes, &end);
		if (*end || !plan.bytes) {
			pr_err("bad bytes parameter\n");
			return -EINVAL;
		}
	}
	plan.max_size = max(bench_max(plan.sizes, plan.nr_sizes),
			    bench_max(plan.rate_sizes, plan.nr_rate_sizes));
	plan.max_depth = bench_max(plan.depths, plan.nr_depths);
	if (plan.max_size > SZ_4M || plan.max_depth > 1024) {
		pr_err("sizes are limited to 4 MiB and depths to 1024\n");
		return -EINVAL;
	}
	return 0;
}

/* Scale the operation count by size so every point takes about as long. */
static u32 bench_iters(u32 size)
{
	u64 n = div_u64(plan.bytes, size);

	return clamp_t(u64, n, plan.min_iters, plan.iters);
}

/* ------------------------------------------------------------------ */
/* Registry */

/**
 * bench_register() - make an implementation available to the runs
 * @ops: filled in, static; stays registered until bench_unregister()
 *
 * Context: process.
 * Return: 0, -EINVAL for a missing op, -EEXIST for a duplicate name.
 */
int bench_register(struct bench_ops *ops)
{
	struct bench_ops *o;
	int ret = 0;

	if (!ops->name || !ops->setup || !ops->teardown || !ops->send ||
	    !ops->recv || !ops->write || !ops->read || !ops->inject ||
	    ops->slot_size < sizeof(struct bench_slot))
		return -EINVAL;
	mutex_lock(&bench_lock);
	list_for_each_entry(o, &bench_impls, list)
		if (!strcmp(o->name, ops->name))
			ret = -EEXIST;
	if (!ret) {
		/* Each implementation listens on its own port. */
		ops->port = port + bench_next_port++;
		ops->conn = NULL;
		list_add_tail(&ops->list, &bench_impls);
	}
	mutex_unlock(&bench_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(bench_register);

static void bench_drop_conn(struct bench_ops *ops)
{
	lockdep_assert_held(&bench_lock);
	if (!ops->conn)
		return;
	ops->teardown(ops->conn);
	ops->conn = NULL;
}

/**
 * bench_unregister() - withdraw an implementation
 * @ops: registered with bench_register()
 *
 * Waits for a run in progress and disconnects the implementation's pair.
 *
 * Context: process.
 */
void bench_unregister(struct bench_ops *ops)
{
	mutex_lock(&bench_lock);
	bench_drop_conn(ops);
	list_del(&ops->list);
	mutex_unlock(&bench_lock);
}
EXPORT_SYMBOL_GPL(bench_unregister);

static struct bench_ops *bench_find(const char *name)
{
	struct bench_ops *ops;

	lockdep_assert_held(&bench_lock);
	list_for_each_entry(ops, &bench_impls, list)
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

/* The implementation's connection, (re)built if it broke or is too small. */
static struct bench_conn *bench_get_conn(struct bench_ops *ops,
					 const struct bench_point *pt)
{
	struct bench_conn *conn = ops->conn;

	lockdep_assert_held(&bench_lock);
	if (conn && (bench_conn_broken(conn) || conn->max_size < pt->size ||
		     conn->max_depth < pt->depth))
		bench_drop_conn(ops);
	if (ops->conn)
		return ops->conn;
	if (!ipaddr)
		return ERR_PTR(-EDESTADDRREQ);
	conn = ops->setup(ipaddr, ops->port, max(plan.max_size, pt->size),
			  max(plan.max_depth, pt->depth));
	if (IS_ERR(conn)) {
		pr_err("%s: cannot connect over %s:%u: %pe\n", ops->name,
		       ipaddr, ops->port, conn);
		return conn;
	}
	ops->conn = conn;
	return conn;
}

/* ------------------------------------------------------------------ */
/* Records */

static u64 bench_per_sec_milli(u64 count, u64 ns)
{
	/* count * 1e12 / ns would overflow for large byte counts. */
	if (count < U64_MAX / 1000000000000ULL)
		return div64_u64(count * 1000000000000ULL, ns);
	return div64_u64(count, ns) * 1000000000000ULL;
}

/*
 * Append ,"key":value with @milli thousandths as a decimal number: JSON
 * without floating point in the kernel.
 */
static int bench_put(char *buf, size_t len, int pos, const char *key,
		     u64 milli)
{
	u32 frac;
	u64 v = div_u64_rem(milli, 1000, &frac);

	return pos + scnprintf(buf + pos, len - pos, ",\"%s\":%llu.%03u", key,
			       v, frac);
}

static int bench_put_int(char *buf, size_t len, int pos, const char *key,
			 u64 v)
{
	return pos + scnprintf(buf + pos, len - pos, ",\"%s\":%llu", key, v);
}

static int bench_put_bool(char *buf, size_t len, int pos, const char *key,
			  bool v)
{
	return pos + scnprintf(buf + pos, len - pos, ",\"%s\":%s", key,
			       v ? "true" : "false");
}

/* Why a run cannot stand as a measurement, or NULL when it can. */
static const char *bench_failure(const struct bench_result *r)
{
	if (r->timed_out)
		return "timeout";
	if (r->errors)
		return "errors";
	if (!r->bytes)
		return "no data";
	if (!r->verified)
		return "data mismatch";
	return NULL;
}

/* The rates and latencies of a sound run; null for a failed one. */
static int bench_put_rates(char *buf, size_t len, int pos,
			   const struct bench_point *pt,
			   const struct bench_result *r)
{
	u64 ops_done = div_u64(r->bytes, pt->size);
	static const char *const keys[] = { "iops", "mbps", "lat_us_p50",
					    "lat_us_p99", "lat_us_avg" };
	unsigned int i;

	if (bench_failure(r)) {
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			pos += scnprintf(buf + pos, len - pos, ",\"%s\":null",
					 keys[i]);
		return pos;
	}
	pos = bench_put(buf, len, pos, "iops",
			bench_per_sec_milli(ops_done, r->elapsed_ns));
	pos = bench_put(buf, len, pos, "mbps",
			div64_u64(r->bytes * 1000000ULL, r->elapsed_ns));
	pos = bench_put(buf, len, pos, "lat_us_p50", r->p50_ns);
	pos = bench_put(buf, len, pos, "lat_us_p99", r->p99_ns);
	return bench_put(buf, len, pos, "lat_us_avg", r->avg_ns);
}

/*
 * The connect test's figures: connections set up a second, the latency of
 * one setup, the memory of one endpoint (KiB) and the teardown of all.
 */
static int bench_put_connect(char *buf, size_t len, int pos,
			     const struct bench_result *r)
{
	u64 mem;

	if (r->errors)
		return pos + scnprintf(buf + pos, len - pos,
				       ",\"iops\":null,\"opened\":%u",
				       r->opened);
	pos = bench_put(buf, len, pos, "iops",
			bench_per_sec_milli(r->opened, r->elapsed_ns));
	pos = bench_put(buf, len, pos, "lat_us_p50", r->p50_ns);
	pos = bench_put(buf, len, pos, "lat_us_p99", r->p99_ns);
	pos = bench_put(buf, len, pos, "lat_us_avg", r->avg_ns);
	mem = abs(r->mem_per_ep);
	pos += scnprintf(buf + pos, len - pos,
			 ",\"mem_kib_per_ep\":%s%llu.%03llu",
			 r->mem_per_ep < 0 ? "-" : "", mem >> 10,
			 (mem & 1023) * 1000 >> 10);
	pos = bench_put_int(buf, len, pos, "teardown_us",
			    div_u64(r->teardown_ns, 1000));
	return bench_put_int(buf, len, pos, "errors", r->errors);
}

/*
 * One JSON record.  A failed run (timed out, errors, no data, data not as
 * sent) says so in "failed" and carries no rate: its elapsed time is not
 * that of the work it was asked to do.
 */
static void bench_format(char *buf, size_t len, const struct bench_ops *ops,
			 const struct bench_point *pt,
			 const struct bench_result *r)
{
	const char *why = bench_failure(r);
	int pos;

	pos = scnprintf(buf, len,
			"{\"test\":\"%s\",\"op\":\"%s\",\"size\":%u,\"iodepth\":%u,\"impl\":\"%s\"",
			bench_test_names[pt->test], bench_op_names[pt->op],
			pt->size, pt->depth, ops->name);
	pos = bench_put_int(buf, len, pos, "iters", pt->iters);
	if (pt->test == BENCH_CONNECT) {
		pos = bench_put_connect(buf, len, pos, r);
		if (r->errors)
			pos += scnprintf(buf + pos, len - pos,
					 ",\"failed\":\"setup %u: %d\"",
					 r->opened, bench_run.first_err);
		scnprintf(buf + pos, len - pos, "}");
		return;
	}
	pos = bench_put_rates(buf, len, pos, pt, r);
	pos = bench_put(buf, len, pos, "post_us", r->post_ns);
	pos = bench_put_int(buf, len, pos, "elapsed_us",
			    div_u64(r->elapsed_ns, 1000));
	pos = bench_put_int(buf, len, pos, "bytes", r->bytes);
	pos = bench_put_int(buf, len, pos, "errors", r->errors);
	pos = bench_put_int(buf, len, pos, "eagain", r->eagain);
	pos = bench_put_bool(buf, len, pos, "verified", r->verified);
	pos = bench_put_bool(buf, len, pos, "timed_out", r->timed_out);
	if (why)
		pos += scnprintf(buf + pos, len - pos, ",\"failed\":\"%s\"",
				 why);
	scnprintf(buf + pos, len - pos, "}");
}

static int bench_add_record(const struct bench_ops *ops,
			    const struct bench_point *pt,
			    const struct bench_result *r)
{
	struct bench_record *rec;

	lockdep_assert_held(&bench_lock);
	rec = kmalloc(sizeof(*rec) + BENCH_REC_MAX, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	bench_format(rec->text, BENCH_REC_MAX, ops, pt, r);
	list_add_tail(&rec->node, &bench_records);
	pr_info("%s\n", rec->text);
	return 0;
}

static void bench_free_records(void)
{
	struct bench_record *rec, *tmp;

	list_for_each_entry_safe(rec, tmp, &bench_records, node)
		kfree(rec);
	INIT_LIST_HEAD(&bench_records);
}

/* ------------------------------------------------------------------ */
/* Running a point */

static int bench_grow_lat(u32 n)
{
	u64 *lat;

	if (n <= bench_run.max_iters)
		return 0;
	lat = kvmalloc_array(n, sizeof(*lat), GFP_KERNEL);
	if (!lat)
		return -ENOMEM;
	kvfree(bench_run.lat);
	bench_run.lat = lat;
	bench_run.max_iters = n;
	return 0;
}

static int bench_check_point(const struct bench_point *pt,
			     const struct bench_conn *conn)
{
	if (!pt->size || !pt->depth || !pt->iters || pt->size > SZ_4M ||
	    pt->depth > 1024)
		return -EINVAL;
	if (pt->test == BENCH_CONNECT &&
	    (pt->size != pt->iters || pt->iters > BENCH_CONNECT_MAX))
		return -EINVAL;
	if (pt->test == BENCH_PINGPONG &&
	    (pt->depth != 1 || pt->op == BENCH_OP_READ ||
	     pt->op == BENCH_OP_INJECT))
		return -EINVAL;
	if (pt->op == BENCH_OP_INJECT && conn && pt->size > conn->inject_max)
		return -EMSGSIZE;
	return 0;
}

/*
 * The connect test, on ports of its own: a new range each run, so that no
 * listener meets the remains (TIME_WAIT) of the previous run's.
 */
static int bench_measure_connect(struct bench_ops *ops,
				 const struct bench_point *pt)
{
	static u32 next;
	struct bench_result res = {};
	u16 first;
	int ret;

	lockdep_assert_held(&bench_lock);
	if (next + pt->iters > 3 * BENCH_CONNECT_MAX)
		next = 0;
	first = connect_port + next;
	next += pt->iters;
	if (!ipaddr)
		return -EDESTADDRREQ;
	if ((u32)first + pt->iters > U16_MAX)
		return -ERANGE;
	/* The implementation's own pair is not counted in the memory. */
	bench_drop_conn(ops);
	ret = bench_run_connect(&bench_run, ops, ipaddr, first, pt, &res);
	if (ret)
		pr_warn("%s connect: setup %u of %u failed: %d\n", ops->name,
			res.opened + 1, pt->iters, ret);
	return bench_add_record(ops, pt, &res) ?: (ret ? -EIO : 0);
}

static int bench_measure(struct bench_ops *ops, const struct bench_point *pt)
{
	struct bench_point warm = *pt;
	struct bench_result res = {};
	struct bench_conn *conn;
	int ret;

	lockdep_assert_held(&bench_lock);
	ret = bench_check_point(pt, NULL) ?: bench_grow_lat(pt->iters);
	if (ret)
		return ret;
	if (pt->test == BENCH_CONNECT)
		return bench_measure_connect(ops, pt);
	conn = bench_get_conn(ops, pt);
	if (IS_ERR(conn))
		return PTR_ERR(conn);
	ret = bench_check_point(pt, conn);
	if (ret)
		return ret;
	/* Warm caches (and, under emulation, the translated code). */
	warm.iters = pt->iters * warmup_pct / 100;
	if (warm.iters)
		ret = bench_run_point(&bench_run, conn, &warm, timeout_s, &res);
	if (!ret) {
		memset(&res, 0, sizeof(res));
		ret = bench_run_point(&bench_run, conn, pt, timeout_s, &res);
	}
	if (ret)
		pr_warn("%s %s:%s size %u depth %u failed: %d (first error %d)\n",
			ops->name, bench_test_names[pt->test],
			bench_op_names[pt->op], pt->size, pt->depth, ret,
			bench_run.first_err);
	if (ret || bench_conn_broken(conn))
		bench_drop_conn(ops);
	return bench_add_record(ops, pt, &res) ?: ret;
}

/* "impl test op size depth iters" */
static int bench_parse_cmd(const char *cmd, char *impl,
			   struct bench_point *pt)
{
	char test[16], op[16];
	int t, o;

	if (sscanf(cmd, "%15s %15s %15s %u %u %u", impl, test, op, &pt->size,
		   &pt->depth, &pt->iters) != 6)
		return -EINVAL;
	t = bench_name_index(bench_test_names, BENCH_NR_TESTS, test);
	o = bench_name_index(bench_op_names, BENCH_OP_RECV, op);
	if (t < 0 || o < 0)
		return -EINVAL;
	pt->test = t;
	pt->op = o;
	return 0;
}

static ssize_t bench_run_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char cmd[BENCH_CMD_MAX], impl[16];
	struct bench_point pt;
	struct bench_ops *ops;
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	ret = bench_parse_cmd(cmd, impl, &pt);
	if (ret)
		return ret;
	ret = mutex_lock_interruptible(&bench_lock);
	if (ret)
		return ret;
	ops = bench_find(impl);
	if (!ops)
		ret = -ENODEV;
	else if (!try_module_get(ops->owner))
		ret = -ENODEV;
	if (!ret) {
		ret = bench_measure(ops, &pt);
		module_put(ops->owner);
	}
	mutex_unlock(&bench_lock);
	return ret ?: count;
}

/* ------------------------------------------------------------------ */
/* debugfs */

static int bench_run_show(struct seq_file *m, void *v)
{
	int ret = mutex_lock_interruptible(&bench_lock);

	if (ret)
		return ret;
	if (!list_empty(&bench_records))
		seq_printf(m, "%s\n", list_last_entry(&bench_records,
						      struct bench_record,
						      node)->text);
	mutex_unlock(&bench_lock);
	return 0;
}

static int bench_run_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_run_show, NULL);
}

static const struct file_operations bench_run_fops = {
	.owner = THIS_MODULE,
	.open = bench_run_open,
	.read = seq_read,
	.write = bench_run_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int bench_results_show(struct seq_file *m, void *v)
{
	struct bench_record *rec;
	int ret = mutex_lock_interruptible(&bench_lock);

	if (ret)
		return ret;
	list_for_each_entry(rec, &bench_records, node)
		seq_printf(m, "%s\n", rec->text);
	mutex_unlock(&bench_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_results);

static int bench_impls_show(struct seq_file *m, void *v)
{
	struct bench_ops *ops;
	int ret = mutex_lock_interruptible(&bench_lock);

	if (ret)
		return ret;
	list_for_each_entry(ops, &bench_impls, list)
		seq_printf(m, "%s %u\n", ops->name, ops->port);
	mutex_unlock(&bench_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_impls);

static void bench_plan_test(struct seq_file *m, struct bench_test_op to)
{
	bool rate = to.test == BENCH_RATE;
	const u32 *sz = rate ? plan.rate_sizes : plan.sizes;
	u32 nr_sz = rate ? plan.nr_rate_sizes : plan.nr_sizes;
	u32 nr_d = to.test == BENCH_PINGPONG ? 1 : plan.nr_depths;
	u32 s, d;

	for (s = 0; s < nr_sz; s++) {
		if (to.op == BENCH_OP_INJECT && sz[s] > inject_size)
			continue;
		for (d = 0; d < nr_d; d++)
			seq_printf(m, "%s %s %u %u %u\n",
				   bench_test_names[to.test],
				   bench_op_names[to.op], sz[s],
				   to.test == BENCH_PINGPONG ? 1 : plan.depths[d],
				   bench_iters(sz[s]));
	}
}

static int bench_plan_show(struct seq_file *m, void *v)
{
	u32 i;

	for (i = 0; i < plan.nr_tests; i++)
		bench_plan_test(m, plan.tests[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_plan);

static void bench_debugfs_init(void)
{
	bench_dir = debugfs_create_dir("kfi_bench", NULL);
	debugfs_create_file("impls", 0444, bench_dir, NULL, &bench_impls_fops);
	debugfs_create_file("plan", 0444, bench_dir, NULL, &bench_plan_fops);
	debugfs_create_file("run", 0644, bench_dir, NULL, &bench_run_fops);
	debugfs_create_file("results", 0444, bench_dir, NULL,
			    &bench_results_fops);
}

static int __init bench_init(void)
{
	int ret = bench_parse_plan();

	if (ret)
		return ret;
	init_completion(&bench_run.done);
	ret = bench_grow_lat(plan.iters);
	if (ret)
		return ret;
	bench_debugfs_init();
	return 0;
}

static void __exit bench_exit(void)
{
	/* Implementations hold a reference on us: none is registered. */
	WARN_ON(!list_empty(&bench_impls));
	debugfs_remove_recursive(bench_dir);
	bench_free_records();
	kvfree(bench_run.lat);
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_DESCRIPTION("kfabric benchmark harness: test matrix, timing, results");
MODULE_LICENSE("GPL");
