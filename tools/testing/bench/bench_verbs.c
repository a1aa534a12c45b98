// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric benchmarks: the raw verbs baseline.
 *
 * The same tests as kfi_bench.ko, written straight on ib_core and rdma_cm
 * the way a storage ULP is (nvme-rdma, iSER): RC queue pairs, one CQ per
 * queue pair polled in softirq, struct ib_cqe callbacks, the buffers
 * DMA-mapped once and reached through the PD's local DMA key, one fast
 * registration of each buffer at connect for the peer's RMA.  It is the
 * limit kfabric is measured against, so it does nothing a careful verbs
 * programmer would not do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/inet.h>
#include <linux/slab.h>
#include <linux/scatterlist.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "bench_core.h"

#define BV_CM_TIMEOUT_MS	5000
/*
 * Inject: request a completion every few sends to reclaim the send queue,
 * at most every BV_INJ_SIGNAL and at least 8 times per window, so that the
 * window never waits on a completion that was not requested yet.
 */
#define BV_INJ_SIGNAL		16
#define BV_INJ_RING		512	/* signaled injects tracked at once */
#define BV_INLINE		64

/*
 * Two baselines.  "verbs" is written as a tuned ULP would be: QPs with
 * 64 bytes of inline data and injects signaled only every few posts.
 * "verbs_matched" takes kfabric's verbs provider's policy: QPs with the
 * inline size the provider asks for (matched_inline, which the runner
 * reads from kfi_verbs) and every send signaled.  kfabric against the
 * second is the cost of the library; the second against the first is what
 * the provider's policy costs (or saves) on this device.
 */
static unsigned int matched_inline = BV_INLINE;
module_param(matched_inline, uint, 0444);
MODULE_PARM_DESC(matched_inline,
		 "QP inline bytes of verbs_matched: kfi_verbs' (default 64)");

struct bv_slot {
	struct bench_slot s;	/* first: the harness allocates slot_size */
	struct ib_cqe cqe;
};

/* A signaled inject, and the sequence number it reclaims up to. */
struct bv_inj {
	struct ib_cqe cqe;
	u32 seq;
};

/**
 * struct bv_side - one end of the pair
 * @bs: the harness's side
 * @id: its rdma_cm id (server: the one of the accepted request)
 * @pd: protection domain
 * @cq: completions of both queues, polled in softirq
 * @mr: fast-registered over @bs->buf for the peer's RMA
 * @sg: @bs->buf, DMA-mapped
 * @sq_size: send queue depth
 * @inj_signal: injects per signaled one
 * @mapped: @sg is mapped
 * @cm_done: a connection step finished, with @cm_err
 * @cm_err: 0 or why the step failed
 * @reg_cqe: completion of the registration
 * @reg_done: the registration completed, with @reg_err
 * @reg_err: 0 or -EIO
 * @inj_seq: injects posted (only the run's thread posts them)
 * @inj_reaped: injects known to have left the send queue
 * @inj_err_cqe: completion of an unsignaled inject that failed
 * @inj: signaled injects in flight
 */
struct bv_side {
	struct bench_side *bs;
	struct rdma_cm_id *id;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_mr *mr;
	struct scatterlist sg;
	u32 sq_size;
	u32 inj_signal;
	bool mapped;
	struct completion cm_done;
	int cm_err;
	struct ib_cqe reg_cqe;
	struct completion reg_done;
	int reg_err;
	u32 inj_seq;
	u32 inj_reaped;
	struct ib_cqe inj_err_cqe;
	struct bv_inj inj[BV_INJ_RING];
};

/**
 * struct bv_conn - a client/server pair
 * @c: the harness's connection
 * @listen: the server's listening id
 * @side: client and server
 * @qp_inline: inline bytes each QP asks for
 * @signal_all: every send signaled (IB_SIGNAL_ALL_WR), as kfi_verbs does
 */
struct bv_conn {
	struct bench_conn c;
	struct rdma_cm_id *listen;
	struct bv_side side[BENCH_NR_SIDES];
	u32 qp_inline;
	bool signal_all;
};

static struct bench_ops bv_ops, bv_matched_ops;

static struct bv_conn *bv_conn(const struct bench_side *s)
{
	return container_of(s->conn, struct bv_conn, c);
}

static struct bv_side *bv_side(const struct bench_side *s)
{
	return s->priv;
}

static struct bv_side *bv_peer(const struct bench_side *s)
{
	return bench_peer(s)->priv;
}

/* ------------------------------------------------------------------ */
/* Data path */

