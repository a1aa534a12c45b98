// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: the data path.
 *
 * Posting takes a preallocated slot, DMA-maps the consumer's buffers
 * (kvec, bio_vec or scatterlist) into the slot's SGEs and posts one work
 * request, all under the queue lock and without allocating.  Completions
 * come back through ib_core's CQ API (slot->cqe.done) in the CQ's poll
 * context, undo the mapping, free the slot and are delivered with
 * kfi_cq_complete().
 *
 * Every send and receive starts with the 8-byte struct kfiv_hdr in the
 * slot's own buffer; it carries credit grants back to the peer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include "kfi_verbs.h"

static void kfiv_send_done(struct ib_cq *cq, struct ib_wc *wc);
static void kfiv_recv_done(struct ib_cq *cq, struct ib_wc *wc);
static void kfiv_srx_recv_done(struct ib_cq *cq, struct ib_wc *wc);
static void kfiv_unmap(struct kfiv_domain *dom, struct kfiv_slot *s);
static int kfiv_post_send_wr(struct kfiv_ep *ep, struct kfiv_slot *s,
			     struct ib_send_wr *wr, bool want, bool more);

/**
 * kfiv_slot_init() - fixed parts of a slot, set once at enable
 * @dom: domain
 * @ep: owner, NULL for a shared receive context's slot
 * @slot: slot with @sge and @buf set
 * @recv: a receive slot
 *
 * Context: process context.
 */
void kfiv_slot_init(struct kfiv_domain *dom, struct kfiv_ep *ep,
		    struct kfiv_slot *slot, bool recv)
{
	slot->ep = ep;
	if (!recv)
		slot->cqe.done = kfiv_send_done;
	else
		slot->cqe.done = ep ? kfiv_recv_done : kfiv_srx_recv_done;
	if (!recv)
		return;
	slot->sge[0].addr = slot->buf_dma;
	slot->sge[0].length = KFIV_HDR_LEN;
	slot->sge[0].lkey = dom->pd->local_dma_lkey;
	slot->rwr.wr_cqe = &slot->cqe;
	slot->rwr.sg_list = slot->sge;
	slot->first = 1;
	slot->op = KFIV_OP_RECV;
	slot->dir = DMA_FROM_DEVICE;
}

