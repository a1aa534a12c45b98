// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric benchmarks: the raw kernel-socket baseline of the tcp suite.
 *
 * The same operations as kfi_tcp gives kfabric, done the plainest way one
 * TCP connection allows, with kfi_tcp's threading (Documentation/kfabric/
 * tcp.rst): a post copies what it needs into a ring preallocated at setup,
 * under a spinlock, and queues the side's work item; the socket's
 * callbacks only queue that work item, on a high-priority workqueue
 * (unbound unless wq_unbound=0, as kfi_tcp's); the work item does all
 * socket I/O with MSG_DONTWAIT and completes operations there.
 *
 * It has kfi_tcp's completion points (a send once in the socket, a write
 * or read on the peer's answer) and its flow control, or a send that
 * completes in the socket would measure nothing but the socket's buffer:
 * a message for a receive takes a credit, one per receive the peer
 * posted, and each header returns the receives taken since the last one
 * (a header-only CREDIT when nothing else is going and half the peer's
 * are due).  What it leaves out is what the ratio measures: memory
 * registration and keys (a write always lands in the peer's receive
 * half, a read always reads its send half), validation beyond what keeps
 * it safe against itself, events, zero-copy sends.  The wire is a 16-byte
 * header and the payload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <kfi_compat.h>

#include "bench_core.h"

#define BS_INLINE	64

static bool bs_wq_unbound = true;
module_param_named(wq_unbound, bs_wq_unbound, bool, 0444);
MODULE_PARM_DESC(wq_unbound, "run the work unbound (default), as kfi_tcp's wq_unbound");

enum bs_op {
	BS_SEND = 1,
	BS_WRITE,
	BS_WRITE_IMM,	/* a write that also completes the peer's receive */
	BS_WRITE_RSP,
	BS_READ,
	BS_READ_RSP,
	BS_INJECT,	/* a send that completes nothing here */
	BS_CREDIT,	/* the header only, for its credits */
};

/* On the wire, before each message's payload. */
struct bs_hdr {
	u8 op;
	u8 reserved[3];
	__le32 len;
	__le32 id;	/* requests and answers: the requester's slot index */
	__le32 credits;	/* receives taken since the last header */
};

/* A message queued for the socket. */
struct bs_tx {
	struct bs_hdr hdr;
	struct bench_slot *slot;	/* a send's, to complete once out */
	bool started;			/* its header has its credits */
	u8 inl[BS_INLINE];		/* an inject's bytes */
};

/**
 * struct bs_side - one end: its socket, its queue and what it receives
 * @bs: the harness's side
 * @sock: the connected socket
 * @work: does all of @sock's I/O
 * @lock: guards the ring, @recvs and @pend against the posters
 * @ring: messages to send
 * @ring_size: entries of @ring, a power of two
 * @head: next to send
 * @tail: next free
 * @sent: bytes of @ring[@head] already in the socket
 * @rsv: entries kept for answers to the peer's requests
 * @recvs: posted receives, oldest first, a ring of @nr_slots
 * @rhead: oldest posted receive
 * @rtail: next free
 * @pend: writes and reads waiting for their answer, by slot index
 * @nr_slots: the harness's receive and transmit slots
 * @rh: the header being received
 * @rgot: bytes of @rh, then of its payload, received
 * @credits: messages for a receive that may be sent now
 * @taken: receives taken since the last header went out
 * @credit_queued: a CREDIT is in the ring
 * @starved: a post was refused for lack of a credit
 * @dead: the connection failed or is being torn down
 * @saved: the socket's callbacks before ours
 */
struct bs_side {
	struct bench_side *bs;
	struct socket *sock;
	struct work_struct work;
	spinlock_t lock;	/* the ring's ends, @recvs, @pend, credits */
	struct bs_tx *ring;
	u32 ring_size;
	u32 head;
	u32 tail;
	u32 sent;
	u32 rsv;
	struct bench_slot **recvs;
	u32 rhead;
	u32 rtail;
	struct bench_slot **pend;
	u32 nr_slots;
	struct bs_hdr rh;
	u32 rgot;
	u32 credits;
	u32 taken;
	bool credit_queued;
	bool starved;
	bool dead;
	struct {
		void (*data_ready)(struct sock *sk);
		void (*write_space)(struct sock *sk);
		void (*state_change)(struct sock *sk);
	} saved;
};

struct bs_conn {
	struct bench_conn c;
	struct bs_side side[BENCH_NR_SIDES];
};

static struct bench_ops bs_ops;
static struct workqueue_struct *bs_wq;

static struct bs_side *bs_side(const struct bench_side *s)
{
	return s->priv;
}

static u32 bs_slot_index(const struct bs_side *ss,
			 const struct bench_slot *slot)
{
	return ((const u8 *)slot - ss->bs->slots) / bs_ops.slot_size;
}

/* ------------------------------------------------------------------ */
/* Posting */

/*
 * Queue a message of @op with @len bytes (@inl: an inject's, copied) for
 * @slot.  @answer: an answer to the peer, which may take the entries kept
 * for it.  Return: 0, -EAGAIN with the ring full, -ENOTCONN.
 */
static bool bs_takes_recv(u8 op)
{
	return op == BS_SEND || op == BS_WRITE_IMM || op == BS_INJECT;
}

static int bs_queue(struct bs_side *ss, u8 op, u32 len, u32 id,
		    struct bench_slot *slot, const void *inl, bool answer)
{
	unsigned long flags;
	struct bs_tx *t;
	int ret = 0;

	spin_lock_irqsave(&ss->lock, flags);
	if (ss->dead) {
		ret = -ENOTCONN;
	} else if (ss->tail - ss->head + (answer ? 0 : ss->rsv) >=
		   ss->ring_size) {
		ret = -EAGAIN;
	} else if (bs_takes_recv(op) && !ss->credits) {
		ss->starved = true;
		ret = -EAGAIN;
	} else {
		if (bs_takes_recv(op))
			ss->credits--;
		t = &ss->ring[ss->tail++ & (ss->ring_size - 1)];
		t->hdr = (struct bs_hdr){ .op = op, .len = cpu_to_le32(len),
					  .id = cpu_to_le32(id) };
		t->slot = op == BS_SEND ? slot : NULL;
		t->started = false;
		if (inl)
			memcpy(t->inl, inl, len);
		if (op == BS_WRITE || op == BS_WRITE_IMM || op == BS_READ)
			ss->pend[id] = slot;
	}
	spin_unlock_irqrestore(&ss->lock, flags);
	if (!ret)
		queue_work(bs_wq, &ss->work);
	return ret;
}

static int bs_send(struct bench_side *s, struct bench_slot *slot, u32 len)
{
	return bs_queue(bs_side(s), BS_SEND, len, 0, slot, NULL, false);
}

static int bs_recv(struct bench_side *s, struct bench_slot *slot)
{
	struct bs_side *ss = bs_side(s);
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&ss->lock, flags);
	if (ss->dead)
		ret = -ENOTCONN;
	else if (ss->rtail - ss->rhead >= ss->nr_slots)
		ret = -EAGAIN;
	else
		ss->recvs[ss->rtail++ % ss->nr_slots] = slot;
	spin_unlock_irqrestore(&ss->lock, flags);
	if (!ret)
		queue_work(bs_wq, &ss->work);
	return ret;
}

