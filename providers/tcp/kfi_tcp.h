/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric TCP provider: private definitions.
 *
 * One domain, "tcp", serves every address of the host.  A message endpoint
 * is one kernel TCP socket carrying the kfi_tcp wire protocol
 * (kfit_proto.h, Documentation/kfabric/tcp.rst).  Remote keys, range
 * checks and the registered pages come from the core's software RMA
 * (<kfabric/kfi_sw.h>), completions from kfi_cq_sw_complete(), credits
 * from the core's credit code.
 *
 * Threading: the socket's sk_data_ready, sk_write_space and
 * sk_state_change callbacks only queue the endpoint's work item (on
 * kfit_wq); that item, one at a time per endpoint, does all the socket
 * I/O without blocking, delivers completions and reports events.  Posting
 * only fills a preallocated slot under the endpoint's lock and queues the
 * work item.
 */
#ifndef _KFI_TCP_H
#define _KFI_TCP_H

#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/workqueue.h>
#include <kfabric/kfi_provider.h>
#include <kfabric/kfi_sw.h>
#include "kfit_proto.h"

#define KFIT_DEFAULT_DEPTH	128	/* queue depth kfi_getinfo() offers */
#define KFIT_MAX_DEPTH		8192
#define KFIT_DEFAULT_IOV	4
#define KFIT_MAX_IOV		16
#define KFIT_INJECT_MAX		256
#define KFIT_MAX_MR_SEGS	1024
#define KFIT_WORK_BUDGET	64	/* rounds of I/O before requeueing */
/*
 * Accepted connections a listener keeps waiting for their CONNREQ; one
 * more drops the one that has waited longest (a peer that connects and
 * says nothing must not pile up sockets).
 */
#define KFIT_MAX_PENDING	64

extern struct workqueue_struct *kfit_wq;
extern struct kfi_provider kfit_prov;
extern atomic_t kfit_live;	/* kfit_debug_live_objects() */

/**
 * struct kfit_sk - what a socket's callbacks find in sk_user_data
 * @work: queued on every callback
 * @data_ready: the socket's own callbacks, put back when unhooked
 * @write_space: likewise
 * @state_change: likewise
 */
struct kfit_sk {
	struct work_struct *work;
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
};

/**
 * struct kfit_domain - the "tcp" domain
 * @base: core part
 * @keys: its remote keys
 * @lock: guards every CQ's @used and @eps
 * @eps: enabled endpoints, prodded when an MR closes
 */
struct kfit_domain {
	struct kfid_domain base;
	struct kfi_sw_keys keys;
	struct mutex lock;		/* see @lock above */
	struct list_head eps;
};

struct kfit_cq {
	struct kfid_cq base;
	u32 used;			/* entries promised to enabled EPs */
};

struct kfit_mr {
	struct kfid_mr base;
	struct kfi_sw_mr sw;
};

/**
 * struct kfit_pep - a listening socket
 * @base: core part
 * @sock: the listening socket, NULL until kfi_listen()
 * @sk: its callbacks
 * @work: accepts connections and reads their requests
 * @lock: guards @creqs, @npending and @closing
 * @creqs: accepted connections whose request is not complete yet, oldest
 *	first
 * @npending: entries of @creqs, at most KFIT_MAX_PENDING
 * @closing: ->pep_close has begun: the works leave everything alone
 */
struct kfit_pep {
	struct kfid_pep base;
	struct socket *sock;
	struct kfit_sk sk;
	struct work_struct work;
	struct mutex lock;		/* see @lock above */
	struct list_head creqs;
	u32 npending;
	bool closing;
};

/**
 * struct kfit_creq - an accepted socket and its connection request
 * @base: core part
 * @pep: where it arrived
 * @sock: the socket; NULL once an endpoint claimed it
 * @sk: its callbacks while the request is read
 * @work: reads the request
 * @node: on pep->creqs until reported or dropped (then empty)
 * @hdr: the request's header as it arrives
 * @got: bytes of @hdr and then @data received
 * @msg: the validated header
 * @data: its private data
 */