/* Errors the consumer sees, from the work completion status. */
static int kfiv_wc_errno(enum ib_wc_status status)
{
	switch (status) {
	case IB_WC_SUCCESS:
		return 0;
	case IB_WC_WR_FLUSH_ERR:
		return -ECANCELED;
	case IB_WC_REM_ACCESS_ERR:
	case IB_WC_LOC_ACCESS_ERR:
	case IB_WC_LOC_PROT_ERR:
	case IB_WC_MW_BIND_ERR:
		return -EACCES;
	case IB_WC_LOC_LEN_ERR:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

/* The slot's own work request, zeroed: it lives as long as the slot. */
static struct ib_send_wr *kfiv_slot_wr(struct kfiv_slot *s)
{
	memset(&s->wr, 0, sizeof(s->wr));
	return &s->wr.send;
}

/* Take a free slot.  Caller holds q->lock. */
static struct kfiv_slot *kfiv_slot_get(struct kfiv_queue *q)
{
	if (!q->nfree)
		return NULL;
	atomic_inc(&q->busy);
	return &q->slots[q->free[--q->nfree]];
}

static void kfiv_slot_put_locked(struct kfiv_queue *q, struct kfiv_slot *s)
{
	if (s - q->slots < q->depth)
		q->free[q->nfree++] = s - q->slots;
	s->ctx = NULL;
	s->mr = NULL;
	s->wait = NULL;
}

/*
 * @n slots of @q are free again: drop them from the busy count and wake a
 * teardown of @ep, which waits for busy to reach the unsignalled count
 * (not 0).
 */
static void kfiv_busy_drop(struct kfiv_ep *ep, struct kfiv_queue *q, u32 n)
{
	atomic_sub(n, &q->busy);
	if (READ_ONCE(ep->dead))
		wake_up(&ep->drain_wq);
}

/* Return a slot from completion context, waking a waiting teardown. */
static void kfiv_slot_put(struct kfiv_queue *q, struct kfiv_slot *s)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	kfiv_slot_put_locked(q, s);
	spin_unlock_irqrestore(&q->lock, flags);
	kfiv_busy_drop(s->ep, q, 1);
}

/*
 * Note a send queue request as posted, in order.  Caller holds q->lock and
 * has posted @s.
 */
static void kfiv_sq_track(struct kfiv_queue *q, struct kfiv_slot *s)
{
	q->order[(q->ohead + q->ocount++) % q->nslots] = s - q->slots;
	if (s->signaled) {
		q->unsig_run = 0;
	} else {
		q->unsig_run++;
		q->unsig_out++;
	}
}

/*
 * Hand back the send queue's slots up to @last (NULL: all of them), in
 * the order posted, without a completion: requests posted before one
 * that completed have completed too (a send queue completes in order),
 * and those that were unsignalled and did not fail have nothing to
 * report (a failure completes on its own).  @last itself is only taken
 * off the order; its completion hands it back.  Return: slots handed
 * back.  Caller holds q->lock.
 */
static u32 kfiv_sq_retire_locked(struct kfiv_ep *ep, struct kfiv_slot *last)
{
	struct kfiv_queue *q = &ep->sq;
	u32 n = 0;

	while (q->ocount) {
		struct kfiv_slot *e = &q->slots[q->order[q->ohead]];

		q->ohead = (q->ohead + 1) % q->nslots;
		q->ocount--;
		if (!e->signaled)
			q->unsig_out--;
		if (e == last)
			break;
		kfiv_unmap(ep->dom, e);
		kfiv_slot_put_locked(q, e);
		n++;
	}
	return n;
}

static void kfiv_sq_retire(struct kfiv_ep *ep, struct kfiv_slot *last)
{
	unsigned long flags;
	u32 n;

	spin_lock_irqsave(&ep->sq.lock, flags);
	n = kfiv_sq_retire_locked(ep, last);
	spin_unlock_irqrestore(&ep->sq.lock, flags);
	/* @last is still busy: the count cannot reach the drain's goal here. */
	atomic_sub(n, &ep->sq.busy);
}

/*
 * Hand back the send queue's slot @s, whose completion this is, and the
 * unsignalled ones before it, under one hold of the lock.
 */
static void kfiv_sq_done(struct kfiv_ep *ep, struct kfiv_slot *s)
{
	unsigned long flags;
	u32 n;

	spin_lock_irqsave(&ep->sq.lock, flags);
	n = kfiv_sq_retire_locked(ep, s);
	kfiv_unmap(ep->dom, s);
	kfiv_slot_put_locked(&ep->sq, s);
	spin_unlock_irqrestore(&ep->sq.lock, flags);
	kfiv_busy_drop(ep, &ep->sq, n + 1);
}

/**
 * kfiv_sq_retire_all() - hand back unsignalled sends after a drain
 * @ep: endpoint whose send queue is drained (every request completed)
 *
 * Context: process context, teardown.
 */
void kfiv_sq_retire_all(struct kfiv_ep *ep)
{
	if (ep->sq.order)
		kfiv_sq_retire(ep, NULL);
}

/*
 * A request deferred with KFI_MORE that the device refused when the
 * doorbell rang: its post returned 0, so it completes, with -EIO.  Caller
 * holds sq.lock and has taken @s off the order.
 */
static void kfiv_sq_refuse(struct kfiv_ep *ep, struct kfiv_slot *s)
{
	struct kfi_cq_entry e = {
		.op_context = s->ctx,
		.flags = s->flags,
		.err = -EIO,
		.prov_errno = IB_WC_GENERAL_ERR,
	};

	/* An inject not asked to complete has no context: the end says it. */
	if (s->report || s->op != KFIV_OP_INJECT)
		kfi_ep_sw_complete(&ep->base, ep->base.tx_cq, &e);
	kfiv_unmap(ep->dom, s);
	kfiv_slot_put_locked(&ep->sq, s);
	atomic_dec(&ep->sq.busy);
}

/*
 * Post the deferred chain.  The requests from @bad on never reached the
 * device; they are the newest on the order.  @last, the request of the
 * post in progress, is undone by its caller; the others were posted with
 * KFI_MORE and complete with -EIO, and the connection ends, as the order
 * of operations the consumer asked for is broken.  Caller holds sq.lock.
 */
static int kfiv_sq_post_chain(struct kfiv_ep *ep, struct kfiv_slot *last)
{
	struct kfiv_queue *q = &ep->sq;
	struct ib_send_wr *head = q->chain;
	const struct ib_send_wr *bad = NULL, *wr;
	bool refused = false;
	u32 n = 0;
	int ret;

	if (!head)
		return 0;
	q->chain = NULL;
	q->chain_tail = NULL;
	ret = ib_post_send(ep->qp, head, &bad);
	if (!ret)
		return 0;
	for (wr = bad; wr; wr = wr->next)
		n++;
	while (n-- && q->ocount) {
		struct kfiv_slot *s;

		q->ocount--;
		s = &q->slots[q->order[(q->ohead + q->ocount) % q->nslots]];
		if (!s->signaled)
			q->unsig_out--;
		if (s != last) {
			kfiv_sq_refuse(ep, s);
			refused = true;
		}
	}
	if (refused)
		kfiv_ep_fail(ep, KFI_SHUTDOWN, -EIO, GFP_ATOMIC);
	return ret;
}

/**
 * kfiv_sq_ring() - give the device every request deferred with KFI_MORE
 * @ep: endpoint
 *
 * Teardown rings before it stops posts, so that deferred requests are
 * flushed with the rest rather than forgotten.
 *
 * Context: any; ep->sq.lock held.
 */
void kfiv_sq_ring(struct kfiv_ep *ep)
{
	lockdep_assert_held(&ep->sq.lock);
	kfiv_sq_post_chain(ep, NULL);
}

/**
 * kfiv_doorbell() - give the device what was deferred with KFI_MORE
 * @kep: endpoint
 *
 * Context: any; never sleeps.
 */
void kfiv_doorbell(struct kfid_ep *kep)
{
	struct kfiv_ep *ep = to_ep(kep);
	unsigned long flags;

	spin_lock_irqsave(&ep->sq.lock, flags);
	if (!ep->dead)
		kfiv_sq_ring(ep);
	spin_unlock_irqrestore(&ep->sq.lock, flags);
}

/**
 * kfiv_debug_deferred() - requests of @kep deferred with KFI_MORE
 * @kep: a verbs endpoint
 *
 * For the provider's tests: what waits for the doorbell.
 *
 * Context: any.
 * Return: the count.
 */
int kfiv_debug_deferred(struct kfid_ep *kep)
{
	struct kfiv_ep *ep = to_ep(kep);
	const struct ib_send_wr *wr;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&ep->sq.lock, flags);
	for (wr = ep->sq.chain; wr; wr = wr->next)
		n++;
	spin_unlock_irqrestore(&ep->sq.lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(kfiv_debug_deferred);

/* Posting is refused on a stopped endpoint.  Caller holds the queue lock. */
static int kfiv_ep_check(struct kfiv_ep *ep)
{
	if (ep->dead)
		return ep->removed ? -ENODEV : -ENOTCONN;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Buffer mapping */

static int kfiv_map_kvec(struct ib_device *dev, struct kfiv_slot *s,
			 const struct kfi_iov *iov, u32 lkey, u64 *len)
{
	struct ib_sge *sge = &s->sge[s->first];
	u32 i;

	for (i = 0; i < iov->count; i++) {
		const struct kvec *kv = &iov->kvec[i];
		u64 a = ib_dma_map_single(dev, kv->iov_base, kv->iov_len,
					  s->dir);

		if (ib_dma_mapping_error(dev, a))
			return -EIO;
		sge[i].addr = a;
		sge[i].length = kv->iov_len;
		sge[i].lkey = lkey;
		s->nsge = i + 1;
		*len += kv->iov_len;
	}
	return 0;
}

static int kfiv_map_bvec(struct ib_device *dev, struct kfiv_slot *s,
			 const struct kfi_iov *iov, u32 lkey, u64 *len)
{
	struct ib_sge *sge = &s->sge[s->first];
	u32 i;

	for (i = 0; i < iov->count; i++) {
		const struct bio_vec *bv = &iov->bvec[i];
		u64 a = ib_dma_map_page(dev, bv->bv_page, bv->bv_offset,
					bv->bv_len, s->dir);

		if (ib_dma_mapping_error(dev, a))
			return -EIO;
		sge[i].addr = a;
		sge[i].length = bv->bv_len;
		sge[i].lkey = lkey;
		s->nsge = i + 1;
		*len += bv->bv_len;
	}
	return 0;
}

static int kfiv_map_sgl(struct ib_device *dev, struct kfiv_slot *s,
			const struct kfi_iov *iov, u32 lkey, u64 *len)
{
	struct ib_sge *sge = &s->sge[s->first];
	struct scatterlist *sg;
	int n, i;

	n = ib_dma_map_sg(dev, iov->sgl, iov->count, s->dir);
	if (n <= 0)
		return -EIO;
	s->sgl = iov->sgl;
	s->sg_count = iov->count;
	for_each_sg(iov->sgl, sg, n, i) {
		sge[i].addr = sg_dma_address(sg);
		sge[i].length = sg_dma_len(sg);
		sge[i].lkey = lkey;
		*len += sg_dma_len(sg);
	}
	s->nsge = n;
	return 0;
}

/*
 * Kvecs inside the consumer's kfi_mr_reg() regions (@desc, one for each)
 * go at the DMA addresses those have, synced for the device, not mapped.
 * False, with nothing to undo, when one is not inside its region.
 */
static bool kfiv_map_desc(struct kfiv_domain *dom, struct kfiv_slot *s,
			  const struct kfi_iov *iov, void **desc, u64 *len)
{
	struct ib_sge *sge = &s->sge[s->first];
	u32 i;

	if (!desc || iov->type != KFI_IOV_KVEC)
		return false;
	for (i = 0; i < iov->count; i++) {
		const struct kvec *kv = &iov->kvec[i];

		if (kv->iov_len > U32_MAX ||
		    !kfiv_mr_dma_range(dom, desc[i], kv->iov_base,
				       kv->iov_len, &sge[i].addr))
			return false;
		sge[i].length = kv->iov_len;
		sge[i].lkey = dom->pd->local_dma_lkey;
	}
	for (i = 0; i < iov->count; i++) {
		ib_dma_sync_single_for_device(dom->ibdev, sge[i].addr,
					      sge[i].length, s->dir);
		*len += sge[i].length;
	}
	s->nsge = iov->count;
	s->premapped = true;
	this_cpu_inc(*dom->premapped);
	return true;
}

/*
 * Map the consumer's buffers after the slot's first @s->first SGEs.  The
 * PD's local_dma_lkey covers every DMA address, so no MR is needed for
 * local access; a buffer whose descriptor (@desc, or NULL) is a
 * kfi_mr_reg() region holding it is not mapped again.  A buffer the DMA
 * API refuses is -EIO, never -EAGAIN: retrying would not help, and a
 * consumer retries -EAGAIN until it succeeds.
 */
static int kfiv_map(struct kfiv_domain *dom, struct kfiv_slot *s,
		    const struct kfi_iov *iov, void **desc, u32 limit)
{
	struct ib_device *dev = dom->ibdev;
	u32 lkey = dom->pd->local_dma_lkey;
	u64 len = 0;
	int ret;

	s->nsge = 0;
	s->sgl = NULL;
	s->form = iov->type;
	if (iov->count > limit)
		return -EINVAL;
	if (kfiv_map_desc(dom, s, iov, desc, &len)) {
		s->len = len;
		return 0;
	}
	switch (iov->type) {
	case KFI_IOV_KVEC:
		ret = kfiv_map_kvec(dev, s, iov, lkey, &len);
		break;
	case KFI_IOV_BVEC:
		ret = kfiv_map_bvec(dev, s, iov, lkey, &len);
		break;
	case KFI_IOV_SGL:
		ret = iov->count ? kfiv_map_sgl(dev, s, iov, lkey, &len) : 0;
		break;
	default:
		ret = -EINVAL;
	}
	s->len = len;
	return ret;
}

static void kfiv_unmap(struct kfiv_domain *dom, struct kfiv_slot *s)
{
	struct ib_device *dev = dom->ibdev;
	struct ib_sge *sge = &s->sge[s->first];
	u32 i;

	if (s->premapped) {
		/* The region stays mapped: what the device wrote, to the CPU. */
		for (i = 0; i < s->nsge && s->dir != DMA_TO_DEVICE; i++)
			ib_dma_sync_single_for_cpu(dev, sge[i].addr,
						   sge[i].length, s->dir);
		s->premapped = false;
		s->nsge = 0;
		return;
	}
	if (s->sgl) {
		ib_dma_unmap_sg(dev, s->sgl, s->sg_count, s->dir);
		s->sgl = NULL;
		s->nsge = 0;
		return;
	}
	for (i = 0; i < s->nsge; i++) {
		if (s->form == KFI_IOV_BVEC)
			ib_dma_unmap_page(dev, sge[i].addr, sge[i].length,
					  s->dir);
		else
			ib_dma_unmap_single(dev, sge[i].addr, sge[i].length,
					    s->dir);
	}
	s->nsge = 0;
}

/* ------------------------------------------------------------------ */
/* Credits on the wire */

/*
 * Receives posted here that the peer has not been told about.  The
 * provider counts them itself (ep->recv_total, raised once the receive is
 * on the QP) rather than reading credits.grant, which kfi_recvmsg()
 * raises before ->recv runs: a grant sent from that count could reach
 * the peer before the receive is posted, and its message would meet a
 * receiver-not-ready.  Caller holds ep->sq.lock or is connecting.
 */
static u32 kfiv_grant_pending(struct kfiv_ep *ep)
{
	return (u32)atomic_read(&ep->recv_total) - READ_ONCE(ep->advertised);
}

/**
 * kfiv_grant_take() - take every pending grant for a header
 * @ep: endpoint
 *
 * The core's own count (credits.grant) is drained as well, so that it
 * shows only what is really pending; ours is the one used.
 *
 * Context: any; ep->sq.lock held, or the endpoint is not connected yet.
 * Return: receives to advertise, at most KFIV_MAX_DEPTH.
 */
u32 kfiv_grant_take(struct kfiv_ep *ep)
{
	u32 grant = min_t(u32, kfiv_grant_pending(ep), KFIV_MAX_DEPTH);

	kfi_credit_take_grant(&ep->base);
	WRITE_ONCE(ep->advertised, ep->advertised + grant);
	return grant;
}

/*
 * The peer counts on our grants: core credits are on, or the endpoint is
 * on a shared receive context (which keeps KFIV_SRX_WINDOW granted).
 */
static bool kfiv_grants(struct kfiv_ep *ep)
{
	return ep->base.credits.enabled || ep->base.srx;
}

/* Fill the header of an outgoing send with every grant pending. */
static u32 kfiv_hdr_fill(struct kfiv_ep *ep, struct kfiv_slot *s, u8 flags)
{
	struct kfiv_hdr *h = s->buf;
	u32 grant = 0;

	if (kfiv_grants(ep))
		grant = kfiv_grant_take(ep);
	h->version = KFIV_PROTO_VERSION;
	h->flags = flags;
	h->credits = cpu_to_le16(grant);
	h->rsvd = 0;
	return grant;
}

/* A post failed after taking grants: they are still pending. */
static void kfiv_hdr_unfill(struct kfiv_ep *ep, u32 grant)
{
	WRITE_ONCE(ep->advertised, ep->advertised - grant);
}

/*
 * When to send a header-only credit update: when at least half of the
 * receives posted here (on a shared context, half the window) are
 * unknown to the peer, and at least one is.  Only new receives count, so
 * an update never calls for an answer.
 */
static bool kfiv_credit_wanted(struct kfiv_ep *ep)
{
	u32 pending = kfiv_grant_pending(ep);
	u32 posted = ep->base.srx ? KFIV_SRX_WINDOW : atomic_read(&ep->posted);

	return pending && pending >= posted / 2;
}

/**
 * kfiv_credit_update() - send pending grants if the peer may be starving
 * @ep: endpoint
 *
 * Uses the reserved credit and the send queue's extra slot, one update at
 * a time; the next chance comes when that update completes, credits
 * arrive or a receive is posted.
 *
 * Context: any.
 */
void kfiv_credit_update(struct kfiv_ep *ep)
{
	struct kfiv_slot *s = &ep->sq.slots[ep->sq.depth];
	unsigned long flags;
	u32 grant;
	int ret;

	if (!kfiv_grants(ep) || !ep->sq.slots ||
	    READ_ONCE(ep->base.state) != KFI_EP_CONNECTED ||
	    !kfiv_credit_wanted(ep))
		return;
	if (test_and_set_bit(0, &ep->update_busy))
		return;
	if (kfi_credit_take_reserved(&ep->base)) {
		clear_bit(0, &ep->update_busy);
		return;
	}
	spin_lock_irqsave(&ep->sq.lock, flags);
	ret = kfiv_ep_check(ep);
	if (ret)
		goto unlock;
	atomic_inc(&ep->sq.busy);
	s->op = KFIV_OP_CREDIT;
	s->first = 1;
	s->nsge = 0;
	s->sgl = NULL;
	grant = kfiv_hdr_fill(ep, s, KFIV_HDR_CREDIT);
	s->sge[0].addr = s->buf_dma;
	s->sge[0].length = KFIV_HDR_LEN;
	s->sge[0].lkey = ep->dom->pd->local_dma_lkey;
	ib_dma_sync_single_for_device(ep->dom->ibdev, s->buf_dma, KFIV_HDR_LEN,
				      DMA_TO_DEVICE);
	kfiv_slot_wr(s)->opcode = IB_WR_SEND;
	/* Requests deferred before it go first: the order holds. */
	ret = kfiv_post_send_wr(ep, s, &s->wr.send, true, false);
	if (ret) {
		atomic_dec(&ep->sq.busy);
		kfiv_hdr_unfill(ep, grant);
	}
unlock:
	spin_unlock_irqrestore(&ep->sq.lock, flags);
	if (ret) {
		kfi_credit_add(&ep->base, 1);
		clear_bit(0, &ep->update_busy);
	}
}

/**
 * kfiv_credit_work() - credit update after a receive was posted
 * @work: ep->credit_work
 *
 * Context: process context.
 */
void kfiv_credit_work(struct work_struct *work)
{
	kfiv_credit_update(container_of(work, struct kfiv_ep, credit_work));
}

/* ------------------------------------------------------------------ */
/* Completions */

static void kfiv_complete(struct kfiv_ep *ep, struct kfi_context *ctx,
			  u64 flags, u64 len, struct ib_wc *wc)
{
	struct kfi_cq_entry e = {
		.op_context = ctx,
		.flags = flags,
		.len = len,
		.err = kfiv_wc_errno(wc->status),
		.prov_errno = wc->status,
	};

	kfi_ep_complete(&ep->base, ep->base.tx_cq, &e);
}

/*
 * A transport error ends the connection: report it once.  So does a flush
 * this side did not ask for: the device moved the QP to error with no
 * error completion of ours, as a responder does when the peer's request
 * breaks the rules (an RMA write outside the key's range).
 */
static void kfiv_wc_error(struct kfiv_ep *ep, struct ib_wc *wc)
{
	if (wc->status == IB_WC_SUCCESS)
		return;
	if (wc->status == IB_WC_WR_FLUSH_ERR) {
		if (READ_ONCE(ep->disconnecting) ||
		    READ_ONCE(ep->base.state) != KFI_EP_CONNECTED)
			return;
		pr_warn_ratelimited("QP %u: flushed while connected\n",
				    ep->qp->qp_num);
		kfiv_ep_fail(ep, KFI_SHUTDOWN, -ECONNRESET, GFP_ATOMIC);
		return;
	}
	pr_warn_ratelimited("QP %u: %s (%d) vendor 0x%x\n", ep->qp->qp_num,
			    ib_wc_status_msg(wc->status), wc->status,
			    wc->vendor_err);
	kfiv_ep_fail(ep, KFI_SHUTDOWN, kfiv_wc_errno(wc->status), GFP_ATOMIC);
}

static void kfiv_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kfiv_slot *s = container_of(wc->wr_cqe, struct kfiv_slot, cqe);
	struct kfiv_ep *ep = s->ep;
	struct kfi_context *ctx = s->ctx;
	struct kfiv_wait *wait = s->wait;
	struct kfiv_mr *mr = s->mr;
	u64 flags = s->flags, len = s->len;
	bool report = s->report;
	u8 op = s->op;

	kfiv_wc_error(ep, wc);
	kfiv_sq_done(ep, s);
	if (op == KFIV_OP_INV && wc->status == IB_WC_SUCCESS)
		kfiv_mr_dma_unmap(mr);

	switch (op) {
	case KFIV_OP_CREDIT:
		/*
		 * The peer reposts the receive an update used, unchanged:
		 * the credit it took is ours again.
		 */
		if (wc->status == IB_WC_SUCCESS)
			kfi_credit_add(&ep->base, 1);
		clear_bit(0, &ep->update_busy);
		kfiv_credit_update(ep);
		return;
	case KFIV_OP_REG:
		if (wait) {
			wait->status = wc->status;
			complete(&wait->done);
		}
		return;
	default:
		break;
	}
	/*
	 * A success is reported only if asked for; a failure always, but an
	 * inject not asked to complete has no context: its failure ended the
	 * connection, which is how the consumer hears of it.
	 */
	if (!report && (wc->status == IB_WC_SUCCESS || op == KFIV_OP_INJECT))
		return;
	kfiv_complete(ep, ctx, flags, len, wc);
}

/* Check and apply the header of a received message. */
static int kfiv_hdr_recv(struct kfiv_ep *ep, struct kfiv_slot *s,
			 struct ib_wc *wc)
{
	const struct kfiv_hdr *h = s->buf;
	int have = kfi_ep_credits(&ep->base);
	u32 credits;

	if (wc->byte_len < KFIV_HDR_LEN)
		return -EPROTO;
	ib_dma_sync_single_for_cpu(ep->dom->ibdev, s->buf_dma, KFIV_HDR_LEN,
				   DMA_FROM_DEVICE);
	if (h->version != KFIV_PROTO_VERSION)
		return -EPROTO;
	credits = le16_to_cpu(h->credits);
	/*
	 * The peer cannot grant more than we can ever send.  Without
	 * credits (KFI_EP_NO_CREDITS) @have is -1, which must not be added
	 * to the unsigned grant: it would turn a grant of 0 into a huge one.
	 */
	if (credits > KFIV_MAX_DEPTH ||
	    (have >= 0 && have + credits > KFIV_MAX_DEPTH * 2))
		return -EPROTO;
	if (credits)
		kfi_credit_add(&ep->base, credits);
	return h->flags & KFIV_HDR_CREDIT ? 1 : 0;
}

/*
 * Repost the receive a credit update used, unchanged: the consumer never
 * sees it, and the peer counts it as posted again as soon as its update
 * completes (see kfiv_send_done()).  Credits the update brought may let
 * our own pending grants go out.  A shared context's receive goes back
 * on its SRQ.
 */
static bool kfiv_recv_repost(struct kfiv_ep *ep, struct kfiv_slot *s)
{
	struct kfiv_srx *x = ep->base.srx ? to_srx(ep->base.srx) : NULL;
	spinlock_t *lock = x ? &x->q.lock : &ep->rq.lock;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(lock, flags);
	ret = x ? (x->srq ? 0 : -ENODEV) : kfiv_ep_check(ep);
	if (!ret) {
		ib_dma_sync_single_for_device(ep->dom->ibdev, s->buf_dma,
					      KFIV_HDR_LEN, DMA_FROM_DEVICE);
		ret = x ? ib_post_srq_recv(x->srq, &s->rwr, NULL) :
			  ib_post_recv(ep->qp, &s->rwr, NULL);
	}
	spin_unlock_irqrestore(lock, flags);
	if (ret)
		return false;
	kfiv_credit_update(ep);
	return true;
}

static u64 kfiv_recv_flags(struct kfiv_ep *ep, struct ib_wc *wc, u64 *len,
			   struct kfi_cq_entry *e)
{
	u64 flags = KFI_RECV | KFI_MSG;

	if (wc->opcode == IB_WC_RECV_RDMA_WITH_IMM) {
		flags = KFI_RMA | KFI_REMOTE_WRITE;
		*len = wc->byte_len;
	} else {
		*len = wc->byte_len - KFIV_HDR_LEN;
	}
	if (wc->wc_flags & IB_WC_WITH_IMM) {
		flags |= KFI_REMOTE_CQ_DATA;
		e->data = be32_to_cpu(wc->ex.imm_data);
	}
	if (wc->wc_flags & IB_WC_WITH_INVALIDATE) {
		flags |= KFI_MR_INVALIDATED;
		e->inv_key = wc->ex.invalidate_rkey;
		kfiv_mr_invalidated(ep->dom, wc->ex.invalidate_rkey);
	}
	return flags;
}

/*
 * Sort a receive's completion into @e (its status set from the work
 * completion).  Return: true if it was a credit update whose receive is
 * posted again: nothing to deliver, the slot stays in flight.
 */
static bool kfiv_recv_sort(struct kfiv_ep *ep, struct kfiv_slot *s,
			   struct ib_wc *wc, struct kfi_cq_entry *e)
{
	int ret;

	kfiv_wc_error(ep, wc);
	if (!e->err)
		kfiv_ep_comm_est_later(ep);
	if (!e->err && wc->opcode == IB_WC_RECV) {
		ret = kfiv_hdr_recv(ep, s, wc);
		if (ret == 1 && kfiv_recv_repost(ep, s))
			return true;
		/*
		 * Credits came with the message: grants that found none for
		 * an update may leave now.
		 */
		if (!ret)
			kfiv_credit_update(ep);
		if (ret == 1)
			e->err = -ECANCELED;
		if (ret < 0) {
			e->err = -EIO;
			pr_warn_ratelimited("QP %u: bad header\n",
					    ep->qp->qp_num);
		}
	}
	if (!e->err)
		e->flags = kfiv_recv_flags(ep, wc, &e->len, e);
	return false;
}

static void kfiv_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kfiv_slot *s = container_of(wc->wr_cqe, struct kfiv_slot, cqe);
	struct kfiv_ep *ep = s->ep;
	struct kfi_cq_entry e = {
		.op_context = s->ctx,
		.flags = KFI_RECV | KFI_MSG,
		.err = kfiv_wc_errno(wc->status),
		.prov_errno = wc->status,
	};

	if (kfiv_recv_sort(ep, s, wc, &e))
		return;
	kfiv_unmap(ep->dom, s);
	atomic_dec(&ep->posted);
	kfiv_slot_put(&ep->rq, s);
	kfi_ep_complete(&ep->base, ep->base.rx_cq, &e);
}

/* ------------------------------------------------------------------ */
/* Posting */

/* Undo a failed post.  Caller holds q->lock. */
static void kfiv_post_undo(struct kfiv_domain *dom, struct kfiv_queue *q,
			   struct kfiv_slot *s)
{
	kfiv_unmap(dom, s);
	kfiv_slot_put_locked(q, s);
	atomic_dec(&q->busy);
}

/*
 * A post that fails rings the doorbell for what was deferred before it: a
 * consumer told -EAGAIN waits for completions, and one whose last post of
 * a batch failed must not leave the batch stranded.  Caller holds sq.lock.
 */
static void kfiv_sq_post_failed(struct kfiv_ep *ep, int ret)
{
	if (ret)
		kfiv_sq_post_chain(ep, NULL);
}

/*
 * Signal a request whose success is wanted, and at least one in each half
 * of the queue: an unsignalled request's slot comes back only with a later
 * signalled one's completion, so the queue never fills with slots that
 * nothing would hand back.
 */
static bool kfiv_signal(struct kfiv_queue *q, bool want)
{
	return want || q->unsig_run + 1 >= max(q->depth / 2, 1U);
}

/*
 * Queue @wr, the request of slot @s, behind those deferred before it and,
 * unless @more (KFI_MORE), ring the doorbell for all of them.  @want: the
 * request must be signalled.  Caller holds sq.lock; on failure @s is its
 * to undo.
 */
static int kfiv_post_send_wr(struct kfiv_ep *ep, struct kfiv_slot *s,
			     struct ib_send_wr *wr, bool want, bool more)
{
	struct kfiv_queue *q = &ep->sq;
	int ret;

	wr->wr_cqe = &s->cqe;
	wr->sg_list = s->sge;
	wr->num_sge = s->first + s->nsge;
	wr->next = NULL;
	s->signaled = kfiv_signal(q, want);
	if (s->signaled)
		wr->send_flags |= IB_SEND_SIGNALED;
	if (q->chain_tail)
		q->chain_tail->next = wr;
	else
		q->chain = wr;
	q->chain_tail = wr;
	kfiv_sq_track(q, s);
	if (more)
		return 0;
	ret = kfiv_sq_post_chain(ep, s);
	return ret == -ENOMEM ? -EAGAIN : ret;
}

/*
 * An inject that does not go inline is copied behind the header in the
 * slot's own buffer, so that the caller's buffer is free at return.
 */
static int kfiv_inject_copy(struct kfiv_ep *ep, struct kfiv_slot *s,
			    const struct kfi_iov *iov)
{
	void *dst = s->buf + KFIV_HDR_LEN;
	struct scatterlist *sg;
	struct iov_iter it;
	size_t len = 0;
	u32 i;

	switch (iov->type) {
	case KFI_IOV_KVEC:
		for (i = 0; i < iov->count; i++)
			len += iov->kvec[i].iov_len;
		iov_iter_kvec(&it, WRITE, iov->kvec, iov->count, len);
		break;
	case KFI_IOV_BVEC:
		for (i = 0; i < iov->count; i++)
			len += iov->bvec[i].bv_len;
		iov_iter_bvec(&it, WRITE, iov->bvec, iov->count, len);
		break;
	case KFI_IOV_SGL:
		for_each_sg(iov->sgl, sg, iov->count, i)
			len += sg->length;
		break;
	default:
		return -EINVAL;
	}
	if (len > ep->inject_size)
		return -EMSGSIZE;
	s->nsge = 0;
	s->sgl = NULL;
	if (iov->type == KFI_IOV_SGL) {
		if (sg_copy_to_buffer(iov->sgl, iov->count, dst, len) != len)
			return -EFAULT;
	} else if (copy_from_iter(dst, len, &it) != len) {
		return -EFAULT;
	}
	s->len = len;
	s->sge[0].length = KFIV_HDR_LEN + len;
	return 0;
}

/*
 * One piece of an inline post: its CPU address, or NULL if it has none
 * that lasts (a highmem page).
 */
static void *kfiv_inline_piece(const struct kfi_iov *iov, u32 i,
			       struct scatterlist **sg, u32 *len)
{
	struct page *page;
	u32 off;

	switch (iov->type) {
	case KFI_IOV_KVEC:
		*len = iov->kvec[i].iov_len;
		return iov->kvec[i].iov_base;
	case KFI_IOV_BVEC:
		page = iov->bvec[i].bv_page;
		off = iov->bvec[i].bv_offset;
		*len = iov->bvec[i].bv_len;
		break;
	case KFI_IOV_SGL:
		*sg = i ? sg_next(*sg) : iov->sgl;
		page = sg_page(*sg);
		off = (*sg)->offset;
		*len = (*sg)->length;
		break;
	default:
		return NULL;
	}
	return PageHighMem(page) ? NULL : page_address(page) + off;
}

/*
 * Point the slot's SGEs after the header at the caller's buffers by CPU
 * address, for an inline post: the device copies the bytes inside
 * ib_post_send(), so nothing is mapped or copied here, and the buffers
 * are the caller's again when the post returns.  The SGEs join the
 * provider's own (s->first), which are never unmapped.  Return: false if
 * the payload is over @room bytes or a piece has no CPU address; the slot
 * is then as it was for all that matters.
 */
static bool kfiv_inline_ref(struct kfiv_ep *ep, struct kfiv_slot *s,
			    const struct kfi_iov *iov, u32 room)
{
	struct ib_sge *sge = &s->sge[s->first];
	struct scatterlist *sg = NULL;
	u64 len = 0;
	u32 i, n;
	void *p;

	for (i = 0; i < iov->count; i++) {
		p = kfiv_inline_piece(iov, i, &sg, &n);
		if (!p)
			return false;
		len += n;
		if (len > room)
			return false;
		sge[i].addr = (uintptr_t)p;
		sge[i].length = n;
		sge[i].lkey = ep->dom->pd->local_dma_lkey;
	}
	s->first += iov->count;
	s->nsge = 0;
	s->sgl = NULL;
	s->len = len;
	return true;
}

/*
 * The payload of a send or inject: inline with the header when the QP
 * takes that much (the header then goes by CPU address too); else an
 * inject is copied behind the header in the slot's buffer, so the caller
 * may reuse its buffer at return, and a send's buffers are mapped.
 */
static int kfiv_send_payload(struct kfiv_ep *ep, struct kfiv_slot *s,
			     const struct kfi_msg *msg, bool inject,
			     struct ib_send_wr *wr)
{
	const struct kfi_iov *iov = &msg->iov;

	if (iov->count > ep->base.info.tx_attr.iov_limit)
		return -EINVAL;
	if (ep->inline_max >= KFIV_HDR_LEN &&
	    kfiv_inline_ref(ep, s, iov, ep->inline_max - KFIV_HDR_LEN)) {
		s->sge[0].addr = (uintptr_t)s->buf;
		wr->send_flags |= IB_SEND_INLINE;
		return 0;
	}
	if (inject)
		return kfiv_inject_copy(ep, s, iov);
	return kfiv_map(ep->dom, s, iov, msg->desc,
			ep->base.info.tx_attr.iov_limit);
}

static int kfiv_send_prep(struct kfiv_ep *ep, struct kfiv_slot *s,
			  const struct kfi_msg *msg, u64 flags,
			  struct ib_send_wr *wr)
{
	const struct kfi_info *info = &ep->base.info;
	int ret;

	s->first = 1;
	s->dir = DMA_TO_DEVICE;
	s->sge[0].addr = s->buf_dma;
	s->sge[0].length = KFIV_HDR_LEN;
	s->sge[0].lkey = ep->dom->pd->local_dma_lkey;
	s->op = flags & KFI_INJECT ? KFIV_OP_INJECT : KFIV_OP_SEND;
	ret = kfiv_send_payload(ep, s, msg, flags & KFI_INJECT, wr);
	if (!ret && s->len > info->ep_attr.max_msg_size)
		ret = -EMSGSIZE;
	if (ret)
		return ret;

	wr->opcode = IB_WR_SEND;
	if (flags & KFI_REMOTE_CQ_DATA) {
		if (msg->data > U32_MAX || flags & KFI_INVALIDATE)
			return -EINVAL;
		wr->opcode = IB_WR_SEND_WITH_IMM;
		wr->ex.imm_data = cpu_to_be32(msg->data);
	} else if (flags & KFI_INVALIDATE) {
		if (msg->inv_key > U32_MAX)
			return -EINVAL;
		wr->opcode = IB_WR_SEND_WITH_INV;
		wr->ex.invalidate_rkey = msg->inv_key;
	}
	if (flags & KFI_FENCE)
		wr->send_flags |= IB_SEND_FENCE;
	s->ctx = msg->context;
	s->flags = KFI_SEND | KFI_MSG;
	s->report = flags & KFI_COMPLETION;
	return 0;
}

/**
 * kfiv_send() - post a send, senddata, inject or send with invalidate
 * @kep: connected endpoint (the core took a send credit)
 * @msg: buffers, context, immediate data (32 bits), key to invalidate
 * @flags: KFI_INJECT, KFI_REMOTE_CQ_DATA, KFI_INVALIDATE, KFI_FENCE
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, -EAGAIN (queue full), -ENOTCONN, -ENODEV, -EINVAL, -EMSGSIZE,
 * -EIO (a buffer could not be DMA-mapped).
 */
int kfiv_send(struct kfid_ep *kep, const struct kfi_msg *msg, u64 flags)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct ib_send_wr *wr;
	struct kfiv_slot *s;
	unsigned long irq;
	u32 grant;
	int ret;

	spin_lock_irqsave(&ep->sq.lock, irq);
	ret = kfiv_ep_check(ep);
	if (ret)
		goto unlock;
	s = kfiv_slot_get(&ep->sq);
	if (!s) {
		ret = -EAGAIN;
		goto unlock;
	}
	wr = kfiv_slot_wr(s);
	ret = kfiv_send_prep(ep, s, msg, flags, wr);
	if (ret)
		goto undo;
	grant = kfiv_hdr_fill(ep, s, 0);
	if (!(wr->send_flags & IB_SEND_INLINE))
		ib_dma_sync_single_for_device(ep->dom->ibdev, s->buf_dma,
					      s->sge[0].length, DMA_TO_DEVICE);
	ret = kfiv_post_send_wr(ep, s, wr, s->report, flags & KFI_MORE);
	if (!ret)
		goto unlock;
	kfiv_hdr_unfill(ep, grant);
undo:
	kfiv_post_undo(ep->dom, &ep->sq, s);
unlock:
	kfiv_sq_post_failed(ep, ret);
	spin_unlock_irqrestore(&ep->sq.lock, irq);
	return ret;
}

