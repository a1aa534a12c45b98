// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv client: handles on remote stores and the operations on them
 * (include/kfabric/kfkv.h).
 *
 * A handle is one store on one connection, kept by a kfabric session
 * (kfi_sess.h) of one path: the handle's domain, queues and memory
 * regions stay for its life, only the endpoint is built again.  Each
 * in-flight operation owns a slot: its request buffer, the request as
 * sent (to check the answer against), and memory regions that map the
 * caller's pages for the target's RMA, registered for that operation only
 * and invalidated before it completes.  Every post to the endpoint
 * happens under the handle's lock, so the room checked before a submit
 * is still there when it posts; a send refused for lack of credit waits
 * on the backlog for the peer's credit update.
 *
 * A protocol or transport error, or an answer later than the timeout,
 * reports the path down.  The session then has kfkv_sess_disconnect()
 * close the endpoint and sort what was in flight: an operation that can
 * run twice with the same outcome (GET, STAT, LIST, a PUT without a
 * condition), or that never left, is parked to be sent again on the next
 * connection; a conditional PUT or a DELETE that may have reached the
 * target completes with -ECONNRESET, its outcome unknown.  Regions the
 * lost peer was given a key to are replaced, so that key reaches nothing.
 * New operations park too, until the session reconnects (and the handle
 * authenticates again), or says to fail them (fail-fast or give-up time).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <kfabric/kfi.h>
#include <kfabric/kfkv.h>
#include "kfkv_auth.h"
#include "kfkv_client.h"
#include "kfkv_proto.h"

#define KFKV_DEFAULT_DEPTH	16
#define KFKV_DEFAULT_TIMEOUT	30000
#define KFKV_DEFAULT_MAX	(16ULL << 20)
#define KFKV_RSP_HDR		sizeof(struct kfkv_rsp)

/* Bits of kfkv_cslot.flags */
#define KFKV_SLOT_BUSY		0	/* holds an operation */
#define KFKV_SLOT_AWAIT		1	/* its answer has not come */
#define KFKV_SLOT_PARKED	2	/* waits for a connection to be sent on */

/* Bits of kfkv_handle.flags */
#define KFKV_H_FAILED		0	/* given up, or closing: refuse work */
#define KFKV_H_CONNECTING	1

struct kfkv_handle;

/**
 * struct kfkv_cslot - one operation in flight
 * @h: the handle
 * @op: the caller's operation
 * @tag: the full tag of this use of the slot
 * @flags: KFKV_SLOT_*
 * @sent: its request was posted, not only queued on the backlog
 * @tx_ctx: completion of the request's send
 * @inv_ctx: completions of the invalidations
 * @unmaps: invalidations still due
 * @nr_mapped: memory regions mapped for this operation
 * @start: jiffies when submitted, for the timeout
 * @backlog: on kfkv_handle.backlog while its send waits for a credit
 * @msg_len: bytes of @msg
 * @msg: the request
 * @ri: the request as sent
 * @mrs: the slot's memory regions
 * @bv: the pages of the operation, trimmed to its length
 */
struct kfkv_cslot {
	struct kfkv_handle *h;
	struct kfkv_op *op;
	u32 tag;
	unsigned long flags;
	bool sent;
	struct kfi_context tx_ctx;
	struct kfi_context inv_ctx;
	atomic_t unmaps;
	u32 nr_mapped;
	unsigned long start;
	struct list_head backlog;
	u32 msg_len;
	u8 *msg;
	struct kfkv_req_info ri;
	struct kfid_mr **mrs;
	struct bio_vec *bv;
};

struct kfkv_crx {
	struct kfi_context ctx;
	struct kfkv_handle *h;
	u8 buf[KFKV_MSG_SIZE];
};

/**
 * struct kfkv_handle - a store on a connection that is kept up
 * @attr: as opened; @addr, @store and @secret are copies of our own
 * @info: the fabric's, for each new endpoint
 * @fabric: fabric
 * @domain: the handle's own domain
 * @eq: connection events
 * @cq: every completion, in softirq
 * @ep: the connection's endpoint; NULL while there is none
 * @sess: the session that keeps the connection
 * @path: its one path
 * @rep: what the target granted at the first connect (store limits)
 * @cm_rep: what it answered the last connect (its nonce)
 * @depth: operations in flight at most (granted by the target)
 * @nr_slots: slots allocated (the depth asked, at least @depth)
 * @nr_rx: receives posted
 * @mr_pages: pages one memory region maps
 * @nr_mrs: memory regions per slot
 * @max_pages: entries of each slot's @bv
 * @slots: @depth slots
 * @auth: the slot of the AUTH exchange, which runs while every other
 *	slot waits for the connection to be trusted
 * @rx: @nr_rx receive buffers
 * @lock: guards slot allocation, @live, @ep, @backlog and every post
 * @live: operations may be sent: connected (and authenticated)
 * @backlog: slots whose send got -EAGAIN
 * @gen: bumped with every use of a slot, the upper half of its tag
 * @flags: KFKV_H_*
 * @cm_done: the handshake ended
 * @cm_err: how
 * @timeout: jiffies an answer may take
 * @free_wait: the synchronous calls wait here for a free slot
 * @watchdog: reports the path down when an answer is late
 */
struct kfkv_handle {
	struct kfkv_open_attr attr;
	struct kfi_info *info;
	struct kfid_fabric *fabric;
	struct kfid_domain *domain;
	struct kfid_eq *eq;
	struct kfid_cq *cq;
	struct kfid_ep *ep;
	struct kfi_sess *sess;
	struct kfi_sess_path *path;
	struct kfkv_cm_rep_info rep;
	struct kfkv_cm_rep_info cm_rep;
	u32 depth;
	u32 nr_slots;
	u32 nr_rx;
	u32 mr_pages;
	u32 nr_mrs;
	u32 max_pages;
	struct kfkv_cslot *slots;
	struct kfkv_cslot auth;
	struct kfkv_crx *rx;
	/* taken from completion context: irqsave; see @lock above */
	spinlock_t lock;
	bool live;
	struct list_head backlog;
	u16 gen;
	unsigned long flags;
	struct completion cm_done;
	int cm_err;
	unsigned long timeout;
	wait_queue_head_t free_wait;
	struct delayed_work watchdog;
};

static struct workqueue_struct *kfkv_wq;
static atomic_t kfkv_nr_handles = ATOMIC_INIT(0);

/* The session's knobs of a handle opened without (kfkv_open_attr.sess). */
static unsigned int kfkv_reconnect_delay_ms = 1000;
module_param_named(reconnect_delay_ms, kfkv_reconnect_delay_ms, uint, 0644);
MODULE_PARM_DESC(reconnect_delay_ms, "Milliseconds between reconnect attempts (default 1000)");

static int kfkv_ctrl_loss_tmo = 600;
module_param_named(ctrl_loss_tmo, kfkv_ctrl_loss_tmo, int, 0644);
MODULE_PARM_DESC(ctrl_loss_tmo, "Seconds to keep reconnecting after a loss before failing the handle; -1 forever, 0 no reconnect (default 600)");

static int kfkv_fast_io_fail_tmo = -1;
module_param_named(fast_io_fail_tmo, kfkv_fast_io_fail_tmo, int, 0644);
MODULE_PARM_DESC(fast_io_fail_tmo, "Seconds after a loss before waiting operations fail; -1 (default) only at give-up");

static int kfkv_status_errno(u16 status)
{
	static const int map[] = {
		[KFKV_ST_OK] = 0,
		[KFKV_ST_IOERR] = -EIO,
		[KFKV_ST_INVAL] = -EINVAL,
		[KFKV_ST_NOENT] = -ENOENT,
		[KFKV_ST_EXIST] = -EEXIST,
		[KFKV_ST_CONFLICT] = -ESTALE,
		[KFKV_ST_NOSPC] = -ENOSPC,
		[KFKV_ST_TOOBIG] = -EFBIG,
		[KFKV_ST_OVERFLOW] = -EOVERFLOW,
		[KFKV_ST_RANGE] = -ERANGE,
		[KFKV_ST_XFER] = -EIO,
		[KFKV_ST_NOMEM] = -ENOMEM,
		[KFKV_ST_NOSTORE] = -ENOENT,
		[KFKV_ST_VERSION] = -EPROTO,
		[KFKV_ST_BUSY] = -EBUSY,
		[KFKV_ST_AUTH] = -EKEYREJECTED,
	};

	return status <= KFKV_ST_MAX ? map[status] : -EPROTO;
}

