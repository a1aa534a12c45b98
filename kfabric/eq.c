// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: event queues (connection management events).
 *
 * Providers report events from any context with kfi_eq_report(); the core
 * queues a copy.  An EQ with a handler has the queue drained by a work
 * item, so the handler always runs in process context and may sleep (to
 * open and accept an endpoint, say); an EQ without one is read with
 * kfi_eq_read() or kfi_eq_sread().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/sched/signal.h>

#include "kfi_priv.h"
#include "kfi_compat.h"

/* Largest EQ a consumer may ask for. */
#define KFI_EQ_MAX_SIZE		4096

static struct workqueue_struct *kfi_eq_wq;

static struct kfi_eq_node *kfi_eq_pop(struct kfid_eq *eq)
{
	struct kfi_eq_node *node;
	unsigned long flags;

	spin_lock_irqsave(&eq->lock, flags);
	node = list_first_entry_or_null(&eq->events, struct kfi_eq_node, list);
	if (node) {
		list_del(&node->list);
		WRITE_ONCE(eq->nr_events, eq->nr_events - 1);
	}
	spin_unlock_irqrestore(&eq->lock, flags);
	return node;
}

static void kfi_eq_work(struct work_struct *work)
{
	struct kfid_eq *eq = container_of(work, struct kfid_eq, work);
	struct kfi_eq_node *node;

	while ((node = kfi_eq_pop(eq))) {
		eq->attr.handler(&node->entry, eq->attr.handler_arg);
		kfree(node);
	}
}

/* A reported request holds its passive endpoint until it is freed. */
static int kfi_eq_claim_connreq(const struct kfi_eq_cm_entry *entry)
{
	struct kfi_connreq *creq;

	if (entry->event != KFI_CONNREQ)
		return 0;
	if (!entry->info || !entry->info->handle || !entry->info->handle->pep)
		return -EINVAL;
	creq = entry->info->handle;
	/*
	 * A reference, not a child: the passive endpoint may close (and stop
	 * listening) while requests it produced are still unread.
	 */
	kref_get(&creq->pep->fid.ref);
	refcount_set(&creq->ref, 1);
	creq->ep = NULL;
	creq->rejected = false;
	return 0;
}

/**
 * kfi_eq_node_alloc() - a queue node for one event
 *
 * Context: process context, may sleep.
 * Return: the node, or NULL without memory.
 */
struct kfi_eq_node *kfi_eq_node_alloc(void)
{
	return kmalloc(sizeof(struct kfi_eq_node), GFP_KERNEL);
}

/* Events after which an endpoint reports nothing more. */
static bool kfi_eq_event_final(enum kfi_eq_event event)
{
	return event == KFI_SHUTDOWN || event == KFI_REJECTED ||
	       event == KFI_UNREACHABLE || event == KFI_DEVICE_REMOVAL;
}

/*
 * The node kept for an endpoint's final event, taken once: a second final
 * event (none should come) is queued like any other.
 */
static struct kfi_eq_node *kfi_eq_final_node(const struct kfi_eq_cm_entry *e)
{
	struct kfid_ep *ep;

	if (!e->fid || e->fid->fclass != KFI_CLASS_EP ||
	    !kfi_eq_event_final(e->event))
		return NULL;
	ep = container_of(e->fid, struct kfid_ep, fid);
	return xchg(&ep->final_event, NULL);
}

/**
 * kfi_eq_report() - report a connection event
 * @eq: the EQ (ep->eq or pep->eq)
 * @entry: the event (copied).  For KFI_CONNREQ, @entry->info is a
 *	kfi_allocinfo() entry whose @handle is the provider's request; both
 *	pass to the consumer on success
 * @gfp: allocation flags for the caller's context
 *
 * An endpoint's first final event (KFI_SHUTDOWN, KFI_REJECTED,
 * KFI_UNREACHABLE or KFI_DEVICE_REMOVAL, with @entry->fid the endpoint)
 * takes the node kfi_ep_bind() set aside for it: it allocates nothing,
 * does not count against attr.size and cannot fail for a valid @entry.
 *
 * Context: any; allocates with @gfp, except for a final event.
 * Return: 0; -EINVAL (bad argument);
 * -ENOMEM; -ENOSPC (the EQ holds attr.size unread events).  On error the
 * caller still owns @entry->info and its request.
 */
int kfi_eq_report(struct kfid_eq *eq, const struct kfi_eq_cm_entry *entry,
		  gfp_t gfp)
{
	struct kfi_eq_node *node;
	unsigned long flags;
	int ret;

	if (!KFI_VALID(eq, KFI_CLASS_EQ) || !entry ||
	    entry->datalen > KFI_CM_DATA_MAX)
		return -EINVAL;
	node = kfi_eq_final_node(entry);
	if (!node && READ_ONCE(eq->nr_events) >= eq->attr.size)
		return -ENOSPC;
	if (!node)
		node = kmalloc(sizeof(*node), gfp);
	if (!node)
		return -ENOMEM;
	node->entry = *entry;
	ret = kfi_eq_claim_connreq(entry);
	if (ret) {
		kfree(node);
		return ret;
	}

	spin_lock_irqsave(&eq->lock, flags);
	list_add_tail(&node->list, &eq->events);
	WRITE_ONCE(eq->nr_events, eq->nr_events + 1);
	spin_unlock_irqrestore(&eq->lock, flags);

	if (eq->attr.handler)
		queue_work(kfi_eq_wq, &eq->work);
	else
		wake_up(&eq->wait);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_eq_report);

