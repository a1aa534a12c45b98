// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk client: blk-mq driver for block devices exported by kfblk_target.
 *
 * Life of a mapping: kfblk_dev_create() resolves the target, connects
 * its first path (one endpoint per hardware queue; the accept carries the
 * geometry), sets up the tag set and adds /dev/kfblkN; more paths to the
 * same export can be added and removed while it is mapped
 * (kfblk_client_path.c).  The paths belong to a kfabric session
 * (kfi_sess.h), which picks one for each request by its policy and
 * watches each: a lost connection, an I/O timeout or a protocol violation
 * reports the path down; the session then has it torn down (what was in
 * flight on it is requeued, and goes to another live path, or waits for
 * one), tries to connect it again every reconnect delay, and says when to
 * let I/O fail (fail-fast time) or to give the path up (give-up time; the
 * disk fails once every path is given up, and then fails I/O until user
 * space unmaps it).  A replayed WRITE is safe for a block device: nothing
 * above it was told it completed, so writing the same data again can
 * only repeat it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/module.h>
#include <linux/blkdev.h>
#include "kfi_compat.h"
#include "kfblk_client.h"

static unsigned int kfblk_nr_queues;
module_param_named(nr_queues, kfblk_nr_queues, uint, 0644);
MODULE_PARM_DESC(nr_queues, "Hardware queues (and connections) per device; 0: one per CPU");

static unsigned int kfblk_poll_queues;
module_param_named(poll_queues, kfblk_poll_queues, uint, 0644);
MODULE_PARM_DESC(poll_queues, "Poll queues (and connections) per device, beside nr_queues, for I/O submitted for polling (default 0)");

static unsigned int kfblk_queue_depth = 128;
module_param_named(queue_depth, kfblk_queue_depth, uint, 0644);
MODULE_PARM_DESC(queue_depth, "Requests per hardware queue (1-128, default 128)");

static unsigned int kfblk_io_timeout = 30;
module_param_named(io_timeout, kfblk_io_timeout, uint, 0644);
MODULE_PARM_DESC(io_timeout, "Seconds before an I/O times out and the connection is dropped (default 30)");

static unsigned int kfblk_max_io_kb = 1024;
module_param_named(max_io_kb, kfblk_max_io_kb, uint, 0644);
MODULE_PARM_DESC(max_io_kb, "Largest request in KiB (4-1024, default 1024)");

/* Live devices, queues and MRs: the leak check of the selftests reads it. */
static atomic_t kfblk_live_objects = ATOMIC_INIT(0);

void kfblk_obj_count(int n)
{
	atomic_add(n, &kfblk_live_objects);
}

static int kfblk_live_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&kfblk_live_objects));
}

static const struct kernel_param_ops kfblk_live_ops = {
	.get = kfblk_live_get,
};
module_param_cb(live_objects, &kfblk_live_ops, NULL, 0444);
MODULE_PARM_DESC(live_objects, "Devices, queues and MRs alive (read-only)");

#define KFBLK_MINORS	16

static int kfblk_major;
static DEFINE_IDA(kfblk_ida);

/*
 * Unmapping began while a path was lost: fail_work closes every
 * connection and fails the I/O, so that del_gendisk() never waits for a
 * reconnect.
 */
static void kfblk_dev_fail_all(struct kfblk_dev *dev, const char *why)
{
	if (READ_ONCE(dev->state) != KFBLK_DEV_LIVE)
		return;
	pr_err("kfblk%d: %s; failing its I/O\n", dev->index, why);
	queue_work(system_long_wq, &dev->fail_work);
}

/**
 * kfblk_path_fail() - a path's connection is lost, or cannot be trusted
 * @path: the path
 * @why: for the log
 *
 * The session takes it from here.  A path taken out of the session (it
 * is being removed) is left to its removal; once the device is being
 * unmapped, fail_work fails the I/O instead.
 *
 * Context: any.
 */
void kfblk_path_fail(struct kfblk_path *path, const char *why)
{
	if (kfi_sess_path_state(path->sp) != KFI_SESS_CLOSED)
		kfi_sess_path_down(path->sp, why);
	else if (READ_ONCE(path->dev->unmapping))
		kfblk_dev_fail_all(path->dev, why);
}

/* I/O that cannot reach the target fails now rather than wait. */
static bool kfblk_dev_failing(struct kfblk_dev *dev)
{
	return READ_ONCE(dev->state) == KFBLK_DEV_FAILED ||
	       kfi_sess_fail_fast(dev->sess);
}

/* ---- Data path -------------------------------------------------------- */

static blk_status_t kfblk_rsp_status(u16 st)
{
	switch (st) {
	case KFBLK_ST_OK:
		return BLK_STS_OK;
	case KFBLK_ST_NOTSUPP:
		return BLK_STS_NOTSUPP;
	case KFBLK_ST_NOSPC:
		return BLK_STS_NOSPC;
	case KFBLK_ST_RANGE:
	case KFBLK_ST_INVAL:
		return BLK_STS_TARGET;
	case KFBLK_ST_XFER:
		return BLK_STS_TRANSPORT;
	default:
		return BLK_STS_IOERR;
	}
}

/* Not in flight on its path any more. */
static void kfblk_req_unpath(struct kfblk_req *req)
{
	if (req->path) {
		kfi_sess_path_put(req->path->sp);
		req->path = NULL;
	}
}

static void kfblk_complete_rq(struct request *rq)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);

	kfblk_req_unpath(req);
	/*
	 * Lost with its path: sent again once a path is up (the kick only
	 * moves it to the dispatch list of a quiesced queue).
	 */
	if (test_and_clear_bit(KFBLK_REQ_REQUEUE, &req->flags)) {
		blk_mq_requeue_request(rq, true);
		return;
	}
	blk_mq_end_request(rq, req->status);
}

