// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv target: listening, accepting and tearing down connections.
 *
 * Lifetimes: a store owns its listener and its connections; a connection
 * is torn down by its release_work only (claimed once with
 * KFKV_TCONN_DEAD): it shuts the endpoint down, which fails every post
 * from then on and hands back every operation posted, lets the request
 * in progress finish, closes its objects in reverse order of opening and
 * gives its reservations back.  Disabling a store stops the listener,
 * kills every connection and waits for their release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include "kfkv_target.h"

/* How long teardown waits for a handshake in progress to end. */
#define KFKV_HANDSHAKE_WAIT	(5 * HZ)
/* Local entries of one RMA, at most. */
#define KFKV_IOV_MAX		64

void kfkv_tconn_error(struct kfkv_tconn *conn, const char *why)
{
	if (test_and_set_bit(KFKV_TCONN_DEAD, &conn->flags))
		return;
	pr_info("%s: closing connection from %s: %s\n", conn->store->name,
		conn->peer, why);
	wake_up(&conn->wait);
	queue_work(kfkv_tgt_release_wq, &conn->release_work);
}

/* Close what kfkv_tconn_open() opened, in reverse order; NULLs skipped. */
static void kfkv_tconn_close(struct kfkv_tconn *conn)
{
	if (conn->ep)
		kfi_close(&conn->ep->fid);
	if (conn->eq)
		kfi_close(&conn->eq->fid);
	if (conn->cq)
		kfi_close(&conn->cq->fid);
	if (conn->domain)
		kfi_close(&conn->domain->fid);
	kvfree(conn->slots);
	kfree(conn->bvec);
}

static void kfkv_tconn_release(struct work_struct *work)
{
	struct kfkv_tconn *conn = container_of(work, struct kfkv_tconn,
					       release_work);
	struct kfkv_store *st = conn->store;

	/* A disconnect before the handshake ends would not reach the peer. */
	wait_event_timeout(conn->wait,
			   READ_ONCE(conn->ep->state) != KFI_EP_CONNECTING,
			   KFKV_HANDSHAKE_WAIT);
	kfi_shutdown(conn->ep, 0);
	/*
	 * DEAD is set: the request in progress stops at its next step and
	 * no other starts; every post fails and what was posted is flushed,
	 * so its waits end.  Completions that still come find DEAD and queue
	 * nothing, so once the endpoint is closed nothing runs any more.
	 */
	flush_work(&conn->req_work);
	kfkv_tconn_close(conn);
	flush_work(&conn->req_work);

	mutex_lock(&st->lock);
	list_del(&conn->entry);
	st->nr_conns--;
	st->io_reserved_kb -= st->max_value >> 10;
	mutex_unlock(&st->lock);
	wake_up(&st->conns_wait);
	kfree(conn);
}

static void kfkv_tconn_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfkv_tconn *conn = arg;

	switch (e->event) {
	case KFI_CONNECTED:
		pr_info("%s: client %s connected\n", conn->store->name,
			conn->peer);
		break;
	case KFI_SHUTDOWN:
		kfkv_tconn_error(conn, "disconnected");
		break;
	default:
		kfkv_tconn_error(conn, "connection error");
		break;
	}
	wake_up(&conn->wait);
}

static int kfkv_tconn_open(struct kfkv_tconn *conn, struct kfi_info *info)
{
	struct kfkv_store *st = conn->store;
	struct kfi_cq_attr cq_attr = {
		.size = 2 * conn->nr_slots + KFKV_RMA_WINDOW,
		.poll_ctx = KFI_POLL_SOFTIRQ,
		.comp_vector = -1,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 16,
		.handler = kfkv_tconn_event,
		.handler_arg = conn,
	};
	u32 i;
	int ret;

	ret = kfi_domain(st->fabric, info, &conn->domain, conn) ?:
	      kfi_cq_open(conn->domain, &cq_attr, &conn->cq, conn) ?:
	      kfi_eq_open(st->fabric, &eq_attr, &conn->eq, conn);
	if (ret)
		return ret;
	info->tx_attr.size = conn->nr_slots + KFKV_RMA_WINDOW;
	info->tx_attr.iov_limit = conn->iov_limit;
	info->rx_attr.size = conn->nr_slots;
	ret = kfi_endpoint(conn->domain, info, &conn->ep, conn);
	if (ret)
		return ret;
	conn->ep->credit_ready = kfkv_tconn_credit_ready;
	ret = kfi_ep_bind(conn->ep, &conn->cq->fid, KFI_TRANSMIT | KFI_RECEIVE) ?:
	      kfi_ep_bind(conn->ep, &conn->eq->fid, 0) ?:
	      kfi_enable(conn->ep);
	for (i = 0; !ret && i < conn->nr_slots; i++)
		ret = kfkv_slot_post_recv(&conn->slots[i]);
	return ret;
}

static bool kfkv_same_host(const struct sockaddr_storage *a,
			   const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr);
	return false;
}