/**
 * kfiv_recv() - post a receive
 * @kep: enabled endpoint
 * @msg: buffers and context
 * @flags: none used
 *
 * The provider's header lands in the slot's buffer, the payload in the
 * consumer's; the receive counts as a credit to grant to the peer.
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, -EAGAIN (queue full), -ENOTCONN, -ENODEV, -EINVAL, -EIO (a
 * buffer could not be DMA-mapped).
 */
int kfiv_recv(struct kfid_ep *kep, const struct kfi_msg *msg, u64 flags)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct kfiv_slot *s;
	unsigned long irq;
	int ret;

	spin_lock_irqsave(&ep->rq.lock, irq);
	ret = kfiv_ep_check(ep);
	if (ret)
		goto unlock;
	s = kfiv_slot_get(&ep->rq);
	if (!s) {
		ret = -EAGAIN;
		goto unlock;
	}
	ret = kfiv_map(ep->dom, s, &msg->iov, msg->desc,
		       kep->info.rx_attr.iov_limit);
	if (ret)
		goto undo;
	s->ctx = msg->context;
	s->rwr.num_sge = 1 + s->nsge;
	ret = ib_post_recv(ep->qp, &s->rwr, NULL);
	if (ret)
		goto undo;
	atomic_inc(&ep->posted);
	atomic_inc(&ep->recv_total);
	spin_unlock_irqrestore(&ep->rq.lock, irq);
	/*
	 * The caller may hold locks of its own: the update that may be
	 * needed is sent from a work item.
	 */
	if (kfiv_credit_wanted(ep))
		queue_work(system_highpri_wq, &ep->credit_work);
	return 0;

