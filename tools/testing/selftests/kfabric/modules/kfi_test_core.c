// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the kfabric core, without RDMA.
 *
 * The module carries a loopback provider, "kfi_loop": endpoints of the
 * module connect to each other in memory, sends are matched to receives
 * and copied, RMA and atomics work on registered kvec MRs with real key,
 * bounds and access checks, and every completion goes through
 * kfi_cq_sw_complete(), so each poll context of the core is exercised.
 * A second provider, "kfi_min", has only the mandatory ops.
 *
 * The cases run from module_init and report KTAP through the kernel log;
 * they double as an example of a consumer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/delay.h>
#include <linux/completion.h>
#include <linux/workqueue.h>
#include <linux/cpu.h>
#include <linux/percpu.h>
#include <linux/timer.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/ipv6.h>
#include <linux/inet.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/scatterlist.h>

#include <kfabric/kfi.h>
#include <kfabric/kfi_provider.h>

#include "kfi_compat.h"
#include "kfi_ktap.h"

static bool warn_tests;
module_param(warn_tests, bool, 0444);
MODULE_PARM_DESC(warn_tests,
		 "run only the cases that make the core WARN on purpose (each once)");

/* ================================================================== */
/* The loopback provider */

#define LOOP_DEPTH	16	/* default queue depth */
#define LOOP_MAX_DEPTH	1024
#define LOOP_IOV	4	/* iov entries per operation */
#define LOOP_RMA_IOV	2
#define LOOP_INJECT	64
#define LOOP_CM_DATA	64
#define LOOP_MR_SEGS	8

/* The provider's own completion status codes (entry.prov_errno). */
#define LOOP_ERR_LEN	1
#define LOOP_ERR_FLUSH	5
#define LOOP_ERR_ACCESS	10

#define LOOP_CAPS	(KFI_MSG | KFI_RMA | KFI_ATOMIC | KFI_READ | KFI_WRITE | \
			 KFI_SEND | KFI_RECV | KFI_REMOTE_READ | \
			 KFI_REMOTE_WRITE)

/* A posted send or receive, with its buffers as kernel virtual segments. */
struct loop_op {
	struct kfi_context *ctx;
	u64 flags;
	u64 data;
	u32 nseg;
	struct kvec seg[LOOP_IOV];
	u8 inject[LOOP_INJECT];
};

struct loop_ep {
	struct kfid_ep ep;
	struct loop_ep *peer;
	struct loop_op *tx;
	struct loop_op *rx;
	u32 tx_depth;
	u32 rx_depth;
	u32 tx_head;
	u32 tx_tail;
	u32 rx_head;
	u32 rx_tail;
};

struct loop_pep {
	struct kfid_pep pep;
	struct list_head list;
	bool listening;
};

struct loop_creq {
	struct kfi_connreq creq;
	struct list_head list;
	struct loop_ep *client;
};

struct loop_mr {
	struct kfid_mr mr;
	struct list_head list;
	bool valid;
	u32 nseg;
	struct kvec *seg;
};

/*
 * loop_lock guards all loopback state: every loop_ep's peer pointer and
 * queues, the lists of listeners, requests and MRs, and MR contents
 * (valid, segments, key).  The data path takes it with interrupts off;
 * completions are only queued under it (kfi_cq_sw_complete()), never run.
 */
static DEFINE_SPINLOCK(loop_lock);
static LIST_HEAD(loop_listeners);
static LIST_HEAD(loop_creqs);
static LIST_HEAD(loop_mrs);
static atomic_t loop_next_key = ATOMIC_INIT(0x100);

/* Knobs the credit cases set before connecting. */
static bool loop_use_credits;
static u32 loop_reserve;
/* Non-zero: RMA posts fail with it, as a provider with a full queue. */
static int loop_refuse_rma;
static atomic_t loop_getinfo_calls = ATOMIC_INIT(0);
static atomic_t min_getinfo_calls = ATOMIC_INIT(0);

static struct loop_ep *to_lep(struct kfid_ep *ep)
{
	return container_of(ep, struct loop_ep, ep);
}

static int loop_segs(const struct kfi_iov *iov, struct kvec *seg, u32 max,
		     u32 *n)
{
	struct scatterlist *sg;
	u32 i;

	if (iov->count > max)
		return -EINVAL;
	*n = iov->count;
	/* Test buffers are lowmem: page_address() is their address. */
	switch (iov->type) {
	case KFI_IOV_KVEC:
		for (i = 0; i < iov->count; i++)
			seg[i] = iov->kvec[i];
		return 0;
	case KFI_IOV_BVEC:
		for (i = 0; i < iov->count; i++) {
			seg[i].iov_base = page_address(iov->bvec[i].bv_page) +
					  iov->bvec[i].bv_offset;
			seg[i].iov_len = iov->bvec[i].bv_len;
		}
		return 0;
	case KFI_IOV_SGL:
		for_each_sg(iov->sgl, sg, iov->count, i) {
			seg[i].iov_base = sg_virt(sg);
			seg[i].iov_len = sg->length;
		}
		return 0;
	}
	return -EINVAL;
}

static size_t loop_seg_len(const struct kvec *seg, u32 n)
{
	size_t len = 0;
	u32 i;

	for (i = 0; i < n; i++)
		len += seg[i].iov_len;
	return len;
}

/* Copy as much of @src as fits into @dst; return the bytes copied. */
static size_t loop_copy(const struct kvec *dst, u32 nd, const struct kvec *src,
			u32 ns)
{
	size_t done = 0, doff = 0, soff = 0;
	u32 di = 0, si = 0;

	while (di < nd && si < ns) {
		size_t n = min(dst[di].iov_len - doff, src[si].iov_len - soff);

		memcpy(dst[di].iov_base + doff, src[si].iov_base + soff, n);
		done += n;
		doff += n;
		soff += n;
		if (doff == dst[di].iov_len) {
			di++;
			doff = 0;
		}
		if (soff == src[si].iov_len) {
			si++;
			soff = 0;
		}
	}
	return done;
}

static void loop_complete(struct loop_ep *lep, struct kfid_cq *cq,
			  struct kfi_context *ctx, u64 flags, u64 len,
			  u64 data, int err, int prov_errno)
{
	struct kfi_cq_entry e = {
		.op_context = ctx,
		.flags = flags,
		.len = len,
		.data = data,
		.err = err,
		.prov_errno = prov_errno,
	};

	kfi_ep_sw_complete(&lep->ep, cq, &e);
}

/*
 * A success is reported if the core asked for it (KFI_COMPLETION), a
 * failure always but for an inject that was not asked to complete.
 */
static bool loop_reports(u64 flags, int err)
{
	return (flags & KFI_COMPLETION) || (err && !(flags & KFI_INJECT));
}

static void loop_deliver(struct loop_ep *s, struct loop_op *tx,
			 struct loop_ep *r, struct loop_op *rx)
{
	size_t need = loop_seg_len(tx->seg, tx->nseg);
	size_t got = loop_copy(rx->seg, rx->nseg, tx->seg, tx->nseg);
	int err = got < need ? -EMSGSIZE : 0;

	lockdep_assert_held(&loop_lock);
	loop_complete(r, r->ep.rx_cq, rx->ctx,
		      KFI_RECV | KFI_MSG | (tx->flags & KFI_REMOTE_CQ_DATA),
		      got, tx->data, err, err ? LOOP_ERR_LEN : 0);
	if (loop_reports(tx->flags, err))
		loop_complete(s, s->ep.tx_cq, tx->ctx, KFI_SEND | KFI_MSG,
			      need, 0, err ? -EIO : 0,
			      err ? LOOP_ERR_LEN : 0);
}

/* Match the peer's waiting sends with @r's posted receives. */
static void loop_match(struct loop_ep *r)
{
	struct loop_ep *s = r->peer;

	lockdep_assert_held(&loop_lock);
	while (s && s->tx_head != s->tx_tail && r->rx_head != r->rx_tail) {
		struct loop_op *tx = &s->tx[s->tx_head % s->tx_depth];
		struct loop_op *rx = &r->rx[r->rx_head % r->rx_depth];

		s->tx_head++;
		r->rx_head++;
		loop_deliver(s, tx, r, rx);
	}
}

static int loop_fill(struct loop_op *op, const struct kfi_msg *msg, u64 flags)
{
	struct kvec seg[LOOP_IOV];
	u32 n;
	int ret;

	op->ctx = msg->context;
	op->flags = flags;
	op->data = msg->data;
	if (!(flags & KFI_INJECT))
		return loop_segs(&msg->iov, op->seg, LOOP_IOV, &op->nseg);

	/* Inject: the caller may reuse its buffer as soon as we return. */
	ret = loop_segs(&msg->iov, seg, LOOP_IOV, &n);
	if (ret)
		return ret;
	op->seg[0].iov_base = op->inject;
	op->seg[0].iov_len = loop_seg_len(seg, n);
	op->nseg = 1;
	loop_copy(op->seg, 1, seg, n);
	return 0;
}

static int loop_send(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags)
{
	struct loop_ep *s = to_lep(ep), *r;
	unsigned long irqflags;
	u32 grant = 0;
	int ret;

	spin_lock_irqsave(&loop_lock, irqflags);
	r = s->peer;
	if (!r) {
		ret = -ENOTCONN;
		goto unlock;
	}
	if (s->tx_tail - s->tx_head >= s->tx_depth) {
		ret = -EAGAIN;
		goto unlock;
	}
	ret = loop_fill(&s->tx[s->tx_tail % s->tx_depth], msg, flags);
	if (ret)
		goto unlock;
	s->tx_tail++;
	loop_match(r);
	/* The message carries our receives posted since, as credits. */
	if (ep->credits.enabled)
		grant = kfi_credit_take_grant(ep);
unlock:
	spin_unlock_irqrestore(&loop_lock, irqflags);
	/* Outside the lock: credit_ready may post again. */
	if (grant)
		kfi_credit_add(&r->ep, grant);
	return ret;
}

static int loop_recv(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags)
{
	struct loop_ep *r = to_lep(ep);
	unsigned long irqflags;
	int ret;

	spin_lock_irqsave(&loop_lock, irqflags);
	if (r->rx_tail - r->rx_head >= r->rx_depth) {
		ret = -EAGAIN;
		goto unlock;
	}
	ret = loop_fill(&r->rx[r->rx_tail % r->rx_depth], msg, 0);
	if (ret)
		goto unlock;
	r->rx_tail++;
	loop_match(r);
unlock:
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return ret;
}

static struct loop_mr *loop_mr_find(u64 key)
{
	struct loop_mr *m;

	lockdep_assert_held(&loop_lock);
	list_for_each_entry(m, &loop_mrs, list)
		if (m->valid && m->mr.key == key)
			return m;
	return NULL;
}

/* Resolve a remote buffer into segments, checking key, bounds and access. */
static int loop_mr_resolve(const struct kfi_rma_iov *rma, u64 access,
			   struct kvec *out, u32 max, u32 *n)
{
	struct loop_mr *m = loop_mr_find(rma->key);
	u64 off, len = rma->len;
	u32 i;

	*n = 0;
	if (!m || (m->mr.access & access) != access)
		return -EACCES;
	if (rma->addr < m->mr.iova || rma->addr - m->mr.iova > m->mr.len ||
	    len > m->mr.len - (rma->addr - m->mr.iova))
		return -EACCES;

	off = rma->addr - m->mr.iova;
	for (i = 0; i < m->nseg && len; i++) {
		u64 take;

		if (off >= m->seg[i].iov_len) {
			off -= m->seg[i].iov_len;
			continue;
		}
		if (*n == max)
			return -EACCES;
		take = min_t(u64, len, m->seg[i].iov_len - off);
		out[*n].iov_base = m->seg[i].iov_base + off;
		out[*n].iov_len = take;
		(*n)++;
		len -= take;
		off = 0;
	}
	return 0;
}

/* Write with immediate data: consumes a receive at the peer. */
static int loop_write_imm(struct loop_ep *s, u64 data)
{
	struct loop_ep *r = s->peer;
	struct loop_op *rx;

	if (r->rx_head == r->rx_tail)
		return -EIO;
	rx = &r->rx[r->rx_head % r->rx_depth];
	r->rx_head++;
	loop_complete(r, r->ep.rx_cq, rx->ctx,
		      KFI_RECV | KFI_RMA | KFI_REMOTE_CQ_DATA, 0, data, 0, 0);
	return 0;
}

static int loop_rma_resolve(const struct kfi_msg_rma *msg, u64 access,
			    struct kvec *remote, u32 max, u32 *nr)
{
	u32 i, n;
	int err;

	*nr = 0;
	for (i = 0; i < msg->rma_iov_count; i++) {
		err = loop_mr_resolve(&msg->rma_iov[i], access, remote + *nr,
				      max - *nr, &n);
		if (err)
			return err;
		*nr += n;
	}
	return 0;
}

static int loop_rma(struct kfid_ep *ep, const struct kfi_msg_rma *msg,
		    u64 flags, bool write)
{
	struct kvec local[LOOP_IOV], remote[LOOP_RMA_IOV * LOOP_IOV];
	struct loop_ep *s = to_lep(ep);
	unsigned long irqflags;
	u32 nl, nr;
	size_t len = 0;
	int err;

	if (READ_ONCE(loop_refuse_rma))
		return READ_ONCE(loop_refuse_rma);
	spin_lock_irqsave(&loop_lock, irqflags);
	if (!s->peer) {
		spin_unlock_irqrestore(&loop_lock, irqflags);
		return -ENOTCONN;
	}
	err = loop_segs(&msg->iov, local, LOOP_IOV, &nl);
	if (!err)
		err = loop_rma_resolve(msg, write ? KFI_REMOTE_WRITE :
					    KFI_REMOTE_READ,
				       remote, ARRAY_SIZE(remote), &nr);
	if (!err && write)
		len = loop_copy(remote, nr, local, nl);
	else if (!err)
		len = loop_copy(local, nl, remote, nr);
	if (!err && write && (flags & KFI_REMOTE_CQ_DATA))
		err = loop_write_imm(s, msg->data);
	if (loop_reports(flags, err))
		loop_complete(s, ep->tx_cq, msg->context,
			      KFI_RMA | (write ? KFI_WRITE : KFI_READ), len, 0,
			      err, err ? LOOP_ERR_ACCESS : 0);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return 0;
}

static int loop_read(struct kfid_ep *ep, const struct kfi_msg_rma *msg,
		     u64 flags)
{
	return loop_rma(ep, msg, flags, false);
}

static int loop_write(struct kfid_ep *ep, const struct kfi_msg_rma *msg,
		      u64 flags)
{
	return loop_rma(ep, msg, flags, true);
}

static int loop_atomic(struct kfid_ep *ep, const struct kfi_msg_atomic *msg,
		       u64 flags)
{
	struct loop_ep *s = to_lep(ep);
	unsigned long irqflags;
	struct kvec target;
	u64 *p, old = 0;
	u32 n;
	int err;

	spin_lock_irqsave(&loop_lock, irqflags);
	if (!s->peer) {
		spin_unlock_irqrestore(&loop_lock, irqflags);
		return -ENOTCONN;
	}
	err = loop_mr_resolve(&msg->rma_iov, KFI_REMOTE_READ | KFI_REMOTE_WRITE,
			      &target, 1, &n);
	if (!err && target.iov_len != sizeof(u64))
		err = -EACCES;
	if (!err) {
		/* Serialised by loop_lock, as a NIC's atomic unit would. */
		p = target.iov_base;
		old = *p;
		if (msg->op == KFI_SUM)
			*p = old + msg->operand;
		else if (old == msg->compare)
			*p = msg->operand;
		if (msg->result)
			*msg->result = old;
	}
	if (loop_reports(flags, err))
		loop_complete(s, ep->tx_cq, msg->context, KFI_ATOMIC,
			      sizeof(u64), 0, err, err ? LOOP_ERR_ACCESS : 0);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return 0;
}

static void loop_flush_tx(struct loop_ep *lep)
{
	lockdep_assert_held(&loop_lock);
	while (lep->tx_head != lep->tx_tail) {
		struct loop_op *op = &lep->tx[lep->tx_head % lep->tx_depth];

		lep->tx_head++;
		if (!(op->flags & KFI_INJECT))
			loop_complete(lep, lep->ep.tx_cq, op->ctx,
				      KFI_SEND | KFI_MSG, 0, 0, -ECANCELED,
				      LOOP_ERR_FLUSH);
	}
}

static void loop_flush(struct loop_ep *lep)
{
	lockdep_assert_held(&loop_lock);
	loop_flush_tx(lep);
	while (lep->rx_head != lep->rx_tail) {
		struct loop_op *op = &lep->rx[lep->rx_head % lep->rx_depth];

		lep->rx_head++;
		loop_complete(lep, lep->ep.rx_cq, op->ctx, KFI_RECV | KFI_MSG,
			      0, 0, -ECANCELED, LOOP_ERR_FLUSH);
	}
}

/* Break the pair; the peer's waiting sends can never be received now. */
static struct loop_ep *loop_unlink(struct loop_ep *lep)
{
	struct loop_ep *peer = lep->peer;

	lockdep_assert_held(&loop_lock);
	if (!peer)
		return NULL;
	peer->peer = NULL;
	lep->peer = NULL;
	loop_flush_tx(peer);
	return peer;
}

static void loop_report(struct kfid_ep *ep, enum kfi_eq_event event, int err,
			const void *data, u32 len)
{
	struct kfi_eq_cm_entry ev = {
		.event = event,
		.fid = &ep->fid,
		.err = err,
		.datalen = len,
	};

	if (len)
		memcpy(ev.data, data, len);
	kfi_eq_report(ep->eq, &ev, GFP_KERNEL);
}

static int loop_shutdown(struct kfid_ep *ep)
{
	struct loop_ep *lep = to_lep(ep), *peer;
	unsigned long irqflags;

	spin_lock_irqsave(&loop_lock, irqflags);
	peer = loop_unlink(lep);
	loop_flush(lep);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	if (peer) {
		kfi_ep_set_state(&peer->ep, KFI_EP_SHUTDOWN);
		loop_report(&peer->ep, KFI_SHUTDOWN, 0, NULL, 0);
	}
	return 0;
}

static void loop_ep_close(struct kfid_ep *ep)
{
	struct loop_ep *lep = to_lep(ep);
	struct loop_creq *lc, *tmp;
	unsigned long irqflags;

	loop_shutdown(ep);
	spin_lock_irqsave(&loop_lock, irqflags);
	/* Requests we sent can no longer be accepted. */
	list_for_each_entry_safe(lc, tmp, &loop_creqs, list) {
		if (lc->client == lep) {
			lc->client = NULL;
			list_del_init(&lc->list);
		}
	}
	spin_unlock_irqrestore(&loop_lock, irqflags);
	kfree(lep->tx);
	kfree(lep->rx);
}

static int loop_ep_open(struct kfid_ep *ep)
{
	struct kfi_tx_attr *tx = &ep->info.tx_attr;
	struct kfi_rx_attr *rx = &ep->info.rx_attr;

	tx->size = clamp_t(u32, tx->size ?: LOOP_DEPTH, 1, LOOP_MAX_DEPTH);
	rx->size = clamp_t(u32, rx->size ?: LOOP_DEPTH, 1, LOOP_MAX_DEPTH);
	tx->iov_limit = min_not_zero(tx->iov_limit, (u32)LOOP_IOV);
	rx->iov_limit = min_not_zero(rx->iov_limit, (u32)LOOP_IOV);
	tx->rma_iov_limit = min_not_zero(tx->rma_iov_limit, (u32)LOOP_RMA_IOV);
	tx->inject_size = min_t(u32, tx->inject_size, LOOP_INJECT);
	ep->info.ep_attr.cm_data_size =
		min_not_zero(ep->info.ep_attr.cm_data_size, (u32)LOOP_CM_DATA);
	return 0;
}

