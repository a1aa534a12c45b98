// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile kfblk client: connects to a kfblk target the way any host on
 * the fabric could, and does what a broken or malicious one would.  Each
 * case checks the outcome the protocol document promises (an error
 * answer, a refused connection, the connection closed by the target);
 * what the target must survive (teardown under load) is checked by the
 * script that loads this module, from the target's side.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include "kfblk_hostile.h"

#define HC_DEPTH	128		/* depth asked for */
#define HC_SLOTS	256		/* command buffers: twice the depth */
#define HC_BUF		SZ_1M		/* the region RMA goes to */
#define HC_NO_RSP	0xffff
#define HC_BURST	32		/* largest READs: more than a budget */
#define HC_WAIT_MS	10000

/* One command buffer and its send context. */
struct hc_cmd {
	struct hw_cmd w;
	struct kfi_context ctx;
};

/* One receive buffer. */
struct hc_rx {
	struct hw_rsp w;
	struct kfi_context ctx;
};

/* One connection to the target. */
struct hc_conn {
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct kfid_ep *ep;
	struct kfid_mr *mr;
	struct hw_rep rep;
	u16 depth;
	u32 max_io;
	u64 capacity;
	u32 nr_rx;
	struct hc_rx *rx;
	struct hc_cmd *cmd;
	u16 status[HC_SLOTS];
	atomic_t nr_rsp;
	atomic_t nr_err;
	wait_queue_head_t wq;
};

/* Shared by every connection of a run. */
static struct kfi_info *hc_info;
static struct kfid_fabric *hc_fabric;
static struct kfid_domain *hc_domain;
static void *hc_buf;
static struct hc_conn *hc_held;		/* left open until unload */

static void hc_cq_handler(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			  void *arg)
{
	struct hc_conn *c = arg;
	struct hc_rx *rx;
	u32 tag;

	if (e->err) {
		atomic_inc(&c->nr_err);
		wake_up(&c->wq);
		return;
	}
	if (!(e->flags & KFI_RECV))
		return;
	rx = container_of(e->op_context, struct hc_rx, ctx);
	tag = le32_to_cpu(rx->w.tag);
	if (e->len == sizeof(rx->w) && le32_to_cpu(rx->w.magic) == HW_MAGIC_RSP &&
	    (tag & 0xffff) < HC_SLOTS)
		WRITE_ONCE(c->status[tag & 0xffff], le16_to_cpu(rx->w.status));
	atomic_inc(&c->nr_rsp);
	wake_up(&c->wq);
}

static void hc_close(struct hc_conn *c)
{
	if (!c)
		return;
	if (c->ep)
		kfi_close(&c->ep->fid);
	/* The endpoint is gone, so no RMA can reach the region any more. */
	if (c->mr)
		kfi_close(&c->mr->fid);
	if (c->cq)
		kfi_close(&c->cq->fid);
	if (c->eq)
		kfi_close(&c->eq->fid);
	kfree(c->rx);
	kfree(c->cmd);
	kfree(c);
}

/* Connect flags offered (malformed_inline offers inline WRITE data). */
static u32 hc_offer;

static void hc_req_init(struct hw_req *r, u16 depth, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->flags = cpu_to_le32(hc_offer);
	r->magic = cpu_to_le32(HW_MAGIC_REQ);
	r->version = cpu_to_le16(1);
	r->nr_queues = cpu_to_le16(1);
	r->queue_depth = cpu_to_le16(depth);
	strscpy(r->name, name, sizeof(r->name));
}

