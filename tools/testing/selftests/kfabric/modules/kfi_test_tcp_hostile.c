// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP provider against a hostile peer.  One kfi_tcp listener, opened
 * through kfi.h, serves the whole module; each case connects a plain
 * kernel TCP socket to it and sends, on a fresh connection, what the wire
 * protocol (Documentation/kfabric/tcp.rst) forbids or what a peer may try
 * to harm the target with, and checks the outcome the protocol document
 * promises: a violation drops the connection (the socket sees end of
 * stream or a reset in bounded time) and says why in the kernel log, a
 * refused remote access is answered ACCESS and the connection carries on.
 * After each case: the registered memory holds what it held, the
 * provider's objects are back to what the listener alone holds, and the
 * same listener still accepts a well-formed peer and takes its message.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kmsg_dump.h>
#include <linux/module.h>
#include <linux/workqueue.h>
#include <kfabric/kfi.h>

#include "kfi_ktap.h"
#include "kfit_raw.h"
#include "../../../../../providers/tcp/kfi_tcp.h"	/* KFIT_MAX_PENDING */

static char *ipaddr = "192.0.2.1";
module_param(ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "IPv4 address the listener serves");

static int port = 18571;
module_param(port, int, 0444);
MODULE_PARM_DESC(port, "TCP port of the listener");

#define H_TIMEOUT_MS	20000		/* any single wait; TCG is slow */
#define H_DEPTH		16		/* the endpoint's queues */
#define H_RECVS		4		/* receives posted at accept: credits */
#define H_MAX_RECVS	8
#define H_MSG		64		/* a SEND's payload */
#define H_IDS		32		/* RMA ids the raw peer announces */
#define H_MR_LEN	(2 * PAGE_SIZE)
#define H_BIG_LEN	(1024 * 1024)	/* one read response of stop_reading */
#define H_FLOOD		64		/* SENDs of credit_flood */

/* The listener every case connects to. */
static struct {
	struct kfi_info *info;
	struct kfid_fabric *fab;
	struct kfid_domain *dom;
	struct kfid_pep *pep;
	struct kfid_eq *eq;
	int live;		/* provider objects it holds */
} lis;

/* The endpoint that accepted the raw peer, and its receives. */
struct hsrv {
	struct kfid_eq *eq;
	struct kfid_cq *cq;
	struct kfid_ep *ep;
	struct kfi_context rctx[H_MAX_RECVS];
	u8 *rbuf;		/* H_MAX_RECVS of H_MSG, kmalloc'ed */
	int posted;
};

/* One case's connection: the raw socket and the endpoint it talks to. */
struct hconn {
	struct socket *sock;
	struct hsrv srv;
	u64 mark;		/* the kernel log's end when it began */
};

static unsigned long h_deadline(void)
{
	return jiffies + msecs_to_jiffies(H_TIMEOUT_MS);
}

static void h_fill(void *buf, size_t len, u8 seed)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = seed + i * 13;
}

