// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk target data path: one command from its receive to its response.
 *
 *   receive ──► parse ──► io_work ──► READ:  bio ─► RMA write(s) + response
 *                                     WRITE: RMA read(s) ─► bio ─► response
 *                                     FLUSH/DISCARD/WRITE_ZEROES: bio ─► response
 *
 * Completions arrive in softirq; bios are submitted from io_work because
 * submit_bio() may sleep waiting for a tag.  A post that gets -EAGAIN
 * (send queue full, no credit) parks the slot on the backlog, which is
 * retried on every send completion and when credits arrive: a command is
 * never dropped.  The slot's receive is posted again when the response and
 * every RMA have completed, which returns the credit to the client.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include "kfblk_target.h"

static void kfblk_slot_respond(struct kfblk_slot *slot);
static bool kfblk_slot_submit_now(struct kfblk_slot *slot);
static void kfblk_slot_start(struct kfblk_slot *slot);
static void kfblk_slot_pull(struct kfblk_slot *slot);
static void kfblk_slot_post_reads(struct kfblk_slot *slot);
static void kfblk_rma_read_done(struct kfid_cq *cq,
				const struct kfi_cq_entry *e);
static void kfblk_rma_write_done(struct kfid_cq *cq,
				 const struct kfi_cq_entry *e);
static void kfblk_rma_write_failed(struct kfid_cq *cq,
				   const struct kfi_cq_entry *e);

/**
 * kfblk_tconn_hold() - take the reference a command holds on its connection
 * @conn: the connection a command arrived on
 *
 * Every command holds one from its receive completion until its last
 * completion (bio, RMA, response send), and teardown frees nothing before
 * the count is zero.  Once teardown has been claimed no new command may
 * start: the increment comes before the test of KFBLK_TCONN_DEAD, and
 * teardown sets the flag before it reads the count, so one of the two
 * always sees the other.
 *
 * Context: completion context.
 * Return: true if the command may go on; false on a dying connection.
 */
bool kfblk_tconn_hold(struct kfblk_tconn *conn)
{
	atomic_inc(&conn->busy);
	/* Pairs with test_and_set_bit() in kfblk_tconn_error(). */
	smp_mb__after_atomic();
	if (!test_bit(KFBLK_TCONN_DEAD, &conn->flags))
		return true;
	kfblk_tconn_unhold(conn);
	return false;
}

/* Drop a command's reference; the last one lets teardown go on. */
void kfblk_tconn_unhold(struct kfblk_tconn *conn)
{
	if (atomic_dec_and_test(&conn->busy))
		wake_up_var(&conn->busy);
}

/* Room for a command, and for the inline data that may follow it. */
int kfblk_slot_post_recv(struct kfblk_slot *slot)
{
	struct kfblk_tconn *conn = slot->conn;
	struct kvec kv[2] = {
		{ .iov_base = &slot->cmd, .iov_len = sizeof(slot->cmd) },
	};

	if (!conn->inline_max)
		return kfi_recvv(conn->ep, kv, NULL, 1, &slot->rx_ctx);
	kv[1].iov_base = page_address(slot->inl);
	kv[1].iov_len = conn->inline_max;
	return kfi_recvv(conn->ep, kv, NULL, 2, &slot->rx_ctx);
}

/* The command is over: give the receive (and the credit) back. */
static void kfblk_slot_finish(struct kfblk_slot *slot)
{
	struct kfblk_tconn *conn = slot->conn;

	WRITE_ONCE(slot->peer_since, 0);
	if (!slot->stranded)
		kfblk_slot_put_pages(slot);
	WRITE_ONCE(conn->last_active, jiffies);
	if (!test_bit(KFBLK_TCONN_DEAD, &conn->flags) &&
	    kfblk_slot_post_recv(slot))
		kfblk_tconn_error(conn, "cannot repost a receive");
	kfblk_tconn_unhold(conn);
}

static void kfblk_slot_put(struct kfblk_slot *slot, int n)
{
	if (atomic_sub_and_test(n, &slot->pending))
		kfblk_slot_finish(slot);
}

