// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv_test: kfkv's client API against a live kfkv_target, one case per
 * load, for tools/testing/selftests/kfabric/kfkv_ops.sh (and, for the
 * auth cases, kfkv_dev.sh).
 *
 *   insmod kfkv_test.ko case=<case> ipaddr=A port=P store=S [count=N]
 *
 * insmod fails with the case's error when the store did not do what
 * Documentation/kfabric/kfkv.rst promises; the reason is in the kernel
 * log, prefixed "kfkv_test: #".  Values are pseudo-random bytes from a
 * seed, so what is read back is compared with what was written.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/crc32.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <kfabric/kfi.h>
#include <kfabric/kfkv.h>
#include "kfkv_proto.h"

static char *t_case = "";
module_param_named(case, t_case, charp, 0444);
MODULE_PARM_DESC(case, "what to check");

static char *t_ipaddr = "192.0.2.1";
module_param_named(ipaddr, t_ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "address of the target");

static int t_port = 4792;
module_param_named(port, t_port, int, 0444);
MODULE_PARM_DESC(port, "port of the store");

static char *t_store = "kvmem";
module_param_named(store, t_store, charp, 0444);
MODULE_PARM_DESC(store, "store to use");

static char *t_secret = "";
module_param_named(secret, t_secret, charp, 0400);
MODULE_PARM_DESC(secret, "the store's secret, for the auth case");

static char *t_plain = "";
module_param_named(plain, t_plain, charp, 0444);
MODULE_PARM_DESC(plain, "a store without a secret, for the auth case");

static int t_plain_port;
module_param_named(plain_port, t_plain_port, int, 0444);
MODULE_PARM_DESC(plain_port, "its port");

static int t_count = 1000;
module_param_named(count, t_count, int, 0444);
MODULE_PARM_DESC(count, "objects of the many and dir cases");

static int t_timeout_ms = 20000;
module_param_named(timeout_ms, t_timeout_ms, int, 0444);
MODULE_PARM_DESC(timeout_ms, "the handle's timeout");

static int t_settle_ms = 1000;
module_param_named(settle_ms, t_settle_ms, int, 0444);
MODULE_PARM_DESC(settle_ms, "hostile_target: time for a second completion to show");

static bool t_first_ok;
module_param_named(first_ok, t_first_ok, bool, 0444);
MODULE_PARM_DESC(first_ok, "hostile_target: the first answer is a right one");

#define T_FAIL(ret, fmt, ...)						\
	({ int __r = (ret);						\
	   pr_err("# " fmt " (%d)\n", ##__VA_ARGS__, __r);		\
	   __r ? __r : -EINVAL; })

/* Expect @expr to give @want; else log and return an error. */
#define T_EXPECT(expr, want)						\
	do {								\
		long long __got = (expr), __want = (want);		\
		if (__got != __want) {					\
			pr_err("# %s:%d: %s = %lld, want %lld\n",	\
			       __func__, __LINE__, #expr, __got, __want); \
			return __got < 0 ? (int)__got : -EINVAL;	\
		}							\
	} while (0)

/*
 * The cases but replay see what one lost connection does to a handle:
 * it fails, and nothing is sent again.
 */
static const struct kfi_sess_params t_no_reconnect = {
	.reconnect_delay_ms = 1000,
	.ctrl_loss_tmo_s = 0,
	.fast_io_fail_tmo_s = -1,
};

static int t_open_sess(const char *store, u32 depth, const char *secret,
		       const struct kfi_sess_params *sess,
		       struct kfkv_handle **h)
{
	struct kfkv_open_attr a = {
		.addr = t_ipaddr,
		.port = t_port,
		.store = store,
		.depth = depth,
		.timeout_ms = t_timeout_ms,
		.secret = secret,
		.secret_len = secret ? strlen(secret) : 0,
		.sess = sess,
	};

	return kfkv_open(&a, h);
}

static int t_open_secret(const char *store, u32 depth, const char *secret,
			 struct kfkv_handle **h)
{
	return t_open_sess(store, depth, secret, &t_no_reconnect, h);
}

static int t_open(const char *store, u32 depth, struct kfkv_handle **h)
{
	return t_open_secret(store, depth, NULL, h);
}

/* Bytes of a value or key, from a seed (xorshift). */
static void t_fill(u8 *p, size_t len, u32 seed)
{
	u32 x = seed * 2654435761U + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x;
	}
}

/* A binary key: @len bytes with a 0 and a 0xff in it when long enough. */
static u16 t_key(u8 *key, u16 len, u32 seed)
{
	t_fill(key, len, seed);
	if (len > 2) {
		key[1] = 0;
		key[len - 1] = 0xff;
	}
	return len;
}

/* ---- sizes: every operation at the sizes that matter ------------------- */

static int t_size_one(struct kfkv_handle *h, u64 size, u8 *val, u8 *buf,
		      u32 seed)
{
	u8 key[KFKV_KEY_BYTES];
	u16 klen = t_key(key, seed & 1 ? KFKV_KEY_BYTES : 1 + seed % 64, seed);
	u64 v1 = 0, v2 = 0, got_size, got_ver, off = size / 3;

	t_fill(val, size, seed);
	T_EXPECT(kfkv_put_sync(h, key, klen, val, size, 0, &v1), 0);
	T_EXPECT(kfkv_stat_sync(h, key, klen, &got_size, &got_ver), 0);
	T_EXPECT(got_size, size);
	T_EXPECT(got_ver, v1);
	memset(buf, 0xa5, size + 1);
	T_EXPECT(kfkv_get_sync(h, key, klen, buf, size, 0, 0, &got_size,
			       &got_ver), size);
	T_EXPECT(memcmp(buf, val, size), 0);
	T_EXPECT(buf[size], 0xa5);
	if (size) {
		T_EXPECT(kfkv_get_sync(h, key, klen, buf, size - 1, 0, 0,
				       &got_size, NULL), -EOVERFLOW);
		T_EXPECT(got_size, size);
	}
	/* A range: from a third on, half the size. */
	T_EXPECT(kfkv_get_sync(h, key, klen, buf, size / 2, KFKV_RANGE, off,
			       NULL, NULL), min(size / 2, size - off));
	T_EXPECT(memcmp(buf, val + off, min(size / 2, size - off)), 0);
	T_EXPECT(kfkv_get_sync(h, key, klen, buf, 16, KFKV_RANGE, size, NULL,
			       NULL), 0);
	T_EXPECT(kfkv_get_sync(h, key, klen, buf, 16, KFKV_RANGE, size + 1,
			       NULL, NULL), -ERANGE);
	/* Replace: a new version, the new bytes. */
	t_fill(val, size, seed + 1000);
	T_EXPECT(kfkv_put_sync(h, key, klen, val, size, KFKV_DURABLE, &v2), 0);
	if (v2 <= v1)
		return T_FAIL(-EINVAL, "version %llu after %llu", v2, v1);
	T_EXPECT(kfkv_get_sync(h, key, klen, buf, size, 0, 0, NULL, &got_ver),
		 size);
	T_EXPECT(memcmp(buf, val, size), 0);
	T_EXPECT(got_ver, v2);
	T_EXPECT(kfkv_delete_sync(h, key, klen, 0, 0), 0);
	T_EXPECT(kfkv_get_sync(h, key, klen, buf, size, 0, 0, NULL, NULL),
		 -ENOENT);
	T_EXPECT(kfkv_stat_sync(h, key, klen, NULL, NULL), -ENOENT);
	T_EXPECT(kfkv_delete_sync(h, key, klen, 0, 0), -ENOENT);
	return 0;
}

static int t_sizes(struct kfkv_handle *h)
{
	u64 max = kfkv_max_value(h);
	u64 sizes[] = { 0, 1, 4095, 4096, SZ_1M, max };
	u8 *val = vmalloc(max + 1), *buf = vmalloc(max + 1);
	u8 key[8] = "toolarge";
	int i, ret = -ENOMEM;

	if (!val || !buf)
		goto out;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (sizes[i] > max)
			continue;
		ret = t_size_one(h, sizes[i], val, buf, i);
		if (ret) {
			pr_err("# size %llu failed\n", sizes[i]);
			goto out;
		}
	}
	/* Over the store's largest value: refused, nothing stored. */
	ret = kfkv_put_sync(h, key, sizeof(key), val, max + 1, 0, NULL);
	ret = ret == -EFBIG ? 0 : T_FAIL(ret, "put over max_value");
	if (!ret && kfkv_stat_sync(h, key, sizeof(key), NULL, NULL) != -ENOENT)
		ret = T_FAIL(-EEXIST, "a refused put stored something");
out:
	vfree(val);
	vfree(buf);
	return ret;
}

