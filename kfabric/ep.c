// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: endpoints, passive endpoints and connection management.
 *
 * Endpoint states (enum kfi_ep_state), changed only under ep->lock:
 *
 *   IDLE --kfi_enable()--> ENABLED --kfi_connect()/kfi_accept()--> CONNECTING
 *   CONNECTING --provider: kfi_ep_set_state()--> CONNECTED
 *   CONNECTING, CONNECTED --kfi_shutdown(), peer, error, close--> SHUTDOWN
 *
 * SHUTDOWN is final.  Receives may be posted from ENABLED on, everything
 * else only when CONNECTED.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/percpu.h>

#include "kfi_priv.h"

static const char * const kfi_ep_state_names[] = {
	[KFI_EP_IDLE] = "idle",
	[KFI_EP_ENABLED] = "enabled",
	[KFI_EP_CONNECTING] = "connecting",
	[KFI_EP_CONNECTED] = "connected",
	[KFI_EP_SHUTDOWN] = "shutdown",
};

const char *kfi_ep_state_name(enum kfi_ep_state state)
{
	if (state >= ARRAY_SIZE(kfi_ep_state_names))
		return "?";
	return kfi_ep_state_names[state];
}

/* Move @ep from @from to @to; return false, with *@old set, if not in @from. */
static bool kfi_ep_move(struct kfid_ep *ep, enum kfi_ep_state from,
			enum kfi_ep_state to, enum kfi_ep_state *old)
{
	unsigned long flags;
	bool moved;

	spin_lock_irqsave(&ep->lock, flags);
	*old = ep->state;
	moved = ep->state == from;
	if (moved)
		WRITE_ONCE(ep->state, to);
	spin_unlock_irqrestore(&ep->lock, flags);
	return moved;
}

/**
 * kfi_ep_set_state() - record a connection state change
 * @ep: endpoint
 * @state: new state; KFI_EP_CONNECTED before reporting KFI_CONNECTED,
 *	KFI_EP_SHUTDOWN when the connection is lost
 *
 * KFI_EP_SHUTDOWN is final: a later change is ignored, so a provider's
 * late "connected" cannot revive a closed endpoint.
 *
 * Context: any.  Takes ep->lock.
 */
void kfi_ep_set_state(struct kfid_ep *ep, enum kfi_ep_state state)
{
	unsigned long flags;

	spin_lock_irqsave(&ep->lock, flags);
	if (ep->state != KFI_EP_SHUTDOWN)
		WRITE_ONCE(ep->state, state);
	spin_unlock_irqrestore(&ep->lock, flags);
}
EXPORT_SYMBOL_GPL(kfi_ep_set_state);

/*
 * The CQ counts what it delivers; a completion entry does not name its
 * endpoint, so the endpoint's completed and errors counters (debugfs) are
 * kept here, on the way to the CQ.
 */
static void kfi_ep_count_completion(struct kfid_ep *ep, int err)
{
	if (err)
		this_cpu_inc(ep->stats->n[KFI_STAT_ERRORS]);
	else
		this_cpu_inc(ep->stats->n[KFI_STAT_COMPLETED]);
}

/**
 * kfi_ep_complete() - count a completion of @ep's operation, deliver it now
 * @ep: the endpoint the operation was posted on
 * @cq: the CQ it completes on
 * @entry: the completion
 *
 * kfi_cq_complete(), with @ep's counters kept.
 *
 * Context: @cq's poll context; never sleeps.
 */
void kfi_ep_complete(struct kfid_ep *ep, struct kfid_cq *cq,
		     const struct kfi_cq_entry *entry)
{
	kfi_ep_count_completion(ep, entry->err);
	kfi_cq_complete(cq, entry);
}
EXPORT_SYMBOL_GPL(kfi_ep_complete);

/**
 * kfi_ep_sw_complete() - count a completion of @ep's operation, queue it
 * @ep: the endpoint the operation was posted on
 * @cq: the CQ it completes on; NULL if none is bound (counted only)
 * @entry: the completion (copied)
 *
 * kfi_cq_sw_complete(), with @ep's counters kept.
 *
 * Context: any; never sleeps.
 * Return: 0 without a CQ, else as kfi_cq_sw_complete().
 */
