// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk client: the paths to a target, and the session that keeps them.
 *
 * A path is one address of the target with fabric objects of its own: a
 * domain, an event queue, one connection per hardware queue and an MR
 * per tag (a path through another device has another protection domain,
 * so MRs cannot be shared).  The disk's session (kfi_sess.h) owns the
 * when: it connects a path (kfblk_sess_connect()), probes it while idle
 * (kfblk_sess_keepalive()), and when the path is reported down tears it
 * down (kfblk_sess_disconnect()) and builds it again every reconnect
 * delay.  Tearing a path down quiesces the disk only while its endpoints
 * close and its requests go back to blk-mq: with another path live they
 * are sent again on it at once, otherwise they wait for a path to come
 * back (or fail at the fail-fast or give-up time).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "kfi_compat.h"
#include "kfblk_client.h"

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

static bool kfblk_inline_write = true;
module_param_named(inline_write, kfblk_inline_write, bool, 0644);
MODULE_PARM_DESC(inline_write, "Send small WRITEs' data in the command, as the target allows, instead of by RMA read (default on)");

/* The session's knobs (kfi_sess_params), as nvme-fabrics names them. */
static unsigned int kfblk_reconnect_delay_ms = 1000;
module_param_named(reconnect_delay_ms, kfblk_reconnect_delay_ms, uint, 0644);
MODULE_PARM_DESC(reconnect_delay_ms, "Milliseconds between reconnect attempts (default 1000)");

/* Reconnect and probe by default, as nvme-fabrics does (600 s, 5 s). */
static int kfblk_ctrl_loss_tmo = 600;
module_param_named(ctrl_loss_tmo, kfblk_ctrl_loss_tmo, int, 0644);
MODULE_PARM_DESC(ctrl_loss_tmo, "Seconds to keep reconnecting a lost path before giving it up; -1 forever, 0 no reconnect (default 600)");

static int kfblk_fast_io_fail_tmo = -1;
module_param_named(fast_io_fail_tmo, kfblk_fast_io_fail_tmo, int, 0644);
MODULE_PARM_DESC(fast_io_fail_tmo, "Seconds without a path before queued I/O fails instead of waiting; -1 (default) only at give-up");

unsigned int kfblk_keepalive_ms = 5000;
module_param_named(keepalive_ms, kfblk_keepalive_ms, uint, 0644);
MODULE_PARM_DESC(keepalive_ms, "Milliseconds without an answer on a path before it is probed; 0 no probes (default 5000)");

static unsigned int kfblk_keepalive_misses = 3;
module_param_named(keepalive_misses, kfblk_keepalive_misses, uint, 0644);
MODULE_PARM_DESC(keepalive_misses, "Probes in a row unanswered before a path counts as lost (default 3)");

static unsigned int kfblk_iopolicy = KFI_SESS_POLICY_FAILOVER;

static int kfblk_iopolicy_set(const char *val, const struct kernel_param *kp)
{
	unsigned int i;

	for (i = 0; i < KFI_SESS_POLICY_NR; i++) {
		if (sysfs_streq(val, kfi_sess_policy_str(i))) {
			WRITE_ONCE(kfblk_iopolicy, i);
			return 0;
		}
	}
	return -EINVAL;
}

static int kfblk_iopolicy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  kfi_sess_policy_str(READ_ONCE(kfblk_iopolicy)));
}

static const struct kernel_param_ops kfblk_iopolicy_ops = {
	.set = kfblk_iopolicy_set,
	.get = kfblk_iopolicy_get,
};
module_param_cb(iopolicy, &kfblk_iopolicy_ops, NULL, 0644);
MODULE_PARM_DESC(iopolicy, "Path of each request for disks mapped from now on: failover (default), round-robin or min-inflight");

/* ---- Connections ------------------------------------------------------ */