/* ---- many: objects written, read back by checksum, listed -------------- */

static u64 t_many_size(u32 i)
{
	/* Mostly inline, every 16th moved by RMA. */
	return i % 16 == 15 ? 5000 + (i * 131) % 70000 : (i * 37) % 3000;
}

static u16 t_many_key(u8 *key, u32 i)
{
	return snprintf(key, KFKV_KEY_BYTES, "m/%08u", i);
}

static int t_many_put(struct kfkv_handle *h, u32 n, u8 *val, u32 *crc)
{
	u8 key[KFKV_KEY_BYTES];
	u32 i;

	for (i = 0; i < n; i++) {
		u64 size = t_many_size(i);

		t_fill(val, size, i);
		crc[i] = crc32_le(~0U, val, size);
		T_EXPECT(kfkv_put_sync(h, key, t_many_key(key, i), val, size,
				       0, NULL), 0);
	}
	return 0;
}

static int t_many_get(struct kfkv_handle *h, u32 n, u8 *val, const u32 *crc)
{
	u8 key[KFKV_KEY_BYTES];
	u32 i;

	for (i = 0; i < n; i++) {
		u64 size = t_many_size(i);

		T_EXPECT(kfkv_get_sync(h, key, t_many_key(key, i), val, 80000,
				       0, 0, NULL, NULL), size);
		if (crc32_le(~0U, val, size) != crc[i])
			return T_FAIL(-EIO, "object %u read back wrong", i);
	}
	return 0;
}

/* Every key with the prefix, once, in order, over several LISTs. */
static int t_list_all(struct kfkv_handle *h, const char *prefix, u32 want,
		      u8 *keys)
{
	u8 cookie[KFKV_KEY_BYTES], last[KFKV_KEY_BYTES];
	u16 clen = 0, llen = 0;
	u32 total = 0;
	bool more = true;

	while (more) {
		u32 nr, pos = 0;
		const u8 *k;
		int len, used;

		used = kfkv_list_sync(h, prefix, strlen(prefix), clen ? cookie :
				      NULL, clen, keys, KFKV_LIST_BYTES, 100,
				      &nr, &more);
		if (used < 0)
			return T_FAIL(used, "list after %u keys", total);
		while ((len = kfkv_keys_next(keys, used, &pos, &k)) > 0) {
			if (llen && kfkv_key_cmp(last, llen, k, len) >= 0)
				return T_FAIL(-EINVAL, "keys out of order");
			memcpy(last, k, len);
			llen = len;
			total++;
		}
		if (total > want)
			return T_FAIL(-EINVAL, "%u keys listed, want %u", total,
				      want);
		memcpy(cookie, last, llen);
		clen = llen;
	}
	T_EXPECT(total, want);
	return 0;
}

static int t_many(struct kfkv_handle *h)
{
	u32 n = t_count, i, *crc = vmalloc(array_size(n, sizeof(*crc)));
	u8 *val = vmalloc(80000), *keys = kmalloc(KFKV_LIST_BYTES, GFP_KERNEL);
	u8 key[KFKV_KEY_BYTES];
	int ret = -ENOMEM;

	if (!crc || !val || !keys)
		goto out;
	ret = t_many_put(h, n, val, crc) ?: t_many_get(h, n, val, crc) ?:
	      t_list_all(h, "m/", n, keys) ?: t_list_all(h, "m/0000000", 10,
							 keys);
	for (i = 0; !ret && i < n; i++)
		ret = kfkv_delete_sync(h, key, t_many_key(key, i), 0, 0);
	if (!ret)
		ret = t_list_all(h, "m/", 0, keys);
	pr_info("# %u objects written, read back and listed: %d\n", n, ret);
out:
	vfree(crc);
	vfree(val);
	kfree(keys);
	return ret;
}

/* ---- versions ------------------------------------------------------------ */

