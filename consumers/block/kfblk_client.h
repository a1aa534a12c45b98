/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfblk client: a blk-mq disk whose I/O goes to a kfblk target.
 *
 * One kfabric endpoint (and CQ) per hardware queue.  A request carries
 * everything it needs in its blk-mq PDU (struct kfblk_req): the command
 * buffer, its kfabric contexts, a scatterlist and a fast-registration MR
 * allocated once at tag-set setup, so queue_rq never allocates or sleeps.
 * A READ or WRITE maps the request's pages into the MR and sends the key;
 * the target moves the data with RMA and answers with a response that
 * normally invalidates the key; otherwise the client invalidates it
 * before completing the request.
 */
#ifndef _KFBLK_CLIENT_H
#define _KFBLK_CLIENT_H

#include <linux/blk-mq.h>
#include <linux/configfs.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <kfabric/kfi.h>
#include <kfabric/kfi_sess.h>
#include "kfblk_proto.h"

#define KFBLK_ADDR_MAX		64

/* kfblk_req.flags */
#define KFBLK_REQ_MAPPED	0	/* the MR holds this request's pages */
#define KFBLK_REQ_AWAIT_RSP	1	/* sent; a response is due */
#define KFBLK_REQ_REQUEUE	2	/* its path went down: requeue, not end */
#define KFBLK_REQ_STALE_INV	3	/* invalidating a mapping left from before */

/**
 * struct kfblk_req - per-request state, the blk-mq PDU
 * @send_ctx: completion of the command's send
 * @inv_ctx: completion of a local invalidation of @mr
 * @cmd: the command as sent
 * @queue: the queue it was issued on
 * @mr: fast-registration MR, from kfi_mr_alloc() at tag-set setup
 * @sgl: scatterlist of the request's pages, max_segs entries
 * @ref: one for the send's completion, one for the response (which
 *	includes invalidating @mr); the request completes at zero
 * @flags: KFBLK_REQ_*
 * @gen: bumped for every command, part of the wire tag, so a late or
 *	forged response for an earlier use of the tag is recognised
 * @status: what the request completes with
 */
struct kfblk_req {
	struct kfi_context send_ctx;
	struct kfi_context inv_ctx;
	struct kfblk_cmd cmd;
	struct kfblk_queue *queue;
	struct kfid_mr *mr;
	struct scatterlist *sgl;
	atomic_t ref;
	unsigned long flags;
	u16 gen;
	blk_status_t status;
};

/**
 * struct kfblk_rx - a posted receive for one response
 * @ctx: its completion
 * @queue: owner
 * @rsp: the buffer
 */
struct kfblk_rx {
	struct kfi_context ctx;
	struct kfblk_queue *queue;
	struct kfblk_rsp rsp;
};

/**
 * struct kfblk_queue - one hardware queue and its connection
 * @dev: owner
 * @qid: index
 * @cq: completions of sends, invalidations and receives
 * @ep: the endpoint; NULL once closed
 * @rx: @nr_rx receive buffers
 * @nr_rx: receives posted
 * @hctx: the blk-mq hardware context served
 * @imm_rsp: this queue offered immediate-data answers to READs
 * @live: I/O may be posted (cleared before the endpoint closes, with the
 *	queue quiesced, so queue_rq never sees a closed endpoint)
 * @connecting: @cm_done is waited for
 * @cm_done: the connect finished one way or the other
 * @cm_err: how
 * @rep: the target's accept
 */
struct kfblk_queue {
	struct kfblk_dev *dev;
	u16 qid;
	struct kfid_cq *cq;
	struct kfid_ep *ep;
	struct kfblk_rx *rx;
	u32 nr_rx;
	struct blk_mq_hw_ctx *hctx;
	bool imm_rsp;
	bool live;
	bool connecting;
	struct completion cm_done;
	int cm_err;
	struct kfblk_cm_rep_info rep;
};

enum kfblk_dev_state {
	KFBLK_DEV_CONNECTING,
	KFBLK_DEV_LIVE,
	KFBLK_DEV_RECONNECTING,	/* connection lost: I/O waits (or fails fast) */
	KFBLK_DEV_FAILED,	/* gave up: I/O fails until unmapped */
};

/**
 * struct kfblk_dev - one mapped remote device
 * @index: N of /dev/kfblkN
 * @addr: target address
 * @port: target port
 * @export: export name
 * @info: what kfi_getinfo() found for the target
 * @fabric: fabric
 * @domain: domain (protection domain) of every queue and MR
 * @eq: connection events of every queue
 * @queues: @nr_queues queues
 * @nr_queues: hardware queues
 * @depth: tags per queue, as granted
 * @max_segs: pages one MR maps
 * @geo: the target's geometry and capabilities
 * @tag_set: blk-mq tag set, valid when @disk is set
 * @disk: the disk, once allocated
 * @state: enum kfblk_dev_state
 * @quiesced: the disk's queue is quiesced, waiting for a reconnect
 * @sess: the session with the target (keep-alive, reconnect, fail-fast)
 * @path: its one path
 * @lock: serialises setup, reconnects, failure handling and teardown of
 *	the queues (the session's callbacks and fail_work against unmap);
 *	guards @state, @quiesced and every @queues[].ep
 * @fail_work: closes the connections and fails outstanding I/O, for a
 *	loss after the session was stopped (during unmap)
 */
struct kfblk_dev {
	int index;
	char addr[KFBLK_ADDR_MAX];
	u16 port;
	char export[KFBLK_EXPORT_NAME_LEN];
	struct kfi_info *info;
	struct kfid_fabric *fabric;
	struct kfid_domain *domain;
	struct kfid_eq *eq;
	struct kfblk_queue *queues;
	u16 nr_queues;
	u16 depth;
	u32 max_segs;
	struct kfblk_cm_rep_info geo;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	enum kfblk_dev_state state;
	bool quiesced;
	struct kfi_sess *sess;
	struct kfi_sess_path *path;
	/* setup, reconnects, fail_work and unmap; see @lock above */
	struct mutex lock;
	struct work_struct fail_work;
};

/**
 * struct kfblk_map_params - what user space asks for
 * @addr: target address
 * @port: target port
 * @export: export name
 */
struct kfblk_map_params {
	char addr[KFBLK_ADDR_MAX];
	u16 port;
	char export[KFBLK_EXPORT_NAME_LEN];
};

/* kfblk_client.c */
struct kfblk_dev *kfblk_dev_create(const struct kfblk_map_params *p);
void kfblk_dev_destroy(struct kfblk_dev *dev);
const char *kfblk_dev_state_str(struct kfblk_dev *dev);

/* kfblk_client_cfs.c */
int kfblk_cfs_init(void);
void kfblk_cfs_exit(void);

#endif /* _KFBLK_CLIENT_H */