static void kfblk_cm_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfblk_queue *q = e->fid->context;
	int st;

	if (!q->connecting) {
		if (e->event == KFI_SHUTDOWN || e->event == KFI_DEVICE_REMOVAL)
			kfblk_path_fail(q->path, "connection lost");
		return;
	}
	switch (e->event) {
	case KFI_CONNECTED:
		st = kfblk_cm_rep_parse(e->data, e->datalen, &q->rep);
		q->cm_err = st ? -EPROTO : 0;
		break;
	case KFI_REJECTED:
		st = kfblk_cm_rep_parse(e->data, e->datalen, &q->rep);
		pr_err("kfblk%d: target %s refused queue %u: %s\n",
		       q->dev->index, q->path->addr, q->qid,
		       st > 0 ? kfblk_status_str(st) : "no reason");
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

static void kfblk_credit_ready(struct kfid_ep *ep)
{
	struct kfblk_queue *q = ep->fid.context;
	struct blk_mq_hw_ctx *hctx = READ_ONCE(q->dev->hctx[q->qid]);

	if (hctx)
		blk_mq_run_hw_queue(hctx, true);
}

/**
 * kfblk_queue_poll() - a poll queue's completions, now
 * @q: the queue
 * @iob: blk-mq's batch of this poll round, which requests found may join
 *
 * One poller at a time: a poll that finds another under way leaves the
 * CQ to it.
 *
 * Context: any; never sleeps.
 * Return: completions processed.
 */
int kfblk_queue_poll(struct kfblk_queue *q, struct io_comp_batch *iob)
{
	int n = 0;

	if (!spin_trylock(&q->poll_lock))
		return 0;
	if (q->pollable) {
		WRITE_ONCE(q->poll_cpu, raw_smp_processor_id());
		/* kfblk_req_batch() finds the CPU once it finds the batch. */
		smp_store_release(&q->iob, iob);
		n = max(kfi_cq_poll(q->cq, 0), 0);
		WRITE_ONCE(q->iob, NULL);
	}
	spin_unlock(&q->poll_lock);
	return n;
}

/* Polls may come (a poll queue's), or not any more. */
static void kfblk_queue_set_pollable(struct kfblk_queue *q, bool on)
{
	if (q->qid < q->dev->first_poll)
		return;
	spin_lock(&q->poll_lock);
	q->pollable = on;
	spin_unlock(&q->poll_lock);
}

static void kfblk_queue_close(struct kfblk_queue *q)
{
	/* The endpoint's close polls its CQ itself. */
	kfblk_queue_set_pollable(q, false);
	if (q->ep) {
		kfi_close(&q->ep->fid);
		q->ep = NULL;
	}
	if (q->cq) {
		kfi_close(&q->cq->fid);
		q->cq = NULL;
		kfblk_obj_count(-1);
	}
}

static int kfblk_queue_open(struct kfblk_path *path, struct kfblk_queue *q)
{
	struct kfblk_dev *dev = path->dev;
	struct kfi_cq_attr cq_attr = {
		.size = 3 * dev->depth + q->nr_rx + 1,
		.poll_ctx = q->qid < dev->first_poll ? KFI_POLL_SOFTIRQ :
						       KFI_POLL_DIRECT,
		.comp_vector = -1,
	};
	struct kfi_info *info = path->info;
	u32 i;
	int ret;

	ret = kfi_cq_open(path->domain, &cq_attr, &q->cq, q);
	if (ret)
		return ret;
	kfblk_obj_count(1);
	/* Each request may post a registration, a send and an invalidation. */
	info->tx_attr.size = 3 * dev->depth + 1;
	info->rx_attr.size = q->nr_rx;
	ret = kfi_endpoint(path->domain, info, &q->ep, q);
	if (ret)
		return ret;
	q->ep->credit_ready = kfblk_credit_ready;
	ret = kfi_ep_bind(q->ep, &q->cq->fid, KFI_TRANSMIT | KFI_RECEIVE);
	if (!ret)
		ret = kfi_ep_bind(q->ep, &path->eq->fid, 0);
	if (!ret)
		ret = kfi_enable(q->ep);
	for (i = 0; !ret && i < q->nr_rx; i++)
		ret = kfi_recv(q->ep, &q->rx[i].rsp, sizeof(q->rx[i].rsp), NULL,
			       &q->rx[i].ctx);
	return ret;
}

static int kfblk_queue_connect(struct kfblk_path *path, struct kfblk_queue *q)
{
	struct kfblk_dev *dev = path->dev;
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
	if (kfblk_inline_write)
		qi.flags |= KFBLK_CM_INLINE;
	strscpy(qi.export_name, dev->export, sizeof(qi.export_name));
	ret = kfblk_cm_req_build(&req, &qi);
	if (ret)
		return ret;
	ret = kfblk_queue_open(path, q);
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
		       dev->index, path->addr, path->port,
		       kfblk_connect_timeout_ms);
		return -ETIMEDOUT;
	}
	return q->cm_err;
}

