// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric TCP provider: endpoints, posting and the per-connection I/O work.
 *
 * Posting fills a preallocated slot under the endpoint's lock and queues
 * the work item; it never sleeps and never allocates.  The work item
 * sends what is queued and receives what arrived, both without blocking,
 * until neither makes progress (or a budget is used up: then it requeues
 * itself); the socket's callbacks queue it again when there is more.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>

#include "kfi_tcp.h"
#include "kfi_tcp_debug.h"
#include "kfi_compat.h"

/* ------------------------------------------------------------------ */
/* Completions */

/*
 * From the endpoint's own work item, a softirq CQ is polled as the bh-off
 * section ends, on this CPU: raised from a task, the softirq would only
 * wake ksoftirqd, one more context switch per completion.  Completions of
 * a consumer's own call (unmap, cancel) are only queued, so its handler
 * never runs inside that call.  No caller holds a lock here.
 */
static void kfit_deliver(struct kfit_ep *e, struct kfid_cq *cq,
			 const struct kfi_cq_entry *entry)
{
	bool here = current_work() == &e->work;

	if (here)
		local_bh_disable();
	kfi_ep_sw_complete(&e->base, cq, entry);
	if (here)
		local_bh_enable();
}

static void kfit_complete(struct kfit_ep *e, struct kfid_cq *cq,
			  struct kfi_context *ctx, u64 flags, u64 len,
			  u64 data, int err)
{
	struct kfi_cq_entry entry = {
		.op_context = ctx,
		.flags = flags,
		.len = len,
		.data = data,
		.err = err,
	};

	kfit_deliver(e, cq, &entry);
}

/* Hand @s back to the free list; e->lock held. */
static void kfit_slot_put(struct kfit_ep *e, struct kfit_slot *s)
{
	lockdep_assert_held(&e->lock);
	s->waiting = false;
	e->free[e->nfree++] = s - e->slots;
}

/* @s is done (@err): tell the consumer and free the slot. */
static void kfit_slot_done(struct kfit_ep *e, struct kfit_slot *s, int err)
{
	struct kfi_context *ctx = s->ctx;
	unsigned long flags;
	u64 cflags = s->flags, len = s->len;
	/* A failed inject has no context to report to. */
	bool report = s->signal ||
		      (err && s->op != KFIT_SLOT_INJECT && !s->injected);

	spin_lock_irqsave(&e->lock, flags);
	kfit_slot_put(e, s);
	spin_unlock_irqrestore(&e->lock, flags);
	if (report)
		kfit_complete(e, e->base.tx_cq, ctx, cflags, err ? 0 : len, 0,
			      err);
}

/* ------------------------------------------------------------------ */
/* Posting */

void kfit_kick(struct kfit_ep *e)
{
	queue_work(kfit_wq, &e->work);
}

/* Take a free slot; e->lock held.  Its index is an RMA request's id. */
static struct kfit_slot *kfit_slot_get(struct kfit_ep *e)
{
	lockdep_assert_held(&e->lock);
	if (!e->nfree)
		return NULL;
	return &e->slots[e->free[--e->nfree]];
}

/*
 * Queue @s's message; e->lock held.  -ENOTCONN once the connection is
 * gone: nothing may be queued after the flush.
 */
static void kfit_tx_queue(struct kfit_ep *e, struct kfit_tx *t)
{
	lockdep_assert_held(&e->lock);
	t->hdr_sent = 0;
	t->started = false;
	list_add_tail(&t->node, &e->tx_queue);
}

/*
 * Queue a consumer's message; e->lock held.  One posted with KFI_MORE
 * waits on @tx_more; a post without it moves the batch, itself last, to
 * @tx_queue.  Return: true when the work is to be kicked.
 */
static bool kfit_tx_post(struct kfit_ep *e, struct kfit_tx *t, u64 flags)
{
	lockdep_assert_held(&e->lock);
	t->hdr_sent = 0;
	t->started = false;
	list_add_tail(&t->node, &e->tx_more);
	if (flags & KFI_MORE) {
		e->deferred++;
		return false;
	}
	list_splice_tail_init(&e->tx_more, &e->tx_queue);
	e->deferred = 0;
	return true;
}

/**
 * kfit_doorbell() - hand the work every message held back by KFI_MORE
 * @ep: endpoint
 *
 * Context: any; never sleeps.
 */
void kfit_doorbell(struct kfid_ep *ep)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&e->lock, flags);
	kick = e->deferred;
	list_splice_tail_init(&e->tx_more, &e->tx_queue);
	e->deferred = 0;
	spin_unlock_irqrestore(&e->lock, flags);
	if (kick)
		kfit_kick(e);
}

