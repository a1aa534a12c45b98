// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: shared receive contexts.
 *
 * A context is an ib_srq on the domain's PD, with one slot per receive
 * whose first SGE is the provider's header buffer, as on an endpoint's own
 * receive queue.  An endpoint bound to it gets a QP attached to the SRQ
 * and no receive queue of its own; a message completes on the endpoint's
 * receive CQ, the endpoint found from wc->qp (post.c).  The peer cannot
 * know how many receives the context holds, so the endpoint grants it
 * KFIV_SRX_WINDOW credits and one more per message taken; when the SRQ is
 * empty the device answers receiver-not-ready and the peer retries
 * without limit (rnr_retry_count 7): held back, never failed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "kfi_verbs.h"

/* The context's sizes within the device's SRQ limits. */
static int kfiv_srx_sizes(struct kfiv_domain *dom, struct kfi_rx_attr *attr)
{
	const struct ib_device_attr *a = &dom->ibdev->attrs;

	if (!a->max_srq)
		return -EOPNOTSUPP;
	if (attr->size > a->max_srq_wr || attr->size > KFIV_MAX_DEPTH ||
	    attr->iov_limit + 1 > min_t(u32, a->max_srq_sge, KFIV_MAX_SGE + 1))
		return -EINVAL;
	return 0;
}

/**
 * kfiv_srx_open() - create the SRQ and its receive slots
 * @ksrx: the core's context, followed by ours; info.rx_attr gives its
 *	depth and iov_limit
 *
 * Context: process context.
 * Return: 0; -ENODEV (device gone); -EOPNOTSUPP (the device has no SRQ);
 * -EINVAL (over the device's SRQ limits); -ENOMEM; the driver's error.
 */
int kfiv_srx_open(struct kfid_ep *ksrx)
{
	struct kfiv_domain *dom = to_dom(ksrx->domain);
	struct kfi_rx_attr *attr = &ksrx->info.rx_attr;
	struct kfiv_srx *x = to_srx(ksrx);
	struct ib_srq_init_attr ia = { .srq_type = IB_SRQT_BASIC };
	struct ib_srq *srq;
	int ret;

	x->dom = dom;
	spin_lock_init(&x->q.lock);
	mutex_lock(&dom->lock);
	ret = dom->dead ? -ENODEV : kfiv_srx_sizes(dom, attr);
	if (ret)
		goto unlock;
	ret = kfiv_queue_alloc(dom, NULL, &x->q, attr->size, 0,
			       attr->iov_limit + 1, KFIV_HDR_LEN, true);
	if (ret)
		goto free;
	ia.attr.max_wr = attr->size;
	ia.attr.max_sge = attr->iov_limit + 1;
	srq = ib_create_srq(dom->pd, &ia);
	if (IS_ERR(srq)) {
		ret = PTR_ERR(srq);
		goto free;
	}
	x->srq = srq;
	list_add_tail(&x->entry, &dom->srxs);
	atomic_inc(&kfiv_live_objects);
	mutex_unlock(&dom->lock);
	return 0;

free:
	kfiv_bufs_unmap(dom->ibdev, &x->q.bufs);
	kfiv_queue_free(&x->q);
unlock:
	mutex_unlock(&dom->lock);
	return ret;
}

/**
 * kfiv_srx_teardown() - destroy the SRQ; its receives are forgotten
 * @x: context with no endpoint bound, or whose endpoints are torn down
 *	(device removal): no QP can take a receive any more
 *
 * Posts get -ENODEV afterwards.  Idempotent.
 *
 * Context: process context, dom->lock held.
 */
void kfiv_srx_teardown(struct kfiv_srx *x)
{
	struct ib_srq *srq;
	unsigned long flags;

	lockdep_assert_held(&x->dom->lock);
	spin_lock_irqsave(&x->q.lock, flags);
	srq = x->srq;
	x->srq = NULL;
	spin_unlock_irqrestore(&x->q.lock, flags);
	if (!srq)
		return;
	ib_destroy_srq(srq);
	kfiv_srx_forget(x);
	kfiv_bufs_unmap(x->dom->ibdev, &x->q.bufs);
}

/**
 * kfiv_srx_close() - free a shared receive context
 * @ksrx: the context; no endpoint is bound any more
 *
 * Context: process context.
 */
void kfiv_srx_close(struct kfid_ep *ksrx)
{
	struct kfiv_srx *x = to_srx(ksrx);
	struct kfiv_domain *dom = x->dom;

	mutex_lock(&dom->lock);
	kfiv_srx_teardown(x);
	list_del(&x->entry);
	mutex_unlock(&dom->lock);
	kfiv_queue_free(&x->q);
	atomic_dec(&kfiv_live_objects);
}