/* The end of a batch of polled requests (kfblk_req_batch()). */
static void kfblk_complete_batch(struct io_comp_batch *iob)
{
	struct request *rq;

	rq_list_for_each(&iob->req_list, rq)
		kfblk_req_unpath(blk_mq_rq_to_pdu(rq));
	blk_mq_end_request_batch(iob);
}

/*
 * A request completed by blk-mq's polling joins the batch of its poll
 * round, which blk-mq ends once the round is over: one pass for them all
 * (tags, statistics, the wakeups).  Only from the poller's own CPU: the
 * provider may poll the CQ elsewhere (a drain), outside the round.  Not
 * a request that failed or goes back to blk-mq.
 */
static bool kfblk_req_batch(struct kfblk_req *req, struct request *rq)
{
	struct kfblk_queue *q = req->queue;
	struct kfblk_path_pcpu __percpu *st = req->path->stats;
	struct io_comp_batch *iob;

	/* The batch, then the CPU it was set on: kfblk_queue_poll(). */
	iob = smp_load_acquire(&q->iob);
	if (!iob || READ_ONCE(q->poll_cpu) != raw_smp_processor_id())
		return false;
	this_cpu_inc(st->n[KFBLK_STAT_POLLED]);
	if (test_bit(KFBLK_REQ_REQUEUE, &req->flags) ||
	    !blk_mq_add_to_batch(rq, iob, req->status != BLK_STS_OK,
				 kfblk_complete_batch))
		return false;
	this_cpu_inc(st->n[KFBLK_STAT_BATCHED]);
	return true;
}

static void kfblk_req_put(struct kfblk_req *req)
{
	struct request *rq = blk_mq_rq_from_pdu(req);

	if (!atomic_dec_and_test(&req->ref) ||
	    blk_mq_complete_request_remote(rq))
		return;
	if (!kfblk_req_batch(req, rq))
		kfblk_complete_rq(rq);
}

static void kfblk_send_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfblk_req *req = container_of(e->op_context, struct kfblk_req,
					     send_ctx);

	if (e->err) {
		/* No response will come: fail_work completes the request. */
		if (e->err != -ECANCELED)
			kfblk_path_fail(req->queue->path, "command send failed");
		return;
	}
	kfblk_req_put(req);
}

static void kfblk_inv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfblk_req *req = container_of(e->op_context, struct kfblk_req,
					     inv_ctx);

	/* A mapping left from before a loss is gone: dispatch again. */
	if (test_and_clear_bit(KFBLK_REQ_STALE_INV, &req->flags)) {
		blk_mq_run_hw_queue(blk_mq_rq_from_pdu(req)->mq_hctx, true);
		return;
	}
	if (e->err) {
		/* The key may still be valid: leave it to fail_work. */
		if (e->err != -ECANCELED)
			kfblk_path_fail(req->queue->path, "invalidation failed");
		return;
	}
	clear_bit(KFBLK_REQ_MAPPED, &req->flags);
	kfblk_req_put(req);
}

/* The request whose response arrived, or NULL if it names none in flight. */
static struct kfblk_req *kfblk_rsp_req(struct kfblk_queue *q,
				       const struct kfblk_rsp_info *ri)
{
	struct blk_mq_tags *tags = q->dev->tag_set.tags[q->qid];
	struct request *rq = blk_mq_tag_to_rq(tags, KFBLK_TAG_INDEX(ri->tag));
	struct kfblk_req *req;

	if (!rq || !blk_mq_request_started(rq))
		return NULL;
	req = blk_mq_rq_to_pdu(rq);
	/* In flight on another path: not this connection's to answer. */
	if (req->queue != q || !kfblk_rsp_match(ri, &req->cmd) ||
	    !test_and_clear_bit(KFBLK_REQ_AWAIT_RSP, &req->flags))
		return NULL;
	return req;
}

/*
 * The response is in; before the request may complete its MR must not be
 * usable by the target any more: either the response invalidated it, or
 * we invalidate it now and complete from kfblk_inv_done().
 */
static void kfblk_rsp_finish(struct kfblk_req *req,
			     const struct kfi_cq_entry *e)
{
	struct kfblk_queue *q = req->queue;

	/* A command without a key invalidated one: another request's. */
	if (e->flags & KFI_MR_INVALIDATED &&
	    !test_bit(KFBLK_REQ_MAPPED, &req->flags)) {
		kfblk_path_fail(q->path, "target invalidated a key it was not given");
		return;
	}
	if (test_bit(KFBLK_REQ_MAPPED, &req->flags)) {
		if (e->flags & KFI_MR_INVALIDATED) {
			if (e->inv_key != req->mr->key) {
				kfblk_path_fail(q->path, "target invalidated a wrong key");
				return;
			}
			clear_bit(KFBLK_REQ_MAPPED, &req->flags);
		} else if (kfi_mr_unmap(q->ep, req->mr, &req->inv_ctx)) {
			kfblk_path_fail(q->path, "cannot invalidate a key");
			return;
		} else {
			return;
		}
	}
	kfblk_req_put(req);
}

/* A successful READ answered by the immediate data of the target's write. */
static int kfblk_imm_parse(struct kfblk_queue *q, const struct kfi_cq_entry *e,
			   struct kfblk_rsp_info *ri)
{
	if (!q->imm_rsp || e->data > U32_MAX ||
	    KFBLK_TAG_INDEX(e->data) >= q->dev->depth)
		return -EPROTO;
	ri->opcode = KFBLK_OP_READ;
	ri->status = KFBLK_ST_OK;
	ri->tag = e->data;
	return 0;
}

