// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: the data path.
 *
 * Each post call validates its arguments against the endpoint's limits,
 * checks the endpoint's state, takes a send credit where the operation
 * consumes a receive at the peer, calls the provider and counts the
 * outcome.  Nothing here sleeps, allocates or takes a lock other than the
 * provider's own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/scatterlist.h>
#include <linux/percpu.h>

#include "kfi_priv.h"
#include "trace.h"

#define KFI_SEND_FLAGS	(KFI_REMOTE_CQ_DATA | KFI_INJECT | KFI_FENCE | \
			 KFI_MORE | KFI_INVALIDATE | KFI_COMPLETION)
#define KFI_RECV_FLAGS	(KFI_MORE | KFI_COMPLETION)
#define KFI_READ_FLAGS	(KFI_FENCE | KFI_MORE | KFI_COMPLETION)
#define KFI_WRITE_FLAGS	(KFI_REMOTE_CQ_DATA | KFI_INJECT | KFI_FENCE | \
			 KFI_MORE | KFI_COMPLETION)
#define KFI_ATOMIC_FLAGS (KFI_FENCE | KFI_MORE | KFI_COMPLETION)

static int kfi_kvec_len(const struct kvec *kv, u32 count, u64 *len)
{
	u32 i;

	for (i = 0; i < count; i++) {
		if (kv[i].iov_len && !kv[i].iov_base)
			return -EINVAL;
		*len += kv[i].iov_len;
	}
	return 0;
}

static int kfi_bvec_len(const struct bio_vec *bv, u32 count, u64 *len)
{
	u32 i;

	for (i = 0; i < count; i++) {
		if (bv[i].bv_len && !bv[i].bv_page)
			return -EINVAL;
		*len += bv[i].bv_len;
	}
	return 0;
}

static int kfi_sgl_len(struct scatterlist *sgl, u32 count, u64 *len)
{
	struct scatterlist *sg = sgl;
	u32 i;

	/* Not for_each_sg(): a list shorter than @count must not oops. */
	for (i = 0; i < count; i++) {
		if (!sg)
			return -EINVAL;
		*len += sg->length;
		sg = sg_next(sg);
	}
	return 0;
}

/* Check @iov against @limit entries and sum its bytes into *@len. */
static int kfi_iov_check(const struct kfi_iov *iov, u32 limit, u64 *len)
{
	*len = 0;
	if (iov->count > max(limit, 1U))
		return -EINVAL;
	if (!iov->count)
		return iov->type <= KFI_IOV_SGL ? 0 : -EINVAL;
	if (!iov->kvec)
		return -EINVAL;

	switch (iov->type) {
	case KFI_IOV_KVEC:
		return kfi_kvec_len(iov->kvec, iov->count, len);
	case KFI_IOV_BVEC:
		return kfi_bvec_len(iov->bvec, iov->count, len);
	case KFI_IOV_SGL:
		return kfi_sgl_len(iov->sgl, iov->count, len);
	default:
		return -EINVAL;
	}
}

static bool kfi_ep_has_cap(const struct kfid_ep *ep, u64 cap)
{
	/* An endpoint opened without caps may do anything its provider can. */
	return !ep->info.caps || (ep->info.caps & cap);
}

static int kfi_ep_post_state(const struct kfid_ep *ep)
{
	return READ_ONCE(ep->state) == KFI_EP_CONNECTED ? 0 : -ENOTCONN;
}

static int kfi_check_msg_size(const struct kfid_ep *ep, u64 len, u64 flags)
{
	if (ep->info.ep_attr.max_msg_size && len > ep->info.ep_attr.max_msg_size)
		return -EMSGSIZE;
	if ((flags & KFI_INJECT) && len > ep->info.tx_attr.inject_size)
		return -EMSGSIZE;
	return 0;
}

/*
 * The providers report a success only for operations flagged
 * KFI_COMPLETION: every one but injects, unless the endpoint selects.
 */
static u64 kfi_tx_flags(const struct kfid_ep *ep, u64 flags)
{
	if (!(ep->tx_flags & KFI_SELECTIVE_COMPLETION) &&
	    !(flags & KFI_INJECT))
		flags |= KFI_COMPLETION;
	return flags;
}

/*
 * A post that fails, whoever refused it, rings the doorbell for what was
 * deferred before it with KFI_MORE: a consumer told -EAGAIN waits for
 * completions, and one whose batch ended in a failed post must not find
 * the batch stranded.
 */
