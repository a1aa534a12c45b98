// SPDX-License-Identifier: GPL-2.0
/*
 * The provider cases: one body for every provider.  A client and a server
 * endpoint in this kernel connect to each other on @ipaddr through the
 * provider under test and move pattern-filled buffers, checked byte for
 * byte.  A test module (kfi_test_verbs.c, kfi_test_tcp.c) includes this
 * file, describes its provider in a struct kt_prov and lists the cases; a
 * case that needs what the provider does not have skips, saying so.
 *
 * Every wait is bounded (T_TIMEOUT_MS) and no assertion depends on
 * timing: a send that finds no credit is retried until the peer's grant
 * arrives, and a count that must be exact is only taken when nothing can
 * change it.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/delay.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/inet.h>
#include <linux/inetdevice.h>
#include <kfabric/kfi.h>

#include "kfi_compat.h"
#include "kfi_ktap.h"

static char *ipaddr = "192.0.2.1";
module_param(ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "IPv4 address the provider serves");

static int port = 7471;
module_param(port, int, 0444);
MODULE_PARM_DESC(port, "first TCP-space port to listen on");

#define T_TIMEOUT_MS	20000		/* any single wait; TCG is slow */

/* Objects of the provider (and its device) alive now. */
struct tres {
	int qp, mr, cq, pd, srq, live;
};

/**
 * struct kt_prov - what the cases need to know of the provider under test
 * @name: its kfi_getinfo() name
 * @key_size: domain_attr.mr_key_size it reports
 * @atomics: it has fetch-add and compare-swap
 * @invalidate: it has kfi_mr_unmap() and send with invalidate
 * @getinfo_resolves: kfi_getinfo() resolves the route to a peer (and so
 *	fails for one it cannot reach)
 * @mr_reg_needs_conn: kfi_mr_reg() with remote access needs a connected
 *	endpoint in the domain
 * @cancel: kfi_cancel() takes back a posted receive (else -EOPNOTSUPP)
 * @srx: it has shared receive contexts (else kfi_srx_context() is
 *	-EOPNOTSUPP)
 * @res_count: count what it has alive; equal before and after a test
 * @strerror_ok: 0 if kfi_strerror() on @cq gives its texts
 * @deferred: sends posted with KFI_MORE on @ep that have not reached the
 *	wire (or the device) yet
 * @premapped: posts on @dom whose buffers went at the addresses of the
 *	kfi_mr_reg() regions their descriptors named, not mapped again
 *	(NULL: the provider does not say)
 */
struct kt_prov {
	const char *name;
	u32 key_size;
	bool atomics;
	bool invalidate;
	bool getinfo_resolves;
	bool mr_reg_needs_conn;
	bool cancel;
	bool srx;
	bool ordered;		/* tx_attr.comp_order is KFI_ORDER_STRICT */
	int (*res_count)(struct tres *t);
	int (*strerror_ok)(struct kfid_cq *cq);
	int (*deferred)(struct kfid_ep *ep);
	u64 (*premapped)(struct kfid_domain *dom);
};

/* Set by the including module before the cases run. */
static const struct kt_prov *kp;
#define T_MAX_LEN	(1024 * 1024)	/* largest message */
#define T_INJECT_LEN	32		/* an RMA inject, under every inject_size */

/*
 * A request of the cases: its context, and its buffer in every form
 * (treq_iov()).  @desc is the descriptor of a kfi_mr_reg() region
 * holding @buf, or NULL; it goes only with KFI_IOV_KVEC, one entry.
 */
struct treq {
	struct kfi_context kctx;
	void *buf;
	size_t len;
	void *desc;
	struct scatterlist sg[2];
	struct kvec kv;
	struct bio_vec bv;
};

struct tside {
	struct kfid_ep *ep;
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct tside *peer;
	struct treq *spare;
};

struct topts {
	u32 depth;
	enum kfi_poll_ctx poll;
	void (*cq_handler)(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			   void *arg);
	int (*prepost)(struct tside *side, bool server);
	const char *cdata;
	const char *sdata;
	bool reject;
	u64 cq_bind;		/* more flags for binding the CQ */
	struct kfid_ep *srx;	/* the server binds this shared context */
};

struct tconn {
	struct kfi_info *info;
	struct kfid_fabric *fab;
	struct kfid_domain *dom;
	struct kfid_pep *pep;
	struct kfid_eq *peq;
	struct tside c;
	struct tside s;
	struct kfi_eq_cm_entry ev;
	int port;
};

static int next_port;
static bool t_failed;

static void fill(void *buf, size_t len, u32 seed)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 7 + (i >> 8));
}

static int check(const void *buf, size_t len, u32 seed)
{
	const u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != (u8)(seed + i * 7 + (i >> 8))) {
			pr_info("    # byte %zu of %zu: %#x\n", i, len, p[i]);
			return -EILSEQ;
		}
	}
	return 0;
}

static unsigned long t_deadline(void)
{
	return jiffies + msecs_to_jiffies(T_TIMEOUT_MS);
}

/* Describe @r's buffer in @form; returns the iov. */
static struct kfi_iov treq_iov(struct treq *r, enum kfi_iov_type form)
{
	size_t half = r->len / 2;

	switch (form) {
	case KFI_IOV_BVEC:
		r->bv.bv_page = virt_to_page(r->buf);
		r->bv.bv_offset = offset_in_page(r->buf);
		r->bv.bv_len = r->len;
		return KFI_IOV_INIT(KFI_IOV_BVEC, bvec, &r->bv, 1);
	case KFI_IOV_SGL:
		/* Two entries when there is room, to test several SGEs. */
		if (half && PAGE_ALIGNED(half) && PAGE_ALIGNED(r->buf)) {
			sg_init_table(r->sg, 2);
			sg_set_buf(&r->sg[0], r->buf, half);
			sg_set_buf(&r->sg[1], r->buf + half, r->len - half);
			return KFI_IOV_INIT(KFI_IOV_SGL, sgl, r->sg, 2);
		}
		sg_init_one(r->sg, r->buf, r->len);
		return KFI_IOV_INIT(KFI_IOV_SGL, sgl, r->sg, 1);
	default:
		r->kv.iov_base = r->buf;
		r->kv.iov_len = r->len;
		return KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &r->kv, 1);
	}
}

static struct treq *treq_alloc(size_t len)
{
	struct treq *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return NULL;
	r->len = len;
	r->buf = kmalloc(max_t(size_t, len, 8), GFP_KERNEL);
	if (!r->buf) {
		kfree(r);
		return NULL;
	}
	return r;
}

static void treq_free(struct treq *r)
{
	/*
	 * After a failed check the request may still be posted: leak it
	 * rather than let a late completion find freed memory.
	 */
	if (t_failed)
		return;
	if (r)
		kfree(r->buf);
	kfree(r);
}

static struct treq *treq_of(const struct kfi_cq_entry *e)
{
	return container_of(e->op_context, struct treq, kctx);
}

/* Direct CQs progress only when polled: poll both sides of @s. */
static void kick(struct tside *s)
{
	if (s->cq && s->cq->attr.poll_ctx == KFI_POLL_DIRECT)
		kfi_cq_poll(s->cq, 0);
	if (s->peer && s->peer->cq &&
	    s->peer->cq->attr.poll_ctx == KFI_POLL_DIRECT)
		kfi_cq_poll(s->peer->cq, 0);
}

/* The descriptors of @r's buffer in @form: see struct treq. */
static void **treq_desc(struct treq *r, enum kfi_iov_type form)
{
	return r->desc && form == KFI_IOV_KVEC ? &r->desc : NULL;
}

static int post_recv(struct tside *s, struct treq *r, enum kfi_iov_type form)
{
	struct kfi_msg m = { .iov = treq_iov(r, form), .context = &r->kctx,
			     .desc = treq_desc(r, form) };

	return kfi_recvmsg(s->ep, &m, 0);
}

static int post_send_once(struct tside *s, struct treq *r,
			  enum kfi_iov_type form, u64 flags, u64 data)
{
	struct kfi_msg m = { .iov = treq_iov(r, form), .context = &r->kctx,
			     .desc = treq_desc(r, form), .data = data,
			     .inv_key = data };

	return kfi_sendmsg(s->ep, &m, flags);
}

/* A send waits (process context) for the credit or slot it needs. */
static int post_send(struct tside *s, struct treq *r, enum kfi_iov_type form,
		     u64 flags, u64 data)
{
	unsigned long end = t_deadline();
	int ret;

	for (;;) {
		ret = post_send_once(s, r, form, flags, data);
		if (ret != -EAGAIN || time_after(jiffies, end))
			return ret;
		kick(s);
		usleep_range(200, 500);
	}
}

static int post_rma_once(struct tside *s, struct treq *r,
			 enum kfi_iov_type form, bool write, u64 addr, u64 key,
			 u64 flags, u64 data)
{
	struct kfi_rma_iov rma = { .addr = addr, .len = r->len, .key = key };
	struct kfi_msg_rma m = { .iov = treq_iov(r, form), .rma_iov = &rma,
				 .rma_iov_count = 1, .context = &r->kctx,
				 .data = data };

	return write ? kfi_writemsg(s->ep, &m, flags) :
		       kfi_readmsg(s->ep, &m, flags);
}

static int post_rma(struct tside *s, struct treq *r, enum kfi_iov_type form,
		    bool write, u64 addr, u64 key, u64 flags, u64 data)
{
	unsigned long end = t_deadline();
	int ret;

	for (;;) {
		ret = post_rma_once(s, r, form, write, addr, key, flags, data);
		if (ret != -EAGAIN || time_after(jiffies, end))
			return ret;
		kick(s);
		usleep_range(200, 500);
	}
}

/* One completion from @s's CQ, errors included (e->err). */
static int wait_cq(struct tside *s, struct kfi_cq_entry *e)
{
	bool direct = s->cq->attr.poll_ctx == KFI_POLL_DIRECT;
	unsigned long end = t_deadline();
	int ret;

	for (;;) {
		kick(s);
		/* Direct CQs are polled here; the others wake us. */
		ret = direct ? kfi_cq_read(s->cq, e, 1) :
			       kfi_cq_sread(s->cq, e, 1, 100);
		if (ret == 1)
			return 0;
		if (ret == -EIO)
			return kfi_cq_readerr(s->cq, e);
		if (ret != -EAGAIN && ret != -ETIMEDOUT)
			return ret;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		if (direct)
			usleep_range(200, 500);
	}
}

/* A successful completion from @s's CQ. */
static int wait_ok(struct tside *s, struct kfi_cq_entry *e)
{
	int ret = wait_cq(s, e);

	if (!ret && e->err) {
		pr_info("    # completion error %d (status %llu)\n", e->err,
			(unsigned long long)e->prov_errno);
		ret = e->err;
	}
	return ret;
}

/* Wait for @want on @eq; other events are logged and skipped. */
static int wait_ev(struct kfid_eq *eq, enum kfi_eq_event want,
		   struct kfi_eq_cm_entry *e)
{
	int ret, n;

	for (n = 0; n < 8; n++) {
		ret = kfi_eq_sread(eq, e, T_TIMEOUT_MS);
		if (ret < 0)
			return ret;
		if (e->event == want)
			return 0;
		pr_info("    # event %d (err %d) while waiting for %d\n",
			e->event, e->err, want);
		if (e->event == KFI_CONNREQ)
			kfi_freeinfo(e->info);
		if (want == KFI_CONNECTED)
			return -ECONNREFUSED;
	}
	return -EPROTO;
}

static struct kfi_info *get_info(const char *node, int p, u64 flags)
{
	struct kfi_info *hints, *info = NULL;
	char svc[8];
	int ret;

	hints = kfi_allocinfo();
	if (!hints)
		return NULL;
	hints->caps = KFI_MSG | KFI_RMA;
	hints->ep_attr.type = KFI_EP_MSG;
	strscpy(hints->fabric_attr.prov_name, kp->name, KFI_NAME_MAX);
	snprintf(svc, sizeof(svc), "%d", p);
	ret = kfi_getinfo(KFI_VERSION(1, 0), node, svc, flags, hints, &info);
	kfi_freeinfo(hints);
	return ret ? NULL : info;
}

/* Open one side's EQ, CQ and endpoint from @fi (sizes set here). */
static int side_open(struct tconn *tc, struct tside *s, struct kfi_info *fi,
		     const struct topts *o)
{
	struct kfi_cq_attr ca = { .size = 2 * o->depth + 8,
				  .poll_ctx = o->poll, .comp_vector = -1,
				  .handler = o->cq_handler, .handler_arg = s };
	struct kfi_eq_attr ea = { .size = 32 };
	int ret = 0;

	s->peer = s == &tc->c ? &tc->s : &tc->c;
	fi->tx_attr.size = o->depth;
	fi->rx_attr.size = o->depth;
	fi->tx_attr.iov_limit = 4;
	fi->rx_attr.iov_limit = 4;
	STEP(ret, kfi_eq_open(tc->fab, &ea, &s->eq, NULL));
	STEP(ret, kfi_cq_open(tc->dom, &ca, &s->cq, NULL));
	STEP(ret, kfi_endpoint(tc->dom, fi, &s->ep, NULL));
	STEP(ret, kfi_ep_bind(s->ep, &s->cq->fid,
			      KFI_TRANSMIT | KFI_RECEIVE | o->cq_bind));
	STEP(ret, kfi_ep_bind(s->ep, &s->eq->fid, 0));
	if (o->srx && s == &tc->s)
		STEP(ret, kfi_ep_bind(s->ep, &o->srx->fid, 0));
	STEP(ret, kfi_enable(s->ep));
	if (!ret && o->prepost)
		ret = o->prepost(s, s == &tc->s);
	return ret;
}

static void side_close(struct tside *s)
{
	if (s->ep)
		kfi_close(&s->ep->fid);
	if (s->cq)
		kfi_close(&s->cq->fid);
	if (s->eq)
		kfi_close(&s->eq->fid);
	treq_free(s->spare);
	memset(s, 0, sizeof(*s));
}

static void conn_close(struct tconn *tc)
{
	side_close(&tc->c);
	side_close(&tc->s);
	if (tc->pep)
		kfi_close(&tc->pep->fid);
	if (tc->peq)
		kfi_close(&tc->peq->fid);
	if (tc->dom)
		kfi_close(&tc->dom->fid);
	if (tc->fab)
		kfi_close(&tc->fab->fid);
	kfi_freeinfo(tc->info);
	memset(tc, 0, sizeof(*tc));
}

