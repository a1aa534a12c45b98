// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile kfkv client: connects to a store the way any host on the
 * fabric could, and does what a broken or malicious one would.  Each case
 * checks the outcome kfkv-protocol.rst promises -- an answer with the
 * documented status, or the connection closed by the target -- and
 * nothing else; that the target survives, reaps the connections and
 * still serves a good client is checked by kfkv_hostile.sh.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include "kfkv_hostile.h"

#define HK_DEPTH	4		/* depth asked for by most cases */
#define HK_TX		64		/* send buffers of a connection */
#define HK_RX		64		/* receives, never reposted */
#define HK_BUF		SZ_256K		/* the region segments point into */
#define HK_WAIT_MS	20000
#define HK_DROP		(-ECONNRESET)	/* want: the target hangs up */
#define HK_MAX_SEGS	33		/* one more than a target may grant */

struct hk_tx {
	u8 buf[KW_MSG];
	struct kfi_context ctx;
};

struct hk_rx {
	u8 buf[KW_MSG];
	struct kfi_context ctx;
};

/* One connection to the store, and the answers it got. */
struct hk_conn {
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct kfid_ep *ep;
	struct kfid_mr *mr;
	u16 depth;
	u32 inline_max;
	u64 max_value;
	struct hk_tx *tx[HK_TX];
	struct hk_rx *rx[HK_RX];
	u32 nr_rx;
	spinlock_t lock;	/* the answer record below */
	u32 nr_rsp;
	u32 nr_bad;
	u32 tags[HK_RX];
	struct kw_rsp last;
	u32 last_len;
	u8 last_inl[KW_MSG];
	atomic_t nr_err;
	wait_queue_head_t wq;
};

/* A request to build; see hk_build(). */
struct hk_msg {
	u8 op;
	u16 flags;
	u32 tag;
	const char *key;	/* NULL: key_len bytes of 'k' */
	u16 key_len;
	u8 nr_segs;		/* value_len split over the region */
	u32 inline_len;		/* bytes of 'v', or of @inl */
	const u8 *inl;
	u64 value_len;
	u64 offset;
	u64 expect;
};

static struct kfi_info *hk_info;
static struct kfid_fabric *hk_fabric;
static struct kfid_domain *hk_domain;
static u8 *hk_buf;

static void hk_record(struct hk_conn *c, const struct hk_rx *rx, u32 len)
{
	struct kw_rsp r;
	unsigned long flags;

	memcpy(&r, rx->buf, sizeof(r));
	spin_lock_irqsave(&c->lock, flags);
	if (len < sizeof(r) || le32_to_cpu(r.magic) != KW_MAGIC_RSP ||
	    r.version != KW_VERSION ||
	    le32_to_cpu(r.inline_len) != len - sizeof(r))
		c->nr_bad++;
	if (c->nr_rsp < HK_RX)
		c->tags[c->nr_rsp] = le32_to_cpu(r.tag);
	c->last = r;
	c->last_len = min_t(u32, len, KW_MSG);
	if (len > sizeof(r))
		memcpy(c->last_inl, rx->buf + sizeof(r),
		       min_t(u32, len, KW_MSG) - sizeof(r));
	c->nr_rsp++;
	spin_unlock_irqrestore(&c->lock, flags);
}

static void hk_cq_handler(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			  void *arg)
{
	struct hk_conn *c = arg;

	if (e->err) {
		atomic_inc(&c->nr_err);
	} else if (e->flags & KFI_RECV) {
		hk_record(c, container_of(e->op_context, struct hk_rx, ctx),
			  e->len);
	}
	wake_up(&c->wq);
}

static void hk_close(struct hk_conn *c)
{
	int i;

	if (IS_ERR_OR_NULL(c))
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
	for (i = 0; i < HK_TX; i++)
		kfree(c->tx[i]);
	for (i = 0; i < HK_RX; i++)
		kfree(c->rx[i]);
	kfree(c);
}

static int hk_bufs(struct hk_conn *c)
{
	int i;

	for (i = 0; i < HK_TX; i++) {
		c->tx[i] = kzalloc(sizeof(*c->tx[i]), GFP_KERNEL);
		if (!c->tx[i])
			return -ENOMEM;
	}
	for (i = 0; i < c->nr_rx; i++) {
		c->rx[i] = kzalloc(sizeof(*c->rx[i]), GFP_KERNEL);
		if (!c->rx[i])
			return -ENOMEM;
	}
	return 0;
}