static int hc_open(struct hc_conn *c, u32 nr_rx)
{
	struct kfi_cq_attr ca = { .size = 4 * HC_SLOTS, .comp_vector = -1,
				  .poll_ctx = KFI_POLL_SOFTIRQ,
				  .handler = hc_cq_handler, .handler_arg = c };
	struct kfi_eq_attr ea = { .size = 8 };
	int ret, i;

	c->nr_rx = nr_rx;
	c->rx = kcalloc(nr_rx, sizeof(*c->rx), GFP_KERNEL);
	c->cmd = kcalloc(HC_SLOTS, sizeof(*c->cmd), GFP_KERNEL);
	if (!c->rx || !c->cmd)
		return -ENOMEM;
	init_waitqueue_head(&c->wq);
	memset(c->status, 0xff, sizeof(c->status));
	hc_info->tx_attr.size = 2 * HC_SLOTS + 8;
	hc_info->rx_attr.size = nr_rx;
	ret = kfi_cq_open(hc_domain, &ca, &c->cq, c);
	if (!ret)
		ret = kfi_eq_open(hc_fabric, &ea, &c->eq, c);
	if (!ret)
		ret = kfi_endpoint(hc_domain, hc_info, &c->ep, c);
	if (!ret)
		ret = kfi_ep_bind(c->ep, &c->cq->fid, KFI_TRANSMIT | KFI_RECEIVE);
	if (!ret)
		ret = kfi_ep_bind(c->ep, &c->eq->fid, 0);
	if (!ret)
		ret = kfi_enable(c->ep);
	for (i = 0; !ret && i < nr_rx; i++)
		ret = kfi_recv(c->ep, &c->rx[i].w, sizeof(c->rx[i].w), NULL,
			       &c->rx[i].ctx);
	return ret;
}

/* The region every READ/WRITE of the connection points at. */
static int hc_map(struct hc_conn *c)
{
	struct kvec kv = { .iov_base = hc_buf, .iov_len = HC_BUF };
	struct kfi_iov iov = { .type = KFI_IOV_KVEC, .kvec = &kv, .count = 1 };
	int ret;

	/* One page more than the region, as kfblk itself maps. */
	ret = kfi_mr_alloc(hc_domain, (HC_BUF >> PAGE_SHIFT) + 1,
			   KFI_REMOTE_READ | KFI_REMOTE_WRITE, &c->mr, c);
	return ret ?: kfi_mr_map(c->ep, c->mr, &iov);
}

/*
 * Connect with @req as private data.  Return 0 when accepted (the reply
 * in c->rep), the positive status of a reject, or a negative errno.
 */
static int hc_connect_req(struct hc_conn *c, const void *req, u32 len)
{
	struct kfi_eq_cm_entry *e;
	int ret;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	ret = kfi_connect(c->ep, req, len);
	if (!ret)
		ret = h_wait_event(c->eq, e, HC_WAIT_MS);
	if (ret)
		goto out;
	if (e->datalen >= sizeof(c->rep))
		memcpy(&c->rep, e->data, sizeof(c->rep));
	if (e->event == KFI_REJECTED) {
		ret = e->datalen >= sizeof(c->rep) &&
		      le32_to_cpu(c->rep.magic) == HW_MAGIC_REP ?
		      le16_to_cpu(c->rep.status) : -ECONNREFUSED;
	} else if (e->event != KFI_CONNECTED ||
		   e->datalen < sizeof(c->rep) ||
		   le32_to_cpu(c->rep.magic) != HW_MAGIC_REP) {
		ret = -EPROTO;
	}
	c->depth = le16_to_cpu(c->rep.queue_depth);
	c->max_io = le32_to_cpu(c->rep.max_io);
	c->capacity = le64_to_cpu(c->rep.capacity);
out:
	kfree(e);
	return ret;
}

static struct hc_conn *hc_connect_once(u16 depth, u32 nr_rx, int *st)
{
	struct hc_conn *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct hw_req req;
	int ret;

	if (!c)
		return ERR_PTR(-ENOMEM);
	hc_req_init(&req, depth, h_export);
	ret = hc_open(c, nr_rx);
	if (!ret)
		ret = hc_connect_req(c, &req, sizeof(req));
	if (!ret && (!c->depth || c->depth > depth || c->depth > HC_SLOTS))
		ret = -EPROTO;
	if (!ret)
		ret = hc_map(c);
	if (ret) {
		hc_close(c);
		if (st && ret > 0) {
			*st = ret;
			return NULL;
		}
		return ERR_PTR(ret > 0 ? -ECONNREFUSED : ret);
	}
	return c;
}

