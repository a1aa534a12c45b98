// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric TCP provider: connection management.
 *
 * The active side connects a non-blocking socket and queues CONNREQ (its
 * private data and initial grant); its work item sends it once the socket
 * is up and waits for ACCEPT or REJECT.  The passive side accepts sockets
 * from a work item of the listener, reads each CONNREQ from a work item of
 * its own (a slow or silent peer holds up nobody else), and reports
 * KFI_CONNREQ; kfi_accept() queues ACCEPT on the endpoint that claimed the
 * socket, kfi_reject() sends REJECT and closes it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "kfi_compat.h"
#include "kfi_tcp.h"

#define KFIT_BACKLOG	128

/* ------------------------------------------------------------------ */
/* Socket callbacks: they only queue work */

static void kfit_sk_event(struct sock *sk)
{
	struct kfit_sk *s;

	read_lock_bh(&sk->sk_callback_lock);
	s = sk->sk_user_data;
	if (s)
		queue_work(kfit_wq, s->work);
	read_unlock_bh(&sk->sk_callback_lock);
}

/**
 * kfit_sk_hook() - route @sock's callbacks to @work
 * @sock: the socket
 * @s: keeps the socket's own callbacks
 * @work: queued on data, room to write and state changes
 *
 * Context: process.
 */
void kfit_sk_hook(struct socket *sock, struct kfit_sk *s,
		  struct work_struct *work)
{
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	s->work = work;
	s->data_ready = sk->sk_data_ready;
	s->write_space = sk->sk_write_space;
	s->state_change = sk->sk_state_change;
	sk->sk_user_data = s;
	sk->sk_data_ready = kfit_sk_event;
	sk->sk_write_space = kfit_sk_event;
	sk->sk_state_change = kfit_sk_event;
	write_unlock_bh(&sk->sk_callback_lock);
}

/**
 * kfit_sk_unhook() - give @sock its own callbacks back
 * @sock: the socket
 * @s: what kfit_sk_hook() kept
 *
 * Once this returns no callback queues the work any more; the caller
 * then cancels it.  Context: process.
 */
void kfit_sk_unhook(struct socket *sock, struct kfit_sk *s)
{
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == s) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = s->data_ready;
		sk->sk_write_space = s->write_space;
		sk->sk_state_change = s->state_change;
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * No Nagle delay for small messages; and a peer that vanishes without a
 * word (host or link down) is noticed: keepalive probes after 10 s of
 * silence, 5 s apart, 3 of them; unacknowledged data for 30 s.  Either
 * ends the connection with -ETIMEDOUT (KFI_SHUTDOWN).
 */
static void kfit_sock_tune(struct sock *sk)
{
	tcp_sock_set_nodelay(sk);
	sock_set_keepalive(sk);
	tcp_sock_set_keepidle(sk, 10);
	tcp_sock_set_keepintvl(sk, 5);
	tcp_sock_set_keepcnt(sk, 3);
	tcp_sock_set_user_timeout(sk, 30 * MSEC_PER_SEC);
}

static int kfit_sock_new(sa_family_t family, struct socket **sock)
{
	int ret;

	ret = sock_create_kern(&init_net, family, SOCK_STREAM, IPPROTO_TCP,
			       sock);
	if (ret)
		return ret;
	kfit_sock_tune((*sock)->sk);
	return 0;
}

static int kfit_addr_len(const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return -EAFNOSUPPORT;
	}
}

/*
 * One budget for every line a peer can make us write, however many
 * connections it opens: at most 32 in 5 s.
 */
static DEFINE_RATELIMIT_STATE(kfit_drop_rs, 5 * HZ, 32);

/**
 * kfit_log_drop() - say in the kernel log why a peer lost its connection
 * @sock: its socket, before it is shut down (for the peer's address)
 * @why: the reason, for the reader of the log
 *
 * Context: process.
 */
void kfit_log_drop(struct socket *sock, const char *why)
{
	struct sockaddr_storage ss;

	if (!__ratelimit(&kfit_drop_rs))
		return;
	if (kernel_getpeername(sock, (struct sockaddr *)&ss) > 0)
		pr_info("peer %pISpc: %s: connection dropped\n", &ss, why);
	else
		pr_info("%s: connection dropped\n", why);
}

/* ------------------------------------------------------------------ */
/* Passive side */

static struct kfit_pep *to_kfit_pep(struct kfid_pep *pep)
{
	return container_of(pep, struct kfit_pep, base);
}

static void kfit_creq_free(struct kfit_creq *c)
{
	if (c->sock)
		sock_release(c->sock);
	kfree(c);
	atomic_dec(&kfit_live);
}

