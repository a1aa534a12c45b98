// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric TCP provider: shared receive contexts.
 *
 * The context is a ring of posted receives in the domain.  An endpoint
 * bound to it keeps a ring of its own of one entry: when a message that
 * needs a receive arrives, the endpoint's work moves the context's oldest
 * receive there (trading bio_vec arrays, so nothing is allocated) and from
 * then on handles it as any receive of its own, completing it on its own
 * receive CQ.  With the context empty the work marks the endpoint waiting
 * and stops reading its socket, leaving the message in the socket: the
 * peer is held back by TCP itself.  The next receive posted on the context
 * kicks every waiting endpoint.
 *
 * Lock order: the context's lock, then an endpoint's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "kfi_tcp.h"

static void kfit_srx_free(struct kfit_srx *x)
{
	u32 i;

	for (i = 0; x->recvs && i < x->base.info.rx_attr.size; i++)
		kfree(x->recvs[i].bv);
	kvfree(x->recvs);
	x->recvs = NULL;
}

/**
 * kfit_srx_open() - set up a shared receive context's ring
 * @srx: the context; srx->info.rx_attr gives depth and iov_limit
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (over KFIT_MAX_DEPTH or KFIT_MAX_IOV); -ENOMEM.
 */
int kfit_srx_open(struct kfid_ep *srx)
{
	struct kfit_srx *x = to_kfit_srx(srx);
	struct kfi_rx_attr *attr = &srx->info.rx_attr;
	u32 i;

	if (attr->size > KFIT_MAX_DEPTH || attr->iov_limit > KFIT_MAX_IOV)
		return -EINVAL;
	spin_lock_init(&x->lock);
	INIT_LIST_HEAD(&x->eps);
	x->recvs = kvcalloc(attr->size, sizeof(*x->recvs), GFP_KERNEL);
	if (!x->recvs)
		return -ENOMEM;
	for (i = 0; i < attr->size; i++) {
		x->recvs[i].bv = kcalloc(attr->iov_limit,
					 sizeof(*x->recvs[i].bv), GFP_KERNEL);
		if (!x->recvs[i].bv) {
			kfit_srx_free(x);
			return -ENOMEM;
		}
	}
	atomic_inc(&kfit_live);
	return 0;
}

/**
 * kfit_srx_close() - free a shared receive context
 * @srx: the context, no endpoint bound any more
 *
 * The receives still posted are forgotten, without a completion.
 *
 * Context: process context.
 */
void kfit_srx_close(struct kfid_ep *srx)
{
	struct kfit_srx *x = to_kfit_srx(srx);

	WARN_ON_ONCE(!list_empty(&x->eps));
	kfit_srx_free(x);
	atomic_dec(&kfit_live);
}

/* Kick the endpoints that wait for a receive; x->lock held. */
static void kfit_srx_wake(struct kfit_srx *x)
{
	struct kfit_ep *e;

	lockdep_assert_held(&x->lock);
	list_for_each_entry(e, &x->eps, srx_node) {
		if (e->srx_waiting) {
			e->srx_waiting = false;
			kfit_kick(e);
		}
	}
}

/**
 * kfit_srx_recv() - post a receive on a shared receive context
 * @srx: the context
 * @msg: buffers and context
 * @flags: KFI_MORE and KFI_COMPLETION, both without effect here
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0; -EAGAIN (the ring is full); -EINVAL (bad buffers).
 */
int kfit_srx_recv(struct kfid_ep *srx, const struct kfi_msg *msg, u64 flags)
{
	struct kfit_srx *x = to_kfit_srx(srx);
	u32 size = srx->info.rx_attr.size;
	struct kfit_recv *r;
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&x->lock, irqflags);
	if (x->count >= size) {
		ret = -EAGAIN;
		goto out;
	}
	r = &x->recvs[(x->head + x->count) % size];
	ret = kfit_recv_fill(r, msg, srx->info.rx_attr.iov_limit);
	if (ret)
		goto out;
	x->count++;
	kfit_srx_wake(x);
out:
	spin_unlock_irqrestore(&x->lock, irqflags);
	return ret;
}

/**
 * kfit_srx_pull() - give an endpoint the context's oldest receive
 * @e: endpoint bound to a shared receive context, its work running
 *
 * Does nothing if @e holds one already.  With none posted, @e is marked
 * waiting, to be kicked by the next kfit_srx_recv().
 *
 * Context: the endpoint's work.
 */
void kfit_srx_pull(struct kfit_ep *e)
{
	struct kfit_srx *x = to_kfit_srx(e->base.srx);
	u32 size = x->base.info.rx_attr.size;
	struct kfit_recv *r, *mine;
	struct bio_vec *bv;
	unsigned long flags;

	spin_lock_irqsave(&x->lock, flags);
	spin_lock(&e->lock);
	if (e->recv_count)
		goto out;
	if (!x->count) {
		e->srx_waiting = true;
		goto out;
	}
	r = &x->recvs[x->head];
	x->head = (x->head + 1) % size;
	x->count--;
	mine = &e->recvs[0];
	bv = mine->bv;
	*mine = *r;
	r->bv = bv;
	e->recv_head = 0;
	e->recv_count = 1;
out:
	spin_unlock(&e->lock);
	spin_unlock_irqrestore(&x->lock, flags);
}

/**
 * kfit_srx_attach() - an endpoint bound to a context is enabled
 * @e: the endpoint
 *
 * Context: process context.
 */
void kfit_srx_attach(struct kfit_ep *e)
{
	struct kfit_srx *x = to_kfit_srx(e->base.srx);
	unsigned long flags;

	spin_lock_irqsave(&x->lock, flags);
	list_add_tail(&e->srx_node, &x->eps);
	spin_unlock_irqrestore(&x->lock, flags);
}

/**
 * kfit_srx_detach() - an enabled endpoint bound to a context closes
 * @e: the endpoint
 *
 * Context: process context.
 */
void kfit_srx_detach(struct kfit_ep *e)
{
	struct kfit_srx *x = to_kfit_srx(e->base.srx);
	unsigned long flags;

	spin_lock_irqsave(&x->lock, flags);
	list_del_init(&e->srx_node);
	e->srx_waiting = false;
	spin_unlock_irqrestore(&x->lock, flags);
}