/*
 * A connection asking for @depth with @nr_rx receives.  With @st, a
 * reject returns NULL and its status there; without, BUSY is retried for
 * a while, as the connections of the case before may still be closing.
 */
static struct hc_conn *hc_connect(u16 depth, u32 nr_rx, int *st)
{
	struct hc_conn *c;
	int busy, tries;

	for (tries = 0; tries < 50; tries++) {
		busy = 0;
		c = hc_connect_once(depth, nr_rx, st ?: &busy);
		if (st || busy != HW_BUSY)
			break;
		msleep(100);
	}
	if (!st && busy)
		return ERR_PTR(-ECONNREFUSED);
	return c;
}

static void hc_cmd_build(struct hc_conn *c, u32 i, u8 op, u32 len, u64 sector)
{
	struct hw_cmd *w = &c->cmd[i].w;

	memset(w, 0, sizeof(*w));
	w->magic = cpu_to_le32(HW_MAGIC_CMD);
	w->version = 1;
	w->opcode = op;
	w->tag = cpu_to_le32(i);
	w->len = cpu_to_le32(len);
	w->sector = cpu_to_le64(sector);
	if (op == HW_READ || op == HW_WRITE) {
		w->raddr = cpu_to_le64(c->mr->iova);
		w->rkey = cpu_to_le64(c->mr->key);
	}
}

/*
 * Send @len bytes of command buffer @i, then @data bytes of inline data
 * from the upper half of the region; wait out a lack of credit.
 */
static int hc_send_data(struct hc_conn *c, u32 i, size_t len, u32 data)
{
	struct kvec kv[2] = {
		{ .iov_base = &c->cmd[i].w, .iov_len = len },
		{ .iov_base = hc_buf + HC_BUF / 2, .iov_len = data },
	};
	int ret, tries;

	WRITE_ONCE(c->status[i], HC_NO_RSP);
	for (tries = 0; tries < 1000; tries++) {
		ret = kfi_sendv(c->ep, kv, NULL, data ? 2 : 1, &c->cmd[i].ctx);
		if (ret != -EAGAIN)
			return ret;
		usleep_range(1000, 2000);
	}
	return ret;
}

/* Send command buffer @i (@len bytes of it); wait out a lack of credit. */
static int hc_send(struct hc_conn *c, u32 i, size_t len)
{
	return hc_send_data(c, i, len, 0);
}

/* The status the target answered command @i with, or -ETIMEDOUT. */
static int hc_wait_rsp(struct hc_conn *c, u32 i)
{
	long left = wait_event_timeout(c->wq,
				       READ_ONCE(c->status[i]) != HC_NO_RSP ||
				       atomic_read(&c->nr_err),
				       msecs_to_jiffies(HC_WAIT_MS));

	if (READ_ONCE(c->status[i]) != HC_NO_RSP)
		return READ_ONCE(c->status[i]);
	return left ? -ECONNRESET : -ETIMEDOUT;
}

/* Wait for the target to close the connection; 0 if it did. */
static int hc_wait_closed(struct hc_conn *c, int ms)
{
	struct kfi_eq_cm_entry *e = kzalloc(sizeof(*e), GFP_KERNEL);
	unsigned long end = jiffies + msecs_to_jiffies(ms);
	int ret = -ETIMEDOUT;

	if (!e)
		return -ENOMEM;
	while (time_before(jiffies, end)) {
		if (h_wait_event(c->eq, e, 200))
			continue;
		if (e->event == KFI_SHUTDOWN) {
			ret = 0;
			break;
		}
	}
	kfree(e);
	return ret;
}

/* ---- cases ------------------------------------------------------------ */

/*
 * Fill @c's queue but one with 128 KiB READs and WRITEs, unanswerable.
 * They stay in the upper half of the device: a peer may write anywhere
 * on an export, and the lower half is the well-behaved client's while
 * this runs beside it (kfblk_hostile.sh).
 */