/* The operation is over: hand it back and free the slot. */
static void kfkv_slot_complete(struct kfkv_cslot *slot)
{
	struct kfkv_op *op = slot->op;
	struct kfkv_handle *h = slot->h;

	op->priv = NULL;
	slot->op = NULL;
	clear_bit_unlock(KFKV_SLOT_BUSY, &slot->flags);
	wake_up(&h->free_wait);
	op->done(op);
}

/* The AUTH exchange's answer will not come: end its wait with @err. */
static void kfkv_auth_abort(struct kfkv_handle *h, int err)
{
	struct kfkv_cslot *slot = &h->auth;

	if (!test_and_clear_bit(KFKV_SLOT_AWAIT, &slot->flags))
		return;
	slot->op->result = err;
	kfkv_slot_complete(slot);
}

/*
 * The connection is lost or can no longer be trusted: post nothing more
 * on it, and let the session tear it down and build it again.
 */
static void kfkv_fail(struct kfkv_handle *h, const char *why)
{
	WRITE_ONCE(h->live, false);
	kfkv_auth_abort(h, -ECONNRESET);
	kfi_sess_path_down(h->path, why);
}

static void kfkv_inv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfkv_cslot *slot = container_of(e->op_context,
					       struct kfkv_cslot, inv_ctx);

	if (e->err && e->err != -ECANCELED)
		kfkv_fail(slot->h, "cannot invalidate a key");
	if (atomic_dec_and_test(&slot->unmaps))
		kfkv_slot_complete(slot);
}

/* Answered: make the pages unreachable, then complete. */
static void kfkv_slot_finish(struct kfkv_cslot *slot)
{
	struct kfkv_handle *h = slot->h;
	unsigned long irqflags;
	u32 i, n = slot->nr_mapped;
	int ret = 0;

	if (!n) {
		kfkv_slot_complete(slot);
		return;
	}
	slot->nr_mapped = 0;
	/* One per invalidation, and one held until all are posted. */
	atomic_set(&slot->unmaps, n + 1);
	spin_lock_irqsave(&h->lock, irqflags);
	for (i = 0; i < n && h->ep; i++) {
		ret = kfi_mr_unmap(h->ep, slot->mrs[i], &slot->inv_ctx);
		if (ret)
			break;
	}
	spin_unlock_irqrestore(&h->lock, irqflags);
	/*
	 * Room for the invalidations was reserved at submit; failing to post
	 * one drops the connection, and kfkv_sess_disconnect() replaces
	 * every region still mapped.  With the endpoint gone already it has.
	 */
	if (i < n) {
		kfkv_fail(h, "cannot invalidate a key");
		atomic_sub(n - i, &slot->unmaps);
	}
	if (atomic_dec_and_test(&slot->unmaps))
		kfkv_slot_complete(slot);
}

/* Copy @len bytes of an inline GET answer into the caller's pages. */
static void kfkv_copy_to_bvec(const struct bio_vec *bv, const u8 *src,
			      u64 len)
{
	u64 done = 0;

	for (; done < len; bv++) {
		u32 n = min_t(u64, bv->bv_len, len - done);

		memcpy_to_page(bv->bv_page, bv->bv_offset, src + done, n);
		done += n;
	}
}

static void kfkv_copy_from_bvec(u8 *dst, const struct bio_vec *bv, u64 len)
{
	u64 done = 0;

	for (; done < len; bv++) {
		u32 n = min_t(u64, bv->bv_len, len - done);

		memcpy_from_page(dst + done, bv->bv_page, bv->bv_offset, n);
		done += n;
	}
}

static void kfkv_answer(struct kfkv_cslot *slot,
			const struct kfkv_rsp_info *ri, const u8 *inl)
{
	struct kfkv_op *op = slot->op;

	op->result = kfkv_status_errno(ri->status);
	op->size = ri->size;
	op->obj_version = ri->version;
	op->xfer = 0;
	op->more = false;
	if (ri->status != KFKV_ST_OK)
		return;
	if (op->type == KFKV_GET) {
		op->xfer = ri->xfer;
		if (ri->inline_len)
			kfkv_copy_to_bvec(op->bvec, inl, ri->inline_len);
	} else if (op->type == KFKV_LIST) {
		op->xfer = ri->inline_len;
		op->more = ri->xfer & KFKV_LIST_MORE;
		memcpy(op->keys, inl, ri->inline_len);
	} else if (op->type == KFKV_OP_AUTH) {
		/* The target's proof, KFKV_MAC_LEN bytes (kfkv_rsp_check()). */
		memcpy(op->keys, inl, ri->inline_len);
	}
}

/* The slot an answer names, claimed so it is answered once; or NULL. */
static struct kfkv_cslot *kfkv_rsp_slot(struct kfkv_handle *h,
					const struct kfkv_rsp_info *ri,
					const u8 *inl)
{
	struct kfkv_cslot *slot = &h->slots[KFKV_TAG_INDEX(ri->tag)];

	/* While it runs, the AUTH exchange is all that is in flight. */
	if (test_bit(KFKV_SLOT_BUSY, &h->auth.flags))
		slot = &h->auth;
	if (!test_bit(KFKV_SLOT_BUSY, &slot->flags) || slot->tag != ri->tag ||
	    kfkv_rsp_check(ri, &slot->ri, inl) ||
	    !test_and_clear_bit(KFKV_SLOT_AWAIT, &slot->flags))
		return NULL;
	return slot;
}

static void kfkv_recv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfkv_crx *rx = container_of(e->op_context, struct kfkv_crx, ctx);
	struct kfkv_handle *h = rx->h;
	struct kfkv_cslot *slot = NULL;
	struct kfkv_rsp_info ri;
	unsigned long irqflags;
	int ret;

	if (e->err) {
		if (e->err != -ECANCELED)
			kfkv_fail(h, "receive failed");
		return;
	}
	/* Down: what was in flight is sorted by kfkv_sess_disconnect(). */
	if (!READ_ONCE(h->live) && !test_bit(KFKV_SLOT_BUSY, &h->auth.flags))
		return;
	/* Take everything out of the buffer before it goes back. */
	if (!kfkv_rsp_parse(rx->buf, e->len, h->depth, &ri))
		slot = kfkv_rsp_slot(h, &ri, rx->buf + KFKV_RSP_HDR);
	if (slot)
		kfkv_answer(slot, &ri, rx->buf + KFKV_RSP_HDR);
	spin_lock_irqsave(&h->lock, irqflags);
	ret = h->ep ? kfi_recv(h->ep, rx->buf, sizeof(rx->buf), NULL,
			       &rx->ctx) : 0;
	spin_unlock_irqrestore(&h->lock, irqflags);
	if (ret)
		kfkv_fail(h, "cannot post a receive");
	if (!slot) {
		kfkv_fail(h, "invalid answer from the target");
		return;
	}
	kfkv_slot_finish(slot);
}

static void kfkv_send_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfkv_cslot *slot = container_of(e->op_context,
					       struct kfkv_cslot, tx_ctx);

	if (e->err && e->err != -ECANCELED)
		kfkv_fail(slot->h, "send failed");
}

/* Sends waiting for a credit go now, in order, as far as credits last. */
static void kfkv_drain_backlog(struct kfkv_handle *h)
{
	struct kfkv_cslot *slot;
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&h->lock, irqflags);
	while (!ret && h->ep &&
	       (slot = list_first_entry_or_null(&h->backlog, struct kfkv_cslot,
						backlog))) {
		ret = kfi_send(h->ep, slot->msg, slot->msg_len, NULL,
			       &slot->tx_ctx);
		if (!ret) {
			list_del_init(&slot->backlog);
			slot->sent = true;
		}
	}
	spin_unlock_irqrestore(&h->lock, irqflags);
	if (ret && ret != -EAGAIN)
		kfkv_fail(h, "cannot send a request");
}

static void kfkv_credit_ready(struct kfid_ep *ep)
{
	kfkv_drain_backlog(ep->fid.context);
}

/* ---- Submitting ------------------------------------------------------- */