struct kfit_creq {
	struct kfi_connreq base;
	struct kfit_pep *pep;
	struct socket *sock;
	struct kfit_sk sk;
	struct work_struct work;
	struct list_head node;
	u8 hdr[KFIT_HDR_LEN];
	u32 got;
	struct kfit_msg msg;
	u8 data[KFIT_CM_DATA_MAX];
};

/**
 * struct kfit_tx - one message on its way out
 * @node: on the endpoint's tx queue
 * @msg: the header's fields; credits are added when it starts
 * @hdr: the wire header, built when it starts
 * @hdr_sent: bytes of @hdr in the socket
 * @it: the payload still to send
 * @started: @hdr is built
 * @by_ref: the payload's pages go to the socket by reference, not copied
 *	(kfit_tx_by_ref())
 * @kind: enum kfit_tx_kind
 */
struct kfit_tx {
	struct list_head node;
	struct kfit_msg msg;
	struct kfit_hdr hdr;
	u32 hdr_sent;
	struct iov_iter it;
	bool started;
	bool by_ref;
	u8 kind;
};

enum kfit_tx_kind {
	KFIT_TX_SLOT,		/* a consumer's operation (struct kfit_slot) */
	KFIT_TX_RSP,		/* our answer to a peer's RMA (kfit_rsp) */
	KFIT_TX_CTRL,		/* CONNREQ, ACCEPT or CREDIT */
};

enum kfit_slot_op {
	KFIT_SLOT_SEND,
	KFIT_SLOT_INJECT,
	KFIT_SLOT_WRITE,
	KFIT_SLOT_READ,
	KFIT_SLOT_ATOMIC,
};

/**
 * struct kfit_slot - a consumer operation in flight
 * @tx: its message
 * @ctx: the consumer's context
 * @op: enum kfit_slot_op
 * @waiting: sent; an RMA waits for its response
 * @signal: posted with KFI_COMPLETION: its success is reported
 * @injected: an RMA write with KFI_INJECT: its bytes are in @inject
 * @flags: completion flags
 * @len: bytes
 * @nbv: entries of @bv in use
 * @bv: the local buffers (tx_attr.iov_limit entries)
 * @result: where an atomic's value before goes, or NULL
 * @ikv: an inject's copy (an atomic's compare value), in @inject
 * @inject: tx_attr.inject_size bytes
 */
struct kfit_slot {
	struct kfit_tx tx;
	struct kfi_context *ctx;
	u8 op;
	bool waiting;
	bool signal;
	bool injected;
	u64 flags;
	u64 len;
	u32 nbv;
	struct bio_vec *bv;
	u64 *result;
	struct kvec ikv;
	u8 *inject;
};

/**
 * struct kfit_rsp - our answer to the peer's RMA request of the same id
 * @tx: the response
 * @mr: the MR a read response sends from, held until sent
 * @busy: queued and not fully sent
 */
struct kfit_rsp {
	struct kfit_tx tx;
	struct kfi_sw_mr *mr;
	bool busy;
};

/* A posted receive. */
struct kfit_recv {
	struct kfi_context *ctx;
	u64 len;
	u32 nbv;
	struct bio_vec *bv;
};

enum kfit_rx_state {
	KFIT_RX_HDR,		/* reading a header */
	KFIT_RX_DISPATCH,	/* header valid, waiting for a receive */
	KFIT_RX_PAYLOAD,	/* reading its payload */
};

/**
 * struct kfit_rx - the message being received (io work only)
 * @state: enum kfit_rx_state
 * @hdr: the header as it arrives
 * @got: bytes of @hdr received
 * @msg: the validated header
 * @it: where the payload goes
 * @drain: payload bytes to throw away after @it
 * @err: the operation's outcome (0 or negative errno)
 * @recv: the receive it completes (SEND, WRITE with immediate data), or NULL
 * @slot: the request it answers (READ_RSP)
 * @mr: the MR it writes (WRITE), held
 * @cm: private data of ACCEPT / REJECT, an ATOMIC's compare value
 * @cm_kv: @it's entry for @cm
 */
