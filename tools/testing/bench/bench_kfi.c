// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric benchmarks: the tests over the kfi API.
 *
 * The mirror of bench_verbs.c through kfabric only (with prov=tcp, of
 * bench_sock.c over kfi_tcp): kfi_getinfo() for the device, a passive
 * endpoint and kfi_accept() for the server, kfi_connect() for the client,
 * one CQ per endpoint polled in softirq with a done callback per
 * operation, a long-lived local registration of each buffer whose
 * descriptor every post passes, and one remote registration mapped at
 * connect for the peer's RMA.  Queue sizes, inline size and poll context
 * are the baseline's, so the ratio of the two measures the library.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kfabric/kfi.h>

#include "bench_core.h"

#define BK_CM_TIMEOUT_MS	5000
#define BK_INLINE		64

static char *bk_prov = "verbs";
module_param_named(prov, bk_prov, charp, 0444);
MODULE_PARM_DESC(prov, "provider to run over: verbs (the fabric suite) or tcp");

struct bk_slot {
	struct bench_slot s;	/* first: the harness allocates slot_size */
	struct kfi_context ctx;
};

/**
 * struct bk_side - one end of the pair
 * @bs: the harness's side
 * @domain: the device
 * @cq: completions of both directions
 * @eq: connection events of @ep
 * @ep: the endpoint
 * @lmr: @bs->buf registered for local access: its descriptor goes with
 *	every post
 * @rmr: @bs->buf mapped for the peer's RMA once connected
 */
struct bk_side {
	struct bench_side *bs;
	struct kfid_domain *domain;
	struct kfid_cq *cq;
	struct kfid_eq *eq;
	struct kfid_ep *ep;
	struct kfid_mr *lmr;
	struct kfid_mr *rmr;
};

struct bk_conn {
	struct bench_conn c;
	struct kfid_fabric *fabric;
	struct kfid_eq *peq;
	struct kfid_pep *pep;
	struct bk_side side[BENCH_NR_SIDES];
};

static struct bench_ops bk_ops;

static struct bk_side *bk_side(const struct bench_side *s)
{
	return s->priv;
}

static struct kfi_context *bk_ctx(struct bench_slot *slot)
{
	return &container_of(slot, struct bk_slot, s)->ctx;
}

/* ------------------------------------------------------------------ */
/* Data path */

static void bk_done(struct kfid_cq *cq, const struct kfi_cq_entry *entry)
{
	struct bk_slot *slot = container_of(entry->op_context, struct bk_slot,
					    ctx);

	bench_complete(&slot->s, entry->err, entry->len,
		       entry->flags & KFI_REMOTE_CQ_DATA);
}

static void bk_credit_ready(struct kfid_ep *ep)
{
	struct bk_side *ks = ep->fid.context;

	bench_kick(ks->bs);
}

static int bk_send(struct bench_side *s, struct bench_slot *slot, u32 len)
{
	struct bk_side *ks = bk_side(s);

	return kfi_send(ks->ep, bench_tx_buf(s), len, ks->lmr->desc,
			bk_ctx(slot));
}

static int bk_recv(struct bench_side *s, struct bench_slot *slot)
{
	struct bk_side *ks = bk_side(s);

	return kfi_recv(ks->ep, bench_rx_buf(s), s->conn->max_size,
			ks->lmr->desc, bk_ctx(slot));
}

static int bk_write(struct bench_side *s, struct bench_slot *slot, u32 len,
		    bool imm)
{
	struct bk_side *ks = bk_side(s);
	struct kfid_mr *peer = bk_side(bench_peer(s))->rmr;
	u64 addr = peer->iova + s->conn->max_size;

	if (imm)
		return kfi_writedata(ks->ep, bench_tx_buf(s), len,
				     ks->lmr->desc, 0, addr, peer->key,
				     bk_ctx(slot));
	return kfi_write(ks->ep, bench_tx_buf(s), len, ks->lmr->desc, addr,
			 peer->key, bk_ctx(slot));
}