/* @nr entries of @bv hold @len bytes, each within its page. */
static bool kfkv_bvec_covers(const struct bio_vec *bv, u32 nr, u64 len)
{
	u64 have = 0;
	u32 i;

	for (i = 0; i < nr && have < len; i++) {
		if (!bv[i].bv_len || bv[i].bv_offset + bv[i].bv_len > PAGE_SIZE)
			return false;
		have += bv[i].bv_len;
	}
	return have >= len;
}

/* Flags each operation takes; the rest is refused. */
static int kfkv_op_check(const struct kfkv_handle *h, const struct kfkv_op *op)
{
	static const u16 allowed[] = {
		[KFKV_PUT] = KFKV_IF_ABSENT | KFKV_IF_VERSION | KFKV_DURABLE,
		[KFKV_GET] = KFKV_RANGE,
		[KFKV_DELETE] = KFKV_IF_VERSION,
		[KFKV_STAT] = 0,
		[KFKV_LIST] = 0,
	};

	if (!op || !op->done || op->type < KFKV_PUT || op->type > KFKV_LIST ||
	    op->flags & ~allowed[op->type] || op->key_len > KFKV_KEY_MAX ||
	    (op->key_len && !op->key) ||
	    (op->flags & KFKV_IF_ABSENT && op->flags & KFKV_IF_VERSION))
		return -EINVAL;
	if (op->type == KFKV_LIST)
		return op->keys && op->len >= KFKV_LIST_BYTES &&
		       op->max_keys && op->max_keys <= KFKV_LIST_MAX &&
		       op->cookie_len <= KFKV_KEY_MAX &&
		       (op->cookie || !op->cookie_len) ? 0 : -EINVAL;
	if (!op->key_len)
		return -EINVAL;
	if (op->type == KFKV_PUT && op->len > h->rep.max_value)
		return -EFBIG;
	if (op->type != KFKV_PUT && op->type != KFKV_GET)
		return 0;
	return kfkv_bvec_covers(op->bvec, op->nr_bvec, op->len) ? 0 : -EINVAL;
}

/* Copy the caller's entries for the first @len bytes into @slot->bv. */
static int kfkv_slot_pages(struct kfkv_handle *h, struct kfkv_cslot *slot,
			   const struct kfkv_op *op, u32 *nr)
{
	u64 done = 0;
	u32 i;

	for (i = 0; done < op->len; i++) {
		const struct bio_vec *bv = &op->bvec[i];

		if (i >= op->nr_bvec || i >= h->max_pages ||
		    bv->bv_offset + bv->bv_len > PAGE_SIZE || !bv->bv_len)
			return -EINVAL;
		slot->bv[i] = *bv;
		slot->bv[i].bv_len = min_t(u64, bv->bv_len, op->len - done);
		done += slot->bv[i].bv_len;
	}
	*nr = i;
	return 0;
}

/*
 * Map the operation's pages, one memory region per mr_pages of them, and
 * describe each as a segment of the request.  Under the handle's lock.
 */
static int kfkv_slot_map(struct kfkv_handle *h, struct kfkv_cslot *slot,
			 u32 nr)
{
	struct kfkv_req_info *ri = &slot->ri;
	u32 first;
	int ret;

	for (first = 0; first < nr; first += h->mr_pages) {
		u32 i, count = min(nr - first, h->mr_pages);
		struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_BVEC, bvec,
						  slot->bv + first, count);
		struct kfid_mr *mr = slot->mrs[slot->nr_mapped];
		u64 len = 0;

		/* A region that could not be renewed (kfkv_renew_mrs()). */
		if (!mr)
			return -ENOMEM;
		ret = kfi_mr_map(h->ep, mr, &iov);
		if (ret)
			return ret;
		slot->nr_mapped++;
		for (i = 0; i < count; i++)
			len += slot->bv[first + i].bv_len;
		ri->segs[ri->nr_segs].addr = mr->iova;
		ri->segs[ri->nr_segs].key = mr->key;
		ri->segs[ri->nr_segs].len = len;
		ri->nr_segs++;
	}
	return 0;
}

/* The request for @op: key, flags, and where the value travels. */
static void kfkv_slot_request(struct kfkv_handle *h, struct kfkv_cslot *slot,
			      const struct kfkv_op *op, bool rma)
{
	struct kfkv_req_info *ri = &slot->ri;

	memset(ri, 0, offsetof(struct kfkv_req_info, segs));
	ri->opcode = op->type;
	ri->flags = op->flags;
	ri->tag = slot->tag;
	ri->key_len = op->key_len;
	memcpy(ri->key, op->key, op->key_len);
	ri->version = op->flags & KFKV_IF_VERSION ? op->version : 0;
	switch (op->type) {
	case KFKV_PUT:
		ri->value_len = op->len;
		ri->inline_len = rma ? 0 : op->len;
		break;
	case KFKV_GET:
		ri->value_len = op->len;
		ri->offset = op->flags & KFKV_RANGE ? op->offset : 0;
		break;
	case KFKV_LIST:
		ri->value_len = op->max_keys;
		ri->inline_len = op->cookie_len;
		break;
	case KFKV_OP_AUTH:
		ri->inline_len = sizeof(struct kfkv_auth);
		break;
	}
}

/* Encode the request; an inline PUT's value is copied in after the key. */
static int kfkv_slot_encode(struct kfkv_cslot *slot, const struct kfkv_op *op)
{
	const struct kfkv_req_info *ri = &slot->ri;
	int len;

	/* LIST's cookie and AUTH's nonce and proof come after the key. */
	len = kfkv_req_build(slot->msg, KFKV_MSG_SIZE, ri,
			     op->type == KFKV_LIST || op->type == KFKV_OP_AUTH ?
			     op->cookie : NULL);
	if (len < 0)
		return len;
	if (op->type == KFKV_PUT && ri->inline_len)
		kfkv_copy_from_bvec(slot->msg + len - ri->inline_len, op->bvec,
				    ri->inline_len);
	slot->msg_len = len;
	return 0;
}

/* A free slot, or NULL.  Under the lock. */
static struct kfkv_cslot *kfkv_slot_claim(struct kfkv_handle *h)
{
	u32 i;

	for (i = 0; i < h->depth; i++) {
		struct kfkv_cslot *slot = &h->slots[i];

		if (!test_and_set_bit_lock(KFKV_SLOT_BUSY, &slot->flags))
			return slot;
	}
	return NULL;
}

/* A fresh tag for the next use of @slot (index @i).  Under the lock. */
static void kfkv_slot_tag(struct kfkv_handle *h, struct kfkv_cslot *slot,
			  u32 i)
{
	h->gen++;
	slot->tag = i | (u32)h->gen << 16;
}

/* Does the value travel by RMA rather than in the message? */
static bool kfkv_op_rma(const struct kfkv_handle *h, const struct kfkv_op *op)
{
	return (op->type == KFKV_PUT || op->type == KFKV_GET) &&
	       op->len > h->rep.inline_max;
}

/* Map, encode and send @op in @slot.  Under the lock, with @h->ep. */
static int kfkv_slot_start(struct kfkv_handle *h, struct kfkv_cslot *slot,
			   struct kfkv_op *op)
{
	bool rma = kfkv_op_rma(h, op);
	u32 nr = 0;
	int ret = 0;

	slot->op = op;
	op->priv = slot;
	slot->nr_mapped = 0;
	slot->sent = false;
	kfkv_slot_request(h, slot, op, rma);
	if (rma)
		ret = kfkv_slot_pages(h, slot, op, &nr);
	if (!ret && nr > h->nr_mrs * h->mr_pages)
		ret = -EFBIG;
	if (!ret)
		ret = kfkv_slot_map(h, slot, nr);
	if (!ret)
		ret = kfkv_slot_encode(slot, op);
	if (ret)
		return ret;
	slot->start = jiffies;
	set_bit(KFKV_SLOT_AWAIT, &slot->flags);
	ret = kfi_send(h->ep, slot->msg, slot->msg_len, NULL, &slot->tx_ctx);
	if (ret == -EAGAIN) {
		/* Accepted all the same: it goes with the next credit. */
		list_add_tail(&slot->backlog, &h->backlog);
		return 0;
	}
	slot->sent = !ret;
	/* A failing connection may have completed it already: it counts. */
	if (ret && !test_and_clear_bit(KFKV_SLOT_AWAIT, &slot->flags))
		return 0;
	return ret;
}

