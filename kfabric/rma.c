// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: RMA transfers larger than one operation.
 *
 * kfi_rma_xfer() moves a scattered local buffer (kvec, bio_vec or
 * scatterlist) to or from one remote buffer in as many RMA reads or writes
 * as the endpoint's limits need (tx_attr.iov_limit entries and
 * ep_attr.max_msg_size bytes each), the way rdma_rw splits an SG list for
 * ib_core ULPs, and reports one completion for the whole.  It only calls
 * kfi_readmsg()/kfi_writemsg(), so it works over every provider.
 *
 * The pieces are posted as a batch (KFI_MORE on all but the last) as far
 * as the send queue has room; each piece's completion posts the next ones,
 * so a transfer needs no more queue entries than the queue has.  The
 * consumer's struct kfi_rma_xfer carries the state: nothing is allocated.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/scatterlist.h>

#include "kfi_priv.h"

/* Local entries one piece carries at most: they are built on the stack. */
#define KFI_XFER_SEGS		8
/* Bytes one piece moves at most when the endpoint sets no limit. */
#define KFI_XFER_MAX_BYTES	BIT(30)

#define KFI_XFER_FLAGS		(KFI_READ | KFI_WRITE | KFI_FENCE | \
				 KFI_COMPLETION)

/* One piece: its local entries, in the form of the consumer's iov. */
struct kfi_xfer_piece {
	union {
		struct kvec kv[KFI_XFER_SEGS];
		struct bio_vec bv[KFI_XFER_SEGS];
	};
	u32 n;
	u64 len;
};

/* The consumer's entry at the cursor: its page or address, and length. */
static u64 kfi_xfer_entry(const struct kfi_rma_xfer *x, struct page **page,
			  u64 *off, void **base)
{
	const struct kfi_iov *iov = &x->iov;

	switch (iov->type) {
	case KFI_IOV_KVEC:
		*base = iov->kvec[x->idx].iov_base;
		return iov->kvec[x->idx].iov_len;
	case KFI_IOV_BVEC:
		*page = iov->bvec[x->idx].bv_page;
		*off = iov->bvec[x->idx].bv_offset;
		return iov->bvec[x->idx].bv_len;
	default:
		*page = sg_page(x->sg);
		*off = x->sg->offset;
		return x->sg->length;
	}
}

/* Move the cursor to the next entry of the consumer's iov. */
static void kfi_xfer_next_entry(struct kfi_rma_xfer *x)
{
	x->idx++;
	x->off = 0;
	if (x->iov.type == KFI_IOV_SGL && x->idx < x->iov.count)
		x->sg = sg_next(x->sg);
}

/* Add up to @room bytes at the cursor to @p; return the bytes added. */
static u64 kfi_xfer_take(struct kfi_rma_xfer *x, struct kfi_xfer_piece *p,
			 u64 room)
{
	struct page *page = NULL;
	void *base = NULL;
	u64 off = 0, len;

	len = kfi_xfer_entry(x, &page, &off, &base) - x->off;
	len = min(len, room);
	if (x->iov.type == KFI_IOV_KVEC) {
		p->kv[p->n].iov_base = base + x->off;
		p->kv[p->n].iov_len = len;
	} else {
		/* The entry's page and an offset into its contiguous run. */
		p->bv[p->n].bv_page = page;
		p->bv[p->n].bv_offset = off + x->off;
		p->bv[p->n].bv_len = len;
	}
	p->n++;
	x->off += len;
	return len;
}

/* Build the next piece from the cursor, within the endpoint's limits. */
static void kfi_xfer_build(struct kfi_rma_xfer *x, struct kfi_xfer_piece *p)
{
	const struct kfi_info *info = &x->ep->info;
	u32 segs = min_t(u32, max(info->tx_attr.iov_limit, 1U),
			 KFI_XFER_SEGS);
	u64 max = info->ep_attr.max_msg_size ?: KFI_XFER_MAX_BYTES;
	struct page *page;
	void *base;
	u64 off;

	max = min_t(u64, max, KFI_XFER_MAX_BYTES);
	p->n = 0;
	p->len = 0;
	while (x->idx < x->iov.count && p->n < segs && p->len < max) {
		if (x->off == kfi_xfer_entry(x, &page, &off, &base)) {
			kfi_xfer_next_entry(x);
			continue;
		}
		p->len += kfi_xfer_take(x, p, max - p->len);
	}
	/* Leave the cursor on a fresh entry, so the end is easy to see. */
	while (x->idx < x->iov.count &&
	       x->off == kfi_xfer_entry(x, &page, &off, &base))
		kfi_xfer_next_entry(x);
}