static int bk_read(struct bench_side *s, struct bench_slot *slot, u32 len)
{
	struct bk_side *ks = bk_side(s);
	struct kfid_mr *peer = bk_side(bench_peer(s))->rmr;

	return kfi_read(ks->ep, bench_rx_buf(s), len, ks->lmr->desc,
			peer->iova, peer->key, bk_ctx(slot));
}

static int bk_inject(struct bench_side *s, u32 len)
{
	return kfi_inject(bk_side(s)->ep, bench_tx_buf(s), len);
}

/* ------------------------------------------------------------------ */
/* Setup */

static void bk_init_side(struct bk_conn *kc, int i)
{
	struct bench_side *bs = &kc->c.side[i];
	struct bk_side *ks = &kc->side[i];
	u32 n;

	ks->bs = bs;
	bs->priv = ks;
	for (n = 0; n < bs->nr_rx + bs->nr_tx; n++) {
		struct bk_slot *slot = (struct bk_slot *)(bs->slots +
							   n * bk_ops.slot_size);

		slot->ctx.done = bk_done;
	}
}

/* The same queue sizes as the verbs baseline asks for its QP. */
static struct kfi_info *bk_hints(const struct bench_conn *conn)
{
	struct kfi_info *hints = kfi_allocinfo();

	if (!hints)
		return NULL;
	hints->caps = KFI_MSG | KFI_RMA;
	hints->ep_attr.type = KFI_EP_MSG;
	hints->tx_attr.size = 2 * conn->max_depth + 8;
	hints->tx_attr.iov_limit = 1;
	hints->tx_attr.rma_iov_limit = 1;
	hints->tx_attr.inject_size = BK_INLINE;
	hints->rx_attr.size = conn->side[BENCH_CLIENT].nr_rx + 8;
	hints->rx_attr.iov_limit = 1;
	strscpy(hints->fabric_attr.prov_name, bk_prov,
		sizeof(hints->fabric_attr.prov_name));
	return hints;
}

static int bk_open_cq_eq(struct bk_side *ks, struct kfid_fabric *fabric,
			 const struct kfi_info *info)
{
	struct kfi_cq_attr cq_attr = {
		.size = info->tx_attr.size + info->rx_attr.size,
		.poll_ctx = KFI_POLL_SOFTIRQ,
		.comp_vector = 0,
	};
	struct kfi_eq_attr eq_attr = { .size = 8 };

	return kfi_cq_open(ks->domain, &cq_attr, &ks->cq, ks) ?:
	       kfi_eq_open(fabric, &eq_attr, &ks->eq, ks);
}

static struct kvec bk_buf(const struct bk_side *ks)
{
	return (struct kvec){
		.iov_base = ks->bs->buf,
		.iov_len = PAGE_ALIGN(2 * ks->bs->conn->max_size),
	};
}

/* Local access, as the baseline's PD DMA key: valid before connecting. */
static int bk_reg_local(struct bk_side *ks)
{
	struct kvec kv = bk_buf(ks);
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);

	return kfi_mr_reg(ks->domain, &iov, KFI_READ | KFI_WRITE, &ks->lmr,
			  ks);
}

/*
 * Remote access is a registration posted on a connected endpoint: one
 * kfi_mr_alloc() + kfi_mr_map() of the whole buffer for the connection's
 * life, as the baseline fast-registers it once.
 */
static int bk_map_remote(struct bk_side *ks)
{
	struct kvec kv = bk_buf(ks);
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);

	return kfi_mr_alloc(ks->domain, kv.iov_len >> PAGE_SHIFT,
			    KFI_REMOTE_READ | KFI_REMOTE_WRITE, &ks->rmr, ks) ?:
	       kfi_mr_map(ks->ep, ks->rmr, &iov);
}