int kfit_debug_deferred(struct kfid_ep *ep)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	unsigned long flags;
	int n;

	spin_lock_irqsave(&e->lock, flags);
	n = e->deferred;
	spin_unlock_irqrestore(&e->lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(kfit_debug_deferred);

int kfit_debug_credit_msgs(struct kfid_ep *ep)
{
	return READ_ONCE(to_kfit_ep(ep)->credit_msgs);
}
EXPORT_SYMBOL_GPL(kfit_debug_credit_msgs);

u64 kfit_debug_by_ref(struct kfid_ep *ep)
{
	return READ_ONCE(to_kfit_ep(ep)->by_ref);
}
EXPORT_SYMBOL_GPL(kfit_debug_by_ref);

/* Fill @s from a consumer's iov; the bytes are known to the core's checks. */
static int kfit_slot_fill(struct kfit_ep *e, struct kfit_slot *s,
			  const struct kfi_iov *iov, u8 op, u64 flags,
			  struct kfi_context *ctx)
{
	int n;

	n = kfi_sw_iov_bvec(iov, s->bv, e->base.info.tx_attr.iov_limit,
			    &s->len);
	if (n < 0)
		return n;
	s->nbv = n;
	s->op = op;
	s->result = NULL;
	s->ctx = ctx;
	s->flags = flags;
	s->waiting = false;
	s->injected = false;
	memset(&s->tx.msg, 0, sizeof(s->tx.msg));
	s->tx.kind = KFIT_TX_SLOT;
	iov_iter_bvec(&s->tx.it, ITER_SOURCE, s->bv, s->nbv, s->len);
	return 0;
}

/* An inject's payload is copied now: the buffer is the caller's again. */
static int kfit_slot_inject(struct kfit_slot *s)
{
	if (s->len > KFIT_INJECT_MAX)
		return -EMSGSIZE;
	if (copy_from_iter(s->inject, s->len, &s->tx.it) != s->len)
		return -EFAULT;
	s->injected = s->op == KFIT_SLOT_WRITE;
	s->ikv.iov_base = s->inject;
	s->ikv.iov_len = s->len;
	iov_iter_kvec(&s->tx.it, ITER_SOURCE, &s->ikv, 1, s->len);
	return 0;
}

/* The common part of every post: a slot, filled, queued. */
static int kfit_post(struct kfit_ep *e, const struct kfi_iov *iov, u8 op,
		     u64 cflags, struct kfi_context *ctx,
		     const struct kfit_msg *m, u64 post_flags)
{
	bool rma = op == KFIT_SLOT_WRITE || op == KFIT_SLOT_READ;
	struct kfit_slot *s;
	unsigned long flags;
	bool kick = false;
	int ret;

	spin_lock_irqsave(&e->lock, flags);
	if (e->phase != KFIT_CONNECTED) {
		ret = -ENOTCONN;
		goto out;
	}
	s = kfit_slot_get(e);
	if (!s) {
		ret = -EAGAIN;
		goto out;
	}
	ret = kfit_slot_fill(e, s, iov, op, cflags, ctx);
	if (!ret && (op == KFIT_SLOT_INJECT || (post_flags & KFI_INJECT)))
		ret = kfit_slot_inject(s);
	if (ret) {
		kfit_slot_put(e, s);
		goto out;
	}
	s->tx.msg = *m;
	s->tx.msg.id = rma ? s - e->slots : 0;
	s->tx.msg.len = s->len;
	/* A read request is a header only; the bytes come back into @bv. */
	if (op == KFIT_SLOT_READ)
		iov_iter_bvec(&s->tx.it, ITER_SOURCE, s->bv, 0, 0);
	s->signal = post_flags & KFI_COMPLETION;
	kick = kfit_tx_post(e, &s->tx, post_flags);
out:
	spin_unlock_irqrestore(&e->lock, flags);
	if (kick)
		kfit_kick(e);
	return ret;
}

int kfit_send(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags)
{
	struct kfit_msg m = { .op = KFIT_OP_SEND };

	if (flags & KFI_INVALIDATE) {
		if (!msg->inv_key)
			return -EINVAL;
		m.flags = KFIT_F_INV;
		m.key = msg->inv_key;
	}
	if (flags & KFI_REMOTE_CQ_DATA) {
		/* Immediate data is 32 bits, as on the verbs provider. */
		if (msg->data > U32_MAX)
			return -EINVAL;
		m.flags |= KFIT_F_IMM;
		m.data = msg->data;
	}
	return kfit_post(to_kfit_ep(ep), &msg->iov,
			 flags & KFI_INJECT ? KFIT_SLOT_INJECT : KFIT_SLOT_SEND,
			 KFI_SEND | KFI_MSG, msg->context, &m, flags);
}

static int kfit_rma(struct kfid_ep *ep, const struct kfi_msg_rma *msg,
		    u64 flags, bool write)
{
	struct kfit_msg m = {
		.op = write ? KFIT_OP_WRITE : KFIT_OP_READ,
		.addr = msg->rma_iov[0].addr,
		.key = msg->rma_iov[0].key,
	};

	if (msg->rma_iov_count != 1)
		return -EINVAL;
	/* An injected read would have nowhere to put its bytes. */
	if ((flags & KFI_INJECT) && !write)
		return -EINVAL;
	if (flags & KFI_REMOTE_CQ_DATA) {
		if (msg->data > U32_MAX)
			return -EINVAL;
		m.flags = KFIT_F_IMM;
		m.data = msg->data;
	}
	return kfit_post(to_kfit_ep(ep), &msg->iov,
			 write ? KFIT_SLOT_WRITE : KFIT_SLOT_READ,
			 KFI_RMA | (write ? KFI_WRITE : KFI_READ),
			 msg->context, &m, flags);
}

int kfit_read(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags)
{
	return kfit_rma(ep, msg, flags, false);
}

int kfit_write(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags)
{
	return kfit_rma(ep, msg, flags, true);
}

/* The compare value travels as the payload, in the inject buffer. */
static void kfit_atomic_fill(struct kfit_ep *e, struct kfit_slot *s,
			     const struct kfi_msg_atomic *msg)
{
	bool cswap = msg->op == KFI_CSWAP;
	__le64 compare = cpu_to_le64(msg->compare);

	s->op = KFIT_SLOT_ATOMIC;
	s->ctx = msg->context;
	s->flags = KFI_ATOMIC;
	s->len = sizeof(u64);
	s->nbv = 0;
	s->result = msg->result;
	s->tx.kind = KFIT_TX_SLOT;
	s->tx.msg = (struct kfit_msg){
		.op = KFIT_OP_ATOMIC,
		.flags = cswap ? KFIT_F_CSWAP : 0,
		.len = cswap ? sizeof(u64) : 0,
		.id = s - e->slots,
		.data = msg->operand,
		.addr = msg->rma_iov.addr,
		.key = msg->rma_iov.key,
	};
	memcpy(s->inject, &compare, sizeof(compare));
	s->ikv.iov_base = s->inject;
	s->ikv.iov_len = s->tx.msg.len;
	iov_iter_kvec(&s->tx.it, ITER_SOURCE, &s->ikv, 1, s->tx.msg.len);
}

int kfit_atomic(struct kfid_ep *ep, const struct kfi_msg_atomic *msg,
		u64 flags)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	unsigned long irqflags;
	struct kfit_slot *s;
	bool kick = false;
	int ret = 0;

	spin_lock_irqsave(&e->lock, irqflags);
	s = e->phase == KFIT_CONNECTED ? kfit_slot_get(e) : NULL;
	if (!s) {
		ret = e->phase == KFIT_CONNECTED ? -EAGAIN : -ENOTCONN;
	} else {
		kfit_atomic_fill(e, s, msg);
		s->signal = flags & KFI_COMPLETION;
		kick = kfit_tx_post(e, &s->tx, flags);
	}
	spin_unlock_irqrestore(&e->lock, irqflags);
	if (kick)
		kfit_kick(e);
	return ret;
}

/**
 * kfit_mr_unmap() - local invalidation
 * @ep: connected endpoint
 * @mr: mapped MR
 * @context: its completion (KFI_MR_OP) goes here, on the send CQ
 *
 * The key dies now.  An access through it still in progress (another
 * connection's payload being copied in) makes this -EAGAIN, the key dead
 * all the same: the completion only comes once no byte can move.
 *
 * Context: any; never sleeps.
 */
int kfit_mr_unmap(struct kfid_ep *ep, struct kfid_mr *mr,
		  struct kfi_context *context)
{
	struct kfit_mr *m = container_of(mr, struct kfit_mr, base);
	struct kfit_ep *e = to_kfit_ep(ep);

	kfi_sw_mr_invalidate(&m->sw);
	if (kfi_sw_mr_busy(&m->sw))
		return -EAGAIN;
	kfit_complete(e, ep->tx_cq, context, KFI_MR_OP, 0, 0, 0);
	return 0;
}

/**
 * kfit_recv_fill() - a posted receive from the consumer's message
 * @r: ring entry, its bio_vec array of @iov_limit entries allocated
 * @msg: buffers and context
 * @iov_limit: most buffers
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0, or -EINVAL for buffers that do not fit.
 */
int kfit_recv_fill(struct kfit_recv *r, const struct kfi_msg *msg,
		   u32 iov_limit)
{
	int n = kfi_sw_iov_bvec(&msg->iov, r->bv, iov_limit, &r->len);

	if (n < 0)
		return n;
	r->nbv = n;
	r->ctx = msg->context;
	return 0;
}