/* Which limit a new connection from @peer would pass, or NULL. */
static const char *kfkv_store_over(struct kfkv_store *st,
				   const struct sockaddr_storage *peer)
{
	struct kfkv_tconn *conn;
	u32 same = 0;

	lockdep_assert_held(&st->lock);
	if (st->nr_conns >= st->lim.max_conns)
		return "max_connections";
	list_for_each_entry(conn, &st->conns, entry)
		same += kfkv_same_host(&conn->peer_addr, peer);
	if (same >= st->lim.max_conns_per_peer)
		return "max_connections_per_peer";
	/* Each connection stages at most one value at a time. */
	if (st->io_reserved_kb + (st->max_value >> 10) > st->lim.io_kb)
		return "max_memory_kb";
	return NULL;
}

static int kfkv_tconn_alloc(struct kfkv_tconn *conn)
{
	u32 i;

	conn->slots = kvcalloc(conn->nr_slots, sizeof(*conn->slots),
			       GFP_KERNEL);
	conn->bvec = kcalloc(conn->iov_limit, sizeof(*conn->bvec),
			     GFP_KERNEL);
	if (!conn->slots || !conn->bvec)
		return -ENOMEM;
	for (i = 0; i < conn->nr_slots; i++)
		kfkv_slot_init(&conn->slots[i], conn);
	return 0;
}

static struct kfkv_tconn *kfkv_tconn_new(struct kfkv_store *st,
					 const struct kfi_info *info,
					 const struct kfkv_cm_rep_info *ri)
{
	u32 key_size = info->domain_attr.mr_key_size;
	struct kfkv_tconn *conn;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return NULL;
	conn->store = st;
	conn->peer_addr = info->dest_addr;
	snprintf(conn->peer, sizeof(conn->peer), "%pISpc", &info->dest_addr);
	conn->nr_slots = ri->depth * KFKV_SLOTS_PER_TAG + 1;
	conn->iov_limit = clamp_t(u32, info->tx_attr.iov_limit, 1,
				  KFKV_IOV_MAX);
	conn->key_max = key_size && key_size < sizeof(u64) ?
			BIT_ULL(key_size * 8) - 1 : U64_MAX;
	conn->lim = (struct kfkv_limits){
		.depth = ri->depth,
		.max_segs = ri->max_segs,
		.inline_max = ri->inline_max,
		.max_value = ri->max_value,
	};
	/* With a secret, nothing is served before the client's proof. */
	conn->authed = !(ri->flags & KFKV_CM_AUTH);
	memcpy(conn->nonce, ri->nonce, sizeof(conn->nonce));
	init_llist_head(&conn->work);
	INIT_WORK(&conn->req_work, kfkv_tconn_req_work);
	INIT_WORK(&conn->release_work, kfkv_tconn_release);
	init_waitqueue_head(&conn->wait);
	kfkv_tconn_ctx_init(conn);
	return conn;
}

static u16 kfkv_tconn_create(struct kfkv_store *st, struct kfi_info *info,
			     const struct kfkv_cm_req_info *qi)
{
	struct kfkv_cm_rep_info ri = {
		.depth = min_t(u32, qi->depth, st->lim.max_depth),
		.max_segs = KFKV_MAX_SEGS,
		.inline_max = KFKV_INLINE_LIMIT,
		.max_value = st->max_value,
	};
	const char *over = kfkv_store_over(st, &info->dest_addr);
	struct kfkv_tconn *conn;
	struct kfkv_cm_rep rep;
	int ret;

	lockdep_assert_held(&st->lock);
	if (st->secret_len) {
		ri.flags = KFKV_CM_AUTH;
		get_random_bytes(ri.nonce, sizeof(ri.nonce));
	}
	if (over) {
		pr_warn_ratelimited("%s: refusing a connection from %pISc: %s reached\n",
				    st->name, &info->dest_addr, over);
		return KFKV_ST_BUSY;
	}
	conn = kfkv_tconn_new(st, info, &ri);
	if (!conn)
		return KFKV_ST_BUSY;
	ret = kfkv_tconn_alloc(conn) ?: kfkv_tconn_open(conn, info);
	kfkv_cm_rep_build(&rep, &ri);
	if (!ret)
		ret = kfi_accept(conn->ep, &rep, sizeof(rep));
	if (ret) {
		pr_err("%s: cannot accept %s: %d\n", st->name, conn->peer, ret);
		set_bit(KFKV_TCONN_DEAD, &conn->flags);
		kfkv_tconn_close(conn);
		kfree(conn);
		return KFKV_ST_BUSY;
	}
	list_add_tail(&conn->entry, &st->conns);
	st->nr_conns++;
	st->io_reserved_kb += st->max_value >> 10;
	return KFKV_ST_OK;
}

