// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: completion queues.
 *
 * A completion reaches the consumer through kfi_cq_deliver(): to the
 * operation's kfi_context.done if set, else to the CQ's handler if set,
 * else into the CQ's ring for kfi_cq_read().  Providers with a hardware
 * CQ call kfi_cq_complete() from their poll context; the others hand
 * completions to kfi_cq_sw_complete() from any context, and the core
 * delivers them from the CQ's poll context: softirq (irq_poll), a work
 * item, or the consumer's own kfi_cq_poll().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/log2.h>
#include <linux/sched/signal.h>

#include "kfi_priv.h"
#include "kfi_compat.h"
#include "trace.h"

/* Largest CQ a consumer may ask for, whatever the device says. */
#define KFI_CQ_MAX_SIZE		BIT(20)

static struct workqueue_struct *kfi_cq_wq;

static void kfi_cq_enqueue(struct kfid_cq *cq, const struct kfi_cq_entry *entry)
{
	unsigned long flags;

	spin_lock_irqsave(&cq->lock, flags);
	if (cq->tail - cq->head >= cq->attr.size) {
		cq->overrun = true;
	} else {
		cq->ring[cq->tail & (cq->attr.size - 1)] = *entry;
		cq->tail++;
	}
	spin_unlock_irqrestore(&cq->lock, flags);

	if (wq_has_sleeper(&cq->wait))
		wake_up(&cq->wait);
}

static void kfi_cq_deliver(struct kfid_cq *cq, const struct kfi_cq_entry *entry)
{
	struct kfi_context *ctx = entry->op_context;

	if (entry->err)
		this_cpu_inc(cq->stats->n[KFI_STAT_ERRORS]);
	else
		this_cpu_inc(cq->stats->n[KFI_STAT_COMPLETED]);
	trace_kfi_complete(cq, entry);

	if (ctx && ctx->done)
		ctx->done(cq, entry);
	else if (cq->attr.handler)
		cq->attr.handler(cq, entry, cq->attr.handler_arg);
	else
		kfi_cq_enqueue(cq, entry);
}

/**
 * kfi_cq_complete() - deliver one completion now
 * @cq: the CQ
 * @entry: the completion; copied if it is queued
 *
 * For providers that poll a hardware CQ: call it from @cq's poll context
 * (their ->cq_poll, or their own softirq or work item).
 *
 * Context: the CQ's poll context; never sleeps.
 */
void kfi_cq_complete(struct kfid_cq *cq, const struct kfi_cq_entry *entry)
{
	this_cpu_inc(cq->stats->n[KFI_STAT_POSTED]);
	kfi_cq_deliver(cq, entry);
}
EXPORT_SYMBOL_GPL(kfi_cq_complete);

static bool kfi_cq_sw_pending(struct kfid_cq *cq)
{
	return READ_ONCE(cq->pend_tail) != READ_ONCE(cq->pend_head);
}

static bool kfi_cq_sw_pop(struct kfid_cq *cq, struct kfi_cq_entry *entry)
{
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&cq->pend_lock, flags);
	if (cq->pend_head != cq->pend_tail) {
		*entry = cq->pend[cq->pend_head & cq->pend_mask];
		WRITE_ONCE(cq->pend_head, cq->pend_head + 1);
		found = true;
	}
	spin_unlock_irqrestore(&cq->pend_lock, flags);
	return found;
}

/* Deliver up to @budget pending completions; only one caller at a time. */
static int kfi_cq_sw_drain(struct kfid_cq *cq, int budget)
{
	struct kfi_cq_entry entry;
	int n = 0;

	while (n < budget && kfi_cq_sw_pop(cq, &entry)) {
		kfi_cq_deliver(cq, &entry);
		n++;
	}
	return n;
}

static int kfi_cq_iop_poll(struct irq_poll *iop, int budget)
{
	struct kfid_cq *cq = container_of(iop, struct kfid_cq, iop);
	int n;

	n = kfi_cq_sw_drain(cq, budget);
	if (n < budget) {
		irq_poll_complete(iop);
		/* An entry queued while SCHED was still set would be lost. */
		if (kfi_cq_sw_pending(cq))
			irq_poll_sched(iop);
	}
	return n;
}

static void kfi_cq_work(struct work_struct *work)
{
	struct kfid_cq *cq = container_of(work, struct kfid_cq, work);

	kfi_cq_sw_drain(cq, cq->attr.budget);
	/* Requeue rather than loop, so one busy CQ cannot hog the worker. */
	if (kfi_cq_sw_pending(cq))
		queue_work(kfi_cq_wq, &cq->work);
}