static void kfit_creq_drop(struct kfit_creq *c)
{
	if (c->sock)
		kfit_sk_unhook(c->sock, &c->sk);
	kfit_creq_free(c);
}

/* Read what there is of the request: 1 when whole, 0 for more, <0 bad. */
static int kfit_creq_read(struct kfit_creq *c)
{
	const struct kfit_limits lim = { .passive = true };
	struct msghdr mh = { .msg_flags = MSG_DONTWAIT };
	u32 want = KFIT_HDR_LEN;
	struct kvec kv;
	int ret;

	for (;;) {
		if (c->got == KFIT_HDR_LEN &&
		    kfit_hdr_parse(c->hdr, KFIT_HDR_LEN, &lim, &c->msg))
			return -EPROTO;
		if (c->got >= KFIT_HDR_LEN)
			want = KFIT_HDR_LEN + c->msg.len;
		if (c->got == want)
			return 1;
		if (c->got < KFIT_HDR_LEN)
			kv = (struct kvec){ c->hdr + c->got,
					    KFIT_HDR_LEN - c->got };
		else
			kv = (struct kvec){ c->data + c->got - KFIT_HDR_LEN,
					    want - c->got };
		ret = kernel_recvmsg(c->sock, &mh, &kv, 1, kv.iov_len,
				     MSG_DONTWAIT);
		if (ret == -EAGAIN)
			return 0;
		if (ret <= 0)
			return ret ?: -ECONNRESET;
		c->got += ret;
	}
}

/* Report a complete request; on failure the caller drops it. */
static int kfit_creq_report(struct kfit_creq *c)
{
	struct kfi_eq_cm_entry entry = {
		.event = KFI_CONNREQ,
		.fid = &c->pep->base.fid,
		.datalen = c->msg.len,
	};
	struct kfi_info *info = kfi_dupinfo(&c->pep->base.info);
	int ret;

	if (!info)
		return -ENOMEM;
	info->next = NULL;
	info->handle = &c->base;
	ret = kernel_getpeername(c->sock, (struct sockaddr *)&info->dest_addr);
	if (ret > 0) {
		info->dest_addrlen = ret;
		ret = kernel_getsockname(c->sock,
					 (struct sockaddr *)&info->src_addr);
	}
	if (ret <= 0) {
		kfi_freeinfo(info);
		return ret ?: -ENOTCONN;
	}
	info->src_addrlen = ret;
	entry.info = info;
	memcpy(entry.data, c->data, c->msg.len);
	c->base.pep = &c->pep->base;
	ret = kfi_eq_report(c->pep->base.eq, &entry, GFP_KERNEL);
	if (ret) {
		info->handle = NULL;
		kfi_freeinfo(info);
	}
	return ret;
}

static void kfit_creq_work(struct work_struct *work)
{
	struct kfit_creq *c = container_of(work, struct kfit_creq, work);
	struct kfit_pep *p = c->pep;
	int ret;

	mutex_lock(&p->lock);
	if (p->closing) {
		/* ->pep_close owns every request on the list now. */
		mutex_unlock(&p->lock);
		return;
	}
	/* Dropped for a newer one: kfit_pep_work() frees it. */
	if (list_empty(&c->node)) {
		mutex_unlock(&p->lock);
		return;
	}
	ret = kfit_creq_read(c);
	if (ret == 0) {
		mutex_unlock(&p->lock);
		return;
	}
	list_del_init(&c->node);
	p->npending--;
	/* Done reading: no callback queues us from here, none is pending. */
	kfit_sk_unhook(c->sock, &c->sk);
	cancel_work(&c->work);
	if (ret > 0)
		ret = kfit_creq_report(c);
	mutex_unlock(&p->lock);
	/* Reported, @c is the core's and may be gone already. */
	if (ret < 0) {
		/* A port probe (nothing sent) is no news for the log. */
		if (ret == -EPROTO)
			kfit_log_drop(c->sock, "bad connection request");
		else if (c->got)
			kfit_log_drop(c->sock, "connection request cut short");
		kfit_creq_free(c);
	}
}

/*
 * One request more than KFIT_MAX_PENDING: take the one that has waited
 * longest off the list; p->lock held.  Return: it, for the caller to
 * free once the lock is dropped, or NULL.
 */
static struct kfit_creq *kfit_creq_evict(struct kfit_pep *p)
{
	struct kfit_creq *old;

	lockdep_assert_held(&p->lock);
	if (p->npending <= KFIT_MAX_PENDING)
		return NULL;
	old = list_first_entry(&p->creqs, struct kfit_creq, node);
	list_del_init(&old->node);
	p->npending--;
	return old;
}