void kfblk_recv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfblk_rx *rx = container_of(e->op_context, struct kfblk_rx, ctx);
	struct kfblk_queue *q = rx->queue;
	struct kfblk_rsp_info ri;
	struct kfblk_req *req;
	int ret, err;

	if (e->err) {
		if (e->err != -ECANCELED)
			kfblk_path_fail(q->path, "receive failed");
		return;
	}
	/* Parsing copies the response out, so the buffer can go back now. */
	if (e->flags & KFI_REMOTE_CQ_DATA)
		ret = kfblk_imm_parse(q, e, &ri);
	else
		ret = kfblk_rsp_parse(&rx->rsp, e->len, q->dev->depth, &ri);
	err = kfi_recv(q->ep, &rx->rsp, sizeof(rx->rsp), NULL, &rx->ctx);
	if (err)
		kfblk_path_fail(q->path, err == -ENOTCONN ?
			       "connection lost (a receive cannot be reposted)" :
			       "cannot repost a receive");
	if (!ret)
		ret = kfblk_probe_answer(q, e, &ri);
	req = ret ? NULL : kfblk_rsp_req(q, &ri);
	if (ret <= 0 && !req) {
		kfblk_path_fail(q->path, "invalid response from the target");
		return;
	}
	kfi_sess_path_alive(q->path->sp);
	if (!req)
		return;
	req->status = kfblk_rsp_status(ri.status);
	kfblk_rsp_finish(req, e);
}

/*
 * A post for @req was refused.  No credit or a full queue: blk-mq
 * retries, nothing is lost.  An endpoint no longer connected means the
 * path went down before the session said so: report it and let the
 * request wait for the reconnect, like those in flight.
 */
static blk_status_t kfblk_post_failed(struct kfblk_queue *q,
				      struct kfblk_req *req, int ret)
{
	if (ret == -EAGAIN)
		return BLK_STS_RESOURCE;
	/* Still mapped on the old endpoint: invalidated before reuse. */
	clear_bit(KFBLK_REQ_MAPPED, &req->flags);
	if (ret == -ENOTCONN && !kfblk_dev_failing(q->dev)) {
		kfblk_path_fail(q->path, "endpoint no longer connected");
		return BLK_STS_RESOURCE;
	}
	return BLK_STS_IOERR;
}

/*
 * The MR is still mapped for an earlier request that failed while the
 * connection was down (nothing could invalidate it then): invalidate it
 * now and dispatch again from kfblk_inv_done().
 */
static blk_status_t kfblk_stale_inv(struct kfblk_queue *q,
				    struct kfblk_req *req)
{
	int ret;

	if (test_and_set_bit(KFBLK_REQ_STALE_INV, &req->flags))
		return BLK_STS_RESOURCE;	/* posted already */
	ret = kfi_mr_unmap(q->ep, req->mr, &req->inv_ctx);
	if (!ret || ret == -EAGAIN) {
		if (ret)
			clear_bit(KFBLK_REQ_STALE_INV, &req->flags);
		return BLK_STS_RESOURCE;
	}
	clear_bit(KFBLK_REQ_STALE_INV, &req->flags);
	return kfblk_post_failed(q, req, ret);
}

static blk_status_t kfblk_map_data(struct kfblk_queue *q,
				   struct kfblk_req *req, struct request *rq,
				   struct kfblk_cmd_info *ci)
{
	struct kfi_iov iov = { .type = KFI_IOV_SGL, .sgl = req->sgl };
	int ret;

	if (!req->mr)
		return BLK_STS_IOERR;
	/* A retry after -EAGAIN finds its pages still mapped. */
	if (!test_bit(KFBLK_REQ_MAPPED, &req->flags)) {
		if (READ_ONCE(req->mr->mapped))
			return kfblk_stale_inv(q, req);
		iov.count = kfi_blk_rq_map_sg(rq, req->sgl);
		ret = kfi_mr_map(q->ep, req->mr, &iov);
		if (ret)
			return kfblk_post_failed(q, req, ret);
		set_bit(KFBLK_REQ_MAPPED, &req->flags);
	}
	ci->raddr = req->mr->iova;
	ci->rkey = req->mr->key;
	return BLK_STS_OK;
}

/*
 * A WRITE small enough for the queue's inline data, whose pages a send
 * can gather after the command: the command and the data go in one
 * message, with no key for the target to read from.  Not for a retry
 * whose pages are still mapped in its MR: that one goes as mapped.
 */
static bool kfblk_map_inline(struct kfblk_queue *q, struct kfblk_req *req,
			     struct request *rq, struct kfblk_cmd_info *ci)
{
	if (ci->len > q->inline_max ||
	    blk_rq_nr_phys_segments(rq) >= q->iov_limit ||
	    test_bit(KFBLK_REQ_MAPPED, &req->flags))
		return false;
	sg_set_buf(&req->sgl[0], &req->cmd, sizeof(req->cmd));
	sg_unmark_end(&req->sgl[0]);
	req->nr_sge = 1 + kfi_blk_rq_map_sg(rq, req->sgl + 1);
	ci->flags |= KFBLK_CMD_INLINE;
	set_bit(KFBLK_REQ_INLINE, &req->flags);
	return true;
}

static blk_status_t kfblk_setup_cmd(struct kfblk_queue *q,
				    struct kfblk_req *req, struct request *rq)
{
	struct kfblk_cmd_info ci = {
		.sector = blk_rq_pos(rq),
		.len = blk_rq_bytes(rq),
	};
	blk_status_t sts = BLK_STS_OK;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		ci.opcode = KFBLK_OP_READ;
		sts = kfblk_map_data(q, req, rq, &ci);
		break;
	case REQ_OP_WRITE:
		ci.opcode = KFBLK_OP_WRITE;
		if (rq->cmd_flags & REQ_FUA)
			ci.flags |= KFBLK_CMD_FUA;
		if (!kfblk_map_inline(q, req, rq, &ci))
			sts = kfblk_map_data(q, req, rq, &ci);
		break;
	case REQ_OP_FLUSH:
		ci.opcode = KFBLK_OP_FLUSH;
		ci.sector = 0;
		ci.len = 0;
		break;
	case REQ_OP_DISCARD:
		ci.opcode = KFBLK_OP_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		ci.opcode = KFBLK_OP_WRITE_ZEROES;
		if (rq->cmd_flags & REQ_NOUNMAP)
			ci.flags |= KFBLK_CMD_NOUNMAP;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	if (sts)
		return sts;
	req->gen++;
	ci.tag = rq->tag | (u32)req->gen << 16;
	kfblk_cmd_build(&req->cmd, &ci);
	return BLK_STS_OK;
}