static int hc_fill(struct hc_conn *c)
{
	u32 len = min(c->max_io, 128U << 10), span = len >> 9;
	u64 half = c->capacity / 2;
	int i, ret = 0;

	for (i = 0; i < c->depth - 1 && !ret; i++) {
		hc_cmd_build(c, i, i & 1 ? HW_WRITE : HW_READ, len,
			     half + (u64)i * span % (half - span));
		ret = hc_send(c, i, sizeof(struct hw_cmd));
	}
	return ret;
}

/*
 * Four connections with 127 commands in flight each (their answers
 * cannot all come back: 8 receives), then all of them drop; 30 times.
 */
static int inflight_disconnect(void)
{
	struct hc_conn *c[4];
	int round, i, ret = 0;

	for (round = 0; round < 30 && !ret; round++) {
		for (i = 0; i < ARRAY_SIZE(c); i++) {
			c[i] = hc_connect(HC_DEPTH, 8, NULL);
			if (IS_ERR(c[i])) {
				ret = PTR_ERR(c[i]);
				c[i] = NULL;
			}
		}
		for (i = 0; i < ARRAY_SIZE(c) && !ret; i++)
			ret = hc_fill(c[i]);
		for (i = 0; i < ARRAY_SIZE(c); i++)
			hc_close(c[i]);
	}
	return ret;
}

/* Garbage in a burst, gone before the target has read it all. */
static int malformed_burst(void)
{
	int round, i, ret;

	for (round = 0; round < 20; round++) {
		struct hc_conn *c = hc_connect(HC_DEPTH, 8, NULL);

		if (IS_ERR(c))
			return PTR_ERR(c);
		for (i = 0, ret = 0; i < 64 && !ret; i++) {
			hc_cmd_build(c, i, HW_READ, 4096, 0);
			c->cmd[i].w.magic = cpu_to_le32(0xdeadbeef);
			ret = hc_send(c, i, sizeof(struct hw_cmd));
		}
		hc_close(c);
		if (ret)
			return ret;
	}
	return 0;
}

/* One malformed command, then a stream of good ones: the target hangs up. */
static int malformed_then_stream(void)
{
	struct hc_conn *c = hc_connect(HC_DEPTH, HC_SLOTS, NULL);
	int i, ret;

	if (IS_ERR(c))
		return PTR_ERR(c);
	hc_cmd_build(c, 0, HW_READ, 4096, 0);
	c->cmd[0].w.version = 7;
	ret = hc_send(c, 0, sizeof(struct hw_cmd));
	for (i = 1; i < c->depth && !ret; i++) {
		hc_cmd_build(c, i, HW_READ, 4096, i * 8);
		ret = hc_send(c, i, sizeof(struct hw_cmd));
		/* Sends fail once the target has hung up: that is the point. */
		if (ret == -ENOTCONN)
			ret = 0;
	}
	if (!ret)
		ret = hc_wait_closed(c, HC_WAIT_MS);
	hc_close(c);
	return ret;
}

struct hc_field_case {
	const char *what;
	u8 op;
	u32 len;
	u64 sector;		/* U64_MAX: the last block plus one */
	void (*mangle)(struct hw_cmd *w);
	int want;		/* status, or -ECONNRESET: connection closed */
	size_t size;		/* bytes sent, 0: the whole command */
};

static void m_reserved(struct hw_cmd *w)
{
	w->reserved = cpu_to_le64(1);
}

static void m_flags(struct hw_cmd *w)
{
	w->flags = cpu_to_le16(0x80);
}

static void m_rkey64(struct hw_cmd *w)
{
	w->rkey |= cpu_to_le64(1ULL << 40);
}

static void m_wrap(struct hw_cmd *w)
{
	w->raddr = cpu_to_le64(~0ULL - 100);
}

static void m_flush(struct hw_cmd *w)
{
	w->raddr = cpu_to_le64(4096);
}

static void m_opcode(struct hw_cmd *w)
{
	w->opcode = 42;
}

