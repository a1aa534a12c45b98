/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfblk client: a blk-mq disk whose I/O goes to a kfblk target.
 *
 * A disk reaches its target over one or more paths (struct kfblk_path),
 * each with one kfabric endpoint (and CQ) per hardware queue and a
 * fast-registration MR per tag, allocated at its first connect; the
 * disk's session picks a live path for each request.  A request carries
 * the rest in its blk-mq PDU (struct kfblk_req): the command buffer, its
 * kfabric contexts and a scatterlist, so queue_rq never allocates or
 * sleeps.  A READ or WRITE maps the request's pages into the MR of its
 * path and tag and sends the key;
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

struct kfblk_dev;
struct kfblk_path;

/* What a path counts, per CPU so the data path shares no cache line. */
enum kfblk_path_stat {
	KFBLK_STAT_IOS,		/* commands sent */
	KFBLK_STAT_INLINE,	/* of them, WRITEs with their data inline */
	KFBLK_STAT_POLLED,	/* requests completed by blk-mq's polling */
	KFBLK_STAT_BATCHED,	/* of them, ended in blk-mq's batch */
	KFBLK_STAT_NR,
};

struct kfblk_path_pcpu {
	u64 n[KFBLK_STAT_NR];
};

/* kfblk_req.flags */
#define KFBLK_REQ_MAPPED	0	/* the MR holds this request's pages */
#define KFBLK_REQ_AWAIT_RSP	1	/* sent; a response is due */
#define KFBLK_REQ_REQUEUE	2	/* its path went down: requeue, not end */
#define KFBLK_REQ_STALE_INV	3	/* invalidating a mapping left from before */
#define KFBLK_REQ_INLINE	4	/* the data goes inline, after the command */

/**
 * struct kfblk_req - per-request state, the blk-mq PDU
 * @send_ctx: completion of the command's send
 * @inv_ctx: completion of a local invalidation of @mr
 * @cmd: the command as sent
 * @path: the path it is in flight on, from kfi_sess_path_get() (put when
 *	it completes or goes back to blk-mq); NULL when not in flight
 * @queue: the queue of @path it was sent on
 * @mr: @path's fast-registration MR for this tag
 * @sgl: scatterlist of the request's pages, max_segs entries; one more
 *	for an inline WRITE, whose send is the command then its pages
 * @nr_sge: entries of @sgl an inline WRITE sends
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
	struct kfblk_path *path;
	struct kfblk_queue *queue;
	struct kfid_mr *mr;
	struct scatterlist *sgl;
	u32 nr_sge;
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
 * struct kfblk_queue - one hardware queue's connection on one path
 * @dev: owner
 * @path: the path it belongs to
 * @qid: index (the blk-mq hardware context it serves)
 * @cq: completions of sends, invalidations and receives; a poll queue's
 *	(@qid at or past the device's first_poll) moves only when blk-mq
 *	polls it (KFI_POLL_DIRECT)
 * @ep: the endpoint; NULL once closed
 * @rx: @nr_rx receive buffers
 * @nr_rx: receives posted
 * @imm_rsp: this queue offered immediate-data answers to READs
 * @inline_max: bytes of WRITE data the target takes inline on this queue
 *	(0: none)
 * @iov_limit: buffers one send may gather
 * @live: I/O may be posted (cleared before the endpoint closes, with the
 *	disk's queue quiesced, so queue_rq never sees a closed endpoint)
 * @connecting: @cm_done is waited for
 * @cm_done: the connect finished one way or the other
 * @cm_err: how
 * @rep: the target's accept
 * @poll_lock: one poller at a time on a poll queue's CQ; guards @pollable
 *	and @iob
 * @pollable: the CQ may be polled (set once the queue is connected,
 *	cleared before its endpoint closes, which then polls it itself)
 * @iob: blk-mq's completion batch while a poll round runs, else NULL
 * @poll_cpu: the CPU that poll round runs on
 */
struct kfblk_queue {
	struct kfblk_dev *dev;
	struct kfblk_path *path;
	u16 qid;
	struct kfid_cq *cq;
	struct kfid_ep *ep;
	struct kfblk_rx *rx;
	u32 nr_rx;
	bool imm_rsp;
	u32 inline_max;
	u32 iov_limit;
	bool live;
	bool connecting;
	struct completion cm_done;
	int cm_err;
	struct kfblk_cm_rep_info rep;
	spinlock_t poll_lock;		/* see @poll_lock above */
	bool pollable;
	struct io_comp_batch *iob;
	int poll_cpu;
};

/*
 * The keep-alive probe of a path: a KEEPALIVE command on its queue 0,
 * under wire tag KFBLK_PROBE_TAG, which blk-mq never hands out (it is the
 * tag set's reserved tag, and nothing allocates it).
 */
#define KFBLK_PROBE_TAG		0

/**
 * struct kfblk_probe - a path's keep-alive probe
 * @ctx: completion of its send
 * @cmd: the command as sent
 * @ref: 2 while out (the send's completion and the answer), 0 when a new
 *	probe may go
 * @await: bit 0 set while its answer is due
 * @gen: bumped for every probe, part of the wire tag
 */
