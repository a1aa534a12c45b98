// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk client: blk-mq driver for block devices exported by kfblk_target.
 *
 * Life of a mapping: kfblk_dev_create() resolves the target, connects one
 * endpoint per hardware queue (the accept carries the geometry), sets up
 * the tag set (one MR per request) and adds /dev/kfblkN.  The queues'
 * connections are one path of a kfabric session (kfi_sess.h), which
 * watches it: a lost connection, an I/O timeout or a protocol violation
 * reports the path down; the session then has kfblk_sess_disconnect()
 * close every endpoint and requeue what was in flight (the queue stays
 * quiesced, so new I/O waits too), tries kfblk_sess_connect() every
 * reconnect delay, and says when to let I/O fail (fail-fast time) or to
 * give up for good (give-up time; 0, the default, gives up at once: the
 * disk then fails I/O until user space unmaps it).  A replayed WRITE is
 * safe for a block device: nothing above it was told it completed, so
 * writing the same data again can only repeat it.
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

static unsigned int kfblk_queue_depth = 128;
module_param_named(queue_depth, kfblk_queue_depth, uint, 0644);
MODULE_PARM_DESC(queue_depth, "Requests per hardware queue (1-128, default 128)");

static unsigned int kfblk_io_timeout = 30;
module_param_named(io_timeout, kfblk_io_timeout, uint, 0644);
MODULE_PARM_DESC(io_timeout, "Seconds before an I/O times out and the connection is dropped (default 30)");

static unsigned int kfblk_connect_timeout_ms = 5000;
module_param_named(connect_timeout_ms, kfblk_connect_timeout_ms, uint, 0644);
MODULE_PARM_DESC(connect_timeout_ms, "Milliseconds to wait for each connection (default 5000)");

/*
 * Off by default: an immediate-data answer leaves the MR to a local
 * invalidation, which Soft-RoCE in 6.1 can lose when it races the send
 * before it; a response message invalidates remotely instead.
 */
static bool kfblk_imm_response;
module_param_named(imm_response, kfblk_imm_response, bool, 0644);
MODULE_PARM_DESC(imm_response, "Let the target answer READs with RMA write immediate data, saving a message (default off)");

static unsigned int kfblk_max_io_kb = 1024;
module_param_named(max_io_kb, kfblk_max_io_kb, uint, 0644);
MODULE_PARM_DESC(max_io_kb, "Largest request in KiB (4-1024, default 1024)");

/* The session's knobs (kfi_sess_params), as nvme-fabrics names them. */
static unsigned int kfblk_reconnect_delay_ms = 1000;
module_param_named(reconnect_delay_ms, kfblk_reconnect_delay_ms, uint, 0644);
MODULE_PARM_DESC(reconnect_delay_ms, "Milliseconds between reconnect attempts (default 1000)");

/* Reconnect and probe by default, as nvme-fabrics does (600 s, 5 s). */
static int kfblk_ctrl_loss_tmo = 600;
module_param_named(ctrl_loss_tmo, kfblk_ctrl_loss_tmo, int, 0644);
MODULE_PARM_DESC(ctrl_loss_tmo, "Seconds to keep reconnecting after a loss before failing the device; -1 forever, 0 no reconnect (default 600)");

static int kfblk_fast_io_fail_tmo = -1;
module_param_named(fast_io_fail_tmo, kfblk_fast_io_fail_tmo, int, 0644);
MODULE_PARM_DESC(fast_io_fail_tmo, "Seconds after a loss before queued I/O fails instead of waiting; -1 (default) only at give-up");

static unsigned int kfblk_keepalive_ms = 5000;
module_param_named(keepalive_ms, kfblk_keepalive_ms, uint, 0644);
MODULE_PARM_DESC(keepalive_ms, "Milliseconds without an answer before the target is probed; 0 no probes (default 5000)");

static unsigned int kfblk_keepalive_misses = 3;
module_param_named(keepalive_misses, kfblk_keepalive_misses, uint, 0644);
MODULE_PARM_DESC(keepalive_misses, "Probes in a row unanswered before the connection counts as lost (default 3)");

/* Live devices, queues and MRs: the leak check of the selftests reads it. */
static atomic_t kfblk_live_objects = ATOMIC_INIT(0);

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
 * The connection is lost (or can no longer be trusted): the session takes
 * it from here.  Once the session is stopped (unmap), fail_work fails the
 * I/O instead, so that del_gendisk() never waits for a reconnect.
 */
