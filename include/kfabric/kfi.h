/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric consumer API.
 *
 * In-kernel storage consumers (block drivers, file-system clients, object
 * stores) program against this header only.  The object model and names
 * follow libfabric: kfi_getinfo() discovers providers and devices, then
 * fabric -> domain -> endpoint, with completion queues (CQ) for data
 * operations and event queues (EQ) for connection management.
 *
 * Context rules, in short (Documentation/kfabric/consumer-guide.rst):
 *  - setup calls (open, close, getinfo, connect, accept, MR registration)
 *    may sleep: process context only;
 *  - data-path calls (send, recv, read, write, atomics, kfi_mr_map/unmap,
 *    kfi_cq_read, kfi_cq_poll) never sleep and never allocate: they may be
 *    called from softirq, from a CQ callback and from blk-mq ->queue_rq();
 *  - every call that can fail returns 0 or a negative errno; a full queue
 *    or a missing send credit is -EAGAIN and nothing is posted;
 *  - closing cannot fail: kfi_close() returns nothing, and an endpoint's
 *    operations are all handed back before it returns.
 */
#ifndef _KFABRIC_KFI_H
#define _KFABRIC_KFI_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/bvec.h>
#include <linux/scatterlist.h>
#include <linux/atomic.h>
#include <linux/irq_poll.h>

#define KFI_MAJOR_VERSION	1
#define KFI_MINOR_VERSION	0
#define KFI_VERSION(major, minor)	(((major) << 16) | (minor))
#define KFI_MAJOR(version)	((version) >> 16)
#define KFI_MINOR(version)	((version) & 0xffff)

#define KFI_NAME_MAX		64
/* Largest connection private data a consumer may pass (rdma_cm's RC limit
 * less what providers keep for themselves).
 */
#define KFI_CM_DATA_MAX		128

/*
 * Capabilities (kfi_info.caps, tx_attr.caps, rx_attr.caps) and operation
 * flags share one bit space, as in libfabric, and a flag named as one of
 * libfabric's has the same value (FI_MSG, FI_REMOTE_CQ_DATA, FI_SOURCE,
 * ...), so code and traces carry over.  The flags libfabric does not have
 * (KFI_INVALIDATE, KFI_MR_INVALIDATED, KFI_MR_OP) use bits 32 to 34,
 * which libfabric leaves free.
 */
#define KFI_MSG			BIT_ULL(1)
#define KFI_RMA			BIT_ULL(2)
#define KFI_TAGGED		BIT_ULL(3)
#define KFI_ATOMIC		BIT_ULL(4)
#define KFI_READ		BIT_ULL(8)
#define KFI_WRITE		BIT_ULL(9)
#define KFI_RECV		BIT_ULL(10)
#define KFI_SEND		BIT_ULL(11)
#define KFI_REMOTE_READ		BIT_ULL(12)
#define KFI_REMOTE_WRITE	BIT_ULL(13)

/* Operation flags (the @flags of kfi_*msg()) and completion flags. */
#define KFI_REMOTE_CQ_DATA	BIT_ULL(17) /* op carries / entry has @data */
#define KFI_MORE		BIT_ULL(18) /* more posts follow: may defer the doorbell */
#define KFI_FENCE		BIT_ULL(21) /* wait for prior RMA reads/atomics */
#define KFI_COMPLETION		BIT_ULL(24) /* op: report success (selective EP) */
#define KFI_INJECT		BIT_ULL(25) /* copy the payload; buffer reusable at return */
#define KFI_INVALIDATE		BIT_ULL(32) /* send: invalidate msg->inv_key at the peer */
#define KFI_MR_INVALIDATED	BIT_ULL(33) /* entry: the peer invalidated entry->inv_key */
#define KFI_MR_OP		BIT_ULL(34) /* entry: completion of kfi_mr_unmap() */

/* Flags of kfi_getinfo(). */
#define KFI_SOURCE		BIT_ULL(57) /* node/service name the local address */

/*
 * Flag of kfi_ep_bind() with KFI_TRANSMIT: only operations posted with
 * KFI_COMPLETION report their success; errors are always reported.
 */
#define KFI_SELECTIVE_COMPLETION BIT_ULL(59)

#define KFI_ACCESS_MASK		(KFI_READ | KFI_WRITE | KFI_REMOTE_READ | \
				 KFI_REMOTE_WRITE)

enum kfi_fclass {
	KFI_CLASS_UNSPEC,
	KFI_CLASS_FABRIC,
	KFI_CLASS_DOMAIN,
	KFI_CLASS_PEP,
	KFI_CLASS_EP,
	KFI_CLASS_CQ,
	KFI_CLASS_EQ,
	KFI_CLASS_MR,
	KFI_CLASS_SRX_CTX,	/* shared receive context (kfi_srx_context()) */
	KFI_CLASS_AV,		/* reserved: address vectors (RDM) */
	KFI_CLASS_CNTR,		/* reserved: completion counters */
	KFI_CLASS_MAX,
};

enum kfi_ep_type {
	KFI_EP_UNSPEC,
	KFI_EP_MSG,		/* connected, reliable, message boundaries */
	KFI_EP_RDM,		/* reliable datagram (needs an AV) */
};

enum kfi_addr_format {
	KFI_FORMAT_UNSPEC,
	KFI_SOCKADDR_IN,
	KFI_SOCKADDR_IN6,
};

struct kfi_fabric_attr {
	char name[KFI_NAME_MAX];
	char prov_name[KFI_NAME_MAX];
	u32 prov_version;
	u32 api_version;
};