undo:
	kfiv_post_undo(ep->dom, &ep->rq, s);
unlock:
	spin_unlock_irqrestore(&ep->rq.lock, irq);
	return ret;
}

/* Check one remote buffer against the local length. */
static int kfiv_rma_check(const struct kfi_msg_rma *msg, u64 len)
{
	const struct kfi_rma_iov *r = msg->rma_iov;

	if (msg->rma_iov_count != 1 || !r || r->key > U32_MAX ||
	    len > r->len || r->addr + len < r->addr || len > U32_MAX)
		return -EINVAL;
	return 0;
}

/*
 * The local side of an RMA: the caller's buffers mapped, or for an inject
 * write a copy in the slot's own buffer (behind the room a send keeps for
 * its header), so that the caller may reuse its buffer at return.
 */
static int kfiv_rma_source(struct kfiv_ep *ep, struct kfiv_slot *s,
			   const struct kfi_msg_rma *msg, bool inject)
{
	int ret;

	if (!inject) {
		s->first = 0;
		return kfiv_map(ep->dom, s, &msg->iov, msg->desc,
				ep->base.info.tx_attr.iov_limit);
	}
	s->first = 1;
	ret = kfiv_inject_copy(ep, s, &msg->iov);
	if (ret)
		return ret;
	s->sge[0].addr = s->buf_dma + KFIV_HDR_LEN;
	s->sge[0].length = s->len;
	s->sge[0].lkey = ep->dom->pd->local_dma_lkey;
	ib_dma_sync_single_for_device(ep->dom->ibdev, s->sge[0].addr, s->len,
				      DMA_TO_DEVICE);
	return 0;
}