int kfi_ep_sw_complete(struct kfid_ep *ep, struct kfid_cq *cq,
		       const struct kfi_cq_entry *entry)
{
	kfi_ep_count_completion(ep, entry->err);
	return cq ? kfi_cq_sw_complete(cq, entry) : 0;
}
EXPORT_SYMBOL_GPL(kfi_ep_sw_complete);

/* ------------------------------------------------------------------ */
/* Passive endpoints */

/**
 * kfi_passive_ep() - open a passive endpoint to listen on
 * @fabric: open fabric
 * @info: its src_addr is the address to listen on
 * @pep: receives the passive endpoint
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL; -EOPNOTSUPP (the provider has no passive side);
 * -ENOMEM; or the provider's error.
 */
int kfi_passive_ep(struct kfid_fabric *fabric, const struct kfi_info *info,
		   struct kfid_pep **pep, void *context)
{
	struct kfi_provider *prov;
	struct kfid_pep *p;
	int ret;

	if (!KFI_VALID(fabric, KFI_CLASS_FABRIC) || !info || !pep)
		return -EINVAL;
	prov = fabric->fid.prov;
	if (!prov->ops->pep_open)
		return -EOPNOTSUPP;

	p = kfid_alloc(prov, prov->pep_size, KFI_CLASS_PEP, &fabric->fid,
		       context);
	if (IS_ERR(p))
		return PTR_ERR(p);
	p->fabric = fabric;
	p->info = *info;
	p->info.next = NULL;
	p->info.handle = NULL;
	ret = prov->ops->pep_open(p);
	if (ret) {
		kfid_put(&p->fid);
		return ret;
	}
	*pep = p;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_passive_ep);

/**
 * kfi_pep_bind() - bind the EQ that receives KFI_CONNREQ events
 * @pep: passive endpoint, not listening yet
 * @eq: EQ of the same fabric
 *
 * Context: process context.
 * Return: 0; -EINVAL (bad argument, other fabric, already listening);
 * -EBUSY (an EQ is bound already).
 */
int kfi_pep_bind(struct kfid_pep *pep, struct kfid_eq *eq)
{
	int ret;

	if (!KFI_VALID(pep, KFI_CLASS_PEP) || !KFI_VALID(eq, KFI_CLASS_EQ) ||
	    eq->fabric != pep->fabric || pep->listening)
		return -EINVAL;
	if (pep->eq)
		return -EBUSY;
	ret = kfid_child_get(&eq->fid);
	if (ret)
		return ret;
	pep->eq = eq;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_pep_bind);

/**
 * kfi_listen() - start listening for connection requests
 * @pep: passive endpoint with an EQ bound
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (no EQ, already listening); -EOPNOTSUPP; or the
 * provider's error (-EADDRINUSE, ...).
 */
int kfi_listen(struct kfid_pep *pep)
{
	int ret;

	if (!KFI_VALID(pep, KFI_CLASS_PEP) || !pep->eq || pep->listening)
		return -EINVAL;
	if (!pep->fid.prov->ops->pep_listen)
		return -EOPNOTSUPP;
	ret = pep->fid.prov->ops->pep_listen(pep);
	if (!ret)
		pep->listening = true;
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_listen);

void kfi_pep_close(struct kfid_pep *pep)
{
	if (pep->fid.prov->ops->pep_close)
		pep->fid.prov->ops->pep_close(pep);
	pep->listening = false;
	if (pep->eq) {
		kfi_eq_forget(pep->eq, &pep->fid);
		kfid_child_put(&pep->eq->fid);
	}
	pep->eq = NULL;
	kfid_put(&pep->fid);
}

/**
 * kfi_reject() - refuse a connection request
 * @pep: the passive endpoint it arrived on
 * @handle: info->handle of the KFI_CONNREQ event
 * @param: private data for the peer, or NULL
 * @paramlen: bytes of @param, at most KFI_CM_DATA_MAX
 *
 * The request is freed by the kfi_freeinfo() of the event's info, which
 * the consumer still calls.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument, request of another endpoint, already
 * accepted or rejected); or the provider's error.
 */