/* Note that the command now waits on the peer (watchdog). */
static void kfblk_slot_peer_wait(struct kfblk_slot *slot)
{
	WRITE_ONCE(slot->peer_since, jiffies ?: 1);
}

void kfblk_slot_queue(struct kfblk_slot *slot, enum kfblk_stage stage)
{
	struct kfblk_tconn *conn = slot->conn;

	slot->stage = stage;
	llist_add(&slot->node, &conn->work);
	queue_work(kfblk_tgt_wq, &conn->io_work);
}

/*
 * Park @slot until a completion or a credit lets its post through.  One
 * refused because this side had not yet seen the connection established
 * (@slot->early) relies on KFI_CONNECTED to drain the backlog; if that
 * event has already come and gone, drain it here instead, once.
 */
static void kfblk_slot_backlog(struct kfblk_slot *slot)
{
	struct kfblk_tconn *conn = slot->conn;
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&conn->backlog_lock, flags);
	list_add_tail(&slot->backlog, &conn->backlog);
	kick = slot->early && conn->established;
	slot->kicked |= kick;
	slot->early = false;
	spin_unlock_irqrestore(&conn->backlog_lock, flags);
	if (kick)
		kfblk_tconn_drain_backlog(conn);
}

void kfblk_tconn_drain_backlog(struct kfblk_tconn *conn)
{
	struct kfblk_slot *slot, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	if (list_empty_careful(&conn->backlog))
		return;
	spin_lock_irqsave(&conn->backlog_lock, flags);
	list_splice_init(&conn->backlog, &list);
	spin_unlock_irqrestore(&conn->backlog_lock, flags);

	list_for_each_entry_safe(slot, tmp, &list, backlog) {
		list_del(&slot->backlog);
		if (slot->stage == KFBLK_STAGE_RMA_READ)
			kfblk_slot_post_reads(slot);
		else
			kfblk_slot_respond(slot);
	}
}

void kfblk_tconn_credit_ready(struct kfid_ep *ep)
{
	kfblk_tconn_drain_backlog(ep->fid.context);
}

/*
 * The client may send its first commands as soon as it has our accept,
 * before this side has seen the connection established, and until then
 * posts are refused: the answer waits on the backlog, as for -EAGAIN, and
 * goes out when KFI_CONNECTED arrives (kfblk_tconn_event_one()).  The
 * state may have turned CONNECTED between the refusal and the check
 * here, so that counts as early too, once per command (@slot->kicked);
 * after that a refusal is the connection's end.
 */
static int kfblk_post_ret(struct kfblk_slot *slot, int ret)
{
	enum kfi_ep_state state;

	/* Nothing of a posted command may be touched: it can be over. */
	if (ret != -ENOTCONN)
		return ret;
	state = READ_ONCE(slot->conn->ep->state);
	if (state == KFI_EP_CONNECTING ||
	    (state == KFI_EP_CONNECTED && !slot->kicked)) {
		slot->early = true;
		return -EAGAIN;
	}
	return ret;
}

static u16 kfblk_blk_to_status(blk_status_t sts)
{
	switch (sts) {
	case BLK_STS_OK:
		return KFBLK_ST_OK;
	case BLK_STS_NOTSUPP:
		return KFBLK_ST_NOTSUPP;
	case BLK_STS_NOSPC:
		return KFBLK_ST_NOSPC;
	default:
		return KFBLK_ST_IOERR;
	}
}

/* ---- RMA ---------------------------------------------------------------- */

static void kfblk_rma_msg(struct kfblk_slot *slot, u16 chunk,
			  struct kfi_msg_rma *msg, struct kfi_rma_iov *rma)
{
	struct kfblk_tconn *conn = slot->conn;
	u32 first = chunk * conn->iov_limit;
	u32 n = min(conn->iov_limit, slot->ci.len ?
		    (u32)DIV_ROUND_UP(slot->ci.len, PAGE_SIZE) - first : 0);
	u64 off = (u64)first << PAGE_SHIFT;

