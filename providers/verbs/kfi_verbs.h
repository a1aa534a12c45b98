/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric verbs provider: private definitions.
 *
 * The provider maps kfabric onto any device ib_core knows: a domain per
 * (ib_device, port), an RC QP per message endpoint created through rdma_cm,
 * ib_core CQs in the consumer's poll context, fast-registration MRs for
 * remote access.  Documentation/kfabric/verbs.rst describes the mapping and
 * the two small wire headers defined here.
 */
#ifndef _KFI_VERBS_H
#define _KFI_VERBS_H

#include <linux/bitops.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <kfabric/kfi_provider.h>
#include "kfi_verbs_debug.h"

#define KFIV_PROTO_VERSION	1
#define KFIV_CM_MAGIC		0x6b	/* 'k': private data is ours */

/*
 * struct kfiv_cm_hdr - what the provider puts in front of the consumer's
 * connection private data (connect, accept and reject).
 * @magic: KFIV_CM_MAGIC; anything else is not a kfabric peer
 * @version: KFIV_PROTO_VERSION
 * @datalen: bytes of consumer data that follow (transports pad the rest)
 * @flags: none defined yet; must be zero
 * @credits: receives the sender has posted (the peer's initial send credits)
 * @rsvd: zero
 */
struct kfiv_cm_hdr {
	u8 magic;
	u8 version;
	u8 datalen;
	u8 flags;
	__le16 credits;
	__le16 rsvd;
} __packed;

/* Bit of kfiv_hdr.flags: a header-only credit update, not a message. */
#define KFIV_HDR_CREDIT		BIT(0)

/*
 * struct kfiv_hdr - the first 8 bytes of every send on the wire.
 * @version: KFIV_PROTO_VERSION
 * @flags: KFIV_HDR_CREDIT or 0
 * @credits: receives granted to the peer by this message
 * @rsvd: zero
 */
struct kfiv_hdr {
	u8 version;
	u8 flags;
	__le16 credits;
	__le32 rsvd;
} __packed;

#define KFIV_HDR_LEN		sizeof(struct kfiv_hdr)
#define KFIV_MAX_SGE		32	/* consumer entries per operation */
#define KFIV_MAX_DEPTH		U16_MAX	/* credits travel in 16 bits */
#define KFIV_INJECT_MAX		(512 - KFIV_HDR_LEN)
#define KFIV_RESOLVE_MS		2000	/* address and route resolution */
#define KFIV_RTU_GRACE		HZ	/* for the RTU after the first message */

/* bits of kfiv_ep.comm_est */
#define KFIV_COMM_EST_TOLD	0	/* rdma_cm was told (rdma_notify()) */
#define KFIV_COMM_EST_QUEUED	1	/* comm_est_work was queued */

#define KFIV_DRAIN_BUDGET	64	/* completions per poll of a drain */
/*
 * Work requests a queue holds beyond what the consumer may post: the send
 * queue's credit update and drain marker, the receive queue's marker.
 */
#define KFIV_SQ_EXTRA		2
#define KFIV_RQ_EXTRA		1
/* CQ entries the provider adds per endpoint bound for both directions. */
#define KFIV_CQ_EXTRA		(KFIV_SQ_EXTRA + KFIV_RQ_EXTRA)
#define KFIV_DEFAULT_DEPTH	128	/* queue depth kfi_getinfo() offers */
#define KFIV_DEFAULT_SGE	4	/* entries when iov_limit is 0 */
/*
 * Credits an endpoint on a shared receive context keeps granted to its
 * peer, one given back per message taken; an empty context holds the
 * peer back with receiver-not-ready retries, never fails it.
 */
#define KFIV_SRX_WINDOW		4096

/**
 * struct kfiv_dev - one ib_device the provider serves
 * @ref: held by the device list entry and by every open domain
 * @entry: on kfiv_devices, under kfiv_devices_lock
 * @ibdev: the device; NULL once ib_core removed it
 * @name: the device name at discovery
 * @max_inline: inline data bytes a QP of this device was granted
 * @lock: guards @domains and @ibdev (mutex: removal sleeps under it)
 * @domains: open struct kfiv_domain
 */