/*
 * kfi_getinfo() reports the provider's limits; ask for the queue sizes the
 * verbs baseline uses instead, and for one buffer an operation, as every
 * operation of the harness has (the provider's work queue entries, sized
 * for its largest scatter list otherwise, would be larger than the
 * baseline's for nothing).
 */
static void bk_size_queues(struct kfi_info *info, const struct bench_conn *conn)
{
	info->tx_attr.size = min(info->tx_attr.size, 2 * conn->max_depth + 8);
	info->rx_attr.size = min(info->rx_attr.size,
				 conn->side[BENCH_CLIENT].nr_rx + 8);
	info->tx_attr.iov_limit = 1;
	info->rx_attr.iov_limit = 1;
}

/*
 * Domain, CQ, EQ, endpoint and local registration from @info, as both
 * sides need them; receives are posted before connecting.
 */
static int bk_open_side(struct bk_side *ks, struct kfid_fabric *fabric,
			struct kfi_info *info)
{
	int ret;

	bk_size_queues(info, ks->bs->conn);

	ret = kfi_domain(fabric, info, &ks->domain, ks) ?:
	      bk_open_cq_eq(ks, fabric, info) ?:
	      kfi_endpoint(ks->domain, info, &ks->ep, ks);
	if (ret)
		return ret;
	ks->ep->credit_ready = bk_credit_ready;
	ret = kfi_ep_bind(ks->ep, &ks->cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
	      kfi_ep_bind(ks->ep, &ks->eq->fid, 0) ?:
	      kfi_enable(ks->ep) ?:
	      bk_reg_local(ks) ?:
	      bench_post_recvs(ks->bs);
	if (!ret && info->tx_attr.inject_size < ks->bs->conn->inject_max)
		ks->bs->conn->inject_max = info->tx_attr.inject_size;
	return ret;
}

static int bk_wait_event(struct kfid_eq *eq, enum kfi_eq_event want,
			 struct kfi_eq_cm_entry *entry)
{
	int ret = kfi_eq_sread(eq, entry, BK_CM_TIMEOUT_MS);

	if (ret < 0)
		return ret;
	if (entry->event != want) {
		if (entry->event == KFI_CONNREQ)
			kfi_freeinfo(entry->info);
		return entry->err ?: -ECONNREFUSED;
	}
	return 0;
}

static int bk_listen(struct bk_conn *kc, const char *ip, const char *port,
		     const struct kfi_info *hints)
{
	struct kfi_eq_attr eq_attr = { .size = 8 };
	struct kfi_info *info;
	int ret;

	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  ip, port, KFI_SOURCE, hints, &info);
	if (ret)
		return ret;
	ret = kfi_fabric(&info->fabric_attr, &kc->fabric, kc) ?:
	      kfi_eq_open(kc->fabric, &eq_attr, &kc->peq, kc) ?:
	      kfi_passive_ep(kc->fabric, info, &kc->pep, kc) ?:
	      kfi_pep_bind(kc->pep, kc->peq) ?:
	      kfi_listen(kc->pep);
	kfi_freeinfo(info);
	return ret;
}

static int bk_accept(struct bk_conn *kc)
{
	struct bk_side *ks = &kc->side[BENCH_SERVER];
	struct kfi_eq_cm_entry entry;
	int ret;

	ret = bk_wait_event(kc->peq, KFI_CONNREQ, &entry);
	if (ret)
		return ret;
	ret = bk_open_side(ks, kc->fabric, entry.info) ?:
	      kfi_accept(ks->ep, NULL, 0);
	kfi_freeinfo(entry.info);
	return ret;
}

