// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: domains (a PD on a device port) and CQs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include "kfi_verbs.h"
#include "kfi_compat.h"

/**
 * kfiv_domain_open() - open the device and port named by @info
 * @domain: the core's domain, followed by ours
 * @info: domain_attr.name and .port select the device
 *
 * Context: process context.
 * Return: 0, -ENODEV if the device is unknown or gone, -ENOMEM.
 */
int kfiv_domain_open(struct kfid_domain *domain, const struct kfi_info *info)
{
	struct kfiv_domain *dom = to_dom(domain);
	struct kfiv_dev *dev;
	int ret;

	dom->premapped = alloc_percpu(u64);
	if (!dom->premapped)
		return -ENOMEM;
	dev = kfiv_dev_get(info->domain_attr.name);
	if (!dev) {
		free_percpu(dom->premapped);
		return -ENODEV;
	}
	mutex_init(&dom->lock);
	INIT_LIST_HEAD(&dom->cqs);
	INIT_LIST_HEAD(&dom->eps);
	INIT_LIST_HEAD(&dom->srxs);
	INIT_LIST_HEAD(&dom->mrs);
	xa_init_flags(&dom->mr_keys, XA_FLAGS_LOCK_IRQ);
	dom->dev = dev;

	mutex_lock(&dev->lock);
	if (!dev->ibdev) {
		ret = -ENODEV;
		goto unlock;
	}
	dom->ibdev = dev->ibdev;
	dom->port = info->domain_attr.port ?: rdma_start_port(dom->ibdev);
	if (!rdma_is_port_valid(dom->ibdev, dom->port)) {
		ret = -EINVAL;
		goto unlock;
	}
	/* Local access only: never IB_PD_UNSAFE_GLOBAL_RKEY. */
	dom->pd = ib_alloc_pd(dom->ibdev, 0);
	if (IS_ERR(dom->pd)) {
		ret = PTR_ERR(dom->pd);
		goto unlock;
	}
	list_add_tail(&dom->entry, &dev->domains);
	mutex_unlock(&dev->lock);
	atomic_inc(&kfiv_live_objects);
	return 0;

unlock:
	mutex_unlock(&dev->lock);
	kfiv_dev_put(dev);
	free_percpu(dom->premapped);
	return ret;
}

/* Free the device resources of @dom.  Caller holds dev->lock. */
static void kfiv_domain_release_hw(struct kfiv_domain *dom)
{
	lockdep_assert_held(&dom->dev->lock);
	if (dom->pd) {
		ib_dealloc_pd(dom->pd);
		dom->pd = NULL;
	}
}

/**
 * kfiv_domain_close() - close a domain whose children are all closed
 * @domain: the domain
 *
 * Context: process context.
 */
void kfiv_domain_close(struct kfid_domain *domain)
{
	struct kfiv_domain *dom = to_dom(domain);
	struct kfiv_dev *dev = dom->dev;

	mutex_lock(&dev->lock);
	if (!dom->dead)
		list_del(&dom->entry);
	kfiv_domain_release_hw(dom);
	mutex_unlock(&dev->lock);
	WARN_ON(!xa_empty(&dom->mr_keys));
	xa_destroy(&dom->mr_keys);
	kfiv_dev_put(dev);
	free_percpu(dom->premapped);
	atomic_dec(&kfiv_live_objects);
}

/**
 * kfiv_debug_premapped() - posts of @kdom at their registrations' addresses
 * @kdom: a verbs domain
 *
 * For the provider's tests: buffer lists posted with descriptors of the
 * kfi_mr_reg() regions that hold them, so not mapped for the post.
 *
 * Context: any.
 * Return: the count so far.
 */
u64 kfiv_debug_premapped(struct kfid_domain *kdom)
{
	struct kfiv_domain *dom = to_dom(kdom);
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += *per_cpu_ptr(dom->premapped, cpu);
	return n;
}
EXPORT_SYMBOL_GPL(kfiv_debug_premapped);

/* Take the ib_cq away from direct pollers; the caller frees it. */
static struct ib_cq *kfiv_cq_detach(struct kfiv_cq *cq)
{
	unsigned long flags;
	struct ib_cq *icq;

	spin_lock_irqsave(&cq->poll_lock, flags);
	icq = cq->cq;
	cq->cq = NULL;
	spin_unlock_irqrestore(&cq->poll_lock, flags);
	return icq;
}

/**
 * kfiv_domain_remove() - the device is going away: free all it holds
 * @dom: a domain of the device
 *
 * Endpoints get KFI_DEVICE_REMOVAL and their operations flush with
 * -ECANCELED; then shared receive contexts (their receives forgotten, as
 * at close), MRs, CQs and the PD are destroyed.  The kfabric objects
 * stay until closed and refuse new work with -ENODEV.
 *
 * Context: process context; the caller holds dom->dev->lock.
 */
void kfiv_domain_remove(struct kfiv_domain *dom)
{
	struct kfiv_srx *x;
	struct kfiv_ep *ep;
	struct kfiv_mr *mr;
	struct kfiv_cq *cq;

	lockdep_assert_held(&dom->dev->lock);
	mutex_lock(&dom->lock);
	dom->dead = true;
	/*
	 * Every endpoint hears of the removal before any is torn down: the
	 * teardown of one disconnects its peer, which may be another of
	 * them and would otherwise report a mere KFI_SHUTDOWN.
	 */
	list_for_each_entry(ep, &dom->eps, entry)
		kfiv_ep_fail(ep, KFI_DEVICE_REMOVAL, -ENODEV, GFP_KERNEL);
	list_for_each_entry(ep, &dom->eps, entry)
		kfiv_ep_teardown(ep, true);
	list_for_each_entry(x, &dom->srxs, entry)
		kfiv_srx_teardown(x);
	list_for_each_entry(mr, &dom->mrs, entry)
		kfiv_mr_remove(mr);
	list_for_each_entry(cq, &dom->cqs, entry) {
		struct ib_cq *icq = kfiv_cq_detach(cq);

		if (icq)
			ib_free_cq(icq);
	}
	mutex_unlock(&dom->lock);
	list_del(&dom->entry);
	kfiv_domain_release_hw(dom);
}