static int h_check(const void *buf, size_t len, u8 seed)
{
	const u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != (u8)(seed + i * 13)) {
			pr_info("    # byte %zu of %zu changed: %#x\n", i, len,
				p[i]);
			return -EILSEQ;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The kernel log: what the provider said about our socket */

static u64 log_mark(void)
{
	struct kmsg_dump_iter it;

	kmsg_dump_rewind(&it);
	return it.next_seq;
}

/* The log since @mark has a line with @why about @sock's connection. */
static int log_says(u64 mark, struct socket *sock, const char *why)
{
	struct sockaddr_storage ss;
	struct kmsg_dump_iter it;
	char want[96], *line;
	size_t len;
	int ret = -ENOENT;

	if (kernel_getsockname(sock, (struct sockaddr *)&ss) <= 0)
		return -ENOTCONN;
	snprintf(want, sizeof(want), "peer %pISpc: %s", &ss, why);
	line = kmalloc(1024, GFP_KERNEL);
	if (!line)
		return -ENOMEM;
	kmsg_dump_rewind(&it);
	it.cur_seq = max(it.cur_seq, mark);
	while (ret && kmsg_dump_get_line(&it, false, line, 1023, &len)) {
		line[len] = 0;
		if (strstr(line, want))
			ret = 0;
	}
	kfree(line);
	if (ret)
		pr_info("    # the kernel log does not say \"%s\"\n", want);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The listener and the endpoint that accepts */

static int lis_open(void)
{
	struct kfi_eq_attr ea = { .size = 32 };
	struct kfi_info *hints = kfi_allocinfo();
	char svc[8];
	int ret;

	if (!hints)
		return -ENOMEM;
	hints->caps = KFI_MSG | KFI_RMA;
	hints->ep_attr.type = KFI_EP_MSG;
	strscpy(hints->fabric_attr.prov_name, "tcp", KFI_NAME_MAX);
	snprintf(svc, sizeof(svc), "%d", port);
	ret = kfi_getinfo(KFI_VERSION(1, 0), ipaddr, svc, KFI_SOURCE, hints,
			  &lis.info);
	kfi_freeinfo(hints);
	STEP(ret, kfi_fabric(&lis.info->fabric_attr, &lis.fab, NULL));
	STEP(ret, kfi_domain(lis.fab, lis.info, &lis.dom, NULL));
	STEP(ret, kfi_passive_ep(lis.fab, lis.info, &lis.pep, NULL));
	STEP(ret, kfi_eq_open(lis.fab, &ea, &lis.eq, NULL));
	STEP(ret, kfi_pep_bind(lis.pep, lis.eq));
	STEP(ret, kfi_listen(lis.pep));
	lis.live = kfit_debug_live_objects();
	return ret;
}

static void lis_close(void)
{
	if (lis.pep)
		kfi_close(&lis.pep->fid);
	if (lis.eq)
		kfi_close(&lis.eq->fid);
	if (lis.dom)
		kfi_close(&lis.dom->fid);
	if (lis.fab)
		kfi_close(&lis.fab->fid);
	kfi_freeinfo(lis.info);
	memset(&lis, 0, sizeof(lis));
}

/* Wait for @want on @eq; anything else is a failure. */
static int h_event(struct kfid_eq *eq, enum kfi_eq_event want,
		   struct kfi_eq_cm_entry *e)
{
	int ret = kfi_eq_sread(eq, e, H_TIMEOUT_MS);

	if (ret < 0)
		return ret;
	if (e->event == want)
		return 0;
	pr_info("    # event %d (err %d), expected %d\n", e->event, e->err,
		want);
	if (e->event == KFI_CONNREQ)
		kfi_freeinfo(e->info);
	return -EPROTO;
}

static int srv_post(struct hsrv *s)
{
	int i = s->posted;

	if (i == H_MAX_RECVS)
		return -ENOSPC;
	s->posted++;
	return kfi_recv(s->ep, s->rbuf + i * H_MSG, H_MSG, NULL, &s->rctx[i]);
}

/* Take the connection request, open an endpoint with H_RECVS, accept. */
static int srv_accept(struct hsrv *s)
{
	struct kfi_cq_attr ca = { .size = 2 * H_DEPTH + 8,
				  .poll_ctx = KFI_POLL_WORKQUEUE,
				  .comp_vector = -1 };
	struct kfi_eq_attr ea = { .size = 32 };
	struct kfi_eq_cm_entry e;
	int ret, i;

	ret = h_event(lis.eq, KFI_CONNREQ, &e);
	if (ret)
		return ret;
	e.info->tx_attr.size = H_DEPTH;
	e.info->rx_attr.size = H_DEPTH;
	s->rbuf = kcalloc(H_MAX_RECVS, H_MSG, GFP_KERNEL);
	if (!s->rbuf)
		ret = -ENOMEM;
	STEP(ret, kfi_eq_open(lis.fab, &ea, &s->eq, NULL));
	STEP(ret, kfi_cq_open(lis.dom, &ca, &s->cq, NULL));
	STEP(ret, kfi_endpoint(lis.dom, e.info, &s->ep, NULL));
	STEP(ret, kfi_ep_bind(s->ep, &s->cq->fid, KFI_TRANSMIT | KFI_RECEIVE));
	STEP(ret, kfi_ep_bind(s->ep, &s->eq->fid, 0));
	STEP(ret, kfi_enable(s->ep));
	for (i = 0; i < H_RECVS; i++)
		STEP(ret, srv_post(s));
	STEP(ret, kfi_accept(s->ep, NULL, 0));
	kfi_freeinfo(e.info);
	STEP(ret, h_event(s->eq, KFI_CONNECTED, &e));
	return ret;
}

static void srv_close(struct hsrv *s)
{
	if (s->ep)
		kfi_close(&s->ep->fid);
	if (s->cq)
		kfi_close(&s->cq->fid);
	if (s->eq)
		kfi_close(&s->eq->fid);
	kfree(s->rbuf);
	memset(s, 0, sizeof(*s));
}

/* One completion, errors included (e->err). */
static int srv_cq(struct hsrv *s, struct kfi_cq_entry *e)
{
	unsigned long end = h_deadline();
	int ret;

	for (;;) {
		ret = kfi_cq_sread(s->cq, e, 1, 100);
		if (ret == 1)
			return 0;
		if (ret == -EIO)
			return kfi_cq_readerr(s->cq, e);
		if (ret != -EAGAIN && ret != -ETIMEDOUT)
			return ret;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
	}
}

/* The next completion is receive @i with @err (and @seed's bytes). */
static int srv_recv_done(struct hsrv *s, int i, int err, u8 seed)
{
	struct kfi_cq_entry e;
	int ret = srv_cq(s, &e);

	if (ret)
		return ret;
	if (e.op_context != &s->rctx[i] || e.err != err) {
		pr_info("    # completion %ld err %d, expected receive %d err %d\n",
			e.op_context >= s->rctx && e.op_context <
			s->rctx + H_MAX_RECVS ? (long)(e.op_context - s->rctx) :
			-1L, e.err, i, err);
		return -EPROTO;
	}
	return err ? 0 : h_check(s->rbuf + i * H_MSG, H_MSG, seed);
}

/*
 * The connection ended: KFI_SHUTDOWN with @err, and everything
 * outstanding -- @nsends sends, then the receives in order -- flushed.
 */
static int srv_dropped(struct hsrv *s, int err, int nsends)
{
	struct kfi_eq_cm_entry ev;
	struct kfi_cq_entry e;
	int ret, i;

	ret = h_event(s->eq, KFI_SHUTDOWN, &ev);
	if (!ret && ev.err != err) {
		pr_info("    # KFI_SHUTDOWN err %d, expected %d\n", ev.err, err);
		ret = -EPROTO;
	}
	for (i = 0; !ret && i < nsends; i++) {
		ret = srv_cq(s, &e);
		if (!ret && (e.err != -ECANCELED || !(e.flags & KFI_SEND))) {
			pr_info("    # send %d: err %d flags %#llx\n", i, e.err,
				e.flags);
			ret = -EPROTO;
		}
	}
	for (i = 0; !ret && i < s->posted; i++)
		ret = srv_recv_done(s, i, -ECANCELED, 0);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The raw peer */

static int raw_connreq(struct socket *sock)
{
	struct kfit_hdr h;

	raw_hdr(&h, KFIT_OP_CONNREQ, 0, KFIT_MAGIC, H_IDS);
	/* Room for every send the endpoint can queue, and more. */
	h.credits = cpu_to_le16(2 * H_DEPTH);
	return raw_send(sock, &h, sizeof(h));
}

/* A fresh connection, handshake done; @hc->srv accepted it. */
static int conn_open(struct hconn *hc)
{
	struct kfit_hdr h;
	int ret;

	hc->mark = log_mark();
	ret = raw_connect(ipaddr, port, H_TIMEOUT_MS, &hc->sock);
	STEP(ret, raw_connreq(hc->sock));
	STEP(ret, srv_accept(&hc->srv));
	STEP(ret, raw_recv_hdr(hc->sock, &h));
	if (!ret && (h.op != KFIT_OP_ACCEPT || le16_to_cpu(h.credits) !=
		     H_RECVS || le32_to_cpu(h.len))) {
		pr_info("    # answer op %u credits %u\n", h.op,
			le16_to_cpu(h.credits));
		ret = -EPROTO;
	}
	return ret;
}

static void conn_close(struct hconn *hc)
{
	if (hc->sock)
		sock_release(hc->sock);
	hc->sock = NULL;
	srv_close(&hc->srv);
}

/* A SEND of H_MSG bytes made from @seed. */
static int raw_send_msg(struct socket *sock, u8 seed)
{
	struct {
		struct kfit_hdr h;
		u8 data[H_MSG];
	} m;

	raw_hdr(&m.h, KFIT_OP_SEND, H_MSG, 0, 0);
	h_fill(m.data, H_MSG, seed);
	return raw_send(sock, &m, sizeof(m));
}

/*
 * The same listener accepts a well-formed peer, takes its message, and
 * once both are gone the provider holds what the listener alone holds.
 */
static int good_peer(void)
{
	struct hconn hc = {};
	int ret;

	ret = conn_open(&hc);
	STEP(ret, raw_send_msg(hc.sock, 0x42));
	STEP(ret, srv_recv_done(&hc.srv, 0, 0, 0x42));
	conn_close(&hc);
	STEP(ret, live_back_to(lis.live, h_deadline()));
	return ret;
}

/*
 * What every dropped connection must show: the raw socket sees the end,
 * the endpoint its KFI_SHUTDOWN (@err) with what was outstanding flushed,
 * and the log says @why.  The connection is closed on return.
 */
static int conn_dropped(struct hconn *hc, int err, int nsends,
			const char *why)
{
	int ret = raw_wait_closed(hc->sock, h_deadline());

	STEP(ret, srv_dropped(&hc->srv, err, nsends));
	STEP(ret, log_says(hc->mark, hc->sock, why));
	conn_close(hc);
	return ret;
}

/* Once a case closed all it opened: nothing left, and a good peer works. */
static int nothing_left(void)
{
	int ret = live_back_to(lis.live, h_deadline());

	STEP(ret, good_peer());
	return ret;
}

/* ------------------------------------------------------------------ */
/* Bad connection requests: the socket is closed, no event, nothing left */

static int connreq_dropped(const struct kfit_hdr *h, size_t len,
			   const char *why)
{
	struct kfi_eq_cm_entry ev;
	struct socket *sock;
	u64 mark = log_mark();
	int ret;

	ret = raw_connect(ipaddr, port, H_TIMEOUT_MS, &sock);
	if (ret)
		return ret;
	ret = raw_send(sock, h, len);
	/* Cut short: the peer says no more and waits. */
	if (!ret && len < sizeof(*h))
		ret = kernel_sock_shutdown(sock, SHUT_WR);
	STEP(ret, raw_wait_closed(sock, h_deadline()));
	STEP(ret, log_says(mark, sock, why));
	sock_release(sock);
	STEP(ret, live_back_to(lis.live, h_deadline()));
	if (!ret && kfi_eq_read(lis.eq, &ev) != -EAGAIN) {
		pr_info("    # event %d for a bad request\n", ev.event);
		if (ev.event == KFI_CONNREQ)
			kfi_freeinfo(ev.info);
		ret = -EPROTO;
	}
	STEP(ret, good_peer());
	return ret;
}

static int bad_magic(void)
{
	struct kfit_hdr h;

	raw_hdr(&h, KFIT_OP_CONNREQ, 0, KFIT_MAGIC ^ 0x20202020, H_IDS);
	return connreq_dropped(&h, sizeof(h), "bad connection request");
}

/* Version 2 in the request, then in a header after the handshake. */
static int bad_version(void)
{
	struct hconn hc = {};
	struct kfit_hdr h;
	int ret;

	raw_hdr(&h, KFIT_OP_CONNREQ, 0, KFIT_MAGIC, H_IDS);
	h.version = KFIT_PROTO_VERSION + 1;
	ret = connreq_dropped(&h, sizeof(h), "bad connection request");
	STEP(ret, conn_open(&hc));
	if (!ret) {
		raw_hdr(&h, KFIT_OP_SEND, H_MSG, 0, 0);
		h.version = KFIT_PROTO_VERSION + 1;
		ret = raw_send(hc.sock, &h, sizeof(h));
	}
	STEP(ret, conn_dropped(&hc, -EPROTO, 0, "bad header"));
	conn_close(&hc);
	STEP(ret, nothing_left());
	return ret;
}

/* The registration the RMA cases aim at, filled with @seed's bytes. */
struct hmr {
	void *buf;
	struct kfid_mr *mr;
};

static int hmr_reg(struct kfid_domain *dom, struct hmr *m, u64 access,
		   u8 seed)
{
	struct kvec kv;
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);

	m->buf = kmalloc(H_MR_LEN, GFP_KERNEL);
	if (!m->buf)
		return -ENOMEM;
	h_fill(m->buf, H_MR_LEN, seed);
	kv = (struct kvec){ m->buf, H_MR_LEN };
	return kfi_mr_reg(dom, &iov, access, &m->mr, NULL);
}

static void hmr_free(struct hmr *m)
{
	if (m->mr)
		kfi_close(&m->mr->fid);
	kfree(m->buf);
	memset(m, 0, sizeof(*m));
}

/* A payload past the largest message: in the request and after it. */
static int len_past_max(void)
{
	struct hmr m = {};
	struct hconn hc = {};
	struct kfit_hdr h;
	int ret;

	raw_hdr(&h, KFIT_OP_CONNREQ, KFIT_CM_DATA_MAX + 1, KFIT_MAGIC, H_IDS);
	ret = connreq_dropped(&h, sizeof(h), "bad connection request");
	STEP(ret, hmr_reg(lis.dom, &m, KFI_REMOTE_WRITE, 1));
	STEP(ret, conn_open(&hc));
	if (!ret) {
		/* What follows the header would fit the registration. */
		raw_hdr(&h, KFIT_OP_WRITE, KFIT_MAX_MSG + 1, 0, m.mr->key);
		ret = raw_send(hc.sock, &h, sizeof(h));
		STEP(ret, raw_send(hc.sock, m.buf, 64));
		STEP(ret, conn_dropped(&hc, -EPROTO, 0, "bad header"));
	}
	conn_close(&hc);
	if (m.buf)
		STEP(ret, h_check(m.buf, H_MR_LEN, 1));
	hmr_free(&m);
	STEP(ret, nothing_left());
	return ret;
}

/* A header cut short, then the end of stream: before and after accept. */
static int truncated_header(void)
{
	struct hconn hc = {};
	struct kfit_hdr h;
	int ret;

	raw_hdr(&h, KFIT_OP_CONNREQ, 0, KFIT_MAGIC, H_IDS);
	ret = connreq_dropped(&h, KFIT_HDR_LEN / 2,
			      "connection request cut short");
	STEP(ret, conn_open(&hc));
	if (!ret) {
		raw_hdr(&h, KFIT_OP_SEND, H_MSG, 0, 0);
		ret = raw_send(hc.sock, &h, KFIT_HDR_LEN / 2);
	}
	STEP(ret, kernel_sock_shutdown(hc.sock, SHUT_WR));
	/* An end of stream is the peer's way to leave: err 0, not logged. */
	STEP(ret, raw_wait_closed(hc.sock, h_deadline()));
	STEP(ret, srv_dropped(&hc.srv, 0, 0));
	conn_close(&hc);
	STEP(ret, nothing_left());
	return ret;
}

/* ------------------------------------------------------------------ */
/* Remote accesses the target must refuse: ACCESS, and it carries on */

/* WRITE of @len bytes (the pattern of 0xee) under RMA id 0. */
static int raw_write(struct socket *sock, u64 key, u64 addr, u32 len)
{
	struct kfit_hdr h;
	void *data;
	int ret;

	raw_hdr(&h, KFIT_OP_WRITE, len, 0, key);
	h.addr = cpu_to_le64(addr);
	ret = raw_send(sock, &h, sizeof(h));
	if (ret || !len)
		return ret;
	data = kmalloc(len, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	h_fill(data, len, 0xee);
	ret = raw_send(sock, data, len);
	kfree(data);
	return ret;
}

/* The answer to RMA id 0: @op with @status (and no payload). */
static int raw_answer(struct socket *sock, u8 op, u8 status)
{
	struct kfit_hdr h;
	int ret = raw_recv_hdr(sock, &h);

	if (!ret && (h.op != op || h.status != status || h.id ||
		     (status && h.len))) {
		pr_info("    # answer op %u status %u len %u, expected op %u status %u\n",
			h.op, h.status, le32_to_cpu(h.len), op, status);
		ret = -EPROTO;
	}
	return ret;
}

/* A write and a read of [@addr, +@len) under @key are both refused. */
static int rma_refused(struct socket *sock, u64 key, u64 addr, u32 len)
{
	struct kfit_hdr h;
	int ret;

	ret = raw_write(sock, key, addr, len);
	STEP(ret, raw_answer(sock, KFIT_OP_WRITE_RSP, KFIT_ST_ACCESS));
	raw_hdr(&h, KFIT_OP_READ, len, 0, key);
	h.addr = cpu_to_le64(addr);
	STEP(ret, raw_send(sock, &h, sizeof(h)));
	STEP(ret, raw_answer(sock, KFIT_OP_READ_RSP, KFIT_ST_ACCESS));
	if (ret)
		pr_info("    # key %#llx at %#llx len %u: %d\n", key, addr, len,
			ret);
	return ret;
}

/*
 * The connection carries on: a write inside @good lands and is answered
 * OK, and @good holds exactly that write on top of its pattern @seed.
 */
static int rma_carries_on(struct hconn *hc, struct hmr *good, u8 seed)
{
	const u32 at = PAGE_SIZE - 32, len = 64;
	int ret;

	ret = raw_write(hc->sock, good->mr->key, at, len);
	STEP(ret, raw_answer(hc->sock, KFIT_OP_WRITE_RSP, KFIT_ST_OK));
	STEP(ret, h_check(good->buf, at, seed));
	STEP(ret, h_check(good->buf + at, len, 0xee));
	STEP(ret, h_check(good->buf + at + len, H_MR_LEN - at - len,
			  seed + (at + len) * 13));
	return ret;
}

/* The raw peer's RMA case on a fresh connection, then the common checks. */
static int rma_case(int (*body)(struct hconn *hc, struct hmr *good))
{
	struct hmr good = {};
	struct hconn hc = {};
	int ret;

	ret = hmr_reg(lis.dom, &good, KFI_REMOTE_READ | KFI_REMOTE_WRITE, 7);
	STEP(ret, conn_open(&hc));
	STEP(ret, body(&hc, &good));
	STEP(ret, rma_carries_on(&hc, &good, 7));
	conn_close(&hc);
	hmr_free(&good);
	STEP(ret, nothing_left());
	return ret;
}

/* Keys never registered: near a live one, zero, all ones. */
static int unknown_key_body(struct hconn *hc, struct hmr *good)
{
	u64 key = good->mr->key;
	int ret;

	ret = rma_refused(hc->sock, key ^ BIT_ULL(40), 0, 64);
	STEP(ret, rma_refused(hc->sock, key ^ 1, 0, 64));
	STEP(ret, rma_refused(hc->sock, 0, 0, 64));
	STEP(ret, rma_refused(hc->sock, U64_MAX, 0, 64));
	STEP(ret, h_check(good->buf, H_MR_LEN, 7));
	return ret;
}

static int rma_unknown_key(void)
{
	return rma_case(unknown_key_body);
}

/* Registered for local access only, then remote read only. */
static int no_remote_body(struct hconn *hc, struct hmr *good)
{
	struct hmr local = {}, ro = {};
	int ret;

	ret = hmr_reg(lis.dom, &local, KFI_READ | KFI_WRITE, 3);
	STEP(ret, rma_refused(hc->sock, local.mr->key, 0, 64));
	STEP(ret, hmr_reg(lis.dom, &ro, KFI_REMOTE_READ, 5));
	STEP(ret, raw_write(hc->sock, ro.mr->key, 0, 64));
	STEP(ret, raw_answer(hc->sock, KFIT_OP_WRITE_RSP, KFIT_ST_ACCESS));
	STEP(ret, h_check(local.buf, H_MR_LEN, 3));
	STEP(ret, h_check(ro.buf, H_MR_LEN, 5));
	hmr_free(&local);
	hmr_free(&ro);
	return ret;
}

static int rma_no_remote_access(void)
{
	return rma_case(no_remote_body);
}

/* A live key with ranges that leave its registration. */
static int out_of_range_body(struct hconn *hc, struct hmr *good)
{
	u64 key = good->mr->key;
	int ret;

	ret = rma_refused(hc->sock, key, H_MR_LEN - 8, 16);
	STEP(ret, rma_refused(hc->sock, key, H_MR_LEN, 1));
	STEP(ret, rma_refused(hc->sock, key, 0, H_MR_LEN + 1));
	STEP(ret, rma_refused(hc->sock, key, U64_MAX - 7, 16));
	STEP(ret, rma_refused(hc->sock, key, BIT_ULL(63), 64));
	STEP(ret, h_check(good->buf, H_MR_LEN, 7));
	return ret;
}

static int rma_out_of_range(void)
{
	return rma_case(out_of_range_body);
}

/*
 * A send that invalidates a key that is not the peer's to end: a
 * long-lived registration of this domain, and one of another domain.
 * The receive completes with -EACCES; both keys live on.
 */
static int raw_send_inv(struct socket *sock, u64 key, u8 seed)
{
	struct {
		struct kfit_hdr h;
		u8 data[H_MSG];
	} m;

	raw_hdr(&m.h, KFIT_OP_SEND, H_MSG, 0, key);
	m.h.flags = cpu_to_le16(KFIT_F_INV);
	h_fill(m.data, H_MSG, seed);
	return raw_send(sock, &m, sizeof(m));
}

static int foreign_key_body(struct hconn *hc, struct hmr *good)
{
	struct kfid_domain *dom2 = NULL;
	struct hmr other = {};
	int ret;

	ret = raw_send_inv(hc->sock, good->mr->key, 1);
	STEP(ret, srv_recv_done(&hc->srv, 0, -EACCES, 1));
	STEP(ret, kfi_domain(lis.fab, lis.info, &dom2, NULL));
	STEP(ret, hmr_reg(dom2, &other, KFI_REMOTE_READ | KFI_REMOTE_WRITE,
			  9));
	STEP(ret, raw_send_inv(hc->sock, other.mr->key, 2));
	STEP(ret, srv_recv_done(&hc->srv, 1, -EACCES, 2));
	/* Its key means nothing here: no byte of it moves either way. */
	STEP(ret, rma_refused(hc->sock, other.mr->key, 0, 64));
	STEP(ret, h_check(other.buf, H_MR_LEN, 9));
	STEP(ret, h_check(good->buf, H_MR_LEN, 7));
	hmr_free(&other);
	if (dom2)
		kfi_close(&dom2->fid);
	return ret;
}

static int invalidate_foreign_key(void)
{
	return rma_case(foreign_key_body);
}

/* ------------------------------------------------------------------ */
/* Resources: a flood past the credits, a peer that stops reading */

/*
 * H_FLOOD sends where H_RECVS credits were granted.  As with a
 * receiver-not-ready on RDMA, those without a receive wait in the
 * transport: nothing is lost, misplaced or buffered by the provider
 * (its objects stay as they are), and the endpoint still closes.
 */
static int credit_flood(void)
{
	struct hconn hc = {};
	int ret, i, live = 0;

	ret = conn_open(&hc);
	if (!ret)
		live = kfit_debug_live_objects();
	for (i = 0; !ret && i < H_FLOOD; i++)
		ret = raw_send_msg(hc.sock, i);
	for (i = 0; !ret && i < H_RECVS; i++)
		ret = srv_recv_done(&hc.srv, i, 0, i);
	/* Each new receive takes the oldest waiting send, in order. */
	for (; !ret && i < H_MAX_RECVS; i++) {
		ret = srv_post(&hc.srv);
		STEP(ret, srv_recv_done(&hc.srv, i, 0, i));
	}
	if (!ret && kfit_debug_live_objects() != live)
		ret = -EPROTO;
	/* Closing with the rest unread resets the peer. */
	if (hc.srv.ep)
		kfi_close(&hc.srv.ep->fid);
	hc.srv.ep = NULL;
	STEP(ret, raw_wait_closed(hc.sock, h_deadline()));
	conn_close(&hc);
	STEP(ret, nothing_left());
	return ret;
}

/* Read requests for H_BIG_LEN bytes under every id the peer announced. */
static int raw_read_all(struct socket *sock, u64 key)
{
	struct kfit_hdr *h = kcalloc(H_IDS, sizeof(*h), GFP_KERNEL);
	int ret, i;

	if (!h)
		return -ENOMEM;
	for (i = 0; i < H_IDS; i++)
		raw_hdr(&h[i], KFIT_OP_READ, H_BIG_LEN, i, key);
	ret = raw_send(sock, h, H_IDS * sizeof(*h));
	kfree(h);
	return ret;
}

/*
 * Sends of @msg until the queue is full: exactly H_DEPTH go in, the next
 * is -EAGAIN, and none completes (they wait behind the responses).
 */
static int post_until_full(struct hsrv *s, void *msg, struct kfi_context *ctx)
{
	struct kfi_cq_entry e;
	int ret = 0, i;

	for (i = 0; !ret && i < H_DEPTH; i++)
		ret = kfi_send(s->ep, msg, H_MSG, NULL, &ctx[i]);
	if (!ret && kfi_send(s->ep, msg, H_MSG, NULL, &ctx[i]) != -EAGAIN)
		ret = -EPROTO;
	if (!ret && kfi_cq_read(s->cq, &e, 1) != -EAGAIN) {
		pr_info("    # a send completed with the peer not reading\n");
		ret = -EPROTO;
	}
	return ret;
}

/*
 * The peer asks for more than the sockets hold and stops reading: the
 * provider's posting does not block (a full queue is -EAGAIN), and the
 * owner can still close the MR being read -- the response half out
 * cannot be taken back, so the connection is dropped, saying why.
 */
static int stop_reading(void)
{
	struct mr_closer c = {};
	struct kfi_context ctx[H_DEPTH + 1];
	struct kvec kv;
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);
	struct hconn hc = {};
	struct kfit_hdr h;
	void *big = kmalloc(H_BIG_LEN, GFP_KERNEL);
	void *msg = kzalloc(H_MSG, GFP_KERNEL);
	int ret;

	ret = big && msg ? 0 : -ENOMEM;
	if (!ret) {
		h_fill(big, H_BIG_LEN, 4);
		kv = (struct kvec){ big, H_BIG_LEN };
		ret = kfi_mr_reg(lis.dom, &iov, KFI_REMOTE_READ, &c.mr, NULL);
	}
	STEP(ret, conn_open(&hc));
	STEP(ret, raw_read_all(hc.sock, c.mr->key));
	/* The first response has begun; read no further. */
	STEP(ret, raw_recv_hdr(hc.sock, &h));
	if (!ret && (h.op != KFIT_OP_READ_RSP || h.status))
		ret = -EPROTO;
	STEP(ret, post_until_full(&hc.srv, msg, ctx));
	if (!ret) {
		mr_close_async(&c, c.mr);
		if (!wait_for_completion_timeout(&c.done,
						 msecs_to_jiffies(H_TIMEOUT_MS))) {
			pr_info("    # the MR did not close\n");
			ret = -ETIMEDOUT;
			/* The socket's end lets it finish; then it is gone. */
			sock_release(hc.sock);
			hc.sock = NULL;
			wait_for_completion(&c.done);
		}
		c.mr = NULL;
	}
	STEP(ret, conn_dropped(&hc, -ECONNABORTED, H_DEPTH,
			       "MR closed under a read response in progress"));
	conn_close(&hc);
	if (c.mr)
		kfi_close(&c.mr->fid);
	if (big)
		STEP(ret, h_check(big, H_BIG_LEN, 4));
	kfree(big);
	kfree(msg);
	STEP(ret, nothing_left());
	return ret;
}

/* Connect @n sockets that say nothing; all accepted, none reported. */
static int silent_open(struct socket **socks, int n)
{
	int ret = 0, i;

	for (i = 0; !ret && i < n; i++)
		ret = raw_connect(ipaddr, port, H_TIMEOUT_MS, &socks[i]);
	/* Each accepted one is a request the provider holds. */
	STEP(ret, live_back_to(lis.live + n, h_deadline()));
	return ret;
}

/*
 * Peers that connect and never send their CONNREQ: the listener keeps
 * KFIT_MAX_PENDING of them; one more drops the one that has waited
 * longest, saying so, and a well-formed peer still gets through.
 */
static int silent_peers(void)
{
	struct socket **socks = kcalloc(KFIT_MAX_PENDING + 1, sizeof(*socks),
					GFP_KERNEL);
	struct hconn hc = {};
	u64 mark = log_mark();
	int ret, i;

	ret = socks ? silent_open(socks, KFIT_MAX_PENDING) : -ENOMEM;
	STEP(ret, raw_connect(ipaddr, port, H_TIMEOUT_MS,
			      &socks[KFIT_MAX_PENDING]));
	STEP(ret, raw_wait_closed(socks[0], h_deadline()));
	STEP(ret, log_says(mark, socks[0],
			   "too many connection requests pending"));
	STEP(ret, live_back_to(lis.live + KFIT_MAX_PENDING, h_deadline()));
	/* While they wait, a peer that speaks is served. */
	STEP(ret, conn_open(&hc));
	STEP(ret, raw_send_msg(hc.sock, 0x17));
	STEP(ret, srv_recv_done(&hc.srv, 0, 0, 0x17));
	conn_close(&hc);
	for (i = 0; socks && i <= KFIT_MAX_PENDING; i++)
		if (socks[i])
			sock_release(socks[i]);
	kfree(socks);
	STEP(ret, nothing_left());
	return ret;
}

static const struct kt_case cases[] = {
	KT_CASE(bad_magic),
	KT_CASE(bad_version),
	KT_CASE(len_past_max),
	KT_CASE(truncated_header),
	KT_CASE(rma_unknown_key),
	KT_CASE(rma_no_remote_access),
	KT_CASE(rma_out_of_range),
	KT_CASE(invalidate_foreign_key),
	KT_CASE(credit_flood),
	KT_CASE(stop_reading),
	KT_CASE(silent_peers),
};

static int __init kfi_test_tcp_hostile_init(void)
{
	int ret = lis_open();

	if (ret) {
		pr_info("    # no tcp listener on %s:%d: %d\n", ipaddr, port,
			ret);
		lis_close();
		return ret;
	}
	kt_run(cases, ARRAY_SIZE(cases));
	return 0;
}

static void __exit kfi_test_tcp_hostile_exit(void)
{
	lis_close();
}

module_init(kfi_test_tcp_hostile_init);
module_exit(kfi_test_tcp_hostile_exit);

MODULE_DESCRIPTION("kfabric TCP provider against hostile peers");
MODULE_LICENSE("GPL");