int kfit_recv(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	u32 size = ep->info.rx_attr.size;
	struct kfit_recv *r;
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&e->lock, irqflags);
	if (e->phase == KFIT_DEAD) {
		ret = -ENOTCONN;
		goto out;
	}
	if (e->recv_count >= size) {
		ret = -EAGAIN;
		goto out;
	}
	r = &e->recvs[(e->recv_head + e->recv_count) % size];
	ret = kfit_recv_fill(r, msg, ep->info.rx_attr.iov_limit);
	if (!ret)
		e->recv_count++;
out:
	spin_unlock_irqrestore(&e->lock, irqflags);
	/* A message may be waiting for this receive, or a grant to go out. */
	if (!ret && e->phase != KFIT_IDLE)
		kfit_kick(e);
	return ret;
}

int kfit_size_left(struct kfid_ep *ep, bool tx)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	unsigned long flags;
	int n;

	spin_lock_irqsave(&e->lock, flags);
	n = tx ? e->nfree : ep->info.rx_attr.size -
			    e->recv_count;
	spin_unlock_irqrestore(&e->lock, flags);
	return n;
}

/**
 * kfit_ctrl_queue() - queue the endpoint's own message
 * @e: endpoint
 * @op: KFIT_OP_CONNREQ, KFIT_OP_ACCEPT or KFIT_OP_CREDIT
 * @data: private data (CONNREQ, ACCEPT)
 * @len: its bytes, at most KFIT_CM_DATA_MAX
 * @credits: the grant it carries (CONNREQ, ACCEPT; CREDIT takes its own)
 *
 * Context: any; the caller knows @e->ctrl is not queued.
 */
void kfit_ctrl_queue(struct kfit_ep *e, u8 op, const void *data, u32 len,
		     u32 credits)
{
	struct kfit_tx *t = &e->ctrl;
	unsigned long flags;

	memset(&t->msg, 0, sizeof(t->msg));
	t->msg.op = op;
	t->msg.len = len;
	t->msg.credits = credits;
	if (op != KFIT_OP_CREDIT) {
		t->msg.id = KFIT_MAGIC;
		/* Our RMA request ids are our slots' indexes. */
		t->msg.key = e->base.info.tx_attr.size;
	}
	t->kind = KFIT_TX_CTRL;
	if (len)
		memcpy(e->ctrl_data, data, len);
	e->ctrl_kv.iov_base = e->ctrl_data;
	e->ctrl_kv.iov_len = len;
	iov_iter_kvec(&t->it, ITER_SOURCE, &e->ctrl_kv, 1, len);
	spin_lock_irqsave(&e->lock, flags);
	e->ctrl_queued = true;
	kfit_tx_queue(e, t);
	spin_unlock_irqrestore(&e->lock, flags);
}

/**
 * kfit_rsp_alloc() - room for answers to the peer's RMA requests
 * @e: endpoint, not connected yet
 * @n: the RMA ids the peer announced (checked by the parser)
 *
 * Context: process.
 * Return: 0 or -ENOMEM.
 */