static void kfit_pep_work(struct work_struct *work)
{
	struct kfit_pep *p = container_of(work, struct kfit_pep, work);
	struct kfit_creq *c, *old;
	struct socket *ns;

	for (;;) {
		if (kernel_accept(p->sock, &ns, O_NONBLOCK))
			return;
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (!c) {
			sock_release(ns);
			continue;
		}
		atomic_inc(&kfit_live);
		kfit_sock_tune(ns->sk);
		c->pep = p;
		c->sock = ns;
		INIT_WORK(&c->work, kfit_creq_work);
		mutex_lock(&p->lock);
		if (p->closing) {
			mutex_unlock(&p->lock);
			kfit_creq_drop(c);
			return;
		}
		list_add_tail(&c->node, &p->creqs);
		p->npending++;
		old = kfit_creq_evict(p);
		kfit_sk_hook(ns, &c->sk, &c->work);
		mutex_unlock(&p->lock);
		queue_work(kfit_wq, &c->work);
		if (old) {
			kfit_log_drop(old->sock,
				      "too many connection requests pending");
			kfit_sk_unhook(old->sock, &old->sk);
			/* Off the list: if it runs now, it only returns. */
			cancel_work_sync(&old->work);
			kfit_creq_free(old);
		}
	}
}

int kfit_pep_open(struct kfid_pep *pep)
{
	struct kfit_pep *p = to_kfit_pep(pep);

	mutex_init(&p->lock);
	INIT_LIST_HEAD(&p->creqs);
	INIT_WORK(&p->work, kfit_pep_work);
	atomic_inc(&kfit_live);
	return 0;
}

int kfit_pep_listen(struct kfid_pep *pep)
{
	struct kfit_pep *p = to_kfit_pep(pep);
	struct sockaddr_storage *ss = &pep->info.src_addr;
	int len = kfit_addr_len(ss), ret;

	if (len < 0 || !pep->info.src_addrlen)
		return -EINVAL;
	ret = kfit_sock_new(ss->ss_family, &p->sock);
	if (ret)
		return ret;
	sock_set_reuseaddr(p->sock->sk);
	ret = kfi_kernel_bind(p->sock, ss, len);
	if (!ret)
		ret = kernel_listen(p->sock, KFIT_BACKLOG);
	if (ret) {
		sock_release(p->sock);
		p->sock = NULL;
		return ret;
	}
	kfit_sk_hook(p->sock, &p->sk, &p->work);
	/* Connections that came before the hook. */
	queue_work(kfit_wq, &p->work);
	return 0;
}

void kfit_pep_close(struct kfid_pep *pep)
{
	struct kfit_pep *p = to_kfit_pep(pep);
	struct kfit_creq *c, *n;
	LIST_HEAD(creqs);

	if (p->sock)
		kfit_sk_unhook(p->sock, &p->sk);
	cancel_work_sync(&p->work);
	mutex_lock(&p->lock);
	p->closing = true;
	list_splice_init(&p->creqs, &creqs);
	p->npending = 0;
	mutex_unlock(&p->lock);
	list_for_each_entry_safe(c, n, &creqs, node) {
		kfit_sk_unhook(c->sock, &c->sk);
		cancel_work_sync(&c->work);
		list_del(&c->node);
		kfit_creq_drop(c);
	}
	if (p->sock)
		sock_release(p->sock);
	p->sock = NULL;
	atomic_dec(&kfit_live);
}

void kfit_connreq_free(struct kfi_connreq *creq)
{
	kfit_creq_free(container_of(creq, struct kfit_creq, base));
}