static enum ib_poll_context kfiv_poll_ctx(enum kfi_poll_ctx ctx)
{
	switch (ctx) {
	case KFI_POLL_WORKQUEUE:
		return IB_POLL_WORKQUEUE;
	case KFI_POLL_DIRECT:
		return IB_POLL_DIRECT;
	default:
		return IB_POLL_SOFTIRQ;
	}
}

/**
 * kfiv_cq_open() - an ib_core CQ in the poll context the consumer chose
 * @kcq: the core's CQ, followed by ours
 *
 * Each completion's wr_cqe->done runs in that context and delivers through
 * kfi_cq_complete(); nothing busy-polls.  The ib_cq has room for the
 * provider's own requests of one endpoint besides attr.size.
 *
 * Context: process context.
 * Return: 0, -ENODEV, -EINVAL (size over the device's), -ENOMEM.
 */
int kfiv_cq_open(struct kfid_cq *kcq)
{
	struct kfiv_domain *dom = to_dom(kcq->domain);
	struct kfiv_cq *cq = to_cq(kcq);
	const struct kfi_cq_attr *attr = &kcq->attr;
	enum ib_poll_context pc = kfiv_poll_ctx(attr->poll_ctx);
	int ret = 0;
	u32 size;

	spin_lock_init(&cq->poll_lock);
	size = attr->size + KFIV_CQ_EXTRA;
	if (!attr->size || size > dom->ibdev->attrs.max_cqe)
		return -EINVAL;

	mutex_lock(&dom->lock);
	if (dom->dead) {
		ret = -ENODEV;
		goto unlock;
	}
	if (attr->comp_vector < 0)
		cq->cq = ib_alloc_cq_any(dom->ibdev, cq, size, pc);
	else
		cq->cq = ib_alloc_cq(dom->ibdev, cq, size,
				     attr->comp_vector %
				     dom->ibdev->num_comp_vectors, pc);
	if (IS_ERR(cq->cq)) {
		ret = PTR_ERR(cq->cq);
		cq->cq = NULL;
		goto unlock;
	}
	list_add_tail(&cq->entry, &dom->cqs);
	atomic_inc(&kfiv_live_objects);
unlock:
	mutex_unlock(&dom->lock);
	return ret;
}

/**
 * kfiv_cq_close() - free the CQ; no completion is delivered afterwards
 * @kcq: the CQ (no endpoint is bound to it any more)
 *
 * Context: process context.
 */
void kfiv_cq_close(struct kfid_cq *kcq)
{
	struct kfiv_domain *dom = to_dom(kcq->domain);
	struct kfiv_cq *cq = to_cq(kcq);
	struct ib_cq *icq;

	mutex_lock(&dom->lock);
	list_del(&cq->entry);
	icq = kfiv_cq_detach(cq);
	mutex_unlock(&dom->lock);
	if (icq)
		ib_free_cq(icq);
	atomic_dec(&kfiv_live_objects);
}

/**
 * kfiv_cq_poll() - process up to @budget completions of a direct CQ now
 * @kcq: the CQ
 * @budget: most completions to process
 *
 * Only KFI_POLL_DIRECT CQs are polled here: the others run in their own
 * context already.  A poll that finds another in progress (for instance a
 * completion handler polling again) returns 0.
 *
 * Context: any.
 * Return: completions processed.
 */
int kfiv_cq_poll(struct kfid_cq *kcq, int budget)
{
	struct kfiv_cq *cq = to_cq(kcq);
	unsigned long flags;
	int n = 0;

	if (kcq->attr.poll_ctx != KFI_POLL_DIRECT)
		return 0;
	if (!spin_trylock_irqsave(&cq->poll_lock, flags))
		return 0;
	if (cq->cq)
		n = ib_process_cq_direct(cq->cq, budget);
	spin_unlock_irqrestore(&cq->poll_lock, flags);
	return n;
}

/**
 * kfiv_cq_reserve() - promise @n entries of @cq to a queue, @extra more
 * @cq: the CQ
 * @n: the consumer's depth of the queue
 * @extra: the provider's own requests on that queue
 *
 * A CQ that overflows breaks every QP on it, so an endpoint is enabled
 * only while its bound CQs have room for all of its queues.  The
 * consumer's share is checked against the size it opened the CQ with; the
 * provider's is added to the ib_cq, which is grown when the endpoints
 * enabled on it need more than it was created with (where the kernel lets
 * it grow: see kfi_ib_resize_cq()).
 *
 * Context: process context, domain->lock held.
 * Return: 0 or -ENOSPC.
 */
int kfiv_cq_reserve(struct kfiv_cq *cq, u32 n, u32 extra)
{
	u32 want = cq->base.attr.size + cq->extra + extra;

	if (!cq->cq || cq->used + n > cq->base.attr.size)
		return -ENOSPC;
	if (want > cq->cq->cqe && kfi_ib_resize_cq(cq->cq, want))
		return -ENOSPC;
	cq->used += n;
	cq->extra += extra;
	return 0;
}

void kfiv_cq_unreserve(struct kfiv_cq *cq, u32 n, u32 extra)
{
	cq->used -= n;
	cq->extra -= extra;
}