static int conn_listen(struct tconn *tc)
{
	struct kfi_eq_attr ea = { .size = 32 };
	struct kfi_info *srv;
	int ret;

	tc->port = port + next_port++ % 1000;
	srv = get_info(ipaddr, tc->port, KFI_SOURCE);
	if (!srv)
		return -ENODEV;
	ret = kfi_fabric(&srv->fabric_attr, &tc->fab, NULL);
	STEP(ret, kfi_domain(tc->fab, srv, &tc->dom, NULL));
	STEP(ret, kfi_passive_ep(tc->fab, srv, &tc->pep, NULL));
	STEP(ret, kfi_eq_open(tc->fab, &ea, &tc->peq, NULL));
	STEP(ret, kfi_pep_bind(tc->pep, tc->peq));
	STEP(ret, kfi_listen(tc->pep));
	if (!ret)
		tc->info = get_info(ipaddr, tc->port, 0);
	if (!ret && !tc->info)
		ret = -ENODEV;
	kfi_freeinfo(srv);
	return ret;
}

/* Server side of a connection: take the request, accept or reject it. */
static int conn_server(struct tconn *tc, const struct topts *o)
{
	struct kfi_eq_cm_entry *e = &tc->ev;
	int ret;

	ret = wait_ev(tc->peq, KFI_CONNREQ, e);
	if (ret)
		return ret;
	ret = -EBADMSG;
	if (o->cdata && (e->datalen != strlen(o->cdata) ||
			 memcmp(e->data, o->cdata, e->datalen)))
		goto free;
	if (o->reject) {
		ret = kfi_reject(tc->pep, e->info->handle, o->sdata,
				 o->sdata ? strlen(o->sdata) : 0);
		goto free;
	}
	ret = side_open(tc, &tc->s, e->info, o);
	if (!ret)
		ret = kfi_accept(tc->s.ep, o->sdata,
				 o->sdata ? strlen(o->sdata) : 0);
free:
	kfi_freeinfo(e->info);
	return ret;
}

/* Connect a client to the listener of @tc; both sides are opened here. */
static int conn_pair(struct tconn *tc, const struct topts *o)
{
	struct kfi_eq_cm_entry *e = &tc->ev;
	int ret = 0;

	STEP(ret, side_open(tc, &tc->c, tc->info, o));
	STEP(ret, kfi_connect(tc->c.ep, o->cdata,
			      o->cdata ? strlen(o->cdata) : 0));
	STEP(ret, conn_server(tc, o));
	if (ret || o->reject)
		return ret;
	ret = wait_ev(tc->c.eq, KFI_CONNECTED, e);
	if (!ret && o->sdata && (e->datalen != strlen(o->sdata) ||
				 memcmp(e->data, o->sdata, e->datalen)))
		ret = -EBADMSG;
	STEP(ret, wait_ev(tc->s.eq, KFI_CONNECTED, e));
	return ret;
}

static int conn_open(struct tconn *tc, const struct topts *o)
{
	int ret;

	ret = conn_listen(tc);
	STEP(ret, conn_pair(tc, o));
	return ret;
}

/*
 * The provider's rule: post at least one receive before connecting.  Each
 * side posts one spare of the largest size; receives complete in the
 * order posted, so a message lands in the oldest one and the test keeps
 * whichever is left as the new spare.
 */
static int prepost_spare(struct tside *s, bool server)
{
	s->spare = treq_alloc(T_MAX_LEN);
	if (!s->spare)
		return -ENOMEM;
	return post_recv(s, s->spare, KFI_IOV_KVEC);
}

static const struct topts def_opts = { .depth = 16,
				       .prepost = prepost_spare };

/* ------------------------------------------------------------------ */

static int getinfo_limits(void)
{
	struct kfi_info *fi = get_info(ipaddr, port, KFI_SOURCE);

	KT_EXPECT(fi);
	pr_info("    # %s port %u: tx %u/%u rx %u/%u sge %u inject %u msg %llu mr_segs %u rd_atomic %u cm_data %u cq_data %u\n",
		fi->domain_attr.name, fi->domain_attr.port, fi->tx_attr.size,
		fi->domain_attr.tx_size_max, fi->rx_attr.size,
		fi->domain_attr.rx_size_max, fi->tx_attr.iov_limit, fi->tx_attr.inject_size,
		fi->ep_attr.max_msg_size, fi->domain_attr.max_mr_segs,
		fi->ep_attr.max_rd_atomic, fi->ep_attr.cm_data_size,
		fi->domain_attr.cq_data_size);
	KT_EXPECT(fi->caps & KFI_MSG);
	KT_EXPECT(fi->caps & KFI_RMA);
	KT_EXPECT(!kp->atomics || (fi->caps & KFI_ATOMIC));
	KT_EXPECT_EQ(fi->domain_attr.mr_key_size, kp->key_size);
	KT_EXPECT_EQ(fi->domain_attr.cq_data_size, 4);
	/* Defaults a modest CQ can hold; the device's limits beside them. */
	KT_EXPECT_EQ(fi->tx_attr.size, 128);
	KT_EXPECT_EQ(fi->rx_attr.size, 128);
	KT_EXPECT(fi->domain_attr.tx_size_max >= 1024);
	KT_EXPECT(fi->domain_attr.rx_size_max >= 1024);
	KT_EXPECT(fi->tx_attr.inject_size > 0);
	KT_EXPECT(fi->ep_attr.max_msg_size >= T_MAX_LEN);
	KT_EXPECT(!fi->next);
	kfi_freeinfo(fi);
	return 0;
}

/* Sizes in the hints are honoured; sizes over the device's are not served. */
static int getinfo_hint_sizes(void)
{
	struct kfi_info *hints, *fi = NULL;
	u32 max;
	int ret;

	hints = kfi_allocinfo();
	KT_EXPECT(hints);
	strscpy(hints->fabric_attr.prov_name, kp->name, KFI_NAME_MAX);
	hints->tx_attr.size = 300;
	hints->rx_attr.size = 200;
	ret = kfi_getinfo(KFI_VERSION(1, 0), ipaddr, NULL, KFI_SOURCE, hints,
			  &fi);
	if (!ret && (fi->tx_attr.size != 300 || fi->rx_attr.size != 200))
		ret = -EPROTO;
	max = ret ? 0 : fi->domain_attr.tx_size_max;
	kfi_freeinfo(fi);
	fi = NULL;
	if (!ret) {
		hints->tx_attr.size = max + 1;
		ret = kfi_getinfo(KFI_VERSION(1, 0), ipaddr, NULL, KFI_SOURCE,
				  hints, &fi);
		ret = ret == -ENODATA && !fi ? 0 : -EPROTO;
	}
	kfi_freeinfo(fi);
	kfi_freeinfo(hints);
	return ret;
}

/* Open an endpoint of @depth both ways on @cq and enable it. */
static int cq_rule_ep(struct tconn *tc, struct kfid_cq *cq,
		      struct kfid_ep **ep, u32 depth)
{
	int ret;

	tc->info->tx_attr.size = depth;
	tc->info->rx_attr.size = depth;
	ret = kfi_endpoint(tc->dom, tc->info, ep, NULL);
	if (ret)
		return ret;
	ret = kfi_ep_bind(*ep, &cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
	      kfi_ep_bind(*ep, &tc->peq->fid, 0);
	return ret ?: kfi_enable(*ep);
}

/*
 * The documented CQ rule: a CQ holds tx_attr.size + rx_attr.size of every
 * endpoint enabled on it, else kfi_enable() is -ENOSPC.
 */
static int cq_size_rule(void)
{
	struct kfi_cq_attr ca = { .size = 16, .comp_vector = -1 };
	struct kfid_ep *a = NULL, *b = NULL;
	struct kfid_cq *cq = NULL;
	struct tconn tc = {};
	int ret;

	ret = conn_listen(&tc);
	STEP(ret, kfi_cq_open(tc.dom, &ca, &cq, NULL));
	if (!ret && cq_rule_ep(&tc, cq, &a, 16) != -ENOSPC)
		ret = -EPROTO;
	kfi_close(a ? &a->fid : NULL);
	kfi_close(cq ? &cq->fid : NULL);
	a = NULL;
	cq = NULL;
	/* 32: one endpoint of 16 + 16 fits, a second does not. */
	ca.size = 32;
	STEP(ret, kfi_cq_open(tc.dom, &ca, &cq, NULL));
	STEP(ret, cq_rule_ep(&tc, cq, &a, 16));
	if (!ret && cq_rule_ep(&tc, cq, &b, 16) != -ENOSPC)
		ret = -EPROTO;
	kfi_close(b ? &b->fid : NULL);
	kfi_close(a ? &a->fid : NULL);
	kfi_close(cq ? &cq->fid : NULL);
	a = NULL;
	b = NULL;
	cq = NULL;
	/* 64: two fit (the provider grows its own share of the CQ). */
	ca.size = 64;
	STEP(ret, kfi_cq_open(tc.dom, &ca, &cq, NULL));
	STEP(ret, cq_rule_ep(&tc, cq, &a, 16));
	STEP(ret, cq_rule_ep(&tc, cq, &b, 16));
	kfi_close(b ? &b->fid : NULL);
	kfi_close(a ? &a->fid : NULL);
	kfi_close(cq ? &cq->fid : NULL);
	conn_close(&tc);
	return ret;
}

static int getinfo_unreachable(void)
{
	struct kfi_info *hints, *fi;
	int ret;

	if (!kp->getinfo_resolves)
		return kt_skip("the provider resolves routes at connect time");
	hints = kfi_allocinfo();
	KT_EXPECT(hints);
	strscpy(hints->fabric_attr.prov_name, kp->name, KFI_NAME_MAX);
	/*
	 * TEST-NET-2: no route, no device; the bounded resolve says so and
	 * its errno comes through, not a bare -ENODATA.
	 */
	fi = NULL;
	ret = kfi_getinfo(KFI_VERSION(1, 0), "198.51.100.7", "7471", 0, hints,
			  &fi);
	kfi_freeinfo(hints);
	pr_info("    # getinfo of an unreachable address: %d\n", ret);
	KT_EXPECT(!fi);
	KT_EXPECT(ret < 0 && ret != -ENODATA);
	return 0;
}

static int connect_private_data(void)
{
	struct topts o = { .depth = 4, .cdata = "hello server",
			   .sdata = "hello client", .prepost = prepost_spare };
	struct tconn tc = {};
	int ret;

	ret = conn_open(&tc, &o);
	conn_close(&tc);
	return ret;
}

static int reject_private_data(void)
{
	struct topts o = { .depth = 4, .cdata = "may I", .sdata = "no thanks",
			   .reject = true };
	struct tconn tc = {};
	int ret;

	ret = conn_open(&tc, &o);
	if (!ret)
		ret = wait_ev(tc.c.eq, KFI_REJECTED, &tc.ev);
	if (!ret && (tc.ev.datalen != strlen(o.sdata) ||
		     memcmp(tc.ev.data, o.sdata, tc.ev.datalen)))
		ret = -EBADMSG;
	conn_close(&tc);
	return ret;
}

/* Send @len bytes client -> server in @form, check them and the entry. */
static int xfer_one(struct tconn *tc, size_t len, enum kfi_iov_type form,
		    u64 flags, u64 data)
{
	struct treq *rr = treq_alloc(T_MAX_LEN), *sr = treq_alloc(len), *got;
	struct kfi_cq_entry e;
	int ret = -ENOMEM;

	if (!rr || !sr)
		goto out;
	fill(sr->buf, len, len + form);
	ret = post_recv(&tc->s, rr, form);
	if (!ret)
		ret = post_send(&tc->c, sr, form, flags, data);
	if (ret)
		goto out;
	if (!(flags & KFI_INJECT)) {
		ret = wait_ok(&tc->c, &e);
		if (!ret && (e.op_context != &sr->kctx ||
			     !(e.flags & KFI_SEND)))
			ret = -EPROTO;
		if (ret)
			goto out;
	}
	ret = wait_ok(&tc->s, &e);
	if (!ret && (!(e.flags & KFI_RECV) || e.len != len))
		ret = -EPROTO;
	if (!ret && !!(flags & KFI_REMOTE_CQ_DATA) !=
	    !!(e.flags & KFI_REMOTE_CQ_DATA))
		ret = -EPROTO;
	if (!ret && (flags & KFI_REMOTE_CQ_DATA) && e.data != data)
		ret = -EPROTO;
	if (ret)
		goto out;
	got = treq_of(&e);
	ret = check(got->buf, len, len + form);
	/* The one still posted is the new spare. */
	if (got != rr) {
		tc->s.spare = rr;
		rr = got;
	}
out:
	if (ret) {
		pr_info("    # len %zu form %d flags %#llx: %d\n", len, form,
			flags, ret);
		t_failed = true;
	}
	treq_free(rr);
	treq_free(sr);
	return ret;
}

static const size_t sizes[] = { 1, 63, 4095, 4096, 4097, 65536, T_MAX_LEN };

/*
 * Every form and size, and the sizes either side of inject_size: a
 * provider may post a short send inline and map a longer one (kfi_verbs
 * offers an inject_size of its inline size less its header).
 */
static int send_recv_all_forms(void)
{
	struct tconn tc = {};
	int ret, f, i;
	u32 max;

	ret = conn_open(&tc, &def_opts);
	max = ret ? 0 : tc.c.ep->info.tx_attr.inject_size;
	for (f = KFI_IOV_KVEC; !ret && f <= KFI_IOV_SGL; f++) {
		for (i = 0; !ret && i < ARRAY_SIZE(sizes); i++)
			ret = xfer_one(&tc, sizes[i], f, 0, 0);
		for (i = max ? -1 : 0; !ret && i <= 1; i++)
			ret = xfer_one(&tc, max + i, f, 0, 0);
	}
	conn_close(&tc);
	return ret;
}

static int senddata_immediate(void)
{
	static const u64 vals[] = { 0, 1, 0x80000000, 0xffffffff };
	struct treq *r = treq_alloc(8), *rr = treq_alloc(16);
	struct tconn tc = {};
	int ret, f, i;

	ret = r && rr ? conn_open(&tc, &def_opts) : -ENOMEM;
	for (f = KFI_IOV_KVEC; !ret && f <= KFI_IOV_SGL; f++)
		for (i = 0; !ret && i < ARRAY_SIZE(vals); i++)
			ret = xfer_one(&tc, i ? 4096 + i : 1, f,
				       KFI_REMOTE_CQ_DATA, vals[i]);
	/*
	 * 64-bit immediate data does not fit the wire: refused.  The server
	 * posts a receive first, so the send is refused for its data and
	 * not for want of a credit.
	 */
	if (!ret)
		ret = post_recv(&tc.s, rr, KFI_IOV_KVEC);
	if (!ret) {
		ret = post_send(&tc.c, r, KFI_IOV_KVEC, KFI_REMOTE_CQ_DATA,
				1ULL << 32);
		ret = ret == -EINVAL ? 0 : -EPROTO;
	}
	conn_close(&tc);
	treq_free(r);
	treq_free(rr);
	return ret;
}

static int inject_all_forms(void)
{
	struct tconn tc = {};
	struct treq *r;
	int ret, f;
	u32 max;

	ret = conn_open(&tc, &def_opts);
	max = ret ? 0 : tc.c.ep->info.tx_attr.inject_size;
	for (f = KFI_IOV_KVEC; !ret && f <= KFI_IOV_SGL; f++) {
		ret = xfer_one(&tc, 1, f, KFI_INJECT, 0);
		if (!ret)
			ret = xfer_one(&tc, max, f, KFI_INJECT, 0);
	}
	r = ret ? NULL : treq_alloc(max + 1);
	if (!ret && !r)
		ret = -ENOMEM;
	if (r && post_send(&tc.c, r, KFI_IOV_KVEC, KFI_INJECT, 0) !=
	    -EMSGSIZE)
		ret = -EPROTO;
	treq_free(r);
	conn_close(&tc);
	return ret;
}

/* A server buffer registered for remote access through @tc's server EP. */
struct tmr {
	struct kfid_mr *mr;
	struct treq *r;
};

/*
 * The server tells the client its key with a message posted after the
 * registration on the same send queue, as a consumer would: once the
 * client has it, the registration is in effect (the device runs the
 * server's queue in order, and may run the registration only after
 * kfi_mr_map() returned).
 */
static int key_msg(struct tconn *tc)
{
	struct treq *rk = treq_alloc(T_MAX_LEN), *sk = treq_alloc(16), *got;
	struct kfi_cq_entry e;
	int ret = -ENOMEM;

	if (!rk || !sk)
		goto out;
	fill(sk->buf, 16, 21);
	ret = post_recv(&tc->c, rk, KFI_IOV_KVEC);
	/* Asked to complete: the endpoint may select its completions. */
	if (!ret)
		ret = post_send(&tc->s, sk, KFI_IOV_KVEC, KFI_COMPLETION, 0);
	if (!ret)
		ret = wait_ok(&tc->s, &e);
	if (!ret)
		ret = wait_ok(&tc->c, &e);
	if (!ret && e.len != 16)
		ret = -EPROTO;
	if (ret)
		goto out;
	got = treq_of(&e);
	ret = check(got->buf, 16, 21);
	/* The one still posted is the client's new spare. */
	if (got != rk) {
		tc->c.spare = rk;
		rk = got;
	}
out:
	if (ret) {
		pr_info("    # key message: %d\n", ret);
		t_failed = true;
	}
	treq_free(rk);
	treq_free(sk);
	return ret;
}

static int tmr_map(struct tconn *tc, struct tmr *m, size_t len)
{
	struct kfi_iov iov;
	int ret;

	m->r = treq_alloc(len);
	if (!m->r)
		return -ENOMEM;
	ret = kfi_mr_alloc(tc->dom, DIV_ROUND_UP(len, PAGE_SIZE) + 1,
			   KFI_REMOTE_READ | KFI_REMOTE_WRITE, &m->mr, NULL);
	if (ret)
		return ret;
	iov = treq_iov(m->r, KFI_IOV_KVEC);
	ret = kfi_mr_map(tc->s.ep, m->mr, &iov);
	return ret ?: key_msg(tc);
}

static void tmr_free(struct tmr *m)
{
	if (m->mr)
		kfi_close(&m->mr->fid);
	treq_free(m->r);
	m->mr = NULL;
	m->r = NULL;
}

/* Close @tc with the region @m of its server in the order they need. */
static void tmr_conn_close(struct tconn *tc, struct tmr *m)
{
	side_close(&tc->c);
	side_close(&tc->s);
	tmr_free(m);
	conn_close(tc);
}

static int rma_one(struct tconn *tc, struct tmr *m, size_t len,
		   enum kfi_iov_type form, bool write, u64 flags, u64 data)
{
	struct treq *lr = treq_alloc(len), *rr = NULL;
	struct kfi_cq_entry e;
	int ret = -ENOMEM;