	rma->addr = slot->ci.raddr + off;
	rma->len = min_t(u64, slot->ci.len - off, (u64)n << PAGE_SHIFT);
	rma->key = slot->ci.rkey;
	*msg = (struct kfi_msg_rma){
		.iov = KFI_IOV_INIT(KFI_IOV_BVEC, bvec, &slot->bvec[first], n),
		.rma_iov = rma,
		.rma_iov_count = 1,
		.context = &slot->rma[chunk].ctx,
	};
}

/*
 * How chunk @chunk of @slot goes out.  RMA reads are all reported: each
 * holds a reference until its data is in.  The RMA writes of an answer
 * are too where the provider does not complete in order.  Where it does
 * (@conn->ordered), they are not, except a last one that is the answer
 * itself (immediate data): the completion of what follows them says they
 * are done, and a write that fails is reported all the same
 * (kfblk_rma_write_failed()).  All but the last are held back (KFI_MORE)
 * for one doorbell; an answer's last write waits for its response.
 */
static u64 kfblk_chunk_flags(struct kfblk_slot *slot, u16 chunk, bool write,
			     struct kfi_msg_rma *msg)
{
	bool last = chunk == slot->nr_chunks - 1;

	if (!write) {
		slot->rma[chunk].ctx.done = kfblk_rma_read_done;
		return KFI_COMPLETION | (last ? 0 : KFI_MORE);
	}
	if (last && slot->conn->imm_rsp) {
		slot->rma[chunk].ctx.done = kfblk_rma_write_done;
		msg->data = slot->ci.tag;
		return KFI_COMPLETION | KFI_REMOTE_CQ_DATA;
	}
	if (!slot->conn->ordered) {
		slot->rma[chunk].ctx.done = kfblk_rma_write_done;
		return KFI_COMPLETION | KFI_MORE;
	}
	slot->rma[chunk].ctx.done = kfblk_rma_write_failed;
	return KFI_MORE;
}

/*
 * Post chunks from slot->chunk on.  Return 0 when all are posted, -EAGAIN
 * when the slot went on the backlog, or another error with slot->chunk at
 * the first chunk not posted (the caller stands in for the rest).  Once a
 * reported chunk is posted its completion may end the command (and a new
 * one take the slot): the slot is not touched after the last post.
 */
static int kfblk_slot_post_chunks(struct kfblk_slot *slot, bool write)
{
	struct kfblk_tconn *conn = slot->conn;
	u16 chunk, n = slot->nr_chunks;
	struct kfi_rma_iov rma;
	struct kfi_msg_rma msg;
	u64 flags;
	int ret;

	while (slot->chunk < n) {
		chunk = slot->chunk++;
		kfblk_rma_msg(slot, chunk, &msg, &rma);
		flags = kfblk_chunk_flags(slot, chunk, write, &msg);
		ret = write ? kfi_writemsg(conn->ep, &msg, flags) :
			      kfi_readmsg(conn->ep, &msg, flags);
		if (!ret && chunk == n - 1)
			return 0;
		ret = kfblk_post_ret(slot, ret);
		if (!ret)
			continue;
		/* Not posted: retried from here, or stood in for. */
		slot->chunk = chunk;
		if (ret == -EAGAIN)
			kfblk_slot_backlog(slot);
		else
			slot->status = KFBLK_ST_XFER;
		return ret;
	}
	return 0;
}

static void kfblk_rma_read_done(struct kfid_cq *cq,
				const struct kfi_cq_entry *e)
{
	struct kfblk_rma_ctx *rc = container_of(e->op_context,
						struct kfblk_rma_ctx, ctx);
	struct kfblk_slot *slot = rc->slot;

	if (e->err) {
		slot->status = KFBLK_ST_XFER;
		if (e->err != -ECANCELED)
			kfblk_tconn_error(slot->conn, "RMA read failed");
	}
	if (!atomic_dec_and_test(&slot->pending))
		return;
	WRITE_ONCE(slot->peer_since, 0);
	if (slot->status != KFBLK_ST_OK)
		kfblk_slot_respond(slot);
	else if (!kfblk_slot_submit_now(slot))
		kfblk_slot_queue(slot, KFBLK_STAGE_SUBMIT);
	kfblk_tconn_drain_backlog(slot->conn);
}