static void m_magic(struct hw_cmd *w)
{
	w->magic = 0;
}

static void m_version(struct hw_cmd *w)
{
	w->version = 2;
}

static void m_tag(struct hw_cmd *w)
{
	w->tag = cpu_to_le32(0xffff);
}

static void m_inline(struct hw_cmd *w)
{
	w->flags = cpu_to_le16(HW_CMD_INLINE);
}

static const struct hc_field_case hc_fields[] = {
	{ "reserved", HW_READ, 4096, 0, m_reserved, HW_INVAL },
	{ "flags", HW_READ, 4096, 0, m_flags, HW_INVAL },
	{ "len0", HW_READ, 0, 0, NULL, HW_INVAL },
	{ "unaligned", HW_READ, 700, 0, NULL, HW_INVAL },
	{ "too_long", HW_WRITE, 64U << 20, 0, NULL, HW_INVAL },
	{ "range", HW_READ, 4096, U64_MAX, NULL, HW_RANGE },
	{ "wrap", HW_READ, 4096, 0, m_wrap, HW_INVAL },
	{ "flush_fields", HW_FLUSH, 0, 0, m_flush, HW_INVAL },
	{ "opcode", HW_READ, 4096, 0, m_opcode, HW_NOTSUPP },
	{ "read_rkey64", HW_READ, 4096, 0, m_rkey64, HW_XFER },
	{ "write_rkey64", HW_WRITE, 4096, 0, m_rkey64, HW_XFER },
	{ "good_read", HW_READ, 4096, 0, NULL, HW_OK },
	{ "bad_magic", HW_READ, 4096, 0, m_magic, -ECONNRESET },
	{ "bad_version", HW_READ, 4096, 0, m_version, -ECONNRESET },
	{ "short", HW_READ, 4096, 0, NULL, -ECONNRESET, 47 },
	{ "tag_index", HW_READ, 4096, 0, m_tag, -ECONNRESET },
	/* Inline data the connection did not agree to: no data expected. */
	{ "inline_unagreed", HW_WRITE, 4096, 0, m_inline, HW_INVAL },
};

/*
 * Command 1 went out on @c (@ret: the send's result); what came of it
 * must be @want: the status answered, or -ECONNRESET for the target
 * hanging up.  Closes @c.
 */
static int hc_expect(struct hc_conn *c, int ret, int want, const char *what)
{
	if (!ret && want >= 0)
		ret = hc_wait_rsp(c, 1);
	else if (!ret)
		ret = hc_wait_closed(c, HC_WAIT_MS) ?: -ECONNRESET;
	hc_close(c);
	if (ret != want) {
		pr_info("    # %s: got %d, the protocol says %d\n", what, ret,
			want);
		return -EINVAL;
	}
	return 0;
}

static int hc_field_one(const struct hc_field_case *fc)
{
	struct hc_conn *c = hc_connect(16, 32, NULL);
	u64 sector = fc->sector;
	int ret;

	if (IS_ERR(c))
		return PTR_ERR(c);
	if (sector == U64_MAX)
		sector = c->capacity;
	hc_cmd_build(c, 1, fc->op, fc->len, sector);
	if (fc->mangle)
		fc->mangle(&c->cmd[1].w);
	ret = hc_send(c, 1, fc->size ?: sizeof(struct hw_cmd));
	return hc_expect(c, ret, fc->want, fc->what);
}

/* An inline WRITE, then a READ of it into the region: the data is there. */
static int hc_inline_roundtrip(struct hc_conn *c, u64 sector)
{
	int ret;

	get_random_bytes(hc_buf + HC_BUF / 2, SZ_4K);
	memset(hc_buf, 0, SZ_4K);
	hc_cmd_build(c, 1, HW_WRITE, SZ_4K, sector);
	c->cmd[1].w.flags = cpu_to_le16(HW_CMD_INLINE);
	c->cmd[1].w.raddr = 0;
	c->cmd[1].w.rkey = 0;
	ret = hc_send_data(c, 1, sizeof(struct hw_cmd), SZ_4K) ?:
	      hc_wait_rsp(c, 1);
	if (ret)
		return ret;
	hc_cmd_build(c, 2, HW_READ, SZ_4K, sector);
	ret = hc_send(c, 2, sizeof(struct hw_cmd)) ?: hc_wait_rsp(c, 2);
	if (ret)
		return ret;
	return memcmp(hc_buf, hc_buf + HC_BUF / 2, SZ_4K) ? -EIO : 0;
}