static int bs_write(struct bench_side *s, struct bench_slot *slot, u32 len,
		    bool imm)
{
	struct bs_side *ss = bs_side(s);

	return bs_queue(ss, imm ? BS_WRITE_IMM : BS_WRITE, len,
			bs_slot_index(ss, slot), slot, NULL, false);
}

static int bs_read(struct bench_side *s, struct bench_slot *slot, u32 len)
{
	struct bs_side *ss = bs_side(s);

	return bs_queue(ss, BS_READ, len, bs_slot_index(ss, slot), slot, NULL,
			false);
}

static int bs_inject(struct bench_side *s, u32 len)
{
	if (len > BS_INLINE)
		return -EMSGSIZE;
	return bs_queue(bs_side(s), BS_INJECT, len, 0, NULL, bench_tx_buf(s),
			false);
}

/* ------------------------------------------------------------------ */
/* Sending, from the work item */

/* The bytes @t sends after its header: none, its own, or the tx half. */
static void *bs_payload(struct bs_side *ss, struct bs_tx *t)
{
	switch (t->hdr.op) {
	case BS_INJECT:
		return t->inl;
	case BS_READ:
	case BS_WRITE_RSP:
	case BS_CREDIT:
		return NULL;
	default:
		return bench_tx_buf(ss->bs);
	}
}