int kfi_reject(struct kfid_pep *pep, struct kfi_connreq *handle,
	       const void *param, u32 paramlen)
{
	if (!KFI_VALID(pep, KFI_CLASS_PEP) || !handle || handle->pep != pep ||
	    paramlen > KFI_CM_DATA_MAX || (paramlen && !param))
		return -EINVAL;
	if (handle->ep || handle->rejected)
		return -EINVAL;
	handle->rejected = true;
	return pep->fid.prov->ops->reject(pep, handle, param, paramlen);
}
EXPORT_SYMBOL_GPL(kfi_reject);

/* ------------------------------------------------------------------ */
/* Active endpoints */

static int kfi_endpoint_check(struct kfid_domain *domain,
			      const struct kfi_info *info)
{
	struct kfi_connreq *creq = info->handle;

	if (info->ep_attr.type == KFI_EP_RDM)
		return -EOPNOTSUPP;
	if (info->ep_attr.type != KFI_EP_MSG &&
	    info->ep_attr.type != KFI_EP_UNSPEC)
		return -EINVAL;
	if (info->ep_attr.flags & ~KFI_EP_NO_CREDITS)
		return -EINVAL;
	if (!creq)
		return 0;
	/* A request is accepted once, by an endpoint of its own provider. */
	if (!creq->pep || creq->ep || creq->rejected ||
	    creq->pep->fid.prov != domain->fid.prov)
		return -EINVAL;
	return 0;
}

/**
 * kfi_endpoint() - open an active endpoint
 * @domain: open domain
 * @info: what to open: limits, addresses; on the passive side the info of
 *	a KFI_CONNREQ event, whose request the endpoint then claims for
 *	kfi_accept()
 * @ep: receives the endpoint (state KFI_EP_IDLE)
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument, request already claimed or
 * rejected); -EOPNOTSUPP (not a message endpoint); -ENOMEM; or the
 * provider's error.
 */
int kfi_endpoint(struct kfid_domain *domain, const struct kfi_info *info,
		 struct kfid_ep **ep, void *context)
{
	struct kfi_provider *prov;
	struct kfid_ep *e;
	int ret;

	if (!KFI_VALID(domain, KFI_CLASS_DOMAIN) || !info || !ep)
		return -EINVAL;
	ret = kfi_endpoint_check(domain, info);
	if (ret)
		return ret;

	prov = domain->fid.prov;
	e = kfid_alloc(prov, prov->ep_size, KFI_CLASS_EP, &domain->fid,
		       context);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->domain = domain;
	e->info = *info;
	e->info.next = NULL;
	e->info.ep_attr.type = KFI_EP_MSG;
	e->state = KFI_EP_IDLE;
	spin_lock_init(&e->lock);
	ret = prov->ops->ep_open(e);
	if (ret) {
		kfid_put(&e->fid);
		return ret;
	}
	if (info->handle) {
		refcount_inc(&info->handle->ref);
		info->handle->ep = e;
	}
	*ep = e;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_endpoint);

/* ------------------------------------------------------------------ */
/* Shared receive contexts */

static int kfi_srx_check(struct kfid_domain *domain,
			 const struct kfi_rx_attr *attr)
{
	u32 max = domain->attr.rx_size_max;

	if (!attr->size || (max && attr->size > max))
		return -EINVAL;
	if (attr->caps & ~(KFI_MSG | KFI_RECV))
		return -EINVAL;
	if (!domain->fid.prov->ops->srx_open)
		return -EOPNOTSUPP;
	return 0;
}

/**
 * kfi_srx_context() - open a shared receive context
 * @domain: open domain
 * @attr: its receive queue: @size receives (1 to domain_attr.rx_size_max),
 *	each of at most @iov_limit entries (0: one); @caps 0 or KFI_MSG |
 *	KFI_RECV
 * @srx: receives the context
 * @context: the consumer's pointer
 *
 * Receives are posted on the context with the kfi_recv*() calls, from any
 * context, as on an endpoint.  Endpoints of @domain bound to it with
 * kfi_ep_bind() before kfi_enable() take the receive for each message
 * that arrives from it, oldest first, and report the completion on their
 * own receive CQ with entry->ep set to themselves.  Such an endpoint has
 * no credits (see struct kfi_credits) and takes no receive of its own.
 * The context is closed with kfi_close() after every endpoint bound to
 * it; the receives still posted then are not completed: their buffers
 * and contexts are the consumer's again when kfi_close() returns.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument, size or caps); -EOPNOTSUPP (the
 * provider has no shared receive context); -ENOMEM; or the provider's
 * error.
 */