/*
 * Inline WRITE data on @q, if the target took the offer and a send can
 * gather the command and at least one page.
 */
static void kfblk_queue_inline(struct kfblk_path *path, struct kfblk_queue *q)
{
	q->iov_limit = path->info->tx_attr.iov_limit;
	q->inline_max = 0;
	if (kfblk_inline_write && q->rep.caps & KFBLK_CAP_INLINE &&
	    q->iov_limit >= 2)
		q->inline_max = q->rep.inline_max;
}

/*
 * Every queue must agree with queue 0's view of the device, and once the
 * disk exists with the disk's: the tag set and the disk's limits were
 * made for it, so a target that changed under us (or another path that
 * leads elsewhere) is refused.
 */
static int kfblk_queue_check(struct kfblk_path *path, struct kfblk_queue *q)
{
	struct kfblk_dev *dev = path->dev;
	const struct kfblk_cm_rep_info *a = &path->queues[0].rep, *b = &q->rep;

	if (dev->disk)
		a = &dev->geo;
	if (a->capacity != b->capacity ||
	    a->logical_block_size != b->logical_block_size ||
	    a->max_io != b->max_io ||
	    (a->caps ^ b->caps) & ~KFBLK_CAP_CONN)
		return -EPROTO;
	if (dev->disk && b->queue_depth < dev->depth)
		return -EPROTO;
	dev->depth = min(dev->depth, b->queue_depth);
	return 0;
}

static int kfblk_connect_all(struct kfblk_path *path)
{
	struct kfblk_dev *dev = path->dev;
	u16 i;
	int ret;

	for (i = 0; i < dev->nr_queues; i++) {
		struct kfblk_queue *q = &path->queues[i];

		ret = kfblk_queue_connect(path, q);
		if (!ret)
			ret = kfblk_queue_check(path, q);
		if (ret) {
			pr_err("kfblk%d: queue %u to %s port %u: error %d\n",
			       dev->index, i, path->addr, path->port, ret);
			return ret;
		}
		kfblk_queue_inline(path, q);
		kfblk_queue_set_pollable(q, true);
		WRITE_ONCE(q->live, true);
	}
	if (!dev->disk)
		dev->geo = path->queues[0].rep;
	return 0;
}

/**
 * kfblk_path_close() - close every connection of a path
 * @path: the path
 *
 * Nothing posted on them completes after this (the endpoints flush what
 * is outstanding as they close).
 *
 * Context: process, with the device's lock held; the disk's queue
 * quiesced if it carries I/O.
 */
void kfblk_path_close(struct kfblk_path *path)
{
	struct kfblk_dev *dev = path->dev;
	u16 i;

	lockdep_assert_held(&dev->lock);
	for (i = 0; i < dev->nr_queues; i++)
		WRITE_ONCE(path->queues[i].live, false);
	for (i = 0; i < dev->nr_queues; i++)
		kfblk_queue_close(&path->queues[i]);
	clear_bit(0, &path->probe.await);
	atomic_set(&path->probe.ref, 0);
}

/* ---- MRs -------------------------------------------------------------- */

static u32 kfblk_path_nr_mrs(struct kfblk_path *path)
{
	return path->dev->nr_queues * path->dev->depth;
}

/* Direction is not known yet: the target may read or write it. */
static int kfblk_mr_new(struct kfblk_path *path, struct kfid_mr **mr)
{
	int ret;

	ret = kfi_mr_alloc(path->domain, path->dev->max_segs,
			   KFI_REMOTE_READ | KFI_REMOTE_WRITE, mr, path);
	if (ret) {
		*mr = NULL;
		return ret;
	}
	kfblk_obj_count(1);
	return 0;
}

static void kfblk_mr_free(struct kfid_mr **mr)
{
	if (*mr) {
		kfi_close(&(*mr)->fid);
		*mr = NULL;
		kfblk_obj_count(-1);
	}
}

static void kfblk_path_free_mrs(struct kfblk_path *path)
{
	u32 i;

	if (!path->mrs)
		return;
	for (i = 0; i < kfblk_path_nr_mrs(path); i++)
		kfblk_mr_free(&path->mrs[i]);
	kfree(path->mrs);
	path->mrs = NULL;
}