static u32 bs_tx_len(const struct bs_tx *t)
{
	u8 op = t->hdr.op;

	if (op == BS_READ || op == BS_WRITE_RSP || op == BS_CREDIT)
		return sizeof(t->hdr);
	return sizeof(t->hdr) + le32_to_cpu(t->hdr.len);
}

/*
 * Send from the head of the ring until it is empty or the socket is
 * full.  Return: 1 if any byte went, 0 if none, or a negative errno.
 */
static int bs_tx_some(struct bs_side *ss)
{
	int moved = 0;

	for (;;) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		struct bench_slot *slot;
		struct kvec kv[2];
		struct bs_tx *t;
		u32 total, n = 0, more;
		int ret;

		spin_lock_irq(&ss->lock);
		more = ss->tail - ss->head;
		t = &ss->ring[ss->head & (ss->ring_size - 1)];
		if (more && !t->started) {
			t->started = true;
			t->hdr.credits = cpu_to_le32(ss->taken);
			ss->taken = 0;
			if (t->hdr.op == BS_CREDIT)
				ss->credit_queued = false;
		}
		spin_unlock_irq(&ss->lock);
		if (!more)
			return moved;
		total = bs_tx_len(t);
		if (ss->sent < sizeof(t->hdr))
			kv[n++] = (struct kvec){ (u8 *)&t->hdr + ss->sent,
						 sizeof(t->hdr) - ss->sent };
		if (total > sizeof(t->hdr)) {
			u32 off = max_t(u32, ss->sent, sizeof(t->hdr)) -
				  sizeof(t->hdr);

			kv[n++] = (struct kvec){ (u8 *)bs_payload(ss, t) + off,
						 total - sizeof(t->hdr) - off };
		}
		if (more > 1)
			msg.msg_flags |= MSG_MORE;
		ret = kernel_sendmsg(ss->sock, &msg, kv, n, total - ss->sent);
		if (ret == -EAGAIN)
			return moved;
		if (ret <= 0)
			return ret ?: -ECONNRESET;
		ss->sent += ret;
		moved = 1;
		if (ss->sent < total)
			return moved;
		ss->sent = 0;
		slot = t->slot;
		spin_lock_irq(&ss->lock);
		ss->head++;
		spin_unlock_irq(&ss->lock);
		if (slot)
			bench_complete(slot, 0, total - sizeof(t->hdr), false);
	}
}

/* ------------------------------------------------------------------ */
/* Receiving, from the work item */

/* Receive up to @len bytes into @buf; 0 with the socket empty. */
static int bs_recv_bytes(struct bs_side *ss, void *buf, u32 len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec kv = { buf, len };
	int ret = kernel_recvmsg(ss->sock, &msg, &kv, 1, len, MSG_DONTWAIT);

	if (ret == -EAGAIN)
		return 0;
	return ret ?: -ECONNRESET;
}

/*
 * The oldest posted receive, taken (@take) for a message, whose credit
 * goes back with the next header; NULL with none.  A CREDIT carries them
 * when nothing else is queued and half the peer's are due.
 */
static struct bench_slot *bs_take_recv(struct bs_side *ss, bool take)
{
	struct bench_slot *slot = NULL;
	bool credit = false;

	spin_lock_irq(&ss->lock);
	if (ss->rtail != ss->rhead) {
		slot = ss->recvs[ss->rhead % ss->nr_slots];
		if (take) {
			ss->rhead++;
			ss->taken++;
			credit = !ss->credit_queued && ss->tail == ss->head &&
				 2 * ss->taken >= ss->bs->nr_rx;
			ss->credit_queued |= credit;
		}
	}
	spin_unlock_irq(&ss->lock);
	if (credit)
		bs_queue(ss, BS_CREDIT, 0, 0, NULL, NULL, true);
	return slot;
}