struct kfi_domain_attr {
	char name[KFI_NAME_MAX];	/* device, e.g. "rxe0" or "mlx5_0" */
	u32 port;
	u32 cq_cnt;			/* CQs the device supports */
	u32 ep_cnt;
	u32 mr_cnt;
	u32 cq_size;			/* deepest CQ */
	u32 tx_size_max;		/* deepest send queue (tx_attr.size) */
	u32 rx_size_max;		/* deepest receive queue (rx_attr.size) */
	u32 mr_key_size;		/* bytes in a remote key */
	u32 max_mr_segs;		/* pages one kfi_mr_map() may cover */
	u32 cq_data_size;		/* bytes of immediate data carried */
	u64 max_mr_size;
};

/*
 * Flags of kfi_ep_attr.flags.  KFI_EP_NO_CREDITS: the consumer keeps its
 * own count of the peer's receives (a protocol with a negotiated queue
 * depth); the core does not refuse its sends for lack of credit, and the
 * provider still grants the peer its credits.  kfi_ep_bind() of a shared
 * receive context sets it: such an endpoint's receives are not its own.
 */
#define KFI_EP_NO_CREDITS	BIT(0)

struct kfi_ep_attr {
	enum kfi_ep_type type;
	u32 flags;			/* KFI_EP_NO_CREDITS */
	u64 max_msg_size;
	u32 max_order_raw_size;
	u32 cm_data_size;		/* max private data, <= KFI_CM_DATA_MAX */
	u32 max_rd_atomic;		/* outstanding reads/atomics per EP */
};

/*
 * Values of kfi_tx_attr.comp_order.  KFI_ORDER_STRICT: the endpoint's
 * transmit operations complete in the order they were posted, and one
 * completes only once everything posted before it is done at the peer
 * (an RMA write's data placed, a send received).  Then a reported
 * completion also says that the unreported operations before it are done
 * (KFI_SELECTIVE_COMPLETION), and their buffers are the consumer's again.
 * Without it a completion speaks for its own operation only.
 */
#define KFI_ORDER_NONE		0
#define KFI_ORDER_STRICT	BIT_ULL(0)

/*
 * kfi_getinfo() fills @size of struct kfi_tx_attr and struct kfi_rx_attr
 * with a default that suits a CQ of modest size (a hint's own size when
 * it gives one); the most a device takes is in kfi_domain_attr.
 */
struct kfi_tx_attr {
	u64 caps;
	u64 comp_order;			/* KFI_ORDER_* */
	u32 size;			/* send queue depth */
	u32 iov_limit;
	u32 rma_iov_limit;
	u32 inject_size;
};

struct kfi_rx_attr {
	u64 caps;
	u32 size;			/* receive queue depth */
	u32 iov_limit;
};

struct kfi_connreq;

/**
 * struct kfi_info - one way to reach a fabric: provider, device, addresses
 * @next: next entry of the list kfi_getinfo() returns
 * @caps: capabilities (KFI_MSG, KFI_RMA, ...)
 * @addr_format: format of @src_addr and @dest_addr
 * @src_addrlen: bytes of @src_addr in use, 0 if unset
 * @dest_addrlen: bytes of @dest_addr in use, 0 if unset
 * @src_addr: local address
 * @dest_addr: peer address
 * @handle: the pending connection request of a KFI_CONNREQ event, consumed
 *	by kfi_accept() or kfi_reject(); kfi_freeinfo() rejects it if neither
 *	was called
 * @fabric_attr: provider
 * @domain_attr: device and its limits
 * @ep_attr: endpoint type and limits
 * @tx_attr: transmit queue
 * @rx_attr: receive queue
 *
 * As hints, a zero field means "any".  Always free with kfi_freeinfo().
 */
struct kfi_info {
	struct kfi_info *next;
	u64 caps;
	enum kfi_addr_format addr_format;
	u32 src_addrlen;
	u32 dest_addrlen;
	struct sockaddr_storage src_addr;
	struct sockaddr_storage dest_addr;
	struct kfi_connreq *handle;
	struct kfi_fabric_attr fabric_attr;
	struct kfi_domain_attr domain_attr;
	struct kfi_ep_attr ep_attr;
	struct kfi_tx_attr tx_attr;
	struct kfi_rx_attr rx_attr;
};

/**
 * struct kfid - what every kfabric object starts with
 * @fclass: the object's class; checked by every call
 * @context: the consumer's pointer given at open
 * @ref: lifetime; the object is freed when the last reference goes
 * @children: live objects opened on or bound to this one; close is -EBUSY
 *	while it is not zero
 * @parent: the object this one was opened on (domain for an EP, ...)
 * @prov: provider that implements it; the provider's module is pinned
 *	while the object lives
 * @list: entry on the provider's object list (debugfs)
 */
struct kfid {
	enum kfi_fclass fclass;
	void *context;
	struct kref ref;
	atomic_t children;
	struct kfid *parent;
	struct kfi_provider *prov;
	struct list_head list;
};

struct kfid_fabric {
	struct kfid fid;
	struct kfi_fabric_attr attr;
};

struct kfid_domain {
	struct kfid fid;
	struct kfid_fabric *fabric;
	struct kfi_domain_attr attr;
};

/* ------------------------------------------------------------------ */
/* Buffers */

enum kfi_iov_type {
	KFI_IOV_KVEC,
	KFI_IOV_BVEC,
	KFI_IOV_SGL,
};

/**
 * struct kfi_iov - a list of local buffers in one of three forms
 * @type: which member of the union is set
 * @kvec: kernel virtual buffers (kmalloc'ed or direct-mapped; not vmalloc)
 * @bvec: pages, as a bio carries them
 * @sgl: a scatterlist, not DMA-mapped yet
 * @count: entries in the array (for @sgl: entries to walk)
 */