static int bk_connect(struct bk_conn *kc, const char *ip, const char *port,
		      const struct kfi_info *hints)
{
	struct bk_side *c = &kc->side[BENCH_CLIENT];
	struct kfi_eq_cm_entry entry;
	struct kfi_info *info;
	int ret;

	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  ip, port, 0, hints, &info);
	if (ret)
		return ret;
	ret = bk_open_side(c, kc->fabric, info) ?:
	      kfi_connect(c->ep, NULL, 0);
	kfi_freeinfo(info);
	/* Both ends run here: the connect completes once we accept. */
	return ret ?: bk_accept(kc) ?:
	       bk_wait_event(c->eq, KFI_CONNECTED, &entry) ?:
	       bk_wait_event(kc->side[BENCH_SERVER].eq, KFI_CONNECTED, &entry) ?:
	       bk_map_remote(c) ?: bk_map_remote(&kc->side[BENCH_SERVER]);
}

static void bk_close(struct kfid *fid)
{
	kfi_close(fid);
}

static void bk_close_side(struct bk_side *ks)
{
	/* Closing the endpoint flushes what is posted, through bench_complete(). */
	bk_close(ks->ep ? &ks->ep->fid : NULL);
	bk_close(ks->rmr ? &ks->rmr->fid : NULL);
	bk_close(ks->lmr ? &ks->lmr->fid : NULL);
	bk_close(ks->cq ? &ks->cq->fid : NULL);
	bk_close(ks->eq ? &ks->eq->fid : NULL);
	bk_close(ks->domain ? &ks->domain->fid : NULL);
}

static void bk_teardown(struct bench_conn *conn)
{
	struct bk_conn *kc = container_of(conn, struct bk_conn, c);

	if (kc->side[BENCH_CLIENT].ep)
		kfi_shutdown(kc->side[BENCH_CLIENT].ep, 0);
	bk_close_side(&kc->side[BENCH_CLIENT]);
	bk_close_side(&kc->side[BENCH_SERVER]);
	bk_close(kc->pep ? &kc->pep->fid : NULL);
	bk_close(kc->peq ? &kc->peq->fid : NULL);
	bk_close(kc->fabric ? &kc->fabric->fid : NULL);
	bench_conn_free(conn);
	kfree(kc);
}

static struct bench_conn *bk_setup(const char *ip, u16 port, u32 max_size,
				   u32 max_depth)
{
	struct kfi_info *hints;
	struct bk_conn *kc;
	char service[8];
	int ret;

	kc = kzalloc(sizeof(*kc), GFP_KERNEL);
	if (!kc)
		return ERR_PTR(-ENOMEM);
	ret = bench_conn_init(&kc->c, &bk_ops, max_size, max_depth);
	if (ret) {
		kfree(kc);
		return ERR_PTR(ret);
	}
	kc->c.inject_max = BK_INLINE;
	bk_init_side(kc, BENCH_CLIENT);
	bk_init_side(kc, BENCH_SERVER);
	snprintf(service, sizeof(service), "%u", port);
	hints = bk_hints(&kc->c);
	ret = hints ? bk_listen(kc, ip, service, hints) ?:
		      bk_connect(kc, ip, service, hints) : -ENOMEM;
	if (hints)
		kfi_freeinfo(hints);
	if (ret) {
		bk_teardown(&kc->c);
		return ERR_PTR(ret);
	}
	return &kc->c;
}

static struct bench_ops bk_ops = {
	.name = "kfabric",
	.owner = THIS_MODULE,
	.slot_size = sizeof(struct bk_slot),
	.setup = bk_setup,
	.teardown = bk_teardown,
	.send = bk_send,
	.recv = bk_recv,
	.write = bk_write,
	.read = bk_read,
	.inject = bk_inject,
};

static int __init bk_init(void)
{
	BUILD_BUG_ON(offsetof(struct bk_slot, s) != 0);
	return bench_register(&bk_ops);
}

static void __exit bk_exit(void)
{
	bench_unregister(&bk_ops);
}

module_init(bk_init);
module_exit(bk_exit);

MODULE_DESCRIPTION("kfabric benchmarks: the tests over the kfi API");
MODULE_LICENSE("GPL");