static void kfblk_dev_fail(struct kfblk_dev *dev, const char *why)
{
	if (READ_ONCE(dev->state) != KFBLK_DEV_LIVE)
		return;
	if (kfi_sess_path_state(dev->path) != KFI_SESS_CLOSED) {
		kfi_sess_path_down(dev->path, why);
		return;
	}
	pr_err("kfblk%d: %s; failing its I/O\n", dev->index, why);
	queue_work(system_long_wq, &dev->fail_work);
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

static void kfblk_req_put(struct kfblk_req *req)
{
	struct request *rq = blk_mq_rq_from_pdu(req);

	if (atomic_dec_and_test(&req->ref) &&
	    !blk_mq_complete_request_remote(rq))
		blk_mq_end_request(rq, req->status);
}

static void kfblk_complete_rq(struct request *rq)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);

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

static void kfblk_send_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfblk_req *req = container_of(e->op_context, struct kfblk_req,
					     send_ctx);

	if (e->err) {
		/* No response will come: fail_work completes the request. */
		if (e->err != -ECANCELED)
			kfblk_dev_fail(req->queue->dev, "command send failed");
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
		blk_mq_run_hw_queue(req->queue->hctx, true);
		return;
	}
	if (e->err) {
		/* The key may still be valid: leave it to fail_work. */
		if (e->err != -ECANCELED)
			kfblk_dev_fail(req->queue->dev, "invalidation failed");
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
	if (!kfblk_rsp_match(ri, &req->cmd) ||
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
		kfblk_dev_fail(q->dev, "target invalidated a key it was not given");
		return;
	}
	if (test_bit(KFBLK_REQ_MAPPED, &req->flags)) {
		if (e->flags & KFI_MR_INVALIDATED) {
			if (e->inv_key != req->mr->key) {
				kfblk_dev_fail(q->dev, "target invalidated a wrong key");
				return;
			}
			clear_bit(KFBLK_REQ_MAPPED, &req->flags);
		} else if (kfi_mr_unmap(q->ep, req->mr, &req->inv_ctx)) {
			kfblk_dev_fail(q->dev, "cannot invalidate a key");
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

static void kfblk_recv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct kfblk_rx *rx = container_of(e->op_context, struct kfblk_rx, ctx);
	struct kfblk_queue *q = rx->queue;
	struct kfblk_rsp_info ri;
	struct kfblk_req *req;
	int ret, err;

	if (e->err) {
		if (e->err != -ECANCELED)
			kfblk_dev_fail(q->dev, "receive failed");
		return;
	}
	/* Parsing copies the response out, so the buffer can go back now. */
	if (e->flags & KFI_REMOTE_CQ_DATA)
		ret = kfblk_imm_parse(q, e, &ri);
	else
		ret = kfblk_rsp_parse(&rx->rsp, e->len, q->dev->depth, &ri);
	err = kfi_recv(q->ep, &rx->rsp, sizeof(rx->rsp), NULL, &rx->ctx);
	if (err)
		kfblk_dev_fail(q->dev, err == -ENOTCONN ?
			       "connection lost (a receive cannot be reposted)" :
			       "cannot repost a receive");
	req = ret ? NULL : kfblk_rsp_req(q, &ri);
	if (!req) {
		kfblk_dev_fail(q->dev, "invalid response from the target");
		return;
	}
	kfi_sess_path_alive(q->dev->path);
	req->status = kfblk_rsp_status(ri.status);
	kfblk_rsp_finish(req, e);
}

static void kfblk_credit_ready(struct kfid_ep *ep)
{
	struct kfblk_queue *q = ep->fid.context;

	if (q->hctx)
		blk_mq_run_hw_queue(q->hctx, true);
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
		kfblk_dev_fail(q->dev, "endpoint no longer connected");
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
	case REQ_OP_DRV_IN:
		/* Only kfblk_sess_keepalive() makes these. */
		ci.opcode = KFBLK_OP_KEEPALIVE;
		ci.sector = 0;
		ci.len = 0;
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

static blk_status_t kfblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct kfblk_queue *q = hctx->driver_data;
	struct request *rq = bd->rq;
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);
	blk_status_t sts;
	int ret;

	if (!READ_ONCE(q->live)) {
		/* Reconnecting: wait (the queue is rerun once it is up). */
		if (!kfblk_dev_failing(q->dev))
			return BLK_STS_DEV_RESOURCE;
		/* Endpoint gone: its MR cannot be reached any more. */
		clear_bit(KFBLK_REQ_MAPPED, &req->flags);
		return BLK_STS_IOERR;
	}
	sts = kfblk_setup_cmd(q, req, rq);
	if (sts)
		return sts;

	blk_mq_start_request(rq);
	req->status = BLK_STS_OK;
	atomic_set(&req->ref, 2);
	set_bit(KFBLK_REQ_AWAIT_RSP, &req->flags);
	ret = kfi_send(q->ep, &req->cmd, sizeof(req->cmd), NULL,
		       &req->send_ctx);
	if (!ret)
		return BLK_STS_OK;
	clear_bit(KFBLK_REQ_AWAIT_RSP, &req->flags);
	return kfblk_post_failed(q, req, ret);
}

static enum blk_eh_timer_return kfblk_timeout(struct request *rq)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);
	struct kfblk_dev *dev = req->queue->dev;

	pr_warn("kfblk%d: I/O tag %d timed out on queue %u\n", dev->index,
		rq->tag, req->queue->qid);
	/* fail_work closes the connections and completes the request. */
	kfblk_dev_fail(dev, "I/O timeout");
	return BLK_EH_RESET_TIMER;
}