struct kfiv_dev {
	struct kref ref;
	struct list_head entry;
	struct ib_device *ibdev;
	char name[KFI_NAME_MAX];
	u32 max_inline;
	struct mutex lock;		/* see @lock above */
	struct list_head domains;
};

/**
 * struct kfiv_domain - a (device, port)
 * @base: core part
 * @dev: the device (reference held)
 * @ibdev: cached dev->ibdev, valid until @dead
 * @port: the port
 * @pd: protection domain of every object below
 * @entry: on dev->domains
 * @lock: guards @dead, @cqs, @eps, @srxs and @mrs; held across the setup calls
 *	that touch the device so removal finds each object either fully set
 *	up or not at all.  Never taken on the data path or in a CM handler.
 * @cqs: struct kfiv_cq of this domain
 * @eps: struct kfiv_ep of this domain
 * @srxs: struct kfiv_srx of this domain
 * @mrs: struct kfiv_mr of this domain
 * @mr_keys: MRs by key index (rkey >> 8), for remote invalidation; read
 *	under its own lock (irq-safe) in completion context
 * @dead: the device is gone: new objects are refused with -ENODEV
 * @premapped: posts whose buffers lay in their descriptors' kfi_mr_reg()
 *	regions (kfiv_debug_premapped()), per CPU
 */
struct kfiv_domain {
	struct kfid_domain base;
	struct kfiv_dev *dev;
	struct ib_device *ibdev;
	u32 port;
	struct ib_pd *pd;
	struct list_head entry;
	struct mutex lock;		/* see @lock above */
	struct list_head cqs;
	struct list_head eps;
	struct list_head srxs;
	struct list_head mrs;
	struct xarray mr_keys;
	bool dead;
	u64 __percpu *premapped;
};

/**
 * struct kfiv_cq - a CQ: an ib_cq in the consumer's poll context
 * @base: core part
 * @cq: the ib_core CQ, NULL once freed
 * @entry: on domain->cqs
 * @used: entries of base.attr.size promised to the consumer's queues of
 *	the enabled endpoints (under domain->lock)
 * @extra: entries added for the provider's own requests of those
 *	endpoints (KFIV_SQ_EXTRA, KFIV_RQ_EXTRA; under domain->lock)
 * @poll_lock: serialises direct polling against freeing the CQ; taken with
 *	trylock by pollers so a completion handler that polls again returns
 */
struct kfiv_cq {
	struct kfid_cq base;
	struct ib_cq *cq;
	struct list_head entry;
	u32 used;
	u32 extra;
	spinlock_t poll_lock;		/* see @poll_lock above */
};

enum kfiv_op {
	KFIV_OP_SEND,
	KFIV_OP_INJECT,
	KFIV_OP_CREDIT,
	KFIV_OP_READ,
	KFIV_OP_WRITE,
	KFIV_OP_ATOMIC,
	KFIV_OP_REG,
	KFIV_OP_INV,
	KFIV_OP_RECV,
};

/**
 * struct kfiv_slot - one work request in flight
 * @cqe: ib_core completion hook
 * @ep: owner; NULL for a shared receive context's slot, whose completion
 *	names its endpoint in wc->qp
 * @ctx: consumer context, NULL for internal requests
 * @mr: MR of a registration or invalidation
 * @sge: 1 + iov_limit entries; a send's and receive's sge[0] is the header
 * @first: entries of @sge that are not mapped here (the header; an inline
 *	post's consumer entries, by CPU address); the mapped ones follow
 * @nsge: consumer entries mapped
 * @form: enum kfi_iov_type of the mapping, to undo it
 * @op: enum kfiv_op
 * @dir: DMA direction of the consumer buffers
 * @premapped: the consumer's SGEs lie in its kfi_mr_reg() regions (their
 *	descriptors), mapped already: synced, never unmapped
 * @sgl: scatterlist mapped with ib_dma_map_sg
 * @sg_count: entries passed to ib_dma_map_sg
 * @len: payload bytes
 * @flags: completion flags to report
 * @buf: provider buffer: header (and inject payload, atomic scratch)
 * @buf_dma: its DMA address
 * @rwr: receive request, kept to repost after a credit update
 * @wait: a registration the provider waits for itself (kfi_mr_reg()),
 *	or NULL
 * @signaled: posted with IB_SEND_SIGNALED (send queue)
 * @report: the consumer wants its success (KFI_COMPLETION)
 * @wr: the send queue request, kept here rather than on the stack so that
 *	a request deferred with KFI_MORE lives until the doorbell rings
 */