static void bv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct bv_slot *slot = container_of(wc->wr_cqe, struct bv_slot, cqe);
	int err = 0;

	if (unlikely(wc->status != IB_WC_SUCCESS))
		err = wc->status == IB_WC_WR_FLUSH_ERR ? -ECANCELED : -EIO;
	bench_complete(&slot->s, err, wc->byte_len,
		       wc->wc_flags & IB_WC_WITH_IMM);
}

static int bv_post_send(struct bv_side *vs, const struct ib_send_wr *wr)
{
	int ret = ib_post_send(vs->id->qp, wr, NULL);

	/* A full send queue; the harness retries after a completion. */
	return ret == -ENOMEM ? -EAGAIN : ret;
}

/* Local address of the send (@rx false) or receive half of our buffer. */
static u64 bv_local(const struct bv_side *vs, bool rx)
{
	return sg_dma_address(&vs->sg) + (rx ? vs->bs->conn->max_size : 0);
}

/* The same half of @peer's buffer, as our RMA reaches it. */
static u64 bv_remote(const struct bv_side *peer, bool rx)
{
	return peer->mr->iova + (rx ? peer->bs->conn->max_size : 0);
}

static int bv_send(struct bench_side *s, struct bench_slot *slot, u32 len)
{
	struct bv_side *vs = bv_side(s);
	struct ib_sge sge = {
		.addr = bv_local(vs, false),
		.length = len,
		.lkey = vs->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = &container_of(slot, struct bv_slot, s)->cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};

	return bv_post_send(vs, &wr);
}

static int bv_recv(struct bench_side *s, struct bench_slot *slot)
{
	struct bv_side *vs = bv_side(s);
	struct ib_sge sge = {
		.addr = bv_local(vs, true),
		.length = s->conn->max_size,
		.lkey = vs->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &container_of(slot, struct bv_slot, s)->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};
	int ret = ib_post_recv(vs->id->qp, &wr, NULL);

	return ret == -ENOMEM ? -EAGAIN : ret;
}

static int bv_rdma(struct bench_side *s, struct bench_slot *slot, u32 len,
		   enum ib_wr_opcode opcode)
{
	struct bv_side *vs = bv_side(s), *peer = bv_peer(s);
	bool read = opcode == IB_WR_RDMA_READ;
	struct ib_sge sge = {
		/* A read lands in our receive half, a write leaves the send half. */
		.addr = bv_local(vs, read),
		.length = len,
		.lkey = vs->pd->local_dma_lkey,
	};
	struct ib_rdma_wr wr = {
		.wr = {
			.wr_cqe = &container_of(slot, struct bv_slot, s)->cqe,
			.sg_list = &sge,
			.num_sge = 1,
			.opcode = opcode,
			.send_flags = IB_SEND_SIGNALED,
		},
		.remote_addr = bv_remote(peer, !read),
		.rkey = peer->mr->rkey,
	};

	return bv_post_send(vs, &wr.wr);
}

static int bv_write(struct bench_side *s, struct bench_slot *slot, u32 len,
		    bool imm)
{
	return bv_rdma(s, slot, len,
		       imm ? IB_WR_RDMA_WRITE_WITH_IMM : IB_WR_RDMA_WRITE);
}

static int bv_read(struct bench_side *s, struct bench_slot *slot, u32 len)
{
	return bv_rdma(s, slot, len, IB_WR_RDMA_READ);
}

static void bv_inj_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct bv_inj *inj = container_of(wc->wr_cqe, struct bv_inj, cqe);
	struct bv_side *vs = cq->cq_context;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		bench_error(vs->bs, -EIO);
		return;
	}
	/* Completions of one send queue arrive in order. */
	WRITE_ONCE(vs->inj_reaped, inj->seq);
}

/* Unsignaled sends only complete when they fail (flush included). */
static void bv_inj_err(struct ib_cq *cq, struct ib_wc *wc)
{
	struct bv_side *vs = cq->cq_context;

	bench_error(vs->bs, -EIO);
}

/*
 * Inline sends, signaled one in BV_INJ_SIGNAL: the signaled completion
 * frees the send queue entries of the unsignaled ones before it.
 */