static int kfiv_rma(struct kfiv_ep *ep, const struct kfi_msg_rma *msg,
		    u64 flags, bool write)
{
	struct ib_rdma_wr *wr;
	struct kfiv_slot *s;
	unsigned long irq;
	int ret;

	spin_lock_irqsave(&ep->sq.lock, irq);
	ret = kfiv_ep_check(ep);
	if (ret)
		goto unlock;
	s = kfiv_slot_get(&ep->sq);
	if (!s) {
		ret = -EAGAIN;
		goto unlock;
	}
	s->dir = write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	ret = kfiv_rma_source(ep, s, msg, write && (flags & KFI_INJECT));
	if (!ret)
		ret = kfiv_rma_check(msg, s->len);
	if (ret)
		goto undo;
	s->op = write ? KFIV_OP_WRITE : KFIV_OP_READ;
	s->ctx = msg->context;
	s->flags = KFI_RMA | (write ? KFI_WRITE : KFI_READ);
	s->report = flags & KFI_COMPLETION;
	wr = container_of(kfiv_slot_wr(s), struct ib_rdma_wr, wr);
	wr->remote_addr = msg->rma_iov->addr;
	wr->rkey = msg->rma_iov->key;
	wr->wr.opcode = write ? IB_WR_RDMA_WRITE : IB_WR_RDMA_READ;
	if (write && (flags & KFI_REMOTE_CQ_DATA)) {
		ret = -EINVAL;
		if (msg->data > U32_MAX)
			goto undo;
		wr->wr.opcode = IB_WR_RDMA_WRITE_WITH_IMM;
		wr->wr.ex.imm_data = cpu_to_be32(msg->data);
	}
	if (flags & KFI_FENCE)
		wr->wr.send_flags |= IB_SEND_FENCE;
	ret = kfiv_post_send_wr(ep, s, &wr->wr, s->report, flags & KFI_MORE);
	if (!ret)
		goto unlock;
undo:
	kfiv_post_undo(ep->dom, &ep->sq, s);
unlock:
	kfiv_sq_post_failed(ep, ret);
	spin_unlock_irqrestore(&ep->sq.lock, irq);
	return ret;
}