/* Credits came back with a header: a refused post may go now. */
static void bs_got_credits(struct bs_side *ss, u32 n)
{
	bool kick;

	if (!n)
		return;
	spin_lock_irq(&ss->lock);
	ss->credits += n;
	kick = ss->starved;
	ss->starved = false;
	spin_unlock_irq(&ss->lock);
	if (kick)
		bench_kick(ss->bs);
}

/* The write or read waiting in @pend for the answer @id; NULL if none. */
static struct bench_slot *bs_take_pend(struct bs_side *ss, u32 id)
{
	struct bench_slot *slot = NULL;

	spin_lock_irq(&ss->lock);
	if (id < ss->nr_slots) {
		slot = ss->pend[id];
		ss->pend[id] = NULL;
	}
	spin_unlock_irq(&ss->lock);
	return slot;
}

/* A message has all its bytes: act on it. */
static int bs_rx_done(struct bs_side *ss, u8 op, u32 len, u32 id)
{
	struct bench_slot *slot;

	switch (op) {
	case BS_SEND:
	case BS_INJECT:
	case BS_WRITE_IMM:
		bench_complete(bs_take_recv(ss, true), 0, len,
			       op == BS_WRITE_IMM);
		if (op != BS_WRITE_IMM)
			return 0;
		fallthrough;
	case BS_WRITE:
		return bs_queue(ss, BS_WRITE_RSP, 0, id, NULL, NULL, true);
	case BS_READ:
		return bs_queue(ss, BS_READ_RSP, len, id, NULL, NULL, true);
	case BS_WRITE_RSP:
	case BS_READ_RSP:
		slot = bs_take_pend(ss, id);
		if (!slot)
			return -EPROTO;
		bench_complete(slot, 0, op == BS_READ_RSP ? len : slot->len,
			       false);
		return 0;
	case BS_CREDIT:
		return 0;
	}
	return -EPROTO;
}

/* A header is in: is it one we can take, and is there room for it? */
static int bs_rx_check(struct bs_side *ss, u8 op, u32 len)
{
	if (!op || op > BS_CREDIT || len > ss->bs->conn->max_size)
		return -EPROTO;
	/* A message for a receive waits in the socket until one is posted. */
	if (bs_takes_recv(op) && !bs_take_recv(ss, false))
		return 0;
	return 1;
}

/* Bytes of the payload that come into this side's receive half. */
static u32 bs_rx_payload(u8 op, u32 len)
{
	return op == BS_READ || op == BS_WRITE_RSP || op == BS_CREDIT ? 0 : len;
}

/*
 * Receive until the socket is empty, or a message waits for a receive.
 * Return: 1 if any byte came, 0 if none, or a negative errno.
 */
static int bs_rx_some(struct bs_side *ss)
{
	const u32 hl = sizeof(ss->rh);
	int moved = 0, ret;

	for (;;) {
		u32 len = le32_to_cpu(ss->rh.len), want;
		u8 op = ss->rh.op;

		if (ss->rgot < hl) {
			ret = bs_recv_bytes(ss, (u8 *)&ss->rh + ss->rgot,
					    hl - ss->rgot);
			if (ret <= 0)
				return ret ?: moved;
			ss->rgot += ret;
			moved = 1;
			if (ss->rgot < hl)
				return moved;
			bs_got_credits(ss, le32_to_cpu(ss->rh.credits));
			continue;
		}
		want = bs_rx_payload(op, len);
		if (ss->rgot == hl) {
			ret = bs_rx_check(ss, op, len);
			if (ret <= 0)
				return ret ?: moved;
		}
		if (ss->rgot < hl + want) {
			u32 off = ss->rgot - hl;

			ret = bs_recv_bytes(ss, (u8 *)bench_rx_buf(ss->bs) + off,
					    want - off);
			if (ret <= 0)
				return ret ?: moved;
			ss->rgot += ret;
			moved = 1;
			if (ss->rgot < hl + want)
				return moved;
		}
		ss->rgot = 0;
		ret = bs_rx_done(ss, op, len, le32_to_cpu(ss->rh.id));
		if (ret)
			return ret;
	}
}