int kfit_rsp_alloc(struct kfit_ep *e, u32 n)
{
	e->rsp = kvcalloc(n, sizeof(*e->rsp), GFP_KERNEL);
	if (!e->rsp)
		return -ENOMEM;
	e->nrsp = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sending */

/* Grant the peer what was posted since the last grant, 16 bits' worth. */
static u16 kfit_take_grant(struct kfit_ep *e)
{
	u32 n = kfi_credit_take_grant(&e->base);

	if (n > KFIT_MAX_CREDITS) {
		kfi_credit_add_grant(&e->base, n - KFIT_MAX_CREDITS);
		n = KFIT_MAX_CREDITS;
	}
	return n;
}

/*
 * Whether @t's payload may go to the socket by reference.  Only an RMA
 * write's (not injected: that is a copy in the slot): its buffer stays the
 * consumer's until the peer's answer, which the peer sends only once it
 * has every byte, so TCP never resends from pages already given back.  A
 * send completes once it is in the socket, and a read response's MR may
 * be invalidated while its bytes wait for the ACK: those are
 * copied.  Every page must be one the socket can hold (not slab memory).
 */
static bool kfit_tx_by_ref(struct kfit_tx *t)
{
	struct kfit_slot *s = container_of(t, struct kfit_slot, tx);
	u32 i, pg, npg;

	if (t->kind != KFIT_TX_SLOT || s->op != KFIT_SLOT_WRITE ||
	    s->injected || !s->len)
		return false;
	for (i = 0; i < s->nbv; i++) {
		npg = DIV_ROUND_UP(s->bv[i].bv_offset + s->bv[i].bv_len,
				   PAGE_SIZE);
		for (pg = 0; pg < npg; pg++)
			if (!sendpage_ok(nth_page(s->bv[i].bv_page, pg)))
				return false;
	}
	return true;
}

static void kfit_tx_start(struct kfit_ep *e, struct kfit_tx *t)
{
	if (t->msg.op != KFIT_OP_CONNREQ && t->msg.op != KFIT_OP_ACCEPT &&
	    t->msg.op != KFIT_OP_REJECT)
		t->msg.credits = kfit_take_grant(e);
	kfit_hdr_build(&t->hdr, &t->msg);
	t->by_ref = kfit_tx_by_ref(t);
	t->started = true;
}

/* Some of @t's payload into the socket: bytes taken, or a negative errno. */
static int kfit_tx_payload(struct kfit_ep *e, struct kfit_tx *t, int flags)
{
	struct msghdr mh = { .msg_flags = flags };
	int ret;

	if (!t->by_ref) {
		mh.msg_iter = t->it;
		return sock_sendmsg(e->sock, &mh);
	}
	ret = kfi_sock_send_pages(e->sock, &t->it, flags);
	if (ret > 0)
		WRITE_ONCE(e->by_ref, e->by_ref + ret);
	return ret;
}

/* Push what the socket takes of @t: 1 when all of it is sent. */
static int kfit_tx_push(struct kfit_ep *e, struct kfit_tx *t, bool more)
{
	struct msghdr mh = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	int ret;

	if (!t->started)
		kfit_tx_start(e, t);
	while (t->hdr_sent < KFIT_HDR_LEN) {
		struct kvec kv = { (u8 *)&t->hdr + t->hdr_sent,
				   KFIT_HDR_LEN - t->hdr_sent };

		mh.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL |
			       (iov_iter_count(&t->it) || more ? MSG_MORE : 0);
		ret = kernel_sendmsg(e->sock, &mh, &kv, 1, kv.iov_len);
		if (ret <= 0)
			return ret == -EAGAIN ? 0 : ret ?: -EPIPE;
		t->hdr_sent += ret;
	}
	while (iov_iter_count(&t->it)) {
		ret = kfit_tx_payload(e, t, MSG_DONTWAIT | MSG_NOSIGNAL |
					    (more ? MSG_MORE : 0));
		if (ret <= 0)
			return ret == -EAGAIN ? 0 : ret ?: -EPIPE;
		iov_iter_advance(&t->it, ret);
	}
	return 1;
}

/* @t is in the socket: what it was for happens now. */
static void kfit_tx_sent(struct kfit_ep *e, struct kfit_tx *t)
{
	struct kfit_slot *s = container_of(t, struct kfit_slot, tx);
	struct kfit_rsp *r = container_of(t, struct kfit_rsp, tx);
	unsigned long flags;

	switch (t->kind) {
	case KFIT_TX_SLOT:
		if (s->op == KFIT_SLOT_SEND || s->op == KFIT_SLOT_INJECT) {
			kfit_slot_done(e, s, 0);
			break;
		}
		spin_lock_irqsave(&e->lock, flags);
		s->waiting = true;
		spin_unlock_irqrestore(&e->lock, flags);
		break;
	case KFIT_TX_RSP:
		if (r->mr)
			kfi_sw_mr_put(r->mr);
		r->mr = NULL;
		spin_lock_irqsave(&e->lock, flags);
		r->busy = false;
		spin_unlock_irqrestore(&e->lock, flags);
		break;
	default:
		spin_lock_irqsave(&e->lock, flags);
		e->ctrl_queued = false;
		spin_unlock_irqrestore(&e->lock, flags);
		break;
	}
}

/* Send from the queue until the socket is full: <0 on a socket error. */
static int kfit_tx(struct kfit_ep *e, bool *progress)
{
	struct kfit_tx *t;
	unsigned long flags;
	bool more;
	int ret;

	for (;;) {
		spin_lock_irqsave(&e->lock, flags);
		t = list_first_entry_or_null(&e->tx_queue, struct kfit_tx,
					     node);
		more = t && !list_is_last(&t->node, &e->tx_queue);
		spin_unlock_irqrestore(&e->lock, flags);
		if (!t)
			return 0;
		ret = kfit_tx_push(e, t, more);
		if (ret <= 0)
			return ret;
		spin_lock_irqsave(&e->lock, flags);
		list_del(&t->node);
		spin_unlock_irqrestore(&e->lock, flags);
		kfit_tx_sent(e, t);
		*progress = true;
	}
}

/*
 * Grant the peer its credits in a message of their own when nothing else
 * is going out to carry them and the peer may be running short: at least
 * half of the receives posted here are unknown to it.  Below that the
 * next message carries them; a grant for every receive reposted would be
 * one more message, and one more wakeup of the peer, for each message it
 * answers.  A peer with no credit left has spent every receive it knew
 * of: once its messages are in (this work looks again after each one),
 * every receive posted here is pending, and the grant goes out.  On a
 * shared receive context the peer's window is KFIT_MAX_CREDITS: half of
 * it pending sends the grant.
 */
static void kfit_credit_update(struct kfit_ep *e)
{
	u32 pending = kfi_credit_pending_grant(&e->base);
	unsigned long flags;
	bool send;

	if (!pending)
		return;
	spin_lock_irqsave(&e->lock, flags);
	send = e->phase == KFIT_CONNECTED && !e->ctrl_queued &&
	       list_empty(&e->tx_queue) &&
	       pending * 2 >= (e->base.srx ? KFIT_MAX_CREDITS : e->recv_count);
	spin_unlock_irqrestore(&e->lock, flags);
	if (!send)
		return;
	WRITE_ONCE(e->credit_msgs, e->credit_msgs + 1);
	kfit_ctrl_queue(e, KFIT_OP_CREDIT, NULL, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Receiving */

/* Read into @it what the socket has: bytes read, 0 for none, <0 error. */
static int kfit_recv_some(struct kfit_ep *e, struct iov_iter *it)
{
	struct msghdr mh = { .msg_flags = MSG_DONTWAIT };
	int ret;

	mh.msg_iter = *it;
	ret = sock_recvmsg(e->sock, &mh, MSG_DONTWAIT);
	if (ret == -EAGAIN)
		return 0;
	if (!ret)
		return -ECONNRESET;	/* the peer closed: see kfit_fail() */
	if (ret > 0)
		iov_iter_advance(it, ret);
	return ret;
}

/* What a receive's completion names: @e if it came from a shared context. */
static struct kfid_ep *kfit_recv_ep(struct kfit_ep *e)
{
	return e->base.srx ? &e->base : NULL;
}

/* The @i-th oldest posted receive; e->lock held. */
static struct kfit_recv *kfit_recv_at(struct kfit_ep *e, u32 i)
{
	return &e->recvs[(e->recv_head + i) % e->base.info.rx_attr.size];
}

/*
 * The oldest receive, for the message being received: from now on it is
 * the work's, and kfit_cancel() no longer finds it.  NULL if none.
 */
static struct kfit_recv *kfit_recv_take(struct kfit_ep *e)
{
	struct kfit_recv *r = NULL;
	unsigned long flags;

	spin_lock_irqsave(&e->lock, flags);
	if (e->recv_count) {
		r = kfit_recv_at(e, 0);
		e->recv_taken = true;
	}
	spin_unlock_irqrestore(&e->lock, flags);
	return r;
}

static void kfit_recv_pop(struct kfit_ep *e)
{
	unsigned long flags;

	spin_lock_irqsave(&e->lock, flags);
	e->recv_head = (e->recv_head + 1) % e->base.info.rx_attr.size;
	e->recv_count--;
	e->recv_taken = false;
	spin_unlock_irqrestore(&e->lock, flags);
}

/*
 * Close the gap the @i-th receive leaves, keeping the others in order;
 * e->lock held.  Each entry owns its bio_vec array, so the freed one moves
 * to the entry that falls off the end.
 */
static void kfit_recv_remove(struct kfit_ep *e, u32 i)
{
	struct bio_vec *bv = kfit_recv_at(e, i)->bv;

	for (; i + 1 < e->recv_count; i++)
		*kfit_recv_at(e, i) = *kfit_recv_at(e, i + 1);
	kfit_recv_at(e, i)->bv = bv;
	e->recv_count--;
}

/**
 * kfit_cancel() - take back a receive that has not matched a message
 * @ep: endpoint
 * @ctx: the context it was posted with
 *
 * Context: any; never sleeps.
 * Return: 0, its -ECANCELED completion queued; -ENOENT if not waiting.
 */
int kfit_cancel(struct kfid_ep *ep, struct kfi_context *ctx)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	unsigned long flags;
	bool found = false;
	u32 i;

	spin_lock_irqsave(&e->lock, flags);
	for (i = e->recv_taken; i < e->recv_count && !found; i++)
		found = kfit_recv_at(e, i)->ctx == ctx;
	if (found)
		kfit_recv_remove(e, i - 1);
	spin_unlock_irqrestore(&e->lock, flags);
	if (!found)
		return -ENOENT;
	kfit_complete(e, e->base.rx_cq, ctx, KFI_RECV | KFI_MSG, 0, 0,
		      -ECANCELED);
	return 0;
}

/* The peer broke the protocol (@why): it loses the connection. */
static int kfit_violation(struct kfit_ep *e, const char *why)
{
	kfit_log_drop(e->sock, why);
	return -EPROTO;
}

/* Queue the answer to the peer's RMA request @id: false if one is pending. */
static bool kfit_rsp_queue(struct kfit_ep *e, u8 op, u32 id, int err,
			   struct kfi_sw_mr *mr, u64 off, u32 len, u64 data)
{
	struct kfit_rsp *r = &e->rsp[id];
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&e->lock, flags);
	ok = !r->busy;
	if (ok) {
		memset(&r->tx.msg, 0, sizeof(r->tx.msg));
		r->tx.msg.op = op;
		r->tx.msg.id = id;
		r->tx.msg.status = err ? KFIT_ST_ACCESS : KFIT_ST_OK;
		r->tx.msg.len = mr ? len : 0;
		r->tx.msg.data = data;
		r->tx.kind = KFIT_TX_RSP;
		r->busy = true;
		r->mr = mr;
		if (mr)
			kfi_sw_mr_iter(mr, &r->tx.it, ITER_SOURCE, off, len);
		else
			iov_iter_kvec(&r->tx.it, ITER_SOURCE, &e->ctrl_kv, 0, 0);
		kfit_tx_queue(e, &r->tx);
	}
	spin_unlock_irqrestore(&e->lock, flags);
	return ok;
}

/* The payload of the current message goes to @n bytes of @bv, rest drained. */
static void kfit_rx_target(struct kfit_ep *e, const struct bio_vec *bv,
			   u32 nbv, u64 room)
{
	u64 len = e->rx.msg.len;

	iov_iter_bvec(&e->rx.it, ITER_DEST, bv, nbv, min(room, len));
	e->rx.drain = len - min(room, len);
}

static int kfit_rx_write(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	struct kfit_domain *d = to_kfit_domain(e->base.domain);
	u64 off;

	rx->err = kfi_sw_key_get(&d->keys, rx->msg.key, rx->msg.addr,
				 rx->msg.len, KFI_REMOTE_WRITE, &rx->mr, &off);
	if (rx->err) {
		rx->mr = NULL;
		kfit_rx_target(e, NULL, 0, 0);
		return 0;
	}
	kfi_sw_mr_iter(rx->mr, &rx->it, ITER_DEST, off, rx->msg.len);
	rx->drain = 0;
	return 0;
}

static int kfit_rx_read(struct kfit_ep *e)
{
	struct kfit_domain *d = to_kfit_domain(e->base.domain);
	struct kfit_msg *m = &e->rx.msg;
	struct kfi_sw_mr *mr = NULL;
	u64 off = 0;
	int err;

	err = kfi_sw_key_get(&d->keys, m->key, m->addr, m->len,
			     KFI_REMOTE_READ, &mr, &off);
	if (!kfit_rsp_queue(e, KFIT_OP_READ_RSP, m->id, err, err ? NULL : mr,
			    off, m->len, 0)) {
		if (!err)
			kfi_sw_mr_put(mr);
		return kfit_violation(e, "RMA request id reused");
	}
	return 0;
}

/* The request a response names must be in flight and of its kind. */
static struct kfit_slot *kfit_rx_rma_slot(struct kfit_ep *e, u8 op)
{
	struct kfit_slot *s;
	unsigned long flags;

	spin_lock_irqsave(&e->lock, flags);
	/* The parser checked the id against tx_attr.size. */
	s = &e->slots[e->rx.msg.id];
	if (!s->waiting || s->op != op)
		s = NULL;
	spin_unlock_irqrestore(&e->lock, flags);
	return s;
}

static int kfit_rx_read_rsp(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	struct kfit_slot *s = kfit_rx_rma_slot(e, KFIT_SLOT_READ);

	if (!s)
		return kfit_violation(e, "read response to no read");
	if (rx->msg.status == KFIT_ST_OK && rx->msg.len != s->len)
		return kfit_violation(e, "read response of the wrong length");
	rx->slot = s;
	rx->err = rx->msg.status == KFIT_ST_OK ? 0 : -EACCES;
	kfit_rx_target(e, s->bv, s->nbv, s->len);
	return 0;
}

/* A header arrived (and was valid): set up where its payload goes. */
static int kfit_rx_dispatch(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	struct kfit_recv *r = NULL;
	struct kfit_slot *s;

	rx->err = 0;
	rx->recv = NULL;
	rx->slot = NULL;
	rx->mr = NULL;
	rx->drain = 0;
	iov_iter_kvec(&rx->it, ITER_DEST, &rx->cm_kv, 0, 0);
	if (rx->msg.op == KFIT_OP_SEND ||
	    (rx->msg.op == KFIT_OP_WRITE && (rx->msg.flags & KFIT_F_IMM))) {
		if (e->base.srx)
			kfit_srx_pull(e);
		r = kfit_recv_take(e);
		if (!r)
			return -EAGAIN;	/* wait for a receive to be posted */
		rx->recv = r;
	}
	switch (rx->msg.op) {
	case KFIT_OP_SEND:
		kfit_rx_target(e, r->bv, r->nbv, r->len);
		if (rx->drain)
			rx->err = -EMSGSIZE;
		return 0;
	case KFIT_OP_WRITE:
		return kfit_rx_write(e);
	case KFIT_OP_READ:
		return kfit_rx_read(e);
	case KFIT_OP_READ_RSP:
		return kfit_rx_read_rsp(e);
	case KFIT_OP_WRITE_RSP:
	case KFIT_OP_ATOMIC_RSP:
		s = kfit_rx_rma_slot(e, rx->msg.op == KFIT_OP_WRITE_RSP ?
				     KFIT_SLOT_WRITE : KFIT_SLOT_ATOMIC);
		if (!s)
			return kfit_violation(e, "response to no request");
		rx->slot = s;
		rx->err = rx->msg.status == KFIT_ST_OK ? 0 : -EACCES;
		return 0;
	case KFIT_OP_ATOMIC:	/* the compare value, if any, into @cm */
	case KFIT_OP_ACCEPT:
	case KFIT_OP_REJECT:
		rx->cm_kv.iov_base = rx->cm;
		rx->cm_kv.iov_len = rx->msg.len;
		iov_iter_kvec(&rx->it, ITER_DEST, &rx->cm_kv, 1, rx->msg.len);
		return 0;
	default:	/* CREDIT */
		return 0;
	}
}

static void kfit_report(struct kfit_ep *e, enum kfi_eq_event ev, int err,
			const void *data, u32 len)
{
	struct kfi_eq_cm_entry entry = {
		.event = ev,
		.fid = &e->base.fid,
		.err = err,
		.datalen = len,
	};

	if (!e->base.eq)
		return;
	if (len)
		memcpy(entry.data, data, len);
	if (kfi_eq_report(e->base.eq, &entry, GFP_KERNEL))
		pr_warn_ratelimited("event %d lost\n", ev);
}

/* The active side's handshake ends: connected or refused. */
static int kfit_rx_cm_done(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	unsigned long flags;

	if (rx->msg.op == KFIT_OP_REJECT) {
		kfi_ep_set_state(&e->base, KFI_EP_SHUTDOWN);
		kfit_report(e, KFI_REJECTED, -ECONNREFUSED, rx->cm,
			    rx->msg.len);
		e->rejected = true;
		return -ECONNREFUSED;
	}
	if (kfit_rsp_alloc(e, rx->msg.key))
		return -ENOMEM;
	kfi_credit_init(&e->base, rx->msg.credits, 0);
	spin_lock_irqsave(&e->lock, flags);
	e->phase = KFIT_CONNECTED;
	spin_unlock_irqrestore(&e->lock, flags);
	kfi_ep_set_state(&e->base, KFI_EP_CONNECTED);
	kfit_report(e, KFI_CONNECTED, 0, rx->cm, rx->msg.len);
	return 0;
}

/* A send with invalidate: the key dies before the receive completes. */
static void kfit_rx_invalidate(struct kfit_ep *e, struct kfi_cq_entry *entry)
{
	struct kfit_domain *d = to_kfit_domain(e->base.domain);
	struct kfi_sw_mr *m;

	if (kfi_sw_key_invalidate(&d->keys, e->rx.msg.key, &m)) {
		entry->err = entry->err ?: -EACCES;
		return;
	}
	WRITE_ONCE(m->mr->mapped, false);
	kfi_sw_mr_put(m);
	entry->flags |= KFI_MR_INVALIDATED;
	entry->inv_key = e->rx.msg.key;
}

/*
 * The receive a SEND (or a WRITE with immediate data) took.  A write the
 * key refused still takes its receive, in error: the sender spent a
 * credit on it.
 */
static void kfit_rx_recv_done(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	struct kfit_recv *r = rx->recv;
	struct kfi_cq_entry entry = {
		.op_context = r->ctx,
		.flags = rx->msg.op == KFIT_OP_SEND ? KFI_RECV | KFI_MSG :
			 KFI_RECV | KFI_RMA | KFI_REMOTE_WRITE,
		.len = rx->err ? 0 : rx->msg.len,
		.data = rx->msg.data,
		.err = rx->err,
		.ep = kfit_recv_ep(e),
	};

	if (rx->msg.flags & KFIT_F_IMM)
		entry.flags |= KFI_REMOTE_CQ_DATA;
	if (rx->msg.flags & KFIT_F_INV)
		kfit_rx_invalidate(e, &entry);
	kfit_recv_pop(e);
	/* The peer's window on a shared context: see kfit_first_grant(). */
	if (e->base.srx)
		kfi_credit_add_grant(&e->base, 1);
	kfit_deliver(e, e->base.rx_cq, &entry);
}

/* The peer's atomic, all in: do it and answer with the value before. */
static int kfit_rx_atomic(struct kfit_ep *e)
{
	struct kfit_domain *d = to_kfit_domain(e->base.domain);
	struct kfit_msg *m = &e->rx.msg;
	bool cswap = m->flags & KFIT_F_CSWAP;
	struct kfi_sw_mr *mr;
	u64 off, old = 0;
	__le64 compare = 0;
	int err;

	if (cswap)
		memcpy(&compare, e->rx.cm, sizeof(compare));
	err = kfi_sw_key_get(&d->keys, m->key, m->addr, sizeof(u64),
			     KFI_REMOTE_READ | KFI_REMOTE_WRITE, &mr, &off);
	if (!err) {
		err = kfi_sw_mr_atomic(mr, off, cswap ? KFI_CSWAP : KFI_SUM,
				       m->data, le64_to_cpu(compare), &old);
		kfi_sw_mr_put(mr);
	}
	if (!kfit_rsp_queue(e, KFIT_OP_ATOMIC_RSP, m->id, err, NULL, 0, 0,
			    err ? 0 : old))
		return kfit_violation(e, "RMA request id reused");
	return 0;
}

/* The current message is in: complete what it was for. */
static int kfit_rx_done(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	int ret = 0;

	if (rx->recv)
		kfit_rx_recv_done(e);
	switch (rx->msg.op) {
	case KFIT_OP_WRITE:
		if (rx->mr)
			kfi_sw_mr_put(rx->mr);
		rx->mr = NULL;
		if (!kfit_rsp_queue(e, KFIT_OP_WRITE_RSP, rx->msg.id, rx->err,
				    NULL, 0, 0, 0))
			ret = kfit_violation(e, "RMA request id reused");
		break;
	case KFIT_OP_ATOMIC:
		ret = kfit_rx_atomic(e);
		break;
	case KFIT_OP_ATOMIC_RSP:
		if (!rx->err && rx->slot->result)
			*rx->slot->result = rx->msg.data;
		fallthrough;
	case KFIT_OP_READ_RSP:
	case KFIT_OP_WRITE_RSP:
		/* An unreported inject's failure ends the connection. */
		if (rx->err && rx->slot->injected && !rx->slot->signal)
			ret = rx->err;
		kfit_slot_done(e, rx->slot, rx->err);
		rx->slot = NULL;
		break;
	case KFIT_OP_ACCEPT:
	case KFIT_OP_REJECT:
		ret = kfit_rx_cm_done(e);
		break;
	}
	rx->state = KFIT_RX_HDR;
	rx->got = 0;
	return ret;
}

static int kfit_rx_hdr(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	struct kfit_limits lim = {
		.max_msg = e->base.info.ep_attr.max_msg_size,
		.max_rma = e->base.info.tx_attr.size,
		.peer_rma = e->nrsp,
		.connected = e->phase == KFIT_CONNECTED,
		.passive = false,
	};
	struct kvec kv = { rx->hdr + rx->got, KFIT_HDR_LEN - rx->got };
	struct iov_iter it;
	int ret;

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, kv.iov_len);
	ret = kfit_recv_some(e, &it);
	if (ret <= 0)
		return ret;
	rx->got += ret;
	if (rx->got < KFIT_HDR_LEN)
		return ret;
	if (kfit_hdr_parse(rx->hdr, KFIT_HDR_LEN, &lim, &rx->msg))
		return kfit_violation(e, "bad header");
	if (lim.connected && rx->msg.credits)
		kfi_credit_add(&e->base, rx->msg.credits);
	rx->state = KFIT_RX_DISPATCH;
	return ret;
}