struct kfi_iov {
	enum kfi_iov_type type;
	union {
		const struct kvec *kvec;
		const struct bio_vec *bvec;
		struct scatterlist *sgl;
	};
	u32 count;
};

/**
 * struct kfi_rma_iov - a remote buffer
 * @addr: address (iova) the peer advertised
 * @len: bytes
 * @key: remote key of the peer's MR
 */
struct kfi_rma_iov {
	u64 addr;
	u64 len;
	u64 key;
};

/* ------------------------------------------------------------------ */
/* Completions */

struct kfid_cq;
struct kfi_cq_entry;

/**
 * struct kfi_context - per-operation state, embedded in the consumer's request
 * @done: called with the completion of the operation, in the CQ's poll
 *	context; NULL to use the CQ's handler or queue instead.  Recover the
 *	request with container_of(entry->op_context, struct my_req, kctx).
 *
 * The context must stay valid until its completion has been delivered.
 * Providers keep their per-operation state in their own slots, never
 * here, so the context is one pointer.
 */
struct kfi_context {
	void (*done)(struct kfid_cq *cq, const struct kfi_cq_entry *entry);
};

/**
 * struct kfi_cq_entry - one completion
 * @op_context: the context the operation was posted with
 * @flags: what completed (KFI_SEND|KFI_MSG, KFI_RECV|KFI_MSG,
 *	KFI_RMA|KFI_READ, KFI_RMA|KFI_WRITE, KFI_ATOMIC, ...) plus
 *	KFI_REMOTE_CQ_DATA when @data is valid, KFI_MR_INVALIDATED when
 *	@inv_key was invalidated by the peer
 * @len: bytes received (receives); bytes moved (others)
 * @data: immediate data (KFI_REMOTE_CQ_DATA)
 * @inv_key: key the peer invalidated (KFI_MR_INVALIDATED)
 * @err: 0, or a negative errno: -ECANCELED for an operation flushed by
 *	close, shutdown or device removal, -EIO for transport errors,
 *	-EMSGSIZE for a receive buffer too small, -EACCES for a key error
 * @prov_errno: the provider's own status (for verbs, enum ib_wc_status)
 * @ep: for a receive posted on a shared receive context, the endpoint
 *	whose message took it (a receive still waiting in the context when
 *	it closes has no completion); NULL for every other completion
 */
struct kfi_cq_entry {
	struct kfi_context *op_context;
	u64 flags;
	u64 len;
	u64 data;
	u64 inv_key;
	int err;
	int prov_errno;
	struct kfid_ep *ep;
};

/**
 * enum kfi_poll_ctx - where completions are processed
 * @KFI_POLL_SOFTIRQ: in softirq, batched under a budget (irq_poll)
 * @KFI_POLL_WORKQUEUE: in a workqueue (may not sleep all the same)
 * @KFI_POLL_DIRECT: only when the consumer calls kfi_cq_poll() (or
 *	kfi_cq_read()/kfi_cq_sread(), which poll first)
 */
enum kfi_poll_ctx {
	KFI_POLL_SOFTIRQ,
	KFI_POLL_WORKQUEUE,
	KFI_POLL_DIRECT,
};

/**
 * struct kfi_cq_attr - how a CQ is opened
 * @size: entries; the provider may round it up.  For a queued CQ, more
 *	unread completions than @size overrun it: kfi_cq_read() then
 *	returns -EOVERFLOW
 * @poll_ctx: see enum kfi_poll_ctx
 * @comp_vector: interrupt vector hint, -1 for any
 * @budget: completions processed per poll round (0: provider default)
 * @handler: per-CQ handler for completions whose context has no @done;
 *	NULL to queue them for kfi_cq_read()
 * @handler_arg: passed to @handler
 *
 * Each completion is delivered exactly once: to the operation's
 * kfi_context.done if set, else to @handler if set, else queued.
 */
struct kfi_cq_attr {
	u32 size;
	enum kfi_poll_ctx poll_ctx;
	int comp_vector;
	u32 budget;
	void (*handler)(struct kfid_cq *cq, const struct kfi_cq_entry *entry,
			void *arg);
	void *handler_arg;
};

/**
 * enum kfi_stat - counters kept by the core for each EP and CQ
 * @KFI_STAT_POSTED: operations accepted by a post call (a CQ: completions
 *	handed to the core)
 * @KFI_STAT_COMPLETED: completions delivered with err == 0
 * @KFI_STAT_ERRORS: completions delivered with an error
 * @KFI_STAT_EAGAIN: post calls refused with -EAGAIN (queue full or no
 *	credit; a CQ: completions lost to a full pending ring)
 * @KFI_STAT_NR: number of counters
 */
enum kfi_stat {
	KFI_STAT_POSTED,
	KFI_STAT_COMPLETED,
	KFI_STAT_ERRORS,
	KFI_STAT_EAGAIN,
	KFI_STAT_NR,
};

/**
 * struct kfi_stats - one CPU's share of an object's counters
 * @n: indexed by enum kfi_stat
 *
 * Per CPU, so that posts and completions on different CPUs share no
 * cache line and need no atomic operation: the core bumps them with
 * this_cpu_inc(), from any context.  Read them with kfi_stats_read().
 */
struct kfi_stats {
	u64 n[KFI_STAT_NR];
};