static int kfblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			   unsigned int hctx_idx)
{
	struct kfblk_dev *dev = data;
	struct kfblk_queue *q = &dev->queues[hctx_idx];

	q->hctx = hctx;
	hctx->driver_data = q;
	return 0;
}

static int kfblk_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx, kfi_numa_node_t numa_node)
{
	struct kfblk_dev *dev = set->driver_data;
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);
	int ret;

	req->queue = &dev->queues[hctx_idx];
	req->send_ctx.done = kfblk_send_done;
	req->inv_ctx.done = kfblk_inv_done;
	req->sgl = kcalloc_node(dev->max_segs, sizeof(*req->sgl), GFP_KERNEL,
				numa_node);
	if (!req->sgl)
		return -ENOMEM;
	sg_init_table(req->sgl, dev->max_segs);
	/* Direction is not known yet: the target may read or write it. */
	ret = kfi_mr_alloc(dev->domain, dev->max_segs,
			   KFI_REMOTE_READ | KFI_REMOTE_WRITE, &req->mr, req);
	if (ret) {
		kfree(req->sgl);
		req->sgl = NULL;
		return ret;
	}
	atomic_inc(&kfblk_live_objects);
	return 0;
}

static void kfblk_exit_request(struct blk_mq_tag_set *set, struct request *rq,
			       unsigned int hctx_idx)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);

	if (req->mr) {
		kfi_close(&req->mr->fid);
		atomic_dec(&kfblk_live_objects);
	}
	kfree(req->sgl);
}

static const struct blk_mq_ops kfblk_mq_ops = {
	.queue_rq = kfblk_queue_rq,
	.complete = kfblk_complete_rq,
	.timeout = kfblk_timeout,
	.init_hctx = kfblk_init_hctx,
	.init_request = kfblk_init_request,
	.exit_request = kfblk_exit_request,
};

/* ---- Connections ------------------------------------------------------ */

static void kfblk_cm_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfblk_queue *q = e->fid->context;
	int st;

	if (!q->connecting) {
		if (e->event == KFI_SHUTDOWN || e->event == KFI_DEVICE_REMOVAL)
			kfblk_dev_fail(q->dev, "connection lost");
		return;
	}
	switch (e->event) {
	case KFI_CONNECTED:
		st = kfblk_cm_rep_parse(e->data, e->datalen, &q->rep);
		q->cm_err = st ? -EPROTO : 0;
		break;
	case KFI_REJECTED:
		st = kfblk_cm_rep_parse(e->data, e->datalen, &q->rep);
		pr_err("kfblk%d: target refused queue %u: %s\n", q->dev->index,
		       q->qid, st > 0 ? kfblk_status_str(st) : "no reason");
		q->cm_err = -ECONNREFUSED;
		break;
	case KFI_UNREACHABLE:
		q->cm_err = e->err ? e->err : -EHOSTUNREACH;
		break;
	default:
		q->cm_err = e->err ? e->err : -ECONNRESET;
		break;
	}
	q->connecting = false;
	complete(&q->cm_done);
}

