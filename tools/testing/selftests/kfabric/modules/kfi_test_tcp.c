// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the TCP provider: the provider cases of kfi_prov_cases.c, which
 * every provider runs, here over kernel TCP on @ipaddr; then what only a
 * software provider has to prove: a peer that breaks the wire protocol
 * (a plain kernel socket sending bad headers) loses its connection and
 * nothing else, and remote accesses outside a registration, with a stale
 * or forged key or without the right are refused with -EACCES while the
 * connection carries on; IPv6; and that credit grants ride on the
 * messages that answer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/ipv6.h>

#include "kfi_prov_cases.c"
#include "kfit_raw.h"

static int tcp_res_count(struct tres *t)
{
	memset(t, 0, sizeof(*t));
	t->live = kfit_debug_live_objects();
	return 0;
}

static int tcp_strerror_ok(struct kfid_cq *cq)
{
	return kfi_strerror(cq, 0) ? 0 : -EPROTO;
}

static const struct kt_prov tcp_prov = {
	.name = "tcp",
	.key_size = 8,
	.atomics = true,
	.invalidate = true,
	.cancel = true,
	.srx = true,
	.res_count = tcp_res_count,
	.strerror_ok = tcp_strerror_ok,
	.deferred = kfit_debug_deferred,
};

/* Nothing else was hurt: a real client connects and moves a message. */
static int still_works(struct tconn *tc)
{
	int ret = conn_pair(tc, &def_opts);

	return ret ?: xfer_one(tc, 4096, KFI_IOV_KVEC, 0, 0);
}

/* ------------------------------------------------------------------ */
/* RMA write payloads by reference */

#define T_BY_REF_LEN	(256 * 1024)	/* kmalloc takes it from the page allocator */

/* Write @r (@len bytes of @seed) to @m; it lands; @by_ref bytes go by reference. */
static int write_counted(struct tconn *tc, struct tmr *m, struct treq *r,
			 size_t len, u32 seed, u64 by_ref)
{
	u64 before = kfit_debug_by_ref(tc->c.ep);
	struct kfi_cq_entry e;
	int ret;

	fill(r->buf, len, seed);
	ret = post_rma(&tc->c, r, KFI_IOV_KVEC, true, m->mr->iova, m->mr->key,
		       0, 0);
	STEP(ret, wait_ok(&tc->c, &e));
	STEP(ret, check(m->r->buf, len, seed));
	if (!ret && kfit_debug_by_ref(tc->c.ep) - before != by_ref) {
		pr_info("    # %llu bytes by reference, not %llu\n",
			kfit_debug_by_ref(tc->c.ep) - before, by_ref);
		ret = -EPROTO;
	}
	return ret;
}

/*
 * An RMA write from pages a socket may hold goes to it by reference, and
 * lands intact; one from slab memory (a small kmalloc) is copied, and
 * lands intact too.  A send is always copied: it completes once in the
 * socket.
 */
static int rma_write_by_ref(void)
{
	struct treq *big = treq_alloc(T_BY_REF_LEN), *small = treq_alloc(64);
	struct tconn tc = {};
	struct tmr m = {};
	int ret;

	ret = big && small ? conn_open(&tc, &def_opts) : -ENOMEM;
	STEP(ret, tmr_map(&tc, &m, T_BY_REF_LEN));
	STEP(ret, write_counted(&tc, &m, big, T_BY_REF_LEN, 61, T_BY_REF_LEN));
	STEP(ret, write_counted(&tc, &m, small, 64, 62, 0));
	if (!ret) {
		u64 before = kfit_debug_by_ref(tc.c.ep);

		ret = xfer_one(&tc, T_BY_REF_LEN, KFI_IOV_KVEC, 0, 0);
		if (!ret && kfit_debug_by_ref(tc.c.ep) != before)
			ret = -EPROTO;
	}
	if (ret)
		t_failed = true;
	tmr_conn_close(&tc, &m);
	treq_free(big);
	treq_free(small);
	return ret;
}