static int loop_ep_enable(struct kfid_ep *ep)
{
	struct loop_ep *lep = to_lep(ep);

	lep->tx_depth = ep->info.tx_attr.size;
	lep->rx_depth = ep->info.rx_attr.size;
	lep->tx = kcalloc(lep->tx_depth, sizeof(*lep->tx), GFP_KERNEL);
	lep->rx = kcalloc(lep->rx_depth, sizeof(*lep->rx), GFP_KERNEL);
	if (!lep->tx || !lep->rx) {
		kfree(lep->tx);
		kfree(lep->rx);
		lep->tx = NULL;
		lep->rx = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool loop_addr_eq(const struct sockaddr_storage *a,
			 const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr);
	return false;
}

static struct loop_pep *loop_find_listener(const struct sockaddr_storage *addr)
{
	struct loop_pep *lp;

	lockdep_assert_held(&loop_lock);
	list_for_each_entry(lp, &loop_listeners, list)
		if (loop_addr_eq(&lp->pep.info.src_addr, addr))
			return lp;
	return NULL;
}

static int loop_pep_open(struct kfid_pep *pep)
{
	INIT_LIST_HEAD(&container_of(pep, struct loop_pep, pep)->list);
	return 0;
}

static int loop_pep_listen(struct kfid_pep *pep)
{
	struct loop_pep *lp = container_of(pep, struct loop_pep, pep);
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&loop_lock, irqflags);
	if (loop_find_listener(&pep->info.src_addr)) {
		ret = -EADDRINUSE;
	} else {
		list_add_tail(&lp->list, &loop_listeners);
		lp->listening = true;
	}
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return ret;
}

static void loop_pep_close(struct kfid_pep *pep)
{
	struct loop_pep *lp = container_of(pep, struct loop_pep, pep);
	unsigned long irqflags;

	spin_lock_irqsave(&loop_lock, irqflags);
	if (lp->listening)
		list_del(&lp->list);
	lp->listening = false;
	spin_unlock_irqrestore(&loop_lock, irqflags);
}

static int loop_connect_to(struct loop_ep *lep, struct loop_creq *lc,
			   struct kfi_info *info, const void *param, u32 len)
{
	struct kfi_eq_cm_entry ev = { .event = KFI_CONNREQ, .info = info };
	unsigned long irqflags;
	struct loop_pep *lp;
	int ret;

	ev.datalen = len;
	if (len)
		memcpy(ev.data, param, len);

	spin_lock_irqsave(&loop_lock, irqflags);
	lp = loop_find_listener(&lep->ep.info.dest_addr);
	if (!lp) {
		ret = -ECONNREFUSED;
		goto unlock;
	}
	lc->creq.pep = &lp->pep;
	lc->client = lep;
	info->handle = &lc->creq;
	ev.fid = &lp->pep.fid;
	ret = kfi_eq_report(lp->pep.eq, &ev, GFP_ATOMIC);
	if (!ret)
		list_add_tail(&lc->list, &loop_creqs);
unlock:
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return ret;
}

static int loop_connect(struct kfid_ep *ep, const void *param, u32 len)
{
	struct loop_ep *lep = to_lep(ep);
	struct loop_creq *lc;
	struct kfi_info *info;
	int ret;

	lc = kzalloc(sizeof(*lc), GFP_KERNEL);
	info = kfi_dupinfo(&ep->info);
	if (!lc || !info) {
		kfree(lc);
		kfree(info);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&lc->list);
	info->src_addr = ep->info.dest_addr;
	info->src_addrlen = ep->info.dest_addrlen;
	info->dest_addr = ep->info.src_addr;
	info->dest_addrlen = ep->info.src_addrlen;

	ret = loop_connect_to(lep, lc, info, param, len);
	if (ret) {
		kfree(info);
		kfree(lc);
		/* As a fabric would: the outcome is an event. */
		kfi_ep_set_state(ep, KFI_EP_SHUTDOWN);
		loop_report(ep, KFI_UNREACHABLE, ret, NULL, 0);
	}
	return 0;
}

static int loop_accept(struct kfid_ep *ep, const void *param, u32 len)
{
	struct loop_creq *lc = container_of(ep->info.handle, struct loop_creq,
					    creq);
	struct loop_ep *sv = to_lep(ep), *cl;
	unsigned long irqflags;

	spin_lock_irqsave(&loop_lock, irqflags);
	cl = lc->client;
	if (cl) {
		lc->client = NULL;
		list_del_init(&lc->list);
		sv->peer = cl;
		cl->peer = sv;
	}
	spin_unlock_irqrestore(&loop_lock, irqflags);
	if (!cl)
		return -ECONNREFUSED;

	/* The handshake: each side's posted receives are the other's credits. */
	if (loop_use_credits) {
		kfi_credit_init(&sv->ep, kfi_credit_take_grant(&cl->ep),
				loop_reserve);
		kfi_credit_init(&cl->ep, kfi_credit_take_grant(&sv->ep),
				loop_reserve);
	}
	kfi_ep_set_state(&cl->ep, KFI_EP_CONNECTED);
	kfi_ep_set_state(&sv->ep, KFI_EP_CONNECTED);
	loop_report(&cl->ep, KFI_CONNECTED, 0, param, len);
	loop_report(&sv->ep, KFI_CONNECTED, 0, NULL, 0);
	return 0;
}

static int loop_reject(struct kfid_pep *pep, struct kfi_connreq *creq,
		       const void *param, u32 len)
{
	struct loop_creq *lc = container_of(creq, struct loop_creq, creq);
	unsigned long irqflags;
	struct loop_ep *cl;

	spin_lock_irqsave(&loop_lock, irqflags);
	cl = lc->client;
	lc->client = NULL;
	list_del_init(&lc->list);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	if (cl) {
		kfi_ep_set_state(&cl->ep, KFI_EP_SHUTDOWN);
		loop_report(&cl->ep, KFI_REJECTED, -ECONNREFUSED, param, len);
	}
	return 0;
}

static void loop_connreq_free(struct kfi_connreq *creq)
{
	struct loop_creq *lc = container_of(creq, struct loop_creq, creq);
	unsigned long irqflags;

	spin_lock_irqsave(&loop_lock, irqflags);
	list_del_init(&lc->list);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	kfree(lc);
}

static struct loop_mr *to_lmr(struct kfid_mr *mr)
{
	return container_of(mr, struct loop_mr, mr);
}

static void loop_mr_set(struct loop_mr *m)
{
	m->mr.key = atomic_inc_return(&loop_next_key);
	m->mr.iova = (uintptr_t)m->seg[0].iov_base;
	m->mr.len = loop_seg_len(m->seg, m->nseg);
	m->valid = true;
}

static void loop_mr_link(struct loop_mr *m)
{
	unsigned long irqflags;

	spin_lock_irqsave(&loop_lock, irqflags);
	list_add_tail(&m->list, &loop_mrs);
	spin_unlock_irqrestore(&loop_lock, irqflags);
}

static int loop_mr_reg(struct kfid_mr *mr, const struct kfi_iov *iov)
{
	struct loop_mr *m = to_lmr(mr);
	int ret;

	m->seg = kcalloc(iov->count, sizeof(*m->seg), GFP_KERNEL);
	if (!m->seg)
		return -ENOMEM;
	ret = loop_segs(iov, m->seg, iov->count, &m->nseg);
	if (ret) {
		kfree(m->seg);
		return ret;
	}
	mr->desc = m;
	loop_mr_set(m);
	loop_mr_link(m);
	return 0;
}

static int loop_mr_alloc(struct kfid_mr *mr)
{
	struct loop_mr *m = to_lmr(mr);

	m->seg = kcalloc(mr->max_segs, sizeof(*m->seg), GFP_KERNEL);
	if (!m->seg)
		return -ENOMEM;
	mr->desc = m;
	loop_mr_link(m);
	return 0;
}

static int loop_mr_map(struct kfid_ep *ep, struct kfid_mr *mr,
		       const struct kfi_iov *iov)
{
	struct loop_mr *m = to_lmr(mr);
	unsigned long irqflags;
	int ret;

	spin_lock_irqsave(&loop_lock, irqflags);
	ret = loop_segs(iov, m->seg, mr->max_segs, &m->nseg);
	if (!ret)
		loop_mr_set(m);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return ret;
}

static int loop_mr_unmap(struct kfid_ep *ep, struct kfid_mr *mr,
			 struct kfi_context *context)
{
	unsigned long irqflags;

	spin_lock_irqsave(&loop_lock, irqflags);
	to_lmr(mr)->valid = false;
	loop_complete(to_lep(ep), ep->tx_cq, context, KFI_MR_OP, 0, 0, 0, 0);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return 0;
}

static void loop_mr_close(struct kfid_mr *mr)
{
	struct loop_mr *m = to_lmr(mr);
	unsigned long irqflags;

	spin_lock_irqsave(&loop_lock, irqflags);
	list_del(&m->list);
	spin_unlock_irqrestore(&loop_lock, irqflags);
	kfree(m->seg);
}

static struct kfi_info *loop_info(const char *domain, u64 caps,
				  enum kfi_addr_format format)
{
	struct kfi_info *info = kfi_allocinfo();

	if (!info)
		return NULL;
	info->caps = caps;
	info->addr_format = format;
	strscpy(info->domain_attr.name, domain, KFI_NAME_MAX);
	info->domain_attr.cq_cnt = 64;
	info->domain_attr.ep_cnt = 64;
	info->domain_attr.mr_cnt = 64;
	info->domain_attr.cq_size = 1024;
	info->domain_attr.mr_key_size = sizeof(u64);
	info->domain_attr.max_mr_segs = LOOP_MR_SEGS;
	info->domain_attr.max_mr_size = SZ_1G;
	info->ep_attr.type = KFI_EP_MSG;
	info->ep_attr.max_msg_size = SZ_1M;
	info->ep_attr.cm_data_size = LOOP_CM_DATA;
	info->ep_attr.max_rd_atomic = 4;
	info->tx_attr.caps = caps;
	info->tx_attr.size = LOOP_DEPTH;
	info->tx_attr.iov_limit = LOOP_IOV;
	info->tx_attr.rma_iov_limit = LOOP_RMA_IOV;
	info->tx_attr.inject_size = LOOP_INJECT;
	info->rx_attr.caps = caps;
	info->rx_attr.size = LOOP_DEPTH;
	info->rx_attr.iov_limit = LOOP_IOV;
	return info;
}

/* Two devices: loop0 speaks IPv4, loop1 IPv6. */
static int loop_getinfo(struct kfi_provider *prov, const struct kfi_info *hints,
			u64 flags, struct kfi_info **info)
{
	struct kfi_info *a, *b;

	atomic_inc(&loop_getinfo_calls);
	a = loop_info("loop0", LOOP_CAPS, KFI_SOCKADDR_IN);
	b = loop_info("loop1", LOOP_CAPS, KFI_SOCKADDR_IN6);
	if (!a || !b) {
		kfi_freeinfo(a);
		kfi_freeinfo(b);
		return -ENOMEM;
	}
	a->next = b;
	*info = a;
	return 0;
}

static int loop_domain_open(struct kfid_domain *domain,
			    const struct kfi_info *info)
{
	return 0;
}

static void loop_domain_close(struct kfid_domain *domain)
{
}

static int loop_cq_open(struct kfid_cq *cq)
{
	return 0;
}

static void loop_cq_close(struct kfid_cq *cq)
{
}

/* Take a waiting receive off the ring, keeping the others in order. */
static int loop_cancel(struct kfid_ep *ep, struct kfi_context *ctx)
{
	struct loop_ep *r = to_lep(ep);
	unsigned long irqflags;
	u32 i, d = r->rx_depth;
	int ret = -ENOENT;

	spin_lock_irqsave(&loop_lock, irqflags);
	for (i = r->rx_head; i != r->rx_tail; i++) {
		if (r->rx[i % d].ctx != ctx)
			continue;
		for (; i + 1 != r->rx_tail; i++)
			r->rx[i % d] = r->rx[(i + 1) % d];
		r->rx_tail--;
		loop_complete(r, ep->rx_cq, ctx, KFI_RECV | KFI_MSG, 0, 0,
			      -ECANCELED, LOOP_ERR_FLUSH);
		ret = 0;
		break;
	}
	spin_unlock_irqrestore(&loop_lock, irqflags);
	return ret;
}

/* Posts complete at once here: the doorbell only counts its rings. */
static atomic_t loop_doorbells = ATOMIC_INIT(0);

static void loop_doorbell(struct kfid_ep *ep)
{
	atomic_inc(&loop_doorbells);
}

static const struct kfi_provider_ops loop_ops = {
	.getinfo	= loop_getinfo,
	.domain_open	= loop_domain_open,
	.domain_close	= loop_domain_close,
	.cq_open	= loop_cq_open,
	.cq_close	= loop_cq_close,
	.pep_open	= loop_pep_open,
	.pep_listen	= loop_pep_listen,
	.pep_close	= loop_pep_close,
	.connreq_free	= loop_connreq_free,
	.reject		= loop_reject,
	.ep_open	= loop_ep_open,
	.ep_enable	= loop_ep_enable,
	.connect	= loop_connect,
	.accept		= loop_accept,
	.shutdown	= loop_shutdown,
	.ep_close	= loop_ep_close,
	.mr_reg		= loop_mr_reg,
	.mr_alloc	= loop_mr_alloc,
	.mr_map		= loop_mr_map,
	.mr_unmap	= loop_mr_unmap,
	.mr_close	= loop_mr_close,
	.send		= loop_send,
	.recv		= loop_recv,
	.read		= loop_read,
	.write		= loop_write,
	.atomic		= loop_atomic,
	.doorbell	= loop_doorbell,
	.cancel		= loop_cancel,
};

static struct kfi_provider loop_prov = {
	.name		= "kfi_loop",
	.version	= 1,
	.api_version	= KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
	.owner		= THIS_MODULE,
	.ops		= &loop_ops,
	.pep_size	= sizeof(struct loop_pep),
	.ep_size	= sizeof(struct loop_ep),
	.mr_size	= sizeof(struct loop_mr),
	.flags		= KFI_SELECTIVE_COMPLETION,
};

/* "kfi_min": the mandatory ops only, and only KFI_MSG. */
static int min_getinfo(struct kfi_provider *prov, const struct kfi_info *hints,
		       u64 flags, struct kfi_info **info)
{
	atomic_inc(&min_getinfo_calls);
	*info = loop_info("min0", KFI_MSG | KFI_SEND | KFI_RECV,
			  KFI_FORMAT_UNSPEC);
	return *info ? 0 : -ENOMEM;
}

static const struct kfi_provider_ops min_ops = {
	.getinfo	= min_getinfo,
	.domain_open	= loop_domain_open,
	.domain_close	= loop_domain_close,
	.cq_open	= loop_cq_open,
	.cq_close	= loop_cq_close,
	.ep_open	= loop_ep_open,
	.ep_enable	= loop_ep_enable,
	.ep_close	= loop_ep_close,
	.send		= loop_send,
	.recv		= loop_recv,
};

static struct kfi_provider min_prov = {
	.name		= "kfi_min",
	.version	= 1,
	.api_version	= KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
	.owner		= THIS_MODULE,
	.ops		= &min_ops,
	.ep_size	= sizeof(struct loop_ep),
};

/* ================================================================== */
/* Test helpers */

/* Like KT_EXPECT*(), but jump to the case's cleanup instead of returning. */
#define T_CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			pr_info("    # %s:%d: expected %s\n",		\
				__func__, __LINE__, #cond);		\
			ret = -EINVAL;					\
			goto out;					\
		}							\
	} while (0)

#define T_EQ(a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a != __b) {					\
			pr_info("    # %s:%d: %s == %lld, expected %s == %lld\n", \
				__func__, __LINE__, #a, __a, #b, __b);	\
			ret = -EINVAL;					\
			goto out;					\
		}							\
	} while (0)

#define T_OK(expr)	T_EQ(expr, 0)

#define T_VERSION	KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION)
#define T_NODE		"192.0.2.10"
#define T_SERVICE	"7471"
#define T_TIMEOUT	2000	/* ms */
#define T_BUFS		16
#define T_BUFSZ		256

struct tbuf {
	struct kfi_context ctx;
	u8 data[T_BUFSZ];
};

struct tfx_opts {
	enum kfi_poll_ctx poll;
	u32 cq_size;
	u32 budget;
	void (*handler)(struct kfid_cq *cq, const struct kfi_cq_entry *entry,
			void *arg);
	void *handler_arg;
	int cl_prepost;		/* receives the client posts before connecting */
	int sv_prepost;		/* receives the server posts before accepting */
	bool credits;
	u32 reserve;
	const char *node;
	u64 cq_bind;		/* more flags for binding the CQs */
};

/* A fabric, a domain, one EQ, a CQ per side and a connected pair. */
struct tfx {
	struct kfi_info *info;
	struct kfid_fabric *fabric;
	struct kfid_domain *domain;
	struct kfid_eq *eq;
	struct kfid_cq *ccq;
	struct kfid_cq *scq;
	struct kfid_pep *pep;
	struct kfid_ep *cl;
	struct kfid_ep *sv;
	struct tbuf cbuf[T_BUFS];
	struct tbuf sbuf[T_BUFS];
};

static int t_close(struct kfid *fid, int ret)
{
	kfi_close(fid);
	return ret;
}

/* Close whatever was opened, children first; keeps the first error. */
static int tfx_free(struct tfx *t, int ret)
{
	if (!t)
		return ret;
	if (t->sv)
		ret = t_close(&t->sv->fid, ret);
	if (t->cl)
		ret = t_close(&t->cl->fid, ret);
	if (t->pep)
		ret = t_close(&t->pep->fid, ret);
	if (t->ccq)
		ret = t_close(&t->ccq->fid, ret);
	if (t->scq)
		ret = t_close(&t->scq->fid, ret);
	if (t->eq)
		ret = t_close(&t->eq->fid, ret);
	if (t->domain)
		ret = t_close(&t->domain->fid, ret);
	if (t->fabric)
		ret = t_close(&t->fabric->fid, ret);
	kfi_freeinfo(t->info);
	kfree(t);
	return ret;
}

static int t_getinfo(const char *prov, const char *node,
		     struct kfi_info **info)
{
	struct kfi_info *hints = kfi_allocinfo();
	int ret;

	if (!hints)
		return -ENOMEM;
	strscpy(hints->fabric_attr.prov_name, prov, KFI_NAME_MAX);
	hints->caps = KFI_MSG;
	hints->ep_attr.type = KFI_EP_MSG;
	ret = kfi_getinfo(T_VERSION, node, T_SERVICE, 0, hints, info);
	kfi_freeinfo(hints);
	return ret;
}

static int tfx_cq(struct tfx *t, const struct tfx_opts *o, struct kfid_cq **cq)
{
	struct kfi_cq_attr attr = {
		.size = o->cq_size ?: 64,
		.poll_ctx = o->poll,
		.comp_vector = -1,
		.budget = o->budget,
		.handler = o->handler,
		.handler_arg = o->handler_arg,
	};

	return kfi_cq_open(t->domain, &attr, cq, t);
}

/* Fabric, domain, EQ and CQs of the loopback provider. */
static struct tfx *tfx_base(const struct tfx_opts *o, int *err)
{
	struct kfi_eq_attr eq_attr = { .size = 16 };
	struct tfx *t;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	ret = t_getinfo("kfi_loop", o->node ?: T_NODE, &t->info);
	ret = ret ?: kfi_fabric(&t->info->fabric_attr, &t->fabric, t);
	ret = ret ?: kfi_domain(t->fabric, t->info, &t->domain, t);
	ret = ret ?: kfi_eq_open(t->fabric, &eq_attr, &t->eq, t);
	ret = ret ?: tfx_cq(t, o, &t->ccq);
	ret = ret ?: tfx_cq(t, o, &t->scq);
	*err = ret;
	return t;
}

/* Extra CQ binding flags of the endpoints tfx_open() is connecting. */
static u64 t_cq_bind;

static int t_bind(struct kfid_ep *ep, struct kfid_cq *cq, struct kfid_eq *eq)
{
	int ret;

	ret = kfi_ep_bind(ep, &cq->fid,
			  KFI_TRANSMIT | KFI_RECEIVE | t_cq_bind);
	ret = ret ?: kfi_ep_bind(ep, &eq->fid, 0);
	return ret ?: kfi_enable(ep);
}