	if (!lr)
		goto out;
	if (write) {
		fill(lr->buf, len, 3 * len + form);
		memset(m->r->buf, 0, len);
	} else {
		fill(m->r->buf, len, 3 * len + form);
		memset(lr->buf, 0, len);
	}
	if (flags & KFI_REMOTE_CQ_DATA) {
		rr = treq_alloc(16);
		ret = rr ? post_recv(&tc->s, rr, KFI_IOV_KVEC) : -ENOMEM;
		if (ret)
			goto out;
	}
	ret = post_rma(&tc->c, lr, form, write, m->mr->iova, m->mr->key,
		       flags, data);
	if (!ret)
		ret = wait_ok(&tc->c, &e);
	if (!ret && (e.op_context != &lr->kctx || !(e.flags & KFI_RMA)))
		ret = -EPROTO;
	if (!ret && rr) {
		ret = wait_ok(&tc->s, &e);
		if (!ret && (!(e.flags & KFI_REMOTE_CQ_DATA) ||
			     e.data != data || e.len != len))
			ret = -EPROTO;
		/* It may have used the spare: keep posted what is posted. */
		if (!ret && treq_of(&e) != rr) {
			tc->s.spare = rr;
			rr = treq_of(&e);
		}
	}
	if (!ret)
		ret = check(write ? m->r->buf : lr->buf, len, 3 * len + form);
out:
	if (ret) {
		pr_info("    # rma len %zu form %d write %d: %d\n", len, form,
			write, ret);
		t_failed = true;
	}
	treq_free(lr);
	treq_free(rr);
	return ret;
}

static int rma_all_forms(bool write, u64 flags)
{
	struct tconn tc = {};
	struct tmr m = {};
	int ret, f, i;

	ret = conn_open(&tc, &def_opts);
	if (!ret)
		ret = tmr_map(&tc, &m, T_MAX_LEN);
	for (f = KFI_IOV_KVEC; !ret && f <= KFI_IOV_SGL; f++)
		for (i = 0; !ret && i < ARRAY_SIZE(sizes); i++)
			ret = rma_one(&tc, &m, sizes[i], f, write, flags,
				      flags ? 0xffffffff - i : 0);
	tmr_conn_close(&tc, &m);
	return ret;
}

static int rma_write_all_forms(void)
{
	return rma_all_forms(true, 0);
}

static int rma_read_all_forms(void)
{
	return rma_all_forms(false, 0);
}

static int rma_writedata_all_forms(void)
{
	return rma_all_forms(true, KFI_REMOTE_CQ_DATA);
}

/*
 * An RMA write with KFI_INJECT owns a copy of its bytes: the caller may
 * change its buffer as soon as the post returns.  Posted with KFI_MORE it
 * has not even reached the device when the buffer changes here; the read
 * posted behind it (and executed after it by the peer) must find the bytes
 * of the moment of the post.  An inject reports no completion: the read's
 * is the only one.
 */
static int rma_write_inject(void)
{
	struct treq *lr = treq_alloc(T_INJECT_LEN);
	struct treq *rd = treq_alloc(T_INJECT_LEN);
	struct tconn tc = {};
	struct kfi_cq_entry e;
	struct tmr m = {};
	int ret = -ENOMEM;

	if (!lr || !rd)
		goto out;
	ret = conn_open(&tc, &def_opts);
	STEP(ret, tmr_map(&tc, &m, PAGE_SIZE));
	if (!ret) {
		fill(lr->buf, T_INJECT_LEN, 77);
		memset(m.r->buf, 0, T_INJECT_LEN);
	}
	STEP(ret, post_rma(&tc.c, lr, KFI_IOV_KVEC, true, m.mr->iova,
			   m.mr->key, KFI_INJECT | KFI_MORE, 0));
	if (!ret)
		memset(lr->buf, 0xa5, T_INJECT_LEN);
	STEP(ret, post_rma(&tc.c, rd, KFI_IOV_KVEC, false, m.mr->iova,
			   m.mr->key, 0, 0));
	STEP(ret, wait_ok(&tc.c, &e));
	if (!ret && e.op_context != &rd->kctx)
		ret = -EPROTO;
	STEP(ret, check(rd->buf, T_INJECT_LEN, 77));
	STEP(ret, check(m.r->buf, T_INJECT_LEN, 77));
	if (ret)
		t_failed = true;
	tmr_conn_close(&tc, &m);
out:
	treq_free(lr);
	treq_free(rd);
	return ret;
}

/*
 * kfi_mr_reg() with remote access: refused while no endpoint of the domain
 * is connected, then valid for RMA as soon as it returns.
 */
static int mr_reg_remote(void)
{
	size_t len = 4 * PAGE_SIZE;
	struct treq *sb = treq_alloc(len), *lb = treq_alloc(len);
	struct kfid_mr *mr = NULL;
	struct kfi_cq_entry e;
	struct tconn tc = {};
	struct kfi_iov iov;
	int ret = sb && lb ? 0 : -ENOMEM;

	STEP(ret, conn_listen(&tc));
	if (!ret && kp->mr_reg_needs_conn) {
		iov = treq_iov(sb, KFI_IOV_KVEC);
		if (kfi_mr_reg(tc.dom, &iov, KFI_REMOTE_WRITE, &mr, NULL) !=
		    -ENOTCONN)
			ret = -EPROTO;
	}
	STEP(ret, conn_pair(&tc, &def_opts));
	iov = treq_iov(sb, KFI_IOV_KVEC);
	STEP(ret, kfi_mr_reg(tc.dom, &iov, KFI_REMOTE_READ | KFI_REMOTE_WRITE,
			     &mr, NULL));
	if (!ret && (mr->len != len || !mr->key))
		ret = -EPROTO;
	if (!ret) {
		fill(lb->buf, len, 77);
		memset(sb->buf, 0, len);
	}
	STEP(ret, post_rma(&tc.c, lb, KFI_IOV_BVEC, true, mr->iova, mr->key,
			   0, 0));
	STEP(ret, wait_ok(&tc.c, &e));
	STEP(ret, check(sb->buf, len, 77));
	if (!ret) {
		fill(sb->buf, len, 78);
		memset(lb->buf, 0, len);
	}
	STEP(ret, post_rma(&tc.c, lb, KFI_IOV_KVEC, false, mr->iova, mr->key,
			   0, 0));
	STEP(ret, wait_ok(&tc.c, &e));
	STEP(ret, check(lb->buf, len, 78));
	if (ret)
		t_failed = true;
	side_close(&tc.c);
	side_close(&tc.s);
	kfi_close(mr ? &mr->fid : NULL);
	conn_close(&tc);
	treq_free(sb);
	treq_free(lb);
	return ret;
}

static int atomic_one(struct tconn *tc, struct tmr *m, enum kfi_atomic_op op,
		      u64 operand, u64 compare, u64 expect_old, u64 expect_new)
{
	struct treq *r = treq_alloc(sizeof(u64));
	struct kfi_msg_atomic msg = {
		.op = op, .operand = operand, .compare = compare,
		.rma_iov = { .addr = m->mr->iova, .len = 8, .key = m->mr->key },
	};
	struct kfi_cq_entry e;
	u64 *result;
	int ret;

	if (!r)
		return -ENOMEM;
	result = r->buf;
	*result = 0xdead;
	msg.result = result;
	msg.context = &r->kctx;
	ret = kfi_atomicmsg(tc->c.ep, &msg, 0);
	if (!ret)
		ret = wait_ok(&tc->c, &e);
	if (!ret && (e.op_context != &r->kctx || !(e.flags & KFI_ATOMIC)))
		ret = -EPROTO;
	if (!ret && (*result != expect_old ||
		     *(u64 *)m->r->buf != expect_new)) {
		pr_info("    # atomic %d: old %llx new %llx\n", op, *result,
			*(u64 *)m->r->buf);
		ret = -EPROTO;
	}
	if (ret)
		t_failed = true;
	treq_free(r);
	return ret;
}

static int atomics(void)
{
	struct tconn tc = {};
	struct tmr m = {};
	int ret;

	if (!kp->atomics)
		return kt_skip("no fetch-add or compare-swap here");
	ret = conn_open(&tc, &def_opts);
	if (!ret)
		ret = tmr_map(&tc, &m, PAGE_SIZE);
	if (!ret) {
		*(u64 *)m.r->buf = 40;
		ret = atomic_one(&tc, &m, KFI_SUM, 2, 0, 40, 42);
	}
	if (!ret)	/* wraps: adds -1 */
		ret = atomic_one(&tc, &m, KFI_SUM, ~0ULL, 0, 42, 41);
	if (!ret)
		ret = atomic_one(&tc, &m, KFI_CSWAP, 7, 41, 41, 7);
	if (!ret)	/* compare fails: unchanged */
		ret = atomic_one(&tc, &m, KFI_CSWAP, 9, 41, 7, 7);
	if (!ret)
		ret = atomic_one(&tc, &m, KFI_CSWAP, ~0ULL, 7, 7, ~0ULL);
	tmr_conn_close(&tc, &m);
	return ret;
}

/* Post receives @reqs[0..@n) on @s. */
static int post_n(struct tside *s, struct treq **reqs, int n)
{
	int i, ret = 0;

	for (i = 0; !ret && i < n; i++)
		ret = post_recv(s, reqs[i], KFI_IOV_KVEC);
	return ret;
}

static struct treq **treqs_alloc(int n, size_t len)
{
	struct treq **r = kcalloc(n, sizeof(*r), GFP_KERNEL);
	int i;