static bool kfi_xfer_all_posted(const struct kfi_rma_xfer *x)
{
	return x->idx >= x->iov.count;
}

/* Post one piece; KFI_MORE unless it is the last of the transfer. */
static int kfi_xfer_post(struct kfi_rma_xfer *x, struct kfi_xfer_piece *p,
			 u64 flags)
{
	struct kfi_rma_iov rma = {
		.addr = x->addr + x->posted,
		.len = p->len,
		.key = x->key,
	};
	struct kfi_msg_rma msg = {
		.iov = {
			.type = x->iov.type == KFI_IOV_KVEC ? KFI_IOV_KVEC :
							      KFI_IOV_BVEC,
			.count = p->n,
		},
		.rma_iov = &rma,
		.rma_iov_count = 1,
		.context = &x->piece_ctx,
	};

	if (msg.iov.type == KFI_IOV_KVEC)
		msg.iov.kvec = p->kv;
	else
		msg.iov.bvec = p->bv;
	/* Every piece completes: the transfer counts them. */
	flags |= KFI_COMPLETION;
	if (!kfi_xfer_all_posted(x))
		flags |= KFI_MORE;
	return x->flags & KFI_WRITE ? kfi_writemsg(x->ep, &msg, flags) :
				      kfi_readmsg(x->ep, &msg, flags);
}

/*
 * Post pieces until all are posted or the queue is full.  A piece the
 * queue refuses is built again later (the cursor goes back); while pieces
 * are outstanding their completions resume, and any other error ends the
 * transfer once they are in.  Return: 0, or the error of a post that
 * failed with no piece outstanding (nothing of the transfer in flight).
 * Caller holds x->lock.
 */
static int kfi_xfer_pump(struct kfi_rma_xfer *x)
{
	struct kfi_xfer_piece p;
	struct scatterlist *sg;
	u64 flags, off;
	u32 idx;
	int ret;

	lockdep_assert_held(&x->lock);
	while (!kfi_xfer_all_posted(x) && !x->err) {
		idx = x->idx;
		off = x->off;
		sg = x->sg;
		kfi_xfer_build(x, &p);
		flags = x->posted ? 0 : (x->flags & KFI_FENCE);
		ret = kfi_xfer_post(x, &p, flags);
		if (!ret) {
			x->outstanding++;
			x->posted += p.len;
			continue;
		}
		x->idx = idx;
		x->off = off;
		x->sg = sg;
		if (!x->outstanding)
			return ret;
		if (ret != -EAGAIN)
			x->err = ret;
		return 0;
	}
	return 0;
}

/* Deliver the transfer's one completion, if it is wanted. */
static void kfi_xfer_finish(struct kfi_rma_xfer *x, struct kfid_cq *cq)
{
	struct kfi_cq_entry e = {
		.op_context = x->context,
		.flags = KFI_RMA | (x->flags & (KFI_READ | KFI_WRITE)),
		.len = x->err ? 0 : x->len,
		.err = x->err,
		.prov_errno = x->prov_errno,
	};
	bool want = x->err || (x->flags & KFI_COMPLETION) ||
		    !(x->ep->tx_flags & KFI_SELECTIVE_COMPLETION);

	if (want)
		kfi_cq_complete(cq, &e);
}

/* A piece completed: post more, or end the transfer with the last one. */
static void kfi_xfer_piece_done(struct kfid_cq *cq,
				const struct kfi_cq_entry *entry)
{
	struct kfi_rma_xfer *x = container_of(entry->op_context,
					      struct kfi_rma_xfer, piece_ctx);
	unsigned long flags;
	bool done;
	int ret;

	spin_lock_irqsave(&x->lock, flags);
	x->outstanding--;
	if (entry->err && !x->err) {
		x->err = entry->err;
		x->prov_errno = entry->prov_errno;
	}
	ret = kfi_xfer_pump(x);
	if (ret && !x->err)
		/* The queue stayed full of others' operations: give up. */
		x->err = ret == -EAGAIN ? -ENOBUFS : ret;
	done = !x->outstanding && (kfi_xfer_all_posted(x) || x->err);
	spin_unlock_irqrestore(&x->lock, flags);
	/* Nothing of the transfer is referenced after this. */
	if (done)
		kfi_xfer_finish(x, cq);
}