static int t_post_recvs(struct kfid_ep *ep, struct tbuf *b, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = kfi_recv(ep, b[i].data, T_BUFSZ, NULL, &b[i].ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* The passive endpoint, listening on the client's destination. */
static int tfx_listen(struct tfx *t)
{
	struct kfi_info *pinfo;
	int ret;

	pinfo = kfi_dupinfo(t->info);
	if (!pinfo)
		return -ENOMEM;
	pinfo->src_addr = t->info->dest_addr;
	pinfo->src_addrlen = t->info->dest_addrlen;
	ret = kfi_passive_ep(t->fabric, pinfo, &t->pep, t);
	kfi_freeinfo(pinfo);
	ret = ret ?: kfi_pep_bind(t->pep, t->eq);
	return ret ?: kfi_listen(t->pep);
}

static int t_expect_event(struct kfid_eq *eq, enum kfi_eq_event event,
			  struct kfi_eq_cm_entry *ev)
{
	int ret = kfi_eq_sread(eq, ev, T_TIMEOUT);

	if (ret)
		return ret;
	if (ev->event != event) {
		pr_info("    # event %d, expected %d\n", ev->event, event);
		if (ev->event == KFI_CONNREQ)
			kfi_freeinfo(ev->info);
		return -EPROTO;
	}
	return 0;
}

/* Server side of a request: open, bind, enable and accept. */
static int tfx_accept(struct tfx *t, const struct tfx_opts *o,
		      struct kfi_eq_cm_entry *ev)
{
	int ret;

	ret = t_expect_event(t->eq, KFI_CONNREQ, ev);
	if (ret)
		return ret;
	ret = kfi_endpoint(t->domain, ev->info, &t->sv, t);
	kfi_freeinfo(ev->info);
	ret = ret ?: t_bind(t->sv, t->scq, t->eq);
	ret = ret ?: t_post_recvs(t->sv, t->sbuf, o->sv_prepost);
	return ret ?: kfi_accept(t->sv, NULL, 0);
}

static struct tfx *tfx_open(const struct tfx_opts *o, int *err)
{
	struct kfi_eq_cm_entry *ev;
	struct tfx *t;
	int ret;

	ev = kmalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev) {
		*err = -ENOMEM;
		return NULL;
	}
	loop_use_credits = o->credits;
	loop_reserve = o->reserve;
	t_cq_bind = o->cq_bind;
	t = tfx_base(o, &ret);
	ret = ret ?: tfx_listen(t);
	ret = ret ?: kfi_endpoint(t->domain, t->info, &t->cl, t);
	ret = ret ?: t_bind(t->cl, t->ccq, t->eq);
	ret = ret ?: t_post_recvs(t->cl, t->cbuf, o->cl_prepost);
	ret = ret ?: kfi_connect(t->cl, NULL, 0);
	ret = ret ?: tfx_accept(t, o, ev);
	ret = ret ?: t_expect_event(t->eq, KFI_CONNECTED, ev);
	ret = ret ?: t_expect_event(t->eq, KFI_CONNECTED, ev);
	loop_use_credits = false;
	loop_reserve = 0;
	t_cq_bind = 0;
	kfree(ev);
	*err = ret;
	return t;
}

/* Collect exactly @n queued completions from @cq. */
static int t_cq_wait(struct kfid_cq *cq, struct kfi_cq_entry *e, int n)
{
	int got = 0, ret;

	while (got < n) {
		ret = kfi_cq_sread(cq, e + got, n - got, T_TIMEOUT);
		if (ret == -EIO)
			ret = kfi_cq_readerr(cq, e + got) ?: 1;
		if (ret < 0)
			return ret;
		got += ret;
	}
	return 0;
}

static const struct tfx_opts t_direct = { .poll = KFI_POLL_DIRECT };

/* ================================================================== */
/* Registry */

static int reg_try(const struct kfi_provider_ops *ops, u32 api)
{
	struct kfi_provider p = {
		.name = "kfi_tmp",
		.api_version = api,
		.owner = THIS_MODULE,
		.ops = ops,
	};
	int ret = kfi_provider_register(&p);

	if (!ret)
		kfi_provider_unregister(&p);
	return ret;
}

static int reg_version_major(void)
{
	KT_EXPECT_EQ(reg_try(&loop_ops, KFI_VERSION(KFI_MAJOR_VERSION + 1, 0)),
		     -EINVAL);
	KT_EXPECT_EQ(reg_try(&loop_ops, KFI_VERSION(0, KFI_MINOR_VERSION)),
		     -EINVAL);
	return 0;
}

static int reg_version_minor(void)
{
	KT_EXPECT_EQ(reg_try(&loop_ops, KFI_VERSION(KFI_MAJOR_VERSION,
						    KFI_MINOR_VERSION + 1)),
		     -EINVAL);
	KT_EXPECT_EQ(reg_try(&loop_ops, T_VERSION), 0);
	return 0;
}

static const size_t reg_mandatory[] = {
	offsetof(struct kfi_provider_ops, getinfo),
	offsetof(struct kfi_provider_ops, domain_open),
	offsetof(struct kfi_provider_ops, domain_close),
	offsetof(struct kfi_provider_ops, cq_open),
	offsetof(struct kfi_provider_ops, cq_close),
	offsetof(struct kfi_provider_ops, ep_open),
	offsetof(struct kfi_provider_ops, ep_enable),
	offsetof(struct kfi_provider_ops, ep_close),
	offsetof(struct kfi_provider_ops, send),
	offsetof(struct kfi_provider_ops, recv),
	/* needed by pep_listen */
	offsetof(struct kfi_provider_ops, connreq_free),
	offsetof(struct kfi_provider_ops, reject),
	/* needed by the MR ops */
	offsetof(struct kfi_provider_ops, mr_close),
};

static int reg_missing_op(void)
{
	struct kfi_provider_ops ops;
	int i;

	for (i = 0; i < ARRAY_SIZE(reg_mandatory); i++) {
		ops = loop_ops;
		*(void **)((char *)&ops + reg_mandatory[i]) = NULL;
		if (reg_try(&ops, T_VERSION) != -EINVAL) {
			pr_info("    # op at offset %zu not required\n",
				reg_mandatory[i]);
			return -EINVAL;
		}
	}
	/* The minimal provider shows what is optional. */
	KT_EXPECT_EQ(reg_try(&min_ops, T_VERSION), 0);
	return 0;
}

static int reg_bad_provider(void)
{
	struct kfi_provider p = {
		.name = "kfi_tmp",
		.api_version = T_VERSION,
		.owner = THIS_MODULE,
		.ops = &loop_ops,
		.ep_size = sizeof(struct kfid_ep) - 1,
	};

	KT_EXPECT_EQ(kfi_provider_register(NULL), -EINVAL);
	KT_EXPECT_EQ(kfi_provider_register(&p), -EINVAL);
	p.ep_size = 0;
	p.ops = NULL;
	KT_EXPECT_EQ(kfi_provider_register(&p), -EINVAL);
	p.ops = &loop_ops;
	p.name = "";
	KT_EXPECT_EQ(kfi_provider_register(&p), -EINVAL);
	return 0;
}

static int reg_double(void)
{
	struct kfi_provider clash = {
		.name = "kfi_loop",
		.api_version = T_VERSION,
		.owner = THIS_MODULE,
		.ops = &loop_ops,
	};

	KT_EXPECT_EQ(kfi_provider_register(&loop_prov), -EEXIST);
	KT_EXPECT_EQ(kfi_provider_register(&clash), -EEXIST);
	return 0;
}

static int reg_unregister_busy(void)
{
	struct kfi_provider p = {
		.name = "kfi_tmp",
		.api_version = T_VERSION,
		.owner = THIS_MODULE,
		.ops = &min_ops,
	};
	struct kfi_fabric_attr attr = { .prov_name = "kfi_tmp" };
	struct kfid_fabric *fabric = NULL;
	int ret;

	KT_EXPECT_EQ(kfi_provider_register(&p), 0);
	ret = kfi_fabric(&attr, &fabric, NULL);
	T_OK(ret);
	T_EQ(kfi_provider_unregister(&p), -EBUSY);
	kfi_close(&fabric->fid);
	fabric = NULL;
out:
	if (fabric)
		kfi_close(&fabric->fid);
	/* Every object is gone now, so this must succeed. */
	if (kfi_provider_unregister(&p))
		ret = ret ?: -EBUSY;
	return ret;
}

/* Warns by design: run in the suite's warn pass, after its taint check. */
static int reg_unregister_unknown(void)
{
	struct kfi_provider p = { .name = "kfi_never" };

	KT_EXPECT_EQ(kfi_provider_unregister(&p), -ENOENT);
	return 0;
}

static int reg_gone_after_unregister(void)
{
	struct kfi_provider p = {
		.name = "kfi_tmp",
		.api_version = T_VERSION,
		.owner = THIS_MODULE,
		.ops = &min_ops,
	};
	struct kfi_fabric_attr attr = { .prov_name = "kfi_tmp" };
	struct kfid_fabric *fabric;
	struct kfi_info *info;
	int calls;

	KT_EXPECT_EQ(kfi_provider_register(&p), 0);
	if (t_getinfo("kfi_tmp", NULL, &info)) {
		kfi_provider_unregister(&p);
		return -EINVAL;
	}
	kfi_freeinfo(info);
	KT_EXPECT_EQ(kfi_provider_unregister(&p), 0);
	calls = atomic_read(&min_getinfo_calls);
	KT_EXPECT_EQ(t_getinfo("kfi_tmp", NULL, &info), -ENODATA);
	KT_EXPECT(!info);
	KT_EXPECT_EQ(kfi_fabric(&attr, &fabric, NULL), -ENODEV);
	/* Its ops are not called once unregister has returned. */
	KT_EXPECT_EQ(atomic_read(&min_getinfo_calls), calls);
	return 0;
}

/* "kfi_err": a provider whose ->getinfo fails, as an unreachable address does. */
static int err_getinfo(struct kfi_provider *prov, const struct kfi_info *hints,
		       u64 flags, struct kfi_info **info)
{
	return -EHOSTUNREACH;
}

static const struct kfi_provider_ops err_ops = {
	.getinfo	= err_getinfo,
	.domain_open	= loop_domain_open,
	.domain_close	= loop_domain_close,
	.cq_open	= loop_cq_open,
	.cq_close	= loop_cq_close,
	.ep_open	= loop_ep_open,
	.ep_enable	= loop_ep_enable,
	.ep_close	= loop_ep_close,
	.send		= loop_send,
	.recv		= loop_recv,
};

/* A provider's errno reaches the consumer when nothing else matched. */
static int getinfo_provider_errno(void)
{
	struct kfi_provider p = {
		.name = "kfi_err",
		.api_version = T_VERSION,
		.owner = THIS_MODULE,
		.ops = &err_ops,
	};
	struct kfi_info *info = NULL;
	int ret;

	KT_EXPECT_EQ(kfi_provider_register(&p), 0);
	ret = t_getinfo("kfi_err", NULL, &info);
	if (ret == -EHOSTUNREACH && !info)
		ret = 0;
	else
		ret = ret ?: -EPROTO;
	/* The others still answer: one failing provider hides nothing. */
	if (!ret && t_getinfo("kfi_loop", NULL, &info))
		ret = -EPROTO;
	kfi_freeinfo(info);
	KT_EXPECT_EQ(kfi_provider_unregister(&p), 0);
	return ret;
}

static int reg_module_pinned(void)
{
	struct tfx *t;
	int base, ret;

	base = module_refcount(THIS_MODULE);
	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	/* fabric, domain, EQ and two CQs: one reference each. */
	T_EQ(module_refcount(THIS_MODULE), base + 5);
	kfi_close(&t->scq->fid);
	t->scq = NULL;
	T_EQ(module_refcount(THIS_MODULE), base + 4);
out:
	ret = tfx_free(t, ret);
	if (!ret && module_refcount(THIS_MODULE) != base)
		ret = -EINVAL;
	return ret;
}

/* ================================================================== */
/* kfi_getinfo() */

static int count_info(struct kfi_info *info, const char *prov)
{
	int n = 0;

	for (; info; info = info->next)
		if (!prov || !strcmp(info->fabric_attr.prov_name, prov))
			n++;
	return n;
}

/* The first entry of @prov: other providers may be registered too. */
static struct kfi_info *find_info(struct kfi_info *info, const char *prov)
{
	while (info && strcmp(info->fabric_attr.prov_name, prov))
		info = info->next;
	return info;
}

static int getinfo_all(void)
{
	struct kfi_info *info;

	KT_EXPECT_EQ(kfi_getinfo(T_VERSION, NULL, NULL, 0, NULL, &info), 0);
	KT_EXPECT_EQ(count_info(info, "kfi_loop"), 2);
	KT_EXPECT_EQ(count_info(info, "kfi_min"), 1);
	kfi_freeinfo(info);
	return 0;
}

static int getinfo_hints(struct kfi_info **hints)
{
	*hints = kfi_allocinfo();
	return *hints ? 0 : -ENOMEM;
}

static int getinfo_prov_name(void)
{
	struct kfi_info *hints, *info = NULL;
	int calls, ret;

	ret = getinfo_hints(&hints);
	if (ret)
		return ret;
	strscpy(hints->fabric_attr.prov_name, "kfi_loop", KFI_NAME_MAX);
	calls = atomic_read(&min_getinfo_calls);
	T_OK(kfi_getinfo(T_VERSION, NULL, NULL, 0, hints, &info));
	T_EQ(count_info(info, NULL), 2);
	T_EQ(count_info(info, "kfi_loop"), 2);
	T_EQ(info->fabric_attr.prov_version, 1);
	T_EQ(info->fabric_attr.api_version, T_VERSION);
	/* A provider not named is not even asked. */
	T_EQ(atomic_read(&min_getinfo_calls), calls);
out:
	kfi_freeinfo(info);
	kfi_freeinfo(hints);
	return ret;
}

static int getinfo_caps(void)
{
	struct kfi_info *hints, *info = NULL;
	int ret;

	ret = getinfo_hints(&hints);
	if (ret)
		return ret;
	hints->caps = KFI_RMA | KFI_ATOMIC;
	T_OK(kfi_getinfo(T_VERSION, NULL, NULL, 0, hints, &info));
	T_EQ(count_info(info, "kfi_min"), 0);
	T_EQ(count_info(info, "kfi_loop"), 2);
	kfi_freeinfo(info);
	info = NULL;
	hints->caps = KFI_TAGGED;
	T_EQ(kfi_getinfo(T_VERSION, NULL, NULL, 0, hints, &info), -ENODATA);
	T_CHECK(!info);
out:
	kfi_freeinfo(info);
	kfi_freeinfo(hints);
	return ret;
}

static int getinfo_ep_type(void)
{
	struct kfi_info *hints, *info = NULL;
	int ret;

	ret = getinfo_hints(&hints);
	if (ret)
		return ret;
	hints->ep_attr.type = KFI_EP_RDM;
	T_EQ(kfi_getinfo(T_VERSION, NULL, NULL, 0, hints, &info), -ENODATA);
	hints->ep_attr.type = KFI_EP_MSG;
	T_OK(kfi_getinfo(T_VERSION, NULL, NULL, 0, hints, &info));
	T_EQ(count_info(info, "kfi_loop") + count_info(info, "kfi_min"), 3);
out:
	kfi_freeinfo(info);
	kfi_freeinfo(hints);
	return ret;
}

static int getinfo_domain_name(void)
{
	struct kfi_info *hints, *info = NULL;
	int ret;

	ret = getinfo_hints(&hints);
	if (ret)
		return ret;
	strscpy(hints->domain_attr.name, "loop1", KFI_NAME_MAX);
	T_OK(kfi_getinfo(T_VERSION, NULL, NULL, 0, hints, &info));
	T_EQ(count_info(info, NULL), 1);
	T_OK(strcmp(info->domain_attr.name, "loop1"));
	kfi_freeinfo(info);
	info = NULL;
	strscpy(hints->domain_attr.name, "nosuch0", KFI_NAME_MAX);
	T_EQ(kfi_getinfo(T_VERSION, NULL, NULL, 0, hints, &info), -ENODATA);
out:
	kfi_freeinfo(info);
	kfi_freeinfo(hints);
	return ret;
}

static int getinfo_node_v4(void)
{
	struct kfi_info *info = NULL;
	struct sockaddr_in *sin;
	int ret = 0;

	T_OK(t_getinfo("kfi_loop", "192.0.2.1", &info));
	/* The IPv6-only device is filtered out by the address format. */
	T_EQ(count_info(info, NULL), 1);
	T_OK(strcmp(info->domain_attr.name, "loop0"));
	sin = (struct sockaddr_in *)&info->dest_addr;
	T_EQ(info->addr_format, KFI_SOCKADDR_IN);
	T_EQ(info->dest_addrlen, sizeof(*sin));
	T_EQ(sin->sin_family, AF_INET);
	T_EQ(ntohs(sin->sin_port), 7471);
	T_EQ(ntohl(sin->sin_addr.s_addr), 0xc0000201);
	T_EQ(info->src_addrlen, 0);
out:
	kfi_freeinfo(info);
	return ret;
}

static int getinfo_node_v6(void)
{
	static const u8 want[16] = { 0xfe, 0x80, [15] = 1 };
	struct kfi_info *info = NULL, *loop;
	struct sockaddr_in6 *sin6;
	int ret = 0;

	T_OK(kfi_getinfo(T_VERSION, "fe80::1", "80", 0, NULL, &info));
	T_EQ(count_info(info, "kfi_loop"), 1);
	loop = find_info(info, "kfi_loop");
	T_OK(strcmp(loop->domain_attr.name, "loop1"));
	sin6 = (struct sockaddr_in6 *)&loop->dest_addr;
	T_EQ(loop->addr_format, KFI_SOCKADDR_IN6);
	T_EQ(sin6->sin6_family, AF_INET6);
	T_EQ(ntohs(sin6->sin6_port), 80);
	T_OK(memcmp(sin6->sin6_addr.s6_addr, want, 16));
out:
	kfi_freeinfo(info);
	return ret;
}

static int getinfo_source(void)
{
	struct kfi_info *info = NULL, *loop;
	struct sockaddr_in *sin;
	int ret = 0;

	T_OK(kfi_getinfo(T_VERSION, NULL, "9000", KFI_SOURCE, NULL, &info));
	loop = find_info(info, "kfi_loop");
	T_CHECK(loop);
	sin = (struct sockaddr_in *)&loop->src_addr;
	T_EQ(loop->dest_addrlen, 0);
	T_EQ(loop->src_addrlen, sizeof(*sin));
	T_EQ(sin->sin_family, AF_INET);
	T_EQ(ntohs(sin->sin_port), 9000);
	T_EQ(ntohl(sin->sin_addr.s_addr), 0);
out:
	kfi_freeinfo(info);
	return ret;
}

static int getinfo_bad_args(void)
{
	struct kfi_info *info;

	KT_EXPECT_EQ(kfi_getinfo(T_VERSION, "host.example", NULL, 0, NULL,
				 &info), -EINVAL);
	KT_EXPECT_EQ(kfi_getinfo(T_VERSION, "192.0.2.1", "99999", 0, NULL,
				 &info), -EINVAL);
	KT_EXPECT_EQ(kfi_getinfo(T_VERSION, "192.0.2.1", "http", 0, NULL,
				 &info), -EINVAL);
	KT_EXPECT_EQ(kfi_getinfo(T_VERSION, NULL, NULL, BIT_ULL(63), NULL,
				 &info), -EINVAL);
	KT_EXPECT_EQ(kfi_getinfo(T_VERSION, NULL, NULL, 0, NULL, NULL),
		     -EINVAL);
	return 0;
}

static int getinfo_bad_version(void)
{
	struct kfi_info *info;

	KT_EXPECT_EQ(kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION + 1, 0), NULL,
				 NULL, 0, NULL, &info), -EINVAL);
	KT_EXPECT_EQ(kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION,
					     KFI_MINOR_VERSION + 1),
				 NULL, NULL, 0, NULL, &info), -EINVAL);
	return 0;
}

static int getinfo_no_match(void)
{
	struct kfi_info *info = (void *)1;

	KT_EXPECT_EQ(t_getinfo("kfi_nosuch", NULL, &info), -ENODATA);
	KT_EXPECT(!info);
	return 0;
}

static int getinfo_dupinfo(void)
{
	struct kfi_info *info = NULL, *dup = NULL;
	int ret = 0;

	T_OK(kfi_getinfo(T_VERSION, NULL, NULL, 0, NULL, &info));
	T_CHECK(info->next);
	info->handle = (void *)0x10;	/* must not be copied */
	dup = kfi_dupinfo(info);
	info->handle = NULL;
	T_CHECK(dup);
	T_CHECK(!dup->next);
	T_CHECK(!dup->handle);
	T_OK(strcmp(dup->domain_attr.name, info->domain_attr.name));
	T_EQ(dup->caps, info->caps);
	T_CHECK(!kfi_dupinfo(NULL));
	kfi_freeinfo(NULL);
out:
	kfi_freeinfo(dup);
	kfi_freeinfo(info);
	return ret;
}

/* ================================================================== */
/* Object lifetimes */

static int obj_fabric_bad(void)
{
	struct kfi_fabric_attr attr = {};
	struct kfid_fabric *fabric;

	KT_EXPECT_EQ(kfi_fabric(NULL, &fabric, NULL), -EINVAL);
	KT_EXPECT_EQ(kfi_fabric(&attr, &fabric, NULL), -EINVAL);
	strscpy(attr.prov_name, "kfi_nosuch", KFI_NAME_MAX);
	KT_EXPECT_EQ(kfi_fabric(&attr, &fabric, NULL), -ENODEV);
	kfi_close(NULL);		/* ignored, as kfree(NULL) */
	return 0;
}