/* Once, at the first connect, when the queue depth is known. */
static int kfblk_path_alloc_mrs(struct kfblk_path *path)
{
	u32 i, n = kfblk_path_nr_mrs(path);
	int ret;

	if (path->mrs)
		return 0;
	path->mrs = kcalloc(n, sizeof(*path->mrs), GFP_KERNEL);
	if (!path->mrs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ret = kfblk_mr_new(path, &path->mrs[i]);
		if (ret) {
			kfblk_path_free_mrs(path);
			return ret;
		}
	}
	return 0;
}

/*
 * After a loss, with a reconnect to come: every MR whose key the lost
 * connection's peer may hold is replaced.  Closing it revokes the key and
 * releases the pages, so nothing that peer still does with the key
 * reaches them.  A slot whose renewal failed stays empty, and data
 * commands of its tag fail on this path.
 */
static void kfblk_path_renew_mrs(struct kfblk_path *path)
{
	u32 i;

	if (!path->mrs)
		return;
	for (i = 0; i < kfblk_path_nr_mrs(path); i++) {
		if (!path->mrs[i] || !READ_ONCE(path->mrs[i]->mapped))
			continue;
		kfblk_mr_free(&path->mrs[i]);
		if (kfblk_mr_new(path, &path->mrs[i]))
			pr_err("kfblk%d: cannot renew an MR of path %s\n",
			       path->dev->index, path->addr);
	}
}

/* ---- Keep-alive probes ------------------------------------------------ */

static void kfblk_probe_send_done(struct kfid_cq *cq,
				  const struct kfi_cq_entry *e)
{
	struct kfblk_path *path = container_of(e->op_context,
					       struct kfblk_path, probe.ctx);

	if (e->err) {
		if (e->err != -ECANCELED)
			kfblk_path_fail(path, "keep-alive send failed");
		return;
	}
	atomic_dec(&path->probe.ref);
}

/**
 * kfblk_probe_answer() - take a response that may answer a probe
 * @q: the queue it arrived on
 * @e: its completion
 * @ri: the response, parsed
 *
 * Return: 0 when @ri is not for the probe's tag (an I/O's response); 1
 * when it answered the path's probe; -EPROTO when it claims the probe's
 * tag but answers no probe sent.
 */
int kfblk_probe_answer(struct kfblk_queue *q, const struct kfi_cq_entry *e,
		       const struct kfblk_rsp_info *ri)
{
	struct kfblk_probe *probe = &q->path->probe;

	if (!q->dev->probes || KFBLK_TAG_INDEX(ri->tag) != KFBLK_PROBE_TAG)
		return 0;
	if (q->qid || e->flags & KFI_MR_INVALIDATED ||
	    !kfblk_rsp_match(ri, &probe->cmd) ||
	    !test_and_clear_bit(0, &probe->await))
		return -EPROTO;
	atomic_dec(&probe->ref);
	return 1;
}

/*
 * Nothing was heard on the path for a keep-alive interval: probe it with
 * a KEEPALIVE command on its queue 0, which the target answers at once
 * without device I/O.  The probe has a tag of its own, so a queue full
 * of stuck I/O can still probe; while the last probe is out this one
 * cannot go: -EAGAIN, a miss.  The session runs this only while the path
 * is live and never together with its disconnect.
 */
static int kfblk_sess_keepalive(struct kfi_sess_path *sp)
{
	struct kfblk_path *path = sp->priv;
	struct kfblk_probe *probe = &path->probe;
	struct kfblk_queue *q = &path->queues[0];
	struct kfblk_cmd_info ci = { .opcode = KFBLK_OP_KEEPALIVE };
	int ret = -EAGAIN;

	/* Against fail_work, which may close the path during an unmap. */
	mutex_lock(&path->dev->lock);
	if (!path->dev->probes || !q->live || atomic_read(&probe->ref))
		goto unlock;
	probe->gen++;
	ci.tag = KFBLK_PROBE_TAG | (u32)probe->gen << 16;
	kfblk_cmd_build(&probe->cmd, &ci);
	atomic_set(&probe->ref, 2);
	set_bit(0, &probe->await);
	ret = kfi_send(q->ep, &probe->cmd, sizeof(probe->cmd), NULL,
		       &probe->ctx);
	if (ret) {
		clear_bit(0, &probe->await);
		atomic_set(&probe->ref, 0);
		ret = -EAGAIN;
	}
unlock:
	mutex_unlock(&path->dev->lock);
	return ret;
}