/* Payload bytes into their place, then into the scratch page. */
static int kfit_rx_payload(struct kfit_ep *e)
{
	struct kfit_rx *rx = &e->rx;
	struct iov_iter it;
	int ret;

	if (iov_iter_count(&rx->it))
		return kfit_recv_some(e, &rx->it);
	if (rx->drain) {
		rx->scratch_kv.iov_base = e->scratch;
		rx->scratch_kv.iov_len = min_t(u64, rx->drain, PAGE_SIZE);
		iov_iter_kvec(&it, ITER_DEST, &rx->scratch_kv, 1,
			      rx->scratch_kv.iov_len);
		ret = kfit_recv_some(e, &it);
		if (ret > 0)
			rx->drain -= ret;
		return ret;
	}
	return 1;
}

/* Receive what the socket has: <0 ends the connection. */
static int kfit_rx(struct kfit_ep *e, bool *progress)
{
	struct kfit_rx *rx = &e->rx;
	int ret;

	for (;;) {
		switch (rx->state) {
		case KFIT_RX_HDR:
			ret = kfit_rx_hdr(e);
			if (ret <= 0)
				return ret;
			break;
		case KFIT_RX_DISPATCH:
			ret = kfit_rx_dispatch(e);
			if (ret == -EAGAIN)
				return 0;
			if (ret)
				return ret;
			rx->state = KFIT_RX_PAYLOAD;
			break;
		default:
			ret = kfit_rx_payload(e);
			if (ret <= 0)
				return ret;
			if (!iov_iter_count(&rx->it) && !rx->drain) {
				ret = kfit_rx_done(e);
				if (ret)
					return ret;
			}
			break;
		}
		*progress = true;
	}
}