static int obj_domain_bad(void)
{
	struct kfid_domain *domain;
	struct kfi_info *other = NULL;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_domain(NULL, t->info, &domain, NULL), -EINVAL);
	T_EQ(kfi_domain(t->fabric, NULL, &domain, NULL), -EINVAL);
	/* An object of another class is refused, not misused. */
	T_EQ(kfi_domain((struct kfid_fabric *)t->eq, t->info, &domain, NULL),
	     -EINVAL);
	T_OK(t_getinfo("kfi_min", NULL, &other));
	T_EQ(kfi_domain(t->fabric, other, &domain, NULL), -EINVAL);
out:
	kfi_freeinfo(other);
	return tfx_free(t, ret);
}

/*
 * Closing an object with children is a caller bug: it warns (once per
 * boot) and the object stays open, children and all.  These run in the
 * warn pass only, as the one case obj_close_with_children.
 */
#define T_CLOSE_REFUSED(obj, n)						\
	do {								\
		struct kfid *__fid = (obj);				\
									\
		kfi_close(__fid);					\
		T_EQ(__fid->fclass != KFI_CLASS_UNSPEC, 1);		\
		T_EQ(atomic_read(&__fid->children), (n));		\
	} while (0)

static int obj_close_fabric_busy(void)
{
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_CLOSE_REFUSED(&t->fabric->fid, 2);	/* domain, EQ */
	T_CLOSE_REFUSED(&t->domain->fid, 2);	/* CQs */
	kfi_close(&t->ccq->fid);
	t->ccq = NULL;
	kfi_close(&t->scq->fid);
	t->scq = NULL;
	T_EQ(atomic_read(&t->domain->fid.children), 0);
	kfi_close(&t->domain->fid);
	t->domain = NULL;
	T_CLOSE_REFUSED(&t->fabric->fid, 1);	/* EQ */
	kfi_close(&t->eq->fid);
	t->eq = NULL;
	T_EQ(atomic_read(&t->fabric->fid.children), 0);
out:
	return tfx_free(t, ret);
}

static int obj_close_domain_busy_ep_mr(void)
{
	static u8 buf[64];
	struct kvec kv = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);
	struct kfid_mr *mr = NULL;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	kfi_close(&t->ccq->fid);
	t->ccq = NULL;
	kfi_close(&t->scq->fid);
	t->scq = NULL;
	T_OK(kfi_mr_reg(t->domain, &iov, KFI_REMOTE_READ, &mr, NULL));
	T_CLOSE_REFUSED(&t->domain->fid, 1);
	kfi_close(&mr->fid);
	mr = NULL;
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, NULL));
	T_CLOSE_REFUSED(&t->domain->fid, 1);
	kfi_close(&t->cl->fid);
	t->cl = NULL;
	T_EQ(atomic_read(&t->domain->fid.children), 0);
out:
	if (mr)
		kfi_close(&mr->fid);
	return tfx_free(t, ret);
}

static int obj_close_bound(void)
{
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, NULL));
	T_OK(kfi_ep_bind(t->cl, &t->ccq->fid, KFI_TRANSMIT));
	T_OK(kfi_ep_bind(t->cl, &t->scq->fid, KFI_RECEIVE));
	T_OK(kfi_ep_bind(t->cl, &t->eq->fid, 0));
	T_CLOSE_REFUSED(&t->ccq->fid, 1);
	T_CLOSE_REFUSED(&t->scq->fid, 1);
	T_CLOSE_REFUSED(&t->eq->fid, 1);
	T_OK(tfx_listen(t));
	kfi_close(&t->cl->fid);
	t->cl = NULL;
	T_CLOSE_REFUSED(&t->eq->fid, 1);	/* the listener */
	T_CLOSE_REFUSED(&t->fabric->fid, 3);	/* domain, EQ, pep */
	kfi_close(&t->pep->fid);
	t->pep = NULL;
	T_EQ(atomic_read(&t->eq->fid.children), 0);
	kfi_close(&t->eq->fid);
	t->eq = NULL;
out:
	return tfx_free(t, ret);
}

/* Warns once: every refusal after the first is silent (WARN_ONCE). */
static int obj_close_with_children(void)
{
	return obj_close_fabric_busy() ?: obj_close_domain_busy_ep_mr() ?:
	       obj_close_bound();
}

static int obj_refcounts(void)
{
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	/* Own reference plus one per child: two CQs. */
	T_EQ(kref_read(&t->domain->fid.ref), 3);
	T_EQ(atomic_read(&t->domain->fid.children), 2);
	T_EQ(atomic_read(&t->fabric->fid.children), 2);	/* domain, EQ */
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, NULL));
	T_EQ(atomic_read(&t->domain->fid.children), 3);
	T_OK(kfi_ep_bind(t->cl, &t->ccq->fid, KFI_TRANSMIT | KFI_RECEIVE));
	/* Bound for both directions: counted twice. */
	T_EQ(atomic_read(&t->ccq->fid.children), 2);
	T_EQ(kref_read(&t->ccq->fid.ref), 3);
	kfi_close(&t->cl->fid);
	t->cl = NULL;
	T_EQ(atomic_read(&t->ccq->fid.children), 0);
	T_EQ(kref_read(&t->ccq->fid.ref), 1);
	T_EQ(atomic_read(&t->domain->fid.children), 2);
out:
	return tfx_free(t, ret);
}

static int obj_close_bad_class(void)
{
	struct kfid fake = { .fclass = KFI_CLASS_AV };

	/* Refused without touching it: not a kfabric object. */
	kfi_close(&fake);
	KT_EXPECT_EQ(fake.fclass, KFI_CLASS_AV);
	fake.fclass = KFI_CLASS_UNSPEC;
	kfi_close(&fake);
	fake.fclass = 1000;
	kfi_close(&fake);
	KT_EXPECT_EQ(fake.fclass, 1000);
	return 0;
}

/* ================================================================== */
/* Completion queues */

/* What a consumer's request looks like: the context embedded in it. */
struct treq {
	struct kfi_context kctx;
	int id;
	int err;
	atomic_t *count;
};

static void treq_done(struct kfid_cq *cq, const struct kfi_cq_entry *entry)
{
	struct treq *req = container_of(entry->op_context, struct treq, kctx);

	req->err = entry->err;
	atomic_inc(req->count);
}

enum { REC_ANY, REC_SOFTIRQ, REC_WORKQUEUE };

/* Records where a CQ handler ran. */
struct ctx_rec {
	int mode;
	int want;
	atomic_t n;
	atomic_t bad;
	struct completion done;
	const struct kfi_context *last;
};

static void rec_init(struct ctx_rec *r, int mode, int want)
{
	r->mode = mode;
	r->want = want;
	atomic_set(&r->n, 0);
	atomic_set(&r->bad, 0);
	init_completion(&r->done);
}

static void rec_handler(struct kfid_cq *cq, const struct kfi_cq_entry *entry,
			void *arg)
{
	struct ctx_rec *r = arg;

	if (r->mode == REC_SOFTIRQ && !in_softirq())
		atomic_inc(&r->bad);
	if (r->mode == REC_WORKQUEUE &&
	    (in_interrupt() || !(current->flags & PF_WQ_WORKER)))
		atomic_inc(&r->bad);
	r->last = entry->op_context;
	if (atomic_inc_return(&r->n) == r->want)
		complete(&r->done);
}

static int t_send_n(struct tfx *t, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		memset(t->cbuf[i].data, 'a' + i, T_BUFSZ);
		ret = kfi_send(t->cl, t->cbuf[i].data, 32, NULL,
			       &t->cbuf[i].ctx);
		if (ret)
			return ret;
	}
	return 0;
}

static int cq_open_bad(void)
{
	struct kfi_cq_attr attr = { .size = 16, .poll_ctx = KFI_POLL_DIRECT };
	struct kfid_cq *cq;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_cq_open(t->domain, NULL, &cq, NULL), -EINVAL);
	T_EQ(kfi_cq_open(NULL, &attr, &cq, NULL), -EINVAL);
	attr.size = 0;
	T_EQ(kfi_cq_open(t->domain, &attr, &cq, NULL), -EINVAL);
	attr.size = 2048;	/* over the device's cq_size */
	T_EQ(kfi_cq_open(t->domain, &attr, &cq, NULL), -EINVAL);
	attr.size = 16;
	attr.poll_ctx = 7;
	T_EQ(kfi_cq_open(t->domain, &attr, &cq, NULL), -EINVAL);
	attr.poll_ctx = KFI_POLL_DIRECT;
	attr.size = 5;
	T_OK(kfi_cq_open(t->domain, &attr, &cq, NULL));
	/* Rounded up to a power of two; default budget filled in. */
	ret = cq->attr.size == 8 && cq->attr.budget ? 0 : -EINVAL;
	ret = t_close(&cq->fid, ret);
out:
	return tfx_free(t, ret);
}

static int cq_order(void)
{
	struct tfx_opts o = { .poll = KFI_POLL_DIRECT, .sv_prepost = 8 };
	struct kfi_cq_entry e[8];
	struct tfx *t;
	int i, ret;

	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_OK(t_send_n(t, 8));
	T_OK(t_cq_wait(t->scq, e, 8));
	for (i = 0; i < 8; i++) {
		T_CHECK(e[i].op_context == &t->sbuf[i].ctx);
		T_EQ(e[i].flags, KFI_RECV | KFI_MSG);
		T_EQ(e[i].len, 32);
		T_EQ(t->sbuf[i].data[31], 'a' + i);
	}
	T_OK(t_cq_wait(t->ccq, e, 8));
	for (i = 0; i < 8; i++) {
		T_CHECK(e[i].op_context == &t->cbuf[i].ctx);
		T_EQ(e[i].flags, KFI_SEND | KFI_MSG);
	}
	T_EQ(kfi_cq_read(t->scq, e, 8), -EAGAIN);
out:
	return tfx_free(t, ret);
}

static int cq_overflow(void)
{
	struct tfx_opts o = {
		.poll = KFI_POLL_DIRECT, .cq_size = 4, .sv_prepost = 6,
	};
	struct kfi_cq_entry e[8];
	struct tfx *t;
	int ret;

	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_OK(t_send_n(t, 6));
	/* Six completions into a ring of four: reported once, then data. */
	T_EQ(kfi_cq_read(t->scq, e, 8), -EOVERFLOW);
	T_EQ(kfi_cq_read(t->scq, e, 8), 4);
	T_CHECK(e[0].op_context == &t->sbuf[0].ctx);
	T_CHECK(e[3].op_context == &t->sbuf[3].ctx);
	T_EQ(kfi_cq_read(t->scq, e, 8), -EAGAIN);
	T_EQ(kfi_stats_read(t->scq->stats, KFI_STAT_COMPLETED), 6);
out:
	return tfx_free(t, ret);
}

static int cq_sread_timeout(void)
{
	struct kfi_cq_entry e;
	unsigned long start;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	start = jiffies;
	T_EQ(kfi_cq_sread(t->ccq, &e, 1, 50), -ETIMEDOUT);
	T_CHECK(time_after_eq(jiffies, start + msecs_to_jiffies(50) - 1));
	T_EQ(kfi_cq_sread(t->ccq, &e, 1, 0), -ETIMEDOUT);
out:
	return tfx_free(t, ret);
}

struct late_send {
	struct delayed_work dwork;
	struct tfx *t;
	int ret;
};

static void late_send_fn(struct work_struct *work)
{
	struct late_send *ls = container_of(to_delayed_work(work),
					    struct late_send, dwork);

	ls->ret = kfi_send(ls->t->cl, ls->t->cbuf[0].data, 16, NULL,
			   &ls->t->cbuf[0].ctx);
}

static int cq_sread_woken(void)
{
	struct tfx_opts o = { .poll = KFI_POLL_DIRECT, .sv_prepost = 1 };
	struct late_send ls = {};
	struct kfi_cq_entry e;
	unsigned long start;
	struct tfx *t;
	int ret;

	INIT_DELAYED_WORK(&ls.dwork, late_send_fn);
	t = tfx_open(&o, &ret);
	T_OK(ret);
	ls.t = t;
	start = jiffies;
	schedule_delayed_work(&ls.dwork, msecs_to_jiffies(100));
	T_EQ(kfi_cq_sread(t->scq, &e, 1, 5000), 1);
	T_CHECK(time_after_eq(jiffies, start + msecs_to_jiffies(50)));
	T_CHECK(e.op_context == &t->sbuf[0].ctx);
	T_OK(ls.ret);
out:
	cancel_delayed_work_sync(&ls.dwork);
	return tfx_free(t, ret);
}

static int cq_poll_ctx(enum kfi_poll_ctx poll, int mode, u32 budget)
{
	struct ctx_rec *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct tfx_opts o = {
		.poll = poll, .handler = rec_handler, .handler_arg = r,
		.sv_prepost = 6, .budget = budget,
	};
	struct tfx *t = NULL;
	int ret;

	if (!r)
		return -ENOMEM;
	rec_init(r, mode, 12);	/* six receives, six sends */
	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_OK(t_send_n(t, 6));
	T_CHECK(wait_for_completion_timeout(&r->done,
					    msecs_to_jiffies(T_TIMEOUT)));
	T_EQ(atomic_read(&r->bad), 0);
out:
	ret = tfx_free(t, ret);
	kfree(r);
	return ret;
}

static int cq_softirq(void)
{
	return cq_poll_ctx(KFI_POLL_SOFTIRQ, REC_SOFTIRQ, 0);
}

static int cq_softirq_budget(void)
{
	/* A budget of two: the poller reschedules itself until done. */
	return cq_poll_ctx(KFI_POLL_SOFTIRQ, REC_SOFTIRQ, 2);
}

static int cq_workqueue(void)
{
	return cq_poll_ctx(KFI_POLL_WORKQUEUE, REC_WORKQUEUE, 0);
}

static int cq_workqueue_budget(void)
{
	return cq_poll_ctx(KFI_POLL_WORKQUEUE, REC_WORKQUEUE, 1);
}

static int cq_direct(void)
{
	struct ctx_rec *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct tfx_opts o = {
		.poll = KFI_POLL_DIRECT, .handler = rec_handler,
		.handler_arg = r, .sv_prepost = 4,
	};
	struct tfx *t = NULL;
	int ret;

	if (!r)
		return -ENOMEM;
	rec_init(r, REC_ANY, 8);
	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_OK(t_send_n(t, 4));
	msleep(20);
	/* Nothing is delivered until the consumer polls. */
	T_EQ(atomic_read(&r->n), 0);
	T_EQ(kfi_cq_poll(t->scq, 0), 4);
	T_EQ(atomic_read(&r->n), 4);
	T_CHECK(r->last == &t->sbuf[3].ctx);
	T_EQ(kfi_cq_poll(t->ccq, 0), 4);
	T_EQ(atomic_read(&r->n), 8);
	T_EQ(kfi_cq_poll(t->ccq, 0), 0);
out:
	ret = tfx_free(t, ret);
	kfree(r);
	return ret;
}

static int cq_budget(void)
{
	struct tfx_opts o = { .poll = KFI_POLL_DIRECT, .sv_prepost = 10 };
	struct tfx *t;
	int ret;

	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_OK(t_send_n(t, 10));
	T_EQ(kfi_cq_poll(t->scq, 4), 4);
	T_EQ(kfi_cq_poll(t->scq, 4), 4);
	T_EQ(kfi_cq_poll(t->scq, 4), 2);
	T_EQ(kfi_cq_poll(t->scq, 4), 0);
	T_EQ(t->scq->tail - t->scq->head, 10);
out:
	return tfx_free(t, ret);
}

/* Post a receive whose context has a done callback and one without. */
static int t_post_two(struct tfx *t, struct treq *req, atomic_t *count)
{
	int ret;

	req->kctx.done = treq_done;
	req->count = count;
	ret = kfi_recv(t->sv, t->sbuf[0].data, T_BUFSZ, NULL, &req->kctx);
	ret = ret ?: kfi_recv(t->sv, t->sbuf[1].data, T_BUFSZ, NULL,
			      &t->sbuf[1].ctx);
	return ret ?: t_send_n(t, 2);
}

static int cq_done_over_handler(void)
{
	struct ctx_rec *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct tfx_opts o = {
		.poll = KFI_POLL_DIRECT, .handler = rec_handler,
		.handler_arg = r,
	};
	struct treq req = {};
	atomic_t count = ATOMIC_INIT(0);
	struct tfx *t = NULL;
	int ret;

	if (!r)
		return -ENOMEM;
	rec_init(r, REC_ANY, 100);
	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_OK(t_post_two(t, &req, &count));
	T_EQ(kfi_cq_poll(t->scq, 0), 2);
	T_EQ(atomic_read(&count), 1);		/* the done callback */
	T_EQ(atomic_read(&r->n), 1);		/* the handler, once */
	T_CHECK(r->last == &t->sbuf[1].ctx);
	T_EQ(req.err, 0);
out:
	ret = tfx_free(t, ret);
	kfree(r);
	return ret;
}

static int cq_done_over_queue(void)
{
	struct treq req = {};
	atomic_t count = ATOMIC_INIT(0);
	struct kfi_cq_entry e[4];
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_post_two(t, &req, &count));
	T_EQ(kfi_cq_read(t->scq, e, 4), 1);
	T_CHECK(e[0].op_context == &t->sbuf[1].ctx);
	T_EQ(atomic_read(&count), 1);
out:
	return tfx_free(t, ret);
}

static int cq_bad_calls(void)
{
	struct kfi_cq_attr attr = {
		.size = 8, .poll_ctx = KFI_POLL_SOFTIRQ, .handler = rec_handler,
	};
	struct kfi_cq_entry e = {};
	struct kfid_cq *cq;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_cq_open(t->domain, &attr, &cq, NULL));
	ret = kfi_cq_poll(cq, 0) == -EINVAL ? 0 : -EINVAL;	/* not DIRECT */
	if (!ret)
		ret = kfi_cq_read(cq, &e, 1) == -EINVAL ? 0 : -EINVAL;
	ret = t_close(&cq->fid, ret);
	T_OK(ret);
	T_EQ(kfi_cq_read(t->ccq, &e, 0), -EINVAL);
	T_EQ(kfi_cq_read(t->ccq, NULL, 1), -EINVAL);
	T_EQ(kfi_cq_read(NULL, &e, 1), -EINVAL);
	T_EQ(kfi_cq_readerr(t->ccq, NULL), -EINVAL);
	T_EQ(kfi_cq_readerr(t->ccq, &e), -EAGAIN);
	T_EQ(kfi_cq_poll(NULL, 0), -EINVAL);
	T_EQ(kfi_cq_sw_complete(NULL, &e), -EINVAL);
	T_EQ(kfi_cq_sw_complete(t->ccq, NULL), -EINVAL);
	T_EQ(kfi_cq_read((struct kfid_cq *)t->eq, &e, 1), -EINVAL);
out:
	return tfx_free(t, ret);
}

static int cq_stats(void)
{
	struct tfx_opts o = { .poll = KFI_POLL_DIRECT, .sv_prepost = 3 };
	struct kfi_cq_entry e[3];
	struct tfx *t;
	int ret;

	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_OK(t_send_n(t, 3));
	T_OK(t_cq_wait(t->scq, e, 3));
	T_OK(t_cq_wait(t->ccq, e, 3));
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED), 3);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_COMPLETED), 3);
	T_EQ(kfi_stats_read(t->sv->stats, KFI_STAT_POSTED), 3);
	T_EQ(kfi_stats_read(t->sv->stats, KFI_STAT_COMPLETED), 3);
	T_EQ(kfi_stats_read(t->scq->stats, KFI_STAT_POSTED), 3);
	T_EQ(kfi_stats_read(t->scq->stats, KFI_STAT_COMPLETED), 3);
	T_EQ(kfi_stats_read(t->scq->stats, KFI_STAT_ERRORS), 0);
out:
	return tfx_free(t, ret);
}

struct t_on_cpu {
	struct kfid_ep *ep;
	struct tbuf *buf;
};

/* Post one send from the CPU work_on_cpu() runs this on. */
static long t_send_on_cpu(void *arg)
{
	struct t_on_cpu *a = arg;

	return kfi_send(a->ep, a->buf->data, 32, NULL, &a->buf->ctx);
}

/*
 * The counters are per CPU: a send posted on each online CPU is counted
 * in that CPU's copy, and kfi_stats_read() sums the copies.
 */