/**
 * kfiv_read() - post an RMA read into local buffers
 * @kep: connected endpoint
 * @msg: local buffers, one remote buffer at least as long
 * @flags: KFI_FENCE
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, -EAGAIN, -ENOTCONN, -ENODEV, -EINVAL.
 */
int kfiv_read(struct kfid_ep *kep, const struct kfi_msg_rma *msg, u64 flags)
{
	return kfiv_rma(to_ep(kep), msg, flags, false);
}

/**
 * kfiv_write() - post an RMA write, or a write with immediate data
 * @kep: connected endpoint
 * @msg: local buffers, one remote buffer, 32-bit immediate data
 * @flags: KFI_REMOTE_CQ_DATA (consumes a receive at the peer), KFI_FENCE,
 *	KFI_INJECT (the bytes are copied at the post: at most inject_size)
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, -EAGAIN, -ENOTCONN, -ENODEV, -EINVAL, -EMSGSIZE (an inject
 * longer than inject_size), -EFAULT (an inject's bytes not copied).
 */
int kfiv_write(struct kfid_ep *kep, const struct kfi_msg_rma *msg, u64 flags)
{
	return kfiv_rma(to_ep(kep), msg, flags, true);
}

static void kfiv_atomic_wr(const struct kfi_msg_atomic *msg,
			   struct ib_atomic_wr *wr)
{
	wr->remote_addr = msg->rma_iov.addr;
	wr->rkey = msg->rma_iov.key;
	if (msg->op == KFI_SUM) {
		wr->wr.opcode = IB_WR_ATOMIC_FETCH_AND_ADD;
		wr->compare_add = msg->operand;
	} else {
		wr->wr.opcode = IB_WR_ATOMIC_CMP_AND_SWP;
		wr->compare_add = msg->compare;
		wr->swap = msg->operand;
	}
}