/* ------------------------------------------------------------------ */
/* A bad connection request is dropped: no event, no leak */

enum { BAD_GARBAGE, BAD_VERSION, BAD_CM_LEN, BAD_ACCEPT, BAD_REQ_MAX };

static int send_bad_request(struct socket *sock, int kind)
{
	struct kfit_hdr h;
	u8 junk[KFIT_HDR_LEN];

	raw_hdr(&h, KFIT_OP_CONNREQ, 0, KFIT_MAGIC, 16);
	switch (kind) {
	case BAD_GARBAGE:
		memset(junk, 0xa5, sizeof(junk));
		return raw_send(sock, junk, sizeof(junk));
	case BAD_VERSION:
		h.version = KFIT_PROTO_VERSION + 1;
		break;
	case BAD_CM_LEN:
		h.len = cpu_to_le32(KFIT_CM_DATA_MAX + 1);
		break;
	default:	/* a passive side never receives ACCEPT */
		h.op = KFIT_OP_ACCEPT;
		break;
	}
	return raw_send(sock, &h, sizeof(h));
}

static int hostile_connreq(void)
{
	struct kfi_eq_cm_entry ev;
	struct tconn tc = {};
	struct socket *sock;
	int ret, kind, live = 0;

	ret = conn_listen(&tc);
	if (!ret)
		live = kfit_debug_live_objects();
	for (kind = 0; !ret && kind < BAD_REQ_MAX; kind++) {
		ret = raw_connect(ipaddr, tc.port, T_TIMEOUT_MS, &sock);
		if (ret)
			break;
		ret = send_bad_request(sock, kind);
		STEP(ret, raw_wait_closed(sock, t_deadline()));
		sock_release(sock);
		STEP(ret, live_back_to(live, t_deadline()));
		if (!ret && kfi_eq_read(tc.peq, &ev) != -EAGAIN) {
			pr_info("    # event %d for a bad request\n", ev.event);
			ret = -EPROTO;
		}
		if (ret)
			pr_info("    # bad request %d: %d\n", kind, ret);
	}
	STEP(ret, still_works(&tc));
	conn_close(&tc);
	return ret;
}

/* ------------------------------------------------------------------ */
/* A connected peer that breaks the protocol loses its connection */

enum { BAD_RSP_ID, BAD_OP, BAD_SEND_LEN, BAD_RSVD, BAD_DATA_MAX };

static int send_bad_data(struct socket *sock, int kind)
{
	struct kfit_hdr h;

	switch (kind) {
	case BAD_RSP_ID:	/* answers a write never asked for */
		raw_hdr(&h, KFIT_OP_WRITE_RSP, 0, 3, 0);
		break;
	case BAD_OP:
		raw_hdr(&h, KFIT_OP_MAX, 0, 0, 0);
		break;
	case BAD_SEND_LEN:
		raw_hdr(&h, KFIT_OP_SEND, KFIT_MAX_MSG + 1, 0, 0);
		break;
	default:
		raw_hdr(&h, KFIT_OP_CREDIT, 0, 0, 0);
		h.rsvd = 1;
		break;
	}
	return raw_send(sock, &h, sizeof(h));
}

/* The raw client's side of the handshake; the server accepts. */
static int raw_handshake(struct tconn *tc, struct socket *sock)
{
	struct kfit_hdr h;
	int ret;

	raw_hdr(&h, KFIT_OP_CONNREQ, 0, KFIT_MAGIC, 16);
	ret = raw_send(sock, &h, sizeof(h));
	STEP(ret, conn_server(tc, &def_opts));
	STEP(ret, wait_ev(tc->s.eq, KFI_CONNECTED, &tc->ev));
	STEP(ret, raw_recv(sock, &h, sizeof(h)));
	if (!ret && h.op != KFIT_OP_ACCEPT)
		ret = -EPROTO;
	return ret;
}

