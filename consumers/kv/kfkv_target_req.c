// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv target: running requests.
 *
 * A receive completion queues its slot on the connection's work list;
 * kfkv_tconn_req_work() takes the slots in arrival order and runs each to
 * its answer: parse (a message that cannot be answered drops the
 * connection), move the value by RMA or from the message, apply it to the
 * store, send the answer.  Waits on the peer -- RMA completions, a credit
 * for the answer -- are bounded by the store's peer_timeout_ms, after
 * which the connection is dropped; dropping it shuts the endpoint down,
 * which hands every posted operation back, so no wait outlives it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include "kfkv_auth.h"
#include "kfkv_target.h"

#define KFKV_RSP_HDR		sizeof(struct kfkv_rsp)
#define KFKV_CONNECT_WAIT	(5 * HZ)

static bool kfkv_tconn_dead(struct kfkv_tconn *conn)
{
	return test_bit(KFKV_TCONN_DEAD, &conn->flags);
}

static unsigned long kfkv_peer_timeout(struct kfkv_tconn *conn)
{
	return msecs_to_jiffies(conn->store->lim.peer_timeout_ms);
}

static void kfkv_recv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfkv_slot *slot = container_of(e->op_context, struct kfkv_slot,
					      rx_ctx);
	struct kfkv_tconn *conn = slot->conn;

	if (e->err) {
		if (e->err != -ECANCELED)
			kfkv_tconn_error(conn, "receive failed");
		return;
	}
	if (kfkv_tconn_dead(conn))
		return;
	slot->len = e->len;
	llist_add(&slot->node, &conn->work);
	queue_work(kfkv_tgt_wq, &conn->req_work);
}

static void kfkv_send_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfkv_slot *slot = container_of(e->op_context, struct kfkv_slot,
					      tx_ctx);
	struct kfkv_tconn *conn = slot->conn;

	if (e->err)
		kfkv_tconn_error(conn, "send failed");
	else if (test_bit(KFKV_TCONN_REFUSED, &conn->flags))
		kfkv_tconn_error(conn, "not authenticated");
	else if (!kfkv_tconn_dead(conn) && kfkv_slot_post_recv(slot))
		kfkv_tconn_error(conn, "cannot post a receive");
	wake_up(&conn->wait);
}

static void kfkv_rma_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfkv_tconn *conn = container_of(e->op_context, struct kfkv_tconn,
					       rma_ctx);

	if (e->err)
		cmpxchg(&conn->rma_err, 0, e->err);
	atomic_dec(&conn->rma_pending);
	wake_up(&conn->wait);
}

void kfkv_tconn_ctx_init(struct kfkv_tconn *conn)
{
	conn->rma_ctx.done = kfkv_rma_done;
}

void kfkv_slot_init(struct kfkv_slot *slot, struct kfkv_tconn *conn)
{
	slot->conn = conn;
	slot->rx_ctx.done = kfkv_recv_done;
	slot->tx_ctx.done = kfkv_send_done;
}

int kfkv_slot_post_recv(struct kfkv_slot *slot)
{
	return kfi_recv(slot->conn->ep, slot->msg, sizeof(slot->msg), NULL,
			&slot->rx_ctx);
}

/* The peer granted credits: an answer waiting for one can go. */
void kfkv_tconn_credit_ready(struct kfid_ep *ep)
{
	struct kfkv_tconn *conn = ep->fid.context;

	wake_up(&conn->wait);
}

/*
 * Wait for @cond, bounded by the peer timeout; false: the peer stalled
 * (or the connection is going).  @cond may use @conn.
 */
#define kfkv_wait_peer(conn, cond)					\
	({								\
		struct kfkv_tconn *__c = (conn);			\
		wait_event_timeout(__c->wait,				\
				   (cond) || kfkv_tconn_dead(__c),	\
				   kfkv_peer_timeout(__c)) &&		\
		!kfkv_tconn_dead(__c);					\
	})

/*
 * Every RMA posted must have completed before its pages may go.  A stalled
 * peer costs the connection; its shutdown flushes what was posted.
 */
static void kfkv_rma_drain(struct kfkv_tconn *conn)
{
	if (!kfkv_wait_peer(conn, !atomic_read(&conn->rma_pending)))
		kfkv_tconn_error(conn, "peer stalled an RMA past peer_timeout_ms");
	wait_event(conn->wait, !atomic_read(&conn->rma_pending));
}