/* A send or RMA write of the answer completed. */
static void kfblk_answer_done(struct kfblk_slot *slot, int err)
{
	struct kfblk_tconn *conn = slot->conn;

	if (err && err != -ECANCELED)
		kfblk_tconn_error(conn, "send or RMA write failed");
	kfblk_slot_put(slot, 1);
	kfblk_tconn_drain_backlog(conn);
}

static void kfblk_rma_write_done(struct kfid_cq *cq,
				 const struct kfi_cq_entry *e)
{
	kfblk_answer_done(container_of(e->op_context, struct kfblk_rma_ctx,
				       ctx)->slot, e->err);
}

/* An RMA write posted unreported failed; the answer's end releases. */
static void kfblk_rma_write_failed(struct kfid_cq *cq,
				   const struct kfi_cq_entry *e)
{
	struct kfblk_rma_ctx *rc = container_of(e->op_context,
						struct kfblk_rma_ctx, ctx);

	if (e->err && e->err != -ECANCELED)
		kfblk_tconn_error(rc->slot->conn, "RMA write failed");
}

static void kfblk_rsp_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	kfblk_answer_done(container_of(e->op_context, struct kfblk_slot,
				       tx_ctx), e->err);
}

/* WRITE: pull the data; the last read completion moves on. */
static void kfblk_slot_post_reads(struct kfblk_slot *slot)
{
	u16 left;
	int ret;

	slot->stage = KFBLK_STAGE_RMA_READ;
	ret = kfblk_slot_post_chunks(slot, false);
	if (!ret || ret == -EAGAIN)
		return;
	/* The chunks not posted will not complete: stand in for them. */
	left = slot->nr_chunks - slot->chunk;
	if (atomic_sub_and_test(left, &slot->pending))
		kfblk_slot_respond(slot);
}

/* ---- Response --------------------------------------------------------- */

static int kfblk_slot_send_rsp(struct kfblk_slot *slot)
{
	struct kfblk_tconn *conn = slot->conn;
	struct kfblk_rsp_info ri = {
		.opcode = slot->ci.opcode,
		.status = slot->status,
		.tag = slot->ci.tag,
	};
	struct kvec kv = { .iov_base = &slot->rsp, .iov_len = sizeof(slot->rsp) };
	struct kfi_msg msg = {
		.iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1),
		.context = &slot->tx_ctx,
	};
	u64 flags = KFI_COMPLETION;

	kfblk_rsp_build(&slot->rsp, &ri);
	/* The client's MR is done with: let the response invalidate it. */
	if (conn->remote_inv && slot->ci.rkey &&
	    slot->ci.rkey <= conn->key_max &&
	    (ri.opcode == KFBLK_OP_READ || ri.opcode == KFBLK_OP_WRITE)) {
		msg.inv_key = slot->ci.rkey;
		flags |= KFI_INVALIDATE;
	}
	return kfblk_post_ret(slot, kfi_sendmsg(conn->ep, &msg, flags));
}

/*
 * The answer failed to post after some of its RMA writes went out
 * unreported: the device may still be reading the pages.  End the
 * connection and keep the pages until the endpoint is closed, which waits
 * for the device (kfblk_tconn_free_slots()).
 */
static void kfblk_slot_strand(struct kfblk_slot *slot)
{
	slot->stranded = true;
	kfblk_tconn_error(slot->conn, "cannot post an answer");
	kfblk_slot_put(slot, 1);
}

/* The answer carries data: RMA writes go before its response. */
static bool kfblk_slot_answer_data(const struct kfblk_slot *slot)
{
	return slot->ci.opcode == KFBLK_OP_READ && slot->status == KFBLK_ST_OK;
}