int kfi_srx_context(struct kfid_domain *domain,
		    const struct kfi_rx_attr *attr, struct kfid_ep **srx,
		    void *context)
{
	struct kfi_provider *prov;
	struct kfid_ep *x;
	int ret;

	if (!KFI_VALID(domain, KFI_CLASS_DOMAIN) || !attr || !srx)
		return -EINVAL;
	ret = kfi_srx_check(domain, attr);
	if (ret)
		return ret;

	prov = domain->fid.prov;
	x = kfid_alloc(prov, prov->srx_size, KFI_CLASS_SRX_CTX, &domain->fid,
		       context);
	if (IS_ERR(x))
		return PTR_ERR(x);
	x->domain = domain;
	x->info.rx_attr = *attr;
	x->info.rx_attr.iov_limit = max(attr->iov_limit, 1U);
	x->state = KFI_EP_ENABLED;
	spin_lock_init(&x->lock);
	ret = prov->ops->srx_open(x);
	if (ret) {
		kfid_put(&x->fid);
		return ret;
	}
	*srx = x;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_srx_context);

void kfi_srx_close(struct kfid_ep *srx)
{
	srx->fid.prov->ops->srx_close(srx);
	kfid_put(&srx->fid);
}

/*
 * The endpoint's messages take their receives from @srx: the core cannot
 * count credits per endpoint then, so it counts none.
 */