/**
 * struct kfid_cq - completion queue
 * @fid: common object header
 * @domain: the domain it was opened on
 * @attr: attributes it was opened with
 * @lock: guards @ring, @head, @tail, @overrun and the error slot
 * @ring: queued completions (only for CQs without a handler)
 * @head: next entry to read
 * @tail: next entry to write
 * @overrun: set when a completion found @ring full; reported once
 * @wait: kfi_cq_sread() sleeps here
 * @stats: counters, per CPU (read with kfi_stats_read())
 * @pend_lock: private to the core: guards @pend, @pend_head and @pend_tail
 * @pend: private: completions handed to kfi_cq_sw_complete(), not yet
 *	delivered
 * @pend_mask: private: entries in @pend less one (a power of two less one)
 * @pend_head: private: next pending entry to deliver
 * @pend_tail: private: next free pending slot
 * @iop: private: delivers @pend in softirq (KFI_POLL_SOFTIRQ)
 * @work: private: delivers @pend in a workqueue (KFI_POLL_WORKQUEUE)
 */
struct kfid_cq {
	struct kfid fid;
	struct kfid_domain *domain;
	struct kfi_cq_attr attr;
	spinlock_t lock;		/* see @lock above */
	struct kfi_cq_entry *ring;
	u32 head;
	u32 tail;
	bool overrun;
	wait_queue_head_t wait;
	struct kfi_stats __percpu *stats;

	/* private: core only */
	spinlock_t pend_lock;		/* see @pend_lock above */
	struct kfi_cq_entry *pend;
	u32 pend_mask;
	u32 pend_head;
	u32 pend_tail;
	struct irq_poll iop;
	struct work_struct work;
};

/* ------------------------------------------------------------------ */
/* Events */

enum kfi_eq_event {
	KFI_CONNREQ = 1,	/* on a passive EP: entry.info describes it */
	KFI_CONNECTED,
	KFI_SHUTDOWN,		/* peer disconnected or connection lost */
	KFI_REJECTED,		/* our connect was rejected (entry.data: why) */
	KFI_UNREACHABLE,	/* address/route resolution or connect failed */
	KFI_DEVICE_REMOVAL,	/* the domain's device is going away */
};

/**
 * struct kfi_eq_cm_entry - one event
 * @event: what happened
 * @fid: the endpoint or passive endpoint it concerns
 * @info: for KFI_CONNREQ, the request (free with kfi_freeinfo())
 * @err: 0 or a negative errno giving the cause
 * @datalen: bytes of @data
 * @data: private data the peer sent with connect, accept or reject
 */
struct kfi_eq_cm_entry {
	enum kfi_eq_event event;
	struct kfid *fid;
	struct kfi_info *info;
	int err;
	u32 datalen;
	u8 data[KFI_CM_DATA_MAX];
};

/**
 * struct kfi_eq_attr - how an EQ is opened
 * @size: events it holds before kfi_eq_read() must drain it
 * @handler: called for each event, from process context (may sleep);
 *	NULL to queue events for kfi_eq_read()/kfi_eq_sread()
 * @handler_arg: passed to @handler
 */
struct kfi_eq_attr {
	u32 size;
	void (*handler)(const struct kfi_eq_cm_entry *entry, void *arg);
	void *handler_arg;
};

/**
 * struct kfid_eq - event queue
 * @fid: common object header
 * @fabric: the fabric it was opened on
 * @attr: attributes it was opened with
 * @lock: guards @events and @nr_events
 * @events: queued struct kfi_eq_node entries (no handler)
 * @nr_events: length of @events
 * @wait: kfi_eq_sread() sleeps here
 * @work: runs @attr.handler in process context
 * @work_key: private to the core: @work's lockdep class (one per EQ)
 */
struct kfid_eq {
	struct kfid fid;
	struct kfid_fabric *fabric;
	struct kfi_eq_attr attr;
	spinlock_t lock;		/* see @lock above */
	struct list_head events;
	u32 nr_events;
	wait_queue_head_t wait;
	struct work_struct work;
	struct lock_class_key work_key;
};

/* ------------------------------------------------------------------ */
/* Endpoints */

enum kfi_ep_state {
	KFI_EP_IDLE,		/* opened, not enabled */
	KFI_EP_ENABLED,		/* bound and enabled; receives may be posted */
	KFI_EP_CONNECTING,
	KFI_EP_CONNECTED,	/* sends, RMA and atomics allowed */
	KFI_EP_SHUTDOWN,	/* disconnected or errored; posts get -ENOTCONN */
};

/**
 * struct kfi_credits - message flow control, kept by the core
 * @send: sends that may be posted now: receives the peer has ready
 * @grant: receives posted locally and not yet advertised to the peer
 * @reserve: credits a consumer's send may not take: kept for the
 *	provider's own messages that carry @grant back to the peer, so an
 *	update can always be sent
 * @enabled: set by the provider when the connection negotiated credits
 *
 * A send takes one credit or fails with -EAGAIN; the provider carries
 * @grant to the peer (piggybacked on traffic, or in an explicit update)
 * and adds what the peer grants with kfi_credit_add().
 */
struct kfi_credits {
	atomic_t send;
	atomic_t grant;
	u32 reserve;
	bool enabled;
};

/**
 * struct kfid_pep - passive endpoint: listens for connection requests
 * @fid: common object header
 * @fabric: the fabric it was opened on
 * @eq: where KFI_CONNREQ events go (kfi_pep_bind())
 * @info: the address it listens on
 * @listening: kfi_listen() has succeeded
 */
struct kfid_pep {
	struct kfid fid;
	struct kfid_fabric *fabric;
	struct kfid_eq *eq;
	struct kfi_info info;
	bool listening;
};

