// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: endpoints.
 *
 * An endpoint is an RC QP made by rdma_create_qp() on the endpoint's
 * rdma_cm id.  Everything the data path needs is allocated at enable: one
 * slot per work request with its SGE array and a small DMA-mapped provider
 * buffer (the wire header, inject payload or atomic scratch), so posting
 * never allocates.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/dma-mapping.h>
#include <net/net_namespace.h>
#include "kfi_verbs.h"

static void kfiv_comm_est_work(struct work_struct *work);

/**
 * kfiv_ep_open() - initialise an endpoint
 * @kep: the core's endpoint, followed by ours
 *
 * On the passive side (info.handle set) the endpoint takes the request's
 * rdma_cm id now.
 *
 * Context: process context.
 * Return: 0, -ENODEV (device gone), -ECONNABORTED (request gone).
 */
int kfiv_ep_open(struct kfid_ep *kep)
{
	struct kfiv_domain *dom = to_dom(kep->domain);
	struct kfiv_ep *ep = to_ep(kep);
	int ret = 0;

	ep->kind = KFIV_CM_EP;
	ep->dom = dom;
	init_completion(&ep->cm_done);
	init_waitqueue_head(&ep->drain_wq);
	INIT_WORK(&ep->credit_work, kfiv_credit_work);
	INIT_DELAYED_WORK(&ep->comm_est_work, kfiv_comm_est_work);
	spin_lock_init(&ep->sq.lock);
	spin_lock_init(&ep->rq.lock);

	mutex_lock(&dom->lock);
	if (dom->dead) {
		ret = -ENODEV;
		goto unlock;
	}
	if (kep->info.handle) {
		ret = kfiv_ep_take_creq(ep);
		if (ret)
			goto unlock;
	}
	list_add_tail(&ep->entry, &dom->eps);
	atomic_inc(&kfiv_live_objects);
unlock:
	mutex_unlock(&dom->lock);
	return ret;
}

/* Wait for one resolution step reported by kfiv_cm_handler(). */
static int kfiv_ep_wait_cm(struct kfiv_ep *ep)
{
	if (!wait_for_completion_timeout(&ep->cm_done,
					 msecs_to_jiffies(KFIV_RESOLVE_MS + 500)))
		return -ETIMEDOUT;
	return ep->cm_status;
}