static int kfkv_rma_post(struct kfkv_tconn *conn, u32 nr, u64 addr, u64 len,
			 u64 key, bool to_peer)
{
	struct kfi_rma_iov rma = { .addr = addr, .len = len, .key = key };
	struct kfi_msg_rma msg = {
		.iov = KFI_IOV_INIT(KFI_IOV_BVEC, bvec, conn->bvec, nr),
		.rma_iov = &rma,
		.rma_iov_count = 1,
		.context = &conn->rma_ctx,
	};
	int ret;

	for (;;) {
		atomic_inc(&conn->rma_pending);
		ret = to_peer ? kfi_writemsg(conn->ep, &msg, 0) :
				kfi_readmsg(conn->ep, &msg, 0);
		if (!ret)
			return 0;
		atomic_dec(&conn->rma_pending);
		/* Queue full: wait for one of ours, or for room at all. */
		if (ret != -EAGAIN)
			return ret;
		if (!kfkv_wait_peer(conn, kfi_tx_size_left(conn->ep) > 0))
			return -ETIMEDOUT;
	}
}

/*
 * Move @len bytes between @buf (from @off) and the request's segments,
 * in order: to the peer for a GET, from it for a PUT.
 */
static int kfkv_rma(struct kfkv_tconn *conn, const struct kfkv_req_info *ri,
		    struct kfkv_buf *buf, u64 off, u64 len, bool to_peer)
{
	u64 done = 0;
	u32 i;
	int ret = 0;

	for (i = 0; i < ri->nr_segs; i++)
		if (ri->segs[i].key > conn->key_max)
			return -EACCES;
	conn->rma_err = 0;
	for (i = 0; i < ri->nr_segs && done < len && !ret; i++) {
		u64 seg_done = 0, seg_len = min(ri->segs[i].len, len - done);

		while (seg_done < seg_len && !ret) {
			u64 bytes;
			u32 nr = kfkv_buf_bvec(buf, off + done, seg_len - seg_done,
					       conn->bvec, conn->iov_limit,
					       &bytes);

			if (!kfkv_wait_peer(conn, atomic_read(&conn->rma_pending) <
					    KFKV_RMA_WINDOW)) {
				ret = -ETIMEDOUT;
				break;
			}
			ret = kfkv_rma_post(conn, nr,
					    ri->segs[i].addr + seg_done, bytes,
					    ri->segs[i].key, to_peer);
			seg_done += bytes;
			done += bytes;
		}
	}
	kfkv_rma_drain(conn);
	return ret ?: conn->rma_err;
}

static u16 kfkv_errno_status(int err)
{
	switch (err) {
	case -ENOSPC:
	case -EDQUOT:
		return KFKV_ST_NOSPC;
	case -ENOMEM:
		return KFKV_ST_NOMEM;
	default:
		return KFKV_ST_IOERR;
	}
}

/* Apply a PUT whose value is in @buf; takes @obj and, on success, @buf. */
static u16 kfkv_put_apply(struct kfkv_store *st,
			  const struct kfkv_req_info *ri, struct kfkv_obj *obj,
			  struct kfkv_buf **buf, struct kfkv_rsp_info *rsp)
{
	struct kfkv_obj *old;
	u16 status;
	int ret;

	mutex_lock(&st->data_lock);
	old = kfkv_index_find(st, ri->key, ri->key_len);
	status = kfkv_put_check(old, ri, rsp);
	if (status == KFKV_ST_OK && !old && st->nr_objs >= st->lim.max_objects)
		status = KFKV_ST_NOSPC;
	if (status != KFKV_ST_OK)
		goto unlock;
	obj->version = kfkv_next_version(st);
	obj->size = ri->value_len;
	if (st->backend == KFKV_BACKEND_MEM) {
		obj->val = *buf;
		*buf = NULL;
	} else {
		ret = kfkv_dir_put(st, obj, old, *buf,
				   ri->flags & KFKV_F_DURABLE);
		if (ret) {
			status = kfkv_errno_status(ret);
			/* The old file was rewritten in place: it is gone. */
			if (old && ret != -ENOENT)
				kfkv_index_remove(st, old);
			goto unlock;
		}
	}
	kfkv_index_replace(st, old, obj);
	obj = NULL;
	rsp->version = st->last_version;
	rsp->size = ri->value_len;
unlock:
	mutex_unlock(&st->data_lock);
	kfkv_obj_put(obj);
	return status;
}