struct kfiv_slot {
	struct ib_cqe cqe;
	struct kfiv_ep *ep;
	struct kfi_context *ctx;
	struct kfiv_mr *mr;
	struct ib_sge *sge;
	u8 first;
	u8 nsge;
	u8 form;
	u8 op;
	u8 dir;
	bool premapped;
	struct scatterlist *sgl;
	u32 sg_count;
	u64 len;
	u64 flags;
	void *buf;
	u64 buf_dma;
	struct ib_recv_wr rwr;
	struct kfiv_wait *wait;
	bool signaled;
	bool report;
	union {
		struct ib_send_wr send;
		struct ib_rdma_wr rdma;
		struct ib_atomic_wr atomic;
		struct ib_reg_wr reg;
	} wr;
};

/**
 * struct kfiv_wait - a provider request waited for in process context
 * @done: completed from the request's completion
 * @status: its ib_wc_status
 */
struct kfiv_wait {
	struct completion done;
	enum ib_wc_status status;
};

/**
 * struct kfiv_bufs - small DMA-mapped buffers carved from pages
 * @pages: page addresses
 * @dma: their DMA addresses
 * @npages: pages
 * @stride: bytes per buffer (cache aligned)
 * @per_page: buffers per page
 * @dir: mapping direction
 */
struct kfiv_bufs {
	void **pages;
	u64 *dma;
	u32 npages;
	u32 stride;
	u32 per_page;
	enum dma_data_direction dir;
};

/**
 * struct kfiv_queue - a send or receive queue's slots
 * @lock: guards @free, @nfree and the owner's @dead flag as seen by posts;
 *	held across building and posting a request so teardown, once it
 *	has taken it, knows no post is half done
 * @slots: @depth slots (the send queue has one more, for credit updates)
 * @free: stack of free slot indexes
 * @nfree: entries on @free
 * @depth: slots usable by the consumer
 * @busy: slots in flight; zero once teardown's drain is done
 * @bufs: provider buffers, one per slot
 * @order: send queue: indexes of the slots posted (or deferred) and not
 *	yet handed back, in the order posted (a ring of @nslots entries)
 * @ohead: index in @order of the oldest
 * @ocount: entries on @order
 * @nslots: slots in all, the provider's own included
 * @unsig_run: requests posted unsignalled since the last signalled one
 * @unsig_out: unsignalled requests on @order
 * @chain: send queue: requests deferred with KFI_MORE, not yet given to
 *	the device, oldest first (linked through ib_send_wr.next)
 * @chain_tail: the newest of @chain
 *
 * @order, @ohead, @ocount, @unsig_run, @unsig_out and @chain are guarded by
 * @lock.
 */
struct kfiv_queue {
	spinlock_t lock;		/* see @lock above */
	struct kfiv_slot *slots;
	u32 *free;
	u32 nfree;
	u32 depth;
	atomic_t busy;
	struct kfiv_bufs bufs;
	u32 *order;
	u32 ohead;
	u32 ocount;
	u32 nslots;
	u32 unsig_run;
	u32 unsig_out;
	struct ib_send_wr *chain;
	struct ib_send_wr *chain_tail;
};

enum kfiv_cm_kind {
	KFIV_CM_EP,
	KFIV_CM_PEP,
	KFIV_CM_CREQ,
};