/*
 * No path can take @req now: wait for one (the queue is rerun when a path
 * comes up), or fail once the session says so.
 */
static blk_status_t kfblk_no_path(struct kfblk_dev *dev, struct kfblk_req *req)
{
	if (!kfblk_dev_failing(dev))
		return BLK_STS_DEV_RESOURCE;
	/* Endpoint gone: its MR cannot be reached any more. */
	clear_bit(KFBLK_REQ_MAPPED, &req->flags);
	return BLK_STS_IOERR;
}

/*
 * A live path for @req, from the session's policy, and the queue and MR
 * it uses there.  A mapping kept from a refused post on another path is
 * left to the next request of that MR to invalidate (kfblk_stale_inv()).
 */
static blk_status_t kfblk_pick_path(struct kfblk_dev *dev,
				    struct blk_mq_hw_ctx *hctx,
				    struct request *rq, struct kfblk_req *req)
{
	struct kfi_sess_path *sp = kfi_sess_path_get(dev->sess);
	struct kfblk_path *path;
	struct kfid_mr *mr;

	if (!sp)
		return kfblk_no_path(dev, req);
	path = sp->priv;
	req->path = path;
	req->queue = &path->queues[hctx->queue_num];
	if (!READ_ONCE(req->queue->live)) {
		kfblk_req_unpath(req);
		return kfblk_no_path(dev, req);
	}
	/*
	 * A mapping kept from a refused post holds only on the same MR, and
	 * only while that is mapped: a renewed MR may sit at the old address.
	 */
	mr = path->mrs[hctx->queue_num * dev->depth + rq->tag];
	if (req->mr != mr || (mr && !READ_ONCE(mr->mapped)))
		clear_bit(KFBLK_REQ_MAPPED, &req->flags);
	req->mr = mr;
	return BLK_STS_OK;
}

/*
 * Send the command; an inline WRITE's data goes after it, in the same
 * message.  Counted first: once sent, the request may complete at once.
 */
static int kfblk_send_cmd(struct kfblk_queue *q, struct kfblk_req *req)
{
	struct kfblk_path_pcpu __percpu *st = req->path->stats;
	bool inl = test_bit(KFBLK_REQ_INLINE, &req->flags);
	int ret;

	this_cpu_inc(st->n[KFBLK_STAT_IOS]);
	if (inl)
		this_cpu_inc(st->n[KFBLK_STAT_INLINE]);
	ret = inl ? kfi_sendsg(q->ep, req->sgl, NULL, req->nr_sge,
			       &req->send_ctx) :
		    kfi_send(q->ep, &req->cmd, sizeof(req->cmd), NULL,
			     &req->send_ctx);
	if (ret) {
		this_cpu_dec(st->n[KFBLK_STAT_IOS]);
		if (inl)
			this_cpu_dec(st->n[KFBLK_STAT_INLINE]);
	}
	return ret;
}

static blk_status_t kfblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct kfblk_dev *dev = hctx->driver_data;
	struct request *rq = bd->rq;
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);
	struct kfblk_queue *q;
	blk_status_t sts;
	int ret;

	sts = kfblk_pick_path(dev, hctx, rq, req);
	if (sts)
		return sts;
	q = req->queue;
	clear_bit(KFBLK_REQ_INLINE, &req->flags);
	sts = kfblk_setup_cmd(q, req, rq);
	if (sts)
		goto unpath;

	blk_mq_start_request(rq);
	req->status = BLK_STS_OK;
	atomic_set(&req->ref, 2);
	set_bit(KFBLK_REQ_AWAIT_RSP, &req->flags);
	ret = kfblk_send_cmd(q, req);
	if (!ret)
		return BLK_STS_OK;
	clear_bit(KFBLK_REQ_AWAIT_RSP, &req->flags);
	sts = kfblk_post_failed(q, req, ret);
unpath:
	kfblk_req_unpath(req);
	return sts;
}

static enum blk_eh_timer_return kfblk_timeout(struct request *rq)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);
	struct kfblk_path *path = req->path;

	if (!path)
		return BLK_EH_RESET_TIMER;
	pr_warn("kfblk%d: I/O tag %d timed out on path %s queue %u\n",
		path->dev->index, rq->tag, path->addr, req->queue->qid);
	/* Its disconnect (or fail_work) takes the request back. */
	kfblk_path_fail(path, "I/O timeout");
	return BLK_EH_RESET_TIMER;
}

static int kfblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			   unsigned int hctx_idx)
{
	struct kfblk_dev *dev = data;

	WRITE_ONCE(dev->hctx[hctx_idx], hctx);
	hctx->driver_data = dev;
	return 0;
}

static int kfblk_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx, kfi_numa_node_t numa_node)
{
	struct kfblk_dev *dev = set->driver_data;
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);

	req->send_ctx.done = kfblk_send_done;
	req->inv_ctx.done = kfblk_inv_done;
	req->sgl = kcalloc_node(dev->max_segs + 1, sizeof(*req->sgl),
				GFP_KERNEL, numa_node);
	if (!req->sgl)
		return -ENOMEM;
	sg_init_table(req->sgl, dev->max_segs + 1);
	return 0;
}

