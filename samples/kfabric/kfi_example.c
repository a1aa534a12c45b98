// SPDX-License-Identifier: GPL-2.0
/*
 * The consumer guide's example: an echo over a connection, then a 1 MiB
 * RMA write and read of memory the server registered.
 * Documentation/kfabric/consumer-guide.rst includes it verbatim, and the
 * suite builds and runs it (tools/testing/selftests/kfabric/modules/
 * kfi_test_example.c), so the guide is always code that works.
 *
 * Client and server run in one kernel here; split across two machines,
 * each keeps its half.  Every wait is bounded; whatever happens, closing
 * the endpoint first hands back every operation posted on it, so the
 * requests may be freed right after.
 */
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <kfabric/kfi.h>

#define EX_WAIT_MS	10000
#define EX_RMA_LEN	SZ_1M
/*
 * Receives each side posts before connecting: one per message the peer
 * sends, plus one that backs the provider's own credit updates (a send
 * takes a credit, one per receive the peer posted; without one it is
 * -EAGAIN and nothing is posted).
 */
#define EX_RX		4

/* [guide: open] */
struct ex_conn {
	struct kfid_fabric *fabric;
	struct kfid_domain *domain;
	struct kfid_eq *eq;		/* the endpoint's events */
	struct kfid_cq *cq;
	struct kfid_ep *ep;
	struct kfid_pep *pep;		/* server: the listener */
	struct kfid_eq *peq;		/* server: connection requests */
};

/* One operation: the context is embedded, the completion comes back here. */
struct ex_req {
	struct kfi_context kctx;
	struct completion done;
	int err;
	u64 len;
	u8 buf[64];
};

static void ex_done(struct kfid_cq *cq, const struct kfi_cq_entry *e)
{
	struct ex_req *req = container_of(e->op_context, struct ex_req, kctx);

	req->err = e->err;
	req->len = e->len;
	complete(&req->done);
}

static struct ex_req *ex_req_init(struct ex_req *req)
{
	req->kctx.done = ex_done;
	init_completion(&req->done);
	return req;
}

static int ex_post_recvs(struct ex_conn *c, struct ex_req *rx)
{
	int i, ret = 0;

	for (i = 0; i < EX_RX && !ret; i++)
		ret = kfi_recv(c->ep, rx[i].buf, sizeof(rx[i].buf), NULL,
			       &ex_req_init(&rx[i])->kctx);
	return ret;
}

static int ex_wait(struct ex_req *req)
{
	if (!wait_for_completion_timeout(&req->done,
					 msecs_to_jiffies(EX_WAIT_MS)))
		return -ETIMEDOUT;
	return req->err;
}

/* The next event of @eq must be @want. */
static int ex_event(struct kfid_eq *eq, enum kfi_eq_event want,
		    struct kfi_eq_cm_entry *ev)
{
	int ret = kfi_eq_sread(eq, ev, EX_WAIT_MS);

	if (ret)
		return ret;
	if (ev->event == want)
		return 0;
	if (ev->event == KFI_CONNREQ)
		kfi_freeinfo(ev->info);
	return ev->err ?: -ECONNREFUSED;
}

/* Address @node:@service, as a client (flags 0) or a listener (KFI_SOURCE). */
static int ex_getinfo(const char *node, const char *service, u64 flags,
		      struct kfi_info **info)
{
	struct kfi_info *hints = kfi_allocinfo();
	int ret;

	if (!hints)
		return -ENOMEM;
	hints->caps = KFI_MSG | KFI_RMA;
	hints->ep_attr.type = KFI_EP_MSG;
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  node, service, flags, hints, info);
	kfi_freeinfo(hints);
	return ret;
}

static int ex_open_domain(struct ex_conn *c, const struct kfi_info *info)
{
	return kfi_fabric(&info->fabric_attr, &c->fabric, c) ?:
	       kfi_domain(c->fabric, info, &c->domain, c);
}

/*
 * An endpoint with its EQ and one CQ for both directions.  The sizes
 * kfi_getinfo() returned are defaults a CQ of their sum can hold.
 */