/**
 * struct kfiv_ep - a message endpoint: an RC QP connected through rdma_cm
 * @base: core part
 * @kind: KFIV_CM_EP (rdma_cm context tag)
 * @dom: domain
 * @entry: on dom->eps
 * @cm_id: connection; NULL once destroyed
 * @qp: the QP (cm_id->qp) while it exists
 * @sq: send queue slots
 * @rq: receive queue slots
 * @inline_max: bytes the QP accepts inline
 * @inject_size: provider buffer bytes per send slot after the header
 * @cm_done: address and route resolution steps
 * @cm_status: result of the last resolution step
 * @peer_credits: initial credits the peer advertised
 * @recv_total: receives the consumer posted, counted before ->recv
 *	returns (the core counts its grant only afterwards)
 * @advertised: of @recv_total, how many the peer has been told about
 *	(under @sq.lock)
 * @posted: receives posted and not completed
 * @update_busy: bit 0: the credit-update slot is in flight
 * @comm_est: KFIV_COMM_EST_* bits: rdma_cm was told the connection is in
 *	use, @comm_est_work was queued
 * @dead: posts refused (read under the queue locks)
 * @removed: the device went away (posts get -ENODEV)
 * @errored: a QP error was reported once
 * @disconnecting: this side moved the QP towards error (kfiv_disconnect()):
 *	the flushes that follow are expected, not a failure
 * @drain_wq: teardown waits here for @sq.busy and @rq.busy when a drain
 *	marker could not be posted
 * @credit_work: sends a credit update on behalf of a receive post
 * @comm_est_work: tells rdma_cm of a lost RTU (kfiv_ep_comm_est_later())
 */
struct kfiv_ep {
	struct kfid_ep base;
	enum kfiv_cm_kind kind;
	struct kfiv_domain *dom;
	struct list_head entry;
	struct rdma_cm_id *cm_id;
	struct ib_qp *qp;
	struct kfiv_queue sq;
	struct kfiv_queue rq;
	u32 inline_max;
	u32 inject_size;
	struct completion cm_done;
	int cm_status;
	u32 peer_credits;
	atomic_t recv_total;
	u32 advertised;
	atomic_t posted;
	unsigned long update_busy;
	unsigned long comm_est;
	bool dead;
	bool removed;
	atomic_t errored;
	bool disconnecting;
	wait_queue_head_t drain_wq;
	struct work_struct credit_work;
	struct delayed_work comm_est_work;
};

/**
 * struct kfiv_srx - a shared receive context: an ib_srq of the domain's PD
 * @base: core part
 * @dom: domain
 * @entry: on dom->srxs
 * @srq: the SRQ; NULL once destroyed (posts then get -ENODEV)
 * @q: its receive slots; q.lock also guards @srq as seen by posts
 */
struct kfiv_srx {
	struct kfid_ep base;
	struct kfiv_domain *dom;
	struct list_head entry;
	struct ib_srq *srq;
	struct kfiv_queue q;
};

/**
 * struct kfiv_pep - a passive endpoint listening through rdma_cm
 * @base: core part
 * @kind: KFIV_CM_PEP
 * @cm_id: listening id, NULL until listen or after device removal
 * @entry: on kfiv_peps
 * @lock: guards @cm_id against device removal and @creqs
 * @creqs: requests not yet claimed by an endpoint
 */
struct kfiv_pep {
	struct kfid_pep base;
	enum kfiv_cm_kind kind;
	struct rdma_cm_id *cm_id;
	struct list_head entry;
	struct mutex lock;		/* see @lock above */
	struct list_head creqs;
};

/**
 * struct kfiv_creq - a connection request waiting for accept or reject
 * @base: core part (info->handle points here)
 * @kind: KFIV_CM_CREQ
 * @pep: listener
 * @cm_id: the new connection's id; NULL once an endpoint took it
 * @entry: on pep->creqs
 * @credits: peer's initial credits from its private data
 */
struct kfiv_creq {
	struct kfi_connreq base;
	enum kfiv_cm_kind kind;
	struct kfiv_pep *pep;
	struct rdma_cm_id *cm_id;
	struct list_head entry;
	u32 credits;
};