/* ------------------------------------------------------------------ */
/* Failure, flush and the work item */

/* Complete everything outstanding with @err; the work is not running. */
static void kfit_flush(struct kfit_ep *e, int err)
{
	struct kfit_rx *rx = &e->rx;
	struct kfit_tx *t, *n;
	struct kfit_recv *r;
	unsigned long flags;
	u32 i;

	if (rx->mr)
		kfi_sw_mr_put(rx->mr);
	rx->mr = NULL;
	spin_lock_irqsave(&e->lock, flags);
	/* Held back by KFI_MORE or not, they never reached the peer. */
	list_splice_tail_init(&e->tx_more, &e->tx_queue);
	e->deferred = 0;
	list_for_each_entry_safe(t, n, &e->tx_queue, node) {
		list_del(&t->node);
		if (t->kind == KFIT_TX_SLOT)
			container_of(t, struct kfit_slot, tx)->waiting = true;
	}
	e->ctrl_queued = false;
	spin_unlock_irqrestore(&e->lock, flags);
	for (i = 0; i < e->nrsp; i++) {
		if (e->rsp[i].mr)
			kfi_sw_mr_put(e->rsp[i].mr);
		e->rsp[i].mr = NULL;
		e->rsp[i].busy = false;
	}
	/* Slots in flight: queued ones were marked waiting above. */
	for (i = 0; i < e->base.info.tx_attr.size; i++)
		if (e->slots[i].waiting)
			kfit_slot_done(e, &e->slots[i], err);
	while ((r = kfit_recv_take(e))) {
		struct kfi_cq_entry entry = {
			.op_context = r->ctx,
			.flags = KFI_RECV | KFI_MSG,
			.err = err,
			.ep = kfit_recv_ep(e),
		};

		kfit_recv_pop(e);
		kfit_deliver(e, e->base.rx_cq, &entry);
	}
}