static u16 kfkv_do_put(struct kfkv_tconn *conn, struct kfkv_slot *slot,
		       const struct kfkv_req_info *ri,
		       struct kfkv_rsp_info *rsp)
{
	struct kfkv_store *st = conn->store;
	u64 charge = kfkv_obj_charge(ri->value_len, ri->key_len);
	struct kfkv_buf *buf;
	struct kfkv_obj *obj;
	u16 status;
	int ret;

	if (kfkv_store_charge(st, charge))
		return KFKV_ST_NOSPC;
	buf = kfkv_buf_alloc(ri->value_len);
	obj = buf ? kfkv_obj_alloc(st, ri->key, ri->key_len) : NULL;
	if (!obj) {
		kfkv_buf_free(buf);
		kfkv_store_uncharge(st, charge);
		return KFKV_ST_NOMEM;
	}
	/* From here the object carries the charge. */
	obj->charge = st->backend == KFKV_BACKEND_MEM ? charge : 0;
	ret = 0;
	if (ri->nr_segs)
		ret = kfkv_rma(conn, ri, buf, 0, ri->value_len, false);
	else
		kfkv_buf_copy_in(buf, slot->msg + ri->inline_off,
				 ri->value_len);
	if (ret) {
		kfkv_obj_put(obj);
		kfkv_buf_free(buf);
		return KFKV_ST_XFER;
	}
	status = kfkv_put_apply(st, ri, obj, &buf, rsp);
	kfkv_buf_free(buf);
	return status;
}

/*
 * The bytes a GET asks of @obj: the whole object, or the range.  Sets
 * *@off and *@len, and the answer's size and version.
 */
static u16 kfkv_get_range(const struct kfkv_obj *obj,
			  const struct kfkv_req_info *ri, u64 *off, u64 *len,
			  struct kfkv_rsp_info *rsp)
{
	rsp->size = obj->size;
	rsp->version = obj->version;
	if (!(ri->flags & KFKV_F_RANGE)) {
		*off = 0;
		*len = obj->size;
		return obj->size > ri->value_len ? KFKV_ST_OVERFLOW :
						   KFKV_ST_OK;
	}
	if (ri->offset > obj->size)
		return KFKV_ST_RANGE;
	*off = ri->offset;
	*len = min(ri->value_len, obj->size - ri->offset);
	return KFKV_ST_OK;
}

/*
 * Under the data lock: find the object and the bytes to send.  The mem
 * backend lends the object's own pages (holding a reference to it), the
 * dir backend reads them into @buf.
 */
static u16 kfkv_get_source(struct kfkv_store *st,
			   const struct kfkv_req_info *ri,
			   struct kfkv_obj **held, struct kfkv_buf **buf,
			   u64 *off, u64 *len, struct kfkv_rsp_info *rsp)
{
	struct kfkv_obj *obj;
	u16 status;
	int ret;

	mutex_lock(&st->data_lock);
	obj = kfkv_index_find(st, ri->key, ri->key_len);
	status = obj ? kfkv_get_range(obj, ri, off, len, rsp) : KFKV_ST_NOENT;
	if (status != KFKV_ST_OK)
		goto unlock;
	if (st->backend == KFKV_BACKEND_MEM) {
		kref_get(&obj->ref);
		*held = obj;
		*buf = obj->val;
		goto unlock;
	}
	*buf = kfkv_buf_alloc(*len);
	if (!*buf) {
		status = KFKV_ST_NOMEM;
		goto unlock;
	}
	ret = kfkv_dir_read(st, obj, *buf, *off);
	*off = 0;
	if (ret)
		status = kfkv_errno_status(ret);
unlock:
	mutex_unlock(&st->data_lock);
	return status;
}

static u16 kfkv_do_get(struct kfkv_tconn *conn, struct kfkv_slot *slot,
		       const struct kfkv_req_info *ri,
		       struct kfkv_rsp_info *rsp)
{
	struct kfkv_buf *buf = NULL;
	struct kfkv_obj *held = NULL;
	u64 off = 0, len = 0;
	u16 status;