#define KFIV_MR_MAPPED		0	/* bit of kfiv_mr.state */
#define KFIV_MR_REG		1	/* kfi_mr_reg(): mapped as long as open */

/**
 * struct kfiv_mr - a memory region
 * @base: core part
 * @dom: domain
 * @entry: on dom->mrs
 * @ibmr: fast-registration MR; NULL for a local kfi_mr_reg() region (one
 *	with remote access is registered once through an endpoint)
 * @sg: max_segs entries describing the mapped buffers
 * @sgl: the scatterlist actually mapped (@sg, or the consumer's)
 * @nents: entries passed to ib_dma_map_sg
 * @dma_nents: DMA segments it returned (fewer where an IOMMU merged)
 * @state: KFIV_MR_MAPPED while pages are DMA-mapped for the device;
 *	KFIV_MR_REG for a kfi_mr_reg() region, whose descriptor posts use
 * @key_idx: index in dom->mr_keys, valid if @ibmr
 */
struct kfiv_mr {
	struct kfid_mr base;
	struct kfiv_domain *dom;
	struct list_head entry;
	struct ib_mr *ibmr;
	struct scatterlist *sg;
	struct scatterlist *sgl;
	u32 nents;
	u32 dma_nents;
	unsigned long state;
	u32 key_idx;
};

static inline struct kfiv_domain *to_dom(struct kfid_domain *d)
{
	return container_of(d, struct kfiv_domain, base);
}

static inline struct kfiv_cq *to_cq(struct kfid_cq *c)
{
	return container_of(c, struct kfiv_cq, base);
}

static inline struct kfiv_ep *to_ep(struct kfid_ep *e)
{
	return container_of(e, struct kfiv_ep, base);
}

static inline struct kfiv_srx *to_srx(struct kfid_ep *e)
{
	return container_of(e, struct kfiv_srx, base);
}

static inline struct kfiv_pep *to_pep(struct kfid_pep *p)
{
	return container_of(p, struct kfiv_pep, base);
}

static inline struct kfiv_mr *to_mr(struct kfid_mr *m)
{
	return container_of(m, struct kfiv_mr, base);
}

/* main.c */
extern struct kfi_provider kfiv_provider;
struct kfiv_dev *kfiv_dev_get(const char *name);
void kfiv_dev_put(struct kfiv_dev *dev);
int kfiv_getinfo(struct kfi_provider *prov, const struct kfi_info *hints,
		 u64 flags, struct kfi_info **info);

/* domain.c */
int kfiv_domain_open(struct kfid_domain *domain, const struct kfi_info *info);
void kfiv_domain_close(struct kfid_domain *domain);
void kfiv_domain_remove(struct kfiv_domain *dom);
int kfiv_cq_open(struct kfid_cq *cq);
void kfiv_cq_close(struct kfid_cq *cq);
int kfiv_cq_poll(struct kfid_cq *cq, int budget);
int kfiv_cq_reserve(struct kfiv_cq *cq, u32 n, u32 extra);
void kfiv_cq_unreserve(struct kfiv_cq *cq, u32 n, u32 extra);

/* cm.c */
int kfiv_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev);
int kfiv_pep_open(struct kfid_pep *pep);
int kfiv_pep_listen(struct kfid_pep *pep);
void kfiv_pep_close(struct kfid_pep *pep);
void kfiv_connreq_free(struct kfi_connreq *creq);
int kfiv_reject(struct kfid_pep *pep, struct kfi_connreq *creq,
		const void *param, u32 paramlen);
int kfiv_connect(struct kfid_ep *ep, const void *param, u32 paramlen);
int kfiv_accept(struct kfid_ep *ep, const void *param, u32 paramlen);
int kfiv_shutdown(struct kfid_ep *ep);
void kfiv_peps_remove(struct ib_device *ibdev);
u32 kfiv_cm_data_max(struct ib_device *ibdev, u32 port);
int kfiv_ep_take_creq(struct kfiv_ep *ep);
int kfiv_getname(struct kfid *fid, void *addr, size_t *addrlen);
int kfiv_getpeer(struct kfid_ep *kep, void *addr, size_t *addrlen);