static int cq_stats_per_cpu(void)
{
	struct tfx_opts o = { .poll = KFI_POLL_DIRECT, .sv_prepost = T_BUFS };
	struct kfi_cq_entry e[T_BUFS];
	struct t_on_cpu a;
	int cpus[T_BUFS];
	int cpu, i, n = 0;
	struct tfx *t;
	int ret;

	t = tfx_open(&o, &ret);
	T_OK(ret);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (n == T_BUFS)
			break;
		a.ep = t->cl;
		a.buf = &t->cbuf[n];
		ret = work_on_cpu(cpu, t_send_on_cpu, &a);
		if (ret)
			break;
		cpus[n++] = cpu;
	}
	cpus_read_unlock();
	T_OK(ret);
	for (i = 0; i < n; i++)
		T_EQ(per_cpu_ptr(t->cl->stats, cpus[i])->n[KFI_STAT_POSTED], 1);
	T_OK(t_cq_wait(t->scq, e, n));
	T_OK(t_cq_wait(t->ccq, e, n));
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED), n);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_COMPLETED), n);
	T_EQ(kfi_stats_read(t->sv->stats, KFI_STAT_COMPLETED), n);
	T_EQ(kfi_stats_read(t->scq->stats, KFI_STAT_POSTED), n);
	T_EQ(kfi_stats_read(t->scq->stats, KFI_STAT_COMPLETED), n);
out:
	return tfx_free(t, ret);
}

/* ================================================================== */
/* Event queues and connection management */

static int eq_open_read(void)
{
	struct kfi_eq_attr attr = { .size = 0 };
	struct kfi_eq_cm_entry *ev;
	struct kfid_eq *eq;
	struct tfx *t;
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_eq_open(t->fabric, &attr, &eq, NULL), -EINVAL);
	attr.size = 100000;
	T_EQ(kfi_eq_open(t->fabric, &attr, &eq, NULL), -EINVAL);
	T_EQ(kfi_eq_open(t->fabric, NULL, &eq, NULL), -EINVAL);
	T_EQ(kfi_eq_open(NULL, &attr, &eq, NULL), -EINVAL);
	T_EQ(kfi_eq_read(t->eq, ev), -EAGAIN);
	T_EQ(kfi_eq_read(t->eq, NULL), -EINVAL);
	/* The test plays provider: one event in, the same event out. */
	ev->event = KFI_SHUTDOWN;
	ev->fid = &t->eq->fid;
	ev->datalen = 3;
	memcpy(ev->data, "bye", 3);
	T_OK(kfi_eq_report(t->eq, ev, GFP_KERNEL));
	memset(ev, 0, sizeof(*ev));
	T_OK(kfi_eq_read(t->eq, ev));
	T_EQ(ev->event, KFI_SHUTDOWN);
	T_CHECK(ev->fid == &t->eq->fid);
	T_EQ(ev->datalen, 3);
	T_OK(memcmp(ev->data, "bye", 3));
	T_EQ(kfi_eq_read(t->eq, ev), -EAGAIN);
	ev->datalen = KFI_CM_DATA_MAX + 1;
	T_EQ(kfi_eq_report(t->eq, ev, GFP_KERNEL), -EINVAL);
out:
	kfree(ev);
	return tfx_free(t, ret);
}

static int eq_sread_timeout(void)
{
	struct kfi_eq_cm_entry *ev;
	unsigned long start;
	struct tfx *t;
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	start = jiffies;
	T_EQ(kfi_eq_sread(t->eq, ev, 50), -ETIMEDOUT);
	T_CHECK(time_after_eq(jiffies, start + msecs_to_jiffies(50) - 1));
out:
	kfree(ev);
	return tfx_free(t, ret);
}

static int eq_overflow(void)
{
	struct kfi_eq_attr attr = { .size = 2 };
	struct kfi_eq_cm_entry *ev;
	struct kfid_eq *eq = NULL;
	struct tfx *t;
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_eq_open(t->fabric, &attr, &eq, NULL));
	ev->event = KFI_SHUTDOWN;
	T_OK(kfi_eq_report(eq, ev, GFP_KERNEL));
	T_OK(kfi_eq_report(eq, ev, GFP_KERNEL));
	T_EQ(kfi_eq_report(eq, ev, GFP_KERNEL), -ENOSPC);
	T_OK(kfi_eq_read(eq, ev));
	T_OK(kfi_eq_report(eq, ev, GFP_KERNEL));
out:
	if (eq)
		ret = t_close(&eq->fid, ret);	/* frees the queued events */
	kfree(ev);
	return tfx_free(t, ret);
}

/*
 * An endpoint's final event takes the node kept for it at kfi_ep_bind():
 * it is reported even into a full EQ; a second one is not.
 */
static int eq_final_event_kept(void)
{
	struct kfi_eq_attr attr = { .size = 1 };
	struct kfi_eq_cm_entry *ev;
	struct kfid_eq *eq = NULL;
	struct tfx *t;
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_eq_open(t->fabric, &attr, &eq, NULL));
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, NULL));
	T_OK(kfi_ep_bind(t->cl, &eq->fid, 0));
	ev->event = KFI_CONNECTED;
	ev->fid = &t->cl->fid;
	T_OK(kfi_eq_report(eq, ev, GFP_KERNEL));
	T_EQ(kfi_eq_report(eq, ev, GFP_KERNEL), -ENOSPC);	/* full */
	ev->event = KFI_SHUTDOWN;
	ev->err = -EIO;
	T_OK(kfi_eq_report(eq, ev, GFP_ATOMIC));
	T_EQ(kfi_eq_report(eq, ev, GFP_KERNEL), -ENOSPC);	/* used up */
	T_OK(kfi_eq_read(eq, ev));
	T_EQ(ev->event, KFI_CONNECTED);
	T_OK(kfi_eq_read(eq, ev));
	T_EQ(ev->event, KFI_SHUTDOWN);
	T_EQ(ev->err, -EIO);
	T_EQ(kfi_eq_read(eq, ev), -EAGAIN);
out:
	kfi_close(t && t->cl ? &t->cl->fid : NULL);
	if (t)
		t->cl = NULL;
	kfi_close(eq ? &eq->fid : NULL);
	kfree(ev);
	return tfx_free(t, ret);
}

struct eq_rec {
	struct timer_list timer;
	struct kfid_eq *eq;
	struct kfi_eq_cm_entry ev;
	int report;
	bool in_task;
	bool may_sleep;
	struct completion done;
};

static void eq_rec_handler(const struct kfi_eq_cm_entry *entry, void *arg)
{
	struct eq_rec *r = arg;

	r->in_task = in_task();
	r->may_sleep = preemptible() || !IS_ENABLED(CONFIG_PREEMPT_COUNT);
	usleep_range(1000, 2000);	/* the handler may sleep */
	complete(&r->done);
}

static void eq_rec_timer(struct timer_list *timer)
{
	struct eq_rec *r = timer_container_of(r, timer, timer);

	/* Reported from softirq: the handler must still run in a task. */
	r->report = kfi_eq_report(r->eq, &r->ev, GFP_ATOMIC);
}

static int eq_handler_context(void)
{
	struct eq_rec *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct kfi_eq_attr attr = { .size = 4, .handler = eq_rec_handler };
	struct kfi_eq_cm_entry ev;
	struct tfx *t = NULL;
	int ret;

	if (!r)
		return -ENOMEM;
	init_completion(&r->done);
	timer_setup(&r->timer, eq_rec_timer, 0);
	attr.handler_arg = r;
	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_eq_open(t->fabric, &attr, &r->eq, NULL));
	r->ev.event = KFI_SHUTDOWN;
	mod_timer(&r->timer, jiffies + 1);
	T_CHECK(wait_for_completion_timeout(&r->done,
					    msecs_to_jiffies(T_TIMEOUT)));
	T_OK(r->report);
	T_CHECK(r->in_task);
	T_CHECK(r->may_sleep);
	T_EQ(kfi_eq_read(r->eq, &ev), -EINVAL);	/* it has a handler */
out:
	timer_delete_sync(&r->timer);
	if (r->eq)
		ret = t_close(&r->eq->fid, ret);
	kfree(r);
	return tfx_free(t, ret);
}

/* Base, listener and an enabled client; the request is not sent yet. */
static struct tfx *tfx_client(const struct tfx_opts *o, int *err)
{
	struct tfx *t;
	int ret;

	t = tfx_base(o, &ret);
	ret = ret ?: tfx_listen(t);
	ret = ret ?: kfi_endpoint(t->domain, t->info, &t->cl, t);
	ret = ret ?: t_bind(t->cl, t->ccq, t->eq);
	*err = ret;
	return t;
}

static int cm_private_data(void)
{
	struct kfi_eq_cm_entry *ev;
	struct tfx *t;
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_client(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_connect(t->cl, "hello", 5));
	T_EQ(READ_ONCE(t->cl->state), KFI_EP_CONNECTING);
	T_OK(t_expect_event(t->eq, KFI_CONNREQ, ev));
	ret = ev->fid == &t->pep->fid && ev->datalen == 5 &&
	      !memcmp(ev->data, "hello", 5) && ev->info->handle ? 0 : -EINVAL;
	if (!ret)
		ret = kfi_endpoint(t->domain, ev->info, &t->sv, t);
	kfi_freeinfo(ev->info);
	T_OK(ret);
	T_OK(t_bind(t->sv, t->scq, t->eq));
	T_OK(kfi_accept(t->sv, "world", 5));
	T_OK(t_expect_event(t->eq, KFI_CONNECTED, ev));
	T_CHECK(ev->fid == &t->cl->fid);
	T_EQ(ev->datalen, 5);
	T_OK(memcmp(ev->data, "world", 5));
	T_OK(t_expect_event(t->eq, KFI_CONNECTED, ev));
	T_CHECK(ev->fid == &t->sv->fid);
	T_EQ(READ_ONCE(t->cl->state), KFI_EP_CONNECTED);
	T_EQ(READ_ONCE(t->sv->state), KFI_EP_CONNECTED);
out:
	kfree(ev);
	return tfx_free(t, ret);
}

static int cm_reject(void)
{
	struct kfi_eq_cm_entry *ev;
	struct kfid_ep *ep;
	struct tfx *t;
	u8 buf[8];
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_client(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_connect(t->cl, NULL, 0));
	T_OK(t_expect_event(t->eq, KFI_CONNREQ, ev));
	ret = kfi_reject(t->pep, ev->info->handle, "no", 2);
	if (!ret && kfi_reject(t->pep, ev->info->handle, NULL, 0) != -EINVAL)
		ret = -EINVAL;
	if (!ret && kfi_endpoint(t->domain, ev->info, &ep, NULL) != -EINVAL)
		ret = -EINVAL;
	kfi_freeinfo(ev->info);
	T_OK(ret);
	T_OK(t_expect_event(t->eq, KFI_REJECTED, ev));
	T_CHECK(ev->fid == &t->cl->fid);
	T_EQ(ev->err, -ECONNREFUSED);
	T_EQ(ev->datalen, 2);
	T_OK(memcmp(ev->data, "no", 2));
	T_EQ(READ_ONCE(t->cl->state), KFI_EP_SHUTDOWN);
	T_EQ(kfi_send(t->cl, buf, sizeof(buf), NULL, NULL), -ENOTCONN);
out:
	kfree(ev);
	return tfx_free(t, ret);
}

static int cm_freeinfo_rejects(void)
{
	struct kfi_eq_cm_entry *ev;
	struct tfx *t;
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_client(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_connect(t->cl, NULL, 0));
	T_OK(t_expect_event(t->eq, KFI_CONNREQ, ev));
	/* Neither accepted nor rejected: freeing the info rejects it. */
	kfi_freeinfo(ev->info);
	T_OK(t_expect_event(t->eq, KFI_REJECTED, ev));
	T_EQ(ev->datalen, 0);
out:
	kfree(ev);
	return tfx_free(t, ret);
}

static int cm_unreachable(void)
{
	struct tfx_opts o = { .poll = KFI_POLL_DIRECT, .node = "192.0.2.99" };
	struct kfi_eq_cm_entry *ev;
	struct tfx *t;
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_base(&o, &ret);
	T_OK(ret);
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, t));
	T_OK(t_bind(t->cl, t->ccq, t->eq));
	T_OK(kfi_connect(t->cl, NULL, 0));
	T_OK(t_expect_event(t->eq, KFI_UNREACHABLE, ev));
	T_EQ(ev->err, -ECONNREFUSED);
	T_EQ(READ_ONCE(t->cl->state), KFI_EP_SHUTDOWN);
out:
	kfree(ev);
	return tfx_free(t, ret);
}

static int cm_twice(void)
{
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_accept(t->sv, NULL, 0), -EISCONN);
	T_EQ(kfi_connect(t->cl, NULL, 0), -EISCONN);
	T_EQ(kfi_connect(t->sv, NULL, 0), -EINVAL);	/* from a request */
	T_EQ(kfi_accept(t->cl, NULL, 0), -EINVAL);	/* no request */
out:
	return tfx_free(t, ret);
}

static int cm_connect_bad(void)
{
	u8 big[LOOP_CM_DATA + 1] = {};
	struct kfid_ep *ep = NULL;
	struct kfi_info *info;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, t));
	T_EQ(kfi_connect(t->cl, NULL, 0), -EINVAL);	/* not enabled */
	T_OK(t_bind(t->cl, t->ccq, t->eq));
	T_EQ(kfi_connect(t->cl, big, sizeof(big)), -EINVAL);
	T_EQ(kfi_connect(t->cl, NULL, 4), -EINVAL);
	T_EQ(kfi_connect(NULL, NULL, 0), -EINVAL);
	info = t->info;
	info->dest_addrlen = 0;
	ret = kfi_endpoint(t->domain, info, &ep, NULL);
	T_OK(ret);
	T_OK(kfi_ep_bind(ep, &t->ccq->fid, KFI_TRANSMIT | KFI_RECEIVE));
	T_OK(kfi_ep_bind(ep, &t->eq->fid, 0));
	T_OK(kfi_enable(ep));
	T_EQ(kfi_connect(ep, NULL, 0), -EDESTADDRREQ);
	T_EQ(READ_ONCE(ep->state), KFI_EP_ENABLED);
out:
	if (ep)
		ret = t_close(&ep->fid, ret);
	return tfx_free(t, ret);
}

static int cm_shutdown(void)
{
	struct kfi_eq_cm_entry *ev;
	struct tfx *t;
	u8 buf[8] = {};
	int ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_shutdown(t->cl, 1), -EINVAL);
	T_OK(kfi_shutdown(t->cl, 0));
	T_OK(t_expect_event(t->eq, KFI_SHUTDOWN, ev));
	T_CHECK(ev->fid == &t->sv->fid);
	T_EQ(READ_ONCE(t->sv->state), KFI_EP_SHUTDOWN);
	T_EQ(kfi_send(t->cl, buf, sizeof(buf), NULL, NULL), -ENOTCONN);
	T_EQ(kfi_send(t->sv, buf, sizeof(buf), NULL, NULL), -ENOTCONN);
	T_EQ(kfi_recv(t->cl, buf, sizeof(buf), NULL, NULL), -ENOTCONN);
	T_EQ(kfi_shutdown(t->cl, 0), -ENOTCONN);
	T_EQ(kfi_shutdown(t->sv, 0), -ENOTCONN);
out:
	kfree(ev);
	return tfx_free(t, ret);
}

static int cm_pep_bad(void)
{
	struct kfid_pep *pep2 = NULL;
	struct kfi_info *pinfo = NULL;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	pinfo = kfi_dupinfo(t->info);
	T_CHECK(pinfo);
	pinfo->src_addr = t->info->dest_addr;
	pinfo->src_addrlen = t->info->dest_addrlen;
	T_EQ(kfi_passive_ep(t->fabric, NULL, &t->pep, NULL), -EINVAL);
	T_OK(kfi_passive_ep(t->fabric, pinfo, &t->pep, NULL));
	T_EQ(kfi_listen(t->pep), -EINVAL);		/* no EQ */
	T_EQ(kfi_pep_bind(t->pep, NULL), -EINVAL);
	T_OK(kfi_pep_bind(t->pep, t->eq));
	T_EQ(kfi_pep_bind(t->pep, t->eq), -EBUSY);
	T_OK(kfi_listen(t->pep));
	T_EQ(kfi_listen(t->pep), -EINVAL);
	T_OK(kfi_passive_ep(t->fabric, pinfo, &pep2, NULL));
	T_OK(kfi_pep_bind(pep2, t->eq));
	T_EQ(kfi_listen(pep2), -EADDRINUSE);	/* the provider's answer */
	T_EQ(kfi_reject(t->pep, NULL, NULL, 0), -EINVAL);
out:
	if (pep2)
		ret = t_close(&pep2->fid, ret);
	kfi_freeinfo(pinfo);
	return tfx_free(t, ret);
}

/* ================================================================== */
/* Credits */

static atomic_t t_credit_ready_calls = ATOMIC_INIT(0);

static void t_credit_ready(struct kfid_ep *ep)
{
	atomic_inc(&t_credit_ready_calls);
}

static int cr_exhaust_recover(void)
{
	struct tfx_opts o = {
		.poll = KFI_POLL_DIRECT, .credits = true, .cl_prepost = 2,
		.sv_prepost = 2,
	};
	struct tfx *t;
	int ret;

	atomic_set(&t_credit_ready_calls, 0);
	t = tfx_open(&o, &ret);
	T_OK(ret);
	t->cl->credit_ready = t_credit_ready;
	/* The server's two preposted receives are the client's credits. */
	T_EQ(kfi_ep_credits(t->cl), 2);
	T_OK(t_send_n(t, 2));
	T_EQ(kfi_ep_credits(t->cl), 0);
	T_EQ(kfi_send(t->cl, t->cbuf[2].data, 8, NULL, &t->cbuf[2].ctx),
	     -EAGAIN);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_EAGAIN), 1);
	T_EQ(atomic_read(&t->cl->credit_starved), 1);
	T_EQ(atomic_read(&t_credit_ready_calls), 0);

	/* A new receive at the server travels back on its next send. */
	T_OK(kfi_recv(t->sv, t->sbuf[2].data, T_BUFSZ, NULL, &t->sbuf[2].ctx));
	T_EQ(kfi_credit_pending_grant(t->sv), 1);
	T_OK(kfi_send(t->sv, t->sbuf[5].data, 8, NULL, &t->sbuf[5].ctx));
	T_EQ(kfi_credit_pending_grant(t->sv), 0);
	T_EQ(atomic_read(&t_credit_ready_calls), 1);
	T_EQ(atomic_read(&t->cl->credit_starved), 0);
	T_EQ(kfi_ep_credits(t->cl), 1);
	T_OK(kfi_send(t->cl, t->cbuf[2].data, 8, NULL, &t->cbuf[2].ctx));
	/* Two receives and three sends; the refused one is not counted. */
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED), 5);
out:
	return tfx_free(t, ret);
}

static int cr_reserve(void)
{
	struct tfx_opts o = {
		.poll = KFI_POLL_DIRECT, .credits = true, .reserve = 1,
		.sv_prepost = 2,
	};
	struct tfx *t;
	int ret;

	t = tfx_open(&o, &ret);
	T_OK(ret);
	T_EQ(kfi_ep_credits(t->cl), 2);
	T_OK(t_send_n(t, 1));
	/* One credit left, and it is the reserve. */
	T_EQ(kfi_send(t->cl, t->cbuf[1].data, 8, NULL, &t->cbuf[1].ctx),
	     -EAGAIN);
	T_EQ(kfi_ep_credits(t->cl), 1);
	T_OK(kfi_credit_take_reserved(t->cl));
	T_EQ(kfi_credit_take_reserved(t->cl), -EAGAIN);
	T_EQ(kfi_ep_credits(t->cl), 0);
out:
	return tfx_free(t, ret);
}

static int cr_grant_count(void)
{
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_ep_credits(t->cl), -1);	/* not negotiated */
	T_OK(t_post_recvs(t->cl, t->cbuf, 3));
	T_EQ(kfi_credit_pending_grant(t->cl), 3);
	T_EQ(kfi_credit_take_grant(t->cl), 3);
	T_EQ(kfi_credit_pending_grant(t->cl), 0);
	kfi_credit_add_grant(t->cl, 2);
	T_EQ(kfi_credit_pending_grant(t->cl), 2);
out:
	return tfx_free(t, ret);
}