static int t_versions(struct kfkv_handle *h)
{
	const u8 key[] = { 'v', 0, 0xff, 1 };
	/* Values live where a page can be found: not in .rodata. */
	u8 val[4] = { 'a', 'b', 'c', 'd' };
	u64 v1 = 0, v2, v;

	kfkv_delete_sync(h, key, sizeof(key), 0, 0);
	/* A module's static data is refused, not read from a wrong page. */
	T_EXPECT(kfkv_put_sync(h, key, sizeof(key), "a", 1, 0, NULL), -EINVAL);
	v = 1;
	T_EXPECT(kfkv_put_sync(h, key, sizeof(key), &val[0], 1,
			       KFKV_IF_VERSION, &v), -ENOENT);
	T_EXPECT(kfkv_put_sync(h, key, sizeof(key), &val[0], 1,
			       KFKV_IF_ABSENT, &v1), 0);
	v = 0;
	T_EXPECT(kfkv_put_sync(h, key, sizeof(key), &val[1], 1,
			       KFKV_IF_ABSENT, &v), -EEXIST);
	T_EXPECT(v, v1);
	v = v1 + 1;
	T_EXPECT(kfkv_put_sync(h, key, sizeof(key), &val[2], 1,
			       KFKV_IF_VERSION, &v), -ESTALE);
	T_EXPECT(v, v1);
	v2 = v1;
	T_EXPECT(kfkv_put_sync(h, key, sizeof(key), &val[3], 1,
			       KFKV_IF_VERSION, &v2), 0);
	if (v2 == v1)
		return T_FAIL(-EINVAL, "version unchanged by a put");
	T_EXPECT(kfkv_delete_sync(h, key, sizeof(key), KFKV_IF_VERSION, v1),
		 -ESTALE);
	T_EXPECT(kfkv_delete_sync(h, key, sizeof(key), KFKV_IF_VERSION, v2),
		 0);
	T_EXPECT(kfkv_stat_sync(h, key, sizeof(key), NULL, NULL), -ENOENT);
	return 0;
}

/* ---- capacity: a full mem store says -ENOSPC, and recovers -------------- */

static int t_capacity(struct kfkv_handle *h)
{
	u8 *val = vzalloc(SZ_64K);
	u8 key[16];
	int i, ret = 0, stored = 0;

	if (!val)
		return -ENOMEM;
	for (i = 0; i < 64 && !ret; i++) {
		ret = kfkv_put_sync(h, key, snprintf(key, sizeof(key), "c%d", i),
				    val, SZ_64K, 0, NULL);
		stored += !ret;
	}
	pr_info("# %d values of 64 KiB stored before %d\n", stored, ret);
	if (ret != -ENOSPC || stored < 2 || stored >= 64) {
		ret = T_FAIL(ret, "no -ENOSPC where the capacity ends");
		goto out;
	}
	/* Nothing was stored by the refused put; room comes back. */
	ret = kfkv_stat_sync(h, key, snprintf(key, sizeof(key), "c%d", stored),
			     NULL, NULL);
	if (ret != -ENOENT) {
		ret = T_FAIL(ret, "the refused put left an object");
		goto out;
	}
	ret = kfkv_delete_sync(h, "c0", 2, 0, 0) ?:
	      kfkv_put_sync(h, "again", 5, val, SZ_64K, 0, NULL) ?:
	      kfkv_delete_sync(h, "again", 5, 0, 0);
	for (i = 1; !ret && i < stored; i++)
		ret = kfkv_delete_sync(h, key,
				       snprintf(key, sizeof(key), "c%d", i), 0,
				       0);
out:
	vfree(val);
	return ret;
}

/* ---- dir: objects written durably, read back after a target reload ------ */

static u64 t_dir_size(u32 i)
{
	return i % 3 == 0 ? 0 : i % 3 == 1 ? 100 + i : 200000 + i;
}

/* Short keys (file named in hex) and long ones (hashed names). */
static u16 t_dir_key(u8 *key, u32 i)
{
	return t_key(key, i % 2 ? KFKV_KEY_BYTES : 8, 7000 + i);
}

static int t_dir(struct kfkv_handle *h, bool write)
{
	u8 *val = vmalloc(300000), *buf = vmalloc(300000);
	u8 key[KFKV_KEY_BYTES];
	u32 i;
	int ret = -ENOMEM;

	if (!val || !buf)
		goto out;
	for (i = 0, ret = 0; i < t_count && !ret; i++) {
		u64 size = t_dir_size(i), got;
		u16 klen = t_dir_key(key, i);

		t_fill(val, size, i);
		if (write) {
			ret = kfkv_put_sync(h, key, klen, val, size,
					    KFKV_DURABLE, NULL);
			continue;
		}
		got = kfkv_get_sync(h, key, klen, buf, 300000, 0, 0, NULL,
				    NULL);
		if (got != size || memcmp(buf, val, size))
			ret = T_FAIL((int)got, "object %u after reload", i);
		else
			ret = kfkv_delete_sync(h, key, klen, 0, 0);
	}
out:
	vfree(val);
	vfree(buf);
	return ret;
}

/* ---- concurrent: threads on two connections, and a full queue ---------- */

struct t_worker {
	struct kfkv_handle *h;
	u32 id;
	int ret;
	struct completion done;
};

static int t_worker_fn(void *arg)
{
	struct t_worker *w = arg;
	u8 *val = kmalloc(9000, GFP_KERNEL), *buf = kmalloc(9000, GFP_KERNEL);
	u8 key[16];
	u32 i;

	w->ret = val && buf ? 0 : -ENOMEM;
	for (i = 0; i < 40 && !w->ret; i++) {
		u64 size = (i * 997 + w->id * 31) % 9000;
		u16 klen = snprintf(key, sizeof(key), "w%u/%u", w->id, i % 5);
		int got;

		t_fill(val, size, w->id * 1000 + i);
		w->ret = kfkv_put_sync(w->h, key, klen, val, size, 0, NULL);
		got = w->ret ?: kfkv_get_sync(w->h, key, klen, buf, 9000, 0, 0,
					      NULL, NULL);
		if (!w->ret && (got != size || memcmp(buf, val, size)))
			w->ret = T_FAIL(got, "worker %u read back wrong", w->id);
	}
	for (i = 0; i < 5 && !w->ret; i++)
		w->ret = kfkv_delete_sync(w->h, key,
					  snprintf(key, sizeof(key), "w%u/%u",
						   w->id, i), 0, 0);
	kfree(val);
	kfree(buf);
	complete(&w->done);
	return 0;
}