	for (i = 0; r && i < n; i++) {
		r[i] = treq_alloc(len);
		if (!r[i]) {
			while (i--)
				treq_free(r[i]);
			kfree(r);
			return NULL;
		}
	}
	return r;
}

static void treqs_free(struct treq **r, int n)
{
	int i;

	for (i = 0; r && i < n; i++)
		treq_free(r[i]);
	if (!t_failed)
		kfree(r);
}

#define T_CREDITS	8

static struct treq **credit_reqs;

/* The server posts T_CREDITS receives, the client its one spare. */
static int prepost_credit(struct tside *s, bool server)
{
	return server ? post_n(s, credit_reqs, T_CREDITS) : prepost_spare(s,
									  false);
}

/* Take @n messages at the server, check them and post them again. */
static int credit_drain(struct tconn *tc, int n, u32 seed)
{
	struct kfi_cq_entry e;
	int i, ret = 0;

	for (i = 0; !ret && i < n; i++) {
		ret = wait_ok(&tc->s, &e);
		if (!ret && e.len != 32)
			ret = -EPROTO;
		if (!ret)
			ret = check(treq_of(&e)->buf, 32, seed);
		if (!ret)
			ret = post_recv(&tc->s, treq_of(&e), KFI_IOV_KVEC);
	}
	return ret;
}

/*
 * The server grants T_CREDITS receives at accept and posts nothing more:
 * the client may send exactly T_CREDITS less the provider's reserve (the
 * credits kept for its own updates), then gets -EAGAIN.  Once the server has
 * posted the receives again, the grants come back and the client sends
 * another window, after which -EAGAIN comes again.
 */
static int credit_exhaustion(void)
{
	struct topts o = { .depth = 16, .prepost = prepost_credit };
	struct treq *sr = treq_alloc(32);
	struct kfi_cq_entry e;
	struct tconn tc = {};
	int ret = -ENOMEM, i, round, win = 0;

	credit_reqs = treqs_alloc(T_CREDITS, 32);
	if (!credit_reqs || !sr)
		goto out;
	fill(sr->buf, 32, 5);
	ret = conn_open(&tc, &o);
	if (!ret)
		win = T_CREDITS - tc.c.ep->credits.reserve;
	for (round = 0; !ret && round < 2; round++) {
		for (i = 0; !ret && i < win; i++) {
			/* The first round has its credits from the accept. */
			ret = round ? post_send(&tc.c, sr, KFI_IOV_KVEC, 0, 0) :
				      post_send_once(&tc.c, sr, KFI_IOV_KVEC,
						     0, 0);
			if (!ret)
				ret = wait_ok(&tc.c, &e);
		}
		/* The window is used up: nothing can add a credit now. */
		if (!ret && post_send_once(&tc.c, sr, KFI_IOV_KVEC, 0, 0) !=
		    -EAGAIN) {
			pr_info("    # round %d: send %d not refused\n", round,
				T_CREDITS);
			ret = -EPROTO;
		}
		if (!ret && kfi_ep_credits(tc.c.ep) != tc.c.ep->credits.reserve)
			ret = -EPROTO;
		if (!ret)
			ret = credit_drain(&tc, win, 5);
	}
out:
	conn_close(&tc);
	treqs_free(credit_reqs, T_CREDITS);
	credit_reqs = NULL;
	treq_free(sr);
	return ret;
}

/* One-way traffic far beyond the window: explicit updates must flow. */
static int credit_one_way(void)
{
	struct topts o = { .depth = 16, .prepost = prepost_credit };
	struct treq *sr = treq_alloc(32);
	struct kfi_cq_entry e;
	struct tconn tc = {};
	int ret = -ENOMEM, i;

	credit_reqs = treqs_alloc(T_CREDITS, 32);
	if (!credit_reqs || !sr)
		goto out;
	ret = conn_open(&tc, &o);
	for (i = 0; !ret && i < 20 * T_CREDITS; i++) {
		fill(sr->buf, 32, i);
		ret = post_send(&tc.c, sr, KFI_IOV_KVEC, 0, 0);
		if (!ret)
			ret = wait_ok(&tc.c, &e);
		if (!ret)
			ret = credit_drain(&tc, 1, i);
	}
	if (ret)
		pr_info("    # message %d: %d\n", i, ret);
out:
	conn_close(&tc);
	treqs_free(credit_reqs, T_CREDITS);
	credit_reqs = NULL;
	treq_free(sr);
	return ret;
}

/*
 * 1024-deep queues on direct CQs, where nothing is reported unless
 * polled: the 1025th receive is refused with -EAGAIN, and so is the
 * 1025th RMA write, unless the provider completed some meanwhile (then
 * one more for each); then 1023 sends (the whole window) go through and
 * are checked.
 */
#define T_DEPTH		1024

/*
 * Post RMA writes until one is refused; return how many went, or a
 * negative errno.  A provider that completes them on its own (kfi_tcp's
 * worker frees a write's slot when the peer acknowledges it, polled or
 * not) may take one more for each it has handed its CQ by then.
 */
static int depth_fill(struct tconn *tc, struct tmr *m, struct kfi_context *ctx,
		      struct kvec *kv, struct treq *src)
{
	struct kfi_rma_iov rma = { .len = 4, .key = m->mr->key };
	struct kfi_msg_rma msg = { .rma_iov = &rma, .rma_iov_count = 1 };
	u64 before = kfi_stats_read(tc->c.cq->stats, KFI_STAT_POSTED);
	u64 done;
	int i, ret = 0;

	for (i = 0; !ret && i < 2 * T_DEPTH; i++) {
		struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv[i], 1);

		kv[i].iov_base = src->buf + 4 * (i % T_DEPTH);
		kv[i].iov_len = 4;
		msg.iov = iov;
		msg.context = &ctx[i];
		rma.addr = m->mr->iova + 4 * (i % T_DEPTH);
		ret = kfi_writemsg(tc->c.ep, &msg, 0);
	}
	/* A slot freed just before the refusal is reported just after. */
	msleep(20);
	done = kfi_stats_read(tc->c.cq->stats, KFI_STAT_POSTED) - before;
	i--;
	pr_info("    # writes taken: %d, completed meanwhile: %llu\n", i, done);
	if (ret != -EAGAIN)
		return ret ?: -EPROTO;
	return i >= T_DEPTH && i <= T_DEPTH + done ? i : -EPROTO;
}

static int depth_writes(struct tconn *tc, struct tmr *m)
{
	struct kfi_context *ctx = kcalloc(2 * T_DEPTH, sizeof(*ctx),
					  GFP_KERNEL);
	struct kvec *kv = kcalloc(2 * T_DEPTH, sizeof(*kv), GFP_KERNEL);
	struct treq *src = treq_alloc(PAGE_SIZE);
	struct kfi_cq_entry e;
	int i, n, ret = -ENOMEM;

	BUILD_BUG_ON(T_DEPTH * 4 > PAGE_SIZE);
	if (!ctx || !kv || !src)
		goto out;
	fill(src->buf, PAGE_SIZE, 11);
	memset(m->r->buf, 0, PAGE_SIZE);
	n = depth_fill(tc, m, ctx, kv, src);
	ret = min(n, 0);
	for (i = 0; !ret && i < n; i++) {
		ret = wait_ok(&tc->c, &e);
		if (!ret && e.op_context != &ctx[i])
			ret = -EPROTO;
	}
	if (!ret)
		ret = check(m->r->buf, PAGE_SIZE, 11);
out:
	if (ret)
		t_failed = true;
	kfree(ctx);
	kfree(kv);
	treq_free(src);
	return ret;
}

static int queue_depth_large(void)
{
	struct topts o = { .depth = T_DEPTH, .poll = KFI_POLL_DIRECT,
			   .prepost = prepost_spare };
	struct treq **rr, *sr = treq_alloc(64), *got;
	struct kfi_cq_entry e;
	struct tconn tc = {};
	struct tmr m = {};
	int ret = -ENOMEM, i;

	rr = treqs_alloc(T_DEPTH, 64);
	if (!rr || !sr)
		goto out;
	fill(sr->buf, 64, 9);
	ret = conn_open(&tc, &o);
	if (!ret)
		ret = tmr_map(&tc, &m, PAGE_SIZE);
	/* The spare and T_DEPTH - 1 more fill the receive queue. */
	if (!ret)
		ret = post_n(&tc.s, rr, T_DEPTH - 1);
	if (!ret && post_recv(&tc.s, rr[T_DEPTH - 1], KFI_IOV_KVEC) != -EAGAIN)
		ret = -EPROTO;
	if (!ret)
		ret = depth_writes(&tc, &m);
	/* The whole window: every receive but one is granted and used. */
	for (i = 0; !ret && i < T_DEPTH - 1; i++)
		ret = post_send(&tc.c, sr, KFI_IOV_KVEC, 0, 0);
	for (i = 0; !ret && i < T_DEPTH - 1; i++)
		ret = wait_ok(&tc.c, &e);
	for (i = 0; !ret && i < T_DEPTH - 1; i++) {
		ret = wait_ok(&tc.s, &e);
		got = ret ? NULL : treq_of(&e);
		if (got && got != tc.s.spare)
			ret = e.len == 64 ? check(got->buf, 64, 9) : -EPROTO;
	}
	if (ret) {
		pr_info("    # %d: %d\n", i, ret);
		t_failed = true;
	}
out:
	tmr_conn_close(&tc, &m);
	treqs_free(rr, T_DEPTH);
	treq_free(sr);
	return ret;
}

/*
 * A fast-registered MR works (a write lands), then is invalidated by the
 * peer's send with invalidate (@remote) or locally; an RMA write to the
 * dead key then fails with an error completion.
 */
static int invalidate_common(bool remote)
{
	struct treq *rr = treq_alloc(16), *sr = treq_alloc(16);
	struct kfi_context ictx = {};
	struct kfi_cq_entry e;
	struct tconn tc = {};
	struct tmr m = {};
	u64 key;
	int ret = -ENOMEM;

	if (!kp->invalidate) {
		treq_free(rr);
		treq_free(sr);
		return kt_skip("the provider has no invalidation");
	}
	if (!rr || !sr)
		goto out;
	ret = conn_open(&tc, &def_opts);
	if (!ret)
		ret = tmr_map(&tc, &m, PAGE_SIZE);
	if (ret)
		goto out;
	key = m.mr->key;
	fill(sr->buf, 16, 77);
	memset(m.r->buf, 0, 16);
	ret = post_rma(&tc.c, sr, KFI_IOV_KVEC, true, m.mr->iova, key, 0, 0);
	if (!ret)
		ret = wait_ok(&tc.c, &e);
	if (!ret)
		ret = check(m.r->buf, 16, 77);
	if (ret)
		goto out;
	if (remote) {
		ret = post_recv(&tc.s, rr, KFI_IOV_KVEC);
		if (!ret)
			ret = post_send(&tc.c, sr, KFI_IOV_KVEC, KFI_INVALIDATE,
					key);
		if (!ret)
			ret = wait_ok(&tc.c, &e);
		if (!ret)
			ret = wait_ok(&tc.s, &e);
		if (!ret && (!(e.flags & KFI_MR_INVALIDATED) ||
			     e.inv_key != key))
			ret = -EPROTO;
	} else {
		ret = kfi_mr_unmap(tc.s.ep, m.mr, &ictx);
		if (!ret)
			ret = wait_ok(&tc.s, &e);
		if (!ret && (e.op_context != &ictx || !(e.flags & KFI_MR_OP)))
			ret = -EPROTO;
	}
	if (!ret && READ_ONCE(m.mr->mapped))
		ret = -EPROTO;
	if (ret)
		goto out;
	ret = post_rma(&tc.c, sr, KFI_IOV_KVEC, true, m.mr->iova, key, 0, 0);
	if (!ret)
		ret = wait_cq(&tc.c, &e);
	if (!ret) {
		pr_info("    # write after invalidation: %d (status %llu)\n",
			e.err, (unsigned long long)e.prov_errno);
		/*
		 * A remote access error (-EACCES), not a flush or a broken
		 * connection that would fail any write.
		 */
		if (e.op_context != &sr->kctx || e.err != -EACCES)
			ret = -EPROTO;
	}
out:
	tmr_conn_close(&tc, &m);
	treq_free(rr);
	treq_free(sr);
	return ret;
}

static int send_with_invalidate(void)
{
	return invalidate_common(true);
}

static int local_invalidate(void)
{
	return invalidate_common(false);
}

/*
 * Ping-pong driven from softirq: a timer posts the first send, each send
 * completion (softirq CQ handler) posts the next; the server's handler
 * checks each message and posts its receive again.  A send that finds no
 * credit is posted again from the endpoint's credit_ready callback.
 */
#define T_SIRQ_MSGS	200

static struct tside *sirq_client;
static struct treq *sirq_req, **sirq_rr;
static atomic_t sirq_sent, sirq_got, sirq_bad, sirq_want, sirq_ctx_bad;
static DECLARE_COMPLETION(sirq_done);
static struct timer_list sirq_timer;

static void sirq_fail(void)
{
	atomic_inc(&sirq_bad);
	complete(&sirq_done);
}

/*
 * Post the next message if one is wanted: from softirq (the timer, the
 * CQ handler) or from credit_ready, which runs in the provider's
 * completion context (softirq for verbs, the connection's work item for
 * tcp).
 */
static void sirq_next(void)
{
	struct kfid_ep *ep = sirq_client->ep;
	int ret;

	while (atomic_xchg(&sirq_want, 0)) {
		fill(sirq_req->buf, 64, atomic_read(&sirq_sent));
		ret = post_send_once(sirq_client, sirq_req, KFI_IOV_KVEC, 0,
				     0);
		if (!ret)
			return;
		if (ret != -EAGAIN) {
			sirq_fail();
			return;
		}
		/*
		 * No credit: credit_ready will run when some arrive, unless
		 * they came before we said we want one; look again.
		 */
		atomic_set(&sirq_want, 1);
		if (kfi_ep_credits(ep) <= ep->credits.reserve)
			return;
	}
}

static void sirq_credit_ready(struct kfid_ep *ep)
{
	sirq_next();
}