static int hostile_peer_one(struct tconn *tc, int kind)
{
	struct kfi_cq_entry e;
	struct socket *sock;
	int ret;

	ret = raw_connect(ipaddr, tc->port, T_TIMEOUT_MS, &sock);
	if (ret)
		return ret;
	ret = raw_handshake(tc, sock);
	STEP(ret, send_bad_data(sock, kind));
	STEP(ret, raw_wait_closed(sock, t_deadline()));
	/* The endpoint hears why; its receive (the spare) is flushed. */
	STEP(ret, wait_ev(tc->s.eq, KFI_SHUTDOWN, &tc->ev));
	if (!ret && tc->ev.err != -EPROTO)
		ret = -EPROTO;
	STEP(ret, wait_cq(&tc->s, &e));
	if (!ret && e.err != -ECANCELED)
		ret = -EPROTO;
	if (ret)
		pr_info("    # bad message %d: %d (event err %d)\n", kind, ret,
			tc->ev.err);
	sock_release(sock);
	side_close(&tc->s);
	return ret;
}

static int hostile_peer(void)
{
	struct tconn tc = {};
	int ret, kind;

	ret = conn_listen(&tc);
	for (kind = 0; !ret && kind < BAD_DATA_MAX; kind++)
		ret = hostile_peer_one(&tc, kind);
	STEP(ret, still_works(&tc));
	conn_close(&tc);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Remote accesses the registration does not allow */

/* One RMA of @len at @addr with @key: its completion's error. */
static int rma_err(struct tconn *tc, bool write, u64 addr, u64 len, u64 key)
{
	struct treq *r = treq_alloc(len);
	struct kfi_cq_entry e;
	int ret;

	if (!r)
		return -ENOMEM;
	fill(r->buf, len, 99);
	ret = post_rma(&tc->c, r, KFI_IOV_KVEC, write, addr, key, 0, 0);
	if (!ret)
		ret = wait_cq(&tc->c, &e);
	if (!ret && e.op_context != &r->kctx)
		ret = -EPROTO;
	if (!ret)
		ret = e.err;
	if (ret && ret != -EACCES)
		t_failed = true;
	treq_free(r);
	return ret;
}

#define T_MR_LEN	(2 * PAGE_SIZE)

static int mr_reg_buf(struct tconn *tc, void *buf, u64 access,
		      struct kfid_mr **mr)
{
	struct kvec kv = { buf, T_MR_LEN };
	struct kfi_iov iov = KFI_IOV_INIT(KFI_IOV_KVEC, kvec, &kv, 1);

	return kfi_mr_reg(tc->dom, &iov, access, mr, NULL);
}

static int rma_out_of_range(void)
{
	void *buf = kzalloc(T_MR_LEN, GFP_KERNEL);
	struct kfid_mr *mr = NULL;
	struct tconn tc = {};
	u64 base, key;
	int ret;

	ret = buf ? conn_open(&tc, &def_opts) : -ENOMEM;
	STEP(ret, mr_reg_buf(&tc, buf, KFI_REMOTE_READ | KFI_REMOTE_WRITE,
			     &mr));
	base = mr ? mr->iova : 0;
	key = mr ? mr->key : 0;
	/* Straddling the end, past it, and an address that wraps. */
	if (!ret && (rma_err(&tc, true, base + T_MR_LEN - 8, 16, key) !=
		     -EACCES ||
		     rma_err(&tc, false, base + T_MR_LEN, 1, key) != -EACCES ||
		     rma_err(&tc, true, base - 8, 16, key) != -EACCES ||
		     rma_err(&tc, false, U64_MAX - 7, 16, key) != -EACCES))
		ret = -EPROTO;
	/* The connection carries on: the last bytes are still writable. */
	STEP(ret, rma_err(&tc, true, base + T_MR_LEN - 16, 16, key));
	STEP(ret, check(buf + T_MR_LEN - 16, 16, 99));
	side_close(&tc.c);
	side_close(&tc.s);
	kfi_close(mr ? &mr->fid : NULL);
	conn_close(&tc);
	if (!t_failed)
		kfree(buf);
	return ret;
}

static int rma_stale_key(void)
{
	void *buf = kzalloc(T_MR_LEN, GFP_KERNEL);
	struct kfid_mr *mr = NULL, *ro = NULL;
	struct tconn tc = {};
	u64 old = 0;
	int ret;

	ret = buf ? conn_open(&tc, &def_opts) : -ENOMEM;
	STEP(ret, mr_reg_buf(&tc, buf, KFI_REMOTE_WRITE, &mr));
	STEP(ret, rma_err(&tc, true, mr->iova, 64, mr->key));
	if (!ret) {
		old = mr->key;
		kfi_close(&mr->fid);
		mr = NULL;
	}
	/* A new registration of the same bytes: the old key stays dead. */
	STEP(ret, mr_reg_buf(&tc, buf, KFI_REMOTE_WRITE, &mr));
	if (!ret && (mr->key == old ||
		     rma_err(&tc, true, mr->iova, 64, old) != -EACCES ||
		     rma_err(&tc, true, mr->iova, 64,
			     mr->key ^ BIT_ULL(40)) != -EACCES))
		ret = -EPROTO;
	STEP(ret, rma_err(&tc, true, mr->iova, 64, mr->key));
	/* A read-only registration refuses writes, serves reads. */
	STEP(ret, mr_reg_buf(&tc, buf, KFI_REMOTE_READ, &ro));
	if (!ret && rma_err(&tc, true, ro->iova, 64, ro->key) != -EACCES)
		ret = -EPROTO;
	STEP(ret, rma_err(&tc, false, ro->iova, 64, ro->key));
	side_close(&tc.c);
	side_close(&tc.s);
	kfi_close(mr ? &mr->fid : NULL);
	kfi_close(ro ? &ro->fid : NULL);
	conn_close(&tc);
	if (!t_failed)
		kfree(buf);
	return ret;
}

/*
 * A peer that stops in the middle of an RMA write does not hold the
 * target's MR: kfi_close() of it returns (in a work item, so that a hang
 * is a failed case and not a hung suite), the rest of the write is thrown
 * away and the peer hears ACCESS for it.
 */
#define T_STALL_SENT	100

/* Bounded wait until the server has put @n pattern bytes into @buf. */
static int wait_landed(const u8 *buf, int n)
{
	unsigned long end = t_deadline();

	while (READ_ONCE(buf[n - 1]) != 0x5a) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(500, 1000);
	}
	return 0;
}