static void kfblk_exit_request(struct blk_mq_tag_set *set, struct request *rq,
			       unsigned int hctx_idx)
{
	kfree(((struct kfblk_req *)blk_mq_rq_to_pdu(rq))->sgl);
}

/*
 * The default queues serve every CPU, for reads and writes alike; the
 * poll queues (from first_poll on) take the requests submitted for
 * polling (REQ_POLLED: io_uring's IOPOLL, preadv2's RWF_HIPRI).
 */
static void kfblk_map_queues(struct blk_mq_tag_set *set)
{
	struct kfblk_dev *dev = set->driver_data;
	struct blk_mq_queue_map *map = set->map;

	map[HCTX_TYPE_DEFAULT].nr_queues = dev->first_poll;
	map[HCTX_TYPE_DEFAULT].queue_offset = 0;
	blk_mq_map_queues(&map[HCTX_TYPE_DEFAULT]);
	if (set->nr_maps == 1)
		return;
	map[HCTX_TYPE_READ].nr_queues = dev->first_poll;
	map[HCTX_TYPE_READ].queue_offset = 0;
	blk_mq_map_queues(&map[HCTX_TYPE_READ]);
	map[HCTX_TYPE_POLL].nr_queues = dev->nr_queues - dev->first_poll;
	map[HCTX_TYPE_POLL].queue_offset = dev->first_poll;
	blk_mq_map_queues(&map[HCTX_TYPE_POLL]);
}

/* blk-mq polls a poll queue: its connection on every path. */
static int kfblk_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	struct kfblk_dev *dev = hctx->driver_data;
	struct kfblk_path *path;
	int i, n = 0;

	/* A path removed meanwhile is freed only after an RCU grace period. */
	rcu_read_lock();
	for (i = 0; i < KFBLK_MAX_PATHS; i++) {
		path = READ_ONCE(dev->paths[i]);
		if (path)
			n += kfblk_queue_poll(&path->queues[hctx->queue_num],
					      iob);
	}
	rcu_read_unlock();
	return n;
}

static const struct blk_mq_ops kfblk_mq_ops = {
	.queue_rq = kfblk_queue_rq,
	.map_queues = kfblk_map_queues,
	.poll = kfblk_poll,
	.complete = kfblk_complete_rq,
	.timeout = kfblk_timeout,
	.init_hctx = kfblk_init_hctx,
	.init_request = kfblk_init_request,
	.exit_request = kfblk_exit_request,
};

/*
 * In flight on the path (@data) that went down: back to blk-mq, to be
 * sent again on whichever path is live then.  Its mapping stays with the
 * old path's MR, which the path's disconnect renews.  Called by
 * blk_mq_tagset_busy_iter().
 */
bool kfblk_requeue_rq(struct request *rq, void *data)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);

	if (blk_mq_request_completed(rq) || req->path != data)
		return true;
	clear_bit(KFBLK_REQ_AWAIT_RSP, &req->flags);
	clear_bit(KFBLK_REQ_STALE_INV, &req->flags);
	clear_bit(KFBLK_REQ_MAPPED, &req->flags);
	set_bit(KFBLK_REQ_REQUEUE, &req->flags);
	blk_mq_complete_request(rq);
	return true;
}

/* Let dispatch run again: for a live path, or to fail what waits. */
void kfblk_unquiesce(struct kfblk_dev *dev)
{
	lockdep_assert_held(&dev->lock);
	if (dev->quiesced) {
		dev->quiesced = false;
		blk_mq_unquiesce_queue(dev->disk->queue);
	}
	blk_mq_kick_requeue_list(dev->disk->queue);
}

static bool kfblk_cancel_rq(struct request *rq, void *data)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);

	if (blk_mq_request_completed(rq))
		return true;
	clear_bit(KFBLK_REQ_AWAIT_RSP, &req->flags);
	req->status = BLK_STS_IOERR;
	blk_mq_complete_request(rq);
	return true;
}

/* Every connection of every path; the device's paths cannot change. */
static void kfblk_dev_close_paths(struct kfblk_dev *dev)
{
	int i;

	lockdep_assert_held(&dev->lock);
	for (i = 0; i < KFBLK_MAX_PATHS; i++)
		if (dev->paths[i])
			kfblk_path_close(dev->paths[i]);
}

static void kfblk_fail_work(struct work_struct *work)
{
	struct kfblk_dev *dev = container_of(work, struct kfblk_dev,
					     fail_work);
	struct request_queue *rq;

	mutex_lock(&dev->paths_lock);
	mutex_lock(&dev->lock);
	if (dev->state != KFBLK_DEV_LIVE)
		goto unlock;
	dev->state = KFBLK_DEV_FAILED;
	rq = dev->disk->queue;
	/* No queue_rq is running once quiesced, so endpoints can close. */
	blk_mq_quiesce_queue(rq);
	kfblk_dev_close_paths(dev);
	/* Closed endpoints deliver nothing more: what is left is ours. */
	blk_mq_tagset_busy_iter(&dev->tag_set, kfblk_cancel_rq, dev);
	blk_mq_unquiesce_queue(rq);
unlock:
	mutex_unlock(&dev->lock);
	mutex_unlock(&dev->paths_lock);
}

/* ---- Device ----------------------------------------------------------- */

static const struct block_device_operations kfblk_fops = {
	.owner = THIS_MODULE,
};

static struct kfblk_dev *kfblk_disk_dev(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

static ssize_t state_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", kfblk_dev_state_str(kfblk_disk_dev(d)));
}
static DEVICE_ATTR_RO(state);