static void sirq_handler(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			 void *arg)
{
	struct tside *s = arg;

	if (!in_softirq())
		atomic_inc(&sirq_ctx_bad);
	if (e->err) {
		/* Flushes at close are expected once the test is over. */
		if (atomic_read(&sirq_got) < T_SIRQ_MSGS)
			sirq_fail();
		return;
	}
	if (e->flags & KFI_RECV) {
		if (e->len != 64 ||
		    check(treq_of(e)->buf, 64, atomic_read(&sirq_got)))
			sirq_fail();
		if (atomic_inc_return(&sirq_got) == T_SIRQ_MSGS) {
			complete(&sirq_done);
			return;
		}
		if (post_recv(s, treq_of(e), KFI_IOV_KVEC))
			sirq_fail();
		return;
	}
	if (atomic_inc_return(&sirq_sent) < T_SIRQ_MSGS) {
		atomic_set(&sirq_want, 1);
		sirq_next();
	}
}

static int prepost_sirq(struct tside *s, bool server)
{
	/* Four receives at the server, one (for updates) at the client. */
	return server ? post_n(s, sirq_rr, 4) : post_n(s, sirq_rr + 4, 1);
}

static void sirq_timer_fn(struct timer_list *t)
{
	if (!in_softirq())
		atomic_inc(&sirq_ctx_bad);
	atomic_set(&sirq_want, 1);
	sirq_next();
}

static int post_from_softirq(void)
{
	struct topts o = { .depth = 8, .poll = KFI_POLL_SOFTIRQ,
			   .cq_handler = sirq_handler,
			   .prepost = prepost_sirq };
	struct tconn tc = {};
	int ret = -ENOMEM;

	sirq_rr = treqs_alloc(5, 64);
	sirq_req = treq_alloc(64);
	if (!sirq_rr || !sirq_req)
		goto out;
	atomic_set(&sirq_sent, 0);
	atomic_set(&sirq_got, 0);
	atomic_set(&sirq_bad, 0);
	atomic_set(&sirq_ctx_bad, 0);
	atomic_set(&sirq_want, 0);
	reinit_completion(&sirq_done);
	ret = conn_open(&tc, &o);
	if (ret)
		goto out;
	sirq_client = &tc.c;
	tc.c.ep->credit_ready = sirq_credit_ready;
	timer_setup(&sirq_timer, sirq_timer_fn, 0);
	mod_timer(&sirq_timer, jiffies + 1);
	if (!wait_for_completion_timeout(&sirq_done,
					 msecs_to_jiffies(3 * T_TIMEOUT_MS)))
		ret = -ETIMEDOUT;
	timer_delete_sync(&sirq_timer);
	if (!ret && (atomic_read(&sirq_bad) || atomic_read(&sirq_ctx_bad) ||
		     atomic_read(&sirq_got) != T_SIRQ_MSGS))
		ret = -EPROTO;
	if (ret)
		pr_info("    # sent %d got %d bad %d ctx %d\n",
			atomic_read(&sirq_sent), atomic_read(&sirq_got),
			atomic_read(&sirq_bad), atomic_read(&sirq_ctx_bad));
out:
	conn_close(&tc);
	treqs_free(sirq_rr, 5);
	treq_free(sirq_req);
	sirq_rr = NULL;
	sirq_req = NULL;
	return ret;
}

#define T_CYCLES	100

static int connect_cycles_no_leak(void)
{
	struct tres before, after;
	int i, ret;

	ret = kp->res_count(&before);
	for (i = 0; !ret && i < T_CYCLES; i++) {
		struct tconn tc = {};
		struct tmr m = {};

		ret = conn_open(&tc, &def_opts);
		if (!ret)
			ret = tmr_map(&tc, &m, PAGE_SIZE);
		if (!ret)
			ret = xfer_one(&tc, 128, i % 3, 0, 0);
		side_close(&tc.c);
		side_close(&tc.s);
		tmr_free(&m);
		conn_close(&tc);
	}
	if (ret) {
		pr_info("    # cycle %d: %d\n", i, ret);
		return ret;
	}
	ret = kp->res_count(&after);
	if (ret)
		return ret;
	pr_info("    # qp %d/%d mr %d/%d cq %d/%d pd %d/%d objects %d/%d\n",
		before.qp, after.qp, before.mr, after.mr, before.cq, after.cq,
		before.pd, after.pd, before.live, after.live);
	KT_EXPECT(!memcmp(&before, &after, sizeof(before)));
	return 0;
}

/*
 * Closing endpoints with operations in flight: every operation posted on
 * an endpoint is delivered exactly once before kfi_close() of that
 * endpoint returns (flushed with an error or completed), never after, and
 * nothing of the device or the provider is left once all is closed.
 */
static int inflight_cycles = 1000;
module_param(inflight_cycles, int, 0444);
MODULE_PARM_DESC(inflight_cycles, "connections close_inflight_many closes");

#define FL_DEPTH	16
#define FL_REQS		48
#define FL_BUF		(16 * 4096)

struct tfl;

struct tfl_req {
	struct kfi_context kctx;
	struct tfl *fl;
	bool done;
};

/* One side's operations in one cycle. */
struct tfl {
	struct tfl_req req[FL_REQS];
	int posted;
	atomic_t delivered;
	atomic_t twice;		/* delivered more than once */
	atomic_t late;		/* delivered after its endpoint's close */
	bool closed;
	u8 *buf;
};

static struct tfl *fl_side[2];

static void tfl_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct tfl_req *r = container_of(e->op_context, struct tfl_req, kctx);
	struct tfl *fl = r->fl;

	if (READ_ONCE(fl->closed))
		atomic_inc(&fl->late);
	if (r->done)
		atomic_inc(&fl->twice);
	r->done = true;
	atomic_inc(&fl->delivered);
}

static struct tfl_req *tfl_next(struct tfl *fl)
{
	struct tfl_req *r;

	if (fl->posted == FL_REQS)
		return NULL;
	r = &fl->req[fl->posted];
	r->kctx.done = tfl_done;
	r->fl = fl;
	r->done = false;
	return r;
}

static void *tfl_buf(struct tfl *fl)
{
	return fl->buf + (fl->posted % 16) * 4096;
}

/* Post up to @n of what @post accepts, until a queue or the credits run out. */
static int tfl_fill(struct tside *s, struct tfl *fl, int n,
		    int (*post)(struct tside *s, struct tfl *fl,
				struct tfl_req *r, void *arg), void *arg)
{
	struct tfl_req *r;
	int ret;

	while (n-- && (r = tfl_next(fl))) {
		ret = post(s, fl, r, arg);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return ret;
		fl->posted++;
	}
	return 0;
}

static int tfl_recv(struct tside *s, struct tfl *fl, struct tfl_req *r,
		    void *arg)
{
	return kfi_recv(s->ep, tfl_buf(fl), 4096, NULL, &r->kctx);
}

static int tfl_send(struct tside *s, struct tfl *fl, struct tfl_req *r,
		    void *arg)
{
	return kfi_send(s->ep, tfl_buf(fl), 512, NULL, &r->kctx);
}

static int tfl_rma(struct tside *s, struct tfl *fl, struct tfl_req *r,
		   void *arg)
{
	struct kfid_mr *mr = arg;

	if (fl->posted & 1)
		return kfi_read(s->ep, tfl_buf(fl), 512, NULL, mr->iova,
				mr->key, &r->kctx);
	return kfi_write(s->ep, tfl_buf(fl), 512, NULL, mr->iova, mr->key,
			 &r->kctx);
}

static void tfl_reset(struct tfl *fl)
{
	fl->posted = 0;
	atomic_set(&fl->delivered, 0);
	fl->closed = false;
}

/* Close @s's endpoint; everything it posted must be back by now. */
static int tfl_close(struct tside *s, struct tfl *fl)
{
	int delivered;

	kfi_close(&s->ep->fid);
	s->ep = NULL;
	delivered = atomic_read(&fl->delivered);
	WRITE_ONCE(fl->closed, true);
	if (delivered == fl->posted)
		return 0;
	pr_info("    # %d of %d operations delivered at close\n", delivered,
		fl->posted);
	return -EPROTO;
}

static int tfl_prepost(struct tside *s, bool server)
{
	struct tfl *fl = fl_side[server];

	/*
	 * A spare, then receives, leaving one slot for the key message's
	 * receive (tmr_map()).
	 */
	return prepost_spare(s, server) ?:
	       tfl_fill(s, fl, FL_DEPTH - 2, tfl_recv, NULL);
}

static int inflight_one(struct tconn *tc, int i)
{
	static const enum kfi_poll_ctx polls[] = {
		KFI_POLL_SOFTIRQ, KFI_POLL_WORKQUEUE, KFI_POLL_DIRECT };
	struct topts o = { .depth = FL_DEPTH, .poll = polls[i % 3],
			   .prepost = tfl_prepost };
	struct tfl *cl = fl_side[0], *sv = fl_side[1];
	struct tmr m = {};
	int ret;

	tfl_reset(cl);
	tfl_reset(sv);
	ret = conn_pair(tc, &o);
	STEP(ret, tmr_map(tc, &m, PAGE_SIZE));
	STEP(ret, tfl_fill(&tc->c, cl, FL_REQS, tfl_send, NULL));
	STEP(ret, tfl_fill(&tc->c, cl, FL_REQS, tfl_rma, m.mr));
	/* Either side may go first: the other then sees its peer vanish. */
	if (!ret && tc->c.ep && tc->s.ep) {
		ret = tfl_close(i & 1 ? &tc->s : &tc->c, i & 1 ? sv : cl);
		STEP(ret, tfl_close(i & 1 ? &tc->c : &tc->s, i & 1 ? cl : sv));
	}
	side_close(&tc->c);
	side_close(&tc->s);
	tmr_free(&m);
	return ret;
}

static int close_inflight_many(void)
{
	struct tres before, after;
	struct tconn tc = {};
	int i, ret;

	fl_side[0] = kzalloc(sizeof(*fl_side[0]), GFP_KERNEL);
	fl_side[1] = kzalloc(sizeof(*fl_side[1]), GFP_KERNEL);
	ret = fl_side[0] && fl_side[1] ? 0 : -ENOMEM;
	for (i = 0; !ret && i < 2; i++) {
		fl_side[i]->buf = kzalloc(FL_BUF, GFP_KERNEL);
		ret = fl_side[i]->buf ? 0 : -ENOMEM;
	}
	STEP(ret, kp->res_count(&before));
	STEP(ret, conn_listen(&tc));
	for (i = 0; !ret && i < inflight_cycles; i++)
		ret = inflight_one(&tc, i);
	conn_close(&tc);
	if (ret)
		pr_info("    # cycle %d: %d\n", i - 1, ret);
	STEP(ret, kp->res_count(&after));
	for (i = 0; !ret && i < 2; i++) {
		KT_EXPECT_EQ(atomic_read(&fl_side[i]->twice), 0);
		KT_EXPECT_EQ(atomic_read(&fl_side[i]->late), 0);
	}
	if (!ret) {
		pr_info("    # %d cycles; qp %d/%d mr %d/%d cq %d/%d pd %d/%d objects %d/%d\n",
			inflight_cycles, before.qp, after.qp, before.mr,
			after.mr, before.cq, after.cq, before.pd, after.pd,
			before.live, after.live);
		KT_EXPECT(!memcmp(&before, &after, sizeof(before)));
	}
	/* A failed cycle may leave operations posted: leak, never free. */
	for (i = 0; !ret && i < 2; i++) {
		kfree(fl_side[i]->buf);
		kfree(fl_side[i]);
	}
	return ret;
}

/* getname/getpeer, the room left in each queue and the provider's text. */
static int addr_and_room(void)
{
	struct sockaddr_in sin = {}, peer = {}, lis = {};
	size_t len = sizeof(sin), plen = sizeof(peer), llen = 4;
	struct treq *rr = treq_alloc(64);
	struct tconn tc = {};
	int ret;

	ret = rr ? conn_open(&tc, &def_opts) : -ENOMEM;
	STEP(ret, kfi_getname(&tc.c.ep->fid, &sin, &len));
	STEP(ret, kfi_getpeer(tc.c.ep, &peer, &plen));
	if (!ret && kfi_getname(&tc.pep->fid, &lis, &llen) != -ETOOSMALL)
		ret = -EPROTO;
	STEP(ret, kfi_getname(&tc.pep->fid, &lis, &llen));
	if (!ret && (len != sizeof(sin) || sin.sin_family != AF_INET ||
		     sin.sin_addr.s_addr != in_aton(ipaddr) || !sin.sin_port ||
		     ntohs(peer.sin_port) != tc.port ||
		     ntohs(lis.sin_port) != tc.port || llen != sizeof(lis)))
		ret = -EPROTO;
	/* The spare is posted: one receive less; the send queue is empty. */
	if (!ret && (kfi_tx_size_left(tc.c.ep) != def_opts.depth ||
		     kfi_rx_size_left(tc.c.ep) != def_opts.depth - 1))
		ret = -EPROTO;
	STEP(ret, post_recv(&tc.c, rr, KFI_IOV_KVEC));
	if (!ret && kfi_rx_size_left(tc.c.ep) != def_opts.depth - 2)
		ret = -EPROTO;
	if (!ret)
		ret = kp->strerror_ok(tc.c.cq);
	if (!ret && strcmp(kfi_strerror(NULL, 0), "unknown"))
		ret = -EPROTO;
	if (ret)
		pr_info("    # local %pISpc peer %pISpc listener %pISpc: %d\n",
			&sin, &peer, &lis, ret);
	conn_close(&tc);
	treq_free(rr);
	return ret;
}

/*
 * KFI_EP_NO_CREDITS: the client sends past its credits (the server has one
 * receive to spare); the send the server has no receive for waits in the
 * transport until the server posts one, and nothing is lost.
 */