static void kfblk_queue_close(struct kfblk_queue *q)
{
	if (q->ep) {
		kfi_close(&q->ep->fid);
		q->ep = NULL;
	}
	if (q->cq) {
		kfi_close(&q->cq->fid);
		q->cq = NULL;
		atomic_dec(&kfblk_live_objects);
	}
}

static int kfblk_queue_open(struct kfblk_dev *dev, struct kfblk_queue *q)
{
	struct kfi_cq_attr cq_attr = {
		.size = 3 * dev->depth + q->nr_rx + 1,
		.poll_ctx = KFI_POLL_SOFTIRQ,
		.comp_vector = -1,
	};
	struct kfi_info *info = dev->info;
	u32 i;
	int ret;

	ret = kfi_cq_open(dev->domain, &cq_attr, &q->cq, q);
	if (ret)
		return ret;
	atomic_inc(&kfblk_live_objects);
	/* Each request may post a registration, a send and an invalidation. */
	info->tx_attr.size = 3 * dev->depth + 1;
	info->rx_attr.size = q->nr_rx;
	ret = kfi_endpoint(dev->domain, info, &q->ep, q);
	if (ret)
		return ret;
	q->ep->credit_ready = kfblk_credit_ready;
	ret = kfi_ep_bind(q->ep, &q->cq->fid, KFI_TRANSMIT | KFI_RECEIVE);
	if (!ret)
		ret = kfi_ep_bind(q->ep, &dev->eq->fid, 0);
	if (!ret)
		ret = kfi_enable(q->ep);
	for (i = 0; !ret && i < q->nr_rx; i++)
		ret = kfi_recv(q->ep, &q->rx[i].rsp, sizeof(q->rx[i].rsp), NULL,
			       &q->rx[i].ctx);
	return ret;
}

static int kfblk_queue_connect(struct kfblk_dev *dev, struct kfblk_queue *q)
{
	struct kfblk_cm_req_info qi = {
		.qid = q->qid,
		.nr_queues = dev->nr_queues,
		.queue_depth = dev->depth,
		.flags = KFBLK_CM_REMOTE_INV,
	};
	struct kfblk_cm_req req;
	unsigned long left;
	int ret;

	q->imm_rsp = kfblk_imm_response;
	if (q->imm_rsp)
		qi.flags |= KFBLK_CM_IMM_RSP;
	strscpy(qi.export_name, dev->export, sizeof(qi.export_name));
	ret = kfblk_cm_req_build(&req, &qi);
	if (ret)
		return ret;
	ret = kfblk_queue_open(dev, q);
	if (ret)
		return ret;
	reinit_completion(&q->cm_done);
	q->connecting = true;
	ret = kfi_connect(q->ep, &req, sizeof(req));
	if (ret) {
		q->connecting = false;
		return ret;
	}
	left = msecs_to_jiffies(kfblk_connect_timeout_ms);
	left = wait_for_completion_timeout(&q->cm_done, left);
	if (!left) {
		pr_err("kfblk%d: no answer from %s port %u after %u ms\n",
		       dev->index, dev->addr, dev->port,
		       kfblk_connect_timeout_ms);
		return -ETIMEDOUT;
	}
	return q->cm_err;
}

/*
 * Every queue must agree with queue 0's view of the device, and after a
 * reconnect with the disk's: the tag set and the disk's limits were made
 * for it, so a target that changed under us is refused.
 */
static int kfblk_queue_check(struct kfblk_dev *dev, struct kfblk_queue *q)
{
	const struct kfblk_cm_rep_info *a = &dev->queues[0].rep, *b = &q->rep;

	if (dev->disk)
		a = &dev->geo;
	if (a->capacity != b->capacity ||
	    a->logical_block_size != b->logical_block_size ||
	    a->max_io != b->max_io || a->caps != b->caps)
		return -EPROTO;
	if (dev->disk && b->queue_depth < dev->depth)
		return -EPROTO;
	dev->depth = min(dev->depth, b->queue_depth);
	return 0;
}