/*
 * The connection is over (@err: why; 0 for our own shutdown): stop
 * posting, flush, report the endpoint's final event.  Work context.
 */
static void kfit_fail(struct kfit_ep *e, int err)
{
	enum kfit_phase was;
	unsigned long flags;

	spin_lock_irqsave(&e->lock, flags);
	was = e->phase;
	e->phase = KFIT_DEAD;
	spin_unlock_irqrestore(&e->lock, flags);
	if (was == KFIT_DEAD)
		return;
	kfi_ep_set_state(&e->base, KFI_EP_SHUTDOWN);
	if (e->sock)
		kernel_sock_shutdown(e->sock, SHUT_RDWR);
	kfit_flush(e, -ECANCELED);
	if (e->rejected)
		return;		/* KFI_REJECTED was the final event */
	if (was == KFIT_CONNECTING)
		kfit_report(e, KFI_UNREACHABLE, err ?: -ECONNRESET, NULL, 0);
	else
		kfit_report(e, KFI_SHUTDOWN, err, NULL, 0);
}

/*
 * An MR of the domain is being closed: let go of it where we hold it for
 * as long as the peer likes.  The rest of a write into it is thrown away
 * (the peer hears ACCESS); a response not yet begun becomes ACCESS; one
 * whose bytes are half out cannot be taken back: the connection ends.
 */
static int kfit_revoke_scan(struct kfit_ep *e)
{
	struct kfit_domain *d = to_kfit_domain(e->base.domain);
	u32 gen = atomic_read(&d->keys.revocations);
	struct kfit_rx *rx = &e->rx;
	u32 i;

	if (gen == e->revoke_seen)
		return 0;
	e->revoke_seen = gen;
	if (rx->mr && kfi_sw_mr_revoked(rx->mr)) {
		rx->drain += iov_iter_count(&rx->it);
		iov_iter_kvec(&rx->it, ITER_DEST, &rx->cm_kv, 0, 0);
		rx->err = -EACCES;
		kfi_sw_mr_put(rx->mr);
		rx->mr = NULL;
	}
	/* Only this work changes a response once it is queued. */
	for (i = 0; i < e->nrsp; i++) {
		struct kfit_rsp *r = &e->rsp[i];

		if (!r->busy || !r->mr || !kfi_sw_mr_revoked(r->mr))
			continue;
		if (r->tx.started) {
			kfit_log_drop(e->sock,
				      "MR closed under a read response in progress");
			return -ECONNABORTED;
		}
		r->tx.msg.status = KFIT_ST_ACCESS;
		r->tx.msg.len = 0;
		iov_iter_kvec(&r->tx.it, ITER_SOURCE, &e->ctrl_kv, 0, 0);
		kfi_sw_mr_put(r->mr);
		r->mr = NULL;
	}
	return 0;
}

void kfit_io_work(struct work_struct *work)
{
	struct kfit_ep *e = container_of(work, struct kfit_ep, work);
	bool progress = true;
	int n, ret = 0;

	if (READ_ONCE(e->local_shutdown)) {
		kfit_fail(e, 0);
		return;
	}
	if (READ_ONCE(e->phase) == KFIT_DEAD || !e->sock)
		return;
	ret = kfit_revoke_scan(e);
	for (n = 0; !ret && progress && n < KFIT_WORK_BUDGET; n++) {
		progress = false;
		kfit_credit_update(e);
		ret = kfit_tx(e, &progress);
		if (!ret)
			ret = kfit_rx(e, &progress);
		if (ret < 0)
			break;
	}
	if (ret < 0)
		kfit_fail(e, ret == -ECONNRESET && e->phase == KFIT_CONNECTED ?
			  0 : ret);
	else if (progress)
		kfit_kick(e);
}

/* ------------------------------------------------------------------ */
/* Endpoint lifetime */

int kfit_ep_open(struct kfid_ep *ep)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	struct kfi_info *fi = &ep->info;

	spin_lock_init(&e->lock);
	INIT_LIST_HEAD(&e->tx_queue);
	INIT_LIST_HEAD(&e->tx_more);
	INIT_WORK(&e->work, kfit_io_work);
	INIT_LIST_HEAD(&e->srx_node);
	e->phase = KFIT_IDLE;
	if (!fi->tx_attr.size)
		fi->tx_attr.size = KFIT_DEFAULT_DEPTH;
	if (!fi->rx_attr.size)
		fi->rx_attr.size = KFIT_DEFAULT_DEPTH;
	if (fi->tx_attr.size > KFIT_MAX_DEPTH ||
	    fi->rx_attr.size > KFIT_MAX_DEPTH)
		return -EINVAL;
	fi->tx_attr.iov_limit = clamp_val(fi->tx_attr.iov_limit ?:
					  KFIT_DEFAULT_IOV, 1, KFIT_MAX_IOV);
	fi->rx_attr.iov_limit = clamp_val(fi->rx_attr.iov_limit ?:
					  KFIT_DEFAULT_IOV, 1, KFIT_MAX_IOV);
	fi->tx_attr.rma_iov_limit = 1;
	fi->tx_attr.inject_size = KFIT_INJECT_MAX;
	fi->ep_attr.cm_data_size = KFIT_CM_DATA_MAX;
	fi->ep_attr.max_rd_atomic = fi->tx_attr.size;
	if (!fi->ep_attr.max_msg_size || fi->ep_attr.max_msg_size > KFIT_MAX_MSG)
		fi->ep_attr.max_msg_size = KFIT_MAX_MSG;
	if (fi->handle) {
		struct kfit_creq *c = container_of(fi->handle, struct kfit_creq,
						   base);

		/* Claim the accepted socket; the request keeps nothing. */
		e->sock = c->sock;
		c->sock = NULL;
		e->peer_credits = c->msg.credits;
		e->peer_rma = c->msg.key;
	}
	atomic_inc(&kfit_live);
	return 0;
}