	status = kfkv_get_source(conn->store, ri, &held, &buf, &off, &len, rsp);
	if (status == KFKV_ST_OK && !ri->nr_segs) {
		kfkv_buf_copy_out(buf, off, slot->rsp + KFKV_RSP_HDR, len);
		rsp->inline_len = len;
	} else if (status == KFKV_ST_OK &&
		   kfkv_rma(conn, ri, buf, off, len, true)) {
		status = KFKV_ST_XFER;
	}
	if (status == KFKV_ST_OK)
		rsp->xfer = len;
	if (held)
		kfkv_obj_put(held);
	else
		kfkv_buf_free(buf);
	return status;
}

static u16 kfkv_do_delete(struct kfkv_store *st,
			  const struct kfkv_req_info *ri,
			  struct kfkv_rsp_info *rsp)
{
	struct kfkv_obj *obj;
	u16 status = KFKV_ST_OK;
	int ret;

	mutex_lock(&st->data_lock);
	obj = kfkv_index_find(st, ri->key, ri->key_len);
	if (!obj) {
		status = KFKV_ST_NOENT;
		goto unlock;
	}
	rsp->version = obj->version;
	if (ri->flags & KFKV_F_IF_VERSION && obj->version != ri->version) {
		status = KFKV_ST_CONFLICT;
		goto unlock;
	}
	if (st->backend == KFKV_BACKEND_DIR) {
		ret = kfkv_dir_delete(st, obj);
		if (ret && ret != -ENOENT) {
			status = kfkv_errno_status(ret);
			goto unlock;
		}
	}
	kfkv_index_remove(st, obj);
unlock:
	mutex_unlock(&st->data_lock);
	return status;
}

static u16 kfkv_do_stat(struct kfkv_store *st, const struct kfkv_req_info *ri,
			struct kfkv_rsp_info *rsp)
{
	struct kfkv_obj *obj;

	mutex_lock(&st->data_lock);
	obj = kfkv_index_find(st, ri->key, ri->key_len);
	if (obj) {
		rsp->size = obj->size;
		rsp->version = obj->version;
	}
	mutex_unlock(&st->data_lock);
	return obj ? KFKV_ST_OK : KFKV_ST_NOENT;
}

/*
 * The client's proof, checked against this connection's challenge, and
 * the target's own proof in the answer.  Only once, and only where the
 * store asked for it.
 */
static u16 kfkv_do_auth(struct kfkv_tconn *conn, struct kfkv_slot *slot,
			const struct kfkv_req_info *ri,
			struct kfkv_rsp_info *rsp)
{
	struct kfkv_store *st = conn->store;
	struct kfkv_auth a;
	int ret;

	if (conn->authed)
		return KFKV_ST_INVAL;
	memcpy(&a, slot->msg + ri->inline_off, sizeof(a));
	ret = kfkv_auth_check(st->secret, st->secret_len, true, conn->nonce,
			      a.nonce, st->name, a.mac) ?:
	      kfkv_auth_mac(st->secret, st->secret_len, false, conn->nonce,
			    a.nonce, st->name, slot->rsp + KFKV_RSP_HDR);
	if (ret) {
		pr_warn_ratelimited("%s: client %s failed to authenticate: %s\n",
				    st->name, conn->peer,
				    ret == -EKEYREJECTED ? "wrong secret" :
				    "cannot compute a proof");
		return KFKV_ST_AUTH;
	}
	conn->authed = true;
	rsp->inline_len = KFKV_MAC_LEN;
	return KFKV_ST_OK;
}

static u16 kfkv_exec(struct kfkv_tconn *conn, struct kfkv_slot *slot,
		     const struct kfkv_req_info *ri, struct kfkv_rsp_info *rsp)
{
	switch (ri->opcode) {
	case KFKV_OP_PUT:
		return kfkv_do_put(conn, slot, ri, rsp);
	case KFKV_OP_GET:
		return kfkv_do_get(conn, slot, ri, rsp);
	case KFKV_OP_DELETE:
		return kfkv_do_delete(conn->store, ri, rsp);
	case KFKV_OP_STAT:
		return kfkv_do_stat(conn->store, ri, rsp);
	case KFKV_OP_AUTH:
		return kfkv_do_auth(conn, slot, ri, rsp);
	default:
		return kfkv_store_list(conn->store, ri, slot->msg +
				       ri->inline_off, slot->rsp + KFKV_RSP_HDR,
				       KFKV_MSG_SIZE - KFKV_RSP_HDR, rsp);
	}
}