static int kfblk_connect_all(struct kfblk_dev *dev)
{
	u16 i;
	int ret;

	for (i = 0; i < dev->nr_queues; i++) {
		struct kfblk_queue *q = &dev->queues[i];

		ret = kfblk_queue_connect(dev, q);
		if (!ret)
			ret = kfblk_queue_check(dev, q);
		if (ret) {
			pr_err("kfblk%d: queue %u to %s port %u: error %d\n",
			       dev->index, i, dev->addr, dev->port, ret);
			return ret;
		}
		WRITE_ONCE(q->live, true);
	}
	dev->geo = dev->queues[0].rep;
	return 0;
}

static void kfblk_queues_close(struct kfblk_dev *dev)
{
	u16 i;

	lockdep_assert_held(&dev->lock);
	for (i = 0; i < dev->nr_queues; i++)
		WRITE_ONCE(dev->queues[i].live, false);
	for (i = 0; i < dev->nr_queues; i++)
		kfblk_queue_close(&dev->queues[i]);
}

/*
 * A fresh MR for a request whose key the lost connection's peer was
 * given: closing the old MR revokes the key and releases the pages, so
 * nothing the peer still does with it reaches them.  On failure the
 * request has no MR and its data commands fail.
 */
static int kfblk_ctrl_loss_tmo_of(struct kfblk_dev *dev)
{
	return dev->sess->params.ctrl_loss_tmo_s;
}

static void kfblk_req_new_mr(struct kfblk_dev *dev, struct kfblk_req *req)
{
	int ret;

	kfi_close(&req->mr->fid);
	atomic_dec(&kfblk_live_objects);
	clear_bit(KFBLK_REQ_MAPPED, &req->flags);
	ret = kfi_mr_alloc(dev->domain, dev->max_segs,
			   KFI_REMOTE_READ | KFI_REMOTE_WRITE, &req->mr, req);
	if (ret) {
		pr_err("kfblk%d: cannot renew a request's MR: %d\n",
		       dev->index, ret);
		req->mr = NULL;
		return;
	}
	atomic_inc(&kfblk_live_objects);
}

/*
 * In flight when the path went down: back to blk-mq, to be sent again.
 * Called by blk_mq_tagset_busy_iter() holding a reference on @rq and no
 * lock, so it may sleep (closing an MR does).
 */
static bool kfblk_requeue_rq(struct request *rq, void *data)
{
	struct kfblk_req *req = blk_mq_rq_to_pdu(rq);

	if (blk_mq_request_completed(rq))
		return true;
	clear_bit(KFBLK_REQ_AWAIT_RSP, &req->flags);
	clear_bit(KFBLK_REQ_STALE_INV, &req->flags);
	/* Without a reconnect to come the request fails, as the disk will. */
	if (req->mr && READ_ONCE(req->mr->mapped) &&
	    kfblk_ctrl_loss_tmo_of(data))
		kfblk_req_new_mr(data, req);
	set_bit(KFBLK_REQ_REQUEUE, &req->flags);
	blk_mq_complete_request(rq);
	return true;
}

/* Let dispatch run again: for a live path, or to fail what waits. */
static void kfblk_unquiesce(struct kfblk_dev *dev)
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

static void kfblk_fail_work(struct work_struct *work)
{
	struct kfblk_dev *dev = container_of(work, struct kfblk_dev,
					     fail_work);
	struct request_queue *rq;

	mutex_lock(&dev->lock);
	if (dev->state != KFBLK_DEV_LIVE)
		goto unlock;
	dev->state = KFBLK_DEV_FAILED;
	rq = dev->disk->queue;
	/* No queue_rq is running once quiesced, so endpoints can close. */
	blk_mq_quiesce_queue(rq);
	kfblk_queues_close(dev);
	/* Closed endpoints deliver nothing more: what is left is ours. */
	blk_mq_tagset_busy_iter(&dev->tag_set, kfblk_cancel_rq, dev);
	blk_mq_unquiesce_queue(rq);
unlock:
	mutex_unlock(&dev->lock);
}

/* ---- Session callbacks ----------------------------------------------- */

/* Connect every queue; on error nothing is left open. */
static int kfblk_sess_connect(struct kfi_sess_path *path)
{
	struct kfblk_dev *dev = path->priv;
	int ret;

	mutex_lock(&dev->lock);
	ret = kfblk_connect_all(dev);
	if (ret)
		kfblk_queues_close(dev);
	mutex_unlock(&dev->lock);
	return ret;
}