static int bv_inject(struct bench_side *s, u32 len)
{
	struct bv_side *vs = bv_side(s);
	u32 seq = vs->inj_seq;
	bool signal = seq % vs->inj_signal == vs->inj_signal - 1;
	struct bv_inj *inj = &vs->inj[(seq / vs->inj_signal) % BV_INJ_RING];
	struct ib_sge sge = {
		/* Inline data is copied from a kernel virtual address. */
		.addr = (uintptr_t)bench_tx_buf(s),
		.length = len,
	};
	struct ib_send_wr wr = {
		.wr_cqe = signal ? &inj->cqe : &vs->inj_err_cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_INLINE | (signal ? IB_SEND_SIGNALED : 0),
	};
	int ret;

	if (len > s->conn->inject_max)
		return -EMSGSIZE;
	/*
	 * Keep half of the send queue for signaled ops and slack, and no
	 * more signaled injects in flight than the ring tracks.
	 */
	if (seq - READ_ONCE(vs->inj_reaped) >=
	    min(vs->sq_size / 2, BV_INJ_RING * vs->inj_signal))
		return -EAGAIN;
	inj->seq = seq + 1;
	ret = bv_post_send(vs, &wr);
	if (!ret)
		vs->inj_seq = seq + 1;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Setup */

static void bv_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct bv_side *vs = cq->cq_context;

	vs->reg_err = wc->status == IB_WC_SUCCESS ? 0 : -EIO;
	complete(&vs->reg_done);
}

static void bv_init_side(struct bv_conn *vc, int i)
{
	struct bv_side *vs = &vc->side[i];
	struct bench_side *bs = &vc->c.side[i];
	u32 n;

	vs->bs = bs;
	bs->priv = vs;
	init_completion(&vs->cm_done);
	init_completion(&vs->reg_done);
	vs->reg_cqe.done = bv_reg_done;
	vs->inj_err_cqe.done = bv_inj_err;
	for (n = 0; n < BV_INJ_RING; n++)
		vs->inj[n].cqe.done = bv_inj_done;
	for (n = 0; n < bs->nr_rx + bs->nr_tx; n++) {
		struct bv_slot *slot = (struct bv_slot *)(bs->slots +
							   n * bv_ops.slot_size);

		slot->cqe.done = bv_done;
	}
}

static u32 bv_buf_len(const struct bv_side *vs)
{
	return PAGE_ALIGN(2 * vs->bs->conn->max_size);
}

static int bv_create_mr(struct bv_side *vs, struct ib_device *dev)
{
	u32 len = bv_buf_len(vs);

	if (len / PAGE_SIZE > dev->attrs.max_fast_reg_page_list_len)
		return -E2BIG;
	vs->mr = ib_alloc_mr(vs->pd, IB_MR_TYPE_MEM_REG, len / PAGE_SIZE);
	if (IS_ERR(vs->mr)) {
		int ret = PTR_ERR(vs->mr);

		vs->mr = NULL;
		return ret;
	}
	sg_init_one(&vs->sg, vs->bs->buf, len);
	if (!ib_dma_map_sg(dev, &vs->sg, 1, DMA_BIDIRECTIONAL))
		return -ENOMEM;
	vs->mapped = true;
	return 0;
}

/* PD, CQ, QP and MR on @id's device, as both sides need them. */
static int bv_create(struct bv_side *vs, struct rdma_cm_id *id)
{
	struct ib_device *dev = id->device;
	struct bench_side *bs = vs->bs;
	struct bv_conn *vc = bv_conn(bs);
	struct ib_qp_init_attr attr = {
		.qp_type = IB_QPT_RC,
		.sq_sig_type = vc->signal_all ? IB_SIGNAL_ALL_WR :
						IB_SIGNAL_REQ_WR,
		.cap = {
			/* Room for a full window and the registration. */
			.max_send_wr = 2 * bs->conn->max_depth + 8,
			.max_recv_wr = bs->nr_rx + 8,
			.max_send_sge = 1,
			.max_recv_sge = 1,
			.max_inline_data = vc->qp_inline,
		},
	};
	int ret;

	vs->id = id;
	vs->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(vs->pd)) {
		ret = PTR_ERR(vs->pd);
		vs->pd = NULL;
		return ret;
	}
	vs->cq = ib_alloc_cq(dev, vs, attr.cap.max_send_wr +
			     attr.cap.max_recv_wr, 0, IB_POLL_SOFTIRQ);
	if (IS_ERR(vs->cq)) {
		ret = PTR_ERR(vs->cq);
		vs->cq = NULL;
		return ret;
	}
	attr.send_cq = vs->cq;
	attr.recv_cq = vs->cq;
	ret = rdma_create_qp(id, vs->pd, &attr);
	if (ret)
		return ret;
	vs->sq_size = attr.cap.max_send_wr;
	vs->inj_signal = vc->signal_all ? 1 :
			 clamp_t(u32, vs->sq_size / 16, 1, BV_INJ_SIGNAL);
	bs->conn->inject_max = min_t(u32, attr.cap.max_inline_data, BV_INLINE);
	return bv_create_mr(vs, dev);
}