/**
 * struct kfid_ep - active endpoint, or shared receive context
 * @fid: common object header; fclass KFI_CLASS_EP for an endpoint,
 *	KFI_CLASS_SRX_CTX for a shared receive context
 * @domain: the domain it was opened on
 * @info: what it was opened with (a shared receive context: only
 *	@info.rx_attr)
 * @tx_cq: completions of sends, RMA and atomics
 * @rx_cq: completions of receives
 * @eq: connection events
 * @srx: the shared receive context the endpoint takes its receives from
 *	(kfi_ep_bind()), or NULL
 * @state: enum kfi_ep_state, changed only by the core under @lock
 * @lock: guards @state transitions
 * @credits: flow control
 * @credit_ready: optional consumer callback, called (from the provider's
 *	completion context) when credits arrive after a send got -EAGAIN;
 *	set it with kfi_ep_set_credit_ready()
 * @credit_starved: a send got -EAGAIN for lack of credit since the last grant
 * @stats: counters, per CPU (read with kfi_stats_read())
 * @tx_flags: KFI_SELECTIVE_COMPLETION if the transmit CQ was bound with it
 * @final_event: private to the core: the event node kept for the
 *	endpoint's final event, so reporting it cannot fail
 */
struct kfid_ep {
	struct kfid fid;
	struct kfid_domain *domain;
	struct kfi_info info;
	struct kfid_cq *tx_cq;
	struct kfid_cq *rx_cq;
	struct kfid_eq *eq;
	struct kfid_ep *srx;
	enum kfi_ep_state state;
	spinlock_t lock;		/* see @lock above */
	struct kfi_credits credits;
	void (*credit_ready)(struct kfid_ep *ep);
	atomic_t credit_starved;
	struct kfi_stats __percpu *stats;
	u64 tx_flags;

	/* private: core only */
	void *final_event;
};

/* ------------------------------------------------------------------ */
/* Memory regions */

/**
 * struct kfid_mr - memory region
 * @fid: common object header
 * @domain: the domain it belongs to
 * @access: KFI_READ | KFI_WRITE | KFI_REMOTE_READ | KFI_REMOTE_WRITE
 * @key: remote key to give the peer (valid while mapped)
 * @iova: address the peer uses in kfi_rma_iov.addr
 * @len: bytes covered
 * @desc: local descriptor to pass in kfi_msg.desc
 * @max_segs: pages it can map (kfi_mr_alloc())
 * @mapped: kfi_mr_map() was posted and not invalidated since
 */
struct kfid_mr {
	struct kfid fid;
	struct kfid_domain *domain;
	u64 access;
	u64 key;
	u64 iova;
	u64 len;
	void *desc;
	u32 max_segs;
	bool mapped;
};

/* ------------------------------------------------------------------ */
/* Messages */

/**
 * struct kfi_msg - a send or a receive
 * @iov: local buffers
 * @desc: one local descriptor per entry of @iov (kfid_mr.desc), or NULL
 *	to let the provider map them for local access
 * @context: per-operation context (completion goes to its @done, if set)
 * @data: immediate data, sent with KFI_REMOTE_CQ_DATA
 * @inv_key: key to invalidate at the peer, with KFI_INVALIDATE
 */
struct kfi_msg {
	struct kfi_iov iov;
	void **desc;
	struct kfi_context *context;
	u64 data;
	u64 inv_key;
};

/**
 * struct kfi_msg_rma - an RMA read or write
 * @iov: local buffers
 * @desc: local descriptors, or NULL
 * @rma_iov: remote buffers
 * @rma_iov_count: entries in @rma_iov
 * @context: per-operation context
 * @data: immediate data for a write with KFI_REMOTE_CQ_DATA
 */
struct kfi_msg_rma {
	struct kfi_iov iov;
	void **desc;
	const struct kfi_rma_iov *rma_iov;
	u32 rma_iov_count;
	struct kfi_context *context;
	u64 data;
};

enum kfi_atomic_op {
	KFI_SUM = 1,		/* fetch-and-add */
	KFI_CSWAP,		/* compare-and-swap */
};

/**
 * struct kfi_msg_atomic - a 64-bit atomic on remote memory
 * @op: KFI_SUM or KFI_CSWAP
 * @operand: value to add (KFI_SUM) or to store (KFI_CSWAP)
 * @compare: value expected (KFI_CSWAP)
 * @result: local 8-byte buffer receiving the old value (kmalloc'ed,
 *	DMA-able), or NULL if not wanted
 * @result_desc: local descriptor of @result, or NULL
 * @rma_iov: the remote 8-byte, 8-byte aligned target
 * @context: per-operation context
 */
struct kfi_msg_atomic {
	enum kfi_atomic_op op;
	u64 operand;
	u64 compare;
	u64 *result;
	void *result_desc;
	struct kfi_rma_iov rma_iov;
	struct kfi_context *context;
};

/**
 * struct kfi_rma_xfer - state of a kfi_rma_xfer(), embedded by the consumer
 * @piece_ctx: private: the context every piece is posted with
 * @ep: private: the endpoint
 * @context: private: the consumer's context, completed once
 * @iov: private: the consumer's buffers
 * @sg: private: scatterlist entry at the cursor
 * @idx: private: entry of @iov at the cursor
 * @off: private: bytes of that entry already posted
 * @addr: private: remote address of the transfer
 * @key: private: remote key
 * @len: private: bytes of the transfer
 * @posted: private: bytes posted so far
 * @flags: private: the caller's flags
 * @outstanding: private: pieces posted and not completed
 * @err: private: the first error
 * @prov_errno: private: its provider status
 * @lock: private: guards the fields above once pieces are posted
 *
 * Opaque to the consumer, who only provides the memory and leaves it
 * alone until the transfer's completion.
 */