struct t_async {
	struct kfkv_op op;
	struct bio_vec bv;
	atomic_t *left;
	struct completion *all;
	int *err;
};

static void t_async_done(struct kfkv_op *op)
{
	struct t_async *a = container_of(op, struct t_async, op);

	if (op->result || op->xfer != a->op.len)
		cmpxchg(a->err, 0, op->result ?: -EIO);
	if (atomic_dec_and_test(a->left))
		complete(a->all);
}

/*
 * More GETs than the depth, submitted without waiting: -EAGAIN is the
 * only refusal, and every accepted one completes, with the right bytes.
 */
static int t_async_burst(struct kfkv_handle *h)
{
	const u32 n = 4 * kfkv_depth(h) + 3;
	struct page *page = alloc_page(GFP_KERNEL);
	struct t_async *ops = kcalloc(n, sizeof(*ops), GFP_KERNEL);
	DECLARE_COMPLETION_ONSTACK(all);
	atomic_t left = ATOMIC_INIT(1);
	u32 i, eagain = 0;
	int err = 0, ret;

	ret = page && ops ? kfkv_put_sync(h, "burst", 5, page_address(page),
					  PAGE_SIZE, 0, NULL) : -ENOMEM;
	for (i = 0; !ret && i < n; i++) {
		struct t_async *a = &ops[i];

		bvec_set_page(&a->bv, page, PAGE_SIZE, 0);
		a->op = (struct kfkv_op){ .type = KFKV_GET, .key = "burst",
			.key_len = 5, .bvec = &a->bv, .nr_bvec = 1,
			.len = PAGE_SIZE, .done = t_async_done };
		a->left = &left;
		a->all = &all;
		a->err = &err;
		atomic_inc(&left);
		while ((ret = kfkv_submit(h, &a->op)) == -EAGAIN) {
			eagain++;
			usleep_range(100, 200);
		}
		if (ret)
			atomic_dec(&left);
	}
	if (atomic_dec_and_test(&left))
		complete(&all);
	if (!wait_for_completion_timeout(&all, 60 * HZ))
		ret = T_FAIL(-ETIMEDOUT, "async operations never completed");
	pr_info("# %u GETs submitted for depth %u: -EAGAIN %u times\n", n,
		kfkv_depth(h), eagain);
	ret = ret ?: err;
	if (!ret)
		ret = kfkv_delete_sync(h, "burst", 5, 0, 0);
	kfree(ops);
	if (page)
		__free_page(page);
	return ret;
}

static int t_concurrent(void)
{
	struct kfkv_handle *h[2] = {};
	struct t_worker w[8];
	int i, ret;

	ret = t_open(t_store, 8, &h[0]) ?: t_open(t_store, 8, &h[1]);
	for (i = 0; !ret && i < ARRAY_SIZE(w); i++) {
		w[i] = (struct t_worker){ .h = h[i % 2], .id = i };
		init_completion(&w[i].done);
		if (IS_ERR(kthread_run(t_worker_fn, &w[i], "kfkv_test/%d", i)))
			ret = -ENOMEM;
	}
	while (i-- > 0) {
		wait_for_completion(&w[i].done);
		ret = ret ?: w[i].ret;
	}
	ret = ret ?: t_async_burst(h[0]);
	kfkv_close(h[1]);
	kfkv_close(h[0]);
	return ret;
}

/* ---- malformed: a raw peer sends garbage; only it is dropped ------------ */

struct t_raw {
	struct kfid_fabric *fabric;
	struct kfid_domain *domain;
	struct kfid_eq *eq;
	struct kfid_cq *cq;
	struct kfid_ep *ep;
	struct kfi_context rx_ctx, tx_ctx;
	struct completion rx_done;
	struct kfkv_cm_rep_info rep;
	u32 rx_len;
	u8 rx[KFKV_MSG_SIZE];
	u8 tx[256];
};

static void t_raw_rx(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct t_raw *r = container_of(e->op_context, struct t_raw, rx_ctx);

	/*
	 * The receives flushed when the target drops the connection carry
	 * nothing, and must not hide the answer that came before.
	 */
	if (e->err)
		return;
	r->rx_len = e->len;
	complete(&r->rx_done);
}

static void t_raw_tx(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
}

static void t_raw_close(struct t_raw *r)
{
	kfi_close(r->ep ? &r->ep->fid : NULL);
	kfi_close(r->cq ? &r->cq->fid : NULL);
	kfi_close(r->eq ? &r->eq->fid : NULL);
	kfi_close(r->domain ? &r->domain->fid : NULL);
	kfi_close(r->fabric ? &r->fabric->fid : NULL);
}

/*
 * Receives for the target's answer and its credit updates; only one
 * message is expected, so they may share a buffer.
 */
static int t_raw_recvs(struct t_raw *r)
{
	int i, ret = 0;

	for (i = 0; i < 4 && !ret; i++)
		ret = kfi_recv(r->ep, r->rx, sizeof(r->rx), NULL, &r->rx_ctx);
	return ret;
}