/*
 * The completions that end an answer: the response's or, for an
 * immediate-data answer, the last write's; and where the provider does not
 * complete in order, every other write's too.
 */
static int kfblk_answer_completions(const struct kfblk_slot *slot)
{
	if (!kfblk_slot_answer_data(slot) || slot->conn->ordered)
		return 1;
	return slot->nr_chunks + !slot->conn->imm_rsp;
}

/*
 * Writes of the answer went out and cannot all be posted: on an ordered
 * provider the posted ones are unreported and strand the answer; else
 * they hold their own references, the unposted ones are stood in for,
 * and the client gets a response (XFER).  Return: true if stranded.
 */
static bool kfblk_slot_writes_failed(struct kfblk_slot *slot)
{
	if (slot->conn->ordered) {
		if (slot->chunk) {
			kfblk_slot_strand(slot);
			return true;
		}
	} else {
		/* An immediate-data answer now needs its response. */
		if (slot->conn->imm_rsp)
			atomic_inc(&slot->pending);
		kfblk_slot_put(slot, slot->nr_chunks - slot->chunk);
	}
	slot->chunk = slot->nr_chunks;
	return false;
}

/*
 * Post what is left of the answer: the RMA writes of a successful READ,
 * then the response.  RC ordering delivers the data before the response.
 */
static void kfblk_slot_respond(struct kfblk_slot *slot)
{
	bool data = kfblk_slot_answer_data(slot);
	int ret;

	if (slot->stage != KFBLK_STAGE_RESPOND) {
		kfblk_slot_peer_wait(slot);
		slot->stage = KFBLK_STAGE_RESPOND;
		slot->chunk = data ? 0 : slot->nr_chunks;
		atomic_set(&slot->pending, kfblk_answer_completions(slot));
	}
	ret = kfblk_slot_post_chunks(slot, true);
	if (ret == -EAGAIN)
		return;
	if (ret && kfblk_slot_writes_failed(slot))
		return;
	if (!ret && data && slot->conn->imm_rsp)
		return;
	ret = kfblk_slot_send_rsp(slot);
	if (ret == -EAGAIN)
		kfblk_slot_backlog(slot);
	else if (ret && slot->conn->ordered && kfblk_slot_answer_data(slot))
		kfblk_slot_strand(slot);
	else if (ret)
		kfblk_slot_put(slot, 1);
}

/* ---- Receive ---------------------------------------------------------- */

static void kfblk_slot_recv_done(struct kfid_cq *cq,
				 const struct kfi_cq_entry *e)
{
	struct kfblk_slot *slot = container_of(e->op_context,
					       struct kfblk_slot, rx_ctx);
	struct kfblk_tconn *conn = slot->conn;
	int st;

	if (e->err) {
		if (e->err != -ECANCELED)
			kfblk_tconn_error(conn, "receive failed");
		return;
	}
	if (!kfblk_tconn_hold(conn))
		return;
	WRITE_ONCE(conn->last_active, jiffies);
	st = kfblk_cmd_parse(&slot->cmd, e->len, &conn->lim, &slot->ci);
	if (st < 0) {
		/* Not even a tag to answer to: the peer is broken. */
		kfblk_tconn_error(conn, "malformed command");
		kfblk_tconn_unhold(conn);
		return;
	}
	/* A key this fabric cannot have made is a transfer that must fail. */
	if (st == KFBLK_ST_OK && slot->ci.rkey > conn->key_max)
		st = KFBLK_ST_XFER;
	slot->status = st;
	slot->early = false;
	slot->kicked = false;
	slot->chunk = 0;
	slot->nr_chunks = 0;
	slot->stage = KFBLK_STAGE_EXEC;
	/* A keep-alive probe is answered at once: the answer is the point. */
	if (st != KFBLK_ST_OK || slot->ci.opcode == KFBLK_OP_KEEPALIVE) {
		kfblk_slot_respond(slot);
		return;
	}
	kfblk_slot_start(slot);
}

/* ---- Block I/O -------------------------------------------------------- */