/* The address and port of the first path; the export name. */
static ssize_t target_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	struct kfblk_dev *dev = kfblk_disk_dev(d);
	ssize_t n = -ENOENT;
	int i;

	mutex_lock(&dev->paths_lock);
	for (i = 0; i < KFBLK_MAX_PATHS; i++) {
		if (dev->paths[i]) {
			n = sysfs_emit(buf, "%s %u %s\n", dev->paths[i]->addr,
				       dev->paths[i]->port, dev->export);
			break;
		}
	}
	mutex_unlock(&dev->paths_lock);
	return n;
}
static DEVICE_ATTR_RO(target);

/*
 * One line per path: address:port, state, requests in flight on it,
 * reconnects, commands sent, WRITEs sent inline of them, the inline
 * data queue 0 of the path may carry, requests completed by polling and
 * of them those ended in blk-mq's batch.
 */
static ssize_t paths_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct kfblk_dev *dev = kfblk_disk_dev(d);
	struct kfi_sess_stats st;
	struct kfi_sess_path *sp;
	ssize_t n = 0;
	int i;

	mutex_lock(&dev->paths_lock);
	for (i = 0; i < KFBLK_MAX_PATHS; i++) {
		struct kfblk_path *path = dev->paths[i];

		if (!path)
			continue;
		sp = path->sp;
		kfi_sess_path_stats(sp, &st);
		n += sysfs_emit_at(buf, n, "%s %s inflight %d reconnects %llu ios %llu",
				   sp->name,
				   kfi_sess_state_str(kfi_sess_path_state(sp)),
				   atomic_read(&sp->inflight),
				   st.events[KFI_SESS_EV_UP],
				   kfblk_path_stat(path, KFBLK_STAT_IOS));
		n += sysfs_emit_at(buf, n, " inline %llu inline_max %u",
				   kfblk_path_stat(path, KFBLK_STAT_INLINE),
				   path->queues[0].inline_max);
		n += sysfs_emit_at(buf, n, " polled %llu batched %llu\n",
				   kfblk_path_stat(path, KFBLK_STAT_POLLED),
				   kfblk_path_stat(path, KFBLK_STAT_BATCHED));
	}
	mutex_unlock(&dev->paths_lock);
	return n;
}
static DEVICE_ATTR_RO(paths);

/* "ADDR PORT" of a path, as add_path and remove_path take it. */
static int kfblk_parse_path(const char *buf, char *addr, u16 *port)
{
	char fmt[16];

	snprintf(fmt, sizeof(fmt), "%%%ds %%hu", KFBLK_ADDR_MAX - 1);
	if (sscanf(buf, fmt, addr, port) != 2 || !*port ||
	    !kfblk_addr_valid(addr, strlen(addr))) {
		pr_err("path: need \"ADDR PORT\" (IPv4 or IPv6, 1-65535)\n");
		return -EINVAL;
	}
	return 0;
}

/* add_path and remove_path: "ADDR PORT" handed to @op. */
static ssize_t kfblk_path_store(struct device *d, const char *buf,
				size_t count,
				int (*op)(struct kfblk_dev *, const char *, u16))
{
	char addr[KFBLK_ADDR_MAX];
	u16 port;
	int ret;

	ret = kfblk_parse_path(buf, addr, &port);
	if (!ret)
		ret = op(kfblk_disk_dev(d), addr, port);
	return ret ? ret : count;
}

static ssize_t add_path_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	return kfblk_path_store(d, buf, count, kfblk_dev_add_path);
}
static DEVICE_ATTR_WO(add_path);

static ssize_t remove_path_store(struct device *d,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	return kfblk_path_store(d, buf, count, kfblk_dev_remove_path);
}
static DEVICE_ATTR_WO(remove_path);

static ssize_t iopolicy_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct kfblk_dev *dev = kfblk_disk_dev(d);

	return sysfs_emit(buf, "%s\n",
			  kfi_sess_policy_str(dev->sess->params.policy));
}
static DEVICE_ATTR_RO(iopolicy);

static ssize_t reconnects_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	struct kfi_sess_stats st;

	kfi_sess_get_stats(kfblk_disk_dev(d)->sess, &st);
	return sysfs_emit(buf, "%llu\n", st.events[KFI_SESS_EV_UP]);
}
static DEVICE_ATTR_RO(reconnects);

static ssize_t keepalives_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	struct kfi_sess_stats st;

	kfi_sess_get_stats(kfblk_disk_dev(d)->sess, &st);
	return sysfs_emit(buf, "%llu\n", st.keepalives);
}
static DEVICE_ATTR_RO(keepalives);

static ssize_t nr_queues_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", kfblk_disk_dev(d)->nr_queues);
}
static DEVICE_ATTR_RO(nr_queues);

static ssize_t poll_queues_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	struct kfblk_dev *dev = kfblk_disk_dev(d);

	return sysfs_emit(buf, "%u\n", dev->nr_queues - dev->first_poll);
}
static DEVICE_ATTR_RO(poll_queues);

static ssize_t queue_depth_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", kfblk_disk_dev(d)->depth);
}
static DEVICE_ATTR_RO(queue_depth);

/*
 * Writing 1 drops the connections of every live path and builds them
 * again, as a lost connection would (nvme's reset_controller): I/O in
 * flight is requeued and resumes once the session reconnects.  Only a
 * live disk that reconnects (ctrl_loss_tmo not 0) can be reset.
 */