struct kfit_rx {
	enum kfit_rx_state state;
	u8 hdr[KFIT_HDR_LEN];
	u32 got;
	struct kfit_msg msg;
	struct iov_iter it;
	u64 drain;
	int err;
	struct kfit_recv *recv;
	struct kfit_slot *slot;
	struct kfi_sw_mr *mr;
	u8 cm[KFIT_CM_DATA_MAX];
	struct kvec cm_kv;
	struct kvec scratch_kv;
};

enum kfit_phase {
	KFIT_IDLE,		/* no socket yet */
	KFIT_CONNECTING,	/* CONNREQ out, waiting for ACCEPT/REJECT */
	KFIT_CONNECTED,
	KFIT_DEAD,		/* failed or shut down: everything flushed */
};

/**
 * struct kfit_ep - a message endpoint
 * @base: core part
 * @sock: the connection, NULL before connect/accept
 * @sk: its callbacks
 * @work: the I/O work item (see the header comment)
 * @lock: guards @phase, the slot free list, @tx_queue, @tx_more,
 *	@deferred, the receive ring, @rsp busy flags, and @ctrl_queued
 * @phase: enum kfit_phase
 * @tx_queue: struct kfit_tx to send, in order
 * @tx_more: the consumer's messages posted with KFI_MORE, held back from
 *	@tx_queue until a post without it or the doorbell
 * @deferred: entries of @tx_more
 * @slots: tx_attr.size slots
 * @free: indexes of free @slots
 * @nfree: entries of @free
 * @rsp: answers to the peer's RMA requests, by id (an RMA request's id
 *	is its slot's index, so the peer's tx_attr.size of them)
 * @nrsp: entries of @rsp: the ids the peer announced
 * @recvs: rx_attr.size receives, a ring
 * @recv_head: index of the oldest posted receive
 * @recv_count: receives posted
 * @recv_taken: the oldest receive matched the message being received: it
 *	is no longer waiting (kfi_cancel() leaves it alone)
 * @ctrl: the endpoint's own message (CONNREQ, ACCEPT, CREDIT)
 * @ctrl_kv: its payload
 * @ctrl_data: private data
 * @ctrl_queued: @ctrl is on @tx_queue
 * @credit_msgs: CREDIT messages sent on their own (only the work counts)
 * @by_ref: payload bytes sent by reference (only the work counts)
 * @rx: the message being received
 * @scratch: a page payloads are drained into
 * @dnode: on the domain's @eps while enabled
 * @revoke_seen: the domain's MR revocations the work has looked at
 * @cq_tx: the CQ the tx size was promised on (for the CQ rule)
 * @cq_rx: likewise for rx
 * @peer_credits: credits the peer's CONNREQ granted (passive side)
 * @peer_rma: RMA ids the peer's CONNREQ announced (passive side)
 * @local_shutdown: kfi_shutdown() was called: the work fails the
 *	connection
 * @rejected: the peer's REJECT was reported (the final event)
 * @srx_node: on the shared receive context's @eps while enabled
 * @srx_waiting: a message waits for a receive of the shared receive
 *	context (guarded by its lock)
 */
struct kfit_ep {
	struct kfid_ep base;
	struct socket *sock;
	struct kfit_sk sk;
	struct work_struct work;
	spinlock_t lock;		/* see @lock above */
	enum kfit_phase phase;
	struct list_head tx_queue;
	struct list_head tx_more;
	u32 deferred;
	struct kfit_slot *slots;
	u32 *free;
	u32 nfree;
	struct kfit_rsp *rsp;
	u32 nrsp;
	struct kfit_recv *recvs;
	u32 recv_head;
	u32 recv_count;
	bool recv_taken;
	struct kfit_tx ctrl;
	struct kvec ctrl_kv;
	u8 ctrl_data[KFIT_CM_DATA_MAX];
	bool ctrl_queued;
	u32 credit_msgs;
	u64 by_ref;
	struct kfit_rx rx;
	void *scratch;
	struct list_head dnode;
	u32 revoke_seen;
	struct kfit_cq *cq_tx;
	struct kfit_cq *cq_rx;
	u32 peer_credits;
	u32 peer_rma;
	bool local_shutdown;
	bool rejected;
	struct list_head srx_node;
	bool srx_waiting;
};