static int credits_off(void)
{
	struct topts o = { .depth = 8, .prepost = prepost_spare };
	struct treq *sr = treq_alloc(32), *rr = treq_alloc(64);
	struct kfi_cq_entry e;
	struct tconn tc = {};
	int ret, i;

	ret = sr && rr ? conn_listen(&tc) : -ENOMEM;
	if (!ret)
		tc.info->ep_attr.flags = KFI_EP_NO_CREDITS;
	STEP(ret, conn_pair(&tc, &o));
	if (!ret && kfi_ep_credits(tc.c.ep) != -1)
		ret = -EPROTO;
	if (!ret)
		fill(sr->buf, 32, 5);
	/* The server has only its spare: with credits, the first is -EAGAIN. */
	for (i = 0; !ret && i < 2; i++)
		ret = post_send_once(&tc.c, sr, KFI_IOV_KVEC, 0, 0);
	STEP(ret, post_recv(&tc.s, rr, KFI_IOV_KVEC));
	for (i = 0; !ret && i < 2; i++)
		ret = wait_ok(&tc.c, &e);
	for (i = 0; !ret && i < 2; i++) {
		ret = wait_ok(&tc.s, &e);
		if (!ret && e.len != 32)
			ret = -EPROTO;
		if (!ret)
			ret = check(treq_of(&e)->buf, 32, 5);
	}
	if (ret)
		t_failed = true;
	conn_close(&tc);
	treq_free(sr);
	treq_free(rr);
	return ret;
}

static int poll_direct(void)
{
	struct topts o = { .depth = 8, .poll = KFI_POLL_DIRECT,
			   .prepost = prepost_spare };
	struct tconn tc = {};
	int ret, f;

	ret = conn_open(&tc, &o);
	for (f = KFI_IOV_KVEC; !ret && f <= KFI_IOV_SGL; f++)
		ret = xfer_one(&tc, 8192, f, 0, 0);
	conn_close(&tc);
	return ret;
}

static int poll_workqueue(void)
{
	struct topts o = { .depth = 8, .poll = KFI_POLL_WORKQUEUE,
			   .prepost = prepost_spare };
	struct tconn tc = {};
	int ret, f;

	ret = conn_open(&tc, &o);
	for (f = KFI_IOV_KVEC; !ret && f <= KFI_IOV_SGL; f++)
		ret = xfer_one(&tc, 8192, f, 0, 0);
	conn_close(&tc);
	return ret;
}

/* The client disconnects: the server sees KFI_SHUTDOWN, its receive flushes. */
static int peer_disconnect(void)
{
	struct treq *rr = treq_alloc(16);
	struct kfi_cq_entry e;
	struct tconn tc = {};
	int ret, n = 0;

	ret = rr ? conn_open(&tc, &def_opts) : -ENOMEM;
	if (!ret)
		ret = post_recv(&tc.s, rr, KFI_IOV_KVEC);
	if (!ret)
		ret = kfi_shutdown(tc.c.ep, 0);
	if (!ret)
		ret = wait_ev(tc.s.eq, KFI_SHUTDOWN, &tc.ev);
	/* Both of the server's receives (spare and rr) flush. */
	while (!ret && n < 2) {
		ret = wait_cq(&tc.s, &e);
		if (!ret && e.err != -ECANCELED)
			ret = -EPROTO;
		n++;
	}
	if (!ret && kfi_send(tc.s.ep, rr->buf, 16, NULL, &rr->kctx) !=
	    -ENOTCONN)
		ret = -EPROTO;
	conn_close(&tc);
	treq_free(rr);
	return ret;
}

/*
 * KFI_SELECTIVE_COMPLETION: three queues' worth of sends and injects
 * posted without KFI_COMPLETION go through a queue of 8 (the provider
 * signals one in each half queue, whose completion hands back the slots
 * before it), report nothing, and the send asked to complete is the first
 * completion the client sees; after it the whole queue is free again.  A
 * failed RMA write reports without being asked.
 */
static int selective_completion(void)
{
	struct topts o = { .depth = 8, .prepost = prepost_spare,
			   .cq_bind = KFI_SELECTIVE_COMPLETION };
	struct treq *sr = treq_alloc(32), *rr = treq_alloc(64);
	struct treq *mark = treq_alloc(32);
	struct kfi_cq_entry e;
	struct tconn tc = {};
	int ret, i;

	ret = sr && rr && mark ? conn_open(&tc, &o) : -ENOMEM;
	STEP(ret, post_recv(&tc.s, rr, KFI_IOV_KVEC));
	for (i = 0; !ret && i <= 3 * o.depth; i++) {
		struct treq *s = i == 3 * o.depth ? mark : sr;
		u64 flags = i & 1 ? KFI_INJECT : 0;

		if (s == mark)
			flags = KFI_COMPLETION;
		fill(s->buf, 32, i);
		STEP(ret, post_send(&tc.c, s, KFI_IOV_KVEC, flags, 0));
		STEP(ret, wait_ok(&tc.s, &e));
		if (!ret && e.len != 32)
			ret = -EPROTO;
		STEP(ret, check(treq_of(&e)->buf, 32, i));
		STEP(ret, post_recv(&tc.s, treq_of(&e), KFI_IOV_KVEC));
	}
	STEP(ret, wait_ok(&tc.c, &e));
	if (!ret && (e.op_context != &mark->kctx ||
		     kfi_tx_size_left(tc.c.ep) != o.depth))
		ret = -EPROTO;
	STEP(ret, post_rma(&tc.c, sr, KFI_IOV_KVEC, true, 4096, 0x5a5a00, 0,
			   0));
	STEP(ret, wait_cq(&tc.c, &e));
	if (!ret && (e.op_context != &sr->kctx || !e.err))
		ret = -EPROTO;
	if (ret) {
		pr_info("    # message %d: %d\n", i, ret);
		t_failed = true;
	}
	conn_close(&tc);
	treq_free(sr);
	treq_free(rr);
	treq_free(mark);
	return ret;
}

#define T_ORDER_WRITES	8

/* kfi_getinfo() for this provider with @order in the hints. */
static int getinfo_order(u64 order)
{
	struct kfi_info *hints = kfi_allocinfo(), *fi = NULL;
	int ret;

	if (!hints)
		return -ENOMEM;
	strscpy(hints->fabric_attr.prov_name, kp->name, KFI_NAME_MAX);
	hints->tx_attr.comp_order = order;
	ret = kfi_getinfo(KFI_VERSION(1, 0), ipaddr, NULL, KFI_SOURCE, hints,
			  &fi);
	kfi_freeinfo(fi);
	kfi_freeinfo(hints);
	return ret;
}

/*
 * tx_attr.comp_order.  The provider promises KFI_ORDER_STRICT exactly
 * when it should, and a hint asking for it finds the provider exactly
 * then.  Where promised: eight RMA writes, each an eighth of the server's
 * region, go out without KFI_COMPLETION, then a send asked to complete;
 * once its completion is read, every byte of the writes is in the
 * server's memory, though none of them reported.
 */
static int comp_order(void)
{
	struct topts o = { .depth = 16, .prepost = prepost_spare,
			   .cq_bind = KFI_SELECTIVE_COMPLETION };
	const u32 slice = T_MAX_LEN / T_ORDER_WRITES;
	struct treq *src = treq_alloc(slice), *mark = treq_alloc(16);
	struct treq *rr = treq_alloc(64);
	struct kfi_cq_entry e;
	struct tconn tc = {};
	struct tmr m = {};
	int ret, i;

	ret = src && mark && rr ? conn_open(&tc, &o) : -ENOMEM;
	if (!ret && !!(tc.info->tx_attr.comp_order & KFI_ORDER_STRICT) !=
		    kp->ordered)
		ret = -EPROTO;
	if (!ret && getinfo_order(KFI_ORDER_STRICT) !=
		    (kp->ordered ? 0 : -ENODATA))
		ret = -EPROTO;
	if (ret || !kp->ordered)
		goto out;
	ret = tmr_map(&tc, &m, T_MAX_LEN);
	if (!ret) {
		fill(src->buf, slice, 5);
		memset(m.r->buf, 0, T_MAX_LEN);
	}
	STEP(ret, post_recv(&tc.s, rr, KFI_IOV_KVEC));
	for (i = 0; !ret && i < T_ORDER_WRITES; i++)
		ret = post_rma(&tc.c, src, KFI_IOV_KVEC, true,
			       m.mr->iova + i * slice, m.mr->key, 0, 0);
	STEP(ret, post_send(&tc.c, mark, KFI_IOV_KVEC, KFI_COMPLETION, 0));
	STEP(ret, wait_ok(&tc.c, &e));
	if (!ret && e.op_context != &mark->kctx)
		ret = -EPROTO;
	for (i = 0; !ret && i < T_ORDER_WRITES; i++)
		ret = check(m.r->buf + i * slice, slice, 5);
out:
	if (ret) {
		pr_info("    # %s: %d\n", __func__, ret);
		t_failed = true;
	}
	tmr_conn_close(&tc, &m);
	treq_free(src);
	treq_free(mark);
	treq_free(rr);
	return ret;
}

#define T_MORE		4

static struct treq **more_reqs;

/* The server posts two batches' worth of receives, the client its spare. */
static int prepost_more(struct tside *s, bool server)
{
	return server ? post_n(s, more_reqs, 2 * T_MORE) :
			prepost_spare(s, false);
}

/* Wait (bounded) until @s may send @n messages without -EAGAIN. */
static int wait_credits(struct tside *s, int n)
{
	unsigned long end = t_deadline();

	while (kfi_ep_credits(s->ep) - (int)s->ep->credits.reserve < n) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		kick(s);
		usleep_range(200, 500);
	}
	return 0;
}

/* Post one batch of T_MORE sends, all but the last with KFI_MORE. */
static int more_batch(struct tconn *tc, struct treq **sr, int batch,
		      bool refuse_last)
{
	int i, ret = wait_credits(&tc->c, T_MORE);

	for (i = 0; !ret && i < T_MORE; i++) {
		bool last = i == T_MORE - 1 && !refuse_last;

		fill(sr[i]->buf, 32, 10 * batch + i);
		ret = post_send_once(&tc->c, sr[i], KFI_IOV_KVEC,
				     last ? 0 : KFI_MORE, 0);
		/* Deferred: nothing reached the device yet. */
		if (!ret && !last && kp->deferred(tc->c.ep) != i + 1)
			ret = -EPROTO;
	}
	/* A post refused by the core rings the doorbell all the same. */
	if (!ret && refuse_last &&
	    post_send_once(&tc->c, sr[0], KFI_IOV_KVEC, BIT_ULL(63), 0) !=
	    -EINVAL)
		ret = -EPROTO;
	if (!ret && kp->deferred(tc->c.ep))
		ret = -EPROTO;
	return ret;
}

/* The batch arrives whole and in order; the server posts its receives again. */
static int more_check(struct tconn *tc, struct treq **sr, int batch)
{
	struct kfi_cq_entry e;
	int i, ret = 0;

	for (i = 0; !ret && i < T_MORE; i++) {
		STEP(ret, wait_ok(&tc->s, &e));
		if (!ret && e.len != 32)
			ret = -EPROTO;
		STEP(ret, check(treq_of(&e)->buf, 32, 10 * batch + i));
		STEP(ret, post_recv(&tc->s, treq_of(&e), KFI_IOV_KVEC));
	}
	for (i = 0; !ret && i < T_MORE; i++) {
		STEP(ret, wait_ok(&tc->c, &e));
		if (!ret && e.op_context != &sr[i]->kctx)
			ret = -EPROTO;
	}
	return ret;
}

/*
 * KFI_MORE defers the doorbell: sends posted with it wait in their slots
 * until the next post without it, then all reach the peer, in order.  A
 * batch whose closing post is refused is not stranded.
 */
static int more_defers_doorbell(void)
{
	struct topts o = { .depth = 16, .prepost = prepost_more };
	struct treq **sr = treqs_alloc(T_MORE, 32);
	struct tconn tc = {};
	int ret = -ENOMEM;

	more_reqs = treqs_alloc(2 * T_MORE, 32);
	if (!more_reqs || !sr)
		goto out;
	ret = conn_open(&tc, &o);
	STEP(ret, more_batch(&tc, sr, 0, false));
	STEP(ret, more_check(&tc, sr, 0));
	STEP(ret, more_batch(&tc, sr, 1, true));
	STEP(ret, more_check(&tc, sr, 1));
	if (ret)
		t_failed = true;
out:
	conn_close(&tc);
	treqs_free(more_reqs, 2 * T_MORE);
	more_reqs = NULL;
	treqs_free(sr, T_MORE);
	return ret;
}

#define T_XFER_PAGES	16

/* One transfer of @lr's pages in @form (16 entries); one completion. */
static int rma_xfer_one(struct tconn *tc, struct tmr *m, struct treq *lr,
			enum kfi_iov_type form, u64 flags)
{
	struct bio_vec bv[T_XFER_PAGES];
	struct scatterlist sg[T_XFER_PAGES];
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_BVEC, bvec, bv,
					  T_XFER_PAGES);
	u64 before = kfi_stats_read(tc->c.ep->stats, KFI_STAT_POSTED);
	struct kfi_rma_xfer x;
	struct kfi_cq_entry e;
	int i, ret;

	sg_init_table(sg, T_XFER_PAGES);
	for (i = 0; i < T_XFER_PAGES; i++) {
		void *p = lr->buf + i * PAGE_SIZE;

		bv[i] = (struct bio_vec){ .bv_page = virt_to_page(p),
					  .bv_offset = offset_in_page(p),
					  .bv_len = PAGE_SIZE };
		sg_set_buf(&sg[i], p, PAGE_SIZE);
	}
	if (form == KFI_IOV_SGL)
		iov = KFI_IOV_INIT(KFI_IOV_SGL, sgl, sg, T_XFER_PAGES);
	ret = kfi_rma_xfer(tc->c.ep, &x, &iov, m->mr->iova, m->mr->key,
			   &lr->kctx, flags);
	STEP(ret, wait_ok(&tc->c, &e));
	if (!ret && (e.op_context != &lr->kctx || e.len != lr->len ||
		     e.flags != (KFI_RMA | (flags & (KFI_READ | KFI_WRITE)))))
		ret = -EPROTO;
	/* Four entries a piece (the endpoint's iov_limit): four pieces. */
	if (!ret && kfi_stats_read(tc->c.ep->stats, KFI_STAT_POSTED) - before !=
	    T_XFER_PAGES / 4)
		ret = -EPROTO;
	return ret;
}

/*
 * kfi_rma_xfer() over the device: 64 KiB in 16 page entries on endpoints
 * that take 4 entries an operation, written from a bio_vec and read back
 * into a scatterlist, each in four RMA operations and one completion.
 */