static int kfi_ep_bind_srx(struct kfid_ep *ep, struct kfid_ep *srx,
			   u64 flags)
{
	int ret;

	if (flags || srx->domain != ep->domain)
		return -EINVAL;
	if (ep->srx)
		return -EBUSY;
	ret = kfid_child_get(&srx->fid);
	if (ret)
		return ret;
	ep->srx = srx;
	ep->info.ep_attr.flags |= KFI_EP_NO_CREDITS;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Binding */

/*
 * Selective completion is a transmit-side choice: a receive that is not
 * reported would leave the consumer no way to find its data.
 */
static int kfi_ep_bind_selective(struct kfid_ep *ep, u64 flags)
{
	if (!(flags & KFI_SELECTIVE_COMPLETION))
		return 0;
	if (!(flags & KFI_TRANSMIT))
		return -EINVAL;
	if (!(ep->fid.prov->flags & KFI_SELECTIVE_COMPLETION))
		return -EOPNOTSUPP;
	return 0;
}

static int kfi_ep_bind_cq(struct kfid_ep *ep, struct kfid_cq *cq, u64 flags)
{
	int ret;

	if (!(flags & (KFI_TRANSMIT | KFI_RECEIVE)) ||
	    (flags & ~(KFI_TRANSMIT | KFI_RECEIVE | KFI_SELECTIVE_COMPLETION)) ||
	    cq->domain != ep->domain)
		return -EINVAL;
	ret = kfi_ep_bind_selective(ep, flags);
	if (ret)
		return ret;
	if (((flags & KFI_TRANSMIT) && ep->tx_cq) ||
	    ((flags & KFI_RECEIVE) && ep->rx_cq))
		return -EBUSY;
	/* One child (and reference) per direction bound. */
	ret = kfid_child_get(&cq->fid);
	if (ret)
		return ret;
	if (flags & KFI_TRANSMIT) {
		ep->tx_cq = cq;
		ep->tx_flags = flags & KFI_SELECTIVE_COMPLETION;
	}
	if (flags & KFI_RECEIVE) {
		if (flags & KFI_TRANSMIT)
			kfid_child_get(&cq->fid);
		ep->rx_cq = cq;
	}
	return 0;
}

static int kfi_ep_bind_eq(struct kfid_ep *ep, struct kfid_eq *eq, u64 flags)
{
	int ret;

	if (flags || eq->fabric != ep->domain->fabric)
		return -EINVAL;
	if (ep->eq)
		return -EBUSY;
	/* The endpoint's last word is never lost for want of memory or room. */
	ep->final_event = kfi_eq_node_alloc();
	if (!ep->final_event)
		return -ENOMEM;
	ret = kfid_child_get(&eq->fid);
	if (ret) {
		kfree(ep->final_event);
		ep->final_event = NULL;
		return ret;
	}
	ep->eq = eq;
	return 0;
}

/**
 * kfi_ep_bind() - bind a CQ, the EQ or a shared receive context to an
 *	endpoint before kfi_enable()
 * @ep: endpoint in state KFI_EP_IDLE
 * @bfid: &cq->fid (with @flags KFI_TRANSMIT and/or KFI_RECEIVE),
 *	&eq->fid (with @flags 0) or &srx->fid of a kfi_srx_context() (with
 *	@flags 0)
 * @flags: see @bfid; with KFI_TRANSMIT, KFI_SELECTIVE_COMPLETION too
 *
 * A bound CQ, EQ or shared receive context cannot be closed before the
 * endpoint.  An endpoint bound to a shared receive context takes its
 * receives from there (a receive posted on the endpoint itself is
 * -EINVAL), still needs a receive CQ for their completions, and has no
 * credits, as if opened with KFI_EP_NO_CREDITS.  With
 * KFI_SELECTIVE_COMPLETION, a send, RMA or atomic reports its success
 * only if posted with KFI_COMPLETION; a failure is always reported (but
 * an inject without KFI_COMPLETION has no context: its failure ends the
 * connection).  Receives always complete.
 *
 * Context: process context.
 * Return: 0; -EINVAL (bad argument or flags, object of another domain or
 * fabric or of a class that cannot be bound, endpoint already enabled,
 * KFI_SELECTIVE_COMPLETION without KFI_TRANSMIT); -EBUSY (already bound);
 * -EOPNOTSUPP (the provider does not select completions).
 */
int kfi_ep_bind(struct kfid_ep *ep, struct kfid *bfid, u64 flags)
{
	if (!KFI_VALID(ep, KFI_CLASS_EP) || !bfid ||
	    READ_ONCE(ep->state) != KFI_EP_IDLE)
		return -EINVAL;

	switch (bfid->fclass) {
	case KFI_CLASS_CQ:
		return kfi_ep_bind_cq(ep, container_of(bfid, struct kfid_cq,
						       fid), flags);
	case KFI_CLASS_EQ:
		return kfi_ep_bind_eq(ep, container_of(bfid, struct kfid_eq,
						       fid), flags);
	case KFI_CLASS_SRX_CTX:
		return kfi_ep_bind_srx(ep, container_of(bfid, struct kfid_ep,
							fid), flags);
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_GPL(kfi_ep_bind);

/**
 * kfi_enable() - create the endpoint's queues
 * @ep: endpoint in state KFI_EP_IDLE with a transmit CQ, a receive CQ and
 *	an EQ bound
 *
 * Receives may be posted from here on.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument, something not bound, enabled
 * already); or the provider's error.
 */
int kfi_enable(struct kfid_ep *ep)
{
	enum kfi_ep_state old;
	int ret;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || !ep->tx_cq || !ep->rx_cq ||
	    !ep->eq || READ_ONCE(ep->state) != KFI_EP_IDLE)
		return -EINVAL;
	ret = ep->fid.prov->ops->ep_enable(ep);
	if (ret)
		return ret;
	if (!kfi_ep_move(ep, KFI_EP_IDLE, KFI_EP_ENABLED, &old))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_enable);

static int kfi_cm_check(struct kfid_ep *ep, const void *param, u32 paramlen)
{
	u32 max = KFI_CM_DATA_MAX;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || (paramlen && !param))
		return -EINVAL;
	if (ep->info.ep_attr.cm_data_size)
		max = min(max, ep->info.ep_attr.cm_data_size);
	if (paramlen > max)
		return -EINVAL;
	return 0;
}

static int kfi_cm_state_err(enum kfi_ep_state old)
{
	if (old == KFI_EP_CONNECTING || old == KFI_EP_CONNECTED)
		return -EISCONN;
	return -EINVAL;
}

/**
 * kfi_connect() - connect to info->dest_addr of the endpoint
 * @ep: enabled endpoint (not opened from a connection request)
 * @param: private data for the peer, or NULL
 * @paramlen: bytes of @param, at most ep_attr.cm_data_size and
 *	KFI_CM_DATA_MAX
 *
 * The outcome comes later on ep->eq: KFI_CONNECTED, KFI_REJECTED or
 * KFI_UNREACHABLE.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL; -EDESTADDRREQ (no dest_addr); -EISCONN
 * (connecting or connected already); -EOPNOTSUPP; or the provider's error.
 */
int kfi_connect(struct kfid_ep *ep, const void *param, u32 paramlen)
{
	enum kfi_ep_state old;
	int ret;

	ret = kfi_cm_check(ep, param, paramlen);
	if (ret)
		return ret;
	if (ep->info.handle)
		return -EINVAL;
	if (!ep->info.dest_addrlen)
		return -EDESTADDRREQ;
	if (!ep->fid.prov->ops->connect)
		return -EOPNOTSUPP;
	if (!kfi_ep_move(ep, KFI_EP_ENABLED, KFI_EP_CONNECTING, &old))
		return kfi_cm_state_err(old);
	ret = ep->fid.prov->ops->connect(ep, param, paramlen);
	if (ret)
		kfi_ep_move(ep, KFI_EP_CONNECTING, KFI_EP_ENABLED, &old);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_connect);

/**
 * kfi_accept() - accept the connection request the endpoint was opened from
 * @ep: enabled endpoint opened with a KFI_CONNREQ event's info
 * @param: private data for the peer, or NULL
 * @paramlen: bytes of @param
 *
 * KFI_CONNECTED follows on ep->eq.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (no request, not enabled); -EISCONN (accepted
 * already); -EOPNOTSUPP; or the provider's error.
 */
int kfi_accept(struct kfid_ep *ep, const void *param, u32 paramlen)
{
	enum kfi_ep_state old;
	int ret;

	ret = kfi_cm_check(ep, param, paramlen);
	if (ret)
		return ret;
	if (!ep->info.handle || ep->info.handle->rejected)
		return -EINVAL;
	if (!ep->fid.prov->ops->accept)
		return -EOPNOTSUPP;
	if (!kfi_ep_move(ep, KFI_EP_ENABLED, KFI_EP_CONNECTING, &old))
		return kfi_cm_state_err(old);
	ret = ep->fid.prov->ops->accept(ep, param, paramlen);
	if (ret)
		kfi_ep_move(ep, KFI_EP_CONNECTING, KFI_EP_ENABLED, &old);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_accept);

/**
 * kfi_shutdown() - disconnect
 * @ep: connecting or connected endpoint
 * @flags: 0
 *
 * Outstanding operations complete with -ECANCELED; posts fail with
 * -ENOTCONN from now on.  The peer gets KFI_SHUTDOWN.
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL; -ENOTCONN (not connecting or connected).
 */
int kfi_shutdown(struct kfid_ep *ep, u64 flags)
{
	unsigned long irqflags;
	enum kfi_ep_state old;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || flags)
		return -EINVAL;

	spin_lock_irqsave(&ep->lock, irqflags);
	old = ep->state;
	if (old == KFI_EP_CONNECTING || old == KFI_EP_CONNECTED)
		WRITE_ONCE(ep->state, KFI_EP_SHUTDOWN);
	spin_unlock_irqrestore(&ep->lock, irqflags);

	if (old != KFI_EP_CONNECTING && old != KFI_EP_CONNECTED)
		return -ENOTCONN;
	if (ep->fid.prov->ops->shutdown)
		return ep->fid.prov->ops->shutdown(ep);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_shutdown);