/*
 * The path went down: stop dispatch, close every endpoint (nothing posted
 * on them completes afterwards) and requeue what was in flight.  The
 * queue stays quiesced, so requeued and new I/O waits for the session's
 * next event.
 */
static void kfblk_sess_disconnect(struct kfi_sess_path *path)
{
	struct kfblk_dev *dev = path->priv;

	mutex_lock(&dev->lock);
	if (dev->disk) {
		WRITE_ONCE(dev->state, KFBLK_DEV_RECONNECTING);
		if (!dev->quiesced) {
			blk_mq_quiesce_queue(dev->disk->queue);
			dev->quiesced = true;
		}
	}
	kfblk_queues_close(dev);
	if (dev->disk) {
		blk_mq_tagset_busy_iter(&dev->tag_set, kfblk_requeue_rq, dev);
		/* Their completions requeue them, maybe on another CPU. */
		blk_mq_tagset_wait_completed_request(&dev->tag_set);
	}
	mutex_unlock(&dev->lock);
}

static void kfblk_sess_event(struct kfi_sess_path *path,
			     enum kfi_sess_event ev, const char *why)
{
	struct kfblk_dev *dev = path->priv;

	mutex_lock(&dev->lock);
	if (!dev->disk)
		goto unlock;
	switch (ev) {
	case KFI_SESS_EV_UP:
		WRITE_ONCE(dev->state, KFBLK_DEV_LIVE);
		pr_info("kfblk%d: reconnected to %s port %u; resuming I/O\n",
			dev->index, dev->addr, dev->port);
		kfblk_unquiesce(dev);
		break;
	case KFI_SESS_EV_FAST_FAIL:
		pr_err("kfblk%d: %s; failing queued I/O until reconnected\n",
		       dev->index, why);
		kfblk_unquiesce(dev);
		break;
	case KFI_SESS_EV_GIVE_UP:
		WRITE_ONCE(dev->state, KFBLK_DEV_FAILED);
		pr_err("kfblk%d: %s; failing its I/O\n", dev->index, why);
		kfblk_unquiesce(dev);
		break;
	default:
		break;
	}
unlock:
	mutex_unlock(&dev->lock);
}

/*
 * Nothing was heard from the target for a keep-alive interval: probe it
 * with a KEEPALIVE command on the tag set aside for it.  While the last
 * probe still holds that tag, this one cannot be sent: -EAGAIN, a miss.
 * Its answer marks the path alive like any other; with no end_io the
 * request is freed when it completes.
 */
static int kfblk_sess_keepalive(struct kfi_sess_path *path)
{
	struct kfblk_dev *dev = path->priv;
	struct request *rq;

	if (!dev->disk)
		return -EAGAIN;
	rq = blk_mq_alloc_request(dev->disk->queue, REQ_OP_DRV_IN,
				  BLK_MQ_REQ_NOWAIT | BLK_MQ_REQ_RESERVED);
	if (IS_ERR(rq))
		return -EAGAIN;
	blk_execute_rq_nowait(rq, false);
	return 0;
}

static const struct kfi_sess_ops kfblk_sess_ops = {
	.connect = kfblk_sess_connect,
	.disconnect = kfblk_sess_disconnect,
	.event = kfblk_sess_event,
	.keepalive = kfblk_sess_keepalive,
};

static int kfblk_dev_open_sess(struct kfblk_dev *dev)
{
	struct kfi_sess_params p = {
		.reconnect_delay_ms = max(kfblk_reconnect_delay_ms, 1U),
		.ctrl_loss_tmo_s = kfblk_ctrl_loss_tmo,
		.fast_io_fail_tmo_s = kfblk_fast_io_fail_tmo,
		.keepalive_ms = kfblk_keepalive_ms,
		.keepalive_misses = kfblk_keepalive_misses,
	};
	char name[KFBLK_ADDR_MAX + sizeof(":65535")];
	int ret;

	snprintf(name, sizeof(name), "kfblk%d", dev->index);
	dev->sess = kfi_sess_create(name, &kfblk_sess_ops, &p, dev);
	if (IS_ERR(dev->sess)) {
		ret = PTR_ERR(dev->sess);
		dev->sess = NULL;
		pr_err("%s: bad session parameters: %d\n", name, ret);
		return ret;
	}
	snprintf(name, sizeof(name), "%s:%u", dev->addr, dev->port);
	return kfi_sess_add_path(dev->sess, name, dev, &dev->path);
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

static ssize_t target_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	struct kfblk_dev *dev = kfblk_disk_dev(d);

	return sysfs_emit(buf, "%s %u %s\n", dev->addr, dev->port, dev->export);
}
static DEVICE_ATTR_RO(target);

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