/**
 * kfi_eq_read() - take the next event
 * @eq: an EQ opened without a handler
 * @entry: receives the event; a KFI_CONNREQ's @info is the caller's to
 *	free with kfi_freeinfo()
 *
 * Context: any; never sleeps.
 * Return: 0; -EAGAIN (no event); -EINVAL (bad argument, or the EQ has a
 * handler).
 */
int kfi_eq_read(struct kfid_eq *eq, struct kfi_eq_cm_entry *entry)
{
	struct kfi_eq_node *node;

	if (!KFI_VALID(eq, KFI_CLASS_EQ) || !entry || eq->attr.handler)
		return -EINVAL;
	node = kfi_eq_pop(eq);
	if (!node)
		return -EAGAIN;
	*entry = node->entry;
	kfree(node);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_eq_read);

/**
 * kfi_eq_sread() - kfi_eq_read(), waiting for an event if there is none
 * @eq: an EQ opened without a handler
 * @entry: receives the event
 * @timeout_ms: longest wait; negative waits for ever
 *
 * Context: process context; sleeps.
 * Return: as kfi_eq_read(); -ETIMEDOUT; -EINTR (a signal).
 */
int kfi_eq_sread(struct kfid_eq *eq, struct kfi_eq_cm_entry *entry,
		 int timeout_ms)
{
	long left = timeout_ms < 0 ? MAX_SCHEDULE_TIMEOUT :
				     msecs_to_jiffies(timeout_ms);
	int ret;

	might_sleep();
	for (;;) {
		ret = kfi_eq_read(eq, entry);
		if (ret != -EAGAIN)
			return ret;
		if (!left)
			return -ETIMEDOUT;
		left = wait_event_interruptible_timeout(eq->wait,
							READ_ONCE(eq->nr_events),
							left);
		if (left < 0)
			return -EINTR;
	}
}
EXPORT_SYMBOL_GPL(kfi_eq_sread);

/*
 * Each EQ's handler work is a lockdep class of its own.  A handler may
 * close an endpoint bound to another EQ, and kfi_eq_forget() then waits
 * for that EQ's handler: with one class for all EQs lockdep takes this for
 * a work flushing itself.  (An EQ never waits for its own handler.)
 */
static void kfi_eq_lockdep_init(struct kfid_eq *eq)
{
#ifdef CONFIG_LOCKDEP
	lockdep_register_key(&eq->work_key);
	lockdep_init_map(&eq->work.lockdep_map, "kfi_eq_work", &eq->work_key,
			 0);
#endif
}

/* Called as the last reference goes; may sleep. */
void kfi_eq_release(struct kfid_eq *eq)
{
	lockdep_unregister_key(&eq->work_key);
}

/**
 * kfi_eq_open() - open an event queue
 * @fabric: open fabric
 * @attr: size (1 to 4096) and optional handler
 * @eq: receives the EQ
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL; -ENOMEM.
 */
int kfi_eq_open(struct kfid_fabric *fabric, const struct kfi_eq_attr *attr,
		struct kfid_eq **eq, void *context)
{
	struct kfid_eq *e;

	if (!KFI_VALID(fabric, KFI_CLASS_FABRIC) || !attr || !eq ||
	    !attr->size || attr->size > KFI_EQ_MAX_SIZE)
		return -EINVAL;

	e = kfid_alloc(fabric->fid.prov, sizeof(*e), KFI_CLASS_EQ,
		       &fabric->fid, context);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->fabric = fabric;
	e->attr = *attr;
	spin_lock_init(&e->lock);
	INIT_LIST_HEAD(&e->events);
	init_waitqueue_head(&e->wait);
	INIT_WORK(&e->work, kfi_eq_work);
	kfi_eq_lockdep_init(e);
	*eq = e;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_eq_open);

/**
 * kfi_eq_forget() - drop the events of an object that is closing
 * @eq: the EQ the object was bound to
 * @fid: the endpoint or passive endpoint
 *
 * After this returns no event naming @fid will reach the consumer: queued
 * ones are dropped (an unread request is rejected, as kfi_freeinfo()
 * does) and a handler still delivering one is waited for, unless the
 * caller is that handler, closing the object from its own event.
 *
 * Context: process context; may sleep.  The provider reports no more
 * events for @fid.
 */
void kfi_eq_forget(struct kfid_eq *eq, struct kfid *fid)
{
	struct kfi_eq_node *node, *next;
	unsigned long flags;
	LIST_HEAD(dropped);

	spin_lock_irqsave(&eq->lock, flags);
	list_for_each_entry_safe(node, next, &eq->events, list) {
		if (node->entry.fid != fid)
			continue;
		list_move_tail(&node->list, &dropped);
		WRITE_ONCE(eq->nr_events, eq->nr_events - 1);
	}
	spin_unlock_irqrestore(&eq->lock, flags);

	list_for_each_entry_safe(node, next, &dropped, list) {
		kfi_freeinfo(node->entry.info);
		kfree(node);
	}
	if (eq->attr.handler && current_work() != &eq->work)
		flush_work(&eq->work);
}

void kfi_eq_close(struct kfid_eq *eq)
{
	struct kfi_eq_node *node;

	cancel_work_sync(&eq->work);
	/* Unread requests are rejected, as kfi_freeinfo() does. */
	while ((node = kfi_eq_pop(eq))) {
		kfi_freeinfo(node->entry.info);
		kfree(node);
	}
	kfid_put(&eq->fid);
}

int kfi_eq_init(void)
{
	/*
	 * Event handlers set up and tear down connections and may sleep;
	 * nothing gains from running them on the CPU that reported the event.
	 */
	kfi_eq_wq = alloc_workqueue("kfi_eq", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return kfi_eq_wq ? 0 : -ENOMEM;
}

void kfi_eq_exit(void)
{
	destroy_workqueue(kfi_eq_wq);
}