static int cr_return_on_fail(void)
{
	struct tfx *t;
	int i, ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	kfi_credit_init(t->cl, 100, 0);
	/* No receive at the server: sends wait in the provider's queue. */
	for (i = 0; i < LOOP_DEPTH; i++)
		T_OK(kfi_send(t->cl, t->cbuf[0].data, 8, NULL,
			      &t->cbuf[i].ctx));
	T_EQ(kfi_ep_credits(t->cl), 100 - LOOP_DEPTH);
	T_EQ(kfi_send(t->cl, t->cbuf[0].data, 8, NULL, NULL), -EAGAIN);
	/* The provider refused: the credit came back. */
	T_EQ(kfi_ep_credits(t->cl), 100 - LOOP_DEPTH);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_EAGAIN), 1);
	T_EQ(atomic_read(&t->cl->credit_starved), 0);
out:
	return tfx_free(t, ret);
}

static int cr_add_no_starve(void)
{
	struct tfx *t;
	int ret;

	atomic_set(&t_credit_ready_calls, 0);
	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	t->cl->credit_ready = t_credit_ready;
	kfi_credit_init(t->cl, 0, 0);
	kfi_credit_add(t->cl, 3);
	/* Nobody was refused: no callback. */
	T_EQ(atomic_read(&t_credit_ready_calls), 0);
	T_EQ(kfi_ep_credits(t->cl), 3);
out:
	return tfx_free(t, ret);
}

/* ================================================================== */
/* Data path */

static int dp_send_recv(void)
{
	static const u32 sizes[] = { 1, 100, T_BUFSZ };
	struct kfi_cq_entry e;
	struct tfx *t;
	int i, ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		get_random_bytes(t->cbuf[i].data, sizes[i]);
		memset(t->sbuf[i].data, 0, T_BUFSZ);
		T_OK(kfi_send(t->cl, t->cbuf[i].data, sizes[i], NULL,
			      &t->cbuf[i].ctx));
		T_OK(kfi_recv(t->sv, t->sbuf[i].data, T_BUFSZ, NULL,
			      &t->sbuf[i].ctx));
		T_OK(t_cq_wait(t->scq, &e, 1));
		T_EQ(e.err, 0);
		T_EQ(e.len, sizes[i]);
		T_OK(memcmp(t->sbuf[i].data, t->cbuf[i].data, sizes[i]));
		T_OK(t_cq_wait(t->ccq, &e, 1));
		T_EQ(e.len, sizes[i]);
	}
out:
	return tfx_free(t, ret);
}

static int dp_multi_iov(void)
{
	struct kvec skv[3], rkv[2];
	struct kfi_cq_entry e;
	struct tfx *t;
	u8 *want = NULL;
	int i, ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	want = kmalloc(60, GFP_KERNEL);
	T_CHECK(want);
	for (i = 0; i < 3; i++) {
		skv[i].iov_base = t->cbuf[i].data;
		skv[i].iov_len = 10 * (i + 1);
		memset(t->cbuf[i].data, '1' + i, T_BUFSZ);
	}
	memset(want, '1', 10);
	memset(want + 10, '2', 20);
	memset(want + 30, '3', 30);
	rkv[0].iov_base = t->sbuf[0].data;
	rkv[0].iov_len = 25;
	rkv[1].iov_base = t->sbuf[1].data;
	rkv[1].iov_len = 35;
	T_OK(kfi_recvv(t->sv, rkv, NULL, 2, &t->sbuf[0].ctx));
	T_OK(kfi_sendv(t->cl, skv, NULL, 3, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_EQ(e.len, 60);
	T_OK(memcmp(t->sbuf[0].data, want, 25));
	T_OK(memcmp(t->sbuf[1].data, want + 25, 35));
out:
	kfree(want);
	return tfx_free(t, ret);
}

static int dp_bvec_sgl(void)
{
	struct page *sp = alloc_page(GFP_KERNEL), *rp = alloc_page(GFP_KERNEL);
	struct scatterlist sg[2];
	struct bio_vec bv[2];
	struct kfi_cq_entry e;
	struct tfx *t = NULL;
	int ret;

	if (!sp || !rp) {
		ret = -ENOMEM;
		goto out;
	}
	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	get_random_bytes(page_address(sp), PAGE_SIZE);
	memset(page_address(rp), 0, PAGE_SIZE);
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], sp, 100, 0);
	sg_set_page(&sg[1], sp, 200, 100);
	bv[0].bv_page = rp;
	bv[0].bv_offset = 1000;
	bv[0].bv_len = 150;
	bv[1].bv_page = rp;
	bv[1].bv_offset = 2000;
	bv[1].bv_len = 150;
	T_OK(kfi_recvbv(t->sv, bv, NULL, 2, &t->sbuf[0].ctx));
	T_OK(kfi_sendsg(t->cl, sg, NULL, 2, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_EQ(e.len, 300);
	T_OK(memcmp(page_address(rp) + 1000, page_address(sp), 150));
	T_OK(memcmp(page_address(rp) + 2000, page_address(sp) + 150, 150));
out:
	if (sp)
		__free_page(sp);
	if (rp)
		__free_page(rp);
	return tfx_free(t, ret);
}

static int dp_senddata(void)
{
	struct kfi_cq_entry e;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_recv(t->sv, t->sbuf[0].data, T_BUFSZ, NULL, &t->sbuf[0].ctx));
	T_OK(kfi_senddata(t->cl, t->cbuf[0].data, 4, NULL, 0xabcdef0123ULL,
			  &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_EQ(e.flags, KFI_RECV | KFI_MSG | KFI_REMOTE_CQ_DATA);
	T_EQ(e.data, 0xabcdef0123ULL);
out:
	return tfx_free(t, ret);
}

static int dp_inject(void)
{
	struct kfi_cq_entry e;
	struct tfx *t;
	char *buf = NULL;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	buf = kstrdup("inject-1", GFP_KERNEL);
	T_CHECK(buf);
	T_OK(kfi_inject(t->cl, buf, 9));
	/* Reusable at once: the receive must still see the old bytes. */
	memset(buf, 'x', 9);
	T_OK(kfi_recv(t->sv, t->sbuf[0].data, T_BUFSZ, NULL, &t->sbuf[0].ctx));
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_EQ(e.len, 9);
	T_OK(strcmp(t->sbuf[0].data, "inject-1"));
	/* And no completion for it. */
	T_EQ(kfi_cq_read(t->ccq, &e, 1), -EAGAIN);
	T_EQ(kfi_inject(t->cl, t->cbuf[0].data, LOOP_INJECT + 1), -EMSGSIZE);
out:
	kfree(buf);
	return tfx_free(t, ret);
}

static int dp_recv_too_small(void)
{
	struct kfi_cq_entry e;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_recv(t->sv, t->sbuf[0].data, 8, NULL, &t->sbuf[0].ctx));
	T_OK(kfi_send(t->cl, t->cbuf[0].data, 16, NULL, &t->cbuf[0].ctx));
	T_EQ(kfi_cq_read(t->scq, &e, 1), -EIO);
	T_OK(kfi_cq_readerr(t->scq, &e));
	T_EQ(e.err, -EMSGSIZE);
	T_EQ(e.prov_errno, LOOP_ERR_LEN);
	T_OK(kfi_cq_readerr(t->ccq, &e));
	T_EQ(e.err, -EIO);
	T_EQ(kfi_stats_read(t->sv->stats, KFI_STAT_ERRORS), 1);
	T_EQ(kfi_stats_read(t->scq->stats, KFI_STAT_ERRORS), 1);
out:
	return tfx_free(t, ret);
}

/* A server-side buffer registered for remote access. */
static int t_remote_mr(struct tfx *t, size_t len, u64 access, u8 **buf,
		       struct kfid_mr **mr)
{
	struct kvec kv;
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);
	int ret;

	*buf = kzalloc(len, GFP_KERNEL);
	if (!*buf)
		return -ENOMEM;
	kv.iov_base = *buf;
	kv.iov_len = len;
	ret = kfi_mr_reg(t->domain, &iov, access, mr, NULL);
	if (ret) {
		kfree(*buf);
		*buf = NULL;
	}
	return ret;
}

static int t_put_mr(struct kfid_mr *mr, u8 *buf, int ret)
{
	if (mr)
		ret = t_close(&mr->fid, ret);
	kfree(buf);
	return ret;
}

static int dp_rma(void)
{
	struct kfid_mr *mr = NULL;
	struct kfi_cq_entry e;
	u8 *buf = NULL;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_remote_mr(t, 4096, KFI_REMOTE_READ | KFI_REMOTE_WRITE, &buf,
			 &mr));
	T_EQ(mr->len, 4096);
	get_random_bytes(t->cbuf[0].data, 100);
	T_OK(kfi_write(t->cl, t->cbuf[0].data, 100, NULL, mr->iova + 10,
		       mr->key, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->ccq, &e, 1));
	T_EQ(e.err, 0);
	T_EQ(e.flags, KFI_RMA | KFI_WRITE);
	T_OK(memcmp(buf + 10, t->cbuf[0].data, 100));
	T_OK(kfi_read(t->cl, t->cbuf[1].data, 100, NULL, mr->iova + 10,
		      mr->key, &t->cbuf[1].ctx));
	T_OK(t_cq_wait(t->ccq, &e, 1));
	T_EQ(e.flags, KFI_RMA | KFI_READ);
	T_EQ(e.len, 100);
	T_OK(memcmp(t->cbuf[1].data, t->cbuf[0].data, 100));
out:
	ret = t_put_mr(mr, buf, ret);
	return tfx_free(t, ret);
}

static int t_rma_err(struct tfx *t, bool write, u64 addr, u64 key, u64 len)
{
	struct kfi_cq_entry e;
	int ret;

	ret = write ? kfi_write(t->cl, t->cbuf[0].data, len, NULL, addr, key,
				&t->cbuf[0].ctx) :
		      kfi_read(t->cl, t->cbuf[0].data, len, NULL, addr, key,
			       &t->cbuf[0].ctx);
	if (ret)
		return ret;
	if (kfi_cq_read(t->ccq, &e, 1) != -EIO || kfi_cq_readerr(t->ccq, &e))
		return -EINVAL;
	if (e.op_context != &t->cbuf[0].ctx || e.prov_errno != LOOP_ERR_ACCESS)
		return -EINVAL;
	return e.err;
}

static int dp_rma_keys(void)
{
	struct kfid_mr *mr = NULL;
	struct kfi_cq_entry e;
	u8 *buf = NULL;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_remote_mr(t, 128, KFI_REMOTE_READ, &buf, &mr));
	T_EQ(t_rma_err(t, false, mr->iova, mr->key + 1000, 8), -EACCES);
	/* Past the end, before the start, and without write access. */
	T_EQ(t_rma_err(t, false, mr->iova + 124, mr->key, 8), -EACCES);
	T_EQ(t_rma_err(t, false, mr->iova - 8, mr->key, 8), -EACCES);
	T_EQ(t_rma_err(t, true, mr->iova, mr->key, 8), -EACCES);
	/* The last eight bytes are in bounds. */
	T_OK(kfi_read(t->cl, t->cbuf[1].data, 8, NULL, mr->iova + 120, mr->key,
		      &t->cbuf[1].ctx));
	T_EQ(kfi_cq_read(t->ccq, &e, 1), 1);
	T_EQ(e.err, 0);
out:
	ret = t_put_mr(mr, buf, ret);
	return tfx_free(t, ret);
}

static int dp_atomic(void)
{
	struct kfid_mr *mr = NULL;
	struct kfi_cq_entry e;
	u64 *result = NULL;
	u8 *buf = NULL;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	result = kmalloc(sizeof(*result), GFP_KERNEL);
	T_CHECK(result);
	T_OK(t_remote_mr(t, 64, KFI_REMOTE_READ | KFI_REMOTE_WRITE, &buf,
			 &mr));
	*(u64 *)(buf + 8) = 10;
	T_OK(kfi_fetch_atomic(t->cl, 5, result, NULL, mr->iova + 8, mr->key,
			      &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->ccq, &e, 1));
	T_EQ(e.flags, KFI_ATOMIC);
	T_EQ(*result, 10);
	T_EQ(*(u64 *)(buf + 8), 15);
	T_OK(kfi_compare_atomic(t->cl, 15, 99, result, NULL, mr->iova + 8,
				mr->key, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->ccq, &e, 1));
	T_EQ(*result, 15);
	T_EQ(*(u64 *)(buf + 8), 99);
	T_OK(kfi_compare_atomic(t->cl, 1, 2, result, NULL, mr->iova + 8,
				mr->key, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->ccq, &e, 1));
	T_EQ(*result, 99);
	T_EQ(*(u64 *)(buf + 8), 99);
out:
	kfree(result);
	ret = t_put_mr(mr, buf, ret);
	return tfx_free(t, ret);
}

static int dp_writedata(void)
{
	struct kfid_mr *mr = NULL;
	struct kfi_cq_entry e;
	u8 *buf = NULL;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_remote_mr(t, 64, KFI_REMOTE_WRITE, &buf, &mr));
	T_OK(kfi_recv(t->sv, t->sbuf[0].data, T_BUFSZ, NULL, &t->sbuf[0].ctx));
	memset(t->cbuf[0].data, 'w', 16);
	T_OK(kfi_writedata(t->cl, t->cbuf[0].data, 16, NULL, 77, mr->iova,
			   mr->key, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_CHECK(e.flags & KFI_REMOTE_CQ_DATA);
	T_EQ(e.data, 77);
	T_EQ(buf[15], 'w');
out:
	ret = t_put_mr(mr, buf, ret);
	return tfx_free(t, ret);
}

/*
 * kfi_writedata() takes a send credit (its immediate data consumes a
 * receive at the peer); every post that is refused, by the provider or
 * for want of a credit, must leave the count as it was.
 */
static int cr_writedata_refused(void)
{
	static const int refusals[] = { -EAGAIN, -ENOTCONN, -EIO };
	struct kfid_mr *mr = NULL;
	struct kfi_cq_entry e;
	u8 *buf = NULL;
	struct tfx *t;
	int i, r, ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_remote_mr(t, 64, KFI_REMOTE_WRITE, &buf, &mr));
	T_OK(kfi_recv(t->sv, t->sbuf[0].data, T_BUFSZ, NULL, &t->sbuf[0].ctx));
	kfi_credit_init(t->cl, 1, 0);
	for (i = 0; i < ARRAY_SIZE(refusals); i++) {
		WRITE_ONCE(loop_refuse_rma, refusals[i]);
		r = kfi_writedata(t->cl, t->cbuf[0].data, 8, NULL, i,
				  mr->iova, mr->key, &t->cbuf[0].ctx);
		WRITE_ONCE(loop_refuse_rma, 0);
		T_EQ(r, refusals[i]);
		T_EQ(kfi_ep_credits(t->cl), 1);
		T_EQ(atomic_read(&t->cl->credit_starved), 0);
	}
	/* A plain write takes no credit. */
	T_OK(kfi_write(t->cl, t->cbuf[0].data, 8, NULL, mr->iova, mr->key,
		       &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->ccq, &e, 1));
	T_EQ(kfi_ep_credits(t->cl), 1);
	/* The one credit is spent; the next is refused and takes nothing. */
	T_OK(kfi_writedata(t->cl, t->cbuf[0].data, 8, NULL, 9, mr->iova,
			   mr->key, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_EQ(e.data, 9);
	T_EQ(kfi_ep_credits(t->cl), 0);
	T_EQ(kfi_writedata(t->cl, t->cbuf[0].data, 8, NULL, 10, mr->iova,
			   mr->key, &t->cbuf[0].ctx), -EAGAIN);
	T_EQ(kfi_ep_credits(t->cl), 0);
	T_EQ(atomic_read(&t->cl->credit_starved), 1);
out:
	WRITE_ONCE(loop_refuse_rma, 0);
	ret = t_put_mr(mr, buf, ret);
	return tfx_free(t, ret);
}

static int dp_mr_map_unmap(void)
{
	struct kvec kv[LOOP_MR_SEGS];
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, kv, 1);
	struct kfid_mr *mr = NULL, *reg = NULL;
	struct kfi_context uctx = {};
	struct kfi_cq_entry e;
	u8 *rbuf = NULL;
	struct tfx *t;
	u64 key;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_mr_alloc(t->domain, 4, KFI_REMOTE_WRITE | KFI_REMOTE_READ,
			  &mr, NULL));
	T_CHECK(!mr->mapped);
	T_EQ(kfi_mr_unmap(t->sv, mr, &uctx), -EINVAL);	/* not mapped */
	kv[0].iov_base = t->sbuf[0].data;
	kv[0].iov_len = 64;
	T_OK(kfi_mr_map(t->sv, mr, &iov));
	T_CHECK(mr->mapped);
	T_EQ(mr->len, 64);
	T_EQ(kfi_mr_map(t->sv, mr, &iov), -EBUSY);
	key = mr->key;
	memset(t->cbuf[0].data, 'm', 64);
	T_OK(kfi_write(t->cl, t->cbuf[0].data, 64, NULL, mr->iova, key,
		       &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->ccq, &e, 1));
	T_EQ(e.err, 0);
	T_EQ(t->sbuf[0].data[63], 'm');
	T_OK(kfi_mr_unmap(t->sv, mr, &uctx));
	T_CHECK(!mr->mapped);
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_CHECK(e.op_context == &uctx);
	T_EQ(e.flags, KFI_MR_OP);
	/* The old key is dead. */
	T_EQ(t_rma_err(t, true, (uintptr_t)kv[0].iov_base, key, 8), -EACCES);
	iov.count = 5;
	T_EQ(kfi_mr_map(t->sv, mr, &iov), -EINVAL);	/* over max_segs */
	T_OK(t_remote_mr(t, 64, KFI_REMOTE_READ, &rbuf, &reg));
	iov.count = 1;
	T_EQ(kfi_mr_map(t->sv, reg, &iov), -EINVAL);	/* not kfi_mr_alloc */
out:
	ret = t_put_mr(reg, rbuf, ret);
	if (mr)
		ret = t_close(&mr->fid, ret);
	return tfx_free(t, ret);
}

/* Mapping posts on the send queue: only a connected endpoint takes it. */
static int dp_mr_map_needs_connection(void)
{
	static u8 buf[64];
	struct kvec kv = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);
	struct kfid_mr *mr = NULL;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_mr_alloc(t->domain, 1, KFI_REMOTE_WRITE, &mr, NULL));
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, NULL));
	T_EQ(kfi_mr_map(t->cl, mr, &iov), -EINVAL);	/* never enabled */
	T_OK(t_bind(t->cl, t->ccq, t->eq));
	T_EQ(kfi_mr_map(t->cl, mr, &iov), -ENOTCONN);	/* enabled only */
	T_CHECK(!mr->mapped);
out:
	kfi_close(t && t->cl ? &t->cl->fid : NULL);
	if (t)
		t->cl = NULL;
	kfi_close(mr ? &mr->fid : NULL);
	return tfx_free(t, ret);
}

static void t_noop_credit_ready(struct kfid_ep *ep)
{
}

/* credit_ready is set through the API, before the endpoint is enabled. */
static int cr_set_credit_ready(void)
{
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_ep_set_credit_ready(NULL, t_noop_credit_ready), -EINVAL);
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, NULL));
	T_OK(kfi_ep_set_credit_ready(t->cl, t_noop_credit_ready));
	T_CHECK(t->cl->credit_ready == t_noop_credit_ready);
	T_OK(t_bind(t->cl, t->ccq, t->eq));
	T_EQ(kfi_ep_set_credit_ready(t->cl, NULL), -EINVAL);
	T_CHECK(t->cl->credit_ready == t_noop_credit_ready);
out:
	kfi_close(t && t->cl ? &t->cl->fid : NULL);
	if (t)
		t->cl = NULL;
	return tfx_free(t, ret);
}

static int dp_close_inflight(void)
{
	struct tfx_opts o = { .poll = KFI_POLL_SOFTIRQ };
	atomic_t count = ATOMIC_INIT(0);
	struct kfi_eq_cm_entry *ev;
	struct treq *req;
	struct tfx *t;
	int i, ret;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	req = kcalloc(5, sizeof(*req), GFP_KERNEL);
	if (!ev || !req) {
		kfree(ev);
		kfree(req);
		return -ENOMEM;
	}
	t = tfx_open(&o, &ret);
	T_OK(ret);
	for (i = 0; i < 5; i++) {
		req[i].kctx.done = treq_done;
		req[i].count = &count;
		req[i].id = i;
	}
	/* Three receives and two sends the server never receives. */
	for (i = 0; i < 3; i++)
		T_OK(kfi_recv(t->cl, t->cbuf[i].data, T_BUFSZ, NULL,
			      &req[i].kctx));
	for (i = 3; i < 5; i++)
		T_OK(kfi_send(t->cl, t->cbuf[i].data, 8, NULL, &req[i].kctx));
	kfi_close(&t->cl->fid);
	t->cl = NULL;
	/* Every one flushed, and delivered before close returned. */
	T_EQ(atomic_read(&count), 5);
	for (i = 0; i < 5; i++)
		T_EQ(req[i].err, -ECANCELED);
	T_OK(t_expect_event(t->eq, KFI_SHUTDOWN, ev));
	T_CHECK(ev->fid == &t->sv->fid);
out:
	ret = tfx_free(t, ret);
	kfree(req);
	kfree(ev);
	return ret;
}