static void kfi_ep_unbind(struct kfid_ep *ep)
{
	if (ep->tx_cq)
		kfid_child_put(&ep->tx_cq->fid);
	if (ep->rx_cq)
		kfid_child_put(&ep->rx_cq->fid);
	if (ep->eq) {
		kfi_eq_forget(ep->eq, &ep->fid);
		kfid_child_put(&ep->eq->fid);
	}
	if (ep->srx)
		kfid_child_put(&ep->srx->fid);
	ep->srx = NULL;
	/* Unused, or taken by a final event the EQ has freed by now. */
	kfree(ep->final_event);
	ep->final_event = NULL;
	ep->tx_cq = NULL;
	ep->rx_cq = NULL;
	ep->eq = NULL;
}

void kfi_ep_close(struct kfid_ep *ep)
{
	kfi_ep_set_state(ep, KFI_EP_SHUTDOWN);
	/* The provider flushes what is in flight with error completions. */
	ep->fid.prov->ops->ep_close(ep);
	if (ep->tx_cq)
		kfi_cq_sw_flush(ep->tx_cq);
	if (ep->rx_cq && ep->rx_cq != ep->tx_cq)
		kfi_cq_sw_flush(ep->rx_cq);
	if (ep->info.handle)
		kfi_connreq_put(ep->info.handle);
	kfi_ep_unbind(ep);
	kfid_put(&ep->fid);
}