static void kfkv_store_connreq(struct kfkv_store *st,
			       const struct kfi_eq_cm_entry *e)
{
	struct kfi_info *info = e->info;
	struct kfkv_cm_rep_info ri = {};
	struct kfkv_cm_req_info qi;
	struct kfkv_cm_rep rep;
	u16 status;

	status = kfkv_cm_req_parse(e->data, e->datalen, &qi);
	if (status == KFKV_ST_OK && strcmp(qi.store, st->name))
		status = KFKV_ST_NOSTORE;
	mutex_lock(&st->lock);
	if (!st->enabled) {
		/* The listener is being closed: kfi_freeinfo() rejects. */
		mutex_unlock(&st->lock);
		kfi_freeinfo(info);
		return;
	}
	if (status == KFKV_ST_OK)
		status = kfkv_tconn_create(st, info, &qi);
	if (status != KFKV_ST_OK && status != KFKV_ST_BUSY)
		pr_info_ratelimited("%s: rejecting a connection from %pISc: %s\n",
				    st->name, &info->dest_addr,
				    kfkv_status_str(status));
	if (status != KFKV_ST_OK) {
		ri.status = status;
		kfkv_cm_rep_build(&rep, &ri);
		kfi_reject(st->pep, info->handle, &rep, sizeof(rep));
	}
	mutex_unlock(&st->lock);
	kfi_freeinfo(info);
}

static void kfkv_store_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfkv_store *st = arg;

	if (e->event == KFI_CONNREQ)
		kfkv_store_connreq(st, e);
	else
		pr_warn("%s: listener event %d (%d)\n", st->name, e->event,
			e->err);
}

static int kfkv_store_listen(struct kfkv_store *st)
{
	struct kfi_info hints = {
		.caps = KFI_MSG | KFI_RMA,
		.ep_attr.type = KFI_EP_MSG,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 64,
		.handler = kfkv_store_event,
		.handler_arg = st,
	};
	struct kfi_info *info;
	char port[8];
	int ret;

	snprintf(port, sizeof(port), "%u", st->port);
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  st->addr, port, KFI_SOURCE, &hints, &info);
	if (ret)
		return ret;
	ret = kfi_fabric(&info->fabric_attr, &st->fabric, st) ?:
	      kfi_eq_open(st->fabric, &eq_attr, &st->eq, st) ?:
	      kfi_passive_ep(st->fabric, info, &st->pep, st) ?:
	      kfi_pep_bind(st->pep, st->eq) ?:
	      kfi_listen(st->pep);
	kfi_freeinfo(info);
	if (!ret)
		return 0;
	kfi_close(st->pep ? &st->pep->fid : NULL);
	kfi_close(st->eq ? &st->eq->fid : NULL);
	kfi_close(st->fabric ? &st->fabric->fid : NULL);
	st->pep = NULL;
	st->eq = NULL;
	st->fabric = NULL;
	return ret;
}

/**
 * kfkv_store_enable() - open the backend and listen
 * @st: a configured store
 *
 * Context: process; @st->lock held.
 * Return: 0 or a negative errno, with nothing left open.
 */
int kfkv_store_enable(struct kfkv_store *st)
{
	int ret = 0;

	lockdep_assert_held(&st->lock);
	if (st->backend == KFKV_BACKEND_DIR)
		ret = kfkv_dir_open(st);
	if (ret) {
		pr_err("%s: cannot open %s: %d\n", st->name, st->path, ret);
		return ret;
	}
	ret = kfkv_store_listen(st);
	if (ret) {
		pr_err("%s: cannot listen on %s port %u: %d\n", st->name,
		       st->addr, st->port, ret);
		if (st->backend == KFKV_BACKEND_DIR)
			kfkv_dir_close(st);
		return ret;
	}
	st->enabled = true;
	pr_info("%s: serving %llu objects on %s port %u\n", st->name,
		st->nr_objs, st->addr, st->port);
	return 0;
}

/**
 * kfkv_store_disable() - stop listening, drop every client, close
 * @st: an enabled store; the caller cleared @st->enabled under the lock
 *
 * A mem store keeps its objects until it is removed; a dir store lets go
 * of its directory (the files stay) and reads it again when re-enabled.
 *
 * Context: process; @st->lock not held (event handlers take it).
 */
void kfkv_store_disable(struct kfkv_store *st)
{
	struct kfkv_tconn *conn;

	kfi_close(&st->pep->fid);
	mutex_lock(&st->lock);
	list_for_each_entry(conn, &st->conns, entry)
		kfkv_tconn_error(conn, "store disabled");
	mutex_unlock(&st->lock);
	wait_event(st->conns_wait, !READ_ONCE(st->nr_conns));
	kfi_close(&st->eq->fid);
	kfi_close(&st->fabric->fid);
	if (st->backend == KFKV_BACKEND_DIR)
		kfkv_dir_close(st);

	mutex_lock(&st->lock);
	st->pep = NULL;
	st->eq = NULL;
	st->fabric = NULL;
	mutex_unlock(&st->lock);
	pr_info("%s: store stopped\n", st->name);
}