/* @slot did not start after all: free it.  Under the lock. */
static void kfkv_slot_unstart(struct kfkv_handle *h, struct kfkv_cslot *slot,
			      struct kfkv_op *op)
{
	op->priv = NULL;
	slot->op = NULL;
	/* Regions mapped and not sent for can only go with the endpoint. */
	if (slot->nr_mapped)
		kfkv_fail(h, "cannot post a request");
	clear_bit_unlock(KFKV_SLOT_BUSY, &slot->flags);
}

/* Connected: send @op now.  Under the lock. */
static int kfkv_post_new(struct kfkv_handle *h, struct kfkv_op *op)
{
	struct kfkv_cslot *slot;
	u32 posts;
	int ret;

	/* The send, and each region's mapping and invalidation. */
	posts = 1 + (kfkv_op_rma(h, op) ? 2 * h->nr_mrs : 0);
	if (kfi_tx_size_left(h->ep) < (int)posts)
		return -EAGAIN;
	slot = kfkv_slot_claim(h);
	if (!slot)
		return -EAGAIN;
	kfkv_slot_tag(h, slot, slot - h->slots);
	ret = kfkv_slot_start(h, slot, op);
	if (ret)
		kfkv_slot_unstart(h, slot, op);
	return ret;
}

/* Not connected: hold @op in a slot until it is.  Under the lock. */
static int kfkv_park(struct kfkv_handle *h, struct kfkv_op *op)
{
	struct kfkv_cslot *slot;

	if (kfi_sess_fail_fast(h->sess))
		return -ENOTCONN;
	slot = kfkv_slot_claim(h);
	if (!slot)
		return -EAGAIN;
	slot->op = op;
	op->priv = slot;
	set_bit(KFKV_SLOT_PARKED, &slot->flags);
	return 0;
}

/* kfkv_submit() of an operation checked already. */
static int kfkv_submit_checked(struct kfkv_handle *h, struct kfkv_op *op)
{
	unsigned long irqflags;
	int ret;

	spin_lock_irqsave(&h->lock, irqflags);
	if (test_bit(KFKV_H_FAILED, &h->flags))
		ret = -ENOTCONN;
	else if (!h->live)
		ret = kfkv_park(h, op);
	else
		ret = kfkv_post_new(h, op);
	if (ret == -ENOTCONN && !test_bit(KFKV_H_FAILED, &h->flags) &&
	    !kfi_sess_fail_fast(h->sess)) {
		/* Down before the session said so: wait like one in flight. */
		kfkv_fail(h, "endpoint no longer connected");
		ret = kfkv_park(h, op);
	}
	spin_unlock_irqrestore(&h->lock, irqflags);
	return ret;
}

/**
 * kfkv_submit() - start an operation
 * @h: an open handle
 * @op: the operation; its @done is called once with the outcome, unless
 *	this returns an error
 *
 * Context: any; never sleeps, never allocates.
 * While the connection is down the operation is accepted and waits for
 * it, in one of the handle's slots like one in flight.
 *
 * Return: 0 (accepted); -EAGAIN when @h has its depth of operations in
 * flight or no room to post this one now (nothing was posted: retry after
 * a completion); -EINVAL for a malformed @op; -EFBIG for a PUT over the
 * store's largest value (or pages more than the handle can map);
 * -ENOTCONN when the handle gave up, or is down past its fail-fast time.
 */
int kfkv_submit(struct kfkv_handle *h, struct kfkv_op *op)
{
	int ret = kfkv_op_check(h, op);

	return ret ?: kfkv_submit_checked(h, op);
}
EXPORT_SYMBOL_GPL(kfkv_submit);

/* ---- Losing and regaining the connection ----------------------------- */

static void kfkv_watchdog(struct work_struct *work)
{
	struct kfkv_handle *h = container_of(to_delayed_work(work),
					     struct kfkv_handle, watchdog);
	u32 i;

	for (i = 0; i < h->depth; i++) {
		struct kfkv_cslot *slot = &h->slots[i];

		if (test_bit(KFKV_SLOT_AWAIT, &slot->flags) &&
		    time_after(jiffies, READ_ONCE(slot->start) + h->timeout))
			kfkv_fail(h, "an answer is late");
	}
	if (!test_bit(KFKV_H_FAILED, &h->flags))
		queue_delayed_work(kfkv_wq, &h->watchdog, h->timeout / 4 + 1);
}

/*
 * Close the connection's endpoint.  Nothing posted on it completes once
 * this returns (its receives, sends and invalidations come back flushed
 * before), and nothing is posted on it from the moment @ep is NULL.
 */
static void kfkv_ep_close(struct kfkv_handle *h)
{
	unsigned long irqflags;
	struct kfid_ep *ep;

	spin_lock_irqsave(&h->lock, irqflags);
	ep = h->ep;
	h->ep = NULL;
	h->live = false;
	spin_unlock_irqrestore(&h->lock, irqflags);
	kfi_close(ep ? &ep->fid : NULL);
}

/* Sent twice, would it answer as once?  Then a replay is safe. */
static bool kfkv_op_replayable(const struct kfkv_op *op)
{
	switch (op->type) {
	case KFKV_GET:
	case KFKV_STAT:
	case KFKV_LIST:
		return true;
	case KFKV_PUT:
		/* The same value again; only the version moves on. */
		return !(op->flags & (KFKV_IF_ABSENT | KFKV_IF_VERSION));
	default:
		/* A DELETE replayed would say -ENOENT for its own success. */
		return false;
	}
}

/*
 * The endpoint is closed: each operation still waiting for its answer
 * is parked to be sent again, unless it may have reached the target and
 * a second run could answer differently: that one fails, -ECONNRESET.
 */
static void kfkv_park_inflight(struct kfkv_handle *h)
{
	struct kfkv_cslot *slot, *tmp;
	unsigned long irqflags;
	u32 i;

	spin_lock_irqsave(&h->lock, irqflags);
	list_for_each_entry_safe(slot, tmp, &h->backlog, backlog)
		list_del_init(&slot->backlog);
	spin_unlock_irqrestore(&h->lock, irqflags);
	for (i = 0; i < h->depth; i++) {
		slot = &h->slots[i];
		if (!test_and_clear_bit(KFKV_SLOT_AWAIT, &slot->flags))
			continue;
		slot->nr_mapped = 0;
		if (!slot->sent || kfkv_op_replayable(slot->op)) {
			set_bit(KFKV_SLOT_PARKED, &slot->flags);
			continue;
		}
		slot->op->result = -ECONNRESET;
		kfkv_slot_complete(slot);
	}
}

/*
 * A fresh region for each one whose key the lost peer may hold: closing
 * the old one revokes the key.  Before the next connection, whose peer
 * could otherwise use it.  A region that cannot be renewed stays NULL,
 * and an operation that needs it fails with -ENOMEM.
 */
static void kfkv_renew_mrs(struct kfkv_handle *h)
{
	u32 i, j, n = 0;
	int ret;

	for (i = 0; i < h->nr_slots; i++) {
		struct kfkv_cslot *slot = &h->slots[i];

		for (j = 0; j < h->nr_mrs; j++) {
			struct kfid_mr **mr = &slot->mrs[j];

			if (!*mr || !READ_ONCE((*mr)->mapped))
				continue;
			kfi_close(&(*mr)->fid);
			n++;
			ret = kfi_mr_alloc(h->domain, h->mr_pages,
					   KFI_REMOTE_READ | KFI_REMOTE_WRITE,
					   mr, slot);
			if (ret) {
				pr_err("%s: cannot renew a region: %d\n",
				       h->sess->name, ret);
				*mr = NULL;
			}
		}
	}
	if (n)
		pr_info("%s: %u regions the lost target had keys to replaced\n",
			h->sess->name, n);
}

/* Every parked operation fails, -ECONNRESET. */
static void kfkv_fail_parked(struct kfkv_handle *h)
{
	DECLARE_BITMAP(failed, KFKV_MAX_DEPTH) = {};
	unsigned long irqflags;
	u32 i;

	/* Under the lock, so that none parks behind the sweep. */
	spin_lock_irqsave(&h->lock, irqflags);
	for (i = 0; i < h->depth; i++)
		if (test_and_clear_bit(KFKV_SLOT_PARKED, &h->slots[i].flags))
			__set_bit(i, failed);
	spin_unlock_irqrestore(&h->lock, irqflags);
	for_each_set_bit(i, failed, KFKV_MAX_DEPTH) {
		h->slots[i].op->result = -ECONNRESET;
		kfkv_slot_complete(&h->slots[i]);
	}
}