/**
 * struct kfit_srx - a shared receive context
 * @base: core part (fclass KFI_CLASS_SRX_CTX)
 * @lock: guards the ring, @eps and each endpoint's @srx_waiting
 * @recvs: rx_attr.size receives, a ring
 * @head: index of the oldest posted receive
 * @count: receives posted
 * @eps: enabled endpoints bound to it
 */
struct kfit_srx {
	struct kfid_ep base;
	spinlock_t lock;		/* see @lock above */
	struct kfit_recv *recvs;
	u32 head;
	u32 count;
	struct list_head eps;
};

static inline struct kfit_srx *to_kfit_srx(struct kfid_ep *srx)
{
	return container_of(srx, struct kfit_srx, base);
}

static inline struct kfit_ep *to_kfit_ep(struct kfid_ep *ep)
{
	return container_of(ep, struct kfit_ep, base);
}

static inline struct kfit_domain *to_kfit_domain(struct kfid_domain *d)
{
	return container_of(d, struct kfit_domain, base);
}

/* cm.c */
void kfit_log_drop(struct socket *sock, const char *why);
void kfit_sk_hook(struct socket *sock, struct kfit_sk *s,
		  struct work_struct *work);
void kfit_sk_unhook(struct socket *sock, struct kfit_sk *s);
int kfit_pep_open(struct kfid_pep *pep);
int kfit_pep_listen(struct kfid_pep *pep);
void kfit_pep_close(struct kfid_pep *pep);
void kfit_connreq_free(struct kfi_connreq *creq);
int kfit_reject(struct kfid_pep *pep, struct kfi_connreq *creq,
		const void *param, u32 paramlen);
int kfit_connect(struct kfid_ep *ep, const void *param, u32 paramlen);
int kfit_accept(struct kfid_ep *ep, const void *param, u32 paramlen);
int kfit_shutdown(struct kfid_ep *ep);
int kfit_getname(struct kfid *fid, void *addr, size_t *addrlen);
int kfit_getpeer(struct kfid_ep *ep, void *addr, size_t *addrlen);

/* io.c */
int kfit_ep_open(struct kfid_ep *ep);
int kfit_ep_enable(struct kfid_ep *ep);
void kfit_ep_close(struct kfid_ep *ep);
void kfit_io_work(struct work_struct *work);
void kfit_ctrl_queue(struct kfit_ep *e, u8 op, const void *data, u32 len,
		     u32 credits);
int kfit_rsp_alloc(struct kfit_ep *e, u32 n);
void kfit_kick(struct kfit_ep *e);
int kfit_recv_fill(struct kfit_recv *r, const struct kfi_msg *msg,
		   u32 iov_limit);
int kfit_send(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
int kfit_recv(struct kfid_ep *ep, const struct kfi_msg *msg, u64 flags);
int kfit_mr_unmap(struct kfid_ep *ep, struct kfid_mr *mr,
		  struct kfi_context *context);
int kfit_read(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags);
int kfit_write(struct kfid_ep *ep, const struct kfi_msg_rma *msg, u64 flags);
int kfit_atomic(struct kfid_ep *ep, const struct kfi_msg_atomic *msg,
		u64 flags);
int kfit_size_left(struct kfid_ep *ep, bool tx);
int kfit_cancel(struct kfid_ep *ep, struct kfi_context *ctx);
void kfit_doorbell(struct kfid_ep *ep);

/* srx.c */
int kfit_srx_open(struct kfid_ep *srx);
void kfit_srx_close(struct kfid_ep *srx);
int kfit_srx_recv(struct kfid_ep *srx, const struct kfi_msg *msg, u64 flags);
void kfit_srx_pull(struct kfit_ep *e);
void kfit_srx_attach(struct kfit_ep *e);
void kfit_srx_detach(struct kfit_ep *e);

#endif /* _KFI_TCP_H */