/* A send would find a credit (beyond the provider's reserve) and room. */
static bool kfkv_can_send(struct kfid_ep *ep)
{
	int credits = kfi_ep_credits(ep);

	return (credits < 0 || credits > (int)ep->credits.reserve) &&
	       kfi_tx_size_left(ep) > 0;
}

/* Send the answer; a peer that grants no credit for it is dropped. */
static void kfkv_respond(struct kfkv_tconn *conn, struct kfkv_slot *slot,
			 struct kfkv_rsp_info *rsp)
{
	int ret;

	if (rsp->status != KFKV_ST_OK) {
		rsp->inline_len = 0;
		rsp->xfer = 0;
	}
	kfkv_rsp_build((struct kfkv_rsp *)slot->rsp, rsp);
	while ((ret = kfi_send(conn->ep, slot->rsp,
			       KFKV_RSP_HDR + rsp->inline_len, NULL,
			       &slot->tx_ctx)) == -EAGAIN) {
		if (!kfkv_wait_peer(conn, kfkv_can_send(conn->ep))) {
			kfkv_tconn_error(conn, "peer granted no credit past peer_timeout_ms");
			return;
		}
	}
	if (ret)
		kfkv_tconn_error(conn, "cannot send an answer");
}

/*
 * Before the client proved it knows the store's secret, only its AUTH
 * may run; after a refusal nothing more does, whatever was queued
 * behind it.
 */
static int kfkv_auth_gate(struct kfkv_tconn *conn,
			  const struct kfkv_req_info *ri, int st)
{
	if (conn->authed)
		return st;
	if (ri->opcode == KFKV_OP_AUTH &&
	    !test_bit(KFKV_TCONN_REFUSED, &conn->flags))
		return st;
	if (ri->opcode != KFKV_OP_AUTH)
		pr_warn_ratelimited("%s: client %s sent a request before authenticating\n",
				    conn->store->name, conn->peer);
	return KFKV_ST_AUTH;
}

static void kfkv_slot_run(struct kfkv_tconn *conn, struct kfkv_slot *slot)
{
	struct kfkv_req_info *ri = &conn->ri;
	struct kfkv_rsp_info rsp = {};
	int st;

	st = kfkv_req_parse(slot->msg, slot->len, &conn->lim, ri);
	if (st < 0) {
		kfkv_tconn_error(conn, "malformed request");
		return;
	}
	rsp.opcode = ri->opcode;
	rsp.tag = ri->tag;
	st = kfkv_auth_gate(conn, ri, st);
	if (st == KFKV_ST_OK)
		st = kfkv_exec(conn, slot, ri, &rsp);
	rsp.status = st;
	/* One try at AUTH per connection: guessing costs a connection. */
	if (!conn->authed && st != KFKV_ST_OK)
		set_bit(KFKV_TCONN_REFUSED, &conn->flags);
	if (!kfkv_tconn_dead(conn))
		kfkv_respond(conn, slot, &rsp);
}

/**
 * kfkv_tconn_req_work() - run the requests that arrived, in order
 * @work: the connection's req_work
 *
 * Context: process (kfkv_tgt_wq); sleeps on file I/O and on the peer.
 */
void kfkv_tconn_req_work(struct work_struct *work)
{
	struct kfkv_tconn *conn = container_of(work, struct kfkv_tconn,
					       req_work);
	struct llist_node *list = llist_del_all(&conn->work);
	struct kfkv_slot *slot, *next;

	/* Requests may beat our KFI_CONNECTED; answers may not. */
	wait_event_timeout(conn->wait,
			   READ_ONCE(conn->ep->state) != KFI_EP_CONNECTING,
			   KFKV_CONNECT_WAIT);
	list = llist_reverse_order(list);
	llist_for_each_entry_safe(slot, next, list, node) {
		if (kfkv_tconn_dead(conn))
			return;
		kfkv_slot_run(conn, slot);
	}
}