static int mr_close_stalled(void)
{
	u8 *buf = kzalloc(T_MR_LEN, GFP_KERNEL), *junk = NULL;
	struct mr_closer c = {};
	struct tconn tc = {};
	struct socket *sock = NULL;
	struct kfit_hdr h;
	bool closed;
	int ret;

	junk = kmalloc(T_MR_LEN, GFP_KERNEL);
	ret = buf && junk ? conn_listen(&tc) : -ENOMEM;
	STEP(ret, raw_connect(ipaddr, tc.port, T_TIMEOUT_MS, &sock));
	STEP(ret, raw_handshake(&tc, sock));
	STEP(ret, mr_reg_buf(&tc, buf, KFI_REMOTE_WRITE, &c.mr));
	if (!ret) {
		memset(junk, 0x5a, T_MR_LEN);
		raw_hdr(&h, KFIT_OP_WRITE, T_MR_LEN, 0, c.mr->key);
		h.addr = cpu_to_le64(c.mr->iova);
		ret = raw_send(sock, &h, sizeof(h));
	}
	STEP(ret, raw_send(sock, junk, T_STALL_SENT));
	STEP(ret, wait_landed(buf, T_STALL_SENT));
	if (!ret) {
		mr_close_async(&c, c.mr);
		closed = wait_for_completion_timeout(&c.done,
						     msecs_to_jiffies(T_TIMEOUT_MS));
		if (!closed) {
			pr_info("    # the MR did not close under a stalled write\n");
			ret = -ETIMEDOUT;
		}
		/* The rest of the write; it also ends a close still waiting. */
		if (raw_send(sock, junk + T_STALL_SENT,
			     T_MR_LEN - T_STALL_SENT) && !ret)
			ret = -EIO;
		/* One complete(): consumed above unless that timed out. */
		if (!closed)
			wait_for_completion(&c.done);
		c.mr = NULL;
	}
	STEP(ret, raw_recv_hdr(sock, &h));
	if (!ret && (h.op != KFIT_OP_WRITE_RSP || h.id ||
		     h.status != KFIT_ST_ACCESS)) {
		pr_info("    # answer op %u status %u\n", h.op, h.status);
		ret = -EPROTO;
	}
	if (sock)
		sock_release(sock);
	side_close(&tc.s);
	kfi_close(c.mr ? &c.mr->fid : NULL);
	conn_close(&tc);
	kfree(junk);
	if (!ret)
		kfree(buf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Discovery */

/*
 * A consumer that names no provider is handed the tcp domain after every
 * entry of a hardware provider (kfi_provider.priority), so the first
 * entry is an RDMA device wherever one serves the address; one that names
 * tcp gets the tcp domain alone.
 */
static int getinfo_priority(void)
{
	struct kfi_info *hints = kfi_allocinfo(), *fi = NULL, *e;
	int ret, tcp = 0, before = 0, after = 0;

	KT_EXPECT(hints);
	ret = kfi_getinfo(KFI_VERSION(1, 0), ipaddr, "7471", 0, hints, &fi);
	for (e = ret ? NULL : fi; e; e = e->next) {
		if (!strcmp(e->fabric_attr.prov_name, "tcp"))
			tcp++;
		else if (tcp)
			after++;
		else
			before++;
	}
	pr_info("    # tcp entries %d, others before %d, after %d\n", tcp,
		before, after);
	if (!ret && (tcp != 1 || after))
		ret = -EPROTO;
	kfi_freeinfo(fi);
	fi = NULL;
	strscpy(hints->fabric_attr.prov_name, "tcp", KFI_NAME_MAX);
	if (!ret)
		ret = kfi_getinfo(KFI_VERSION(1, 0), ipaddr, "7471", 0, hints,
				  &fi);
	if (!ret && (!fi || fi->next || strcmp(fi->domain_attr.name, "tcp")))
		ret = -EPROTO;
	kfi_freeinfo(fi);
	kfi_freeinfo(hints);
	return ret;
}

/* ------------------------------------------------------------------ */
/* IPv6 */

/* The same connection and transfer over ::1 (the guest's loopback). */
static int connect_ipv6(void)
{
	struct sockaddr_in6 sin6 = {};
	size_t len = sizeof(sin6);
	char *v4 = ipaddr;
	struct tconn tc = {};
	int ret;

	ipaddr = "::1";
	ret = conn_open(&tc, &def_opts);
	ipaddr = v4;
	STEP(ret, xfer_one(&tc, 65536, KFI_IOV_BVEC, 0, 0));
	STEP(ret, kfi_getpeer(tc.c.ep, &sin6, &len));
	if (!ret && (sin6.sin6_family != AF_INET6 ||
		     !ipv6_addr_loopback(&sin6.sin6_addr) ||
		     ntohs(sin6.sin6_port) != tc.port))
		ret = -EPROTO;
	conn_close(&tc);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Grants ride on the messages that answer */

#define T_PP_RECVS	8
#define T_PP_ROUNDS	64

static struct treq **pp_reqs[2];	/* client's, server's receives */

static int prepost_pp(struct tside *s, bool server)
{
	return post_n(s, pp_reqs[server], T_PP_RECVS);
}

/* Send 32 bytes of @seed from @s; wait for the send's completion. */
static int pp_give(struct tside *s, struct treq *sr, u32 seed)
{
	struct kfi_cq_entry e;
	int ret;

	fill(sr->buf, 32, seed);
	ret = post_send(s, sr, KFI_IOV_KVEC, 0, 0);
	if (!ret)
		ret = wait_ok(s, &e);
	if (!ret && (e.op_context != &sr->kctx || !(e.flags & KFI_SEND)))
		ret = -EPROTO;
	return ret;
}

/* Take the 32 bytes of @seed on @s, then post that receive again. */
static int pp_take(struct tside *s, u32 seed)
{
	struct kfi_cq_entry e;
	int ret = wait_ok(s, &e);

	if (!ret && (!(e.flags & KFI_RECV) || e.len != 32))
		ret = -EPROTO;
	if (!ret)
		ret = check(treq_of(&e)->buf, 32, seed);
	if (!ret)
		ret = post_recv(s, treq_of(&e), KFI_IOV_KVEC);
	return ret;
}

/*
 * Ping-pong with 8 receives a side, each taken one reposted before the
 * answer goes: the answer carries the grant, the peer never has fewer
 * than 7 credits, and no CREDIT is sent on its own.  One for every
 * message would double the messages, and the peer's wakeups, of every
 * request-response consumer.
 */
static int credit_piggyback(void)
{
	struct topts o = { .depth = 16, .prepost = prepost_pp };
	struct treq *sr = treq_alloc(32);
	struct tconn tc = {};
	int ret = -ENOMEM, i, nc = 0, ns = 0;

	pp_reqs[0] = treqs_alloc(T_PP_RECVS, 32);
	pp_reqs[1] = treqs_alloc(T_PP_RECVS, 32);
	if (!pp_reqs[0] || !pp_reqs[1] || !sr)
		goto out;
	ret = conn_open(&tc, &o);
	for (i = 0; !ret && i < T_PP_ROUNDS; i++) {
		STEP(ret, pp_give(&tc.c, sr, 2 * i));
		STEP(ret, pp_take(&tc.s, 2 * i));
		STEP(ret, pp_give(&tc.s, sr, 2 * i + 1));
		STEP(ret, pp_take(&tc.c, 2 * i + 1));
	}
	if (!ret) {
		nc = kfit_debug_credit_msgs(tc.c.ep);
		ns = kfit_debug_credit_msgs(tc.s.ep);
	}
	if (nc || ns) {
		pr_info("    # CREDIT messages: client %d, server %d\n", nc, ns);
		ret = -EPROTO;
	}
out:
	conn_close(&tc);
	for (i = 0; i < 2; i++) {
		treqs_free(pp_reqs[i], T_PP_RECVS);
		pp_reqs[i] = NULL;
	}
	treq_free(sr);
	return ret;
}

static const struct kt_case tcp_cases[] = {
	KT_CASE(getinfo_priority),
	KT_CASE(hostile_connreq),
	KT_CASE(hostile_peer),
	KT_CASE(rma_out_of_range),
	KT_CASE(rma_stale_key),
	KT_CASE(mr_close_stalled),
	KT_CASE(connect_ipv6),
	KT_CASE(credit_piggyback),
	KT_CASE(rma_write_by_ref),
};

static int __init kfi_test_tcp_init(void)
{
	kt_run_prov(&tcp_prov, tcp_cases, ARRAY_SIZE(tcp_cases));
	return 0;
}

static void __exit kfi_test_tcp_exit(void)
{
}

module_init(kfi_test_tcp_init);
module_exit(kfi_test_tcp_exit);

MODULE_DESCRIPTION("kfabric TCP provider tests");
MODULE_LICENSE("GPL");
