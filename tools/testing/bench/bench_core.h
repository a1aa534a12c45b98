/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric benchmarks: the harness shared by every implementation.
 *
 * kfi_bench_core.ko owns the test matrix, the timing, the statistics and
 * the result records.  An implementation module (raw verbs, kfabric)
 * registers a struct bench_ops and only moves data: it connects a client
 * and a server side over one device, posts what the harness asks and
 * reports each completion with bench_complete().  Everything the harness
 * does per operation is the same code for every implementation, so the
 * ratio of two records measures the implementations and nothing else.
 */
#ifndef _KFI_BENCH_CORE_H
#define _KFI_BENCH_CORE_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/llist.h>
#include <linux/completion.h>
#include <linux/module.h>
#include <linux/list.h>

enum bench_test {
	BENCH_PINGPONG,		/* round trips at depth 1, one-way latency */
	BENCH_BW,		/* @depth operations kept in flight */
	BENCH_RATE,		/* small messages, @depth in flight */
	BENCH_CONNECT,		/* @iters connections open at once */
	BENCH_NR_TESTS,
};

enum bench_op {
	BENCH_OP_SEND,
	BENCH_OP_WRITE,		/* pingpong: write with immediate data */
	BENCH_OP_READ,
	BENCH_OP_INJECT,	/* no completion; buffer reusable at return */
	BENCH_OP_RECV,		/* internal: what a receive slot posts */
	BENCH_NR_OPS,
};

enum bench_role {
	BENCH_CLIENT,
	BENCH_SERVER,
	BENCH_NR_SIDES,
};

/**
 * struct bench_point - one measurement
 * @test: enum bench_test
 * @op: enum bench_op
 * @size: bytes per operation
 * @depth: operations in flight
 * @iters: operations (pingpong: round trips) that are timed
 *
 * The connect test opens @iters connections of queue depth @depth; its
 * @size is @iters too (the record's size column: endpoints pairs).
 */
struct bench_point {
	enum bench_test test;
	enum bench_op op;
	u32 size;
	u32 depth;
	u32 iters;
};

struct bench_side;

/**
 * struct bench_slot - one posted operation, owned by the harness
 * @side: side it belongs to
 * @stall: entry on @side's stalled list after a post got -EAGAIN
 * @t_post: ktime_get_ns() of the first post attempt
 * @op: what the slot posts (enum bench_op)
 * @len: bytes it posts
 *
 * Implementations embed it as the first member of their own slot (which
 * adds the struct ib_cqe or struct kfi_context), see bench_ops.slot_size.
 */
struct bench_slot {
	struct bench_side *side;
	struct llist_node stall;
	u64 t_post;
	u8 op;
	u32 len;
};

/**
 * struct bench_side - one end of the connection: client or server
 * @conn: connection it belongs to
 * @role: enum bench_role
 * @buf: @conn->max_size bytes to send from, then as many to receive into;
 *	page-aligned, physically contiguous, DMA-able
 * @slots: @nr_rx receive slots, then @nr_tx transmit slots, each
 *	bench_ops.slot_size bytes
 * @nr_rx: receive slots, all posted while connected
 * @nr_tx: transmit slots
 * @tx_next: next transmit slot the server echoes with
 * @stalled: slots waiting for a queue entry or a credit
 * @broken: an operation failed; the connection is rebuilt before reuse
 * @priv: the implementation's side
 */
struct bench_side {
	struct bench_conn *conn;
	enum bench_role role;
	void *buf;
	u8 *slots;
	u32 nr_rx;
	u32 nr_tx;
	atomic_t tx_next;
	struct llist_head stalled;
	bool broken;
	void *priv;
};

/**
 * struct bench_conn - a connected client/server pair on one device
 * @ops: implementation
 * @side: client and server
 * @max_size: largest operation; the size of each half of a side's buffer
 * @max_depth: deepest queue a point may use
 * @inject_max: largest inject the implementation accepts (set by setup)
 * @run: the point being measured; NULL when idle
 */
struct bench_conn {
	const struct bench_ops *ops;
	struct bench_side side[BENCH_NR_SIDES];
	u32 max_size;
	u32 max_depth;
	u32 inject_max;
	struct bench_run *run;
};

static inline void *bench_tx_buf(const struct bench_side *s)
{
	return s->buf;
}

static inline void *bench_rx_buf(const struct bench_side *s)
{
	return (u8 *)s->buf + s->conn->max_size;
}

static inline struct bench_side *bench_peer(const struct bench_side *s)
{
	return &s->conn->side[!s->role];
}

/**
 * struct bench_ops - an implementation under test
 * @name: "verbs", "kfabric": the impl field of the records
 * @owner: THIS_MODULE
 * @slot_size: bytes of the implementation's slot, which starts with a
 *	struct bench_slot
 * @setup: create both sides on the device that reaches @ip:@port, connect
 *	them and register each side's buf for local access and remote read
 *	and write.  Queues: max_depth * 2 sends and receives at least.  Each
 *	side calls bench_post_recvs() before it connects or accepts, so the
 *	peer's first message finds a receive (and, where the transport has
 *	credits, the handshake advertises them).  Process context; returns
 *	the connection or an ERR_PTR()
 * @teardown: disconnect, flush every posted slot (bench_complete() may run
 *	until this returns) and free what @setup made.  Process context
 * @send: send @len bytes from the tx half of the side's buf
 * @recv: post a receive of max_size bytes into the rx half
 * @write: RMA write @len bytes from the tx half into the peer's rx half;
 *	with @imm, as a write with immediate data that completes a receive
 *	at the peer
 * @read: RMA read @len bytes from the peer's tx half into the rx half
 * @inject: send @len bytes that need no completion
 *
 * Data-path ops are called from any context, never sleep, and return 0,
 * -EAGAIN when a queue or credit is exhausted (the harness retries after
 * the next completion or bench_kick()), or another negative errno.
 */
struct bench_ops {
	const char *name;
	struct module *owner;
	size_t slot_size;
	struct bench_conn *(*setup)(const char *ip, u16 port, u32 max_size,
				    u32 max_depth);
	void (*teardown)(struct bench_conn *conn);
	int (*send)(struct bench_side *s, struct bench_slot *slot, u32 len);
	int (*recv)(struct bench_side *s, struct bench_slot *slot);
	int (*write)(struct bench_side *s, struct bench_slot *slot, u32 len,
		     bool imm);
	int (*read)(struct bench_side *s, struct bench_slot *slot, u32 len);
	int (*inject)(struct bench_side *s, u32 len);
	/* private to the harness */
	struct list_head list;
	struct bench_conn *conn;
	u16 port;
};

int bench_register(struct bench_ops *ops);
void bench_unregister(struct bench_ops *ops);
int bench_conn_init(struct bench_conn *conn, const struct bench_ops *ops,
		    u32 max_size, u32 max_depth);
void bench_conn_free(struct bench_conn *conn);
int bench_post_recvs(struct bench_side *s);
void bench_complete(struct bench_slot *slot, int err, u32 len, bool imm);
void bench_kick(struct bench_side *s);
void bench_error(struct bench_side *s, int err);

#endif /* _KFI_BENCH_CORE_H */