static int rma_xfer_pieces(void)
{
	size_t len = T_XFER_PAGES * PAGE_SIZE;
	struct treq *lr = treq_alloc(len);
	struct tconn tc = {};
	struct tmr m = {};
	int ret;

	ret = lr ? conn_open(&tc, &def_opts) : -ENOMEM;
	STEP(ret, tmr_map(&tc, &m, len));
	if (!ret) {
		fill(lr->buf, len, 31);
		memset(m.r->buf, 0, len);
	}
	STEP(ret, rma_xfer_one(&tc, &m, lr, KFI_IOV_BVEC, KFI_WRITE));
	STEP(ret, check(m.r->buf, len, 31));
	if (!ret)
		memset(lr->buf, 0, len);
	STEP(ret, rma_xfer_one(&tc, &m, lr, KFI_IOV_SGL, KFI_READ));
	STEP(ret, check(lr->buf, len, 31));
	if (ret)
		t_failed = true;
	tmr_conn_close(&tc, &m);
	treq_free(lr);
	return ret;
}

/*
 * kfi_mr_sync() on a mapped MR before the CPU checks what the peer wrote
 * (0), on an MR that is not mapped (-EINVAL).
 */
static int mr_sync(void)
{
	struct treq *sr = treq_alloc(64);
	struct kfid_mr *idle = NULL;
	struct kfi_cq_entry e;
	struct tconn tc = {};
	struct tmr m = {};
	int ret;

	ret = sr ? conn_open(&tc, &def_opts) : -ENOMEM;
	STEP(ret, tmr_map(&tc, &m, PAGE_SIZE));
	if (!ret) {
		fill(sr->buf, 64, 41);
		memset(m.r->buf, 0, 64);
	}
	STEP(ret, kfi_mr_sync(m.mr, KFI_SYNC_FOR_DEVICE));
	STEP(ret, post_rma(&tc.c, sr, KFI_IOV_KVEC, true, m.mr->iova,
			   m.mr->key, 0, 0));
	STEP(ret, wait_ok(&tc.c, &e));
	STEP(ret, kfi_mr_sync(m.mr, KFI_SYNC_FOR_CPU));
	STEP(ret, check(m.r->buf, 64, 41));
	STEP(ret, kfi_mr_alloc(tc.dom, 1, KFI_REMOTE_READ, &idle, NULL));
	if (!ret && kfi_mr_sync(idle, KFI_SYNC_FOR_CPU) != -EINVAL)
		ret = -EPROTO;
	if (ret)
		t_failed = true;
	if (idle)
		kfi_close(&idle->fid);
	tmr_conn_close(&tc, &m);
	treq_free(sr);
	return ret;
}

/* The client sends 64 bytes of @pattern; the server's @want takes them. */
static int send_into(struct tconn *tc, struct treq *want, u8 pattern)
{
	struct treq *sr = treq_alloc(64);
	struct kfi_cq_entry e;
	int ret;

	if (!sr)
		return -ENOMEM;
	fill(sr->buf, 64, pattern);
	ret = post_send(&tc->c, sr, KFI_IOV_KVEC, 0, 0);
	STEP(ret, wait_ok(&tc->c, &e));
	STEP(ret, wait_ok(&tc->s, &e));
	if (!ret && (e.op_context != &want->kctx || e.len != 64)) {
		pr_info("    # the message went to %p, not %p\n", e.op_context,
			&want->kctx);
		ret = -EPROTO;
	}
	STEP(ret, check(want->buf, 64, pattern));
	treq_free(sr);
	return ret;
}

/* A region of @len bytes for local access, at a fresh kmalloc(). */
static int desc_region(struct tconn *tc, size_t len, void **buf,
		       struct kfid_mr **mr)
{
	struct kvec kv;
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);

	*buf = kzalloc(len, GFP_KERNEL);
	if (!*buf)
		return -ENOMEM;
	kv.iov_base = *buf;
	kv.iov_len = len;
	return kfi_mr_reg(tc->dom, &iov, KFI_READ | KFI_WRITE, mr, NULL);
}

/* A request for @len bytes at @buf of a region, with descriptor @desc. */
static struct treq *desc_treq(void *buf, size_t len, void *desc)
{
	struct treq *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (r) {
		r->buf = buf;
		r->len = len;
		r->desc = desc;
	}
	return r;
}

/*
 * A send of @len bytes at @sbuf (descriptor @sd) into a receive at @rbuf
 * (@rd), which @tc's server posts now, behind its spare receive: a first
 * message fills the spare.
 */
static int desc_xfer(struct tconn *tc, void *sbuf, void *sd, void *rbuf,
		     void *rd, size_t len, u8 seed)
{
	struct treq *sr = desc_treq(sbuf, len, sd);
	struct treq *rr = desc_treq(rbuf, len, rd);
	struct kfi_cq_entry e;
	int ret = sr && rr ? 0 : -ENOMEM;

	if (!ret) {
		fill(sbuf, len, seed);
		memset(rbuf, 0, len);
	}
	STEP(ret, post_recv(&tc->s, rr, KFI_IOV_KVEC));
	STEP(ret, send_into(tc, tc->s.spare, seed + 1));
	STEP(ret, post_recv(&tc->s, tc->s.spare, KFI_IOV_KVEC));
	STEP(ret, post_send(&tc->c, sr, KFI_IOV_KVEC, 0, 0));
	STEP(ret, wait_ok(&tc->c, &e));
	if (!ret && e.op_context != &sr->kctx)
		ret = -EPROTO;
	STEP(ret, wait_ok(&tc->s, &e));
	if (!ret && (e.op_context != &rr->kctx || e.len != len))
		ret = -EPROTO;
	STEP(ret, check(rbuf, len, seed));
	/* After a failed post they may still be posted: kept, as treq_free(). */
	if (!ret || !sr || !rr) {
		kfree(sr);
		kfree(rr);
	}
	return ret;
}

/*
 * Buffers inside kfi_mr_reg() regions, posted with the regions'
 * descriptors: a send from an odd offset of one region into a receive at
 * another odd offset of another, longer than any inline size, arrives
 * whole.  A descriptor whose region does not hold the buffer is no
 * error: the buffer is mapped as if none was given.  Where the provider
 * says (@premapped), exactly the two posts whose regions held their
 * buffers went at the regions' addresses.
 */
static int desc_registered(void)
{
	const size_t len = 3000, size = 2 * PAGE_SIZE;
	struct kfid_mr *smr = NULL, *rmr = NULL;
	void *sbuf = NULL, *rbuf = NULL, *other = NULL;
	struct tconn tc = {};
	u64 n0 = 0, n1 = 0, n2 = 0;
	int ret;

	ret = conn_open(&tc, &def_opts);
	STEP(ret, desc_region(&tc, size, &sbuf, &smr));
	STEP(ret, desc_region(&tc, size, &rbuf, &rmr));
	other = ret ? NULL : kzalloc(size, GFP_KERNEL);
	if (!ret && !other)
		ret = -ENOMEM;
	if (!ret && kp->premapped)
		n0 = kp->premapped(tc.dom);
	STEP(ret, desc_xfer(&tc, sbuf + 129, smr->desc, rbuf + 1000,
			    rmr->desc, len, 51));
	if (!ret && kp->premapped)
		n1 = kp->premapped(tc.dom);
	/* Descriptors of regions that do not hold the buffers. */
	STEP(ret, desc_xfer(&tc, sbuf + 129, rmr->desc, other + 7, smr->desc,
			    len, 52));
	STEP(ret, desc_xfer(&tc, sbuf + size - len + 1, smr->desc, rbuf,
			    rmr->desc, len - 1, 53));
	if (!ret && kp->premapped) {
		n2 = kp->premapped(tc.dom);
		pr_info("    # posted at their regions' addresses: %llu, then %llu\n",
			n1 - n0, n2 - n1);
		if (n1 - n0 != 2 || n2 - n1 != 2)
			ret = -EPROTO;
	}
	if (ret)
		t_failed = true;
	if (smr)
		kfi_close(&smr->fid);
	if (rmr)
		kfi_close(&rmr->fid);
	conn_close(&tc);
	if (!t_failed) {
		kfree(sbuf);
		kfree(rbuf);
		kfree(other);
	}
	return ret;
}

/* kfi_cancel() of @r is @want. */
static int cancel_is(struct tconn *tc, struct treq *r, int want)
{
	int ret = kfi_cancel(tc->s.ep, &r->kctx);

	if (ret == want)
		return 0;
	pr_info("    # kfi_cancel() %d, not %d\n", ret, want);
	return -EPROTO;
}

/*
 * kfi_cancel() takes back a waiting receive: it completes with
 * -ECANCELED, its buffer is never written, a second cancel and a cancel
 * of a receive that took a message are -ENOENT, and the receives around
 * it take the next messages in order.  A provider that cannot cancel
 * says -EOPNOTSUPP, and the receive still takes a message.
 */