/*
 * Connected (and trusted): send what was parked, then let new work post.
 * One that cannot start now (a PUT over a limit the store lowered, say)
 * fails with the reason.
 */
static void kfkv_replay(struct kfkv_handle *h)
{
	DECLARE_BITMAP(failed, KFKV_MAX_DEPTH) = {};
	unsigned long irqflags;
	u32 i, sent = 0;
	int ret;

	spin_lock_irqsave(&h->lock, irqflags);
	/* Down again already: the next connection will do. */
	if (!h->ep)
		goto unlock;
	h->live = true;
	for (i = 0; i < h->depth; i++) {
		struct kfkv_cslot *slot = &h->slots[i];

		if (!test_and_clear_bit(KFKV_SLOT_PARKED, &slot->flags))
			continue;
		kfkv_slot_tag(h, slot, i);
		ret = kfkv_slot_start(h, slot, slot->op);
		if (!ret) {
			sent++;
			continue;
		}
		slot->op->result = ret;
		/* Regions mapped and not sent for go with the endpoint. */
		if (slot->nr_mapped)
			kfkv_fail(h, "cannot post a request");
		__set_bit(i, failed);
	}
unlock:
	spin_unlock_irqrestore(&h->lock, irqflags);
	if (sent)
		pr_info("%s: %u operations sent again\n", h->sess->name, sent);
	for_each_set_bit(i, failed, KFKV_MAX_DEPTH)
		kfkv_slot_complete(&h->slots[i]);
}

/* ---- Opening and closing ---------------------------------------------- */

static void kfkv_cm_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfkv_handle *h = arg;
	struct kfid_ep *ep = READ_ONCE(h->ep);
	int st;

	/* A closed endpoint's events are dropped; this is belt and braces. */
	if (!ep || e->fid != &ep->fid)
		return;
	if (!test_bit(KFKV_H_CONNECTING, &h->flags)) {
		if (e->event == KFI_SHUTDOWN || e->event == KFI_DEVICE_REMOVAL)
			kfkv_fail(h, "connection lost");
		return;
	}
	switch (e->event) {
	case KFI_CONNECTED:
		st = kfkv_cm_rep_parse(e->data, e->datalen, &h->cm_rep);
		h->cm_err = st ? -EPROTO : 0;
		break;
	case KFI_REJECTED:
		st = kfkv_cm_rep_parse(e->data, e->datalen, &h->cm_rep);
		h->cm_err = st > 0 ? kfkv_status_errno(st) : -ECONNREFUSED;
		break;
	case KFI_UNREACHABLE:
		h->cm_err = e->err ?: -EHOSTUNREACH;
		break;
	default:
		h->cm_err = e->err ?: -ECONNRESET;
		break;
	}
	clear_bit(KFKV_H_CONNECTING, &h->flags);
	complete(&h->cm_done);
}

static void kfkv_free_slots(struct kfkv_handle *h)
{
	u32 i, j;

	for (i = 0; h->slots && i < h->nr_slots; i++) {
		struct kfkv_cslot *slot = &h->slots[i];

		for (j = 0; slot->mrs && j < h->nr_mrs; j++)
			kfi_close(slot->mrs[j] ? &slot->mrs[j]->fid : NULL);
		kfree(slot->mrs);
		kvfree(slot->bv);
		kfree(slot->msg);
	}
	kvfree(h->slots);
	kvfree(h->rx);
	kfree(h->auth.msg);
}

static void kfkv_slot_init(struct kfkv_handle *h, struct kfkv_cslot *slot)
{
	slot->h = h;
	slot->tx_ctx.done = kfkv_send_done;
	slot->inv_ctx.done = kfkv_inv_done;
	INIT_LIST_HEAD(&slot->backlog);
}

/* Slots for the depth asked; regions for the largest value possible. */
static int kfkv_alloc_slots(struct kfkv_handle *h, u64 max_value)
{
	u32 i, j;
	int ret;

	h->max_pages = DIV_ROUND_UP(max_value, PAGE_SIZE) + 1;
	h->nr_mrs = min_t(u32, DIV_ROUND_UP(h->max_pages, h->mr_pages),
			  KFKV_MAX_SEGS);
	h->nr_slots = h->depth;
	h->slots = kvcalloc(h->nr_slots, sizeof(*h->slots), GFP_KERNEL);
	h->rx = kvcalloc(h->nr_rx, sizeof(*h->rx), GFP_KERNEL);
	if (!h->slots || !h->rx)
		return -ENOMEM;
	h->auth.msg = kmalloc(KFKV_MSG_SIZE, GFP_KERNEL);
	if (!h->auth.msg)
		return -ENOMEM;
	kfkv_slot_init(h, &h->auth);
	for (i = 0; i < h->nr_slots; i++) {
		struct kfkv_cslot *slot = &h->slots[i];

		kfkv_slot_init(h, slot);
		slot->msg = kmalloc(KFKV_MSG_SIZE, GFP_KERNEL);
		slot->bv = kvcalloc(h->max_pages, sizeof(*slot->bv),
				    GFP_KERNEL);
		slot->mrs = kcalloc(h->nr_mrs, sizeof(*slot->mrs), GFP_KERNEL);
		if (!slot->msg || !slot->bv || !slot->mrs)
			return -ENOMEM;
		for (j = 0; j < h->nr_mrs; j++) {
			ret = kfi_mr_alloc(h->domain, h->mr_pages,
					   KFI_REMOTE_READ | KFI_REMOTE_WRITE,
					   &slot->mrs[j], slot);
			if (ret)
				return ret;
		}
	}
	for (i = 0; i < h->nr_rx; i++) {
		h->rx[i].h = h;
		h->rx[i].ctx.done = kfkv_recv_done;
	}
	return 0;
}

/* The EQ and CQ, which every connection of the handle shares. */
static int kfkv_open_queues(struct kfkv_handle *h)
{
	struct kfi_cq_attr cq_attr = {
		.poll_ctx = KFI_POLL_SOFTIRQ,
		.comp_vector = -1,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 8,
		.handler = kfkv_cm_event,
		.handler_arg = h,
	};

	/*
	 * Each operation: a send, a mapping and an invalidation a region,
	 * and its send's completion may come after its answer, when the
	 * slot already carries the next operation.
	 */
	h->info->tx_attr.size = h->depth * (2 + 2 * h->nr_mrs) + 1;
	h->info->rx_attr.size = h->nr_rx;
	cq_attr.size = h->info->tx_attr.size + h->info->rx_attr.size;
	return kfi_eq_open(h->fabric, &eq_attr, &h->eq, h) ?:
	       kfi_cq_open(h->domain, &cq_attr, &h->cq, h);
}