static int kfit_ep_alloc(struct kfit_ep *e)
{
	const struct kfi_info *fi = &e->base.info;
	u32 i, tx = fi->tx_attr.size, rx = fi->rx_attr.size;

	e->slots = kvcalloc(tx, sizeof(*e->slots), GFP_KERNEL);
	e->free = kvcalloc(tx, sizeof(*e->free), GFP_KERNEL);
	e->recvs = kvcalloc(rx, sizeof(*e->recvs), GFP_KERNEL);
	e->scratch = (void *)__get_free_page(GFP_KERNEL);
	if (!e->slots || !e->free || !e->recvs || !e->scratch)
		return -ENOMEM;
	for (i = 0; i < tx; i++) {
		struct kfit_slot *s = &e->slots[i];

		s->bv = kcalloc(fi->tx_attr.iov_limit, sizeof(*s->bv),
				GFP_KERNEL);
		s->inject = kmalloc(KFIT_INJECT_MAX, GFP_KERNEL);
		if (!s->bv || !s->inject)
			return -ENOMEM;
		e->free[e->nfree++] = i;
	}
	for (i = 0; i < rx; i++) {
		e->recvs[i].bv = kcalloc(fi->rx_attr.iov_limit,
					 sizeof(*e->recvs[i].bv), GFP_KERNEL);
		if (!e->recvs[i].bv)
			return -ENOMEM;
	}
	return 0;
}

static void kfit_ep_free(struct kfit_ep *e)
{
	const struct kfi_info *fi = &e->base.info;
	u32 i;

	for (i = 0; e->slots && i < fi->tx_attr.size; i++) {
		kfree(e->slots[i].bv);
		kfree(e->slots[i].inject);
	}
	for (i = 0; e->recvs && i < fi->rx_attr.size; i++)
		kfree(e->recvs[i].bv);
	kvfree(e->slots);
	kvfree(e->free);
	kvfree(e->recvs);
	kvfree(e->rsp);
	e->rsp = NULL;
	e->nrsp = 0;
	free_page((unsigned long)e->scratch);
	e->slots = NULL;
	e->free = NULL;
	e->recvs = NULL;
	e->scratch = NULL;
}

/*
 * Receives whose completions the endpoint's receive CQ must hold: its
 * own, or as many as its shared receive context has.
 */
static u32 kfit_rx_promised(struct kfit_ep *e)
{
	struct kfid_ep *srx = e->base.srx;

	return srx ? srx->info.rx_attr.size : e->base.info.rx_attr.size;
}

/*
 * The CQ rule every provider keeps: a CQ holds tx_attr.size +
 * rx_attr.size of every endpoint enabled on it (for one bound to a
 * shared receive context, that context's rx_attr.size).
 */
static int kfit_cq_promise(struct kfit_ep *e)
{
	struct kfit_domain *d = to_kfit_domain(e->base.domain);
	struct kfid_cq *tcq = e->base.tx_cq, *rcq = e->base.rx_cq;
	u32 tx = e->base.info.tx_attr.size, rx = kfit_rx_promised(e);
	struct kfit_cq *t, *r;
	int ret = 0;

	if (!tcq || !rcq)
		return -EINVAL;
	t = container_of(tcq, struct kfit_cq, base);
	r = container_of(rcq, struct kfit_cq, base);
	mutex_lock(&d->lock);
	if (t == r ? t->used + tx + rx > tcq->attr.size :
	    t->used + tx > tcq->attr.size || r->used + rx > rcq->attr.size) {
		ret = -ENOSPC;
	} else {
		t->used += tx;
		r->used += rx;
		e->cq_tx = t;
		e->cq_rx = r;
	}
	mutex_unlock(&d->lock);
	return ret;
}

/* Give back what kfit_cq_promise() took. */
static void kfit_cq_unpromise(struct kfit_ep *e)
{
	struct kfit_domain *d = to_kfit_domain(e->base.domain);

	mutex_lock(&d->lock);
	if (e->cq_tx)
		e->cq_tx->used -= e->base.info.tx_attr.size;
	if (e->cq_rx)
		e->cq_rx->used -= kfit_rx_promised(e);
	e->cq_tx = NULL;
	e->cq_rx = NULL;
	mutex_unlock(&d->lock);
}

int kfit_ep_enable(struct kfid_ep *ep)
{
	struct kfit_domain *d = to_kfit_domain(ep->domain);
	struct kfit_ep *e = to_kfit_ep(ep);
	int ret;

	/* On a shared context, the one receive it holds at a time. */
	if (ep->srx) {
		ep->info.rx_attr.size = 1;
		ep->info.rx_attr.iov_limit = ep->srx->info.rx_attr.iov_limit;
	}
	ret = kfit_cq_promise(e);
	if (ret)
		return ret;
	ret = kfit_ep_alloc(e);
	if (ret) {
		kfit_ep_free(e);
		kfit_cq_unpromise(e);
		return ret;
	}
	mutex_lock(&d->lock);
	e->revoke_seen = atomic_read(&d->keys.revocations);
	list_add_tail(&e->dnode, &d->eps);
	mutex_unlock(&d->lock);
	if (ep->srx)
		kfit_srx_attach(e);
	return 0;
}

/*
 * The flushed operations' completions are delivered before kfi_close()
 * returns; on a CQ the consumer polls itself, the closing thread polls
 * (as the verbs provider's drain does).
 */
static void kfit_ep_poll_direct(struct kfid_cq *cq)
{
	if (cq && cq->attr.poll_ctx == KFI_POLL_DIRECT)
		while (kfi_cq_poll(cq, 0) > 0)
			;
}

void kfit_ep_close(struct kfid_ep *ep)
{
	struct kfit_domain *d = to_kfit_domain(ep->domain);
	struct kfit_ep *e = to_kfit_ep(ep);
	unsigned long flags;

	/* Nothing queues the work once it is off the list and unhooked. */
	if (e->slots) {
		mutex_lock(&d->lock);
		list_del(&e->dnode);
		mutex_unlock(&d->lock);
		if (ep->srx)
			kfit_srx_detach(e);
	}
	if (e->sock)
		kfit_sk_unhook(e->sock, &e->sk);
	cancel_work_sync(&e->work);
	spin_lock_irqsave(&e->lock, flags);
	e->phase = KFIT_DEAD;
	spin_unlock_irqrestore(&e->lock, flags);
	if (e->slots) {
		kfit_flush(e, -ECANCELED);
		kfit_ep_poll_direct(ep->tx_cq);
		if (ep->rx_cq != ep->tx_cq)
			kfit_ep_poll_direct(ep->rx_cq);
	}
	if (e->sock)
		sock_release(e->sock);
	e->sock = NULL;
	kfit_ep_free(e);
	kfit_cq_unpromise(e);
	atomic_dec(&kfit_live);
}