/* Check the consumer's buffers and count their bytes. */
static int kfi_xfer_len(const struct kfi_iov *iov, u64 *len)
{
	struct scatterlist *sg = iov->sgl;
	u32 i;

	*len = 0;
	if (!iov->count || !iov->kvec)
		return -EINVAL;
	for (i = 0; i < iov->count; i++) {
		switch (iov->type) {
		case KFI_IOV_KVEC:
			if (!iov->kvec[i].iov_base)
				return -EINVAL;
			*len += iov->kvec[i].iov_len;
			break;
		case KFI_IOV_BVEC:
			if (!iov->bvec[i].bv_page)
				return -EINVAL;
			*len += iov->bvec[i].bv_len;
			break;
		case KFI_IOV_SGL:
			if (!sg)
				return -EINVAL;
			*len += sg->length;
			sg = sg_next(sg);
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * kfi_rma_xfer() - RMA read or write of any size, in pieces, one completion
 * @ep: connected endpoint
 * @x: the transfer's state, embedded in the consumer's request; untouched
 *	by the consumer until the completion
 * @iov: local buffers, any number of entries of any length; the array
 *	(and a scatterlist's entries) must stay valid until the completion
 * @addr: remote address of a contiguous remote buffer of the same length
 * @key: its remote key
 * @context: gets the one completion of the transfer (flags KFI_RMA |
 *	KFI_READ or KFI_WRITE, len the bytes moved)
 * @flags: KFI_READ or KFI_WRITE (one of them); KFI_FENCE (on the first
 *	piece); KFI_COMPLETION (report success on a selective endpoint)
 *
 * The transfer is cut into RMA operations of at most tx_attr.iov_limit
 * local entries (8 at most) and ep_attr.max_msg_size bytes, posted as a
 * batch while the send queue has room and continued from their
 * completions.  Every piece completes internally, on a selective endpoint
 * too.  The first error of a piece ends the transfer: what is outstanding
 * completes, nothing more is posted, and the completion carries that
 * error.  If the queue is kept full by other operations when a piece
 * completes and none of the transfer's is outstanding, the transfer ends
 * with -ENOBUFS; size the queue for the consumer's own depth.
 *
 * Context: any; never sleeps, never allocates.
 * Return: 0 (the transfer has started and will complete); -EAGAIN (the
 * queue had no room: nothing was posted); -EINVAL (bad argument or flags,
 * empty buffer, a remote range that wraps); the error of the first
 * kfi_readmsg()/kfi_writemsg() (-ENOTCONN, -EOPNOTSUPP, ...).
 */
int kfi_rma_xfer(struct kfid_ep *ep, struct kfi_rma_xfer *x,
		 const struct kfi_iov *iov, u64 addr, u64 key,
		 struct kfi_context *context, u64 flags)
{
	unsigned long irq;
	u64 len;
	int ret;

	if (!KFI_VALID(ep, KFI_CLASS_EP) || !x || !iov ||
	    (flags & ~KFI_XFER_FLAGS) ||
	    hweight64(flags & (KFI_READ | KFI_WRITE)) != 1)
		return -EINVAL;
	ret = kfi_xfer_len(iov, &len);
	if (ret)
		return ret;
	if (!len || addr + len < addr)
		return -EINVAL;

	*x = (struct kfi_rma_xfer){
		.piece_ctx.done = kfi_xfer_piece_done,
		.ep = ep,
		.context = context,
		.iov = *iov,
		.sg = iov->type == KFI_IOV_SGL ? iov->sgl : NULL,
		.addr = addr,
		.key = key,
		.len = len,
		.flags = flags,
	};
	spin_lock_init(&x->lock);
	/*
	 * Completions of the pieces wait for the lock, so until it is
	 * dropped @x is ours; after, it may already be the consumer's again.
	 */
	spin_lock_irqsave(&x->lock, irq);
	ret = kfi_xfer_pump(x);
	spin_unlock_irqrestore(&x->lock, irq);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_rma_xfer);