/* Undo bv_create(); @vs->id itself stays. */
static void bv_destroy_res(struct bv_side *vs)
{
	struct rdma_cm_id *id = vs->id;

	if (id && id->qp) {
		/* Flushes every posted slot through bench_complete(). */
		ib_drain_qp(id->qp);
		rdma_destroy_qp(id);
	}
	if (vs->mr)
		ib_dereg_mr(vs->mr);
	if (vs->mapped)
		ib_dma_unmap_sg(id->device, &vs->sg, 1, DMA_BIDIRECTIONAL);
	if (vs->cq)
		ib_free_cq(vs->cq);
	if (vs->pd)
		ib_dealloc_pd(vs->pd);
	vs->mr = NULL;
	vs->mapped = false;
	vs->cq = NULL;
	vs->pd = NULL;
}

static void bv_destroy(struct bv_side *vs)
{
	bv_destroy_res(vs);
	if (vs->id)
		rdma_destroy_id(vs->id);
	vs->id = NULL;
}

static void bv_conn_param(struct rdma_conn_param *p,
			  const struct ib_device *dev)
{
	memset(p, 0, sizeof(*p));
	p->responder_resources = min_t(u32, dev->attrs.max_qp_rd_atom, 255);
	p->initiator_depth = min_t(u32, dev->attrs.max_qp_init_rd_atom, 255);
	p->retry_count = 7;
	p->rnr_retry_count = 7;
}

static void bv_cm_step(struct bv_side *vs, int err)
{
	vs->cm_err = err;
	complete(&vs->cm_done);
}

static int bv_connect_request(struct bv_side *vs, struct rdma_cm_id *id)
{
	struct rdma_conn_param param;
	int ret;

	if (vs->id)
		return -EBUSY;	/* one connection per pair */
	id->context = vs;
	ret = bv_create(vs, id) ?: bench_post_recvs(vs->bs);
	if (!ret) {
		bv_conn_param(&param, id->device);
		ret = rdma_accept(id, &param);
	}
	if (ret) {
		/* rdma_cm destroys @id itself when we return non-zero. */
		bv_destroy_res(vs);
		vs->id = NULL;
		bv_cm_step(vs, ret);
	}
	return ret;
}

static int bv_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct bv_side *vs = id->context;
	int ret;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		ret = rdma_resolve_route(id, BV_CM_TIMEOUT_MS);
		if (ret)
			bv_cm_step(vs, ret);
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
	case RDMA_CM_EVENT_ESTABLISHED:
		bv_cm_step(vs, 0);
		break;
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		/* A non-zero return makes rdma_cm destroy the new id. */
		return bv_connect_request(vs, id);
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
		bv_cm_step(vs, -ECONNREFUSED);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		if (vs->bs)
			WRITE_ONCE(vs->bs->broken, true);
		break;
	default:
		break;
	}
	return 0;
}

static int bv_wait_cm(struct bv_side *vs)
{
	if (!wait_for_completion_timeout(&vs->cm_done,
					 msecs_to_jiffies(BV_CM_TIMEOUT_MS)))
		return -ETIMEDOUT;
	reinit_completion(&vs->cm_done);
	return vs->cm_err;
}

static int bv_listen(struct bv_conn *vc, struct sockaddr_in *sin)
{
	int ret;

	vc->listen = rdma_create_id(&init_net, bv_cm_handler,
				    &vc->side[BENCH_SERVER], RDMA_PS_TCP,
				    IB_QPT_RC);
	if (IS_ERR(vc->listen)) {
		ret = PTR_ERR(vc->listen);
		vc->listen = NULL;
		return ret;
	}
	ret = rdma_bind_addr(vc->listen, (struct sockaddr *)sin);
	return ret ?: rdma_listen(vc->listen, 1);
}