static int t_raw_connect(struct t_raw *r)
{
	struct kfkv_cm_req_info qi = { .depth = 4 };
	/* Room for the default queue sizes kfi_getinfo() gives. */
	struct kfi_cq_attr cq_attr = { .size = 1024, .comp_vector = -1 };
	struct kfi_eq_attr eq_attr = { .size = 8 };
	struct kfi_info *hints = kfi_allocinfo(), *info = NULL;
	struct kfi_eq_cm_entry ev;
	struct kfkv_cm_req req;
	char svc[8];
	int ret;

	if (!hints)
		return -ENOMEM;
	hints->caps = KFI_MSG | KFI_RMA;
	hints->ep_attr.type = KFI_EP_MSG;
	snprintf(svc, sizeof(svc), "%d", t_port);
	strscpy(qi.store, t_store, sizeof(qi.store));
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  t_ipaddr, svc, 0, hints, &info) ?:
	      kfkv_cm_req_build(&req, &qi) ?:
	      kfi_fabric(&info->fabric_attr, &r->fabric, r) ?:
	      kfi_domain(r->fabric, info, &r->domain, r) ?:
	      kfi_eq_open(r->fabric, &eq_attr, &r->eq, r) ?:
	      kfi_cq_open(r->domain, &cq_attr, &r->cq, r) ?:
	      kfi_endpoint(r->domain, info, &r->ep, r) ?:
	      kfi_ep_bind(r->ep, &r->cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
	      kfi_ep_bind(r->ep, &r->eq->fid, 0) ?:
	      kfi_enable(r->ep) ?: t_raw_recvs(r) ?:
	      kfi_connect(r->ep, &req, sizeof(req)) ?:
	      kfi_eq_sread(r->eq, &ev, 10000);
	kfi_freeinfo(hints);
	kfi_freeinfo(info);
	if (!ret && ev.event != KFI_CONNECTED)
		ret = T_FAIL(ev.err, "raw connect: event %d", ev.event);
	if (!ret && kfkv_cm_rep_parse(ev.data, ev.datalen, &r->rep))
		ret = T_FAIL(-EPROTO, "raw connect: a bad accept");
	return ret;
}

/* A request with a reserved byte set: well framed, answered INVAL. */
static int t_raw_invalid(struct t_raw *r)
{
	struct kfkv_req_info ri = { .opcode = KFKV_OP_STAT, .tag = 1,
				    .key_len = 1, .key = { 'x' } };
	struct kfkv_rsp_info rsp;
	int len = kfkv_req_build(r->tx, sizeof(r->tx), &ri, NULL);

	if (len < 0)
		return len;
	((struct kfkv_req *)r->tx)->reserved = 1;
	T_EXPECT(kfi_send(r->ep, r->tx, len, NULL, &r->tx_ctx), 0);
	if (!wait_for_completion_timeout(&r->rx_done, 10 * HZ))
		return T_FAIL(-ETIMEDOUT, "no answer to an invalid request");
	T_EXPECT(kfkv_rsp_parse(r->rx, r->rx_len, 4, &rsp), 0);
	T_EXPECT(rsp.status, KFKV_ST_INVAL);
	T_EXPECT(rsp.tag, 1);
	return 0;
}

/* Lengths that do not add up: the target drops the connection. */
static int t_raw_garbage(struct t_raw *r)
{
	struct kfkv_req_info ri = { .opcode = KFKV_OP_GET, .tag = 2,
				    .key_len = 1, .key = { 'x' } };
	struct kfi_eq_cm_entry ev;
	int len = kfkv_req_build(r->tx, sizeof(r->tx), &ri, NULL);

	if (len < 0)
		return len;
	((struct kfkv_req *)r->tx)->key_len = cpu_to_le16(200);
	T_EXPECT(kfi_send(r->ep, r->tx, len, NULL, &r->tx_ctx), 0);
	T_EXPECT(kfi_eq_sread(r->eq, &ev, 10000), 0);
	T_EXPECT(ev.event, KFI_SHUTDOWN);
	return 0;
}

static int t_malformed(void)
{
	struct t_raw *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct kfkv_handle *h = NULL;
	char val[] = "value";
	u64 v = 0;
	int ret;

	if (!r)
		return -ENOMEM;
	r->rx_ctx.done = t_raw_rx;
	r->tx_ctx.done = t_raw_tx;
	init_completion(&r->rx_done);
	/* A good client first, which must keep working throughout. */
	ret = t_open(t_store, 4, &h) ?:
	      kfkv_put_sync(h, "keep", 4, val, 5, 0, &v) ?:
	      t_raw_connect(r) ?: t_raw_invalid(r) ?: t_raw_garbage(r);
	t_raw_close(r);
	if (!ret) {
		char buf[8];

		T_EXPECT(kfkv_get_sync(h, "keep", 4, buf, sizeof(buf), 0, 0,
				       NULL, NULL), 5);
		ret = kfkv_delete_sync(h, "keep", 4, KFKV_IF_VERSION, v);
	}
	kfkv_close(h);
	kfree(r);
	return ret;
}

/*
 * Send the @len bytes of @r->tx, tagged @tag: the answer must be AUTH,
 * with nothing inline, and the target must drop the connection.
 */
static int t_raw_refused(struct t_raw *r, int len, u32 tag)
{
	struct kfkv_rsp_info rsp;
	struct kfi_eq_cm_entry ev;

	if (len < 0)
		return len;
	T_EXPECT(kfi_send(r->ep, r->tx, len, NULL, &r->tx_ctx), 0);
	if (!wait_for_completion_timeout(&r->rx_done, 10 * HZ))
		return T_FAIL(-ETIMEDOUT, "no answer to request %u", tag);
	T_EXPECT(kfkv_rsp_parse(r->rx, r->rx_len, 4, &rsp), 0);
	T_EXPECT(rsp.status, KFKV_ST_AUTH);
	T_EXPECT(rsp.tag, tag);
	T_EXPECT(rsp.inline_len, 0);
	T_EXPECT(kfi_eq_sread(r->eq, &ev, 10000), 0);
	T_EXPECT(ev.event, KFI_SHUTDOWN);
	return 0;
}

/*
 * unauth: a raw peer that skips the AUTH exchange on a store with a
 * secret.  The accept carries a challenge; a STAT is answered AUTH,
 * without touching the store, and the target drops the connection.
 */
static int t_raw_unauth(struct t_raw *r)
{
	struct kfkv_req_info ri = { .opcode = KFKV_OP_STAT, .tag = 3,
				    .key_len = 1, .key = { 'x' } };

	T_EXPECT(r->rep.flags, KFKV_CM_AUTH);
	return t_raw_refused(r, kfkv_req_build(r->tx, sizeof(r->tx), &ri,
					       NULL), ri.tag);
}

/* An AUTH whose proof was made without the secret: refused, dropped. */
static int t_raw_badproof(struct t_raw *r)
{
	struct kfkv_req_info ri = { .opcode = KFKV_OP_AUTH, .tag = 2,
				    .inline_len = sizeof(struct kfkv_auth) };
	struct kfkv_auth a = { .nonce = { 1 }, .mac = { 2 } };

	return t_raw_refused(r, kfkv_req_build(r->tx, sizeof(r->tx), &ri,
					       &a), ri.tag);
}