static ssize_t queue_depth_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", kfblk_disk_dev(d)->depth);
}
static DEVICE_ATTR_RO(queue_depth);

/*
 * Writing 1 drops the disk's connections and builds them again, as a lost
 * connection would (nvme's reset_controller): I/O in flight is requeued
 * and resumes once the session reconnects.  Only a live disk that
 * reconnects (ctrl_loss_tmo not 0) can be reset.
 */
static ssize_t reset_store(struct device *d, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct kfblk_dev *dev = kfblk_disk_dev(d);
	bool on;

	if (kstrtobool(buf, &on) || !on)
		return -EINVAL;
	if (!kfblk_ctrl_loss_tmo_of(dev))
		return -EOPNOTSUPP;
	if (READ_ONCE(dev->state) != KFBLK_DEV_LIVE ||
	    kfi_sess_path_state(dev->path) != KFI_SESS_LIVE)
		return -EBUSY;
	kfi_sess_path_down(dev->path, "reset by request");
	return count;
}
static DEVICE_ATTR_WO(reset);

static struct attribute *kfblk_disk_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_reset.attr,
	&dev_attr_target.attr,
	&dev_attr_reconnects.attr,
	&dev_attr_keepalives.attr,
	&dev_attr_nr_queues.attr,
	&dev_attr_queue_depth.attr,
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
	set->queue_depth = dev->depth;
	/* A tag for the keep-alive probe, so full queues can still probe. */
	set->reserved_tags = kfblk_keepalive_ms ? 1 : 0;
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

static int kfblk_dev_open_fabric(struct kfblk_dev *dev)
{
	struct kfi_info hints = {
		.caps = KFI_MSG | KFI_RMA,
		.ep_attr.type = KFI_EP_MSG,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 4 * dev->nr_queues + 4,
		.handler = kfblk_cm_event,
		.handler_arg = dev,
	};
	char port[8];
	int ret;

	snprintf(port, sizeof(port), "%u", dev->port);
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  dev->addr, port, 0, &hints, &dev->info);
	if (ret) {
		pr_err("kfblk%d: no fabric reaches %s port %u: %d\n",
		       dev->index, dev->addr, dev->port, ret);
		dev->info = NULL;
		return ret;
	}
	if (dev->info->ep_attr.cm_data_size &&
	    dev->info->ep_attr.cm_data_size < sizeof(struct kfblk_cm_req))
		return -EMSGSIZE;
	ret = kfi_fabric(&dev->info->fabric_attr, &dev->fabric, dev);
	if (!ret)
		ret = kfi_domain(dev->fabric, dev->info, &dev->domain, dev);
	if (!ret)
		ret = kfi_eq_open(dev->fabric, &eq_attr, &dev->eq, dev);
	return ret;
}

static int kfblk_dev_alloc_queues(struct kfblk_dev *dev)
{
	u16 i;
	u32 j;

	dev->queues = kcalloc(dev->nr_queues, sizeof(*dev->queues),
			      GFP_KERNEL);
	if (!dev->queues)
		return -ENOMEM;
	for (i = 0; i < dev->nr_queues; i++) {
		struct kfblk_queue *q = &dev->queues[i];

		q->dev = dev;
		q->qid = i;
		init_completion(&q->cm_done);
		/* One spare so a response never waits for a repost. */
		q->nr_rx = dev->depth + 1;
		q->rx = kcalloc(q->nr_rx, sizeof(*q->rx), GFP_KERNEL);
		if (!q->rx)
			return -ENOMEM;
		for (j = 0; j < q->nr_rx; j++) {
			q->rx[j].queue = q;
			q->rx[j].ctx.done = kfblk_recv_done;
		}
	}
	return 0;
}