/* ---- Session callbacks ----------------------------------------------- */

/* Connect every queue of the path; on error nothing is left open. */
static int kfblk_sess_connect(struct kfi_sess_path *sp)
{
	struct kfblk_path *path = sp->priv;
	struct kfblk_dev *dev = path->dev;
	int ret;

	mutex_lock(&dev->lock);
	ret = kfblk_connect_all(path);
	if (!ret)
		ret = kfblk_path_alloc_mrs(path);
	if (ret)
		kfblk_path_close(path);
	mutex_unlock(&dev->lock);
	return ret;
}

/*
 * The path went down: stop dispatch, close its endpoints (nothing posted
 * on them completes afterwards) and requeue what was in flight on it.
 * With another path live, dispatch resumes at once and the requests go
 * there; otherwise the queue stays quiesced, so requeued and new I/O
 * waits for the session's next event.
 */
static void kfblk_sess_disconnect(struct kfi_sess_path *sp)
{
	struct kfblk_path *path = sp->priv;
	struct kfblk_dev *dev = path->dev;

	mutex_lock(&dev->lock);
	if (dev->disk && !dev->quiesced) {
		blk_mq_quiesce_queue(dev->disk->queue);
		dev->quiesced = true;
	}
	kfblk_path_close(path);
	if (dev->disk) {
		blk_mq_tagset_busy_iter(&dev->tag_set, kfblk_requeue_rq, path);
		/* Their completions requeue them, maybe on another CPU. */
		blk_mq_tagset_wait_completed_request(&dev->tag_set);
	}
	/* Without a reconnect to come the path's MRs are never used again. */
	if (dev->sess->params.ctrl_loss_tmo_s)
		kfblk_path_renew_mrs(path);
	if (dev->disk) {
		if (kfi_sess_state(dev->sess) == KFI_SESS_LIVE)
			kfblk_unquiesce(dev);
		else
			WRITE_ONCE(dev->state, KFBLK_DEV_RECONNECTING);
	}
	mutex_unlock(&dev->lock);
}

static void kfblk_sess_event(struct kfi_sess_path *sp,
			     enum kfi_sess_event ev, const char *why)
{
	struct kfblk_path *path = sp->priv;
	struct kfblk_dev *dev = path->dev;