/* ep.c */
int kfiv_ep_open(struct kfid_ep *ep);
int kfiv_ep_enable(struct kfid_ep *ep);
void kfiv_ep_close(struct kfid_ep *ep);
void kfiv_ep_teardown(struct kfiv_ep *ep, bool removed);
void kfiv_disconnect(struct kfiv_ep *ep);
void kfiv_ep_fail(struct kfiv_ep *ep, enum kfi_eq_event event, int err,
		  gfp_t gfp);
int kfiv_ep_create_qp(struct kfiv_ep *ep);
void kfiv_ep_comm_est(struct kfiv_ep *ep);
void kfiv_ep_comm_est_later(struct kfiv_ep *ep);
int kfiv_queue_alloc(struct kfiv_domain *dom, struct kfiv_ep *ep,
		     struct kfiv_queue *q, u32 depth, u32 extra, u32 nsge,
		     u32 bufsize, bool recv);
void kfiv_queue_free(struct kfiv_queue *q);
void kfiv_bufs_unmap(struct ib_device *ibdev, struct kfiv_bufs *b);

/* srx.c */
int kfiv_srx_open(struct kfid_ep *srx);
void kfiv_srx_close(struct kfid_ep *srx);
void kfiv_srx_teardown(struct kfiv_srx *x);

/* post.c */
int kfiv_send(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
int kfiv_recv(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
int kfiv_read(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags);
int kfiv_write(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags);
int kfiv_atomic(struct kfid_ep *ep, const struct kfi_msg_atomic *msg,
		u64 flags);
u32 kfiv_grant_take(struct kfiv_ep *ep);
void kfiv_credit_update(struct kfiv_ep *ep);
void kfiv_credit_work(struct work_struct *work);
void kfiv_slot_init(struct kfiv_domain *dom, struct kfiv_ep *ep,
		    struct kfiv_slot *slot, bool recv);
int kfiv_srx_recv(struct kfid_ep *srx, const struct kfi_msg *msg, u64 flags);
void kfiv_srx_forget(struct kfiv_srx *x);
int kfiv_post_reg(struct kfiv_ep *ep, struct kfiv_mr *mr, int access,
		  struct kfiv_wait *wait);
void kfiv_wait_poll(struct kfid_cq *cq, struct completion *done);
void kfiv_sq_retire_all(struct kfiv_ep *ep);
void kfiv_sq_ring(struct kfiv_ep *ep);
void kfiv_doorbell(struct kfid_ep *kep);
int kfiv_post_inv(struct kfiv_ep *ep, struct kfiv_mr *mr,
		  struct kfi_context *ctx);
int kfiv_size_left(struct kfid_ep *kep, bool tx);
const char *kfiv_strerror(struct kfid_cq *cq, int prov_errno);

/* mr.c */
int kfiv_mr_reg(struct kfid_mr *mr, const struct kfi_iov *iov);
bool kfiv_mr_dma_range(struct kfiv_domain *dom, void *desc, const void *addr,
		       u32 len, u64 *dma);
int kfiv_mr_alloc(struct kfid_mr *mr);
int kfiv_mr_map(struct kfid_ep *ep, struct kfid_mr *mr,
		const struct kfi_iov *iov);
int kfiv_mr_unmap(struct kfid_ep *ep, struct kfid_mr *mr,
		  struct kfi_context *context);
void kfiv_mr_close(struct kfid_mr *mr);
int kfiv_mr_sync(struct kfid_mr *kmr, enum kfi_sync_dir dir);
void kfiv_mr_dma_unmap(struct kfiv_mr *mr);
void kfiv_mr_invalidated(struct kfiv_domain *dom, u32 rkey);
void kfiv_mr_remove(struct kfiv_mr *mr);

/* Count of live provider objects, for leak checks. */
extern atomic_t kfiv_live_objects;

#endif /* _KFI_VERBS_H */