/* Endpoint, queues and @nr_rx receives; @ep_flags: kfi_ep_attr.flags. */
static int hk_open(struct hk_conn *c, u32 nr_rx, u32 ep_flags)
{
	struct kfi_cq_attr ca = { .size = 2 * (HK_TX + HK_RX), .comp_vector = -1,
				  .poll_ctx = KFI_POLL_SOFTIRQ,
				  .handler = hk_cq_handler, .handler_arg = c };
	struct kfi_eq_attr ea = { .size = 8 };
	u32 saved = hk_info->ep_attr.flags;
	int ret, i;

	c->nr_rx = min_t(u32, nr_rx, HK_RX);
	spin_lock_init(&c->lock);
	init_waitqueue_head(&c->wq);
	ret = hk_bufs(c);
	if (ret)
		return ret;
	hk_info->tx_attr.size = HK_TX + 8;
	hk_info->rx_attr.size = c->nr_rx;
	hk_info->ep_attr.flags = ep_flags;
	ret = kfi_cq_open(hk_domain, &ca, &c->cq, c) ?:
	      kfi_eq_open(hk_fabric, &ea, &c->eq, c) ?:
	      kfi_endpoint(hk_domain, hk_info, &c->ep, c);
	hk_info->ep_attr.flags = saved;
	if (!ret)
		ret = kfi_ep_bind(c->ep, &c->cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
		      kfi_ep_bind(c->ep, &c->eq->fid, 0) ?: kfi_enable(c->ep);
	for (i = 0; !ret && i < c->nr_rx; i++)
		ret = kfi_recv(c->ep, c->rx[i]->buf, KW_MSG, NULL,
			       &c->rx[i]->ctx);
	return ret;
}

/* The region every segment of the connection points into. */
static int hk_map(struct hk_conn *c)
{
	struct kvec kv = { .iov_base = hk_buf, .iov_len = HK_BUF };
	struct kfi_iov iov = { .type = KFI_IOV_KVEC, .kvec = &kv, .count = 1 };
	int ret;

	ret = kfi_mr_alloc(hk_domain, (HK_BUF >> PAGE_SHIFT) + 1,
			   KFI_REMOTE_READ | KFI_REMOTE_WRITE, &c->mr, c);
	return ret ?: kfi_mr_map(c->ep, c->mr, &iov);
}

static void hk_cm_init(struct kw_cm_req *r, u16 depth)
{
	memset(r, 0, sizeof(*r));
	r->magic = cpu_to_le32(KW_MAGIC_CM_REQ);
	r->version = cpu_to_le16(KW_VERSION);
	r->depth = cpu_to_le16(depth);
	strscpy(r->store, h_store, sizeof(r->store));
}

/*
 * Connect with @req as private data.  Return 0 when accepted (the grant
 * in @c), the positive status of a reject, or a negative errno.
 */
static int hk_connect_req(struct hk_conn *c, const void *req, u32 len)
{
	struct kfi_eq_cm_entry *e = kzalloc(sizeof(*e), GFP_KERNEL);
	struct kw_cm_rep rep = {};
	int ret;

	if (!e)
		return -ENOMEM;
	ret = kfi_connect(c->ep, req, len);
	if (!ret)
		ret = kfi_eq_sread(c->eq, e, HK_WAIT_MS);
	if (ret < 0)
		goto out;
	ret = 0;
	if (e->datalen >= sizeof(rep))
		memcpy(&rep, e->data, sizeof(rep));
	if (le32_to_cpu(rep.magic) != KW_MAGIC_CM_REP)
		ret = e->event == KFI_REJECTED ? -ECONNREFUSED : -EPROTO;
	else if (e->event == KFI_REJECTED)
		ret = le16_to_cpu(rep.status);
	else if (e->event != KFI_CONNECTED || rep.status)
		ret = -EPROTO;
	c->depth = le16_to_cpu(rep.depth);
	c->inline_max = le32_to_cpu(rep.inline_max);
	c->max_value = le64_to_cpu(rep.max_value);
out:
	kfree(e);
	return ret;
}

static struct hk_conn *hk_connect_once(u16 depth, u32 nr_rx, u32 ep_flags,
				       int *busy)
{
	struct hk_conn *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct kw_cm_req req;
	int ret;

	*busy = 0;
	if (!c)
		return ERR_PTR(-ENOMEM);
	hk_cm_init(&req, depth);
	ret = hk_open(c, nr_rx, ep_flags) ?:
	      hk_connect_req(c, &req, sizeof(req));
	if (!ret && (!c->depth || c->depth > depth))
		ret = -EPROTO;
	if (!ret)
		ret = hk_map(c);
	if (ret) {
		hk_close(c);
		*busy = ret == KW_BUSY;
		return ERR_PTR(ret > 0 ? -ECONNREFUSED : ret);
	}
	return c;
}

/*
 * A connection asking for @depth.  BUSY is retried for a while: the
 * connections of the round before may still be closing.
 */
static struct hk_conn *hk_connect(u16 depth, u32 nr_rx, u32 ep_flags)
{
	struct hk_conn *c = ERR_PTR(-ECONNREFUSED);
	int tries, busy = 1;

	for (tries = 0; tries < 100 && busy; tries++) {
		if (tries)
			msleep(200);
		c = hk_connect_once(depth, nr_rx, ep_flags, &busy);
	}
	if (IS_ERR(c))
		pr_info("    # connect: %ld\n", PTR_ERR(c));
	return c;
}

/* Fill @buf with the request @m; return its length. */
static u32 hk_build(struct hk_conn *c, u8 *buf, const struct hk_msg *m)
{
	struct kw_req *r = (struct kw_req *)buf;
	u8 *p = buf + sizeof(*r);
	u64 left = m->value_len, each;
	int i;

	memset(buf, 0, KW_MSG);
	r->magic = cpu_to_le32(KW_MAGIC_REQ);
	r->version = KW_VERSION;
	r->opcode = m->op;
	r->flags = cpu_to_le16(m->flags);
	r->tag = cpu_to_le32(m->tag);
	r->key_len = cpu_to_le16(m->key ? strlen(m->key) : m->key_len);
	r->nr_segs = m->nr_segs;
	r->inline_len = cpu_to_le32(m->inline_len);
	r->value_len = cpu_to_le64(m->value_len);
	r->offset = cpu_to_le64(m->offset);
	r->expect = cpu_to_le64(m->expect);
	for (i = 0; i < m->nr_segs; i++, p += sizeof(struct kw_seg)) {
		struct kw_seg s;

		each = i == m->nr_segs - 1 ? left :
		       min_t(u64, left, m->value_len / m->nr_segs);
		s.addr = cpu_to_le64(c->mr->iova + m->value_len - left);
		s.key = cpu_to_le64(c->mr->key);
		s.len = cpu_to_le64(each);
		memcpy(p, &s, sizeof(s));
		left -= each;
	}
	if (m->key)
		memcpy(p, m->key, strlen(m->key));
	else
		memset(p, 'k', m->key_len);
	p += le16_to_cpu(r->key_len);
	if (m->inl)
		memcpy(p, m->inl, m->inline_len);
	else
		memset(p, 'v', m->inline_len);
	return p + m->inline_len - buf;
}

/* Send buffer @i (@len bytes of it); wait out a lack of credit. */
static int hk_send(struct hk_conn *c, u32 i, u32 len)
{
	unsigned long end = jiffies + msecs_to_jiffies(HK_WAIT_MS);
	int ret;

	do {
		ret = kfi_send(c->ep, c->tx[i]->buf, len, NULL, &c->tx[i]->ctx);
		if (ret != -EAGAIN)
			return ret;
		usleep_range(1000, 2000);
	} while (time_before(jiffies, end));
	return ret;
}

static u32 hk_nr_rsp(struct hk_conn *c)
{
	unsigned long flags;
	u32 n;

	spin_lock_irqsave(&c->lock, flags);
	n = c->nr_rsp;
	spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

/* Wait for @n answers in all: 0, HK_DROP, or -ETIMEDOUT. */
static int hk_wait_rsp(struct hk_conn *c, u32 n)
{
	wait_event_timeout(c->wq, hk_nr_rsp(c) >= n || atomic_read(&c->nr_err),
			   msecs_to_jiffies(HK_WAIT_MS));
	if (hk_nr_rsp(c) >= n)
		return 0;
	return atomic_read(&c->nr_err) ? HK_DROP : -ETIMEDOUT;
}

/* Wait for the target to close the connection; 0 if it did. */
static int hk_wait_closed(struct hk_conn *c)
{
	struct kfi_eq_cm_entry *e = kzalloc(sizeof(*e), GFP_KERNEL);
	unsigned long end = jiffies + msecs_to_jiffies(HK_WAIT_MS);
	int ret = -ETIMEDOUT;

	if (!e)
		return -ENOMEM;
	while (ret && time_before(jiffies, end)) {
		if (kfi_eq_sread(c->eq, e, 200) >= 0 &&
		    e->event == KFI_SHUTDOWN)
			ret = 0;
	}
	kfree(e);
	return ret;
}

/*
 * Send one request, built from @m and changed by @mangle, and return
 * what came of it: the answer's status, HK_DROP if the target hung up
 * without answering, -EPROTO for an answer that is not one to it.
 * @want tells how to wait: for the hangup or for the answer.
 */
static int hk_one(struct hk_conn *c, const struct hk_msg *m,
		  void (*mangle)(u8 *buf, u32 *len, struct hk_conn *c),
		  int want)
{
	u32 n = hk_nr_rsp(c), len, slot = n % HK_TX;
	int ret;

	len = hk_build(c, c->tx[slot]->buf, m);
	if (mangle)
		mangle(c->tx[slot]->buf, &len, c);
	ret = hk_send(c, slot, len);
	if (ret)
		return ret;
	if (want == HK_DROP) {
		ret = hk_wait_closed(c);
		if (hk_nr_rsp(c) == n)
			return ret ?: HK_DROP;
	} else {
		ret = hk_wait_rsp(c, n + 1);
		if (ret)
			return ret;
	}
	if (c->nr_bad || le32_to_cpu(c->last.tag) != m->tag)
		return -EPROTO;
	return le16_to_cpu(c->last.status);
}

/* ---- malformed requests ------------------------------------------------ */

struct hk_case {
	const char *what;
	struct hk_msg m;
	void (*mangle)(u8 *buf, u32 *len, struct hk_conn *c);
	int want;
};

static void m_magic(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->magic = cpu_to_le32(0xdeadbeef);
}

static void m_version1(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->version = 1;
}

static void m_version3(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->version = 3;
}

/* The header claims a longer key than the message carries. */
static void m_key_past(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->key_len = cpu_to_le16(200);
}

static void m_short(u8 *buf, u32 *len, struct hk_conn *c)
{
	*len = sizeof(struct kw_req) - 1;
}

static void m_cut(u8 *buf, u32 *len, struct hk_conn *c)
{
	*len -= 50;
}

static void m_trail(u8 *buf, u32 *len, struct hk_conn *c)
{
	*len += 10;
}

static void m_tag(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->tag = cpu_to_le32(c->depth);
}

static void m_seg_wrap(u8 *buf, u32 *len, struct hk_conn *c)
{
	struct kw_seg *s = (struct kw_seg *)(buf + sizeof(struct kw_req));

	s->addr = cpu_to_le64(~0ULL - 100);
}

static void m_reserved(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->reserved2 = cpu_to_le32(1);
}

/* Segments that add up to one byte less than value_len. */
static void m_seg_sum(u8 *buf, u32 *len, struct hk_conn *c)
{
	struct kw_req *r = (struct kw_req *)buf;

	r->value_len = cpu_to_le64(le64_to_cpu(r->value_len) + 1);
}

static void m_inline_max(u8 *buf, u32 *len, struct hk_conn *c)
{
	struct kw_req *r = (struct kw_req *)buf;
	u32 n = c->inline_max + 1;

	r->inline_len = cpu_to_le32(n);
	r->value_len = cpu_to_le64(n);
	*len = sizeof(*r) + le16_to_cpu(r->key_len) + n;
}

static void m_toobig(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->value_len = cpu_to_le64(c->max_value + 1);
}

static void m_get_inline_max(u8 *buf, u32 *len, struct hk_conn *c)
{
	((struct kw_req *)buf)->value_len = cpu_to_le64(c->inline_max + 1);
}

#define K(k)	.key = (k)

/* Messages that cannot be answered: the target must hang up. */
static const struct hk_case hk_frames[] = {
	{ "bad_magic", { KW_STAT, 0, 0, K("x") }, m_magic, HK_DROP },
	{ "version1", { KW_STAT, 0, 0, K("x") }, m_version1, HK_DROP },
	{ "version3", { KW_STAT, 0, 0, K("x") }, m_version3, HK_DROP },
	{ "key_251", { KW_STAT, 0, 0, NULL, 251 }, NULL, HK_DROP },
	{ "key_past_message", { KW_GET, 0, 0, K("x"), .value_len = 16 },
	  m_key_past, HK_DROP },
	{ "short_header", { KW_STAT, 0, 0, K("x") }, m_short, HK_DROP },
	{ "inline_cut", { KW_PUT, 0, 0, K("hk/cut"), .inline_len = 100,
	  .value_len = 100 }, m_cut, HK_DROP },
	{ "trailing_bytes", { KW_PUT, 0, 0, K("hk/trail"), .inline_len = 10,
	  .value_len = 10 }, m_trail, HK_DROP },
	{ "tag_index", { KW_STAT, 0, 0, K("x") }, m_tag, HK_DROP },
	{ "seg_empty", { KW_PUT, 0, 0, K("hk/seg"), .nr_segs = 2,
	  .value_len = 1 }, NULL, HK_DROP },
	{ "seg_wrap", { KW_PUT, 0, 0, K("hk/seg"), .nr_segs = 1,
	  .value_len = 4096 }, m_seg_wrap, HK_DROP },
	{ "segs_33", { KW_PUT, 0, 0, K("hk/seg"), .nr_segs = HK_MAX_SEGS,
	  .value_len = 33 * 64 }, NULL, HK_DROP },
};

/* Well-framed requests with a wrong field: answered, connection kept. */
static const struct hk_case hk_fields[] = {
	{ "good_put", { KW_PUT, 0, 0, K("hk/obj"), .inline_len = 100,
	  .value_len = 100 }, NULL, KW_OK },
	{ "opcode_42", { 42, 0, 0, K("hk/obj") }, NULL, KW_INVAL },
	{ "opcode_0", { 0, 0, 0, K("hk/obj") }, NULL, KW_INVAL },
	{ "reserved", { KW_STAT, 0, 0, K("hk/obj") }, m_reserved, KW_INVAL },
	{ "put_key_0", { KW_PUT, 0, 0, NULL, 0, .inline_len = 1,
	  .value_len = 1 }, NULL, KW_INVAL },
	{ "get_key_0", { KW_GET, 0, 0, NULL, 0, .value_len = 16 }, NULL,
	  KW_INVAL },
	{ "stat_key_0", { KW_STAT, 0, 0, NULL, 0 }, NULL, KW_INVAL },
	{ "put_key_250", { KW_PUT, 0, 0, NULL, 250, .inline_len = 1,
	  .value_len = 1 }, NULL, KW_OK },
	{ "toobig_inline", { KW_PUT, 0, 0, K("hk/big") }, m_toobig,
	  KW_TOOBIG },
	{ "toobig_u64", { KW_PUT, 0, 0, K("hk/big"), .value_len = U64_MAX },
	  NULL, KW_TOOBIG },
	{ "inline_ne_value", { KW_PUT, 0, 0, K("hk/x"), .inline_len = 5,
	  .value_len = 10 }, NULL, KW_INVAL },
	{ "inline_over_max", { KW_PUT, 0, 0, K("hk/x") }, m_inline_max,
	  KW_INVAL },
	{ "segs_ne_value", { KW_PUT, 0, 0, K("hk/x"), .nr_segs = 2,
	  .value_len = 8192 }, m_seg_sum, KW_INVAL },
	{ "segs_and_inline", { KW_PUT, 0, 0, K("hk/x"), .nr_segs = 1,
	  .inline_len = 4, .value_len = 4096 }, NULL, KW_INVAL },
	{ "get_inline_over_max", { KW_GET, 0, 0, K("hk/obj") },
	  m_get_inline_max, KW_INVAL },
	{ "put_flags", { KW_PUT, 0x80, 0, K("hk/x"), .inline_len = 1,
	  .value_len = 1 }, NULL, KW_INVAL },
	{ "absent_and_version", { KW_PUT, KW_IF_ABSENT | KW_IF_VERSION, 0,
	  K("hk/x"), .inline_len = 1, .value_len = 1, .expect = 1 }, NULL,
	  KW_INVAL },
	{ "expect_no_flag", { KW_PUT, 0, 0, K("hk/x"), .inline_len = 1,
	  .value_len = 1, .expect = 5 }, NULL, KW_INVAL },
	{ "stat_value_len", { KW_STAT, 0, 0, K("hk/obj"), .value_len = 1 },
	  NULL, KW_INVAL },
	{ "auth_no_secret", { KW_AUTH, 0, 0, NULL, 0, .inline_len = 48 },
	  NULL, KW_INVAL },
	{ "good_stat", { KW_STAT, 0, 0, K("hk/obj") }, NULL, KW_OK },
};

/* GETs of hk/obj (100 bytes, put by the first case) out of range. */
static const struct hk_case hk_ranges[] = {
	{ "put_obj", { KW_PUT, 0, 0, K("hk/obj"), .inline_len = 100,
	  .value_len = 100 }, NULL, KW_OK },
	{ "range_past_end", { KW_GET, KW_RANGE, 0, K("hk/obj"),
	  .value_len = 16, .offset = 101 }, NULL, KW_RANGE_ST },
	{ "range_far_past_end", { KW_GET, KW_RANGE, 0, K("hk/obj"),
	  .value_len = 16, .offset = 1ULL << 40 }, NULL, KW_RANGE_ST },
	{ "range_rma_past_end", { KW_GET, KW_RANGE, 0, K("hk/obj"),
	  .nr_segs = 1, .value_len = 4096, .offset = 4096 }, NULL,
	  KW_RANGE_ST },
	{ "range_at_end", { KW_GET, KW_RANGE, 0, K("hk/obj"),
	  .value_len = 16, .offset = 100 }, NULL, KW_OK },
	{ "range_wraps", { KW_GET, KW_RANGE, 0, K("hk/obj"),
	  .value_len = 16, .offset = U64_MAX - 8 }, NULL, KW_INVAL },
	{ "range_rma_wraps", { KW_GET, KW_RANGE, 0, K("hk/obj"),
	  .nr_segs = 1, .value_len = 4096, .offset = U64_MAX - 4000 }, NULL,
	  KW_INVAL },
	{ "offset_no_range", { KW_GET, 0, 0, K("hk/obj"), .value_len = 200,
	  .offset = 5 }, NULL, KW_INVAL },
	{ "get_overflow", { KW_GET, 0, 0, K("hk/obj"), .value_len = 50 },
	  NULL, KW_OVERFLOW },
	{ "range_tail", { KW_GET, KW_RANGE, 0, K("hk/obj"),
	  .value_len = 100, .offset = 90 }, NULL, KW_OK },
};

/*
 * Run @n cases, each tagged by its index, on one connection (a new one
 * after each hangup, wanted or not); log every wrong outcome.
 */
static int hk_table(const struct hk_case *t, int n)
{
	struct hk_conn *c = NULL;
	int i, ret, failed = 0;

	for (i = 0; i < n; i++) {
		struct hk_msg m = t[i].m;

		if (!c) {
			c = hk_connect(HK_DEPTH, HK_RX, 0);
			if (IS_ERR(c))
				return PTR_ERR(c);
		}
		m.tag = (i << 16) | (i % c->depth);
		ret = hk_one(c, &m, t[i].mangle, t[i].want);
		if (ret != t[i].want) {
			pr_info("    # %s: got %d, the protocol says %d\n",
				t[i].what, ret, t[i].want);
			failed = -EINVAL;
		}
		if (ret < 0) {
			hk_close(c);
			c = NULL;
		}
	}
	hk_close(c);
	return failed;
}

static int frame(void)
{
	return hk_table(hk_frames, ARRAY_SIZE(hk_frames));
}

static int fields(void)
{
	return hk_table(hk_fields, ARRAY_SIZE(hk_fields));
}

static int range(void)
{
	return hk_table(hk_ranges, ARRAY_SIZE(hk_ranges));
}

/* ---- remote keys --------------------------------------------------------- */

/*
 * A request whose segment names the region with @key instead of its own:
 * the answer must not be OK (XFER, or the target hangs up when the fabric
 * fails the connection over the access), and the region must be as it
 * was.  @exact: the key is wider than the fabric's keys, so the target
 * must refuse it itself, XFER without any RMA, keeping the connection.
 */
static int hk_bad_key(u8 op, const char *key, u64 rkey_xor, bool exact)
{
	struct hk_conn *c = hk_connect(HK_DEPTH, HK_RX, 0);
	struct hk_msg m = { .op = op, .key = key, .nr_segs = 1,
			    .value_len = 8192 };
	u32 len;
	int ret, i;

	if (IS_ERR(c))
		return PTR_ERR(c);
	memset(hk_buf, 0x5a, 8192);
	len = hk_build(c, c->tx[0]->buf, &m);
	((struct kw_seg *)(c->tx[0]->buf + sizeof(struct kw_req)))->key ^=
		cpu_to_le64(rkey_xor);
	ret = hk_send(c, 0, len) ?: hk_wait_rsp(c, 1);
	if (!ret)
		ret = c->nr_bad ? -EPROTO : le16_to_cpu(c->last.status);
	hk_close(c);
	for (i = 0; i < 8192; i++)
		if (hk_buf[i] != 0x5a) {
			pr_info("    # key ^ %llx: the target wrote our memory\n",
				rkey_xor);
			return -EIO;
		}
	if (ret == KW_XFER || (!exact && ret == HK_DROP))
		return 0;
	pr_info("    # %s with key ^ %llx: got %d, want XFER%s\n",
		op == KW_PUT ? "PUT" : "GET", rkey_xor, ret,
		exact ? "" : " or a hangup");
	return -EINVAL;
}

/* A value moved with the real key, read back: the RMA path works. */
static int hk_rma_good(void)
{
	struct hk_conn *c = hk_connect(HK_DEPTH, HK_RX, 0);
	struct hk_msg put = { .op = KW_PUT, .key = "hk/rma", .nr_segs = 2,
			      .value_len = 8192 };
	struct hk_msg get = put;
	int ret, i;

	if (IS_ERR(c))
		return PTR_ERR(c);
	for (i = 0; i < 8192; i++)
		hk_buf[i] = i * 7;
	get.op = KW_GET;
	get.tag = 1;
	ret = hk_one(c, &put, NULL, KW_OK);
	if (!ret) {
		memset(hk_buf, 0, 8192);
		ret = hk_one(c, &get, NULL, KW_OK);
	}
	for (i = 0; !ret && i < 8192; i++)
		if (hk_buf[i] != (u8)(i * 7))
			ret = -EIO;
	hk_close(c);
	if (ret)
		pr_info("    # a good RMA PUT and GET: %d\n", ret);
	return ret;
}

/* Nothing must have been stored by a PUT whose value could not be read. */
static int hk_absent(const char *key)
{
	struct hk_conn *c = hk_connect(HK_DEPTH, HK_RX, 0);
	struct hk_msg m = { .op = KW_STAT, .key = key };
	int ret;

	if (IS_ERR(c))
		return PTR_ERR(c);
	ret = hk_one(c, &m, NULL, KW_NOENT);
	hk_close(c);
	if (ret == KW_NOENT)
		return 0;
	pr_info("    # STAT %s after a refused PUT: %d\n", key, ret);
	return -EINVAL;
}

static int rma_key(void)
{
	u32 key_bytes = hk_info->domain_attr.mr_key_size;
	int ret, failed = 0;

	ret = hk_rma_good();
	if (ret)
		return ret;
	/* Guessed keys: one bit of the key's low byte, and its upper half. */
	failed |= hk_bad_key(KW_GET, "hk/rma", 0x80, false);
	failed |= hk_bad_key(KW_GET, "hk/rma", 0x10000, false);
	failed |= hk_bad_key(KW_PUT, "hk/rma_guess", 0x80, false) ?:
		  hk_absent("hk/rma_guess");
	if (key_bytes && key_bytes < 8) {
		u64 wide = 1ULL << (key_bytes * 8);

		failed |= hk_bad_key(KW_GET, "hk/rma", wide, true);
		failed |= hk_bad_key(KW_PUT, "hk/rma_wide", wide, true) ?:
			  hk_absent("hk/rma_wide");
	}
	return failed ? -EINVAL : 0;
}

/* ---- tags and credits ---------------------------------------------------- */

/*
 * Two STATs with the same tag back to back.  The protocol gives every
 * request one answer and the target no duty to track tags (the client
 * keeps them apart): both are answered, with that tag.
 */
static int tag_reuse(void)
{
	struct hk_conn *c = hk_connect(HK_DEPTH, HK_RX, 0);
	struct hk_msg m = { .op = KW_STAT, .key = "hk/none", .tag = 0x70001 };
	int ret, i;

	if (IS_ERR(c))
		return PTR_ERR(c);
	for (i = 0, ret = 0; i < 2 && !ret; i++)
		ret = hk_send(c, i, hk_build(c, c->tx[i]->buf, &m));
	ret = ret ?: hk_wait_rsp(c, 2);
	if (!ret && (c->nr_bad || c->tags[0] != m.tag || c->tags[1] != m.tag ||
		     le16_to_cpu(c->last.status) != KW_NOENT))
		ret = -EPROTO;
	hk_close(c);
	if (ret)
		pr_info("    # the same tag twice: %d\n", ret);
	return ret;
}

/*
 * STATs sent as fast as the fabric takes them, with kfabric's credits
 * off on our side: far more than the depth granted and the receives the
 * target posted.  Every answer that comes must be one to a request sent,
 * and then either all are answered or the target hangs up.
 */
static int over_credits(void)
{
	struct hk_conn *c = hk_connect(HK_DEPTH, HK_RX, KFI_EP_NO_CREDITS);
	const u32 n = 48;
	u32 i, got;
	int ret = 0;

	if (IS_ERR(c))
		return PTR_ERR(c);
	for (i = 0; i < n && !ret; i++) {
		struct hk_msg m = { .op = KW_STAT, .key = "hk/none",
				    .tag = (i << 16) | (i % c->depth) };

		ret = hk_send(c, i, hk_build(c, c->tx[i]->buf, &m));
	}
	if (ret == -ENOTCONN)
		ret = hk_wait_closed(c) ? -ETIMEDOUT : 0;
	else if (!ret)
		ret = hk_wait_rsp(c, n);
	if (ret == HK_DROP)
		ret = hk_wait_closed(c) ? -ETIMEDOUT : 0;
	got = hk_nr_rsp(c);
	for (i = 0; !ret && i < min(got, n); i++)
		if ((c->tags[i] >> 16) >= n ||
		    (c->tags[i] & 0xffff) != (c->tags[i] >> 16) % c->depth)
			ret = -EPROTO;
	if (c->nr_bad)
		ret = -EPROTO;
	pr_info("    # %u requests for depth %u: %u answered: %d\n", n,
		c->depth, got, ret);
	hk_close(c);
	return ret;
}

/* ---- LIST cookies -------------------------------------------------------- */

/* The keys of the last answer: well formed, in order, after @cookie. */
static int hk_list_check(struct hk_conn *c, const char *prefix,
			 const u8 *cookie, u32 clen, u32 want)
{
	u32 pos = 0, n = 0, plen = strlen(prefix), inl = c->last_len - 40;
	const u8 *prev = cookie;
	u32 prev_len = clen;

	while (pos < inl) {
		u32 kl = c->last_inl[pos];
		const u8 *k = c->last_inl + pos + 1;
		int cmp;

		if (!kl || kl > KW_KEY_MAX || pos + 1 + kl > inl ||
		    kl < plen || memcmp(k, prefix, plen))
			return -EPROTO;
		cmp = memcmp(prev, k, min(prev_len, kl));
		if (prev_len && (cmp > 0 || (!cmp && prev_len >= kl)))
			return -EPROTO;
		prev = k;
		prev_len = kl;
		pos += 1 + kl;
		n++;
	}
	if (n != le64_to_cpu(c->last.size) || n != want)
		return -EPROTO;
	return 0;
}

struct hk_list_case {
	const char *what;
	const u8 *cookie;
	u32 clen;
	u64 max;
	int want;		/* status */
	u32 keys;		/* with OK: keys in the answer */
};

static u8 hk_cookie_rand[KW_KEY_MAX + 1];

static const struct hk_list_case hk_lists[] = {
	{ "no_cookie", NULL, 0, 10, KW_OK, 3 },
	{ "cookie_low", "\x00\xff\x13\x80", 4, 10, KW_OK, 3 },
	{ "cookie_high", "\xff\xff\xff\xff\xff", 5, 10, KW_OK, 0 },
	{ "cookie_b", "lc/b", 4, 10, KW_OK, 1 },
	{ "cookie_a_tail", "lc/a\xff\x00zz", 8, 10, KW_OK, 2 },
	{ "cookie_random_250", hk_cookie_rand, 250, 10, KW_OK, 0 },
	{ "cookie_251", hk_cookie_rand, 251, 10, KW_INVAL },
	{ "max_0", NULL, 0, 0, KW_INVAL },
	{ "max_1025", NULL, 0, KW_LIST_MAX + 1, KW_INVAL },
	{ "max_1", NULL, 0, 1, KW_OK, 1 },
};

static int hk_list_one(struct hk_conn *c, const struct hk_list_case *l,
		       u32 tag)
{
	struct hk_msg m = { .op = KW_LIST, .key = "lc/", .tag = tag,
			    .inl = l->cookie, .inline_len = l->clen,
			    .value_len = l->max };
	int ret = hk_one(c, &m, NULL, l->want);

	if (ret == KW_OK && l->want == KW_OK)
		ret = hk_list_check(c, "lc/", l->cookie, l->clen, l->keys);
	if (ret != l->want)
		pr_info("    # list %s: got %d, want %d\n", l->what, ret,
			l->want);
	return ret == l->want ? 0 : -EINVAL;
}

/*
 * LISTs of three keys under "lc/", resumed after cookies no client would
 * send: only keys after the cookie, well formed; a cookie longer than a
 * key is INVAL.
 */
static int list_cookie(void)
{
	struct hk_conn *c = hk_connect(HK_DEPTH, HK_RX, 0);
	static const char * const keys[] = { "lc/a", "lc/b", "lc/c" };
	int i, ret = 0, failed = 0;

	if (IS_ERR(c))
		return PTR_ERR(c);
	/* Random, but above "lc/": 0xf0 and up first. */
	get_random_bytes(hk_cookie_rand, sizeof(hk_cookie_rand));
	hk_cookie_rand[0] |= 0xf0;
	for (i = 0; i < ARRAY_SIZE(keys) && !ret; i++) {
		struct hk_msg m = { .op = KW_PUT, .key = keys[i], .tag = i,
				    .inline_len = 1, .value_len = 1 };

		ret = hk_one(c, &m, NULL, KW_OK);
	}
	for (i = 0; i < ARRAY_SIZE(hk_lists) && !ret; i++)
		failed |= hk_list_one(c, &hk_lists[i], i % c->depth);
	hk_close(c);
	return ret ? -EIO : failed;
}

/* ---- teardown under load ----------------------------------------------- */

/* Fill @c's queue but one with 64 KiB PUTs and GETs moved by RMA. */
static int hk_fill(struct hk_conn *c)
{
	int i, ret = 0;

	for (i = 0; i < c->depth - 1 && !ret; i++) {
		struct hk_msg m = { .op = i & 1 ? KW_GET : KW_PUT,
				    .key = "hk/load", .nr_segs = 1,
				    .value_len = SZ_64K, .tag = i };

		ret = hk_send(c, i, hk_build(c, c->tx[i]->buf, &m));
	}
	return ret;
}

/*
 * Four connections with a queue full of RMA requests each (answers they
 * mostly cannot take: 8 receives), then all of them drop; 30 times.
 */
static int inflight_disconnect(void)
{
	struct hk_conn *c[4];
	int round, i, ret = 0;

	for (round = 0; round < 30 && !ret; round++) {
		for (i = 0; i < ARRAY_SIZE(c); i++) {
			c[i] = hk_connect(32, 8, 0);
			if (IS_ERR(c[i]))
				ret = PTR_ERR(c[i]);
		}
		for (i = 0; i < ARRAY_SIZE(c) && !ret; i++)
			ret = hk_fill(c[i]);
		for (i = 0; i < ARRAY_SIZE(c); i++)
			hk_close(c[i]);
	}
	return ret;
}

/* ---- connect requests ---------------------------------------------------- */

struct hk_cm_case {
	const char *what;
	u16 version;
	u16 depth;
	u32 flags;
	const char *store;	/* NULL: h_store */
	u32 size;
	int want;
};

static const struct hk_cm_case hk_cms[] = {
	{ "version1", 1, 4, 0, NULL, 48, KW_VERSION_ST },
	{ "version3", 3, 4, 0, NULL, 48, KW_VERSION_ST },
	{ "depth0", 2, 0, 0, NULL, 48, KW_INVAL },
	{ "depth257", 2, 257, 0, NULL, 48, KW_INVAL },
	{ "flags", 2, 4, 1, NULL, 48, KW_INVAL },
	{ "nostore", 2, 4, 0, "nosuch", 48, KW_NOSTORE },
	{ "dotname", 2, 4, 0, ".hidden", 48, KW_INVAL },
	{ "slash", 2, 4, 0, "a/b", 48, KW_INVAL },
	{ "unterminated", 2, 4, 0, "", 48, KW_INVAL },
	{ "short", 2, 4, 0, NULL, 47, KW_INVAL },
	{ "magic", 0, 4, 0, NULL, 48, KW_INVAL },
};

static int hk_cm_one(const struct hk_cm_case *t)
{
	struct hk_conn *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct kw_cm_req req;
	int ret;

	if (!c)
		return -ENOMEM;
	hk_cm_init(&req, t->depth);
	req.version = cpu_to_le16(t->version);
	req.flags = cpu_to_le32(t->flags);
	if (!t->version) {
		req.version = cpu_to_le16(KW_VERSION);
		req.magic = cpu_to_le32(KW_MAGIC_CM_REP);
	}
	if (t->store && !t->store[0])
		memset(req.store, 'a', sizeof(req.store));
	else if (t->store)
		strscpy(req.store, t->store, sizeof(req.store));
	ret = hk_open(c, 4, 0) ?: hk_connect_req(c, &req, t->size);
	hk_close(c);
	if (ret == t->want)
		return 0;
	pr_info("    # connect %s: got %d, the protocol says %d\n", t->what,
		ret, t->want);
	return -EINVAL;
}

/* Every malformed connect request is refused with its reason. */
static int connect(void)
{
	int i, failed = 0;

	for (i = 0; i < ARRAY_SIZE(hk_cms); i++)
		failed |= hk_cm_one(&hk_cms[i]);
	return failed;
}

static const struct {
	const char *name;
	int (*run)(void);
} hk_cases[] = {
	{ "connect", connect },
	{ "frame", frame },
	{ "fields", fields },
	{ "range", range },
	{ "rma_key", rma_key },
	{ "tag_reuse", tag_reuse },
	{ "over_credits", over_credits },
	{ "list_cookie", list_cookie },
	{ "inflight_disconnect", inflight_disconnect },
};

static void hk_teardown(void)
{
	if (hk_domain)
		kfi_close(&hk_domain->fid);
	if (hk_fabric)
		kfi_close(&hk_fabric->fid);
	kfi_freeinfo(hk_info);
	kfree(hk_buf);
	hk_domain = NULL;
	hk_fabric = NULL;
	hk_info = NULL;
	hk_buf = NULL;
}

static int hk_setup(void)
{
	hk_info = h_getinfo(h_port, 0);
	if (!hk_info)
		return -ENODEV;
	hk_buf = kzalloc(HK_BUF, GFP_KERNEL);
	if (!hk_buf)
		return -ENOMEM;
	return kfi_fabric(&hk_info->fabric_attr, &hk_fabric, NULL) ?:
	       kfi_domain(hk_fabric, hk_info, &hk_domain, NULL);
}

/**
 * h_client_run() - run one case against the store at h_ipaddr:h_port
 * @name: the case
 *
 * Return: 0 if the target did what the protocol says, else an errno.
 */
int h_client_run(const char *name)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(hk_cases); i++)
		if (!strcmp(name, hk_cases[i].name))
			break;
	if (i == ARRAY_SIZE(hk_cases))
		return -EINVAL;
	ret = hk_setup();
	if (!ret)
		ret = hk_cases[i].run();
	hk_teardown();
	return ret;
}