static int kfi_post_end(struct kfid_ep *ep, int ret)
{
	if (ret && KFI_VALID(ep, KFI_CLASS_EP) && ep->fid.prov->ops->doorbell)
		ep->fid.prov->ops->doorbell(ep);
	return ret;
}

/* Count and trace the outcome of a post. */
static int kfi_post_done(struct kfid_ep *ep, enum kfi_trace_op op, u64 len,
			 int ret)
{
	if (!ret)
		this_cpu_inc(ep->stats->n[KFI_STAT_POSTED]);
	else if (ret == -EAGAIN)
		this_cpu_inc(ep->stats->n[KFI_STAT_EAGAIN]);
	trace_kfi_post(ep, op, len, ret);
	return ret;
}

static int kfi_sendmsg_post(struct kfid_ep *ep, const struct kfi_msg *msg,
			    u64 flags)
{
	u64 len;
	int ret;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || !msg || (flags & ~KFI_SEND_FLAGS))
		return -EINVAL;
	ret = kfi_iov_check(&msg->iov, ep->info.tx_attr.iov_limit, &len);
	if (ret)
		return ret;
	ret = kfi_check_msg_size(ep, len, flags);
	if (ret)
		return ret;
	if (!kfi_ep_has_cap(ep, KFI_MSG))
		return -EOPNOTSUPP;
	ret = kfi_ep_post_state(ep);
	if (ret)
		return ret;

	ret = kfi_credit_take(ep);
	if (ret)
		return kfi_post_done(ep, KFI_TRACE_SEND, len, ret);
	ret = ep->fid.prov->ops->send(ep, msg, kfi_tx_flags(ep, flags));
	if (ret)
		kfi_credit_return(ep);
	return kfi_post_done(ep, KFI_TRACE_SEND, len, ret);
}

/**
 * kfi_sendmsg() - post a send
 * @ep: connected endpoint
 * @msg: buffers (at most tx_attr.iov_limit), context, immediate data
 * @flags: KFI_REMOTE_CQ_DATA, KFI_INJECT (at most tx_attr.inject_size
 *	bytes, no completion), KFI_FENCE, KFI_MORE, KFI_INVALIDATE,
 *	KFI_COMPLETION (report success on a selective endpoint, or of an
 *	inject)
 *
 * Takes one send credit if the endpoint uses credits, leaving
 * credits.reserve for the provider; with none, sets credit_starved so
 * that ep->credit_ready is called when credits arrive.
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0; -EAGAIN (no credit, or the send queue is full); -ENOTCONN;
 * -EMSGSIZE (over max_msg_size, or an inject over inject_size); -EINVAL
 * (bad argument or flags, too many iov entries); -EOPNOTSUPP (no KFI_MSG
 * capability).
 */
int kfi_sendmsg(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags)
{
	return kfi_post_end(ep, kfi_sendmsg_post(ep, msg, flags));
}
EXPORT_SYMBOL_GPL(kfi_sendmsg);

/* A receive on a shared receive context: no endpoint, no credit. */
static int kfi_srx_recv_post(struct kfid_ep *srx, const struct kfi_msg *msg,
			     u64 flags)
{
	u64 len;
	int ret;

	if (!msg || (flags & ~KFI_RECV_FLAGS))
		return -EINVAL;
	ret = kfi_iov_check(&msg->iov, srx->info.rx_attr.iov_limit, &len);
	if (ret)
		return ret;
	ret = srx->fid.prov->ops->srx_recv(srx, msg, flags | KFI_COMPLETION);
	return kfi_post_done(srx, KFI_TRACE_RECV, len, ret);
}

static int kfi_recvmsg_post(struct kfid_ep *ep, const struct kfi_msg *msg,
			    u64 flags)
{
	enum kfi_ep_state state;
	u64 len;
	int ret;

	if (KFI_VALID(ep, KFI_CLASS_SRX_CTX))
		return kfi_srx_recv_post(ep, msg, flags);
	if (!KFI_VALID(ep, KFI_CLASS_EP) || !msg || (flags & ~KFI_RECV_FLAGS) ||
	    ep->srx)
		return -EINVAL;
	ret = kfi_iov_check(&msg->iov, ep->info.rx_attr.iov_limit, &len);
	if (ret)
		return ret;
	state = READ_ONCE(ep->state);
	if (state == KFI_EP_IDLE)
		return -EINVAL;
	if (state == KFI_EP_SHUTDOWN)
		return -ENOTCONN;

	/*
	 * Count the receive before the provider has it: a provider may hand
	 * it to a worker that sends the grant at once, which must find it
	 * counted, or a peer waiting for that one credit waits for good.
	 */
	kfi_credit_add_grant(ep, 1);
	ret = ep->fid.prov->ops->recv(ep, msg, flags | KFI_COMPLETION);
	if (ret)
		kfi_credit_unpost_grant(ep);
	return kfi_post_done(ep, KFI_TRACE_RECV, len, ret);
}