/*
 * The old value lands in the consumer's result buffer, or in the slot's
 * own buffer when the consumer does not want it.
 */
static int kfiv_atomic_result(struct kfiv_ep *ep, struct kfiv_slot *s,
			      const struct kfi_msg_atomic *msg)
{
	struct kvec kv = { .iov_base = msg->result, .iov_len = sizeof(u64) };
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);

	s->first = 0;
	s->dir = DMA_FROM_DEVICE;
	if (msg->result)
		return kfiv_map(ep->dom, s, &iov, NULL, 1);
	s->nsge = 0;
	s->sgl = NULL;
	s->sge[0].addr = s->buf_dma;
	s->sge[0].length = sizeof(u64);
	s->sge[0].lkey = ep->dom->pd->local_dma_lkey;
	s->first = 1;	/* the scratch entry is not the consumer's */
	return 0;
}

/**
 * kfiv_atomic() - post a 64-bit fetch-and-add or compare-and-swap
 * @kep: connected endpoint
 * @msg: operation, operands, result buffer, 8-byte aligned remote target
 * @flags: KFI_FENCE
 *
 * Operands and target are in the device's byte order for atomics (host
 * order on the software devices).
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, -EAGAIN, -ENOTCONN, -ENODEV, -EINVAL, -EOPNOTSUPP.
 */
int kfiv_atomic(struct kfid_ep *kep, const struct kfi_msg_atomic *msg,
		u64 flags)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct ib_atomic_wr *wr;
	struct kfiv_slot *s;
	unsigned long irq;
	int ret;

	if (ep->dom->ibdev->attrs.atomic_cap == IB_ATOMIC_NONE)
		return -EOPNOTSUPP;
	if ((msg->op != KFI_SUM && msg->op != KFI_CSWAP) ||
	    msg->rma_iov.addr & 7 || msg->rma_iov.len < sizeof(u64) ||
	    msg->rma_iov.key > U32_MAX || (uintptr_t)msg->result & 7)
		return -EINVAL;

	spin_lock_irqsave(&ep->sq.lock, irq);
	ret = kfiv_ep_check(ep);
	if (ret)
		goto unlock;
	s = kfiv_slot_get(&ep->sq);
	if (!s) {
		ret = -EAGAIN;
		goto unlock;
	}
	ret = kfiv_atomic_result(ep, s, msg);
	if (ret)
		goto undo;
	s->op = KFIV_OP_ATOMIC;
	s->ctx = msg->context;
	s->flags = KFI_ATOMIC | (msg->op == KFI_SUM ? KFI_WRITE : KFI_READ);
	s->report = flags & KFI_COMPLETION;
	s->len = sizeof(u64);
	wr = container_of(kfiv_slot_wr(s), struct ib_atomic_wr, wr);
	kfiv_atomic_wr(msg, wr);
	if (flags & KFI_FENCE)
		wr->wr.send_flags |= IB_SEND_FENCE;
	ret = kfiv_post_send_wr(ep, s, &wr->wr, s->report, flags & KFI_MORE);
	if (!ret)
		goto unlock;
undo:
	kfiv_post_undo(ep->dom, &ep->sq, s);
unlock:
	kfiv_sq_post_failed(ep, ret);
	spin_unlock_irqrestore(&ep->sq.lock, irq);
	return ret;
}

/**
 * kfiv_post_reg() - post a fast registration of @mr on @ep's send queue
 * @ep: endpoint
 * @mr: MR with its pages mapped (ib_map_mr_sg done)
 * @access: IB_ACCESS_* flags
 * @wait: completed with the registration's status, or NULL
 *
 * Ordered before everything posted after it on @ep.  No completion goes
 * to the consumer; a failure breaks the connection and is reported so.
 *
 * Context: any; never sleeps.
 * Return: 0, -EAGAIN, -ENOTCONN, -ENODEV.
 */
int kfiv_post_reg(struct kfiv_ep *ep, struct kfiv_mr *mr, int access,
		  struct kfiv_wait *wait)
{
	struct ib_reg_wr *wr;
	struct kfiv_slot *s;
	unsigned long irq;
	int ret;