/* One raw connection running @fn. */
static int t_raw_run(int (*fn)(struct t_raw *r))
{
	struct t_raw *r = kzalloc(sizeof(*r), GFP_KERNEL);
	int ret;

	if (!r)
		return -ENOMEM;
	r->rx_ctx.done = t_raw_rx;
	r->tx_ctx.done = t_raw_tx;
	init_completion(&r->rx_done);
	ret = t_raw_connect(r) ?: fn(r);
	t_raw_close(r);
	kfree(r);
	return ret;
}

static int t_unauth(void)
{
	return t_raw_run(t_raw_unauth) ?: t_raw_run(t_raw_badproof);
}

/* Opening with @secret must fail with @want; a handle that opens fails. */
static int t_auth_refused(const char *store, const char *secret, int want)
{
	struct kfkv_handle *h = NULL;
	int ret = t_open_secret(store, 2, secret, &h);

	if (!ret)
		kfkv_close(h);
	if (ret != want)
		return T_FAIL(ret ?: -EEXIST, "open %s with secret '%s': want %d",
			      store, secret ?: "(none)", want);
	return 0;
}

/* A handle with a secret trusts no target that skips the exchange. */
static int t_auth_plain(void)
{
	int port = t_port, ret;

	if (!t_plain[0] || !t_plain_port)
		return T_FAIL(-EINVAL, "no plain or plain_port");
	t_port = t_plain_port;
	ret = t_auth_refused(t_plain, t_secret, -EKEYREJECTED);
	t_port = port;
	return ret;
}

/*
 * auth: the store has the secret kfkv_dev.sh passes as secret=.  With
 * it a handle works; with another, with none, or with one out of bounds
 * the open is refused, and so is the secret at a store without one.
 */
static int t_auth(void)
{
	struct kfkv_handle *h = NULL;
	char val[] = "auth", buf[8];
	int ret;

	ret = t_auth_refused(t_store, "not-the-secret-of-this-store",
			     -EKEYREJECTED) ?:
	      t_auth_refused(t_store, NULL, -EKEYREJECTED) ?:
	      t_auth_refused(t_store, "too-short", -EINVAL) ?:
	      t_auth_plain();
	if (ret)
		return ret;
	ret = t_open_secret(t_store, 2, t_secret, &h);
	if (ret)
		return T_FAIL(ret, "open with the store's secret");
	ret = kfkv_put_sync(h, "a", 1, val, 4, 0, NULL);
	if (!ret) {
		ret = kfkv_get_sync(h, "a", 1, buf, sizeof(buf), 0, 0, NULL,
				    NULL);
		ret = ret == 4 && !memcmp(buf, val, 4) ?
		      kfkv_delete_sync(h, "a", 1, 0, 0) :
		      T_FAIL(ret, "get after an authenticated put");
	}
	kfkv_close(h);
	return ret;
}

/*
 * limits: the store allows two connections from this peer (kfkv_ops.sh
 * set max_connections_per_peer): a third is refused with -EBUSY, and
 * once one closes there is room again.
 */
static int t_limits(void)
{
	struct kfkv_handle *h[3] = {};
	char val = 'x';
	int ret;

	ret = t_open(t_store, 2, &h[0]) ?: t_open(t_store, 2, &h[1]);
	if (!ret) {
		ret = t_open(t_store, 2, &h[2]);
		ret = ret == -EBUSY ? 0 : T_FAIL(ret ?: -EEXIST,
						 "a third connection");
	}
	if (!ret) {
		kfkv_close(h[1]);
		h[1] = NULL;
		ret = t_open(t_store, 2, &h[1]) ?:
		      kfkv_put_sync(h[1], "l", 1, &val, 1, 0, NULL) ?:
		      kfkv_delete_sync(h[0], "l", 1, 0, 0);
	}
	kfkv_close(h[2]);
	kfkv_close(h[1]);
	kfkv_close(h[0]);
	return ret;
}

static int t_with_handle(int (*fn)(struct kfkv_handle *h))
{
	struct kfkv_handle *h;
	int ret = t_open(t_store, 16, &h);

	if (ret)
		return T_FAIL(ret, "cannot open store %s", t_store);
	ret = fn(h);
	kfkv_close(h);
	return ret;
}

/*
 * roundtrip: one inline and one RMA-sized value put, read back and
 * deleted; what kfkv_hostile.sh asks of the store after every attack.
 */
static int t_roundtrip(struct kfkv_handle *h)
{
	static const u32 sizes[] = { 100, 70000 };
	u8 *val = vmalloc(70000), *buf = vmalloc(70000);
	int i, ret = val && buf ? 0 : -ENOMEM;

	for (i = 0; !ret && i < ARRAY_SIZE(sizes); i++) {
		u32 n = sizes[i];
		u8 key[] = { 'r', 't', 0, 0xff, '0' + i };

		t_fill(val, n, 4242 + i);
		ret = kfkv_put_sync(h, key, sizeof(key), val, n, 0, NULL);
		if (ret) {
			ret = T_FAIL(ret, "put of %u bytes", n);
			break;
		}
		ret = kfkv_get_sync(h, key, sizeof(key), buf, n, 0, 0, NULL,
				    NULL);
		if (ret != n || memcmp(buf, val, n)) {
			ret = T_FAIL(ret < 0 ? ret : -EIO, "get of %u bytes", n);
			break;
		}
		ret = kfkv_delete_sync(h, key, sizeof(key), 0, 0);
	}
	vfree(val);
	vfree(buf);
	return ret;
}

/* ---- hostile_target: a target that answers wrongly ------------------- */

struct t_once {
	struct kfkv_op op;
	atomic_t calls;
	struct completion done;
};

static void t_once_done(struct kfkv_op *op)
{
	struct t_once *o = container_of(op, struct t_once, op);

	atomic_inc(&o->calls);
	complete(&o->done);
}

/*
 * @o's operation through @h: its result, the error of a refused submit,
 * or -ETIMEDOUT if it did not complete within four of the handle's
 * timeouts (the watchdog looks every quarter of one).
 */