/**
 * kfi_recvmsg() - post a receive
 * @ep: enabled (or connecting, or connected) endpoint, or a shared
 *	receive context (kfi_srx_context())
 * @msg: buffers (at most rx_attr.iov_limit) and context
 * @flags: 0, KFI_MORE, KFI_COMPLETION (receives always complete)
 *
 * A receive posted on an endpoint counts towards credits.grant, the
 * credits the provider will advertise to the peer.  One posted on a
 * shared receive context counts for nobody: it takes the next message
 * that arrives on any endpoint bound to the context.
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0; -EAGAIN (receive queue full); -EINVAL (bad argument, not
 * enabled, an endpoint bound to a shared receive context); -ENOTCONN
 * (shut down).
 */
int kfi_recvmsg(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags)
{
	return kfi_post_end(ep, kfi_recvmsg_post(ep, msg, flags));
}
EXPORT_SYMBOL_GPL(kfi_recvmsg);

/* Common checks of RMA reads and writes; the byte count goes to *@len. */
static int kfi_rma_check(struct kfid_ep *ep, const struct kfi_msg_rma *msg,
			 u64 flags, bool has_op, u64 *len)
{
	u64 rlen = 0;
	u32 i;
	int ret;

	if (!msg->rma_iov || !msg->rma_iov_count ||
	    msg->rma_iov_count > max(ep->info.tx_attr.rma_iov_limit, 1U))
		return -EINVAL;
	ret = kfi_iov_check(&msg->iov, ep->info.tx_attr.iov_limit, len);
	if (ret)
		return ret;
	for (i = 0; i < msg->rma_iov_count; i++)
		rlen += msg->rma_iov[i].len;
	if (rlen != *len)
		return -EINVAL;
	ret = kfi_check_msg_size(ep, *len, flags);
	if (ret)
		return ret;
	if (!has_op || !kfi_ep_has_cap(ep, KFI_RMA))
		return -EOPNOTSUPP;
	return kfi_ep_post_state(ep);
}

static int kfi_readmsg_post(struct kfid_ep *ep,
			    const struct kfi_msg_rma *msg, u64 flags)
{
	u64 len;
	int ret;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || !msg || (flags & ~KFI_READ_FLAGS))
		return -EINVAL;
	ret = kfi_rma_check(ep, msg, flags, ep->fid.prov->ops->read, &len);
	if (ret)
		return ret;
	ret = ep->fid.prov->ops->read(ep, msg, kfi_tx_flags(ep, flags));
	return kfi_post_done(ep, KFI_TRACE_READ, len, ret);
}

/**
 * kfi_readmsg() - post RMA reads
 * @ep: connected endpoint
 * @msg: local buffers, remote buffers (at most tx_attr.rma_iov_limit) of
 *	the same total length, context
 * @flags: KFI_FENCE, KFI_MORE, KFI_COMPLETION
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0; -EAGAIN; -ENOTCONN; -EMSGSIZE; -EINVAL (bad argument, the
 * lengths differ); -EOPNOTSUPP (no KFI_RMA).
 */
int kfi_readmsg(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags)
{
	return kfi_post_end(ep, kfi_readmsg_post(ep, msg, flags));
}
EXPORT_SYMBOL_GPL(kfi_readmsg);

static int kfi_writemsg_post(struct kfid_ep *ep,
			     const struct kfi_msg_rma *msg, u64 flags)
{
	bool credit = flags & KFI_REMOTE_CQ_DATA;
	u64 len;
	int ret;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || !msg || (flags & ~KFI_WRITE_FLAGS))
		return -EINVAL;
	ret = kfi_rma_check(ep, msg, flags, ep->fid.prov->ops->write, &len);
	if (ret)
		return ret;

	if (credit) {
		ret = kfi_credit_take(ep);
		if (ret)
			return kfi_post_done(ep, KFI_TRACE_WRITE, len, ret);
	}
	ret = ep->fid.prov->ops->write(ep, msg, kfi_tx_flags(ep, flags));
	if (ret && credit)
		kfi_credit_return(ep);
	return kfi_post_done(ep, KFI_TRACE_WRITE, len, ret);
}