/**
 * kfi_cq_sw_complete() - queue a completion for delivery in @cq's poll context
 * @cq: the CQ
 * @entry: the completion (copied)
 *
 * For providers without a hardware CQ.  The entry joins @cq's pending
 * ring and is delivered, in order, from softirq (KFI_POLL_SOFTIRQ), from a
 * work item (KFI_POLL_WORKQUEUE), or by the consumer's next kfi_cq_poll(),
 * kfi_cq_read() or kfi_cq_sread() (KFI_POLL_DIRECT).
 *
 * Context: any; never sleeps.  Takes the CQ's pending-ring lock.
 * Return: 0; -EINVAL (bad argument); -ENOSPC when the pending ring is full
 * (it holds at least twice the CQ's size): the completion is lost and the
 * consumer's next kfi_cq_read() returns -EOVERFLOW.
 */
int kfi_cq_sw_complete(struct kfid_cq *cq, const struct kfi_cq_entry *entry)
{
	unsigned long flags;
	bool full;

	if (!KFI_VALID(cq, KFI_CLASS_CQ) || !entry)
		return -EINVAL;

	spin_lock_irqsave(&cq->pend_lock, flags);
	full = cq->pend_tail - cq->pend_head > cq->pend_mask;
	if (!full) {
		cq->pend[cq->pend_tail & cq->pend_mask] = *entry;
		WRITE_ONCE(cq->pend_tail, cq->pend_tail + 1);
	}
	spin_unlock_irqrestore(&cq->pend_lock, flags);

	if (full) {
		this_cpu_inc(cq->stats->n[KFI_STAT_EAGAIN]);
		spin_lock_irqsave(&cq->lock, flags);
		cq->overrun = true;
		spin_unlock_irqrestore(&cq->lock, flags);
		wake_up(&cq->wait);
		return -ENOSPC;
	}
	this_cpu_inc(cq->stats->n[KFI_STAT_POSTED]);

	switch (cq->attr.poll_ctx) {
	case KFI_POLL_SOFTIRQ:
		irq_poll_sched(&cq->iop);
		break;
	case KFI_POLL_WORKQUEUE:
		queue_work(kfi_cq_wq, &cq->work);
		break;
	case KFI_POLL_DIRECT:
		/* kfi_cq_sread() polls when woken. */
		if (wq_has_sleeper(&cq->wait))
			wake_up(&cq->wait);
		break;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_cq_sw_complete);

/**
 * kfi_cq_sw_flush() - deliver every pending completion before returning
 * @cq: the CQ
 *
 * Used when an endpoint closes, so that the flushed operations' contexts
 * are no longer referenced once kfi_close() returns.  A KFI_POLL_DIRECT
 * CQ is left alone: its consumer polls.
 *
 * Context: process context, may sleep.
 */
void kfi_cq_sw_flush(struct kfid_cq *cq)
{
	might_sleep();

	switch (cq->attr.poll_ctx) {
	case KFI_POLL_SOFTIRQ:
		/* Own the poller, then deliver as softirq would, bh off. */
		irq_poll_disable(&cq->iop);
		local_bh_disable();
		while (kfi_cq_sw_drain(cq, cq->attr.budget))
			;
		local_bh_enable();
		irq_poll_enable(&cq->iop);
		if (kfi_cq_sw_pending(cq))
			irq_poll_sched(&cq->iop);
		break;
	case KFI_POLL_WORKQUEUE:
		/* The work item stays the only poller; wait for it. */
		while (kfi_cq_sw_pending(cq)) {
			queue_work(kfi_cq_wq, &cq->work);
			flush_work(&cq->work);
		}
		break;
	case KFI_POLL_DIRECT:
		break;
	}
}

/**
 * kfi_cq_poll() - process completions of a KFI_POLL_DIRECT CQ now
 * @cq: CQ opened with KFI_POLL_DIRECT
 * @budget: most completions to process; 0 or less for the CQ's budget
 *
 * Completions are delivered from here, in the caller's context, to their
 * done callback, the CQ's handler or its ring.
 *
 * Context: any; never sleeps.  The consumer calls it from one context at
 * a time per CQ.
 * Return: completions processed (0 if none), or -EINVAL (not a CQ, or
 * not a KFI_POLL_DIRECT CQ: the others are polled by the core).
 */
int kfi_cq_poll(struct kfid_cq *cq, int budget)
{
	int n = 0;

	if (!KFI_VALID(cq, KFI_CLASS_CQ) ||
	    cq->attr.poll_ctx != KFI_POLL_DIRECT)
		return -EINVAL;
	if (budget <= 0)
		budget = cq->attr.budget;

	if (cq->fid.prov->ops->cq_poll) {
		n = cq->fid.prov->ops->cq_poll(cq, budget);
		if (n < 0)
			return n;
	}
	if (n < budget)
		n += kfi_cq_sw_drain(cq, budget - n);
	return n;
}
EXPORT_SYMBOL_GPL(kfi_cq_poll);

static int kfi_cq_check_read(struct kfid_cq *cq)
{
	if (!KFI_VALID(cq, KFI_CLASS_CQ))
		return -EINVAL;
	/* Entries of a CQ with a handler never reach the ring. */
	if (!cq->ring)
		return -EINVAL;
	if (cq->attr.poll_ctx == KFI_POLL_DIRECT)
		kfi_cq_poll(cq, 0);
	return 0;
}

/**
 * kfi_cq_read() - take queued completions
 * @cq: a CQ opened without a handler
 * @entries: array receiving them
 * @count: size of @entries
 *
 * Entries come in completion order.  Reading stops before an entry with
 * an error: when such an entry is first, -EIO says to take it with
 * kfi_cq_readerr().  A KFI_POLL_DIRECT CQ is polled first.
 *
 * Context: any; never sleeps.
 * Return: the number of entries read; -EAGAIN (none); -EOVERFLOW
 * (completions were lost since the last read: reported once, the entries
 * still queued follow on the next read); -EIO (an error entry is next);
 * -EINVAL (bad argument, or the CQ has a handler).
 */
int kfi_cq_read(struct kfid_cq *cq, struct kfi_cq_entry *entries, int count)
{
	unsigned long flags;
	int ret, n = 0;

	if (!entries || count <= 0)
		return -EINVAL;
	ret = kfi_cq_check_read(cq);
	if (ret)
		return ret;

	spin_lock_irqsave(&cq->lock, flags);
	if (cq->overrun) {
		cq->overrun = false;
		ret = -EOVERFLOW;
		goto unlock;
	}
	while (n < count && cq->head != cq->tail) {
		struct kfi_cq_entry *e = &cq->ring[cq->head & (cq->attr.size - 1)];

		if (e->err)
			break;
		entries[n++] = *e;
		cq->head++;
	}
	if (n)
		ret = n;
	else
		ret = cq->head != cq->tail ? -EIO : -EAGAIN;
unlock:
	spin_unlock_irqrestore(&cq->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_cq_read);

/**
 * kfi_cq_readerr() - take the error completion at the head of the CQ
 * @cq: a CQ opened without a handler
 * @entry: receives it (@err and @prov_errno say what went wrong)
 *
 * Context: any; never sleeps.
 * Return: 0; -EAGAIN (the next entry is not an error, or there is none);
 * -EINVAL.
 */
int kfi_cq_readerr(struct kfid_cq *cq, struct kfi_cq_entry *entry)
{
	struct kfi_cq_entry *e;
	unsigned long flags;
	int ret;

	if (!entry)
		return -EINVAL;
	ret = kfi_cq_check_read(cq);
	if (ret)
		return ret;

	ret = -EAGAIN;
	spin_lock_irqsave(&cq->lock, flags);
	if (cq->head != cq->tail) {
		e = &cq->ring[cq->head & (cq->attr.size - 1)];
		if (e->err) {
			*entry = *e;
			cq->head++;
			ret = 0;
		}
	}
	spin_unlock_irqrestore(&cq->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_cq_readerr);

static bool kfi_cq_ready(struct kfid_cq *cq)
{
	if (READ_ONCE(cq->tail) != READ_ONCE(cq->head) ||
	    READ_ONCE(cq->overrun))
		return true;
	return cq->attr.poll_ctx == KFI_POLL_DIRECT && kfi_cq_sw_pending(cq);
}

/**
 * kfi_cq_sread() - kfi_cq_read(), waiting for a completion if there is none
 * @cq: a CQ opened without a handler
 * @entries: array receiving them
 * @count: size of @entries
 * @timeout_ms: longest wait; negative waits for ever
 *
 * Context: process context; sleeps.
 * Return: as kfi_cq_read(); -ETIMEDOUT (nothing came in time); -EINTR
 * (a signal).
 */
int kfi_cq_sread(struct kfid_cq *cq, struct kfi_cq_entry *entries, int count,
		 int timeout_ms)
{
	long left = timeout_ms < 0 ? MAX_SCHEDULE_TIMEOUT :
				     msecs_to_jiffies(timeout_ms);
	int ret;

	might_sleep();
	for (;;) {
		ret = kfi_cq_read(cq, entries, count);
		if (ret != -EAGAIN)
			return ret;
		if (!left)
			return -ETIMEDOUT;
		left = wait_event_interruptible_timeout(cq->wait,
							kfi_cq_ready(cq), left);
		if (left < 0)
			return -EINTR;
		if (!left && !kfi_cq_ready(cq))
			return -ETIMEDOUT;
	}
}
EXPORT_SYMBOL_GPL(kfi_cq_sread);

static int kfi_cq_check_attr(struct kfid_domain *domain,
			     const struct kfi_cq_attr *attr)
{
	if (!attr->size || attr->size > KFI_CQ_MAX_SIZE)
		return -EINVAL;
	if (domain->attr.cq_size && attr->size > domain->attr.cq_size)
		return -EINVAL;
	if (attr->poll_ctx != KFI_POLL_SOFTIRQ &&
	    attr->poll_ctx != KFI_POLL_WORKQUEUE &&
	    attr->poll_ctx != KFI_POLL_DIRECT)
		return -EINVAL;
	if (attr->budget > INT_MAX)
		return -EINVAL;
	return 0;
}

static void kfi_cq_free_rings(struct kfid_cq *cq)
{
	kvfree(cq->pend);
	kvfree(cq->ring);
}

static int kfi_cq_alloc_rings(struct kfid_cq *cq)
{
	u32 pend = max_t(u32, 2 * cq->attr.size, KFI_CQ_MIN_PENDING);

	if (!cq->attr.handler) {
		cq->ring = kvcalloc(cq->attr.size, sizeof(*cq->ring),
				    GFP_KERNEL);
		if (!cq->ring)
			return -ENOMEM;
	}
	cq->pend = kvcalloc(pend, sizeof(*cq->pend), GFP_KERNEL);
	if (!cq->pend) {
		kvfree(cq->ring);
		return -ENOMEM;
	}
	cq->pend_mask = pend - 1;
	return 0;
}

static void kfi_cq_init_obj(struct kfid_cq *cq, struct kfid_domain *domain,
			    const struct kfi_cq_attr *attr)
{
	cq->domain = domain;
	cq->attr = *attr;
	cq->attr.size = roundup_pow_of_two(attr->size);
	if (!cq->attr.budget)
		cq->attr.budget = KFI_CQ_DEFAULT_BUDGET;
	spin_lock_init(&cq->lock);
	spin_lock_init(&cq->pend_lock);
	init_waitqueue_head(&cq->wait);
	irq_poll_init(&cq->iop, cq->attr.budget, kfi_cq_iop_poll);
	INIT_WORK(&cq->work, kfi_cq_work);
}

/**
 * kfi_cq_open() - open a completion queue
 * @domain: open domain
 * @attr: size (rounded up to a power of two), poll context, budget and
 *	handler
 * @cq: receives the CQ
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument: NULL, size 0 or over the device's
 * cq_size, unknown poll context); -ENOMEM; or the provider's error.
 */
int kfi_cq_open(struct kfid_domain *domain, const struct kfi_cq_attr *attr,
		struct kfid_cq **cq, void *context)
{
	struct kfi_provider *prov;
	struct kfid_cq *c;
	int ret;

	if (!KFI_VALID(domain, KFI_CLASS_DOMAIN) || !attr || !cq)
		return -EINVAL;
	ret = kfi_cq_check_attr(domain, attr);
	if (ret)
		return ret;

	prov = domain->fid.prov;
	c = kfid_alloc(prov, prov->cq_size, KFI_CLASS_CQ, &domain->fid,
		       context);
	if (IS_ERR(c))
		return PTR_ERR(c);
	kfi_cq_init_obj(c, domain, attr);
	ret = kfi_cq_alloc_rings(c);
	if (ret)
		goto put_cq;
	ret = prov->ops->cq_open(c);
	if (ret)
		goto free_rings;
	*cq = c;
	return 0;

free_rings:
	kfi_cq_free_rings(c);
put_cq:
	kfid_put(&c->fid);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_cq_open);

void kfi_cq_close(struct kfid_cq *cq)
{
	cq->fid.prov->ops->cq_close(cq);
	/* Stop the pollers; what is still pending has no one to go to. */
	irq_poll_disable(&cq->iop);
	cancel_work_sync(&cq->work);
	kfi_cq_free_rings(cq);
	kfid_put(&cq->fid);
}

/**
 * kfi_strerror() - what a completion's prov_errno means
 * @cq: the CQ the completion came from
 * @prov_errno: kfi_cq_entry.prov_errno
 *
 * Context: any; never sleeps.
 * Return: a static string; "unknown" when the provider has no text.
 */
const char *kfi_strerror(struct kfid_cq *cq, int prov_errno)
{
	const char *s = NULL;

	if (KFI_VALID(cq, KFI_CLASS_CQ) && cq->fid.prov->ops->strerror)
		s = cq->fid.prov->ops->strerror(cq, prov_errno);
	return s ?: "unknown";
}
EXPORT_SYMBOL_GPL(kfi_strerror);

int kfi_cq_init(void)
{
	/*
	 * Per-CPU, as ib_core's completion queue: completions are reaped on
	 * the CPU whose interrupt queued the work, where their data is hot.
	 */
	kfi_cq_wq = alloc_workqueue("kfi_cq",
				    WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_PERCPU, 0);
	return kfi_cq_wq ? 0 : -ENOMEM;
}

void kfi_cq_exit(void)
{
	destroy_workqueue(kfi_cq_wq);
}