static int bv_connect(struct bv_conn *vc, struct sockaddr_in *sin)
{
	struct bv_side *c = &vc->side[BENCH_CLIENT];
	struct rdma_conn_param param;
	struct rdma_cm_id *id;
	int ret;

	id = rdma_create_id(&init_net, bv_cm_handler, c, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	c->id = id;
	ret = rdma_resolve_addr(id, NULL, (struct sockaddr *)sin,
				BV_CM_TIMEOUT_MS) ?: bv_wait_cm(c);
	if (ret)
		return ret;
	ret = bv_create(c, id) ?: bench_post_recvs(c->bs);
	if (ret)
		return ret;
	bv_conn_param(&param, id->device);
	ret = rdma_connect(id, &param);
	return ret ?: bv_wait_cm(c) ?: bv_wait_cm(&vc->side[BENCH_SERVER]);
}

/* One fast registration of the whole buffer, kept for the connection. */
static int bv_reg_mr(struct bv_side *vs)
{
	struct ib_reg_wr wr = {
		.wr = {
			.opcode = IB_WR_REG_MR,
			.wr_cqe = &vs->reg_cqe,
			.send_flags = IB_SEND_SIGNALED,
		},
		.mr = vs->mr,
		.access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ |
			  IB_ACCESS_REMOTE_WRITE,
	};
	int ret;

	ib_update_fast_reg_key(vs->mr, ib_inc_rkey(vs->mr->rkey));
	wr.key = vs->mr->rkey;
	ret = ib_map_mr_sg(vs->mr, &vs->sg, 1, NULL, PAGE_SIZE);
	if (ret != 1)
		return ret < 0 ? ret : -EINVAL;
	ret = ib_post_send(vs->id->qp, &wr.wr, NULL);
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&vs->reg_done,
					 msecs_to_jiffies(BV_CM_TIMEOUT_MS)))
		return -ETIMEDOUT;
	return vs->reg_err;
}

static void bv_teardown(struct bench_conn *conn)
{
	struct bv_conn *vc = container_of(conn, struct bv_conn, c);

	/* No new connection requests while the pair goes away. */
	if (vc->listen)
		rdma_destroy_id(vc->listen);
	if (vc->side[BENCH_CLIENT].id)
		rdma_disconnect(vc->side[BENCH_CLIENT].id);
	bv_destroy(&vc->side[BENCH_CLIENT]);
	bv_destroy(&vc->side[BENCH_SERVER]);
	bench_conn_free(conn);
	kfree(vc);
}

static struct bench_conn *bv_setup_ops(struct bench_ops *ops,
				       const char *ip, u16 port, u32 max_size,
				       u32 max_depth)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};
	struct bv_conn *vc;
	int ret;

	if (!in4_pton(ip, -1, (u8 *)&sin.sin_addr.s_addr, -1, NULL))
		return ERR_PTR(-EINVAL);
	vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	if (!vc)
		return ERR_PTR(-ENOMEM);
	ret = bench_conn_init(&vc->c, ops, max_size, max_depth);
	if (ret) {
		kfree(vc);
		return ERR_PTR(ret);
	}
	vc->signal_all = ops == &bv_matched_ops;
	vc->qp_inline = vc->signal_all ? matched_inline : BV_INLINE;
	bv_init_side(vc, BENCH_CLIENT);
	bv_init_side(vc, BENCH_SERVER);
	ret = bv_listen(vc, &sin) ?: bv_connect(vc, &sin) ?:
	      bv_reg_mr(&vc->side[BENCH_CLIENT]) ?:
	      bv_reg_mr(&vc->side[BENCH_SERVER]);
	if (ret) {
		bv_teardown(&vc->c);
		return ERR_PTR(ret);
	}
	return &vc->c;
}

static struct bench_conn *bv_setup(const char *ip, u16 port, u32 max_size,
				   u32 max_depth)
{
	return bv_setup_ops(&bv_ops, ip, port, max_size, max_depth);
}

static struct bench_conn *bv_matched_setup(const char *ip, u16 port,
					   u32 max_size, u32 max_depth)
{
	return bv_setup_ops(&bv_matched_ops, ip, port, max_size, max_depth);
}

static struct bench_ops bv_ops = {
	.name = "verbs",
	.owner = THIS_MODULE,
	.slot_size = sizeof(struct bv_slot),
	.setup = bv_setup,
	.teardown = bv_teardown,
	.send = bv_send,
	.recv = bv_recv,
	.write = bv_write,
	.read = bv_read,
	.inject = bv_inject,
};

static struct bench_ops bv_matched_ops = {
	.name = "verbs_matched",
	.owner = THIS_MODULE,
	.slot_size = sizeof(struct bv_slot),
	.setup = bv_matched_setup,
	.teardown = bv_teardown,
	.send = bv_send,
	.recv = bv_recv,
	.write = bv_write,
	.read = bv_read,
	.inject = bv_inject,
};

static int __init bv_init(void)
{
	int ret;

	BUILD_BUG_ON(offsetof(struct bv_slot, s) != 0);
	ret = bench_register(&bv_ops);
	if (ret)
		return ret;
	ret = bench_register(&bv_matched_ops);
	if (ret)
		bench_unregister(&bv_ops);
	return ret;
}

static void __exit bv_exit(void)
{
	bench_unregister(&bv_matched_ops);
	bench_unregister(&bv_ops);
}

module_init(bv_init);
module_exit(bv_exit);

MODULE_DESCRIPTION("kfabric benchmarks: raw ib_core verbs baseline");
MODULE_LICENSE("GPL");