struct hc_inline_case {
	const char *what;
	u8 op;
	u32 len;		/* the command's */
	u32 data;		/* bytes sent after it */
	bool key;		/* keep the raddr and rkey of an RMA command */
	int want;		/* status, or -ECONNRESET: connection closed */
};

static const struct hc_inline_case hc_inlines[] = {
	{ "inline_short", HW_WRITE, 4096, 512, false, -ECONNRESET },
	{ "inline_long", HW_WRITE, 512, 1024, false, -ECONNRESET },
	{ "inline_none", HW_WRITE, 4096, 0, false, -ECONNRESET },
	{ "inline_over", HW_WRITE, 8192, 8192, false, -ECONNRESET },
	{ "inline_key", HW_WRITE, 4096, 4096, true, HW_INVAL },
	{ "inline_read", HW_READ, 4096, 4096, false, HW_INVAL },
};

static int hc_inline_one(const struct hc_inline_case *ic, u64 sector)
{
	struct hc_conn *c = hc_connect(16, 32, NULL);
	int ret;

	if (IS_ERR(c))
		return PTR_ERR(c);
	hc_cmd_build(c, 1, ic->op, ic->len, sector);
	c->cmd[1].w.flags = cpu_to_le16(HW_CMD_INLINE);
	if (!ic->key) {
		c->cmd[1].w.raddr = 0;
		c->cmd[1].w.rkey = 0;
	}
	ret = hc_send_data(c, 1, sizeof(struct hw_cmd), ic->data);
	return hc_expect(c, ret, ic->want, ic->what);
}

/*
 * Inline WRITE data, offered and agreed (one page): a good one lands
 * where it was written; too little, too much, or more than agreed ends
 * the connection; a key beside it, or inline data on a READ, is INVAL.
 * Writes go to the upper half of the device, as hc_fill()'s do.
 */
static int malformed_inline(void)
{
	struct hc_conn *c;
	u64 sector;
	int i, ret, failed = 0;

	hc_offer = HW_CM_INLINE;
	c = hc_connect(16, 32, NULL);
	if (IS_ERR(c)) {
		hc_offer = 0;
		return PTR_ERR(c);
	}
	sector = c->capacity / 2 + 8;
	if (!(le16_to_cpu(c->rep.caps) & HW_CAP_INLINE) ||
	    le32_to_cpu(c->rep.inline_max) != SZ_4K) {
		pr_info("    # inline: caps %#x inline_max %u, want one page\n",
			le16_to_cpu(c->rep.caps), le32_to_cpu(c->rep.inline_max));
		failed = -EINVAL;
	} else {
		ret = hc_inline_roundtrip(c, sector);
		if (ret) {
			pr_info("    # inline_good: %d\n", ret);
			failed = -EINVAL;
		}
	}
	hc_close(c);
	for (i = 0; i < ARRAY_SIZE(hc_inlines); i++)
		if (hc_inline_one(&hc_inlines[i], sector))
			failed = -EINVAL;
	hc_offer = 0;
	return failed;
}

/* Every malformed field gets the answer the protocol document gives. */
static int malformed_fields(void)
{
	int i, ret, failed = 0;

	for (i = 0; i < ARRAY_SIZE(hc_fields); i++) {
		ret = hc_field_one(&hc_fields[i]);
		if (ret)
			failed = ret;
	}
	return failed;
}

struct hc_cm_case {
	const char *what;
	void (*mangle)(struct hw_req *r);
	u32 size;
	int want;
};