static void kfblk_bio_end_io(struct bio *bio)
{
	struct kfblk_slot *slot = bio->bi_private;
	bool nowait = bio->bi_opf & REQ_NOWAIT;
	blk_status_t sts = bio->bi_status;

	bio_uninit(bio);
	if (nowait && sts == BLK_STS_AGAIN) {
		/* The fast path would have had to wait: take the slow one. */
		kfblk_slot_queue(slot, KFBLK_STAGE_SUBMIT);
		return;
	}
	slot->status = kfblk_blk_to_status(sts);
	/* kfabric posts are not for hard interrupt context. */
	if (in_hardirq() || irqs_disabled())
		kfblk_slot_queue(slot, KFBLK_STAGE_BIO_DONE);
	else
		kfblk_slot_respond(slot);
}

static blk_opf_t kfblk_slot_opf(const struct kfblk_cmd_info *ci)
{
	switch (ci->opcode) {
	case KFBLK_OP_READ:
		return REQ_OP_READ;
	case KFBLK_OP_WRITE:
		return REQ_OP_WRITE | REQ_SYNC |
			(ci->flags & KFBLK_CMD_FUA ? REQ_FUA : 0);
	case KFBLK_OP_FLUSH:
		return REQ_OP_WRITE | REQ_PREFLUSH;
	case KFBLK_OP_DISCARD:
		return REQ_OP_DISCARD;
	default:
		return REQ_OP_WRITE_ZEROES |
			(ci->flags & KFBLK_CMD_NOUNMAP ? REQ_NOUNMAP : 0);
	}
}

static void kfblk_slot_submit(struct kfblk_slot *slot, blk_opf_t extra)
{
	struct kfblk_tconn *conn = slot->conn;
	const struct kfblk_cmd_info *ci = &slot->ci;
	struct bio *bio = &slot->bio;
	bool data = ci->opcode == KFBLK_OP_READ || ci->opcode == KFBLK_OP_WRITE;

	bio_init(bio, conn->export->bdev, data ? slot->bvec : NULL,
		 data ? conn->max_pages : 0, kfblk_slot_opf(ci) | extra);
	bio->bi_iter.bi_sector = ci->sector;
	bio->bi_private = slot;
	bio->bi_end_io = kfblk_bio_end_io;
	if (ci->opcode != KFBLK_OP_FLUSH)
		bio->bi_iter.bi_size = ci->len;
	if (data)
		bio->bi_vcnt = DIV_ROUND_UP(ci->len, PAGE_SIZE);
	submit_bio(bio);
}

/* READ/WRITE: pages within the connection's budget, or wait for them. */
static int kfblk_slot_exec_pages(struct kfblk_slot *slot)
{
	int ret = kfblk_slot_get_pages(slot, GFP_NOIO);

	if (ret == -ENOSPC && !kfblk_slot_memwait(slot))
		ret = kfblk_slot_get_pages(slot, GFP_NOIO);
	return ret;
}

static void kfblk_slot_exec(struct kfblk_slot *slot)
{
	u8 op = slot->ci.opcode;
	int ret = 0;

	/*
	 * A dying connection does no more work for its peer, and does not
	 * answer either: its endpoint may not be shut down yet, and an
	 * error would fail an I/O the client sends again once reconnected.
	 */
	if (test_bit(KFBLK_TCONN_DEAD, &slot->conn->flags)) {
		kfblk_slot_finish(slot);
		return;
	}
	/* Its data came with it: no pages to get, nothing to pull. */
	if (slot->ci.flags & KFBLK_CMD_INLINE) {
		kfblk_slot_submit(slot, 0);
		return;
	}
	if (op == KFBLK_OP_READ || op == KFBLK_OP_WRITE)
		ret = kfblk_slot_exec_pages(slot);
	if (ret == -ENOSPC)
		return;		/* on memwait: requeued when memory is back */
	if (ret) {
		slot->status = KFBLK_ST_IOERR;
		kfblk_slot_respond(slot);
		return;
	}
	if (op != KFBLK_OP_WRITE)
		kfblk_slot_submit(slot, 0);
	else
		kfblk_slot_pull(slot);
}