/**
 * kfi_writemsg() - post RMA writes
 * @ep: connected endpoint
 * @msg: local buffers, remote buffers of the same total length, context,
 *	immediate data
 * @flags: KFI_REMOTE_CQ_DATA (consumes a receive at the peer, so takes a
 *	send credit), KFI_INJECT, KFI_FENCE, KFI_MORE, KFI_COMPLETION
 *
 * Context: any; never sleeps, never allocates.
 * Return: as kfi_readmsg().
 */
int kfi_writemsg(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags)
{
	return kfi_post_end(ep, kfi_writemsg_post(ep, msg, flags));
}
EXPORT_SYMBOL_GPL(kfi_writemsg);

static int kfi_atomicmsg_post(struct kfid_ep *ep,
			      const struct kfi_msg_atomic *msg, u64 flags)
{
	int ret;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || !msg ||
	    (flags & ~KFI_ATOMIC_FLAGS))
		return -EINVAL;
	if (msg->op != KFI_SUM && msg->op != KFI_CSWAP)
		return -EINVAL;
	if (msg->rma_iov.len != sizeof(u64) ||
	    !IS_ALIGNED(msg->rma_iov.addr, sizeof(u64)) ||
	    !IS_ALIGNED((unsigned long)msg->result, sizeof(u64)))
		return -EINVAL;
	if (!ep->fid.prov->ops->atomic || !kfi_ep_has_cap(ep, KFI_ATOMIC))
		return -EOPNOTSUPP;
	ret = kfi_ep_post_state(ep);
	if (ret)
		return ret;
	ret = ep->fid.prov->ops->atomic(ep, msg, kfi_tx_flags(ep, flags));
	return kfi_post_done(ep, KFI_TRACE_ATOMIC, sizeof(u64), ret);
}

/**
 * kfi_atomicmsg() - post a 64-bit atomic
 * @ep: connected endpoint
 * @msg: KFI_SUM or KFI_CSWAP on an 8-byte, 8-byte aligned remote target;
 *	@result, if set, 8-byte aligned
 * @flags: KFI_FENCE, KFI_MORE, KFI_COMPLETION
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0; -EAGAIN; -ENOTCONN; -EINVAL (bad argument, op, length or
 * alignment); -EOPNOTSUPP (no KFI_ATOMIC, or the provider has no atomics).
 */
int kfi_atomicmsg(struct kfid_ep *ep, const struct kfi_msg_atomic *msg,
		  u64 flags)
{
	return kfi_post_end(ep, kfi_atomicmsg_post(ep, msg, flags));
}
EXPORT_SYMBOL_GPL(kfi_atomicmsg);

/**
 * kfi_cancel() - take back a posted receive that has not matched yet
 * @ep: enabled endpoint
 * @context: the context the receive was posted with
 *
 * The receive completes with -ECANCELED (flags KFI_RECV | KFI_MSG), in
 * the CQ's poll context as any other completion, and its buffer is free
 * once that completion is delivered.  A receive that already matched a
 * message (or is completing) is not found.  On an endpoint with credits
 * the receive counted as a credit for the peer: the credit is taken back
 * if it has not been advertised yet; if it has, the peer may still send
 * into it, and that message then waits for the next receive (tcp; the
 * core's own test provider).  Providers whose
 * device owns a posted receive cannot take it back: on verbs a work
 * request stays on its queue pair until it completes or the queue pair is
 * flushed (close or shutdown), so this is -EOPNOTSUPP there.  A receive
 * posted on a shared receive context cannot be cancelled either.
 *
 * Context: any; never sleeps.
 * Return: 0 (cancelled; the completion follows); -ENOENT (no such receive
 * waiting); -EINVAL (bad argument, endpoint not enabled or bound to a
 * shared receive context); -EOPNOTSUPP (the provider cannot, or @ep is a
 * shared receive context).
 */
int kfi_cancel(struct kfid_ep *ep, struct kfi_context *context)
{
	int ret;

	if (KFI_VALID(ep, KFI_CLASS_SRX_CTX))
		return -EOPNOTSUPP;
	if (!KFI_VALID(ep, KFI_CLASS_EP) || !context ||
	    READ_ONCE(ep->state) == KFI_EP_IDLE || ep->srx)
		return -EINVAL;
	if (!ep->fid.prov->ops->cancel)
		return -EOPNOTSUPP;
	ret = ep->fid.prov->ops->cancel(ep, context);
	if (!ret)
		kfi_credit_unpost_grant(ep);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_cancel);