static int t_once_run(struct kfkv_handle *h, struct t_once *o)
{
	int ret;

	o->op.done = t_once_done;
	init_completion(&o->done);
	ret = kfkv_submit(h, &o->op);
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&o->done,
					 msecs_to_jiffies(4 * t_timeout_ms)))
		return -ETIMEDOUT;
	return o->op.result;
}

static int t_once_stat(struct kfkv_handle *h, struct t_once *o)
{
	o->op = (struct kfkv_op){ .type = KFKV_STAT, .key = "ht",
				  .key_len = 2 };
	return t_once_run(h, o);
}

/*
 * hostile_target: the store is modules/kfkv_hostile.ko as a target that
 * answers wrongly (kfkv_hostile.sh).  The first STAT fails the handle
 * (with first_ok, it may get its right answer and the duplicate fail the
 * handle); the second cannot succeed; each completes exactly once, also
 * after settle_ms more; nothing hangs.
 */
static int t_hostile_target(void)
{
	struct t_once *o = kcalloc(2, sizeof(*o), GFP_KERNEL);
	struct kfkv_handle *h = NULL;
	int r1, r2, c1, c2, ret = 0;

	if (!o)
		return -ENOMEM;
	ret = t_open(t_store, 4, &h);
	if (ret) {
		kfree(o);
		return T_FAIL(ret, "open on the hostile target");
	}
	r1 = t_once_stat(h, &o[0]);
	r2 = t_once_stat(h, &o[1]);
	msleep(t_settle_ms);
	c1 = atomic_read(&o[0].calls);
	c2 = atomic_read(&o[1].calls);
	/* Closing completes whatever is still in flight: o is freed after. */
	kfkv_close(h);
	pr_info("# results %d and %d, completions %d and %d\n", r1, r2, c1,
		c2);
	if (r1 == -ETIMEDOUT || r2 == -ETIMEDOUT)
		ret = T_FAIL(-ETIMEDOUT, "an operation never completed");
	else if (r1 != -ECONNRESET && !(t_first_ok && r1 == -ENOENT))
		ret = T_FAIL(r1 ?: -EINVAL, "first operation: want -ECONNRESET");
	else if (r2 >= 0 || r2 == -ENOENT)
		ret = T_FAIL(-EINVAL, "second operation: %d, want an error", r2);
	else if (c1 != 1 || c2 > 1 || (r2 != -ENOTCONN && c2 != 1))
		ret = T_FAIL(-EINVAL, "completions %d and %d", c1, c2);
	kfree(o);
	return ret;
}

/*
 * replay: the target (kfkv_hostile.ko, silent) never answers, and this
 * handle reconnects (every 100 ms, for up to 600 s).  When the timeout
 * drops the connection, the DELETE in flight cannot be sent again -- it
 * may have deleted, and would then answer -ENOENT -- so it completes
 * with -ECONNRESET; the STAT is parked and sent again on the next
 * connection, and is still waiting settle_ms later (the script checks
 * that the target saw it again).  Closing the handle completes it, once.
 */
static int t_replay(void)
{
	static const struct kfi_sess_params p = {
		.reconnect_delay_ms = 100,
		.ctrl_loss_tmo_s = 600,
		.fast_io_fail_tmo_s = -1,
	};
	struct t_once *o = kcalloc(2, sizeof(*o), GFP_KERNEL);
	struct kfkv_handle *h = NULL;
	int ret, calls;

	if (!o)
		return -ENOMEM;
	ret = t_open_sess(t_store, 4, NULL, &p, &h);
	if (ret) {
		kfree(o);
		return T_FAIL(ret, "open on the hostile target");
	}
	o[0].op = (struct kfkv_op){ .type = KFKV_STAT, .key = "ht",
				    .key_len = 2, .done = t_once_done };
	o[1].op = (struct kfkv_op){ .type = KFKV_DELETE, .key = "ht",
				    .key_len = 2, .done = t_once_done };
	init_completion(&o[0].done);
	ret = kfkv_submit(h, &o[0].op);
	if (!ret)
		ret = t_once_run(h, &o[1]);
	if (ret == -ECONNRESET) {
		msleep(t_settle_ms);
		calls = atomic_read(&o[0].calls);
		ret = calls ? T_FAIL(-EINVAL, "the STAT completed (%d): not sent again",
				     o[0].op.result) : 0;
	} else {
		ret = T_FAIL(ret ?: -EINVAL, "DELETE: want -ECONNRESET");
	}
	kfkv_close(h);
	calls = atomic_read(&o[0].calls);
	pr_info("# DELETE %d; STAT %d after the close, completions %d\n",
		o[1].op.result, o[0].op.result, calls);
	if (!ret && (calls != 1 || o[0].op.result != -ECONNRESET))
		ret = T_FAIL(-EINVAL, "STAT at close: %d, %d completions",
			     o[0].op.result, calls);
	kfree(o);
	return ret;
}

/* ---- hostile_rma: a target that writes where it was not offered ----- */

/*
 * A GET's buffer: its value starts T_RMA_HEAD bytes into the first of
 * three pages and ends T_RMA_HEAD bytes into the last, so the client's
 * registration covers part of both; the bytes around the value are the
 * guard.
 */
#define T_RMA_PAGES	3
#define T_RMA_HEAD	512
#define T_RMA_LEN	(2 * PAGE_SIZE)
#define T_RMA_GUARD	0x5a
#define T_RMA_HOSTILE	0xe7	/* what kfkv_hostile.ko writes */

struct t_rma_buf {
	struct page *pages[T_RMA_PAGES];
	struct bio_vec bv[T_RMA_PAGES];
};