/* WRITE: fetch the data from the client, then submit. */
static void kfblk_slot_pull(struct kfblk_slot *slot)
{
	slot->chunk = 0;
	atomic_set(&slot->pending, slot->nr_chunks);
	kfblk_slot_peer_wait(slot);
	kfblk_slot_post_reads(slot);
}

/*
 * Submit a READ or a WRITE whose data is here from the completion handler
 * itself, saving the trip through io_work.  Only where that is safe: in
 * task context (the CQ is polled from a workqueue, so no plug of an
 * interrupted task is in the way) and with REQ_NOWAIT, so submission never
 * sleeps; a bio that would have to wait ends with BLK_STS_AGAIN and goes
 * the slow way (kfblk_bio_end_io()).
 */
static bool kfblk_slot_submit_now(struct kfblk_slot *slot)
{
	u8 op = slot->ci.opcode;

	if (!slot->conn->direct || !in_task() ||
	    (op != KFBLK_OP_READ && op != KFBLK_OP_WRITE))
		return false;
	kfblk_slot_submit(slot, REQ_NOWAIT);
	return true;
}

/*
 * A WRITE whose data came inline: the bio takes it from the page it
 * arrived in, which stays the slot's until the command is over.
 */
static bool kfblk_slot_inline(struct kfblk_slot *slot)
{
	struct bio_vec *bv = &slot->bvec[0];

	if (!(slot->ci.flags & KFBLK_CMD_INLINE))
		return false;
	bv->bv_page = slot->inl;
	bv->bv_offset = 0;
	bv->bv_len = slot->ci.len;
	return true;
}

/* A new command, in completion context: run it now if it cannot sleep. */
static void kfblk_slot_start(struct kfblk_slot *slot)
{
	u8 op = slot->ci.opcode;

	if (kfblk_slot_inline(slot)) {
		if (!kfblk_slot_submit_now(slot))
			kfblk_slot_queue(slot, KFBLK_STAGE_EXEC);
		return;
	}
	if (!slot->conn->direct || !in_task() ||
	    (op != KFBLK_OP_READ && op != KFBLK_OP_WRITE) ||
	    kfblk_slot_get_pages(slot, GFP_NOWAIT | __GFP_NOWARN)) {
		kfblk_slot_queue(slot, KFBLK_STAGE_EXEC);
		return;
	}
	if (op == KFBLK_OP_READ)
		kfblk_slot_submit_now(slot);
	else
		kfblk_slot_pull(slot);
}

void kfblk_tconn_io_work(struct work_struct *work)
{
	struct kfblk_tconn *conn = container_of(work, struct kfblk_tconn,
						io_work);
	struct llist_node *list;
	struct kfblk_slot *slot, *tmp;
	struct blk_plug plug;

	while ((list = llist_del_all(&conn->work))) {
		list = llist_reverse_order(list);
		blk_start_plug(&plug);
		llist_for_each_entry_safe(slot, tmp, list, node) {
			switch (slot->stage) {
			case KFBLK_STAGE_EXEC:
				kfblk_slot_exec(slot);
				break;
			case KFBLK_STAGE_SUBMIT:
				kfblk_slot_submit(slot, 0);
				break;
			case KFBLK_STAGE_BIO_DONE:
				kfblk_slot_respond(slot);
				break;
			}
		}
		blk_finish_plug(&plug);
		cond_resched();
	}
}

/**
 * kfblk_slot_init() - set up a slot's completion contexts
 * @slot: the slot, its @rma array allocated
 * @conn: its connection
 * @nr_rma: entries of @slot->rma
 */
void kfblk_slot_init(struct kfblk_slot *slot, struct kfblk_tconn *conn,
		     u16 nr_rma)
{
	u16 i;

	slot->conn = conn;
	slot->rx_ctx.done = kfblk_slot_recv_done;
	slot->tx_ctx.done = kfblk_rsp_done;
	for (i = 0; i < nr_rma; i++)
		slot->rma[i].slot = slot;
}