/**
 * kfi_getname() - the local address of an endpoint or passive endpoint
 * @fid: &ep->fid or &pep->fid
 * @addr: buffer for a struct sockaddr_in or sockaddr_in6
 * @addrlen: in, the buffer's bytes; out, the address's
 *
 * An endpoint has one once it is enabled (the active side binds while
 * resolving), a passive endpoint once it listens (with the port chosen
 * when it asked for port 0).
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument); -ETOOSMALL (@addrlen is set to what
 * is needed); -ENOTCONN (no address yet, or no more); -EOPNOTSUPP.
 */
int kfi_getname(struct kfid *fid, void *addr, size_t *addrlen)
{
	if (!fid || !addr || !addrlen ||
	    (fid->fclass != KFI_CLASS_EP && fid->fclass != KFI_CLASS_PEP))
		return -EINVAL;
	if (!fid->prov->ops->getname)
		return -EOPNOTSUPP;
	return fid->prov->ops->getname(fid, addr, addrlen);
}
EXPORT_SYMBOL_GPL(kfi_getname);

/**
 * kfi_getpeer() - the address of a connected endpoint's peer
 * @ep: connected endpoint
 * @addr: buffer for a struct sockaddr_in or sockaddr_in6
 * @addrlen: in, the buffer's bytes; out, the address's
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL; -ETOOSMALL; -ENOTCONN (not connected);
 * -EOPNOTSUPP.
 */
int kfi_getpeer(struct kfid_ep *ep, void *addr, size_t *addrlen)
{
	if (!KFI_VALID(ep, KFI_CLASS_EP) || !addr || !addrlen)
		return -EINVAL;
	if (READ_ONCE(ep->state) != KFI_EP_CONNECTED)
		return -ENOTCONN;
	if (!ep->fid.prov->ops->getpeer)
		return -EOPNOTSUPP;
	return ep->fid.prov->ops->getpeer(ep, addr, addrlen);
}
EXPORT_SYMBOL_GPL(kfi_getpeer);

static int kfi_size_left(struct kfid_ep *ep, bool tx)
{
	enum kfi_ep_state state;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || (!tx && ep->srx))
		return -EINVAL;
	state = READ_ONCE(ep->state);
	if (state == KFI_EP_IDLE || state == KFI_EP_SHUTDOWN)
		return state == KFI_EP_IDLE ? -EINVAL : -ENOTCONN;
	if (!ep->fid.prov->ops->size_left)
		return -EOPNOTSUPP;
	return ep->fid.prov->ops->size_left(ep, tx);
}

/**
 * kfi_tx_size_left() - operations the send queue takes now
 * @ep: enabled endpoint
 *
 * A lower bound: that many sends, RMA or atomics can be posted before one
 * is refused for a full queue.  Sends also need credits
 * (kfi_ep_credits()).
 *
 * Context: any; never sleeps.
 * Return: the count; -EINVAL (not enabled); -ENOTCONN (shut down);
 * -EOPNOTSUPP.
 */
int kfi_tx_size_left(struct kfid_ep *ep)
{
	return kfi_size_left(ep, true);
}
EXPORT_SYMBOL_GPL(kfi_tx_size_left);

/**
 * kfi_rx_size_left() - receives the receive queue takes now
 * @ep: enabled endpoint
 *
 * Context: any; never sleeps.
 * Return: the count; -EINVAL (not enabled, or bound to a shared receive
 * context, whose receives are posted on the context); -ENOTCONN (shut
 * down); -EOPNOTSUPP.
 */
int kfi_rx_size_left(struct kfid_ep *ep)
{
	return kfi_size_left(ep, false);
}
EXPORT_SYMBOL_GPL(kfi_rx_size_left);