/* An endpoint for the next connection, its receives posted. */
static int kfkv_ep_open(struct kfkv_handle *h)
{
	struct kfid_ep *ep;
	u32 i;
	int ret;

	ret = kfi_endpoint(h->domain, h->info, &ep, h);
	if (ret)
		return ret;
	ep->credit_ready = kfkv_credit_ready;
	WRITE_ONCE(h->ep, ep);
	ret = kfi_ep_bind(ep, &h->cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
	      kfi_ep_bind(ep, &h->eq->fid, 0) ?:
	      kfi_enable(ep);
	for (i = 0; !ret && i < h->nr_rx; i++)
		ret = kfi_recv(ep, h->rx[i].buf, sizeof(h->rx[i].buf), NULL,
			       &h->rx[i].ctx);
	return ret;
}

/*
 * The target must grant what the handle was built for: at the first
 * connect at most the depth asked, afterwards the depth it granted then
 * (slots may be parked on any of them).
 */
static int kfkv_rep_check(struct kfkv_handle *h)
{
	const struct kfkv_cm_rep_info *r = &h->cm_rep;
	unsigned long irqflags;

	if (r->depth > h->depth || (h->rep.depth && r->depth < h->depth)) {
		pr_err("%s: the store grants %u operations in flight, not %u\n",
		       h->sess->name, r->depth, h->depth);
		return -EPROTO;
	}
	spin_lock_irqsave(&h->lock, irqflags);
	if (!h->rep.depth)
		h->depth = r->depth;
	h->rep = *r;
	spin_unlock_irqrestore(&h->lock, irqflags);
	return 0;
}

static int kfkv_connect(struct kfkv_handle *h)
{
	const struct kfkv_open_attr *a = &h->attr;
	struct kfkv_cm_req_info qi = { .depth = h->depth };
	struct kfkv_cm_req req;
	int ret;

	strscpy(qi.store, a->store, sizeof(qi.store));
	ret = kfkv_cm_req_build(&req, &qi);
	if (ret)
		return ret;
	reinit_completion(&h->cm_done);
	set_bit(KFKV_H_CONNECTING, &h->flags);
	ret = kfi_connect(h->ep, &req, sizeof(req));
	if (ret) {
		clear_bit(KFKV_H_CONNECTING, &h->flags);
		return ret;
	}
	if (!wait_for_completion_timeout(&h->cm_done, h->timeout)) {
		clear_bit(KFKV_H_CONNECTING, &h->flags);
		pr_err("%s: no answer from %s port %u\n", h->sess->name,
		       a->addr, a->port);
		return -ETIMEDOUT;
	}
	return h->cm_err ?: kfkv_rep_check(h);
}

static int kfkv_getinfo(const struct kfkv_open_attr *a, struct kfi_info **info)
{
	struct kfi_info *hints = kfi_allocinfo();
	char port[8];
	int ret;

	if (!hints)
		return -ENOMEM;
	hints->caps = KFI_MSG | KFI_RMA;
	hints->ep_attr.type = KFI_EP_MSG;
	snprintf(port, sizeof(port), "%u", a->port);
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  a->addr, port, 0, hints, info);
	kfi_freeinfo(hints);
	return ret;
}

/* ---- Authentication --------------------------------------------------- */

/* The AUTH operation of a connect: the request, and the target's proof. */
struct kfkv_auth_op {
	struct kfkv_op op;
	struct completion done;
	struct kfkv_auth msg;
	u8 proof[KFKV_MAC_LEN];
};

static void kfkv_auth_done(struct kfkv_op *op)
{
	complete(&container_of(op, struct kfkv_auth_op, op)->done);
}

/*
 * Do both sides mean to authenticate?  A store with a secret serves
 * nothing without it; and a handle with a secret trusts no target that
 * skips the exchange, since anyone could claim to have no secret.
 * Return: 1 to authenticate, 0 not to, or -EKEYREJECTED.
 */
static int kfkv_auth_wanted(const struct kfkv_handle *h)
{
	const struct kfkv_open_attr *a = &h->attr;
	bool asked = h->cm_rep.flags & KFKV_CM_AUTH;

	if (asked == !!a->secret_len)
		return asked;
	pr_err("store %s at %s port %u: %s\n", a->store, a->addr, a->port,
	       asked ? "it needs a secret and none is set" :
	       "a secret is set and the target asked for none");
	return -EKEYREJECTED;
}

/* Send @op in the AUTH slot: the only operation on a new connection. */
static int kfkv_auth_send(struct kfkv_handle *h, struct kfkv_op *op)
{
	struct kfkv_cslot *slot = &h->auth;
	unsigned long irqflags;
	int ret;

	spin_lock_irqsave(&h->lock, irqflags);
	set_bit(KFKV_SLOT_BUSY, &slot->flags);
	kfkv_slot_tag(h, slot, 0);
	ret = kfkv_slot_start(h, slot, op);
	if (ret)
		kfkv_slot_unstart(h, slot, op);
	spin_unlock_irqrestore(&h->lock, irqflags);
	return ret;
}

/* Send our nonce and proof; check the proof that comes back. */
static int kfkv_auth_exchange(struct kfkv_handle *h, struct kfkv_auth_op *x)
{
	const struct kfkv_open_attr *a = &h->attr;
	int ret;

	get_random_bytes(x->msg.nonce, sizeof(x->msg.nonce));
	ret = kfkv_auth_mac(a->secret, a->secret_len, true, h->cm_rep.nonce,
			    x->msg.nonce, a->store, x->msg.mac);
	if (ret)
		return ret;
	init_completion(&x->done);
	x->op.type = KFKV_OP_AUTH;
	x->op.cookie = &x->msg;
	x->op.cookie_len = sizeof(x->msg);
	x->op.keys = x->proof;
	x->op.done = kfkv_auth_done;
	ret = kfkv_auth_send(h, &x->op);
	if (ret)
		return ret;
	/* A lost connection ends the wait early (kfkv_fail()). */
	if (!wait_for_completion_timeout(&x->done, h->timeout)) {
		kfkv_auth_abort(h, -ETIMEDOUT);
		wait_for_completion(&x->done);
	}
	return x->op.result ?:
	       kfkv_auth_check(a->secret, a->secret_len, false, h->cm_rep.nonce,
			       x->msg.nonce, a->store, x->proof);
}

/* The AUTH exchange, when the store or the caller asks for it. */
static int kfkv_authenticate(struct kfkv_handle *h)
{
	const struct kfkv_open_attr *a = &h->attr;
	struct kfkv_auth_op *x;
	int ret = kfkv_auth_wanted(h);

	if (ret <= 0)
		return ret;
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	ret = kfkv_auth_exchange(h, x);
	if (ret == -EKEYREJECTED)
		pr_err("store %s at %s port %u: %s\n", a->store, a->addr,
		       a->port, x->op.result ? "the target refused our secret" :
		       "the target's proof is wrong");
	kfree_sensitive(x);
	return ret;
}

/* ---- Session callbacks ------------------------------------------------ */

/* A connection, trusted; on error nothing of it is left open. */
static int kfkv_sess_connect(struct kfi_sess_path *path)
{
	struct kfkv_handle *h = path->priv;
	int ret;

	ret = kfkv_ep_open(h);
	if (!ret)
		ret = kfkv_connect(h);
	if (!ret)
		ret = kfkv_authenticate(h);
	if (ret)
		kfkv_ep_close(h);
	return ret;
}

/* Lost: close the endpoint, sort what was in flight, revoke the keys. */
static void kfkv_sess_disconnect(struct kfi_sess_path *path)
{
	struct kfkv_handle *h = path->priv;

	kfkv_ep_close(h);
	kfkv_park_inflight(h);
	kfkv_renew_mrs(h);
}

static void kfkv_sess_event(struct kfi_sess_path *path,
			    enum kfi_sess_event ev, const char *why)
{
	struct kfkv_handle *h = path->priv;

	switch (ev) {
	case KFI_SESS_EV_UP:
		kfkv_replay(h);
		break;
	case KFI_SESS_EV_GIVE_UP:
		set_bit(KFKV_H_FAILED, &h->flags);
		fallthrough;
	case KFI_SESS_EV_FAST_FAIL:
		pr_err("%s: %s; failing its operations\n", h->sess->name,
		       why ?: "down");
		kfkv_fail_parked(h);
		break;
	default:
		break;
	}
}

static const struct kfi_sess_ops kfkv_sess_ops = {
	.connect = kfkv_sess_connect,
	.disconnect = kfkv_sess_disconnect,
	.event = kfkv_sess_event,
};

/* The session and its one path; @p NULL: the module's parameters. */
static int kfkv_sess_open(struct kfkv_handle *h,
			  const struct kfi_sess_params *p)
{
	struct kfi_sess_params def = {
		.reconnect_delay_ms = max(kfkv_reconnect_delay_ms, 1U),
		.ctrl_loss_tmo_s = kfkv_ctrl_loss_tmo,
		.fast_io_fail_tmo_s = kfkv_fast_io_fail_tmo,
	};
	char name[KFI_SESS_WHY_MAX];
	int ret;

	snprintf(name, sizeof(name), "kfkv%d-%s",
		 atomic_inc_return(&kfkv_nr_handles), h->attr.store);
	h->sess = kfi_sess_create(name, &kfkv_sess_ops, p ?: &def, h);
	if (IS_ERR(h->sess)) {
		ret = PTR_ERR(h->sess);
		h->sess = NULL;
		return ret;
	}
	snprintf(name, sizeof(name), "%s:%u", h->attr.addr, h->attr.port);
	return kfi_sess_add_path(h->sess, name, h, &h->path);
}

/* ---- Opening and closing, continued ------------------------------------ */