struct kfblk_probe {
	struct kfi_context ctx;
	struct kfblk_cmd cmd;
	atomic_t ref;
	unsigned long await;
	u16 gen;
};

/**
 * struct kfblk_path - one way to the target: its own fabric objects and
 *	one connection per hardware queue, a path of the disk's session
 * @dev: owner
 * @sp: its session path
 * @addr: target address
 * @port: target port
 * @info: what kfi_getinfo() found for the address
 * @fabric: fabric
 * @domain: domain (protection domain) of its queues and MRs
 * @eq: connection events of its queues
 * @queues: one per hardware queue
 * @mrs: a fast-registration MR for every tag of every hardware queue
 *	(nr_queues * depth), allocated at the first connect
 * @probe: the keep-alive probe
 * @stats: counters (enum kfblk_path_stat), per CPU
 */
struct kfblk_path {
	struct kfblk_dev *dev;
	struct kfi_sess_path *sp;
	char addr[KFBLK_ADDR_MAX];
	u16 port;
	struct kfi_info *info;
	struct kfid_fabric *fabric;
	struct kfid_domain *domain;
	struct kfid_eq *eq;
	struct kfblk_queue *queues;
	struct kfid_mr **mrs;
	struct kfblk_probe probe;
	struct kfblk_path_pcpu __percpu *stats;
};

/* Paths of one disk, at most. */
#define KFBLK_MAX_PATHS		4

enum kfblk_dev_state {
	KFBLK_DEV_CONNECTING,
	KFBLK_DEV_LIVE,		/* at least one path is up */
	KFBLK_DEV_RECONNECTING,	/* no path is: I/O waits (or fails fast) */
	KFBLK_DEV_FAILED,	/* gave up: I/O fails until unmapped */
};

/**
 * struct kfblk_dev - one mapped remote device
 * @index: N of /dev/kfblkN
 * @export: export name
 * @paths: its paths, the first the one it was mapped with; NULL slots
 *	are free
 * @hctx: the blk-mq hardware context of each queue index
 * @nr_queues: hardware queues, the poll queues included
 * @first_poll: index of the first poll queue (HCTX_TYPE_POLL; those
 *	from here to @nr_queues), @nr_queues when there is none
 * @depth: tags per queue, as granted
 * @max_segs: pages one MR maps
 * @geo: the target's geometry and capabilities
 * @tag_set: blk-mq tag set, valid when @disk is set
 * @disk: the disk, once allocated
 * @state: enum kfblk_dev_state
 * @quiesced: the disk's queue is quiesced, waiting for a path
 * @probes: keep-alive is on: the tag set reserves KFBLK_PROBE_TAG
 * @unmapping: kfblk_dev_destroy() began: a loss fails the I/O at once
 * @sess: the session with the target (keep-alive, reconnect, fail-fast,
 *	the choice of path)
 * @paths_lock: serialises adding and removing paths, and readers of
 *	@paths
 * @lock: serialises setup, reconnects, failure handling and teardown of
 *	the queues (the session's callbacks and fail_work against unmap);
 *	guards @state, @quiesced and every queue's ep
 * @fail_work: closes the connections and fails outstanding I/O, for a
 *	loss after the session was stopped (during unmap)
 */
struct kfblk_dev {
	int index;
	char export[KFBLK_EXPORT_NAME_LEN];
	struct kfblk_path *paths[KFBLK_MAX_PATHS];
	struct blk_mq_hw_ctx **hctx;
	u16 nr_queues;
	u16 first_poll;
	u16 depth;
	u32 max_segs;
	struct kfblk_cm_rep_info geo;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	enum kfblk_dev_state state;
	bool quiesced;
	bool probes;
	bool unmapping;
	struct kfi_sess *sess;
	/* membership of @paths; see above */
	struct mutex paths_lock;
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
void kfblk_path_fail(struct kfblk_path *path, const char *why);
void kfblk_recv_done(struct kfid_cq *cq, const struct kfi_cq_entry *e);
bool kfblk_requeue_rq(struct request *rq, void *data);
void kfblk_unquiesce(struct kfblk_dev *dev);
void kfblk_obj_count(int n);

/* kfblk_client_path.c */
extern unsigned int kfblk_keepalive_ms;
struct kfblk_path *kfblk_path_new(struct kfblk_dev *dev, const char *addr,
				  u16 port);
void kfblk_path_free(struct kfblk_path *path);
int kfblk_queue_poll(struct kfblk_queue *q, struct io_comp_batch *iob);
u64 kfblk_path_stat(struct kfblk_path *path, enum kfblk_path_stat s);
void kfblk_path_close(struct kfblk_path *path);
int kfblk_dev_add_path(struct kfblk_dev *dev, const char *addr, u16 port);
int kfblk_dev_remove_path(struct kfblk_dev *dev, const char *addr, u16 port);
int kfblk_dev_open_sess(struct kfblk_dev *dev, struct kfblk_path *first);
int kfblk_probe_answer(struct kfblk_queue *q, const struct kfi_cq_entry *e,
		       const struct kfblk_rsp_info *ri);

/* kfblk_client_cfs.c */
bool kfblk_addr_valid(const char *s, size_t len);
int kfblk_cfs_init(void);
void kfblk_cfs_exit(void);

#endif /* _KFBLK_CLIENT_H */