/* ------------------------------------------------------------------ */
/* The work item and the socket's callbacks */

static void bs_fail(struct bs_side *ss, int err)
{
	spin_lock_irq(&ss->lock);
	ss->dead = true;
	spin_unlock_irq(&ss->lock);
	bench_error(ss->bs, err);
}

static void bs_work(struct work_struct *work)
{
	struct bs_side *ss = container_of(work, struct bs_side, work);
	int round, tx, rx;

	for (round = 0; round < 64; round++) {
		if (READ_ONCE(ss->dead))
			return;
		tx = bs_tx_some(ss);
		rx = tx < 0 ? 0 : bs_rx_some(ss);
		if (tx < 0 || rx < 0) {
			bs_fail(ss, tx < 0 ? tx : rx);
			return;
		}
		if (!tx && !rx)
			return;
	}
	/* Busy: let others have the worker, and come back. */
	queue_work(bs_wq, work);
}

static void bs_sk_event(struct sock *sk)
{
	struct bs_side *ss;

	read_lock_bh(&sk->sk_callback_lock);
	ss = sk->sk_user_data;
	if (ss)
		queue_work(bs_wq, &ss->work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void bs_sk_hook(struct bs_side *ss)
{
	struct sock *sk = ss->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	ss->saved.data_ready = sk->sk_data_ready;
	ss->saved.write_space = sk->sk_write_space;
	ss->saved.state_change = sk->sk_state_change;
	sk->sk_user_data = ss;
	sk->sk_data_ready = bs_sk_event;
	sk->sk_write_space = bs_sk_event;
	sk->sk_state_change = bs_sk_event;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void bs_sk_unhook(struct bs_side *ss)
{
	struct sock *sk = ss->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == ss) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = ss->saved.data_ready;
		sk->sk_write_space = ss->saved.write_space;
		sk->sk_state_change = ss->saved.state_change;
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

/* ------------------------------------------------------------------ */
/* Setup and teardown */

static int bs_init_side(struct bs_side *ss, struct bench_side *bs)
{
	ss->bs = bs;
	bs->priv = ss;
	spin_lock_init(&ss->lock);
	INIT_WORK(&ss->work, bs_work);
	ss->nr_slots = bs->nr_rx + bs->nr_tx;
	ss->credits = bench_peer(bs)->nr_rx;
	/* Own posts up to the transmit slots, and as many answers. */
	ss->rsv = bs->nr_tx + 8;
	ss->ring_size = roundup_pow_of_two(2 * ss->rsv + 8);
	ss->ring = kvcalloc(ss->ring_size, sizeof(*ss->ring), GFP_KERNEL);
	ss->recvs = kcalloc(ss->nr_slots, sizeof(*ss->recvs), GFP_KERNEL);
	ss->pend = kcalloc(ss->nr_slots, sizeof(*ss->pend), GFP_KERNEL);
	return ss->ring && ss->recvs && ss->pend ? 0 : -ENOMEM;
}

static int bs_socket(struct socket **sock)
{
	return sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
				sock);
}

/* Listen on @sin, connect the client to it and accept the server. */
static int bs_connect(struct bs_conn *sc, struct sockaddr_storage *ss)
{
	struct socket *lsock;
	int ret;

	ret = bs_socket(&lsock);
	if (ret)
		return ret;
	sock_set_reuseaddr(lsock->sk);
	ret = kfi_kernel_bind(lsock, ss, sizeof(struct sockaddr_in)) ?:
	      kernel_listen(lsock, 1) ?:
	      bs_socket(&sc->side[BENCH_CLIENT].sock) ?:
	      kfi_kernel_connect(sc->side[BENCH_CLIENT].sock, ss,
				 sizeof(struct sockaddr_in), 0) ?:
	      kernel_accept(lsock, &sc->side[BENCH_SERVER].sock, 0);
	sock_release(lsock);
	return ret;
}

/* Every operation still posted on @ss completes with -ECANCELED. */
static void bs_flush(struct bs_side *ss)
{
	u32 i;

	for (; ss->head != ss->tail; ss->head++) {
		struct bench_slot *slot =
			ss->ring[ss->head & (ss->ring_size - 1)].slot;

		if (slot)
			bench_complete(slot, -ECANCELED, 0, false);
	}
	for (; ss->rhead != ss->rtail; ss->rhead++)
		bench_complete(ss->recvs[ss->rhead % ss->nr_slots], -ECANCELED,
			       0, false);
	for (i = 0; i < ss->nr_slots; i++)
		if (ss->pend[i])
			bench_complete(bs_take_pend(ss, i), -ECANCELED, 0,
				       false);
}

static void bs_close_side(struct bs_side *ss)
{
	if (ss->sock) {
		bs_sk_unhook(ss);
		kernel_sock_shutdown(ss->sock, SHUT_RDWR);
	}
	spin_lock_irq(&ss->lock);
	ss->dead = true;
	spin_unlock_irq(&ss->lock);
	cancel_work_sync(&ss->work);
}

static void bs_free_side(struct bs_side *ss)
{
	if (ss->ring)
		bs_flush(ss);
	if (ss->sock)
		sock_release(ss->sock);
	kvfree(ss->ring);
	kfree(ss->recvs);
	kfree(ss->pend);
}

static void bs_teardown(struct bench_conn *conn)
{
	struct bs_conn *sc = container_of(conn, struct bs_conn, c);

	bs_close_side(&sc->side[BENCH_CLIENT]);
	bs_close_side(&sc->side[BENCH_SERVER]);
	bs_free_side(&sc->side[BENCH_CLIENT]);
	bs_free_side(&sc->side[BENCH_SERVER]);
	bench_conn_free(conn);
	kfree(sc);
}

static int bs_start(struct bs_conn *sc, const char *ip, u16 port)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	int i, ret;

	for (i = 0; i < BENCH_NR_SIDES; i++) {
		ret = bs_init_side(&sc->side[i], &sc->c.side[i]);
		if (ret)
			return ret;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (!in4_pton(ip, -1, (u8 *)&sin->sin_addr, -1, NULL))
		return -EINVAL;
	ret = bs_connect(sc, &ss);
	for (i = 0; !ret && i < BENCH_NR_SIDES; i++) {
		tcp_sock_set_nodelay(sc->side[i].sock->sk);
		bs_sk_hook(&sc->side[i]);
		ret = bench_post_recvs(&sc->c.side[i]);
	}
	return ret;
}

static struct bench_conn *bs_setup(const char *ip, u16 port, u32 max_size,
				   u32 max_depth)
{
	struct bs_conn *sc;
	int ret;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return ERR_PTR(-ENOMEM);
	ret = bench_conn_init(&sc->c, &bs_ops, max_size, max_depth);
	if (ret) {
		kfree(sc);
		return ERR_PTR(ret);
	}
	sc->c.inject_max = BS_INLINE;
	ret = bs_start(sc, ip, port);
	if (ret) {
		bs_teardown(&sc->c);
		return ERR_PTR(ret);
	}
	return &sc->c;
}

static struct bench_ops bs_ops = {
	.name = "sock",
	.owner = THIS_MODULE,
	.slot_size = sizeof(struct bench_slot),
	.setup = bs_setup,
	.teardown = bs_teardown,
	.send = bs_send,
	.recv = bs_recv,
	.write = bs_write,
	.read = bs_read,
	.inject = bs_inject,
};

static int __init bs_init(void)
{
	unsigned int flags = WQ_MEM_RECLAIM | WQ_HIGHPRI;
	int ret;

	flags |= bs_wq_unbound ? WQ_UNBOUND : WQ_PERCPU;
	bs_wq = alloc_workqueue("kfi_bench_sock", flags, 0);
	if (!bs_wq)
		return -ENOMEM;
	ret = bench_register(&bs_ops);
	if (ret)
		destroy_workqueue(bs_wq);
	return ret;
}

static void __exit bs_exit(void)
{
	bench_unregister(&bs_ops);
	destroy_workqueue(bs_wq);
}

module_init(bs_init);
module_exit(bs_exit);

MODULE_DESCRIPTION("kfabric benchmarks: the raw kernel-socket baseline");
MODULE_LICENSE("GPL");