/* Send one CM message on a socket no work item drives (reject). */
static int kfit_send_cm(struct socket *sock, u8 op, const void *data, u32 len)
{
	struct kfit_msg m = { .op = op, .len = len, .id = KFIT_MAGIC };
	struct msghdr mh = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kfit_hdr h;
	struct kvec kv[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	int ret;

	kfit_hdr_build(&h, &m);
	ret = kernel_sendmsg(sock, &mh, kv, len ? 2 : 1, sizeof(h) + len);
	return ret == sizeof(h) + len ? 0 : ret < 0 ? ret : -EIO;
}

int kfit_reject(struct kfid_pep *pep, struct kfi_connreq *creq,
		const void *param, u32 paramlen)
{
	struct kfit_creq *c = container_of(creq, struct kfit_creq, base);
	int ret;

	if (!c->sock)
		return -EINVAL;
	ret = kfit_send_cm(c->sock, KFIT_OP_REJECT, param, paramlen);
	kernel_sock_shutdown(c->sock, SHUT_WR);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Active side, accept and shutdown */

/*
 * The credits a handshake grants: the receives posted so far; on a shared
 * receive context a full window, kept full by granting one back for each
 * message taken (the peer is held back by TCP when no receive waits).
 */
static u32 kfit_first_grant(struct kfid_ep *ep)
{
	if (ep->srx)
		return KFIT_MAX_CREDITS;
	return min_t(u32, kfi_credit_take_grant(ep), KFIT_MAX_CREDITS);
}

int kfit_connect(struct kfid_ep *ep, const void *param, u32 paramlen)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	struct sockaddr_storage *ss = &ep->info.dest_addr;
	int len = kfit_addr_len(ss), ret;
	unsigned long flags;

	if (len < 0 || !ep->info.dest_addrlen || e->sock)
		return -EINVAL;
	ret = kfit_sock_new(ss->ss_family, &e->sock);
	if (ret)
		return ret;
	spin_lock_irqsave(&e->lock, flags);
	e->phase = KFIT_CONNECTING;
	spin_unlock_irqrestore(&e->lock, flags);
	kfit_ctrl_queue(e, KFIT_OP_CONNREQ, param, paramlen,
			kfit_first_grant(ep));
	kfit_sk_hook(e->sock, &e->sk, &e->work);
	ret = kfi_kernel_connect(e->sock, ss, len, O_NONBLOCK);
	if (ret && ret != -EINPROGRESS) {
		kfit_sk_unhook(e->sock, &e->sk);
		cancel_work_sync(&e->work);
		sock_release(e->sock);
		e->sock = NULL;
		spin_lock_irqsave(&e->lock, flags);
		list_del_init(&e->ctrl.node);
		e->ctrl_queued = false;
		e->phase = KFIT_IDLE;
		spin_unlock_irqrestore(&e->lock, flags);
		return ret;
	}
	kfit_kick(e);
	return 0;
}

int kfit_accept(struct kfid_ep *ep, const void *param, u32 paramlen)
{
	struct kfit_ep *e = to_kfit_ep(ep);
	unsigned long flags;

	if (!e->sock)
		return -EINVAL;
	if (kfit_rsp_alloc(e, e->peer_rma))
		return -ENOMEM;
	kfi_credit_init(ep, e->peer_credits, 0);
	kfit_ctrl_queue(e, KFIT_OP_ACCEPT, param, paramlen,
			kfit_first_grant(ep));
	spin_lock_irqsave(&e->lock, flags);
	e->phase = KFIT_CONNECTED;
	spin_unlock_irqrestore(&e->lock, flags);
	kfi_ep_set_state(ep, KFI_EP_CONNECTED);
	/* TCP keeps order: ACCEPT reaches the peer before any of our data. */
	if (ep->eq) {
		struct kfi_eq_cm_entry entry = {
			.event = KFI_CONNECTED,
			.fid = &ep->fid,
		};

		kfi_eq_report(ep->eq, &entry, GFP_KERNEL);
	}
	kfit_sk_hook(e->sock, &e->sk, &e->work);
	kfit_kick(e);
	return 0;
}

int kfit_shutdown(struct kfid_ep *ep)
{
	struct kfit_ep *e = to_kfit_ep(ep);

	WRITE_ONCE(e->local_shutdown, true);
	kfit_kick(e);
	return 0;
}

static int kfit_name(struct socket *sock, bool peer, void *addr,
		     size_t *addrlen)
{
	struct sockaddr_storage ss;
	int ret;

	if (!sock)
		return -ENOTCONN;
	ret = peer ? kernel_getpeername(sock, (struct sockaddr *)&ss) :
		     kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (ret < 0)
		return ret;
	if (*addrlen < ret) {
		*addrlen = ret;
		return -ETOOSMALL;
	}
	memcpy(addr, &ss, ret);
	*addrlen = ret;
	return 0;
}

int kfit_getname(struct kfid *fid, void *addr, size_t *addrlen)
{
	if (fid->fclass == KFI_CLASS_PEP)
		return kfit_name(container_of(fid, struct kfit_pep,
					      base.fid)->sock, false, addr,
				 addrlen);
	return kfit_name(container_of(fid, struct kfit_ep, base.fid)->sock,
			 false, addr, addrlen);
}

int kfit_getpeer(struct kfid_ep *ep, void *addr, size_t *addrlen)
{
	return kfit_name(to_kfit_ep(ep)->sock, true, addr, addrlen);
}