static int dp_close_inflight_direct(void)
{
	struct kfi_cq_entry e;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_post_recvs(t->cl, t->cbuf, 2));
	kfi_close(&t->cl->fid);
	t->cl = NULL;
	/* A direct CQ delivers the flush when the consumer polls. */
	T_EQ(t->ccq->pend_tail - t->ccq->pend_head, 2);
	T_EQ(kfi_cq_read(t->ccq, &e, 1), -EIO);
	T_OK(kfi_cq_readerr(t->ccq, &e));
	T_EQ(e.err, -ECANCELED);
	T_CHECK(e.op_context == &t->cbuf[0].ctx);
	T_OK(kfi_cq_readerr(t->ccq, &e));
	T_CHECK(e.op_context == &t->cbuf[1].ctx);
	T_EQ(kfi_cq_read(t->ccq, &e, 1), -EAGAIN);
out:
	return tfx_free(t, ret);
}

/* ================================================================== */
/* Bad input: every call says no, and nothing breaks */

static int bad_post_state(void)
{
	u64 *result = NULL;
	struct tfx *t;
	u8 buf[16];
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	result = kmalloc(sizeof(*result), GFP_KERNEL);
	T_CHECK(result);
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, t));
	T_EQ(kfi_recv(t->cl, buf, sizeof(buf), NULL, NULL), -EINVAL);
	T_EQ(kfi_send(t->cl, buf, sizeof(buf), NULL, NULL), -ENOTCONN);
	T_OK(t_bind(t->cl, t->ccq, t->eq));
	/* Enabled: receives yes, the rest only once connected. */
	T_OK(kfi_recv(t->cl, t->cbuf[0].data, T_BUFSZ, NULL, NULL));
	T_EQ(kfi_send(t->cl, buf, sizeof(buf), NULL, NULL), -ENOTCONN);
	T_EQ(kfi_inject(t->cl, buf, 4), -ENOTCONN);
	T_EQ(kfi_read(t->cl, buf, 8, NULL, 0, 1, NULL), -ENOTCONN);
	T_EQ(kfi_write(t->cl, buf, 8, NULL, 0, 1, NULL), -ENOTCONN);
	T_EQ(kfi_fetch_atomic(t->cl, 1, result, NULL, 0, 1, NULL), -ENOTCONN);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED), 1);
out:
	kfree(result);
	return tfx_free(t, ret);
}

static int bad_bind(void)
{
	struct kfi_cq_attr attr = { .size = 8, .poll_ctx = KFI_POLL_DIRECT };
	struct kfid_domain *d2 = NULL;
	struct kfid_cq *cq2 = NULL;
	struct kfid_mr *mr = NULL;
	u8 *buf = NULL;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, t));
	T_EQ(kfi_ep_bind(t->cl, &t->ccq->fid, 0), -EINVAL);
	T_EQ(kfi_ep_bind(t->cl, &t->ccq->fid, KFI_READ), -EINVAL);
	T_EQ(kfi_ep_bind(t->cl, NULL, KFI_TRANSMIT), -EINVAL);
	T_EQ(kfi_ep_bind(NULL, &t->ccq->fid, KFI_TRANSMIT), -EINVAL);
	T_OK(kfi_domain(t->fabric, t->info, &d2, NULL));
	T_OK(kfi_cq_open(d2, &attr, &cq2, NULL));
	T_EQ(kfi_ep_bind(t->cl, &cq2->fid, KFI_TRANSMIT), -EINVAL);
	T_OK(t_remote_mr(t, 64, KFI_REMOTE_READ, &buf, &mr));
	T_EQ(kfi_ep_bind(t->cl, &mr->fid, 0), -EINVAL);
	T_OK(kfi_ep_bind(t->cl, &t->ccq->fid, KFI_TRANSMIT));
	T_EQ(kfi_ep_bind(t->cl, &t->scq->fid, KFI_TRANSMIT), -EBUSY);
	T_EQ(kfi_enable(t->cl), -EINVAL);		/* no receive CQ */
	T_OK(kfi_ep_bind(t->cl, &t->scq->fid, KFI_RECEIVE));
	T_EQ(kfi_enable(t->cl), -EINVAL);		/* no EQ */
	T_EQ(kfi_ep_bind(t->cl, &t->eq->fid, KFI_TRANSMIT), -EINVAL);
	T_OK(kfi_ep_bind(t->cl, &t->eq->fid, 0));
	T_EQ(kfi_ep_bind(t->cl, &t->eq->fid, 0), -EBUSY);
	T_OK(kfi_enable(t->cl));
	T_EQ(kfi_enable(t->cl), -EINVAL);
	T_EQ(kfi_ep_bind(t->cl, &t->ccq->fid, KFI_RECEIVE), -EINVAL);
	T_EQ(kfi_enable(NULL), -EINVAL);
out:
	ret = t_put_mr(mr, buf, ret);
	if (cq2)
		ret = t_close(&cq2->fid, ret);
	if (d2)
		ret = t_close(&d2->fid, ret);
	return tfx_free(t, ret);
}

static int bad_post_flags(void)
{
	struct kvec kv;
	struct kfi_msg msg = {
		.iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1),
	};
	struct kfi_rma_iov rma = { .len = 8, .key = 1 };
	struct kfi_msg_rma rmsg = {
		.iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1),
		.rma_iov = &rma,
		.rma_iov_count = 1,
	};
	struct kfi_msg_atomic amsg = {
		.op = KFI_SUM,
		.rma_iov = { .len = 8, .key = 1 },
	};
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	kv.iov_base = t->cbuf[0].data;
	kv.iov_len = 8;
	T_EQ(kfi_sendmsg(t->cl, &msg, BIT_ULL(50)), -EINVAL);
	T_EQ(kfi_sendmsg(t->cl, &msg, KFI_SOURCE), -EINVAL);
	T_EQ(kfi_recvmsg(t->cl, &msg, KFI_INJECT), -EINVAL);
	T_EQ(kfi_readmsg(t->cl, &rmsg, KFI_INJECT), -EINVAL);
	T_EQ(kfi_writemsg(t->cl, &rmsg, KFI_INVALIDATE), -EINVAL);
	T_EQ(kfi_atomicmsg(t->cl, &amsg, KFI_REMOTE_CQ_DATA), -EINVAL);
	T_EQ(kfi_sendmsg(t->cl, NULL, 0), -EINVAL);
	T_EQ(kfi_recvmsg(t->cl, NULL, 0), -EINVAL);
	T_EQ(kfi_readmsg(t->cl, NULL, 0), -EINVAL);
	T_EQ(kfi_atomicmsg(t->cl, NULL, 0), -EINVAL);
	T_EQ(kfi_sendmsg(NULL, &msg, 0), -EINVAL);
	T_EQ(kfi_sendmsg((struct kfid_ep *)t->ccq, &msg, 0), -EINVAL);
	T_EQ(kfi_recvmsg((struct kfid_ep *)t->eq, &msg, 0), -EINVAL);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED), 0);
out:
	return tfx_free(t, ret);
}

static int bad_iov(void)
{
	struct kvec kv[LOOP_IOV + 1];
	struct kfi_msg msg = {
		.iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, kv, LOOP_IOV + 1),
	};
	struct scatterlist sg[1];
	struct tfx *t;
	int i, ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	for (i = 0; i <= LOOP_IOV; i++) {
		kv[i].iov_base = t->cbuf[i].data;
		kv[i].iov_len = 4;
	}
	T_EQ(kfi_sendmsg(t->cl, &msg, 0), -EINVAL);	/* over iov_limit */
	T_EQ(kfi_recvmsg(t->cl, &msg, 0), -EINVAL);
	msg.iov.count = 1;
	msg.iov.type = 7;
	T_EQ(kfi_sendmsg(t->cl, &msg, 0), -EINVAL);
	msg.iov.type = KFI_IOV_KVEC;
	msg.iov.kvec = NULL;
	T_EQ(kfi_sendmsg(t->cl, &msg, 0), -EINVAL);
	msg.iov.kvec = kv;
	kv[0].iov_base = NULL;
	T_EQ(kfi_sendmsg(t->cl, &msg, 0), -EINVAL);
	kv[0].iov_base = t->cbuf[0].data;
	kv[0].iov_len = SZ_2M;		/* over max_msg_size; never touched */
	T_EQ(kfi_sendmsg(t->cl, &msg, 0), -EMSGSIZE);
	/* A scatterlist shorter than its count. */
	sg_init_one(sg, t->cbuf[0].data, 8);
	T_EQ(kfi_sendsg(t->cl, sg, NULL, 2, NULL), -EINVAL);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED), 0);
out:
	return tfx_free(t, ret);
}

static int bad_atomic(void)
{
	struct kfi_msg_atomic msg = {
		.op = KFI_SUM,
		.rma_iov = { .addr = 4, .len = 8, .key = 1 },
	};
	u64 *result = NULL;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	result = kmalloc(2 * sizeof(u64), GFP_KERNEL);
	T_CHECK(result);
	T_EQ(kfi_atomicmsg(t->cl, &msg, 0), -EINVAL);	/* misaligned */
	msg.rma_iov.addr = 8;
	msg.rma_iov.len = 4;
	T_EQ(kfi_atomicmsg(t->cl, &msg, 0), -EINVAL);	/* not 64-bit */
	msg.rma_iov.len = 8;
	msg.op = 99;
	T_EQ(kfi_atomicmsg(t->cl, &msg, 0), -EINVAL);
	msg.op = KFI_CSWAP;
	msg.result = (u64 *)((u8 *)result + 3);
	T_EQ(kfi_atomicmsg(t->cl, &msg, 0), -EINVAL);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED), 0);
out:
	kfree(result);
	return tfx_free(t, ret);
}

static int bad_rma(void)
{
	struct kvec kv;
	struct kfi_rma_iov rma[3] = {
		{ .len = 4, .key = 1 }, { .len = 4, .key = 1 },
		{ .len = 4, .key = 1 },
	};
	struct kfi_msg_rma msg = {
		.iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1),
		.rma_iov = rma,
		.rma_iov_count = 0,
	};
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	kv.iov_base = t->cbuf[0].data;
	kv.iov_len = 8;
	T_EQ(kfi_readmsg(t->cl, &msg, 0), -EINVAL);	/* no remote iov */
	msg.rma_iov_count = 3;
	T_EQ(kfi_readmsg(t->cl, &msg, 0), -EINVAL);	/* over the limit */
	msg.rma_iov_count = 1;
	T_EQ(kfi_writemsg(t->cl, &msg, 0), -EINVAL);	/* 8 local, 4 remote */
	msg.rma_iov = NULL;
	T_EQ(kfi_readmsg(t->cl, &msg, 0), -EINVAL);
	kv.iov_len = LOOP_INJECT + 8;
	msg.rma_iov = rma;
	rma[0].len = kv.iov_len;
	T_EQ(kfi_writemsg(t->cl, &msg, KFI_INJECT), -EMSGSIZE);
out:
	return tfx_free(t, ret);
}

static int bad_optional_ops(void)
{
	struct kfi_fabric_attr attr = { .prov_name = "kfi_min" };
	struct kvec kv = { .iov_len = 8 };
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);
	struct kfid_fabric *fabric = NULL;
	struct kfid_domain *domain = NULL;
	struct kfi_info *info = NULL;
	struct kfid_ep *ep = NULL;
	struct kfid_pep *pep;
	struct kfid_mr *mr;
	u8 *buf = NULL;
	int ret = 0;

	buf = kzalloc(8, GFP_KERNEL);
	T_CHECK(buf);
	kv.iov_base = buf;
	T_OK(t_getinfo("kfi_min", NULL, &info));
	T_OK(kfi_fabric(&attr, &fabric, NULL));
	T_OK(kfi_domain(fabric, info, &domain, NULL));
	T_EQ(kfi_passive_ep(fabric, info, &pep, NULL), -EOPNOTSUPP);
	T_EQ(kfi_mr_reg(domain, &iov, KFI_REMOTE_READ, &mr, NULL),
	     -EOPNOTSUPP);
	T_EQ(kfi_mr_alloc(domain, 1, KFI_REMOTE_READ, &mr, NULL), -EOPNOTSUPP);
	T_OK(kfi_endpoint(domain, info, &ep, NULL));
	T_EQ(kfi_read(ep, buf, 8, NULL, 0, 1, NULL), -EOPNOTSUPP);
	T_EQ(kfi_write(ep, buf, 8, NULL, 0, 1, NULL), -EOPNOTSUPP);
	T_EQ(kfi_fetch_atomic(ep, 1, NULL, NULL, 0, 1, NULL), -EOPNOTSUPP);
	T_EQ(kfi_connect(ep, NULL, 0), -EOPNOTSUPP);
out:
	if (ep)
		ret = t_close(&ep->fid, ret);
	if (domain)
		ret = t_close(&domain->fid, ret);
	if (fabric)
		ret = t_close(&fabric->fid, ret);
	kfi_freeinfo(info);
	kfree(buf);
	return ret;
}

static int bad_caps(void)
{
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	/* An endpoint asked for messages only may not do RMA. */
	t->info->caps = KFI_MSG;
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, t));
	T_EQ(kfi_read(t->cl, t->cbuf[0].data, 8, NULL, 0, 1, NULL),
	     -EOPNOTSUPP);
	T_EQ(kfi_fetch_atomic(t->cl, 1, NULL, NULL, 0, 1, NULL), -EOPNOTSUPP);
out:
	return tfx_free(t, ret);
}

static int bad_mr(void)
{
	struct kvec kv;
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);
	struct kfid_mr *mr;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	kv.iov_base = t->cbuf[0].data;
	kv.iov_len = 64;
	T_EQ(kfi_mr_reg(t->domain, &iov, 0, &mr, NULL), -EINVAL);
	T_EQ(kfi_mr_reg(t->domain, &iov, BIT_ULL(40), &mr, NULL), -EINVAL);
	T_EQ(kfi_mr_reg(t->domain, NULL, KFI_READ, &mr, NULL), -EINVAL);
	T_EQ(kfi_mr_reg(NULL, &iov, KFI_READ, &mr, NULL), -EINVAL);
	T_EQ(kfi_mr_reg(t->domain, &iov, KFI_READ, NULL, NULL), -EINVAL);
	iov.count = 0;
	T_EQ(kfi_mr_reg(t->domain, &iov, KFI_READ, &mr, NULL), -EINVAL);
	iov.count = 1;
	kv.iov_len = 0;
	T_EQ(kfi_mr_reg(t->domain, &iov, KFI_READ, &mr, NULL), -EINVAL);
	T_EQ(kfi_mr_alloc(t->domain, 0, KFI_READ, &mr, NULL), -EINVAL);
	T_EQ(kfi_mr_alloc(t->domain, LOOP_MR_SEGS + 1, KFI_READ, &mr, NULL),
	     -EINVAL);
	T_EQ(kfi_mr_map(NULL, NULL, &iov), -EINVAL);
	T_EQ(kfi_mr_unmap(NULL, NULL, NULL), -EINVAL);
out:
	return tfx_free(t, ret);
}

static int bad_endpoint(void)
{
	struct kfid_ep *ep;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_endpoint(t->domain, NULL, &ep, NULL), -EINVAL);
	T_EQ(kfi_endpoint(NULL, t->info, &ep, NULL), -EINVAL);
	t->info->ep_attr.type = KFI_EP_RDM;
	T_EQ(kfi_endpoint(t->domain, t->info, &ep, NULL), -EOPNOTSUPP);
	t->info->ep_attr.type = 9;
	T_EQ(kfi_endpoint(t->domain, t->info, &ep, NULL), -EINVAL);
	T_EQ(atomic_read(&t->domain->fid.children), 2);	/* the CQs only */
out:
	return tfx_free(t, ret);
}

/* ================================================================== */

/* ------------------------------------------------------------------ */
/* Selective completion */

static const struct tfx_opts t_selective = {
	.poll = KFI_POLL_DIRECT,
	.cq_bind = KFI_SELECTIVE_COMPLETION,
};

/* A send of @len bytes from @b with @flags. */
static int t_sendf(struct kfid_ep *ep, struct tbuf *b, size_t len, u64 flags)
{
	struct kfi_msg1 m;

	return kfi_sendmsg(ep, kfi_msg1(&m, b->data, len, NULL, &b->ctx),
			   flags);
}

/*
 * On an endpoint bound with KFI_SELECTIVE_COMPLETION only the operations
 * posted with KFI_COMPLETION report their success (an inject too, when
 * asked); a failure reports without it.
 */
static int sel_completion(void)
{
	struct kfi_cq_entry e[3];
	struct kfid_mr *mr = NULL;
	u8 *buf = NULL;
	struct tfx *t;
	int ret, i;

	t = tfx_open(&t_selective, &ret);
	T_OK(ret);
	T_EQ(t->cl->tx_flags, KFI_SELECTIVE_COMPLETION);
	for (i = 0; i < 3; i++)
		T_OK(kfi_recv(t->sv, t->sbuf[i].data, T_BUFSZ, NULL,
			      &t->sbuf[i].ctx));
	T_OK(t_sendf(t->cl, &t->cbuf[0], 8, 0));
	T_OK(t_sendf(t->cl, &t->cbuf[1], 8, KFI_COMPLETION));
	T_OK(t_sendf(t->cl, &t->cbuf[2], 8, KFI_INJECT | KFI_COMPLETION));
	T_OK(t_cq_wait(t->scq, e, 3));
	T_OK(t_cq_wait(t->ccq, e, 2));
	T_CHECK(e[0].op_context == &t->cbuf[1].ctx);
	T_CHECK(e[1].op_context == &t->cbuf[2].ctx);
	T_EQ(kfi_cq_read(t->ccq, e, 1), -EAGAIN);

	T_OK(t_remote_mr(t, 128, KFI_REMOTE_READ, &buf, &mr));
	T_OK(kfi_read(t->cl, t->cbuf[1].data, 8, NULL, mr->iova, mr->key,
		      &t->cbuf[1].ctx));
	T_EQ(kfi_cq_read(t->ccq, e, 1), -EAGAIN);
	T_EQ(t_rma_err(t, false, mr->iova, mr->key + 1000, 8), -EACCES);
out:
	ret = t_put_mr(mr, buf, ret);
	return tfx_free(t, ret);
}

/* Where KFI_SELECTIVE_COMPLETION may be bound, and where not. */
static int sel_bind(void)
{
	struct kfi_fabric_attr attr = { .prov_name = "kfi_min" };
	struct kfi_cq_attr cattr = { .size = 8, .poll_ctx = KFI_POLL_DIRECT,
				     .comp_vector = -1 };
	struct kfid_fabric *fabric = NULL;
	struct kfid_domain *domain = NULL;
	struct kfi_info *info = NULL;
	struct kfid_cq *cq = NULL;
	struct kfid_ep *ep = NULL;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(kfi_endpoint(t->domain, t->info, &t->cl, t));
	/* Receives always complete: the flag is a transmit binding's. */
	T_EQ(kfi_ep_bind(t->cl, &t->ccq->fid,
			 KFI_RECEIVE | KFI_SELECTIVE_COMPLETION), -EINVAL);
	T_EQ(kfi_ep_bind(t->cl, &t->ccq->fid, KFI_SELECTIVE_COMPLETION),
	     -EINVAL);
	T_CHECK(!t->cl->rx_cq && !t->cl->tx_cq);
	T_OK(kfi_ep_bind(t->cl, &t->ccq->fid,
			 KFI_TRANSMIT | KFI_SELECTIVE_COMPLETION));
	T_EQ(t->cl->tx_flags, KFI_SELECTIVE_COMPLETION);
	T_OK(kfi_ep_bind(t->cl, &t->scq->fid, KFI_RECEIVE));
	T_EQ(t->cl->tx_flags, KFI_SELECTIVE_COMPLETION);

	/* A provider that does not say it honours KFI_COMPLETION refuses. */
	T_OK(t_getinfo("kfi_min", NULL, &info));
	T_OK(kfi_fabric(&attr, &fabric, NULL));
	T_OK(kfi_domain(fabric, info, &domain, NULL));
	T_OK(kfi_cq_open(domain, &cattr, &cq, NULL));
	T_OK(kfi_endpoint(domain, info, &ep, NULL));
	T_EQ(kfi_ep_bind(ep, &cq->fid,
			 KFI_TRANSMIT | KFI_SELECTIVE_COMPLETION), -EOPNOTSUPP);
	T_OK(kfi_ep_bind(ep, &cq->fid, KFI_TRANSMIT));
	T_EQ(ep->tx_flags, 0);
out:
	if (ep)
		ret = t_close(&ep->fid, ret);
	if (cq)
		ret = t_close(&cq->fid, ret);
	if (domain)
		ret = t_close(&domain->fid, ret);
	if (fabric)
		ret = t_close(&fabric->fid, ret);
	kfi_freeinfo(info);
	return tfx_free(t, ret);
}