struct kfi_rma_xfer {
	struct kfi_context piece_ctx;
	struct kfid_ep *ep;
	struct kfi_context *context;
	struct kfi_iov iov;
	struct scatterlist *sg;
	u32 idx;
	u64 off;
	u64 addr;
	u64 key;
	u64 len;
	u64 posted;
	u64 flags;
	u32 outstanding;
	int err;
	int prov_errno;
	spinlock_t lock;	/* see @lock above */
};

/* ------------------------------------------------------------------ */
/* Discovery */

int kfi_getinfo(u32 version, const char *node, const char *service,
		u64 flags, const struct kfi_info *hints, struct kfi_info **info);
void kfi_freeinfo(struct kfi_info *info);
struct kfi_info *kfi_dupinfo(const struct kfi_info *info);
struct kfi_info *kfi_allocinfo(void);

/* Objects (process context, may sleep) */

int kfi_fabric(const struct kfi_fabric_attr *attr, struct kfid_fabric **fabric,
	       void *context);
int kfi_domain(struct kfid_fabric *fabric, const struct kfi_info *info,
	       struct kfid_domain **domain, void *context);
int kfi_cq_open(struct kfid_domain *domain, const struct kfi_cq_attr *attr,
		struct kfid_cq **cq, void *context);
int kfi_eq_open(struct kfid_fabric *fabric, const struct kfi_eq_attr *attr,
		struct kfid_eq **eq, void *context);
int kfi_passive_ep(struct kfid_fabric *fabric, const struct kfi_info *info,
		   struct kfid_pep **pep, void *context);
int kfi_endpoint(struct kfid_domain *domain, const struct kfi_info *info,
		 struct kfid_ep **ep, void *context);
int kfi_srx_context(struct kfid_domain *domain,
		    const struct kfi_rx_attr *attr, struct kfid_ep **srx,
		    void *context);
void kfi_close(struct kfid *fid);

/* Binding flags of kfi_ep_bind(). */
#define KFI_TRANSMIT		KFI_SEND
#define KFI_RECEIVE		KFI_RECV

int kfi_ep_bind(struct kfid_ep *ep, struct kfid *bfid, u64 flags);
int kfi_pep_bind(struct kfid_pep *pep, struct kfid_eq *eq);
int kfi_enable(struct kfid_ep *ep);

/* Connection management (process context) */

int kfi_listen(struct kfid_pep *pep);
int kfi_connect(struct kfid_ep *ep, const void *param, u32 paramlen);
int kfi_accept(struct kfid_ep *ep, const void *param, u32 paramlen);
int kfi_reject(struct kfid_pep *pep, struct kfi_connreq *handle,
	       const void *param, u32 paramlen);
int kfi_shutdown(struct kfid_ep *ep, u64 flags);

/* Event queues */

int kfi_eq_read(struct kfid_eq *eq, struct kfi_eq_cm_entry *entry);
int kfi_eq_sread(struct kfid_eq *eq, struct kfi_eq_cm_entry *entry,
		 int timeout_ms);

/* Completion queues (never sleep, except kfi_cq_sread) */

int kfi_cq_read(struct kfid_cq *cq, struct kfi_cq_entry *entries, int count);
int kfi_cq_readerr(struct kfid_cq *cq, struct kfi_cq_entry *entry);
int kfi_cq_sread(struct kfid_cq *cq, struct kfi_cq_entry *entries, int count,
		 int timeout_ms);
int kfi_cq_poll(struct kfid_cq *cq, int budget);

/* Memory registration */

int kfi_mr_reg(struct kfid_domain *domain, const struct kfi_iov *iov,
	       u64 access, struct kfid_mr **mr, void *context);
int kfi_mr_alloc(struct kfid_domain *domain, u32 max_segs, u64 access,
		 struct kfid_mr **mr, void *context);
int kfi_mr_map(struct kfid_ep *ep, struct kfid_mr *mr,
	       const struct kfi_iov *iov);
int kfi_mr_unmap(struct kfid_ep *ep, struct kfid_mr *mr,
		 struct kfi_context *context);

/**
 * enum kfi_sync_dir - who is about to touch an MR's pages, for kfi_mr_sync()
 * @KFI_SYNC_FOR_CPU: the CPU reads what the device (the peer's RMA, a
 *	receive) wrote
 * @KFI_SYNC_FOR_DEVICE: the device reads what the CPU wrote, or writes
 *	after the CPU looked
 */
enum kfi_sync_dir {
	KFI_SYNC_FOR_CPU,
	KFI_SYNC_FOR_DEVICE,
};

int kfi_mr_sync(struct kfid_mr *mr, enum kfi_sync_dir dir);

/* Data path (never sleep, never allocate) */