static int ex_open_ep(struct ex_conn *c, const struct kfi_info *info)
{
	struct kfi_cq_attr cq_attr = {
		.size = info->tx_attr.size + info->rx_attr.size,
		.poll_ctx = KFI_POLL_SOFTIRQ,
		.comp_vector = -1,
	};
	struct kfi_eq_attr eq_attr = { .size = 8 };

	return kfi_eq_open(c->fabric, &eq_attr, &c->eq, c) ?:
	       kfi_cq_open(c->domain, &cq_attr, &c->cq, c) ?:
	       kfi_endpoint(c->domain, info, &c->ep, c) ?:
	       kfi_ep_bind(c->ep, &c->cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
	       kfi_ep_bind(c->ep, &c->eq->fid, 0) ?:
	       kfi_enable(c->ep);
}

/* Children first; closing cannot fail, and kfi_close(NULL) does nothing. */
static void ex_close(struct ex_conn *c)
{
	kfi_close(c->ep ? &c->ep->fid : NULL);
	kfi_close(c->pep ? &c->pep->fid : NULL);
	kfi_close(c->cq ? &c->cq->fid : NULL);
	kfi_close(c->eq ? &c->eq->fid : NULL);
	kfi_close(c->peq ? &c->peq->fid : NULL);
	kfi_close(c->domain ? &c->domain->fid : NULL);
	kfi_close(c->fabric ? &c->fabric->fid : NULL);
	memset(c, 0, sizeof(*c));
}

/* [guide: /open] */

/* [guide: connect] */
static int ex_listen(struct ex_conn *s, const char *node, const char *service)
{
	struct kfi_eq_attr eq_attr = { .size = 8 };
	struct kfi_info *info;
	int ret;

	ret = ex_getinfo(node, service, KFI_SOURCE, &info);
	if (ret)
		return ret;
	ret = ex_open_domain(s, info) ?:
	      kfi_eq_open(s->fabric, &eq_attr, &s->peq, s) ?:
	      kfi_passive_ep(s->fabric, info, &s->pep, s) ?:
	      kfi_pep_bind(s->pep, s->peq) ?:
	      kfi_listen(s->pep);
	kfi_freeinfo(info);
	return ret;
}

/* Client: receives are posted before connecting; the outcome is an event. */
static int ex_connect(struct ex_conn *c, const char *node,
		      const char *service, struct ex_req *rx)
{
	struct kfi_info *info;
	int ret;

	ret = ex_getinfo(node, service, 0, &info);
	if (ret)
		return ret;
	ret = ex_open_domain(c, info) ?:
	      ex_open_ep(c, info) ?:
	      ex_post_recvs(c, rx) ?:
	      kfi_connect(c->ep, NULL, 0);
	kfi_freeinfo(info);
	return ret;
}

/* Server: open an endpoint from the request, post receives, accept. */
static int ex_accept(struct ex_conn *s, struct ex_req *rx)
{
	struct kfi_eq_cm_entry ev;
	int ret;

	ret = ex_event(s->peq, KFI_CONNREQ, &ev);
	if (ret)
		return ret;
	ret = ex_open_ep(s, ev.info) ?:
	      ex_post_recvs(s, rx) ?:
	      kfi_accept(s->ep, NULL, 0);
	/* Freeing the info of a request not accepted rejects it. */
	kfi_freeinfo(ev.info);
	return ret ?: ex_event(s->eq, KFI_CONNECTED, &ev);
}

/* [guide: /connect] */

/* [guide: echo] */
/* Send @len bytes of @tx and wait for the peer's receive to take them. */
static int ex_send(struct ex_conn *c, struct ex_req *tx, size_t len)
{
	return kfi_send(c->ep, tx->buf, len, NULL, &ex_req_init(tx)->kctx) ?:
	       ex_wait(tx);
}

/* The server sends back what it received. */
static int ex_echo(struct ex_conn *s, struct ex_req *rx, struct ex_req *tx)
{
	int ret = ex_wait(rx);

	if (ret)
		return ret;
	memcpy(tx->buf, rx->buf, min_t(u64, rx->len, sizeof(tx->buf)));
	return ex_send(s, tx, rx->len);
}

/* [guide: /echo] */

/* [guide: rma] */
/* What the server tells the client about the memory it exposes. */
struct ex_rkey {
	__le64 addr;
	__le64 key;
	__le64 len;
};

/*
 * Server: register the buffer for remote access once connected (the key
 * is valid on every endpoint of the domain when kfi_mr_reg() returns) and
 * send its address, key and length.
 */
static int ex_expose(struct ex_conn *s, void *buf, struct kfid_mr **mr,
		     struct ex_req *tx)
{
	struct kvec kv = { .iov_base = buf, .iov_len = EX_RMA_LEN };
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);
	struct ex_rkey *rk = (struct ex_rkey *)tx->buf;
	int ret;

	ret = kfi_mr_reg(s->domain, &iov, KFI_REMOTE_READ | KFI_REMOTE_WRITE,
			 mr, s);
	if (ret)
		return ret;
	rk->addr = cpu_to_le64((*mr)->iova);
	rk->key = cpu_to_le64((*mr)->key);
	rk->len = cpu_to_le64((*mr)->len);
	return ex_send(s, tx, sizeof(*rk));
}

/* Client: write @src into the server's buffer, then read it into @dst. */
static int ex_rma(struct ex_conn *c, struct ex_req *rx, void *src, void *dst)
{
	const struct ex_rkey *rk = (const struct ex_rkey *)rx->buf;
	struct ex_req op;
	u64 addr, key;
	int ret;

	ret = ex_wait(rx);
	if (ret)
		return ret;
	if (rx->len != sizeof(*rk) || le64_to_cpu(rk->len) < EX_RMA_LEN)
		return -EPROTO;
	addr = le64_to_cpu(rk->addr);
	key = le64_to_cpu(rk->key);
	ret = kfi_write(c->ep, src, EX_RMA_LEN, NULL, addr, key,
			&ex_req_init(&op)->kctx) ?: ex_wait(&op);
	if (!ret)
		ret = kfi_read(c->ep, dst, EX_RMA_LEN, NULL, addr, key,
			       &ex_req_init(&op)->kctx) ?: ex_wait(&op);
	if (ret) {
		/* Closing hands back @op if it is still posted. */
		kfi_close(&c->ep->fid);
		c->ep = NULL;
	}
	return ret;
}

/* [guide: /rma] */