static void q_magic(struct hw_req *r)
{
	r->magic = cpu_to_le32(1);
}

static void q_version(struct hw_req *r)
{
	r->version = cpu_to_le16(2);
}

static void q_depth0(struct hw_req *r)
{
	r->queue_depth = 0;
}

static void q_depth(struct hw_req *r)
{
	r->queue_depth = cpu_to_le16(4096);
}

static void q_qid(struct hw_req *r)
{
	r->qid = cpu_to_le16(1);
}

static void q_name(struct hw_req *r)
{
	strscpy(r->name, "nosuch", 16);
}

static void q_badname(struct hw_req *r)
{
	memset(r->name, '/', 16);
}

static void q_flags(struct hw_req *r)
{
	r->flags = cpu_to_le32(0x100);
}

static const struct hc_cm_case hc_cms[] = {
	{ "magic", q_magic, 32, HW_INVAL },
	{ "version", q_version, 32, HW_VERSION },
	{ "depth0", q_depth0, 32, HW_INVAL },
	{ "depth", q_depth, 32, HW_INVAL },
	{ "qid", q_qid, 32, HW_INVAL },
	{ "export", q_name, 32, HW_NOEXPORT },
	{ "name", q_badname, 32, HW_INVAL },
	{ "flags", q_flags, 32, HW_INVAL },
	{ "short", NULL, 31, HW_INVAL },
};

/* Every malformed connect request is refused with its reason. */
static int malformed_connect(void)
{
	int i, ret, failed = 0;

	for (i = 0; i < ARRAY_SIZE(hc_cms); i++) {
		struct hc_conn *c = kzalloc(sizeof(*c), GFP_KERNEL);
		struct hw_req req;

		if (!c)
			return -ENOMEM;
		hc_req_init(&req, 16, h_export);
		if (hc_cms[i].mangle)
			hc_cms[i].mangle(&req);
		ret = hc_open(c, 4);
		if (!ret)
			ret = hc_connect_req(c, &req, hc_cms[i].size);
		hc_close(c);
		if (ret != hc_cms[i].want) {
			pr_info("    # connect %s: got %d, the protocol says %d\n",
				hc_cms[i].what, ret, hc_cms[i].want);
			failed = -EINVAL;
		}
	}
	return failed;
}

/*
 * Connections until refused: all are accepted up to the export's limit,
 * the rest refused with BUSY.  The script sets the limit and passes it.
 */
static int h_expect = -1;
module_param_named(expect_accept, h_expect, int, 0444);
MODULE_PARM_DESC(expect_accept, "conn_flood: connections the target should accept");

static int conn_flood(void)
{
	struct hc_conn **cs = kcalloc(64, sizeof(*cs), GFP_KERNEL);
	int i, st, accepted = 0, busy = 0, other = 0;

	if (!cs)
		return -ENOMEM;
	for (i = 0; i < 64; i++) {
		st = 0;
		cs[i] = hc_connect(HC_DEPTH, 4, &st);
		if (!IS_ERR_OR_NULL(cs[i]))
			accepted++;
		else if (st == HW_BUSY)
			busy++;
		else
			other++;
		if (IS_ERR(cs[i]))
			cs[i] = NULL;
	}
	for (i = 0; i < 64; i++)
		hc_close(cs[i]);
	kfree(cs);
	pr_info("    # %d accepted, %d refused busy, %d failed otherwise\n",
		accepted, busy, other);
	if (other || (h_expect >= 0 && accepted != h_expect))
		return -EINVAL;
	return 0;
}

/*
 * READs of the largest size with one receive posted and never reposted:
 * the target cannot answer, and must drop us rather than hold the memory.
 */
static int h_hold_ms = 20000;
module_param_named(hold_ms, h_hold_ms, int, 0444);
MODULE_PARM_DESC(hold_ms, "credit_hold: how long the target may take to drop us");