static ssize_t reset_store(struct device *d, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct kfblk_dev *dev = kfblk_disk_dev(d);
	struct kfi_sess_path *sp;
	int i, ret = -EBUSY;
	bool on;

	if (kstrtobool(buf, &on) || !on)
		return -EINVAL;
	if (!dev->sess->params.ctrl_loss_tmo_s)
		return -EOPNOTSUPP;
	if (READ_ONCE(dev->state) != KFBLK_DEV_LIVE)
		return -EBUSY;
	mutex_lock(&dev->paths_lock);
	for (i = 0; i < KFBLK_MAX_PATHS; i++) {
		sp = dev->paths[i] ? dev->paths[i]->sp : NULL;
		if (sp && kfi_sess_path_state(sp) == KFI_SESS_LIVE) {
			kfi_sess_path_down(sp, "reset by request");
			ret = 0;
		}
	}
	mutex_unlock(&dev->paths_lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(reset);

static struct attribute *kfblk_disk_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_reset.attr,
	&dev_attr_target.attr,
	&dev_attr_reconnects.attr,
	&dev_attr_keepalives.attr,
	&dev_attr_nr_queues.attr,
	&dev_attr_poll_queues.attr,
	&dev_attr_queue_depth.attr,
	&dev_attr_paths.attr,
	&dev_attr_add_path.attr,
	&dev_attr_remove_path.attr,
	&dev_attr_iopolicy.attr,
	NULL,
};

static const struct attribute_group kfblk_disk_group = {
	.name = "kfblk",
	.attrs = kfblk_disk_attrs,
};

static const struct attribute_group *kfblk_disk_groups[] = {
	&kfblk_disk_group,
	NULL,
};

const char *kfblk_dev_state_str(struct kfblk_dev *dev)
{
	switch (READ_ONCE(dev->state)) {
	case KFBLK_DEV_CONNECTING:
		return "connecting";
	case KFBLK_DEV_LIVE:
		return "live";
	case KFBLK_DEV_RECONNECTING:
		return "reconnecting";
	default:
		return "failed";
	}
}

/*
 * The disk's limits from the target's geometry.  The block layer needs at
 * least a page and a logical block per request; anything less from the
 * target is refused here rather than handed to blk_validate_limits().
 */
static int kfblk_fill_limits(struct kfblk_dev *dev, struct queue_limits *lim)
{
	const struct kfblk_cm_rep_info *g = &dev->geo;
	u32 max_io = min_t(u32, g->max_io, (dev->max_segs - 1) << PAGE_SHIFT);

	if (max_io < PAGE_SIZE || max_io < g->logical_block_size) {
		pr_err("target's max_io %u is below a page or a block\n",
		       g->max_io);
		return -EINVAL;
	}
	lim->logical_block_size = g->logical_block_size;
	lim->physical_block_size = g->physical_block_size;
	lim->io_min = g->physical_block_size;
	lim->max_hw_sectors = max_io >> SECTOR_SHIFT;
	lim->max_segments = dev->max_segs;
	/* Fast registration maps pages: no gaps inside a request. */
	lim->virt_boundary_mask = PAGE_SIZE - 1;
	if (g->caps & KFBLK_CAP_DISCARD) {
		lim->max_hw_discard_sectors = g->max_discard_sectors;
		lim->discard_granularity = g->logical_block_size;
	}
	if (g->caps & KFBLK_CAP_WRITE_ZEROES)
		lim->max_write_zeroes_sectors = g->max_write_zeroes_sectors;
	return 0;
}

static unsigned int kfblk_disk_flags(const struct kfblk_cm_rep_info *g)
{
	return (g->caps & KFBLK_CAP_WRITE_CACHE ? KFI_DISK_WRITE_CACHE : 0) |
	       (g->caps & KFBLK_CAP_FUA ? KFI_DISK_FUA : 0);
}

static int kfblk_disk_add(struct kfblk_dev *dev)
{
	struct blk_mq_tag_set *set = &dev->tag_set;
	struct queue_limits lim = {};
	struct gendisk *disk;
	int ret;

	ret = kfblk_fill_limits(dev, &lim);
	if (ret)
		return ret;
	set->ops = &kfblk_mq_ops;
	set->nr_hw_queues = dev->nr_queues;
	set->nr_maps = dev->first_poll < dev->nr_queues ? HCTX_MAX_TYPES : 1;
	set->queue_depth = dev->depth;
	/* KFBLK_PROBE_TAG: never allocated, the paths' probes use it. */
	set->reserved_tags = dev->probes ? 1 : 0;
	set->cmd_size = sizeof(struct kfblk_req);
	set->numa_node = NUMA_NO_NODE;
	set->flags = KFI_BLK_MQ_F_MERGE;
	set->timeout = kfblk_io_timeout * HZ;
	set->driver_data = dev;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;
	disk = kfi_blk_mq_alloc_disk(set, &lim, kfblk_disk_flags(&dev->geo),
				     dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto free_tag_set;
	}
	disk->major = kfblk_major;
	disk->first_minor = dev->index * KFBLK_MINORS;
	disk->minors = KFBLK_MINORS;
	disk->fops = &kfblk_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, sizeof(disk->disk_name), "kfblk%d",
		 dev->index);
	set_capacity(disk, dev->geo.capacity);
	if (dev->geo.caps & KFBLK_CAP_READ_ONLY)
		set_disk_ro(disk, true);
	dev->disk = disk;
	dev->state = KFBLK_DEV_LIVE;
	ret = device_add_disk(NULL, disk, kfblk_disk_groups);
	if (ret)
		goto put_disk;
	return 0;

put_disk:
	mutex_lock(&dev->lock);
	dev->state = KFBLK_DEV_CONNECTING;
	mutex_unlock(&dev->lock);
	cancel_work_sync(&dev->fail_work);
	dev->disk = NULL;
	put_disk(disk);
free_tag_set:
	blk_mq_free_tag_set(set);
	return ret;
}

/* Undo kfblk_dev_create() up to the disk, in reverse. */
static void kfblk_dev_free(struct kfblk_dev *dev)
{
	int i;

	/* No callback of the session runs after this. */
	kfi_sess_free(dev->sess);
	for (i = 0; i < KFBLK_MAX_PATHS; i++)
		if (dev->paths[i])
			kfblk_path_free(dev->paths[i]);
	kfree(dev->hctx);
	ida_free(&kfblk_ida, dev->index);
	kfree(dev);
	atomic_dec(&kfblk_live_objects);
}