	mutex_lock(&dev->lock);
	if (!dev->disk)
		goto unlock;
	switch (ev) {
	case KFI_SESS_EV_UP:
		WRITE_ONCE(dev->state, KFBLK_DEV_LIVE);
		pr_info("kfblk%d: reconnected to %s port %u; resuming I/O\n",
			dev->index, path->addr, path->port);
		kfblk_unquiesce(dev);
		break;
	case KFI_SESS_EV_FAST_FAIL:
		if (!kfi_sess_fail_fast(dev->sess))
			break;
		pr_err("kfblk%d: %s; failing queued I/O until reconnected\n",
		       dev->index, why);
		kfblk_unquiesce(dev);
		break;
	case KFI_SESS_EV_GIVE_UP:
		if (kfi_sess_state(dev->sess) != KFI_SESS_FAILED) {
			pr_err("kfblk%d: path %s port %u given up (%s); the others carry on\n",
			       dev->index, path->addr, path->port, why);
			break;
		}
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

static const struct kfi_sess_ops kfblk_sess_ops = {
	.connect = kfblk_sess_connect,
	.disconnect = kfblk_sess_disconnect,
	.event = kfblk_sess_event,
	.keepalive = kfblk_sess_keepalive,
};

/* ---- Paths ------------------------------------------------------------ */

static int kfblk_path_open_fabric(struct kfblk_path *path)
{
	struct kfblk_dev *dev = path->dev;
	struct kfi_info hints = {
		.caps = KFI_MSG | KFI_RMA,
		.ep_attr.type = KFI_EP_MSG,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 4 * dev->nr_queues + 4,
		.handler = kfblk_cm_event,
		.handler_arg = path,
	};
	char port[8];
	int ret;

	snprintf(port, sizeof(port), "%u", path->port);
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  path->addr, port, 0, &hints, &path->info);
	if (ret) {
		pr_err("kfblk%d: no fabric reaches %s port %u: %d\n",
		       dev->index, path->addr, path->port, ret);
		path->info = NULL;
		return ret;
	}
	if (path->info->ep_attr.cm_data_size &&
	    path->info->ep_attr.cm_data_size < sizeof(struct kfblk_cm_req))
		return -EMSGSIZE;
	ret = kfi_fabric(&path->info->fabric_attr, &path->fabric, path);
	if (!ret)
		ret = kfi_domain(path->fabric, path->info, &path->domain, path);
	if (!ret)
		ret = kfi_eq_open(path->fabric, &eq_attr, &path->eq, path);
	return ret;
}

/*
 * An MR maps the pages of the disk's largest request: the first path
 * sets that limit, a later one must meet it.
 */
static int kfblk_path_check_segs(struct kfblk_path *path)
{
	struct kfblk_dev *dev = path->dev;
	u32 max = path->info->domain_attr.max_mr_segs;

	if (!max || max >= dev->max_segs)
		return 0;
	if (dev->disk) {
		pr_err("kfblk%d: %s maps %u pages per MR, the disk needs %u\n",
		       dev->index, path->addr, max, dev->max_segs);
		return -EINVAL;
	}
	dev->max_segs = max;
	return dev->max_segs < 2 ? -EINVAL : 0;
}

static int kfblk_path_alloc_queues(struct kfblk_path *path)
{
	struct kfblk_dev *dev = path->dev;
	u16 i;
	u32 j;

	path->queues = kcalloc(dev->nr_queues, sizeof(*path->queues),
			       GFP_KERNEL);
	if (!path->queues)
		return -ENOMEM;
	for (i = 0; i < dev->nr_queues; i++) {
		struct kfblk_queue *q = &path->queues[i];

		q->dev = dev;
		q->path = path;
		q->qid = i;
		init_completion(&q->cm_done);
		spin_lock_init(&q->poll_lock);
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

/**
 * kfblk_path_free() - close and free a path that is in no session
 * @path: from kfblk_path_new(); its session path removed or freed
 *
 * Context: process.
 */
void kfblk_path_free(struct kfblk_path *path)
{
	struct kfblk_dev *dev = path->dev;
	u16 i;

	if (path->queues) {
		mutex_lock(&dev->lock);
		kfblk_path_close(path);
		mutex_unlock(&dev->lock);
	}
	/* Its handler may still look at a queue: close it before the free. */
	if (path->eq)
		kfi_close(&path->eq->fid);
	if (path->queues) {
		for (i = 0; i < dev->nr_queues; i++)
			kfree(path->queues[i].rx);
		kfree(path->queues);
	}
	kfblk_path_free_mrs(path);
	free_percpu(path->stats);
	if (path->domain)
		kfi_close(&path->domain->fid);
	if (path->fabric)
		kfi_close(&path->fabric->fid);
	kfi_freeinfo(path->info);
	kfree(path);
}

/**
 * kfblk_path_new() - the fabric objects of a path, not connected yet
 * @dev: the device
 * @addr: target address (checked by the caller)
 * @port: target port
 *
 * Context: process.
 * Return: the path, or an ERR_PTR() with nothing left behind.
 */
struct kfblk_path *kfblk_path_new(struct kfblk_dev *dev, const char *addr,
				  u16 port)
{
	struct kfblk_path *path;
	int ret;

	path = kzalloc(sizeof(*path), GFP_KERNEL);
	if (!path)
		return ERR_PTR(-ENOMEM);
	path->dev = dev;
	strscpy(path->addr, addr, sizeof(path->addr));
	path->port = port;
	path->probe.ctx.done = kfblk_probe_send_done;
	path->stats = alloc_percpu(struct kfblk_path_pcpu);
	ret = path->stats ? kfblk_path_open_fabric(path) : -ENOMEM;
	if (!ret)
		ret = kfblk_path_check_segs(path);
	if (!ret)
		ret = kfblk_path_alloc_queues(path);
	if (ret) {
		kfblk_path_free(path);
		return ERR_PTR(ret);
	}
	return path;
}

/**
 * kfblk_path_stat() - one of a path's counters, so far
 * @path: the path
 * @s: which
 *
 * Context: any.
 */
u64 kfblk_path_stat(struct kfblk_path *path, enum kfblk_path_stat s)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(path->stats, cpu)->n[s];
	return n;
}

/* The session's name for a path. */
static void kfblk_path_name(struct kfblk_path *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", path->addr, path->port);
}

/**
 * kfblk_dev_open_sess() - the device's session, with its first path
 * @dev: the device
 * @first: its first path, from kfblk_path_new()
 *
 * Context: process.
 * Return: 0 or a negative errno (the session, if made, is freed with the
 * device).
 */
int kfblk_dev_open_sess(struct kfblk_dev *dev, struct kfblk_path *first)
{
	struct kfi_sess_params p = {
		.reconnect_delay_ms = max(kfblk_reconnect_delay_ms, 1U),
		.ctrl_loss_tmo_s = kfblk_ctrl_loss_tmo,
		.fast_io_fail_tmo_s = kfblk_fast_io_fail_tmo,
		.keepalive_ms = kfblk_keepalive_ms,
		.keepalive_misses = kfblk_keepalive_misses,
		.policy = READ_ONCE(kfblk_iopolicy),
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
	kfblk_path_name(first, name, sizeof(name));
	return kfi_sess_add_path(dev->sess, name, first, &first->sp);
}

/* The slot of the path to @addr @port (NULL, NULL: a free one), or -1. */
static int kfblk_dev_find_path(struct kfblk_dev *dev, const char *addr,
			       u16 port)
{
	struct kfblk_path *path;
	int i;

	lockdep_assert_held(&dev->paths_lock);
	for (i = 0; i < KFBLK_MAX_PATHS; i++) {
		path = dev->paths[i];
		if (!addr && !path)
			return i;
		if (addr && path && path->port == port &&
		    !strcmp(path->addr, addr))
			return i;
	}
	return -1;
}

/**
 * kfblk_dev_add_path() - one more path to the disk's target
 * @dev: a mapped device
 * @addr: another address of the target (checked by the caller)
 * @port: its port
 *
 * The path connects here, and carries I/O as soon as this returns.  It
 * must lead to the same export: a target that answers with another
 * geometry is refused.
 *
 * Context: process; sleeps for up to nr_queues connect timeouts.
 * Return: 0; -EEXIST for a path the disk has; -ENOSPC with
 * KFBLK_MAX_PATHS paths; -ESHUTDOWN while unmapping; -EPROTO for another
 * device; or the connect's error.
 */
int kfblk_dev_add_path(struct kfblk_dev *dev, const char *addr, u16 port)
{
	char name[KFBLK_ADDR_MAX + sizeof(":65535")];
	struct kfblk_path *path;
	int slot, ret;

	mutex_lock(&dev->paths_lock);
	ret = -EEXIST;
	if (kfblk_dev_find_path(dev, addr, port) >= 0)
		goto unlock;
	ret = -ENOSPC;
	slot = kfblk_dev_find_path(dev, NULL, 0);
	if (slot < 0)
		goto unlock;
	path = kfblk_path_new(dev, addr, port);
	if (IS_ERR(path)) {
		ret = PTR_ERR(path);
		goto unlock;
	}
	kfblk_path_name(path, name, sizeof(name));
	ret = kfi_sess_add_path(dev->sess, name, path, &path->sp);
	if (ret) {
		kfblk_path_free(path);
		goto unlock;
	}
	WRITE_ONCE(dev->paths[slot], path);
unlock:
	mutex_unlock(&dev->paths_lock);
	if (ret)
		pr_err("kfblk%d: cannot add path %s port %u: %d\n", dev->index,
		       addr, port, ret);
	return ret;
}

/**
 * kfblk_dev_remove_path() - take a path out of the disk
 * @dev: a mapped device
 * @addr: the path's address
 * @port: its port
 *
 * I/O in flight on it goes back to blk-mq and on to the other paths;
 * this returns once it has.
 *
 * Context: process.
 * Return: 0; -ENOENT for no such path; -EBUSY for the last one (unmap
 * instead).
 */
int kfblk_dev_remove_path(struct kfblk_dev *dev, const char *addr, u16 port)
{
	struct kfblk_path *path;
	int i, ret = -ENOENT;

	mutex_lock(&dev->paths_lock);
	i = kfblk_dev_find_path(dev, addr, port);
	if (i >= 0) {
		path = dev->paths[i];
		ret = kfi_sess_remove_path(path->sp);
		if (!ret) {
			WRITE_ONCE(dev->paths[i], NULL);
			/* kfblk_poll() may still be looking at it. */
			synchronize_rcu();
			kfblk_path_free(path);
		}
	}
	mutex_unlock(&dev->paths_lock);
	return ret;
}