static int recv_cancel(void)
{
	struct treq *r0 = treq_alloc(T_MAX_LEN), *r1 = treq_alloc(T_MAX_LEN);
	struct kfi_cq_entry e;
	struct tconn tc = {};
	int ret;

	/* Posted in order: the server's spare, r0, r1. */
	ret = r0 && r1 ? conn_open(&tc, &def_opts) : -ENOMEM;
	STEP(ret, post_recv(&tc.s, r0, KFI_IOV_KVEC));
	STEP(ret, post_recv(&tc.s, r1, KFI_IOV_KVEC));
	if (ret)
		goto out;
	fill(r0->buf, 64, 50);
	if (!kp->cancel) {
		STEP(ret, cancel_is(&tc, r0, -EOPNOTSUPP));
		/* Two: a provider may keep back one of three credits. */
		STEP(ret, send_into(&tc, tc.s.spare, 51));
		STEP(ret, send_into(&tc, r0, 52));
		goto out;
	}
	STEP(ret, cancel_is(&tc, r0, 0));
	STEP(ret, wait_cq(&tc.s, &e));
	if (!ret && (e.op_context != &r0->kctx || e.err != -ECANCELED ||
		     e.flags != (KFI_RECV | KFI_MSG) || e.len))
		ret = -EPROTO;
	STEP(ret, cancel_is(&tc, r0, -ENOENT));
	STEP(ret, send_into(&tc, tc.s.spare, 51));
	STEP(ret, send_into(&tc, r1, 53));
	STEP(ret, check(r0->buf, 64, 50));
	STEP(ret, cancel_is(&tc, r1, -ENOENT));
	if (!ret && kfi_cancel(tc.s.ep, NULL) != -EINVAL)
		ret = -EPROTO;
out:
	if (ret)
		t_failed = true;
	conn_close(&tc);
	treq_free(r0);
	treq_free(r1);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Shared receive contexts */

#define T_SRX_MSGS	4	/* messages of each SRX case */

/*
 * Two connections on one listener and one domain: @tc2 shares @tc's
 * fabric, domain and listener, and has sides of its own.
 */
static int srx_pair2(struct tconn *tc, struct tconn *tc2,
		     const struct topts *o)
{
	int ret;

	ret = conn_pair(tc, o);
	if (ret)
		return ret;
	*tc2 = *tc;
	memset(&tc2->c, 0, sizeof(tc2->c));
	memset(&tc2->s, 0, sizeof(tc2->s));
	return conn_pair(tc2, o);
}

/* Close both connections' sides, then @srx, then what they share. */
static void srx_close2(struct tconn *tc, struct tconn *tc2,
		       struct kfid_ep *srx)
{
	side_close(&tc2->c);
	side_close(&tc2->s);
	side_close(&tc->c);
	side_close(&tc->s);
	if (srx)
		kfi_close(&srx->fid);
	conn_close(tc);
}

/*
 * Listen on @tc and open a shared context of @depth on its domain.
 * Return: 0; 1 if the provider has none and says -EOPNOTSUPP as it
 * should (the case ends there); or an error.
 */
static int srx_open(struct tconn *tc, u32 depth, struct kfid_ep **srx)
{
	struct kfi_rx_attr attr = { .size = depth, .iov_limit = 1 };
	int ret;

	ret = conn_listen(tc);
	if (ret)
		return ret;
	ret = kfi_srx_context(tc->dom, &attr, srx, NULL);
	if (kp->srx)
		return ret;
	if (!ret)
		kfi_close(&(*srx)->fid);
	*srx = NULL;
	if (ret == -EOPNOTSUPP)
		return 1;
	pr_info("    # kfi_srx_context() %d, not %d\n", ret, -EOPNOTSUPP);
	return -EPROTO;
}

/* The completion @e is @want's, of @len bytes of @pattern, from @ep. */
static int srx_entry_is(const struct kfi_cq_entry *e, struct treq *want,
			struct kfid_ep *ep, u8 pattern)
{
	if (e->op_context != &want->kctx || e->ep != ep || e->len != 64 ||
	    e->flags != (KFI_RECV | KFI_MSG)) {
		pr_info("    # receive %p ep %p len %llu, not %p ep %p\n",
			e->op_context, e->ep, (unsigned long long)e->len,
			&want->kctx, ep);
		return -EPROTO;
	}
	return check(want->buf, 64, pattern);
}

/* @c sends 64 bytes of @pattern from @sr. */
static int srx_send(struct tside *c, struct treq *sr, u8 pattern)
{
	fill(sr->buf, 64, pattern);
	sr->len = 64;
	return post_send(c, sr, KFI_IOV_KVEC, 0, 0);
}

static void srx_treqs_free(struct treq **r, int n)
{
	while (n--)
		treq_free(r[n]);
}

static int srx_treqs_alloc(struct treq **r, int n, size_t len)
{
	int i;

	for (i = 0; i < n; i++) {
		r[i] = treq_alloc(len);
		if (!r[i])
			return -ENOMEM;
	}
	return 0;
}

/*
 * A client keeps a spare receive (verbs' deadlock rule): the grants of a
 * server on a shared context reach it in credit updates, each taking a
 * receive there.
 */
static int srx_prepost(struct tside *s, bool server)
{
	return server ? 0 : prepost_spare(s, server);
}

/*
 * Buffers for @r and @sr, a shared context of 16 and two connections whose
 * servers are bound to it.  Return: 0; 1 if the provider has no shared
 * contexts and says so as it should; or an error.
 */
static int srx_setup(struct tconn *tc, struct tconn *tc2,
		     struct kfid_ep **srx, struct treq **r, struct treq **sr)
{
	struct topts o = { .depth = 16, .prepost = srx_prepost };
	int ret;

	ret = srx_treqs_alloc(r, T_SRX_MSGS, 64);
	STEP(ret, srx_treqs_alloc(sr, T_SRX_MSGS, 64));
	if (!ret)
		ret = srx_open(tc, 16, srx);
	if (ret)
		return ret;
	o.srx = *srx;
	return srx_pair2(tc, tc2, &o);
}

/* Post each of @r's buffers on @srx, in order. */
static int srx_post_all(struct kfid_ep *srx, struct treq **r)
{
	int i, ret = 0;

	for (i = 0; i < T_SRX_MSGS; i++)
		STEP(ret, kfi_recv(srx, r[i]->buf, 64, NULL, &r[i]->kctx));
	return ret;
}

/* Undo srx_setup(), noting a failed case; returns @ret. */
static int srx_teardown(int ret, struct tconn *tc, struct tconn *tc2,
			struct kfid_ep *srx, struct treq **r, struct treq **sr)
{
	if (ret)
		t_failed = true;
	srx_close2(tc, tc2, srx);
	srx_treqs_free(r, T_SRX_MSGS);
	srx_treqs_free(sr, T_SRX_MSGS);
	return ret;
}

/*
 * Two endpoints bound to one shared context: the clients take turns,
 * each message takes the context's oldest receive, and its completion
 * comes on its own endpoint's CQ naming that endpoint.  The context
 * counts both endpoints as children, so closing it now would be refused.
 */
static int srx_two_endpoints(void)
{
	struct treq *r[T_SRX_MSGS] = {}, *sr[T_SRX_MSGS] = {};
	struct tconn tc = {}, tc2 = {};
	struct kfid_ep *srx = NULL;
	struct kfi_cq_entry e;
	struct tside *c, *sv;
	int i, ret;

	ret = srx_setup(&tc, &tc2, &srx, r, sr);
	if (ret == 1) {
		ret = 0;
		goto out;
	}
	if (!ret && atomic_read(&srx->fid.children) != 2)
		ret = -EPROTO;
	STEP(ret, srx_post_all(srx, r));
	for (i = 0; i < T_SRX_MSGS && !ret; i++) {
		c = i % 2 ? &tc2.c : &tc.c;
		sv = i % 2 ? &tc2.s : &tc.s;
		STEP(ret, srx_send(c, sr[i], 70 + i));
		STEP(ret, wait_ok(c, &e));
		STEP(ret, wait_ok(sv, &e));
		STEP(ret, srx_entry_is(&e, r[i], sv->ep, 70 + i));
	}
	if (!ret && kfi_cancel(srx, &r[0]->kctx) != -EOPNOTSUPP)
		ret = -EPROTO;
out:
	return srx_teardown(ret, &tc, &tc2, srx, r, sr);
}

/* @s has no completion waiting. */
static int srx_cq_empty(struct tside *s)
{
	struct kfi_cq_entry e;
	int ret;

	kick(s);
	ret = kfi_cq_read(s->cq, &e, 1);
	if (ret == -EAGAIN)
		return 0;
	pr_info("    # kfi_cq_read() %d before any receive\n", ret);
	return -EPROTO;
}

/*
 * Messages that find the shared context empty are not lost nor failed:
 * both clients send while no receive is posted, nothing completes at the
 * server, and once the receives are posted each message arrives, in the
 * order its client sent them.
 */
static int srx_empty_waits(void)
{
	struct treq *r[T_SRX_MSGS] = {}, *sr[T_SRX_MSGS] = {};
	struct tconn tc = {}, tc2 = {};
	struct kfid_ep *srx = NULL;
	struct kfi_cq_entry e;
	u8 next[2] = { 80, 90 };
	struct tside *sv;
	int i, k, ret;

	ret = srx_setup(&tc, &tc2, &srx, r, sr);
	if (ret == 1) {
		ret = 0;
		goto out;
	}
	/* Client k sends next[k], next[k] + 1, ... */
	for (i = 0; i < T_SRX_MSGS; i++)
		STEP(ret, srx_send(i % 2 ? &tc2.c : &tc.c, sr[i],
				   next[i % 2] + i / 2));
	if (!ret)
		msleep(300);
	STEP(ret, srx_cq_empty(&tc.s));
	STEP(ret, srx_cq_empty(&tc2.s));
	STEP(ret, srx_post_all(srx, r));
	for (i = 0; i < T_SRX_MSGS && !ret; i++) {
		k = i % 2;
		sv = k ? &tc2.s : &tc.s;
		STEP(ret, wait_ok(sv, &e));
		if (!ret && e.ep != sv->ep)
			ret = -EPROTO;
		STEP(ret, check(treq_of(&e)->buf, 64, next[k]++));
	}
	for (i = 0; i < T_SRX_MSGS; i++)
		STEP(ret, wait_ok(i % 2 ? &tc2.c : &tc.c, &e));
out:
	return srx_teardown(ret, &tc, &tc2, srx, r, sr);
}

/* Past twice the window of credits either provider grants (4,096). */
#define T_SRX_WINDOW_MSGS	(2 * 4096 + 64)

/*
 * The peer of an endpoint on a shared context is granted a window of
 * credits it must never run out of: twice the window's worth of messages
 * pass one at a time, each receive posted again as it completes.  A
 * provider that does not grant back what each message took stalls the
 * client once the first window is spent.
 */
static int srx_window_refills(void)
{
	struct treq *r[T_SRX_MSGS] = {}, *sr[T_SRX_MSGS] = {};
	struct tconn tc = {}, tc2 = {};
	struct kfid_ep *srx = NULL;
	struct kfi_cq_entry e;
	int i, ret;

	ret = srx_setup(&tc, &tc2, &srx, r, sr);
	if (ret == 1) {
		ret = 0;
		goto out;
	}
	STEP(ret, srx_post_all(srx, r));
	for (i = 0; i < T_SRX_WINDOW_MSGS && !ret; i++) {
		ret = srx_send(&tc.c, sr[0], (u8)i);
		STEP(ret, wait_ok(&tc.c, &e));
		STEP(ret, wait_ok(&tc.s, &e));
		STEP(ret, check(treq_of(&e)->buf, 64, (u8)i));
		STEP(ret, kfi_recv(srx, treq_of(&e)->buf, 64, NULL,
				   e.op_context));
		if (ret)
			pr_info("    # message %d of %d: %d\n", i,
				T_SRX_WINDOW_MSGS, ret);
	}
out:
	return srx_teardown(ret, &tc, &tc2, srx, r, sr);
}

/* kfi_ep_bind() of @bfid to an idle endpoint of @tc is @want. */
static int srx_bind_is(struct tconn *tc, struct kfid *bfid, u64 flags,
		       int want)
{
	struct kfid_ep *ep = NULL;
	int ret;

	ret = kfi_endpoint(tc->dom, tc->info, &ep, NULL);
	if (!ret) {
		ret = kfi_ep_bind(ep, bfid, flags);
		kfi_close(&ep->fid);
	}
	if (ret == want)
		return 0;
	pr_info("    # kfi_ep_bind() %d, not %d\n", ret, want);
	return -EPROTO;
}

/* A second kfi_ep_bind() of a shared context is -EBUSY. */
static int srx_bind_twice(struct tconn *tc, struct kfid_ep *srx)
{
	struct kfid_ep *ep = NULL;
	int ret;

	ret = kfi_endpoint(tc->dom, tc->info, &ep, NULL);
	STEP(ret, kfi_ep_bind(ep, &srx->fid, 0));
	if (!ret && kfi_ep_bind(ep, &srx->fid, 0) != -EBUSY)
		ret = -EPROTO;
	if (!ret && atomic_read(&srx->fid.children) != 1)
		ret = -EPROTO;
	if (ep)
		kfi_close(&ep->fid);
	if (!ret && atomic_read(&srx->fid.children))
		ret = -EPROTO;
	return ret;
}

static int srx_open_is(struct kfid_domain *dom, struct kfi_rx_attr *attr,
		       int want)
{
	struct kfid_ep *x = NULL;
	int ret = kfi_srx_context(dom, attr, &x, NULL);

	if (!ret)
		kfi_close(&x->fid);
	if (ret == want)
		return 0;
	pr_info("    # kfi_srx_context() %d, not %d\n", ret, want);
	return -EPROTO;
}

/*
 * Binding an enabled endpoint, or posting, cancelling or asking for
 * receive room on a bound one, is refused.
 */
static int srx_bound_errors(struct tconn *tc, struct kfid_ep *srx)
{
	struct treq *r = treq_alloc(64);
	int ret;

	ret = r ? 0 : -ENOMEM;
	if (!ret && kfi_ep_bind(tc->s.ep, &srx->fid, 0) != -EINVAL)
		ret = -EPROTO;
	if (!ret && kfi_recv(tc->s.ep, r->buf, 64, NULL, &r->kctx) != -EINVAL)
		ret = -EPROTO;
	if (!ret && kfi_cancel(tc->s.ep, &r->kctx) != -EINVAL)
		ret = -EPROTO;
	if (!ret && kfi_rx_size_left(tc->s.ep) != -EINVAL)
		ret = -EPROTO;
	treq_free(r);
	return ret;
}

/*
 * Every misuse of a shared context is a clear errno: bad arguments and
 * sizes, a context of another domain, the wrong class or flags, binding
 * twice or after kfi_enable(), a receive posted on a bound endpoint.  A
 * provider without shared contexts says -EOPNOTSUPP.
 */
static int srx_errors(void)
{
	struct kfi_rx_attr attr = { .size = 4 };
	struct kfid_domain *dom2 = NULL;
	struct kfid_ep *srx = NULL, *x2 = NULL;
	struct topts o = { .depth = 16 };
	struct tconn tc = {}, tc2 = {};
	int ret;

	ret = srx_open(&tc, 8, &srx);
	if (ret == 1) {
		ret = 0;
		goto out;
	}
	STEP(ret, srx_open_is(NULL, &attr, -EINVAL));
	STEP(ret, srx_open_is(tc.dom, NULL, -EINVAL));
	attr.size = 0;
	STEP(ret, srx_open_is(tc.dom, &attr, -EINVAL));
	attr.size = tc.dom->attr.rx_size_max + 1;
	if (tc.dom->attr.rx_size_max)
		STEP(ret, srx_open_is(tc.dom, &attr, -EINVAL));
	attr.size = 4;
	attr.caps = KFI_RMA;
	STEP(ret, srx_open_is(tc.dom, &attr, -EINVAL));
	attr.caps = 0;
	if (!ret && kfi_srx_context(tc.dom, &attr, NULL, NULL) != -EINVAL)
		ret = -EPROTO;
	STEP(ret, srx_bind_is(&tc, &srx->fid, KFI_RECEIVE, -EINVAL));
	STEP(ret, srx_bind_twice(&tc, srx));
	STEP(ret, kfi_domain(tc.fab, tc.info, &dom2, NULL));
	STEP(ret, kfi_srx_context(dom2, &attr, &x2, NULL));
	STEP(ret, srx_bind_is(&tc, &x2->fid, 0, -EINVAL));
	o.srx = srx;
	STEP(ret, srx_pair2(&tc, &tc2, &o));
	STEP(ret, srx_bind_is(&tc, &tc.s.ep->fid, 0, -EINVAL));
	STEP(ret, srx_bound_errors(&tc, srx));
	if (!ret && (kfi_ep_credits(tc.s.ep) != -1 ||
		     atomic_read(&srx->fid.children) != 2))
		ret = -EPROTO;
out:
	if (ret)
		t_failed = true;
	if (x2)
		kfi_close(&x2->fid);
	if (dom2)
		kfi_close(&dom2->fid);
	srx_close2(&tc, &tc2, srx);
	return ret;
}

/* The cases every provider runs, in this order. */
static const struct kt_case prov_cases[] = {
	KT_CASE(getinfo_limits),
	KT_CASE(getinfo_hint_sizes),
	KT_CASE(cq_size_rule),
	KT_CASE(getinfo_unreachable),
	KT_CASE(connect_private_data),
	KT_CASE(reject_private_data),
	KT_CASE(send_recv_all_forms),
	KT_CASE(senddata_immediate),
	KT_CASE(inject_all_forms),
	KT_CASE(rma_write_all_forms),
	KT_CASE(rma_read_all_forms),
	KT_CASE(rma_writedata_all_forms),
	KT_CASE(rma_write_inject),
	KT_CASE(atomics),
	KT_CASE(mr_reg_remote),
	KT_CASE(credit_exhaustion),
	KT_CASE(credit_one_way),
	KT_CASE(queue_depth_large),
	KT_CASE(send_with_invalidate),
	KT_CASE(local_invalidate),
	KT_CASE(post_from_softirq),
	KT_CASE(addr_and_room),
	KT_CASE(credits_off),
	KT_CASE(poll_direct),
	KT_CASE(poll_workqueue),
	KT_CASE(peer_disconnect),
	KT_CASE(connect_cycles_no_leak),
	KT_CASE(close_inflight_many),
	KT_CASE(selective_completion),
	KT_CASE(comp_order),
	KT_CASE(more_defers_doorbell),
	KT_CASE(rma_xfer_pieces),
	KT_CASE(mr_sync),
	KT_CASE(desc_registered),
	KT_CASE(recv_cancel),
	KT_CASE(srx_two_endpoints),
	KT_CASE(srx_empty_waits),
	KT_CASE(srx_window_refills),
	KT_CASE(srx_errors),
};

#define KT_EXTRA_MAX	16

/*
 * Run the provider cases, then @n of the provider's own @extra, as one
 * KTAP plan.
 */
static int kt_run_prov(const struct kt_prov *prov,
		       const struct kt_case *extra, int n)
{
	static struct kt_case all[ARRAY_SIZE(prov_cases) + KT_EXTRA_MAX];

	if (WARN_ON(n > KT_EXTRA_MAX))
		return -EINVAL;
	kp = prov;
	memcpy(all, prov_cases, sizeof(prov_cases));
	if (n)
		memcpy(all + ARRAY_SIZE(prov_cases), extra, n * sizeof(*extra));
	return kt_run(all, ARRAY_SIZE(prov_cases) + n);
}