/* Undo kfblk_dev_create() up to the disk, in reverse. */
static void kfblk_dev_free(struct kfblk_dev *dev)
{
	u16 i;

	/* No callback of the session runs after this. */
	kfi_sess_free(dev->sess);
	if (dev->queues) {
		mutex_lock(&dev->lock);
		kfblk_queues_close(dev);
		mutex_unlock(&dev->lock);
	}
	/* Its handler may still look at a queue: close it before the free. */
	if (dev->eq)
		kfi_close(&dev->eq->fid);
	if (dev->queues) {
		for (i = 0; i < dev->nr_queues; i++)
			kfree(dev->queues[i].rx);
		kfree(dev->queues);
	}
	if (dev->domain)
		kfi_close(&dev->domain->fid);
	if (dev->fabric)
		kfi_close(&dev->fabric->fid);
	kfi_freeinfo(dev->info);
	ida_free(&kfblk_ida, dev->index);
	kfree(dev);
	atomic_dec(&kfblk_live_objects);
}

static void kfblk_dev_init_params(struct kfblk_dev *dev,
				  const struct kfblk_map_params *p)
{
	u32 max_io = clamp(kfblk_max_io_kb, 4U, 1024U) << 10;

	strscpy(dev->addr, p->addr, sizeof(dev->addr));
	strscpy(dev->export, p->export, sizeof(dev->export));
	dev->port = p->port;
	dev->nr_queues = kfblk_nr_queues ? kfblk_nr_queues : num_online_cpus();
	dev->nr_queues = clamp_t(u32, dev->nr_queues, 1,
				 min(KFBLK_MAX_QUEUES, (int)nr_cpu_ids));
	dev->depth = clamp(kfblk_queue_depth, kfblk_keepalive_ms ? 2U : 1U, 128U);
	dev->max_segs = (max_io >> PAGE_SHIFT) + 1;
	mutex_init(&dev->lock);
	INIT_WORK(&dev->fail_work, kfblk_fail_work);
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
	kfblk_dev_init_params(dev, p);

	ret = kfblk_dev_open_fabric(dev);
	if (!ret)
		ret = kfblk_dev_alloc_queues(dev);
	if (!ret)
		ret = kfblk_dev_open_sess(dev);
	if (!ret)
		ret = kfi_sess_start(dev->sess);
	if (!ret && dev->info->domain_attr.max_mr_segs)
		dev->max_segs = min(dev->max_segs,
				    dev->info->domain_attr.max_mr_segs);
	if (!ret && dev->max_segs < 2)
		ret = -EINVAL;
	if (!ret)
		ret = kfblk_disk_add(dev);
	if (ret) {
		kfblk_dev_free(dev);
		return ERR_PTR(ret);
	}
	pr_info("kfblk%d: %s port %u export %s: %llu sectors, %u queues of %u\n",
		dev->index, dev->addr, dev->port, dev->export,
		dev->geo.capacity, dev->nr_queues, dev->depth);
	return dev;
}

/**
 * kfblk_dev_destroy() - remove the disk and disconnect
 * @dev: from kfblk_dev_create()
 *
 * Always succeeds, in every state: the session stops first (a reconnect
 * attempt under way finishes), so I/O waiting for a reconnect fails now
 * instead; I/O in flight on a live connection completes (or times out
 * and fails) before the disk goes.
 *
 * Context: process, may sleep.
 */
void kfblk_dev_destroy(struct kfblk_dev *dev)
{
	int index = dev->index;
	bool down = kfi_sess_path_state(dev->path) != KFI_SESS_LIVE;

	kfi_sess_stop(dev->sess);
	mutex_lock(&dev->lock);
	if (dev->state != KFBLK_DEV_LIVE) {
		WRITE_ONCE(dev->state, KFBLK_DEV_FAILED);
		kfblk_unquiesce(dev);
	}
	mutex_unlock(&dev->lock);
	/* Reported lost, not torn down yet: fail_work does it now. */
	if (down)
		kfblk_dev_fail(dev, "unmapped while the connection was down");
	del_gendisk(dev->disk);
	mutex_lock(&dev->lock);
	/* fail_work, if it runs after this, finds nothing to do. */
	dev->state = KFBLK_DEV_FAILED;
	mutex_unlock(&dev->lock);
	cancel_work_sync(&dev->fail_work);
	put_disk(dev->disk);
	mutex_lock(&dev->lock);
	kfblk_queues_close(dev);
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