static int kfblk_dev_init_params(struct kfblk_dev *dev,
				 const struct kfblk_map_params *p)
{
	u32 max_io = clamp(kfblk_max_io_kb, 4U, 1024U) << 10;
	u32 poll;

	strscpy(dev->export, p->export, sizeof(dev->export));
	dev->nr_queues = kfblk_nr_queues ? kfblk_nr_queues : num_online_cpus();
	dev->nr_queues = clamp_t(u32, dev->nr_queues, 1,
				 min(KFBLK_MAX_QUEUES, (int)nr_cpu_ids));
	dev->first_poll = dev->nr_queues;
	poll = min_t(u32, kfblk_poll_queues, nr_cpu_ids);
	dev->nr_queues += min_t(u32, poll, KFBLK_MAX_QUEUES - dev->first_poll);
	dev->probes = kfblk_keepalive_ms != 0;
	dev->depth = clamp(kfblk_queue_depth, dev->probes ? 2U : 1U, 128U);
	dev->max_segs = (max_io >> PAGE_SHIFT) + 1;
	mutex_init(&dev->paths_lock);
	mutex_init(&dev->lock);
	INIT_WORK(&dev->fail_work, kfblk_fail_work);
	dev->hctx = kcalloc(dev->nr_queues, sizeof(*dev->hctx), GFP_KERNEL);
	return dev->hctx ? 0 : -ENOMEM;
}

/* The first path, connected; the session that keeps it. */
static int kfblk_dev_connect(struct kfblk_dev *dev,
			     const struct kfblk_map_params *p)
{
	struct kfblk_path *path;
	int ret;

	path = kfblk_path_new(dev, p->addr, p->port);
	if (IS_ERR(path))
		return PTR_ERR(path);
	dev->paths[0] = path;
	ret = kfblk_dev_open_sess(dev, path);
	return ret ? ret : kfi_sess_start(dev->sess);
}

/**
 * kfblk_dev_create() - connect to a target and add /dev/kfblkN
 * @p: target address, port and export name (validated by the caller)
 *
 * Context: process, may sleep for up to nr_queues connect timeouts.
 * Return: the device, or an ERR_PTR() with nothing left behind.
 */
struct kfblk_dev *kfblk_dev_create(const struct kfblk_map_params *p)
{
	struct kfblk_dev *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	atomic_inc(&kfblk_live_objects);
	dev->index = ida_alloc_max(&kfblk_ida, (1 << MINORBITS) / KFBLK_MINORS - 1,
				   GFP_KERNEL);
	if (dev->index < 0) {
		ret = dev->index;
		kfree(dev);
		atomic_dec(&kfblk_live_objects);
		return ERR_PTR(ret);
	}
	ret = kfblk_dev_init_params(dev, p);
	if (!ret)
		ret = kfblk_dev_connect(dev, p);
	if (!ret)
		ret = kfblk_disk_add(dev);
	if (ret) {
		kfblk_dev_free(dev);
		return ERR_PTR(ret);
	}
	pr_info("kfblk%d: %s port %u export %s: %llu sectors, %u queues (%u polled) of %u\n",
		dev->index, p->addr, p->port, dev->export, dev->geo.capacity,
		dev->nr_queues, dev->nr_queues - dev->first_poll, dev->depth);
	return dev;
}

/**
 * kfblk_dev_destroy() - remove the disk and disconnect
 * @dev: from kfblk_dev_create()
 *
 * Always succeeds, in every state: the session stops first (a reconnect
 * attempt under way finishes), so I/O waiting for a path fails now
 * instead; I/O in flight on a live path completes (or times out and
 * fails) before the disk goes.
 *
 * Context: process, may sleep.
 */
void kfblk_dev_destroy(struct kfblk_dev *dev)
{
	int index = dev->index;
	bool down = kfi_sess_state(dev->sess) != KFI_SESS_LIVE;

	WRITE_ONCE(dev->unmapping, true);
	kfi_sess_stop(dev->sess);
	mutex_lock(&dev->lock);
	if (dev->state != KFBLK_DEV_LIVE) {
		WRITE_ONCE(dev->state, KFBLK_DEV_FAILED);
		kfblk_unquiesce(dev);
	}
	mutex_unlock(&dev->lock);
	/* Reported lost, not torn down yet: fail_work does it now. */
	if (down)
		kfblk_dev_fail_all(dev, "unmapped while no path was up");
	del_gendisk(dev->disk);
	mutex_lock(&dev->lock);
	/* fail_work, if it runs after this, finds nothing to do. */
	dev->state = KFBLK_DEV_FAILED;
	mutex_unlock(&dev->lock);
	cancel_work_sync(&dev->fail_work);
	put_disk(dev->disk);
	mutex_lock(&dev->lock);
	kfblk_dev_close_paths(dev);
	mutex_unlock(&dev->lock);
	blk_mq_free_tag_set(&dev->tag_set);
	kfblk_dev_free(dev);
	pr_info("kfblk%d: unmapped\n", index);
}

static int __init kfblk_init(void)
{
	int ret;

	kfblk_major = register_blkdev(0, "kfblk");
	if (kfblk_major < 0)
		return kfblk_major;
	ret = kfblk_cfs_init();
	if (ret)
		goto unregister_blkdev;
	return 0;

unregister_blkdev:
	unregister_blkdev(kfblk_major, "kfblk");
	return ret;
}

static void __exit kfblk_exit(void)
{
	kfblk_cfs_exit();
	unregister_blkdev(kfblk_major, "kfblk");
	WARN_ON(atomic_read(&kfblk_live_objects));
	ida_destroy(&kfblk_ida);
}

module_init(kfblk_init);
module_exit(kfblk_exit);

MODULE_DESCRIPTION("kfblk: block devices of a kfblk target over kfabric");
MODULE_LICENSE("GPL");