int kfi_sendmsg(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
int kfi_recvmsg(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
int kfi_readmsg(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags);
int kfi_writemsg(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags);
int kfi_atomicmsg(struct kfid_ep *ep, const struct kfi_msg_atomic *msg,
		  u64 flags);
int kfi_cancel(struct kfid_ep *ep, struct kfi_context *context);
int kfi_rma_xfer(struct kfid_ep *ep, struct kfi_rma_xfer *x,
		 const struct kfi_iov *iov, u64 addr, u64 key,
		 struct kfi_context *context, u64 flags);

/* Credits (providers and curious consumers) */

/**
 * kfi_ep_credits() - sends that may be posted now on @ep
 * @ep: a connected message endpoint
 *
 * Context: any.
 * Return: the credit count, or -1 if @ep does not use credits.
 */
static inline int kfi_ep_credits(const struct kfid_ep *ep)
{
	if (!ep->credits.enabled ||
	    (ep->info.ep_attr.flags & KFI_EP_NO_CREDITS))
		return -1;
	return atomic_read(&ep->credits.send);
}

int kfi_ep_set_credit_ready(struct kfid_ep *ep,
			    void (*credit_ready)(struct kfid_ep *ep));

/* Addresses, queue room, counters and provider detail */

int kfi_getname(struct kfid *fid, void *addr, size_t *addrlen);
int kfi_getpeer(struct kfid_ep *ep, void *addr, size_t *addrlen);
int kfi_tx_size_left(struct kfid_ep *ep);
int kfi_rx_size_left(struct kfid_ep *ep);
const char *kfi_strerror(struct kfid_cq *cq, int prov_errno);
u64 kfi_stats_read(const struct kfi_stats __percpu *stats,
		   enum kfi_stat stat);

/* ------------------------------------------------------------------ */
/* Convenience forms of the data-path calls: one buffer, or an array. */

#define KFI_IOV_INIT(kind, member, ptr, n)				\
	((struct kfi_iov){ .type = (kind), .member = (ptr), .count = (n) })

/*
 * The short forms build their message on the caller's stack; the provider
 * is done with it when the post call returns.
 */
struct kfi_msg1 {
	struct kvec kv;
	void *desc;
	struct kfi_rma_iov rma;
	struct kfi_msg msg;
	struct kfi_msg_rma rma_msg;
};

/* One kernel buffer as a message. */
static inline struct kfi_msg *kfi_msg1(struct kfi_msg1 *m, void *buf,
				       size_t len, void *desc,
				       struct kfi_context *context)
{
	m->kv.iov_base = buf;
	m->kv.iov_len = len;
	m->desc = desc;
	m->msg = (struct kfi_msg){
		.iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &m->kv, 1),
		.desc = desc ? &m->desc : NULL,
		.context = context,
	};
	return &m->msg;
}

/* One kernel buffer and one remote buffer as an RMA. */
static inline struct kfi_msg_rma *kfi_rma1(struct kfi_msg1 *m, void *buf,
					   size_t len, void *desc, u64 addr,
					   u64 key, struct kfi_context *context)
{
	kfi_msg1(m, buf, len, desc, context);
	m->rma = (struct kfi_rma_iov){ .addr = addr, .len = len, .key = key };
	m->rma_msg = (struct kfi_msg_rma){
		.iov = m->msg.iov,
		.desc = m->msg.desc,
		.rma_iov = &m->rma,
		.rma_iov_count = 1,
		.context = context,
	};
	return &m->rma_msg;
}

/* An array of buffers of any form as a message. */
static inline struct kfi_msg kfi_msgv(struct kfi_iov iov, void **desc,
				      struct kfi_context *context)
{
	return (struct kfi_msg){ .iov = iov, .desc = desc, .context = context };
}

/**
 * kfi_send() - send one buffer
 * @ep: connected endpoint
 * @buf: kernel virtual buffer
 * @len: bytes
 * @desc: local descriptor, or NULL
 * @context: per-operation context
 *
 * kfi_senddata() also carries @data as immediate data.  The vector forms
 * kfi_sendv(), kfi_sendbv() and kfi_sendsg() take @count entries of a kvec,
 * bio_vec or scatterlist array with one descriptor each (or NULL).
 *
 * Context: any; never sleeps.
 * Return: 0, -EAGAIN (no credit or queue full), -ENOTCONN, -EINVAL.
 */
static inline int kfi_send(struct kfid_ep *ep, void *buf, size_t len,
			   void *desc, struct kfi_context *context)
{
	struct kfi_msg1 m;

	return kfi_sendmsg(ep, kfi_msg1(&m, buf, len, desc, context), 0);
}

static inline int kfi_senddata(struct kfid_ep *ep, void *buf, size_t len,
			       void *desc, u64 data,
			       struct kfi_context *context)
{
	struct kfi_msg1 m;

	kfi_msg1(&m, buf, len, desc, context)->data = data;
	return kfi_sendmsg(ep, &m.msg, KFI_REMOTE_CQ_DATA);
}

/**
 * kfi_inject() - send a small buffer that is reusable as soon as this returns
 * @ep: connected endpoint
 * @buf: at most tx_attr.inject_size bytes
 * @len: bytes
 *
 * No completion is delivered for an inject.
 * Context: any; never sleeps.
 * Return: 0, -EAGAIN, -ENOTCONN, -EMSGSIZE (over inject_size), -EINVAL.
 */
static inline int kfi_inject(struct kfid_ep *ep, const void *buf, size_t len)
{
	struct kfi_msg1 m;

	return kfi_sendmsg(ep, kfi_msg1(&m, (void *)buf, len, NULL, NULL),
			   KFI_INJECT);
}

static inline int kfi_sendv(struct kfid_ep *ep, const struct kvec *iov,
			    void **desc, u32 count,
			    struct kfi_context *context)
{
	struct kfi_msg msg = kfi_msgv(KFI_IOV_INIT(KFI_IOV_KVEC, kvec, iov,
						   count), desc, context);

	return kfi_sendmsg(ep, &msg, 0);
}

static inline int kfi_sendbv(struct kfid_ep *ep, const struct bio_vec *bv,
			     void **desc, u32 count,
			     struct kfi_context *context)
{
	struct kfi_msg msg = kfi_msgv(KFI_IOV_INIT(KFI_IOV_BVEC, bvec, bv,
						   count), desc, context);

	return kfi_sendmsg(ep, &msg, 0);
}

static inline int kfi_sendsg(struct kfid_ep *ep, struct scatterlist *sgl,
			     void **desc, u32 count,
			     struct kfi_context *context)
{
	struct kfi_msg msg = kfi_msgv(KFI_IOV_INIT(KFI_IOV_SGL, sgl, sgl,
						   count), desc, context);

	return kfi_sendmsg(ep, &msg, 0);
}

/**
 * kfi_recv() - post one receive buffer
 * @ep: enabled endpoint, or a shared receive context
 * @buf: kernel virtual buffer
 * @len: bytes
 * @desc: local descriptor, or NULL
 * @context: per-operation context
 *
 * kfi_recvv(), kfi_recvbv() and kfi_recvsg() are the vector forms.
 *
 * Context: any; never sleeps.
 * Return: 0, -EAGAIN (receive queue full), -EINVAL.
 */
static inline int kfi_recv(struct kfid_ep *ep, void *buf, size_t len,
			   void *desc, struct kfi_context *context)
{
	struct kfi_msg1 m;

	return kfi_recvmsg(ep, kfi_msg1(&m, buf, len, desc, context), 0);
}

static inline int kfi_recvv(struct kfid_ep *ep, const struct kvec *iov,
			    void **desc, u32 count,
			    struct kfi_context *context)
{
	struct kfi_msg msg = kfi_msgv(KFI_IOV_INIT(KFI_IOV_KVEC, kvec, iov,
						   count), desc, context);

	return kfi_recvmsg(ep, &msg, 0);
}

static inline int kfi_recvbv(struct kfid_ep *ep, const struct bio_vec *bv,
			     void **desc, u32 count,
			     struct kfi_context *context)
{
	struct kfi_msg msg = kfi_msgv(KFI_IOV_INIT(KFI_IOV_BVEC, bvec, bv,
						   count), desc, context);

	return kfi_recvmsg(ep, &msg, 0);
}

static inline int kfi_recvsg(struct kfid_ep *ep, struct scatterlist *sgl,
			     void **desc, u32 count,
			     struct kfi_context *context)
{
	struct kfi_msg msg = kfi_msgv(KFI_IOV_INIT(KFI_IOV_SGL, sgl, sgl,
						   count), desc, context);

	return kfi_recvmsg(ep, &msg, 0);
}

/**
 * kfi_read() - RMA read one remote buffer into one local buffer
 * @ep: connected endpoint
 * @buf: local buffer
 * @len: bytes
 * @desc: local descriptor, or NULL
 * @addr: remote address
 * @key: remote key
 * @context: per-operation context
 *
 * kfi_write() is the same in the other direction; kfi_writedata() also
 * carries @data as immediate data, which consumes a receive (and a send
 * credit) at the peer.
 *
 * Context: any; never sleeps.
 * Return: 0, -EAGAIN, -ENOTCONN, -EINVAL.
 */
static inline int kfi_read(struct kfid_ep *ep, void *buf, size_t len,
			   void *desc, u64 addr, u64 key,
			   struct kfi_context *context)
{
	struct kfi_msg1 m;

	return kfi_readmsg(ep, kfi_rma1(&m, buf, len, desc, addr, key,
					context), 0);
}

static inline int kfi_write(struct kfid_ep *ep, void *buf, size_t len,
			    void *desc, u64 addr, u64 key,
			    struct kfi_context *context)
{
	struct kfi_msg1 m;

	return kfi_writemsg(ep, kfi_rma1(&m, buf, len, desc, addr, key,
					 context), 0);
}

static inline int kfi_writedata(struct kfid_ep *ep, void *buf, size_t len,
				void *desc, u64 data, u64 addr, u64 key,
				struct kfi_context *context)
{
	struct kfi_msg1 m;

	kfi_rma1(&m, buf, len, desc, addr, key, context)->data = data;
	return kfi_writemsg(ep, &m.rma_msg, KFI_REMOTE_CQ_DATA);
}

/**
 * kfi_fetch_atomic() - 64-bit fetch-and-add on remote memory
 * @ep: connected endpoint
 * @operand: value to add
 * @result: receives the old value (DMA-able), or NULL
 * @desc: descriptor of @result, or NULL
 * @addr: remote address, 8-byte aligned
 * @key: remote key
 * @context: per-operation context
 *
 * kfi_compare_atomic() stores @swap if the target equals @compare.
 *
 * Context: any; never sleeps.
 * Return: 0, -EAGAIN, -ENOTCONN, -EINVAL (misaligned), -EOPNOTSUPP.
 */
static inline int kfi_fetch_atomic(struct kfid_ep *ep, u64 operand,
				   u64 *result, void *desc, u64 addr, u64 key,
				   struct kfi_context *context)
{
	struct kfi_msg_atomic msg = {
		.op = KFI_SUM,
		.operand = operand,
		.result = result,
		.result_desc = desc,
		.rma_iov = { .addr = addr, .len = sizeof(u64), .key = key },
		.context = context,
	};

	return kfi_atomicmsg(ep, &msg, 0);
}

static inline int kfi_compare_atomic(struct kfid_ep *ep, u64 compare,
				     u64 swap, u64 *result, void *desc,
				     u64 addr, u64 key,
				     struct kfi_context *context)
{
	struct kfi_msg_atomic msg = {
		.op = KFI_CSWAP,
		.operand = swap,
		.compare = compare,
		.result = result,
		.result_desc = desc,
		.rma_iov = { .addr = addr, .len = sizeof(u64), .key = key },
		.context = context,
	};

	return kfi_atomicmsg(ep, &msg, 0);
}

#endif /* _KFABRIC_KFI_H */