static void t_rma_free(struct t_rma_buf *b)
{
	int i;

	for (i = 0; i < T_RMA_PAGES; i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
}

/* Every byte of @b the guard's, as the caller's own buffer would be. */
static void t_rma_fill(struct t_rma_buf *b)
{
	int i;

	for (i = 0; i < T_RMA_PAGES; i++)
		memset(page_address(b->pages[i]), T_RMA_GUARD, PAGE_SIZE);
}

static int t_rma_alloc(struct t_rma_buf *b)
{
	int i;

	for (i = 0; i < T_RMA_PAGES; i++) {
		b->pages[i] = alloc_page(GFP_KERNEL);
		if (!b->pages[i])
			return -ENOMEM;
		b->bv[i] = (struct bio_vec){ .bv_page = b->pages[i],
					     .bv_len = PAGE_SIZE };
	}
	b->bv[0].bv_offset = T_RMA_HEAD;
	b->bv[0].bv_len = PAGE_SIZE - T_RMA_HEAD;
	b->bv[2].bv_len = T_RMA_HEAD;
	t_rma_fill(b);
	return 0;
}

/* Bytes of @b from @from to @to that are not @byte. */
static int t_rma_count(const struct t_rma_buf *b, size_t from, size_t to,
		       u8 byte)
{
	int n = 0;

	for (; from < to; from++)
		n += ((u8 *)page_address(b->pages[from / PAGE_SIZE]))
			[from % PAGE_SIZE] != byte;
	return n;
}

/* Guard bytes of @b that changed. */
static int t_rma_guard_hit(const struct t_rma_buf *b)
{
	return t_rma_count(b, 0, T_RMA_HEAD, T_RMA_GUARD) +
	       t_rma_count(b, T_RMA_HEAD + T_RMA_LEN, T_RMA_PAGES * PAGE_SIZE,
			   T_RMA_GUARD);
}

static int t_once_get(struct kfkv_handle *h, struct t_once *o,
		      const struct t_rma_buf *b)
{
	o->op = (struct kfkv_op){ .type = KFKV_GET, .key = "ht", .key_len = 2,
				  .bvec = b->bv, .nr_bvec = T_RMA_PAGES,
				  .len = T_RMA_LEN };
	return t_once_run(h, o);
}

/*
 * With first_ok (stale_key): the first GET is answered right and its
 * buffer, done with, is the caller's again: nothing may reach it now.
 */
static int t_rma_first(struct kfkv_handle *h, struct t_once *o,
		       struct t_rma_buf *a)
{
	size_t end = T_RMA_HEAD + T_RMA_LEN;
	int r = t_once_get(h, o, a);

	if (r || o->op.xfer != T_RMA_LEN ||
	    t_rma_count(a, T_RMA_HEAD, end, T_RMA_HOSTILE) ||
	    t_rma_guard_hit(a))
		return T_FAIL(r ?: -EINVAL, "first GET: %llu bytes, %d guard bytes hit",
			      o->op.xfer, t_rma_guard_hit(a));
	t_rma_fill(a);
	return 0;
}

/*
 * hostile_rma: the store is kfkv_hostile.ko writing by RMA where a GET
 * did not offer (kfkv_hostile.sh client.rma_*, client.stale_key).  The
 * fabric must refuse the write: the GET fails, once, sooner than the
 * handle's timeout would fail it, and no byte outside the value it
 * offered changes, nor (first_ok) the first GET's buffer.
 */
static int t_hostile_rma(void)
{
	struct t_rma_buf *b = kcalloc(2, sizeof(*b), GFP_KERNEL);
	struct t_once *o = kcalloc(2, sizeof(*o), GFP_KERNEL);
	struct kfkv_handle *h = NULL;
	int r = 0, calls, hit, old;
	unsigned long start;
	unsigned int ms;

	if (!b || !o || t_rma_alloc(&b[0]) || t_rma_alloc(&b[1])) {
		r = -ENOMEM;
		goto out;
	}
	r = t_open(t_store, 4, &h);
	if (r) {
		r = T_FAIL(r, "open on the hostile target");
		goto out;
	}
	if (t_first_ok)
		r = t_rma_first(h, &o[0], &b[0]);
	if (r) {
		kfkv_close(h);
		goto out;
	}
	start = jiffies;
	r = t_once_get(h, &o[1], &b[1]);
	ms = jiffies_to_msecs(jiffies - start);
	msleep(t_settle_ms);
	calls = atomic_read(&o[1].calls);
	kfkv_close(h);
	hit = t_rma_guard_hit(&b[1]);
	old = t_rma_count(&b[0], 0, T_RMA_PAGES * PAGE_SIZE, T_RMA_GUARD);
	pr_info("# GET: %d in %u ms after %d completions, %d guard bytes hit, %d bytes of the first buffer\n",
		r, ms, calls, hit, old);
	if (r >= 0 || calls != 1 || hit || old)
		r = T_FAIL(-EINVAL, "want one failed GET and nothing written");
	else if (ms >= t_timeout_ms)
		r = T_FAIL(-EINVAL, "GET failed by timeout, not by the fabric");
	else
		r = 0;
out:
	if (b) {
		t_rma_free(&b[0]);
		t_rma_free(&b[1]);
	}
	kfree(b);
	kfree(o);
	return r;
}

static int t_dir_write(struct kfkv_handle *h)
{
	return t_dir(h, true);
}

static int t_dir_verify(struct kfkv_handle *h)
{
	return t_dir(h, false);
}

static int __init kfkv_test_init(void)
{
	static const struct {
		const char *name;
		int (*fn)(struct kfkv_handle *h);
	} cases[] = {
		{ "sizes", t_sizes },
		{ "many", t_many },
		{ "versions", t_versions },
		{ "capacity", t_capacity },
		{ "dir_write", t_dir_write },
		{ "dir_verify", t_dir_verify },
		{ "roundtrip", t_roundtrip },
	};
	int i, ret = -EINVAL;

	if (!strcmp(t_case, "concurrent"))
		ret = t_concurrent();
	else if (!strcmp(t_case, "malformed"))
		ret = t_malformed();
	else if (!strcmp(t_case, "limits"))
		ret = t_limits();
	else if (!strcmp(t_case, "auth"))
		ret = t_auth();
	else if (!strcmp(t_case, "unauth"))
		ret = t_unauth();
	else if (!strcmp(t_case, "hostile_target"))
		ret = t_hostile_target();
	else if (!strcmp(t_case, "hostile_rma"))
		ret = t_hostile_rma();
	else if (!strcmp(t_case, "replay"))
		ret = t_replay();
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(t_case, cases[i].name))
			ret = t_with_handle(cases[i].fn);
	pr_info("# case %s on %s: %d\n", t_case, t_store, ret);
	return ret;
}

static void __exit kfkv_test_exit(void)
{
}

module_init(kfkv_test_init);
module_exit(kfkv_test_exit);

MODULE_DESCRIPTION("kfkv: client API checks against a live target");
MODULE_LICENSE("GPL");