static void kfkv_release(struct kfkv_handle *h)
{
	kfi_sess_free(h->sess);
	kfkv_ep_close(h);
	kfkv_free_slots(h);
	kfi_close(h->cq ? &h->cq->fid : NULL);
	kfi_close(h->eq ? &h->eq->fid : NULL);
	kfi_close(h->domain ? &h->domain->fid : NULL);
	kfi_close(h->fabric ? &h->fabric->fid : NULL);
	kfi_freeinfo(h->info);
	kfree(h->attr.addr);
	kfree(h->attr.store);
	kfree_sensitive(h->attr.secret);
	kfree(h);
}

/*
 * What outlives each connection: the domain, the queues and the slots.
 * The store's largest value is only known after connecting, but the
 * regions must be there before: allocate for what the caller said it
 * moves (attr->max_value), as far as KFKV_MAX_SEGS regions reach.
 */
static int kfkv_open_handle(struct kfkv_handle *h)
{
	u32 segs;
	int ret;

	ret = kfkv_getinfo(&h->attr, &h->info);
	if (ret)
		return ret;
	segs = h->info->domain_attr.max_mr_segs ?: 256;
	h->mr_pages = min_t(u32, segs, KFKV_VALUE_MAX >> PAGE_SHIFT);
	return kfi_fabric(&h->info->fabric_attr, &h->fabric, h) ?:
	       kfi_domain(h->fabric, h->info, &h->domain, h) ?:
	       kfkv_alloc_slots(h, min_t(u64, h->attr.max_value ?:
					 KFKV_DEFAULT_MAX,
					 (u64)h->mr_pages * KFKV_MAX_SEGS *
					 PAGE_SIZE - 2 * PAGE_SIZE)) ?:
	       kfkv_open_queues(h);
}

static bool kfkv_secret_ok(const struct kfkv_open_attr *a)
{
	if (!a->secret_len)
		return true;
	return a->secret && a->secret_len >= KFKV_SECRET_MIN &&
	       a->secret_len <= KFKV_SECRET_MAX;
}

/* @h->attr: @attr, with copies of what it points to. */
static int kfkv_attr_copy(struct kfkv_handle *h,
			  const struct kfkv_open_attr *attr)
{
	struct kfkv_open_attr *a = &h->attr;

	*a = *attr;
	a->sess = NULL;
	a->addr = kstrdup(attr->addr, GFP_KERNEL);
	a->store = kstrdup(attr->store, GFP_KERNEL);
	a->secret = attr->secret_len ?
		    kmemdup(attr->secret, attr->secret_len, GFP_KERNEL) : NULL;
	if (!a->addr || !a->store || (attr->secret_len && !a->secret))
		return -ENOMEM;
	return 0;
}

/**
 * kfkv_open() - connect to a store
 * @attr: where, and how to ride out a lost connection
 * @hp: set to the handle
 *
 * Context: process; sleeps up to the timeout (twice with a secret).
 * Return: 0; -EINVAL for bad attributes; -ENOENT (no such store), -EBUSY
 * (a limit of the store reached), -EKEYREJECTED (a secret missing, wrong
 * or not asked for: see kfkv_open_attr.secret), -ECONNREFUSED,
 * -ETIMEDOUT, -EHOSTUNREACH, -ENOMEM, ...  A first connect is not
 * retried.
 */
int kfkv_open(const struct kfkv_open_attr *attr, struct kfkv_handle **hp)
{
	struct kfkv_handle *h;
	int ret;

	if (!attr || !hp || !attr->addr || !attr->store || !attr->port ||
	    attr->depth > KFKV_MAX_DEPTH || attr->max_value > KFKV_VALUE_MAX ||
	    !kfkv_secret_ok(attr) ||
	    kfkv_store_name_valid(attr->store, strlen(attr->store) + 1) < 0)
		return -EINVAL;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->depth = attr->depth ?: KFKV_DEFAULT_DEPTH;
	h->nr_rx = h->depth + 2;
	h->timeout = msecs_to_jiffies(attr->timeout_ms ?: KFKV_DEFAULT_TIMEOUT);
	spin_lock_init(&h->lock);
	INIT_LIST_HEAD(&h->backlog);
	init_completion(&h->cm_done);
	init_waitqueue_head(&h->free_wait);
	INIT_DELAYED_WORK(&h->watchdog, kfkv_watchdog);
	ret = kfkv_attr_copy(h, attr) ?: kfkv_open_handle(h) ?:
	      kfkv_sess_open(h, attr->sess) ?: kfi_sess_start(h->sess);
	if (ret) {
		set_bit(KFKV_H_FAILED, &h->flags);
		kfkv_release(h);
		return ret;
	}
	kfkv_replay(h);
	queue_delayed_work(kfkv_wq, &h->watchdog, h->timeout / 4 + 1);
	*hp = h;
	return 0;
}
EXPORT_SYMBOL_GPL(kfkv_open);

/**
 * kfkv_close() - disconnect and free a handle
 * @h: the handle; NULL does nothing
 *
 * Operations still in flight, or waiting for a connection, complete with
 * -ECONNRESET before it returns.
 *
 * Context: process; sleeps (for a reconnect attempt that runs now, too).
 */
void kfkv_close(struct kfkv_handle *h)
{
	if (!h)
		return;
	set_bit(KFKV_H_FAILED, &h->flags);
	/* No connect, disconnect or event runs once it returns. */
	kfi_sess_stop(h->sess);
	cancel_delayed_work_sync(&h->watchdog);
	kfkv_ep_close(h);
	kfkv_park_inflight(h);
	kfkv_fail_parked(h);
	kfkv_release(h);
}
EXPORT_SYMBOL_GPL(kfkv_close);

/**
 * kfkv_wait() - wait for a completion that may take an outage to come
 * @done: the completion
 *
 * Uninterruptible, since the operation's pages are in use until it
 * completes; but it wakes every few seconds, so that a handle waiting
 * for its target to come back does not look like a hung task.
 *
 * Context: process; sleeps.
 */
void kfkv_wait(struct completion *done)
{
	while (!wait_for_completion_timeout(done, 10 * HZ))
		;
}

u32 kfkv_depth(const struct kfkv_handle *h)
{
	return h->depth;
}
EXPORT_SYMBOL_GPL(kfkv_depth);

u64 kfkv_max_value(const struct kfkv_handle *h)
{
	return h->rep.max_value;
}
EXPORT_SYMBOL_GPL(kfkv_max_value);

/* ---- Synchronous wrappers --------------------------------------------- */

struct kfkv_sync {
	struct kfkv_op op;
	struct completion done;
	struct bio_vec *bv;
};

static void kfkv_sync_done(struct kfkv_op *op)
{
	complete(&container_of(op, struct kfkv_sync, op)->done);
}

/* A kernel buffer (kmalloc'ed or vmalloc'ed) as page entries for @s. */
static int kfkv_sync_buf(struct kfkv_sync *s, const void *buf, u64 len)
{
	u32 i, nr = DIV_ROUND_UP(offset_in_page(buf) + len, PAGE_SIZE);
	u64 done = 0;

	if (!len)
		return 0;
	if (!buf)
		return -EINVAL;
	s->bv = kvmalloc_array(nr, sizeof(*s->bv), GFP_KERNEL);
	if (!s->bv)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		const void *p = buf + done;
		u32 n = min_t(u64, PAGE_SIZE - offset_in_page(p), len - done);
		struct page *page = is_vmalloc_addr(p) ? vmalloc_to_page(p) :
				    virt_addr_valid(p) ? virt_to_page(p) : NULL;

		/* A module's data, say, has no page the pointer tells. */
		if (!page) {
			kvfree(s->bv);
			s->bv = NULL;
			return -EINVAL;
		}
		bvec_set_page(&s->bv[i], page, n, offset_in_page(p));
		done += n;
	}
	s->op.bvec = s->bv;
	s->op.nr_bvec = nr;
	s->op.len = len;
	return 0;
}

static bool kfkv_may_submit(struct kfkv_handle *h)
{
	u32 i;

	if (test_bit(KFKV_H_FAILED, &h->flags))
		return true;
	for (i = 0; i < h->depth; i++)
		if (!test_bit(KFKV_SLOT_BUSY, &h->slots[i].flags))
			return true;
	return false;
}