/*
 * A post that fails, refused by the core or by the provider, rings the
 * provider's doorbell so that what was deferred with KFI_MORE goes out; a
 * post that succeeds leaves it to the next post without KFI_MORE.
 */
static int more_doorbell_on_failure(void)
{
	struct kfi_cq_entry e;
	struct tfx *t;
	int ret, n;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	n = atomic_read(&loop_doorbells);
	T_OK(kfi_recv(t->sv, t->sbuf[0].data, T_BUFSZ, NULL, &t->sbuf[0].ctx));
	T_OK(t_sendf(t->cl, &t->cbuf[0], 8, KFI_MORE));
	T_EQ(atomic_read(&loop_doorbells), n);
	T_EQ(t_sendf(t->cl, &t->cbuf[1], 8, BIT_ULL(63)), -EINVAL);
	T_EQ(atomic_read(&loop_doorbells), n + 1);
	T_EQ(kfi_inject(t->cl, t->cbuf[1].data, LOOP_INJECT + 1), -EMSGSIZE);
	T_EQ(atomic_read(&loop_doorbells), n + 2);
	T_EQ(kfi_recvmsg(t->sv, NULL, 0), -EINVAL);
	T_EQ(atomic_read(&loop_doorbells), n + 3);
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_OK(t_cq_wait(t->ccq, &e, 1));
out:
	return tfx_free(t, ret);
}

/* ------------------------------------------------------------------ */
/* RMA in pieces: kfi_rma_xfer() */

#define T_XFER_LEN	793	/* 13 entries of 61 bytes */
#define T_XFER_SEG	61

/* @n kvec entries of @seg bytes each over @buf. */
static void t_kvecs(struct kvec *kv, u8 *buf, int n, size_t seg)
{
	int i;

	for (i = 0; i < n; i++) {
		kv[i].iov_base = buf + i * seg;
		kv[i].iov_len = seg;
	}
}

/* Run one transfer to its one completion; *pieces: operations it posted. */
static int t_xfer(struct tfx *t, struct kfi_rma_xfer *x,
		  const struct kfi_iov *iov, struct kfid_mr *mr, u64 flags,
		  struct kfi_cq_entry *e, s64 *pieces)
{
	u64 before = kfi_stats_read(t->cl->stats, KFI_STAT_POSTED);
	int ret;

	ret = kfi_rma_xfer(t->cl, x, iov, mr->iova + 3, mr->key,
			   &t->cbuf[0].ctx, flags);
	if (ret)
		return ret;
	ret = t_cq_wait(t->ccq, e, 1);
	*pieces = kfi_stats_read(t->cl->stats, KFI_STAT_POSTED) - before;
	if (ret)
		return ret;
	if (e->op_context != &t->cbuf[0].ctx)
		return -EPROTO;
	/* One completion for the whole. */
	return kfi_cq_read(t->ccq, e + 1, 1) == -EAGAIN ? 0 : -EPROTO;
}

/*
 * 793 bytes in 13 kvec entries, written and read back in kvec, bio_vec and
 * scatterlist form on an endpoint whose operations carry at most 100
 * bytes: 8 pieces each (7 of 100 bytes, one of 93), one completion.  With
 * 40 entries of 3 bytes the entry limit (4) cuts instead: 10 pieces.
 */
struct xfer_pieces_vecs {
	struct scatterlist sg[13];
	struct bio_vec bv[13];
	struct kvec kv[40];
};

static int xfer_pieces(void)
{
	struct kfi_cq_entry e[2];
	struct kfid_mr *mr = NULL;
	struct kfi_rma_xfer x;
	struct xfer_pieces_vecs *v;	/* too large for the stack (KASAN) */
	struct scatterlist *sg;
	struct bio_vec *bv;
	struct kvec *kv;
	struct kfi_iov iov;
	u8 *rbuf = NULL, *src = NULL, *dst = NULL;
	struct tfx *t;
	s64 pieces;
	int ret, i;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	sg = v->sg;
	bv = v->bv;
	kv = v->kv;
	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_remote_mr(t, 4096, KFI_REMOTE_READ | KFI_REMOTE_WRITE, &rbuf,
			 &mr));
	src = kmalloc(PAGE_SIZE, GFP_KERNEL);
	dst = kzalloc(PAGE_SIZE, GFP_KERNEL);
	T_CHECK(src && dst);
	get_random_bytes(src, T_XFER_LEN);
	t->cl->info.ep_attr.max_msg_size = 100;

	t_kvecs(kv, src, 13, T_XFER_SEG);
	iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, kv, 13);
	T_OK(t_xfer(t, &x, &iov, mr, KFI_WRITE, e, &pieces));
	T_EQ(e[0].err, 0);
	T_EQ(e[0].len, T_XFER_LEN);
	T_EQ(e[0].flags, KFI_RMA | KFI_WRITE);
	T_EQ(pieces, 8);
	T_OK(memcmp(rbuf + 3, src, T_XFER_LEN));

	for (i = 0; i < 13; i++)
		bv[i] = (struct bio_vec){ .bv_page = virt_to_page(dst),
					  .bv_offset = offset_in_page(dst) +
						       i * T_XFER_SEG,
					  .bv_len = T_XFER_SEG };
	iov = KFI_IOV_INIT(KFI_IOV_BVEC, bvec, bv, 13);
	T_OK(t_xfer(t, &x, &iov, mr, KFI_READ, e, &pieces));
	T_EQ(e[0].flags, KFI_RMA | KFI_READ);
	T_EQ(pieces, 8);
	T_OK(memcmp(dst, src, T_XFER_LEN));

	memset(dst, 0, T_XFER_LEN);
	sg_init_table(sg, 13);
	for (i = 0; i < 13; i++)
		sg_set_buf(&sg[i], dst + i * T_XFER_SEG, T_XFER_SEG);
	iov = KFI_IOV_INIT(KFI_IOV_SGL, sgl, sg, 13);
	T_OK(t_xfer(t, &x, &iov, mr, KFI_READ, e, &pieces));
	T_EQ(pieces, 8);
	T_OK(memcmp(dst, src, T_XFER_LEN));

	t_kvecs(kv, src, 40, 3);
	iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, kv, 40);
	T_OK(t_xfer(t, &x, &iov, mr, KFI_WRITE, e, &pieces));
	T_EQ(e[0].len, 120);
	T_EQ(pieces, 10);
	T_OK(memcmp(rbuf + 3, src, 120));
out:
	kfree(src);
	kfree(dst);
	kfree(v);
	ret = t_put_mr(mr, rbuf, ret);
	return tfx_free(t, ret);
}

/*
 * The first failed piece ends the transfer with its error, in one
 * completion; a selective endpoint reports a success only when asked;
 * bad arguments and a full queue post nothing.
 */
static int xfer_errors(void)
{
	struct kfi_cq_entry e[2];
	struct kfid_mr *mr = NULL;
	struct kfi_rma_xfer x;
	struct kvec kv[13];
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, kv, 13);
	u8 *rbuf = NULL, *src = NULL;
	struct tfx *t;
	s64 pieces;
	u64 before;
	int ret;

	t = tfx_open(&t_selective, &ret);
	T_OK(ret);
	/* 1000 bytes of remote buffer: the last piece falls off its end. */
	T_OK(t_remote_mr(t, 1000, KFI_REMOTE_READ | KFI_REMOTE_WRITE, &rbuf,
			 &mr));
	src = kzalloc(PAGE_SIZE, GFP_KERNEL);
	T_CHECK(src);
	t->cl->info.ep_attr.max_msg_size = 100;
	t_kvecs(kv, src, 13, T_XFER_SEG);

	T_OK(t_xfer(t, &x, &iov, mr, KFI_WRITE | KFI_COMPLETION, e, &pieces));
	T_EQ(e[0].err, 0);
	before = kfi_stats_read(t->cl->stats, KFI_STAT_POSTED);
	T_OK(kfi_rma_xfer(t->cl, &x, &iov, mr->iova, mr->key,
			  &t->cbuf[0].ctx, KFI_WRITE));
	T_EQ(kfi_cq_read(t->ccq, e, 1), -EAGAIN);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED) - before, 8);

	T_EQ(kfi_rma_xfer(t->cl, &x, &iov, mr->iova + 300, mr->key,
			  &t->cbuf[0].ctx, KFI_WRITE), 0);
	T_EQ(kfi_cq_read(t->ccq, e, 1), -EIO);
	T_OK(kfi_cq_readerr(t->ccq, e));
	T_CHECK(e[0].op_context == &t->cbuf[0].ctx);
	T_EQ(e[0].err, -EACCES);
	T_EQ(kfi_cq_read(t->ccq, e, 1), -EAGAIN);

	T_EQ(kfi_rma_xfer(t->cl, &x, &iov, mr->iova, mr->key, NULL,
			  KFI_READ | KFI_WRITE), -EINVAL);
	iov.count = 0;
	T_EQ(kfi_rma_xfer(t->cl, &x, &iov, mr->iova, mr->key, NULL,
			  KFI_READ), -EINVAL);
	iov.count = 13;
	T_EQ(kfi_rma_xfer(t->cl, &x, &iov, U64_MAX - 100, mr->key, NULL,
			  KFI_READ), -EINVAL);
	loop_refuse_rma = -EAGAIN;
	before = kfi_stats_read(t->cl->stats, KFI_STAT_POSTED);
	T_EQ(kfi_rma_xfer(t->cl, &x, &iov, mr->iova, mr->key, NULL,
			  KFI_READ), -EAGAIN);
	T_EQ(kfi_stats_read(t->cl->stats, KFI_STAT_POSTED) - before, 0);
out:
	loop_refuse_rma = 0;
	kfree(src);
	ret = t_put_mr(mr, rbuf, ret);
	return tfx_free(t, ret);
}

/* ------------------------------------------------------------------ */
/* kfi_cancel() and kfi_mr_sync() */

/*
 * A waiting receive is taken back and completes with -ECANCELED; the
 * others still take the messages, in order; a receive no longer waiting
 * is -ENOENT.
 */
static int cancel_recv(void)
{
	struct kfi_cq_entry e;
	struct tfx *t;
	int ret, i;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	for (i = 0; i < 3; i++)
		T_OK(kfi_recv(t->sv, t->sbuf[i].data, T_BUFSZ, NULL,
			      &t->sbuf[i].ctx));
	T_OK(kfi_cancel(t->sv, &t->sbuf[1].ctx));
	T_EQ(kfi_cq_read(t->scq, &e, 1), -EIO);
	T_OK(kfi_cq_readerr(t->scq, &e));
	T_CHECK(e.op_context == &t->sbuf[1].ctx);
	T_EQ(e.err, -ECANCELED);
	T_EQ(e.flags, KFI_RECV | KFI_MSG);
	T_EQ(kfi_cancel(t->sv, &t->sbuf[1].ctx), -ENOENT);

	for (i = 0; i < 2; i++) {
		t->cbuf[i].data[0] = 'a' + i;
		T_OK(kfi_send(t->cl, t->cbuf[i].data, 1, NULL,
			      &t->cbuf[i].ctx));
		T_OK(t_cq_wait(t->scq, &e, 1));
		T_CHECK(e.op_context == &t->sbuf[2 * i].ctx);
		T_EQ(t->sbuf[2 * i].data[0], 'a' + i);
	}
	T_EQ(kfi_cancel(t->sv, &t->sbuf[0].ctx), -ENOENT);
	T_EQ(kfi_cancel(t->sv, NULL), -EINVAL);
	T_EQ(kfi_cancel(NULL, &t->sbuf[0].ctx), -EINVAL);
out:
	return tfx_free(t, ret);
}

/* A provider that needs no sync: 0 for a good call, -EINVAL for a bad one. */
static int mr_sync_noop(void)
{
	struct kfid_mr *mr = NULL;
	u8 *buf = NULL;
	struct tfx *t;
	int ret;

	t = tfx_base(&t_direct, &ret);
	T_OK(ret);
	T_OK(t_remote_mr(t, 64, KFI_REMOTE_READ, &buf, &mr));
	T_OK(kfi_mr_sync(mr, KFI_SYNC_FOR_CPU));
	T_OK(kfi_mr_sync(mr, KFI_SYNC_FOR_DEVICE));
	T_EQ(kfi_mr_sync(mr, 7), -EINVAL);
	T_EQ(kfi_mr_sync(NULL, KFI_SYNC_FOR_CPU), -EINVAL);
	T_EQ(kfi_mr_sync((struct kfid_mr *)t->ccq, KFI_SYNC_FOR_CPU), -EINVAL);
out:
	ret = t_put_mr(mr, buf, ret);
	return tfx_free(t, ret);
}

/*
 * A provider without shared receive contexts: kfi_srx_context() is
 * -EOPNOTSUPP once the arguments are good, -EINVAL before; an object of
 * another class is no context to bind or post to; an ordinary receive's
 * completion names no endpoint.
 */
static int srx_unsupported(void)
{
	struct kfi_rx_attr attr = { .size = 4 };
	struct kfid_ep *x = NULL;
	struct kfi_cq_entry e;
	struct tfx *t;
	int ret;

	t = tfx_open(&t_direct, &ret);
	T_OK(ret);
	T_EQ(kfi_srx_context(t->domain, &attr, &x, NULL), -EOPNOTSUPP);
	T_CHECK(!x);
	T_EQ(kfi_srx_context(NULL, &attr, &x, NULL), -EINVAL);
	T_EQ(kfi_srx_context(t->domain, NULL, &x, NULL), -EINVAL);
	T_EQ(kfi_srx_context(t->domain, &attr, NULL, NULL), -EINVAL);
	attr.size = 0;
	T_EQ(kfi_srx_context(t->domain, &attr, &x, NULL), -EINVAL);
	T_EQ(kfi_srx_context((struct kfid_domain *)t->ccq, &attr, &x, NULL),
	     -EINVAL);
	T_EQ(kfi_recv((struct kfid_ep *)t->ccq, t->sbuf[0].data, T_BUFSZ,
		      NULL, &t->sbuf[0].ctx), -EINVAL);

	T_OK(kfi_recv(t->sv, t->sbuf[0].data, T_BUFSZ, NULL, &t->sbuf[0].ctx));
	T_OK(kfi_send(t->cl, t->cbuf[0].data, 1, NULL, &t->cbuf[0].ctx));
	T_OK(t_cq_wait(t->scq, &e, 1));
	T_CHECK(e.op_context == &t->sbuf[0].ctx && !e.ep);
out:
	return tfx_free(t, ret);
}

static const struct kt_case core_cases[] = {
	KT_CASE(reg_version_major),
	KT_CASE(reg_version_minor),
	KT_CASE(reg_missing_op),
	KT_CASE(reg_bad_provider),
	KT_CASE(reg_double),
	KT_CASE(reg_unregister_busy),
	KT_CASE(reg_gone_after_unregister),
	KT_CASE(getinfo_provider_errno),
	KT_CASE(reg_module_pinned),
	KT_CASE(getinfo_all),
	KT_CASE(getinfo_prov_name),
	KT_CASE(getinfo_caps),
	KT_CASE(getinfo_ep_type),
	KT_CASE(getinfo_domain_name),
	KT_CASE(getinfo_node_v4),
	KT_CASE(getinfo_node_v6),
	KT_CASE(getinfo_source),
	KT_CASE(getinfo_bad_args),
	KT_CASE(getinfo_bad_version),
	KT_CASE(getinfo_no_match),
	KT_CASE(getinfo_dupinfo),
	KT_CASE(obj_fabric_bad),
	KT_CASE(obj_domain_bad),
	KT_CASE(obj_refcounts),
	KT_CASE(cq_open_bad),
	KT_CASE(cq_order),
	KT_CASE(cq_overflow),
	KT_CASE(cq_sread_timeout),
	KT_CASE(cq_sread_woken),
	KT_CASE(cq_softirq),
	KT_CASE(cq_softirq_budget),
	KT_CASE(cq_workqueue),
	KT_CASE(cq_workqueue_budget),
	KT_CASE(cq_direct),
	KT_CASE(cq_budget),
	KT_CASE(cq_done_over_handler),
	KT_CASE(cq_done_over_queue),
	KT_CASE(cq_bad_calls),
	KT_CASE(cq_stats),
	KT_CASE(cq_stats_per_cpu),
	KT_CASE(eq_open_read),
	KT_CASE(eq_sread_timeout),
	KT_CASE(eq_overflow),
	KT_CASE(eq_final_event_kept),
	KT_CASE(eq_handler_context),
	KT_CASE(cm_private_data),
	KT_CASE(cm_reject),
	KT_CASE(cm_freeinfo_rejects),
	KT_CASE(cm_unreachable),
	KT_CASE(cm_twice),
	KT_CASE(cm_connect_bad),
	KT_CASE(cm_shutdown),
	KT_CASE(cm_pep_bad),
	KT_CASE(cr_exhaust_recover),
	KT_CASE(cr_reserve),
	KT_CASE(cr_grant_count),
	KT_CASE(cr_return_on_fail),
	KT_CASE(cr_add_no_starve),
	KT_CASE(cr_writedata_refused),
	KT_CASE(dp_send_recv),
	KT_CASE(dp_multi_iov),
	KT_CASE(dp_bvec_sgl),
	KT_CASE(dp_senddata),
	KT_CASE(dp_inject),
	KT_CASE(dp_recv_too_small),
	KT_CASE(dp_rma),
	KT_CASE(dp_rma_keys),
	KT_CASE(dp_atomic),
	KT_CASE(dp_writedata),
	KT_CASE(dp_mr_map_unmap),
	KT_CASE(dp_mr_map_needs_connection),
	KT_CASE(cr_set_credit_ready),
	KT_CASE(dp_close_inflight),
	KT_CASE(dp_close_inflight_direct),
	KT_CASE(bad_post_state),
	KT_CASE(bad_bind),
	KT_CASE(bad_post_flags),
	KT_CASE(bad_iov),
	KT_CASE(bad_atomic),
	KT_CASE(bad_rma),
	KT_CASE(bad_optional_ops),
	KT_CASE(bad_caps),
	KT_CASE(bad_mr),
	KT_CASE(bad_endpoint),
	KT_CASE(sel_completion),
	KT_CASE(sel_bind),
	KT_CASE(more_doorbell_on_failure),
	KT_CASE(xfer_pieces),
	KT_CASE(xfer_errors),
	KT_CASE(cancel_recv),
	KT_CASE(mr_sync_noop),
	KT_CASE(srx_unsupported),
};

/*
 * Cases that make the kernel WARN on purpose, each exactly once.  A WARN
 * taints the kernel for good, so the suite runs these last (warn_tests=1,
 * nothing else runs then) and checks that each warned.
 */
static const struct kt_case warn_cases[] = {
	KT_CASE(reg_unregister_unknown),
	KT_CASE(obj_close_with_children),
	KT_CASE(obj_close_bad_class),
};

static bool loop_registered, min_registered;

static int __init kfi_test_core_init(void)
{
	int ret;

	ret = kfi_provider_register(&loop_prov);
	loop_registered = !ret;
	if (ret)
		pr_err("cannot register kfi_loop: %d\n", ret);
	ret = kfi_provider_register(&min_prov);
	min_registered = !ret;
	if (ret)
		pr_err("cannot register kfi_min: %d\n", ret);

	/* Results are in the KTAP lines; loading itself succeeds. */
	if (warn_tests)
		kt_run(warn_cases, ARRAY_SIZE(warn_cases));
	else
		kt_run(core_cases, ARRAY_SIZE(core_cases));
	return 0;
}

static void __exit kfi_test_core_exit(void)
{
	if (min_registered)
		kfi_provider_unregister(&min_prov);
	if (loop_registered)
		kfi_provider_unregister(&loop_prov);
}

module_init(kfi_test_core_init);
module_exit(kfi_test_core_exit);

MODULE_DESCRIPTION("kfabric core tests, with a loopback provider");
MODULE_LICENSE("GPL");