static int credit_hold(void)
{
	struct hc_conn *c = hc_connect(HC_DEPTH, 1, NULL);
	int i, ret = 0;

	if (IS_ERR(c))
		return PTR_ERR(c);
	for (i = 0; i < HC_BURST && !ret; i++) {
		hc_cmd_build(c, i, HW_READ, min(c->max_io, HC_BUF), 0);
		ret = hc_send(c, i, sizeof(struct hw_cmd));
	}
	if (!ret)
		ret = hc_wait_closed(c, h_hold_ms);
	hc_close(c);
	return ret;
}

/*
 * A burst of the largest READs, all answered, then the connection stays
 * open and idle until the module is unloaded: the script watches how much
 * memory the target keeps for it.
 */
static int idle_after_burst(void)
{
	struct hc_conn *c = hc_connect(HC_DEPTH, HC_SLOTS, NULL);
	int i, ret = 0;

	if (IS_ERR(c))
		return PTR_ERR(c);
	for (i = 0; i < HC_BURST && !ret; i++) {
		hc_cmd_build(c, i, HW_READ, min(c->max_io, HC_BUF), 0);
		ret = hc_send(c, i, sizeof(struct hw_cmd));
	}
	for (i = 0; i < HC_BURST && !ret; i++)
		ret = hc_wait_rsp(c, i);
	if (ret) {
		hc_close(c);
		return ret > 0 ? -EIO : ret;
	}
	hc_held = c;
	return 0;
}

/* Everything above that a well-behaved client must survive, in a loop. */
static int h_loops = 3;
module_param_named(loops, h_loops, int, 0444);
MODULE_PARM_DESC(loops, "hammer: rounds");

static int hammer(void)
{
	int i, ret = 0;

	for (i = 0; i < h_loops && !ret; i++) {
		ret = inflight_disconnect();
		if (!ret)
			ret = malformed_burst();
		if (!ret)
			ret = malformed_fields();
		if (!ret)
			ret = conn_flood();
	}
	return ret;
}

static const struct {
	const char *name;
	int (*run)(void);
} hc_cases[] = {
	{ "inflight_disconnect", inflight_disconnect },
	{ "malformed_burst", malformed_burst },
	{ "malformed_then_stream", malformed_then_stream },
	{ "malformed_fields", malformed_fields },
	{ "malformed_inline", malformed_inline },
	{ "malformed_connect", malformed_connect },
	{ "conn_flood", conn_flood },
	{ "credit_hold", credit_hold },
	{ "idle_after_burst", idle_after_burst },
	{ "hammer", hammer },
};

static int hc_setup(void)
{
	int ret;

	hc_info = h_getinfo(h_port, 0);
	if (!hc_info)
		return -ENODEV;
	hc_buf = kzalloc(HC_BUF, GFP_KERNEL);
	if (!hc_buf)
		return -ENOMEM;
	ret = kfi_fabric(&hc_info->fabric_attr, &hc_fabric, NULL);
	if (!ret)
		ret = kfi_domain(hc_fabric, hc_info, &hc_domain, NULL);
	return ret;
}

/**
 * h_client_teardown() - close what the last case left open
 */
void h_client_teardown(void)
{
	hc_close(hc_held);
	hc_held = NULL;
	if (hc_domain)
		kfi_close(&hc_domain->fid);
	if (hc_fabric)
		kfi_close(&hc_fabric->fid);
	kfi_freeinfo(hc_info);
	kfree(hc_buf);
	hc_domain = NULL;
	hc_fabric = NULL;
	hc_info = NULL;
	hc_buf = NULL;
}

/**
 * h_client_run() - run one case against the target at h_ipaddr:h_port
 * @name: the case
 *
 * Return: 0 if the target did what the protocol says, else an errno.
 */
int h_client_run(const char *name)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(hc_cases); i++)
		if (!strcmp(name, hc_cases[i].name))
			break;
	if (i == ARRAY_SIZE(hc_cases))
		return -EINVAL;
	ret = hc_setup();
	if (!ret)
		ret = hc_cases[i].run();
	if (ret || !hc_held)
		h_client_teardown();
	return ret;
}