/* Active side: create the id and resolve address and route, bounded. */
static int kfiv_ep_resolve(struct kfiv_ep *ep)
{
	struct kfi_info *info = &ep->base.info;
	struct rdma_cm_id *id;
	int ret;

	if (!info->dest_addrlen)
		return -EINVAL;
	id = rdma_create_id(&init_net, kfiv_cm_handler, &ep->kind,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	ep->cm_status = -ETIMEDOUT;
	ret = rdma_resolve_addr(id, info->src_addrlen ?
				(struct sockaddr *)&info->src_addr : NULL,
				(struct sockaddr *)&info->dest_addr,
				KFIV_RESOLVE_MS);
	if (!ret)
		ret = kfiv_ep_wait_cm(ep);
	if (ret)
		goto destroy_id;
	reinit_completion(&ep->cm_done);
	ep->cm_status = -ETIMEDOUT;
	ret = rdma_resolve_route(id, KFIV_RESOLVE_MS);
	if (!ret)
		ret = kfiv_ep_wait_cm(ep);
	if (ret)
		goto destroy_id;
	if (id->device != ep->dom->ibdev || id->port_num != ep->dom->port) {
		ret = -EXDEV;
		goto destroy_id;
	}
	ep->cm_id = id;
	return 0;

destroy_id:
	rdma_destroy_id(id);
	return ret;
}

static int kfiv_bufs_alloc(struct ib_device *ibdev, struct kfiv_bufs *b,
			   u32 n, u32 size, enum dma_data_direction dir)
{
	u32 i;

	b->stride = ALIGN(size, max_t(u32, dma_get_cache_alignment(), 8));
	b->per_page = PAGE_SIZE / b->stride;
	b->npages = DIV_ROUND_UP(n, b->per_page);
	b->dir = dir;
	b->pages = kcalloc(b->npages, sizeof(*b->pages), GFP_KERNEL);
	b->dma = kcalloc(b->npages, sizeof(*b->dma), GFP_KERNEL);
	if (!b->pages || !b->dma)
		return -ENOMEM;
	for (i = 0; i < b->npages; i++) {
		b->pages[i] = (void *)get_zeroed_page(GFP_KERNEL);
		if (!b->pages[i])
			return -ENOMEM;
		b->dma[i] = ib_dma_map_single(ibdev, b->pages[i], PAGE_SIZE,
					      dir);
		if (ib_dma_mapping_error(ibdev, b->dma[i])) {
			free_page((unsigned long)b->pages[i]);
			b->pages[i] = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

/* Undo the DMA mappings; needs the device, so it runs at teardown. */
void kfiv_bufs_unmap(struct ib_device *ibdev, struct kfiv_bufs *b)
{
	u32 i;

	for (i = 0; b->pages && i < b->npages && b->pages[i]; i++) {
		if (b->dma[i])
			ib_dma_unmap_single(ibdev, b->dma[i], PAGE_SIZE, b->dir);
		b->dma[i] = 0;
	}
}

static void kfiv_bufs_free(struct kfiv_bufs *b)
{
	u32 i;

	for (i = 0; b->pages && i < b->npages && b->pages[i]; i++)
		free_page((unsigned long)b->pages[i]);
	kfree(b->pages);
	kfree(b->dma);
	memset(b, 0, sizeof(*b));
}

/**
 * kfiv_queue_alloc() - a queue's slots, with their SGEs and buffers
 * @dom: domain (device and PD)
 * @ep: owner, or NULL for a shared receive context's queue
 * @q: the queue, zeroed but for its lock
 * @depth: slots for the consumer
 * @extra: slots for the provider's own requests
 * @nsge: SGEs per slot
 * @bufsize: provider buffer bytes per slot
 * @recv: receive slots
 *
 * Context: process context.
 * Return: 0 or -ENOMEM; on failure the caller frees what was set up
 * (kfiv_bufs_unmap(), kfiv_queue_free()).
 */
int kfiv_queue_alloc(struct kfiv_domain *dom, struct kfiv_ep *ep,
		     struct kfiv_queue *q, u32 depth, u32 extra, u32 nsge,
		     u32 bufsize, bool recv)
{
	struct ib_device *ibdev = dom->ibdev;
	u32 i, n = depth + extra;
	struct ib_sge *sges;
	int ret;

	q->depth = depth;
	q->nslots = n;
	q->slots = kvcalloc(n, sizeof(*q->slots), GFP_KERNEL);
	q->free = kvcalloc(n, sizeof(*q->free), GFP_KERNEL);
	q->order = kvcalloc(n, sizeof(*q->order), GFP_KERNEL);
	sges = kvcalloc(n * nsge, sizeof(*sges), GFP_KERNEL);
	if (!q->slots || !q->free || !q->order || !sges) {
		kvfree(sges);
		return -ENOMEM;
	}
	q->slots[0].sge = sges;	/* freed through slot 0 */
	ret = kfiv_bufs_alloc(ibdev, &q->bufs, n, bufsize,
			      recv ? DMA_FROM_DEVICE : DMA_BIDIRECTIONAL);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		struct kfiv_slot *s = &q->slots[i];
		u32 page = i / q->bufs.per_page;
		u32 off = (i % q->bufs.per_page) * q->bufs.stride;

		s->sge = &sges[i * nsge];
		s->buf = q->bufs.pages[page] + off;
		s->buf_dma = q->bufs.dma[page] + off;
		kfiv_slot_init(dom, ep, s, recv);
	}
	/* Slots past @depth are the provider's own (the credit update). */
	for (i = 0; i < depth; i++)
		q->free[q->nfree++] = depth - 1 - i;
	return 0;
}

void kfiv_queue_free(struct kfiv_queue *q)
{
	if (q->slots)
		kvfree(q->slots[0].sge);
	kvfree(q->slots);
	kvfree(q->free);
	kvfree(q->order);
	kfiv_bufs_free(&q->bufs);
	q->slots = NULL;
	q->free = NULL;
	q->order = NULL;
}

/**
 * kfiv_ep_comm_est() - the peer is known to have the connection up
 * @ep: the endpoint; nothing is done unless it is still connecting
 *
 * rdma_cm is told (rdma_notify()) and reports ESTABLISHED now instead of
 * after the RTU, or after the REP's retransmission if the RTU was lost.
 * Calls after the first do nothing.
 *
 * Context: any; never sleeps.
 */
void kfiv_ep_comm_est(struct kfiv_ep *ep)
{
	if (READ_ONCE(ep->base.state) != KFI_EP_CONNECTING ||
	    test_and_set_bit(KFIV_COMM_EST_TOLD, &ep->comm_est))
		return;
	rdma_notify(ep->cm_id, IB_EVENT_COMM_EST);
}

static void kfiv_comm_est_work(struct work_struct *work)
{
	kfiv_ep_comm_est(container_of(to_delayed_work(work), struct kfiv_ep,
				      comm_est_work));
}

/**
 * kfiv_ep_comm_est_later() - a message arrived on a connecting endpoint
 * @ep: the endpoint
 *
 * The peer sends only once its side is established, so a message before
 * the RTU proves the RTU lost or late.  Soft-RoCE raises no COMM_EST for
 * it, so the provider notifies rdma_cm itself, but only if the RTU has
 * still not come a while later: ib_cm cancels the REP's retransmission
 * only when it handles the notification, and a disconnect that overtakes
 * that leaves the REP retransmitting, and the id's destruction blocked,
 * for a minute (seen on 6.12 with a peer that hangs up at once).
 *
 * Context: any; never sleeps.
 */
void kfiv_ep_comm_est_later(struct kfiv_ep *ep)
{
	if (READ_ONCE(ep->base.state) == KFI_EP_CONNECTING &&
	    !test_and_set_bit(KFIV_COMM_EST_QUEUED, &ep->comm_est))
		schedule_delayed_work(&ep->comm_est_work, KFIV_RTU_GRACE);
}

static void kfiv_qp_event(struct ib_event *ev, void *context)
{
	struct kfiv_ep *ep = context;

	switch (ev->event) {
	case IB_EVENT_COMM_EST:
		kfiv_ep_comm_est(ep);
		break;
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
	case IB_EVENT_PATH_MIG_ERR:
		pr_warn_ratelimited("QP %u: %s\n", ep->qp ? ep->qp->qp_num : 0,
				    ib_event_msg(ev->event));
		kfiv_ep_fail(ep, KFI_SHUTDOWN, -EIO, GFP_ATOMIC);
		break;
	default:
		break;
	}
}

/**
 * kfiv_ep_create_qp() - the RC QP, on the endpoint's id and CQs
 * @ep: endpoint with queues allocated
 *
 * Context: process context, dom->lock held.
 * Return: 0 or the driver's error.
 */
int kfiv_ep_create_qp(struct kfiv_ep *ep)
{
	const struct kfi_info *info = &ep->base.info;
	struct ib_qp_init_attr a = {
		.event_handler = kfiv_qp_event,
		.qp_context = ep,
		.send_cq = to_cq(ep->base.tx_cq)->cq,
		.recv_cq = to_cq(ep->base.rx_cq)->cq,
		.srq = ep->base.srx ? to_srx(ep->base.srx)->srq : NULL,
		.cap = {
			.max_send_wr = ep->sq.depth + KFIV_SQ_EXTRA,
			.max_recv_wr = ep->base.srx ? 0 :
				       ep->rq.depth + KFIV_RQ_EXTRA,
			.max_send_sge = info->tx_attr.iov_limit + 1,
			.max_recv_sge = ep->base.srx ? 0 :
					info->rx_attr.iov_limit + 1,
			.max_inline_data = ep->dom->dev->max_inline,
		},
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = IB_QPT_RC,
	};
	int ret;

	lockdep_assert_held(&ep->dom->lock);
	ret = rdma_create_qp(ep->cm_id, ep->dom->pd, &a);
	if (ret && a.cap.max_inline_data) {
		/* Inline is an optimisation: injects still use our buffer. */
		a.cap.max_inline_data = 0;
		ret = rdma_create_qp(ep->cm_id, ep->dom->pd, &a);
	}
	if (ret)
		return ret;
	ep->qp = ep->cm_id->qp;
	ep->inline_max = a.cap.max_inline_data;
	/*
	 * A credit update may arrive just before the peer has reposted the
	 * receive the previous one used (see Documentation/kfabric/verbs.rst):
	 * keep the receiver-not-ready back-off short.  Not every transport
	 * has one (iWARP), so a refusal is fine.
	 */
	if (rdma_ib_or_roce(ep->dom->ibdev, ep->dom->port))
		rdma_set_min_rnr_timer(ep->cm_id, IB_RNR_TIMER_000_16);
	return 0;
}

/* Settle the sizes the endpoint runs with, within the device's limits. */
static int kfiv_ep_sizes(struct kfiv_ep *ep)
{
	const struct ib_device_attr *a = &ep->dom->ibdev->attrs;
	struct kfi_info *info = &ep->base.info;
	u32 sge = min3(a->max_send_sge, a->max_recv_sge, KFIV_MAX_SGE + 1);

	/* On a shared context the endpoint has no receive queue of its own. */
	if (ep->base.srx) {
		info->rx_attr.size = 0;
		info->rx_attr.iov_limit = ep->base.srx->info.rx_attr.iov_limit;
	} else if (!info->rx_attr.size) {
		info->rx_attr.size = KFIV_DEFAULT_DEPTH;
	}
	if (!info->tx_attr.size)
		info->tx_attr.size = KFIV_DEFAULT_DEPTH;
	if (!info->tx_attr.iov_limit)
		info->tx_attr.iov_limit = KFIV_DEFAULT_SGE;
	if (!info->rx_attr.iov_limit)
		info->rx_attr.iov_limit = KFIV_DEFAULT_SGE;
	if (info->tx_attr.size + KFIV_SQ_EXTRA > a->max_qp_wr ||
	    info->tx_attr.size > KFIV_MAX_DEPTH ||
	    info->rx_attr.size + KFIV_RQ_EXTRA > a->max_qp_wr ||
	    info->rx_attr.size > KFIV_MAX_DEPTH ||
	    info->tx_attr.iov_limit > min_t(u32, sge - 1, a->max_sge_rd) ||
	    info->rx_attr.iov_limit > sge - 1 ||
	    info->tx_attr.inject_size > KFIV_INJECT_MAX)
		return -EINVAL;
	ep->inject_size = info->tx_attr.inject_size;
	return 0;
}

/*
 * Receive completions the endpoint's receive CQ must hold: its own
 * queue's, or as many as its shared context has (the provider then posts
 * no receive of its own).
 */
static void kfiv_ep_rx_promise(struct kfiv_ep *ep, u32 *n, u32 *extra)
{
	struct kfid_ep *srx = ep->base.srx;

	*n = srx ? srx->info.rx_attr.size : ep->rq.depth;
	*extra = srx ? 0 : KFIV_RQ_EXTRA;
}

/*
 * The rule consumers see: a CQ holds the queues of the endpoints bound to
 * it, tx_attr.size for each bound for transmit, rx_attr.size for each
 * bound for receive (for one on a shared receive context, that context's
 * rx_attr.size).  The provider's own requests get entries added on top
 * (see kfiv_cq_reserve()).
 */
static int kfiv_ep_reserve_cqs(struct kfiv_ep *ep)
{
	struct kfiv_cq *tx = to_cq(ep->base.tx_cq);
	struct kfiv_cq *rx = to_cq(ep->base.rx_cq);
	u32 n, extra;
	int ret;

	ret = kfiv_cq_reserve(tx, ep->sq.depth, KFIV_SQ_EXTRA);
	if (ret)
		return ret;
	kfiv_ep_rx_promise(ep, &n, &extra);
	ret = kfiv_cq_reserve(rx, n, extra);
	if (ret)
		kfiv_cq_unreserve(tx, ep->sq.depth, KFIV_SQ_EXTRA);
	return ret;
}

static void kfiv_ep_unreserve_cqs(struct kfiv_ep *ep)
{
	u32 n, extra;

	kfiv_ep_rx_promise(ep, &n, &extra);
	kfiv_cq_unreserve(to_cq(ep->base.tx_cq), ep->sq.depth, KFIV_SQ_EXTRA);
	kfiv_cq_unreserve(to_cq(ep->base.rx_cq), n, extra);
}

/**
 * kfiv_ep_enable() - resolve (active side), allocate slots, create the QP
 * @kep: endpoint bound to its CQs and EQ
 *
 * Address and route resolution of an active endpoint happen here, with a
 * bounded wait, because the QP must be created on the resolved device
 * before receives can be posted.
 *
 * Context: process context.
 * Return: 0, -ENODEV, -EINVAL (sizes; on a shared receive context,
 * different CQs for the two directions), -ENOSPC (a CQ cannot hold the
 * endpoint's queues besides those of the endpoints enabled on it), -EXDEV
 * (the address routes through another device), resolution errors.
 */
int kfiv_ep_enable(struct kfid_ep *kep)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct kfiv_domain *dom = ep->dom;
	const struct kfi_info *info = &kep->info;
	int ret;

	if (!kep->tx_cq || !kep->rx_cq)
		return -EINVAL;
	/*
	 * On a shared context, one CQ for both directions: the send queue's
	 * drain marker then comes after every receive completion of the QP
	 * (an SRQ-attached QP has no receive queue to drain).
	 */
	if (kep->srx && kep->tx_cq != kep->rx_cq)
		return -EINVAL;
	mutex_lock(&dom->lock);
	ret = dom->dead ? -ENODEV : kfiv_ep_sizes(ep);
	if (ret)
		goto unlock;
	if (!ep->cm_id) {
		ret = kfiv_ep_resolve(ep);
		if (ret)
			goto unlock;
	}
	ret = kfiv_queue_alloc(dom, ep, &ep->sq, info->tx_attr.size, 1,
			       info->tx_attr.iov_limit + 1,
			       KFIV_HDR_LEN + ep->inject_size, false);
	if (ret)
		goto free_queues;
	if (kep->srx)
		atomic_set(&ep->recv_total, KFIV_SRX_WINDOW);
	else
		ret = kfiv_queue_alloc(dom, ep, &ep->rq, info->rx_attr.size, 0,
				       info->rx_attr.iov_limit + 1,
				       KFIV_HDR_LEN, true);
	if (ret)
		goto free_queues;
	ret = kfiv_ep_reserve_cqs(ep);
	if (ret)
		goto free_queues;
	ret = kfiv_ep_create_qp(ep);
	if (ret)
		goto unreserve_cqs;
	mutex_unlock(&dom->lock);
	return 0;

unreserve_cqs:
	kfiv_ep_unreserve_cqs(ep);
free_queues:
	kfiv_bufs_unmap(dom->ibdev, &ep->sq.bufs);
	kfiv_bufs_unmap(dom->ibdev, &ep->rq.bufs);
	kfiv_queue_free(&ep->sq);
	kfiv_queue_free(&ep->rq);
unlock:
	mutex_unlock(&dom->lock);
	return ret;
}

/**
 * kfiv_ep_fail() - the connection ended: report it once
 * @ep: endpoint
 * @event: KFI_SHUTDOWN, KFI_UNREACHABLE or KFI_DEVICE_REMOVAL
 * @err: cause
 * @gfp: allocation context of the caller
 *
 * Context: any.
 */
void kfiv_ep_fail(struct kfiv_ep *ep, enum kfi_eq_event event, int err,
		  gfp_t gfp)
{
	struct kfi_eq_cm_entry e = { .event = event, .fid = &ep->base.fid,
				     .err = err };

	if (atomic_xchg(&ep->errored, 1))
		return;
	kfi_ep_set_state(&ep->base, KFI_EP_SHUTDOWN);
	if (ep->base.eq)
		kfi_eq_report(ep->base.eq, &e, gfp);
}

/* Refuse further posts; after this no post is in progress. */
static void kfiv_ep_stop(struct kfiv_ep *ep, bool removed)
{
	unsigned long flags;

	spin_lock_irqsave(&ep->sq.lock, flags);
	/* Deferred requests go to the device, to be flushed with the rest. */
	if (ep->qp && !ep->dead)
		kfiv_sq_ring(ep);
	spin_lock(&ep->rq.lock);
	ep->dead = true;
	ep->removed |= removed;
	spin_unlock(&ep->rq.lock);
	spin_unlock_irqrestore(&ep->sq.lock, flags);
}

/*
 * Every request the device will still complete is back.  A send posted
 * unsignalled that succeeded has no completion of its own: its slot is
 * handed back by a later one's, or by kfiv_sq_retire_all() once drained.
 */
static bool kfiv_ep_idle(struct kfiv_ep *ep)
{
	return atomic_read(&ep->sq.busy) == READ_ONCE(ep->sq.unsig_out) &&
	       !atomic_read(&ep->rq.busy);
}

/* The end-of-queue marker of a drain: a work request of our own. */
struct kfiv_drain {
	struct ib_cqe cqe;
	struct completion done;
};

static void kfiv_drain_done(struct ib_cq *cq, struct ib_wc *wc)
{
	complete(&container_of(wc->wr_cqe, struct kfiv_drain, cqe)->done);
}

static int kfiv_drain_post(struct kfiv_ep *ep, struct kfiv_drain *d,
			   bool send)
{
	struct ib_rdma_wr swr = { .wr = { .wr_cqe = &d->cqe,
					  .opcode = IB_WR_RDMA_WRITE,
					  .send_flags = IB_SEND_SIGNALED } };
	struct ib_recv_wr rwr = { .wr_cqe = &d->cqe };

	d->cqe.done = kfiv_drain_done;
	init_completion(&d->done);
	if (send)
		return ib_post_send(ep->qp, &swr.wr, NULL);
	return ib_post_recv(ep->qp, &rwr, NULL);
}

/* Poll a direct CQ until @done holds; a consumer's own poll excludes us. */
static void kfiv_drain_poll(struct kfid_cq *cq, bool (*done)(void *),
			    void *arg)
{
	while (!done(arg)) {
		/* Nothing but its pollers runs a direct CQ: pause, poll. */
		if (!kfiv_cq_poll(cq, KFIV_DRAIN_BUDGET))
			schedule_timeout_uninterruptible(1);
	}
}

static bool kfiv_drain_marker_done(void *arg)
{
	return completion_done(arg);
}

static bool kfiv_drain_idle(void *arg)
{
	return kfiv_ep_idle(arg);
}

/*
 * ib_drain_sq()/ib_drain_rq() for a queue whose CQ the consumer polls
 * (KFI_POLL_DIRECT): the same marker, polled here through kfiv_cq_poll(),
 * so the consumer's completions are never delivered from two pollers at
 * once.  Return: false if the marker could not be posted.
 */
static bool kfiv_drain_direct(struct kfiv_ep *ep, bool send)
{
	struct kfid_cq *cq = send ? ep->base.tx_cq : ep->base.rx_cq;
	struct kfiv_drain d;

	if (kfiv_drain_post(ep, &d, send))
		return false;
	kfiv_drain_poll(cq, kfiv_drain_marker_done, &d.done);
	return true;
}

static void kfiv_drain_queue(struct kfiv_ep *ep, bool send)
{
	struct kfid_cq *cq = send ? ep->base.tx_cq : ep->base.rx_cq;

	if (cq->attr.poll_ctx == KFI_POLL_DIRECT) {
		if (!kfiv_drain_direct(ep, send))
			kfiv_drain_poll(cq, kfiv_drain_idle, ep);
	} else if (send) {
		ib_drain_sq(ep->qp);
	} else {
		ib_drain_rq(ep->qp);
	}
}

/*
 * Wait until the device has handed back every request posted on @ep, the
 * way ib_drain_qp() does: with the QP in error, a marker posted last on a
 * queue is flushed after everything posted before it, and the CQ's single
 * poller runs their callbacks in that order, so when the marker's has run
 * every slot is back and no callback of ours is still running.  There is
 * no time limit: a device that loses a flushed request is broken, and
 * giving up would free slots it may still complete.  ib_core's drain (or
 * the device's own, for iWARP and devices in a fatal state) serves the
 * CQs that poll in softirq or a workqueue.  If a marker cannot be posted
 * at all (ib_core warns), the slot counts are waited for instead.
 */
static void kfiv_ep_drain(struct kfiv_ep *ep)
{
	struct kfid_cq *tx = ep->base.tx_cq, *rx = ep->base.rx_cq;

	kfiv_drain_queue(ep, true);
	if (!ep->base.srx)
		kfiv_drain_queue(ep, false);
	if (tx->attr.poll_ctx == KFI_POLL_DIRECT ||
	    rx->attr.poll_ctx == KFI_POLL_DIRECT) {
		kfiv_drain_poll(tx, kfiv_drain_idle, ep);
		kfiv_drain_poll(rx, kfiv_drain_idle, ep);
	} else {
		wait_event(ep->drain_wq, kfiv_ep_idle(ep));
	}
	kfiv_sq_retire_all(ep);
}

/**
 * kfiv_ep_teardown() - destroy the endpoint's device resources
 * @ep: endpoint
 * @removed: the device is going away (report KFI_DEVICE_REMOVAL)
 *
 * Posts stop, the QP moves to error and every outstanding operation
 * completes with -ECANCELED before the QP and the id are destroyed.
 * Idempotent.
 *
 * Context: process context, dom->lock held.
 */
void kfiv_ep_teardown(struct kfiv_ep *ep, bool removed)
{
	struct ib_qp_attr attr = { .qp_state = IB_QPS_ERR };
	struct ib_device *ibdev = ep->dom->ibdev;
	struct rdma_cm_id *id = ep->cm_id;

	lockdep_assert_held(&ep->dom->lock);
	if (removed)
		kfiv_ep_fail(ep, KFI_DEVICE_REMOVAL, -ENODEV, GFP_KERNEL);
	kfiv_ep_stop(ep, removed);
	cancel_work_sync(&ep->credit_work);
	if (!id)
		return;
	if (ep->qp) {
		kfiv_disconnect(ep);
		/* Not connected yet: the QP is moved to error by hand. */
		rdma_lock_handler(id);
		ib_modify_qp(ep->qp, &attr, IB_QP_STATE);
		rdma_unlock_handler(id);
		kfiv_ep_drain(ep);
		rdma_destroy_qp(id);
		ep->qp = NULL;
		kfiv_ep_unreserve_cqs(ep);
	}
	/* Completions have all run: none can queue it again. */
	cancel_delayed_work_sync(&ep->comm_est_work);
	rdma_destroy_id(id);
	ep->cm_id = NULL;
	kfiv_bufs_unmap(ibdev, &ep->sq.bufs);
	kfiv_bufs_unmap(ibdev, &ep->rq.bufs);
}

/**
 * kfiv_ep_close() - flush and free the endpoint
 * @kep: endpoint
 *
 * Context: process context.
 */
void kfiv_ep_close(struct kfid_ep *kep)
{
	struct kfiv_ep *ep = to_ep(kep);
	struct kfiv_domain *dom = ep->dom;

	mutex_lock(&dom->lock);
	kfiv_ep_teardown(ep, false);
	list_del(&ep->entry);
	mutex_unlock(&dom->lock);
	kfiv_queue_free(&ep->sq);
	kfiv_queue_free(&ep->rq);
	atomic_dec(&kfiv_live_objects);
}