	spin_lock_irqsave(&ep->sq.lock, irq);
	ret = kfiv_ep_check(ep);
	if (ret)
		goto unlock;
	s = kfiv_slot_get(&ep->sq);
	if (!s) {
		ret = -EAGAIN;
		goto unlock;
	}
	s->op = KFIV_OP_REG;
	s->first = 0;
	s->nsge = 0;
	s->sgl = NULL;
	s->mr = mr;
	s->wait = wait;
	wr = container_of(kfiv_slot_wr(s), struct ib_reg_wr, wr);
	wr->wr.opcode = IB_WR_REG_MR;
	wr->mr = mr->ibmr;
	wr->key = mr->ibmr->rkey;
	wr->access = access;
	s->report = false;
	/*
	 * Only a waiter needs the completion.  A failure completes anyway
	 * and ends the connection; a success is known once anything posted
	 * after it completes, which also hands the slot back.
	 */
	ret = kfiv_post_send_wr(ep, s, &wr->wr, !!wait, false);
	if (ret)
		kfiv_post_undo(ep->dom, &ep->sq, s);
unlock:
	kfiv_sq_post_failed(ep, ret);
	spin_unlock_irqrestore(&ep->sq.lock, irq);
	return ret;
}

/**
 * kfiv_post_inv() - post a local invalidation of @mr
 * @ep: endpoint
 * @mr: mapped fast-registration MR
 * @ctx: where its completion (KFI_MR_OP) goes
 *
 * Context: any; never sleeps.
 * Return: 0, -EAGAIN, -ENOTCONN, -ENODEV.
 */
int kfiv_post_inv(struct kfiv_ep *ep, struct kfiv_mr *mr,
		  struct kfi_context *ctx)
{
	struct ib_send_wr *wr;
	struct kfiv_slot *s;
	unsigned long irq;
	int ret;

	spin_lock_irqsave(&ep->sq.lock, irq);
	ret = kfiv_ep_check(ep);
	if (ret)
		goto unlock;
	s = kfiv_slot_get(&ep->sq);
	if (!s) {
		ret = -EAGAIN;
		goto unlock;
	}
	s->op = KFIV_OP_INV;
	s->first = 0;
	s->nsge = 0;
	s->sgl = NULL;
	s->mr = mr;
	s->ctx = ctx;
	s->flags = KFI_MR_OP;
	s->len = 0;
	wr = kfiv_slot_wr(s);
	wr->opcode = IB_WR_LOCAL_INV;
	wr->ex.invalidate_rkey = mr->ibmr->rkey;
	s->report = true;
	ret = kfiv_post_send_wr(ep, s, wr, true, false);
	if (ret)
		kfiv_post_undo(ep->dom, &ep->sq, s);
unlock:
	kfiv_sq_post_failed(ep, ret);
	spin_unlock_irqrestore(&ep->sq.lock, irq);
	return ret;
}

/**
 * kfiv_wait_poll() - wait for @done, polling @cq if the consumer polls it
 * @cq: the CQ the awaited request completes on
 * @done: completed by the request's completion
 *
 * A direct CQ moves only when polled: poll it through kfiv_cq_poll(), so
 * never at the same time as the consumer's own kfi_cq_poll().
 *
 * Context: process context; sleeps.
 */
void kfiv_wait_poll(struct kfid_cq *cq, struct completion *done)
{
	if (cq->attr.poll_ctx != KFI_POLL_DIRECT) {
		wait_for_completion(done);
		return;
	}
	while (!completion_done(done)) {
		if (!kfiv_cq_poll(cq, KFIV_DRAIN_BUDGET))
			schedule_timeout_uninterruptible(1);
	}
}

/**
 * kfiv_size_left() - free slots of a queue
 * @kep: enabled endpoint
 * @tx: the send queue, else the receive queue
 *
 * Context: any; never sleeps.
 * Return: free slots, or -ENOTCONN/-ENODEV once the endpoint stopped.
 */
int kfiv_size_left(struct kfid_ep *kep, bool tx)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct kfiv_queue *q = tx ? &ep->sq : &ep->rq;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&q->lock, flags);
	ret = kfiv_ep_check(ep) ?: q->nfree;
	spin_unlock_irqrestore(&q->lock, flags);
	return ret;
}

/**
 * kfiv_strerror() - text of an ib_wc_status
 * @cq: the CQ (unused: every CQ of the provider reports ib_wc_status)
 * @prov_errno: the status
 *
 * Context: any.
 * Return: ib_core's text for it.
 */
const char *kfiv_strerror(struct kfid_cq *cq, int prov_errno)
{
	return ib_wc_status_msg(prov_errno);
}

/* ------------------------------------------------------------------ */
/* Shared receive contexts (the objects themselves: srx.c) */

/*
 * A receive of a shared context completed: on the QP that took it, whose
 * context is its endpoint.  The endpoint gives its peer one credit back
 * for each message taken, keeping KFIV_SRX_WINDOW granted.
 */
static void kfiv_srx_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kfiv_slot *s = container_of(wc->wr_cqe, struct kfiv_slot, cqe);
	struct kfiv_ep *ep = wc->qp->qp_context;
	struct kfiv_srx *x = to_srx(ep->base.srx);
	struct kfi_cq_entry e = {
		.op_context = s->ctx,
		.flags = KFI_RECV | KFI_MSG,
		.err = kfiv_wc_errno(wc->status),
		.prov_errno = wc->status,
		.ep = &ep->base,
	};
	unsigned long flags;

	if (kfiv_recv_sort(ep, s, wc, &e))
		return;
	kfiv_unmap(x->dom, s);
	spin_lock_irqsave(&x->q.lock, flags);
	kfiv_slot_put_locked(&x->q, s);
	spin_unlock_irqrestore(&x->q.lock, flags);
	atomic_dec(&x->q.busy);
	if (!e.err) {
		atomic_inc(&ep->recv_total);
		kfiv_credit_update(ep);
	}
	kfi_ep_complete(&ep->base, ep->base.rx_cq, &e);
}

/**
 * kfiv_srx_recv() - post a receive on a shared receive context
 * @ksrx: the context
 * @msg: buffers and context
 * @flags: KFI_MORE and KFI_COMPLETION, both without effect here
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, -EAGAIN (every slot posted), -ENODEV (the device is gone),
 * -EINVAL, -EIO (a buffer could not be DMA-mapped).
 */
int kfiv_srx_recv(struct kfid_ep *ksrx, const struct kfi_msg *msg, u64 flags)
{
	struct kfiv_srx *x = to_srx(ksrx);
	struct kfiv_slot *s;
	unsigned long irq;
	int ret;

	spin_lock_irqsave(&x->q.lock, irq);
	s = x->srq ? kfiv_slot_get(&x->q) : NULL;
	if (!s) {
		ret = x->srq ? -EAGAIN : -ENODEV;
		goto unlock;
	}
	ret = kfiv_map(x->dom, s, &msg->iov, msg->desc,
		       ksrx->info.rx_attr.iov_limit);
	if (!ret) {
		s->ctx = msg->context;
		s->rwr.num_sge = 1 + s->nsge;
		ib_dma_sync_single_for_device(x->dom->ibdev, s->buf_dma,
					      KFIV_HDR_LEN, DMA_FROM_DEVICE);
		ret = ib_post_srq_recv(x->srq, &s->rwr, NULL);
	}
	if (ret)
		kfiv_post_undo(x->dom, &x->q, s);
unlock:
	spin_unlock_irqrestore(&x->q.lock, irq);
	return ret;
}

/**
 * kfiv_srx_forget() - drop the receives a destroyed SRQ still held
 * @x: context whose SRQ is destroyed
 *
 * Their buffers are the consumer's again, unmapped, without completion.
 *
 * Context: process context, dom->lock held.
 */
void kfiv_srx_forget(struct kfiv_srx *x)
{
	struct kfiv_queue *q = &x->q;
	u32 i;

	for (i = 0; i < q->nslots; i++)
		kfiv_unmap(x->dom, &q->slots[i]);
	q->nfree = 0;
	for (i = 0; i < q->depth; i++)
		q->free[q->nfree++] = q->depth - 1 - i;
	atomic_set(&q->busy, 0);
}