/**
 * kfkv_submit_wait() - kfkv_submit(), waiting for a free slot
 * @h: the handle
 * @op: the operation
 *
 * Waits as long as an answer may take (the handle's timeout) for room.
 *
 * Context: process; sleeps.
 * Return: as kfkv_submit(); -EAGAIN only when no slot came free in time.
 */
int kfkv_submit_wait(struct kfkv_handle *h, struct kfkv_op *op)
{
	unsigned long deadline = jiffies + h->timeout;
	int ret;

	while ((ret = kfkv_submit(h, op)) == -EAGAIN) {
		if (time_after(jiffies, deadline))
			break;
		/* A free slot, or room in the queue: both come with answers. */
		wait_event_timeout(h->free_wait, kfkv_may_submit(h), HZ / 100);
	}
	return ret;
}

/* Submit, waiting for a free slot as long as an answer may take. */
static int kfkv_sync_run(struct kfkv_handle *h, struct kfkv_sync *s)
{
	int ret;

	init_completion(&s->done);
	s->op.done = kfkv_sync_done;
	ret = kfkv_submit_wait(h, &s->op);
	if (!ret) {
		/* Answered, or failed by the session (or the watchdog). */
		kfkv_wait(&s->done);
		ret = s->op.result;
	}
	kvfree(s->bv);
	return ret;
}

/**
 * kfkv_put_sync() - store a value and wait for the answer
 * @h: the handle
 * @key: the key
 * @key_len: its length, 1 to KFKV_KEY_BYTES
 * @val: the value (kmalloc'ed, vmalloc'ed or on the kernel stack; not a
 *	module's static data: -EINVAL), or NULL when @len is 0
 * @len: its length
 * @flags: KFKV_IF_ABSENT, KFKV_IF_VERSION, KFKV_DURABLE
 * @version: in: the version expected with KFKV_IF_VERSION; out: the
 *	object's new version (its current one for -EEXIST and -ESTALE); may
 *	be NULL without KFKV_IF_VERSION
 *
 * Context: process; sleeps.
 * Return: 0 or a negative errno, as kfkv_submit() and the operation give.
 */
int kfkv_put_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		  const void *val, u64 len, u16 flags, u64 *version)
{
	struct kfkv_sync s = { .op = {
		.type = KFKV_PUT, .flags = flags, .key = key, .key_len = key_len,
		.version = version ? *version : 0,
	} };
	int ret = kfkv_sync_buf(&s, val, len);

	if (!ret)
		ret = kfkv_sync_run(h, &s);
	if (version && (!ret || ret == -EEXIST || ret == -ESTALE))
		*version = s.op.obj_version;
	return ret;
}
EXPORT_SYMBOL_GPL(kfkv_put_sync);

/**
 * kfkv_get_sync() - read an object (or a range of it) into a buffer
 * @h: the handle
 * @key: the key
 * @key_len: its length
 * @buf: where to
 * @len: bytes @buf holds
 * @flags: 0 or KFKV_RANGE
 * @offset: with KFKV_RANGE, the first byte wanted
 * @size: set to the object's size (also with -EOVERFLOW), or NULL
 * @version: set to its version, or NULL
 *
 * Context: process; sleeps.
 * Return: bytes delivered, or a negative errno (-ENOENT, -EOVERFLOW when
 * the object does not fit @len, -ERANGE for an offset past its end, ...).
 */
int kfkv_get_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		  void *buf, u64 len, u16 flags, u64 offset,
		  u64 *size, u64 *version)
{
	struct kfkv_sync s = { .op = {
		.type = KFKV_GET, .flags = flags, .key = key, .key_len = key_len,
		.offset = offset,
	} };
	int ret = kfkv_sync_buf(&s, buf, len);

	if (!ret)
		ret = kfkv_sync_run(h, &s);
	if (size)
		*size = s.op.size;
	if (version)
		*version = s.op.obj_version;
	return ret ?: (int)s.op.xfer;
}
EXPORT_SYMBOL_GPL(kfkv_get_sync);

/**
 * kfkv_delete_sync() - remove an object
 * @h: the handle
 * @key: the key
 * @key_len: its length
 * @flags: 0 or KFKV_IF_VERSION
 * @version: with KFKV_IF_VERSION, the version expected
 *
 * Context: process; sleeps.
 * Return: 0, -ENOENT, -ESTALE, or another negative errno.
 */
int kfkv_delete_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		     u16 flags, u64 version)
{
	struct kfkv_sync s = { .op = {
		.type = KFKV_DELETE, .flags = flags, .key = key,
		.key_len = key_len, .version = version,
	} };

	return kfkv_sync_run(h, &s);
}
EXPORT_SYMBOL_GPL(kfkv_delete_sync);

/**
 * kfkv_stat_sync() - an object's size and version
 * @h: the handle
 * @key: the key
 * @key_len: its length
 * @size: set to the size, or NULL
 * @version: set to the version, or NULL
 *
 * Context: process; sleeps.
 * Return: 0, -ENOENT, or another negative errno.
 */
int kfkv_stat_sync(struct kfkv_handle *h, const void *key, u16 key_len,
		   u64 *size, u64 *version)
{
	struct kfkv_sync s = { .op = {
		.type = KFKV_STAT, .key = key, .key_len = key_len,
	} };
	int ret = kfkv_sync_run(h, &s);

	if (!ret && size)
		*size = s.op.size;
	if (!ret && version)
		*version = s.op.obj_version;
	return ret;
}
EXPORT_SYMBOL_GPL(kfkv_stat_sync);

/**
 * kfkv_list_sync() - keys with a prefix, in order, after a cookie
 * @h: the handle
 * @prefix: the prefix (may be NULL when @prefix_len is 0)
 * @prefix_len: its length
 * @cookie: the last key of the previous call, or NULL to start
 * @cookie_len: its length
 * @keys: gets the keys (walk them with kfkv_keys_next())
 * @size: bytes at @keys, at least KFKV_LIST_BYTES
 * @max_keys: keys wanted at most, 1 to 1024
 * @nr_keys: set to the keys returned
 * @more: set when keys remain after the last one
 *
 * Context: process; sleeps.
 * Return: bytes of @keys used, or a negative errno.
 */
int kfkv_list_sync(struct kfkv_handle *h, const void *prefix, u16 prefix_len,
		   const void *cookie, u16 cookie_len, void *keys, u32 size,
		   u16 max_keys, u32 *nr_keys, bool *more)
{
	struct kfkv_sync s = { .op = {
		.type = KFKV_LIST, .key = prefix, .key_len = prefix_len,
		.cookie = cookie, .cookie_len = cookie_len, .keys = keys,
		.len = size, .max_keys = max_keys,
	} };
	int ret = kfkv_sync_run(h, &s);

	if (ret)
		return ret;
	if (nr_keys)
		*nr_keys = s.op.size;
	if (more)
		*more = s.op.more;
	return (int)s.op.xfer;
}
EXPORT_SYMBOL_GPL(kfkv_list_sync);

static int __init kfkv_init(void)
{
	int ret;

	/* The API's constants are the protocol's. */
	BUILD_BUG_ON((int)KFKV_KEY_MAX != (int)KFKV_KEY_BYTES);
	BUILD_BUG_ON((int)(KFKV_MSG_SIZE - sizeof(struct kfkv_rsp)) !=
		     (int)KFKV_LIST_BYTES);
	BUILD_BUG_ON((int)KFKV_F_IF_ABSENT != (int)KFKV_IF_ABSENT ||
		     (int)KFKV_F_IF_VERSION != (int)KFKV_IF_VERSION ||
		     (int)KFKV_F_DURABLE != (int)KFKV_DURABLE ||
		     (int)KFKV_F_RANGE != (int)KFKV_RANGE);
	BUILD_BUG_ON((int)KFKV_OP_PUT != (int)KFKV_PUT ||
		     (int)KFKV_OP_LIST != (int)KFKV_LIST);
	kfkv_wq = alloc_workqueue("kfkv", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!kfkv_wq)
		return -ENOMEM;
	ret = kfkv_dev_init();
	if (ret)
		destroy_workqueue(kfkv_wq);
	return ret;
}

static void __exit kfkv_exit(void)
{
	kfkv_dev_exit();
	destroy_workqueue(kfkv_wq);
}

module_init(kfkv_init);
module_exit(kfkv_exit);

MODULE_DESCRIPTION("kfkv: key-value client over kfabric");
MODULE_LICENSE("GPL");
