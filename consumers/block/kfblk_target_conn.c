// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk target: listening, accepting and tearing down connections.
 *
 * Lifetimes: an export owns its listener and its connections; a connection
 * is torn down by its release_work only (claimed once with
 * KFBLK_TCONN_DEAD), which shuts the endpoint down, waits until no slot
 * holds a command (bios finish, posts then fail), and closes its objects
 * in reverse order of opening.  Disabling an export stops the listener,
 * kills every connection and waits for their release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <net/ipv6.h>
#include "kfblk_target.h"

/* Commands one connection may have outstanding (the client may ask less). */
unsigned int kfblk_tgt_max_depth = 128;
module_param_named(max_queue_depth, kfblk_tgt_max_depth, uint, 0444);
MODULE_PARM_DESC(max_queue_depth, "Default of a new export's max_queue_depth (1-1024, default 128)");

/*
 * Receives posted per connection, as a multiple of the depth: a slot comes
 * back only when the response's send completes, which can be after the
 * client has seen the response and reused the tag.
 */
#define KFBLK_SLOTS_PER_TAG	2

/* How long teardown waits for a handshake in progress to end. */
#define KFBLK_HANDSHAKE_WAIT	(5 * HZ)

/* A teardown slower than this says in the log what it waited for. */
#define KFBLK_RELEASE_SLOW	(5 * HZ)

void kfblk_tconn_error(struct kfblk_tconn *conn, const char *why)
{
	if (test_and_set_bit(KFBLK_TCONN_DEAD, &conn->flags))
		return;
	pr_info("%s: closing connection from %s: %s\n", conn->export->name,
		conn->peer, why);
	/*
	 * Not on kfblk_tgt_wq: teardown flushes io_work and cancels the
	 * watchdog, which run there, and a work must not wait on its own
	 * (reclaim) workqueue.
	 */
	queue_work(kfblk_tgt_release_wq, &conn->release_work);
}

static void kfblk_tconn_free_slots(struct kfblk_tconn *conn)
{
	u32 i;

	if (!conn->slots)
		return;
	for (i = 0; i < conn->nr_slots; i++) {
		struct kfblk_slot *slot = &conn->slots[i];

		/* The endpoint is closed: the device is done with them. */
		if (slot->stranded)
			kfblk_slot_put_pages(slot);
		/* Finished commands gave their pages to the pool. */
		WARN_ON_ONCE(slot->nr_pages);
		if (slot->inl)
			__free_page(slot->inl);
		kfree(slot->pages);
		kfree(slot->bvec);
		kfree(slot->rma);
	}
	kfree(conn->slots);
	kfblk_tconn_free_pages(conn);
}

static int kfblk_tconn_alloc_slots(struct kfblk_tconn *conn)
{
	u16 nr_rma = DIV_ROUND_UP(conn->max_pages, conn->iov_limit);
	u32 i;

	conn->slots = kcalloc(conn->nr_slots, sizeof(*conn->slots),
			      GFP_KERNEL);
	if (!conn->slots)
		return -ENOMEM;
	for (i = 0; i < conn->nr_slots; i++) {
		struct kfblk_slot *slot = &conn->slots[i];

		slot->bvec = kcalloc(conn->max_pages, sizeof(*slot->bvec),
				     GFP_KERNEL);
		slot->pages = kcalloc(conn->max_pages, sizeof(*slot->pages),
				      GFP_KERNEL);
		slot->rma = kcalloc(nr_rma, sizeof(*slot->rma), GFP_KERNEL);
		if (!slot->bvec || !slot->pages || !slot->rma)
			return -ENOMEM;
		if (conn->inline_max) {
			slot->inl = alloc_page(GFP_KERNEL);
			if (!slot->inl)
				return -ENOMEM;
		}
		kfblk_slot_init(slot, conn, nr_rma);
	}
	return 0;
}

/* Close what kfblk_tconn_open() opened, in reverse order; NULLs skipped. */
static void kfblk_tconn_close(struct kfblk_tconn *conn)
{
	if (conn->ep)
		kfi_close(&conn->ep->fid);
	if (conn->eq)
		kfi_close(&conn->eq->fid);
	/* Armed by the event handler, which has run its last by now. */
	cancel_delayed_work_sync(&conn->watchdog);
	if (conn->cq)
		kfi_close(&conn->cq->fid);
	if (conn->domain)
		kfi_close(&conn->domain->fid);
	kfblk_tconn_free_slots(conn);
}

/*
 * A disconnect before the handshake is over would not reach the peer (a
 * command can end the connection before we have seen it established):
 * let it end first, or time out.
 */
static void kfblk_tconn_wait_handshake(struct kfblk_tconn *conn)
{
	if (!wait_event_timeout(conn->cm_wait,
				READ_ONCE(conn->ep->state) != KFI_EP_CONNECTING,
				KFBLK_HANDSHAKE_WAIT))
		pr_warn("%s: connection from %s: handshake not over after %u ms; disconnecting\n",
			conn->export->name, conn->peer,
			jiffies_to_msecs(KFBLK_HANDSHAKE_WAIT));
}

/*
 * KFBLK_TCONN_DEAD is set, so no command starts any more (even one whose
 * receive completes from here on, or while the endpoint drains at close),
 * and every post fails: each command still held finishes as soon as its
 * bio does.  The backlog is retried because a slot may have parked itself
 * there just before the shutdown.  Only then may the endpoint, the slots
 * and their bios go.
 */
static void kfblk_tconn_wait_idle(struct kfblk_tconn *conn,
				  unsigned long start)
{
	bool told = false;

	while (!wait_var_event_timeout(&conn->busy, !atomic_read(&conn->busy),
				       HZ / 10)) {
		kfblk_tconn_credit_ready(conn->ep);
		kfblk_tconn_wake_memwait(conn);
		if (told || !time_after(jiffies, start + KFBLK_RELEASE_SLOW))
			continue;
		pr_warn("%s: connection from %s: %d commands still held after %u ms\n",
			conn->export->name, conn->peer,
			atomic_read(&conn->busy),
			jiffies_to_msecs(jiffies - start));
		told = true;
	}
}

static void kfblk_tconn_release(struct work_struct *work)
{
	struct kfblk_tconn *conn = container_of(work, struct kfblk_tconn,
						release_work);
	struct kfblk_export *exp = conn->export;
	unsigned long start = jiffies;

	kfblk_tconn_wait_handshake(conn);
	kfi_shutdown(conn->ep, 0);
	kfblk_tconn_wait_idle(conn, start);
	flush_work(&conn->io_work);
	kfblk_tconn_close(conn);
	WARN_ON_ONCE(atomic_read(&conn->busy));
	if (time_after(jiffies, start + KFBLK_RELEASE_SLOW))
		pr_warn("%s: connection from %s: teardown took %u ms\n",
			exp->name, conn->peer,
			jiffies_to_msecs(jiffies - start));

	mutex_lock(&exp->lock);
	list_del(&conn->entry);
	exp->nr_conns--;
	exp->total_depth -= conn->depth;
	exp->io_reserved_kb -= exp->lim.conn_io_kb;
	mutex_unlock(&exp->lock);
	wake_up(&exp->conns_wait);
	kfree(conn);
}

static void kfblk_tconn_event_one(struct kfblk_tconn *conn,
				  const struct kfi_eq_cm_entry *e)
{
	unsigned long flags;

	switch (e->event) {
	case KFI_CONNECTED:
		pr_info("%s: client %s connected\n", conn->export->name,
			conn->peer);
		kfblk_tconn_watchdog_arm(conn);
		/*
		 * Answers to commands that came before this event; one
		 * parked from now on drains the backlog itself.
		 */
		spin_lock_irqsave(&conn->backlog_lock, flags);
		conn->established = true;
		spin_unlock_irqrestore(&conn->backlog_lock, flags);
		kfblk_tconn_drain_backlog(conn);
		break;
	case KFI_SHUTDOWN:
		kfblk_tconn_error(conn, "disconnected");
		break;
	default:
		kfblk_tconn_error(conn, "connection error");
		break;
	}
}

static void kfblk_tconn_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfblk_tconn *conn = arg;

	kfblk_tconn_event_one(conn, e);
	wake_up(&conn->cm_wait);
}

/*
 * The send queue wanted: every slot's RMA chunks and its answer at once.
 * What the device (or the CQ beside the receives) cannot hold is left
 * out: a post past it gets -EAGAIN and waits on the backlog.
 */
static u32 kfblk_tconn_tx_size(const struct kfblk_tconn *conn,
			       const struct kfi_info *info)
{
	u16 nr_rma = DIV_ROUND_UP(conn->max_pages, conn->iov_limit);
	const struct kfi_domain_attr *d = &info->domain_attr;
	u32 tx = conn->nr_slots * (nr_rma + 1);

	if (d->tx_size_max)
		tx = min(tx, d->tx_size_max);
	if (d->cq_size > conn->nr_slots)
		tx = min(tx, d->cq_size - conn->nr_slots);
	return tx;
}

static int kfblk_tconn_open(struct kfblk_tconn *conn, struct kfi_info *info)
{
	struct kfblk_export *exp = conn->export;
	u32 tx = kfblk_tconn_tx_size(conn, info);
	struct kfi_cq_attr cq_attr = {
		.size = tx + conn->nr_slots,
		.poll_ctx = conn->direct ? KFI_POLL_WORKQUEUE :
					   KFI_POLL_SOFTIRQ,
		.comp_vector = -1,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 16,
		.handler = kfblk_tconn_event,
		.handler_arg = conn,
	};
	u32 i;
	int ret;

	ret = kfi_domain(exp->fabric, info, &conn->domain, conn);
	if (ret)
		return ret;
	ret = kfi_cq_open(conn->domain, &cq_attr, &conn->cq, conn);
	if (ret)
		return ret;
	ret = kfi_eq_open(exp->fabric, &eq_attr, &conn->eq, conn);
	if (ret)
		return ret;
	info->tx_attr.size = tx;
	info->rx_attr.size = conn->nr_slots;
	ret = kfi_endpoint(conn->domain, info, &conn->ep, conn);
	if (ret)
		return ret;
	conn->ep->credit_ready = kfblk_tconn_credit_ready;
	ret = kfi_ep_bind(conn->ep, &conn->cq->fid, KFI_TRANSMIT | KFI_RECEIVE |
			  KFI_SELECTIVE_COMPLETION);
	if (!ret)
		ret = kfi_ep_bind(conn->ep, &conn->eq->fid, 0);
	if (!ret)
		ret = kfi_enable(conn->ep);
	for (i = 0; !ret && i < conn->nr_slots; i++)
		ret = kfblk_slot_post_recv(&conn->slots[i]);
	return ret;
}

static bool kfblk_same_host(const struct sockaddr_storage *a,
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

/*
 * Which limit a new connection from @peer asking @depth would pass, or
 * NULL if it fits.
 */
static const char *kfblk_export_over(struct kfblk_export *exp,
				     const struct sockaddr_storage *peer,
				     u32 depth)
{
	const struct kfblk_export_limits *lim = &exp->lim;
	struct kfblk_tconn *conn;
	u32 same = 0;

	lockdep_assert_held(&exp->lock);
	if (exp->nr_conns >= lim->max_conns)
		return "max_connections";
	list_for_each_entry(conn, &exp->conns, entry)
		same += kfblk_same_host(&conn->peer_addr, peer);
	if (same >= lim->max_conns_per_peer)
		return "max_connections_per_peer";
	if (exp->total_depth + depth > lim->max_total_depth)
		return "max_total_depth";
	if (exp->io_reserved_kb + lim->conn_io_kb > lim->io_kb)
		return "max_memory_kb";
	return NULL;
}

/* Refuse a peer over a limit: once per burst in the log, BUSY on the wire. */
static u16 kfblk_export_admit(struct kfblk_export *exp,
			      const struct kfi_info *info, u32 depth)
{
	const char *over = kfblk_export_over(exp, &info->dest_addr, depth);

	if (!over)
		return KFBLK_ST_OK;
	pr_warn_ratelimited("%s: refusing a connection from %pISc: %s reached\n",
			    exp->name, &info->dest_addr, over);
	return KFBLK_ST_BUSY;
}

/*
 * Inline WRITE data, if the client offers it: a page after the command in
 * every receive, so the endpoint must take receives of two buffers.
 */
static u32 kfblk_tconn_inline_max(const struct kfi_info *info,
				  const struct kfblk_cm_rep_info *ri,
				  const struct kfblk_cm_req_info *qi)
{
	if (!kfblk_tgt_inline || !(qi->flags & KFBLK_CM_INLINE) ||
	    info->rx_attr.iov_limit < 2)
		return 0;
	return min_t(u32, min_t(u32, PAGE_SIZE, KFBLK_MAX_INLINE), ri->max_io);
}

static u16 kfblk_tconn_create(struct kfblk_export *exp, struct kfi_info *info,
			      const struct kfblk_cm_req_info *qi)
{
	struct kfblk_cm_rep_info ri = exp->geo;
	struct kfblk_tconn *conn;
	struct kfblk_cm_rep rep;
	u16 st;
	int ret;

	lockdep_assert_held(&exp->lock);
	ri.queue_depth = min_t(u32, qi->queue_depth, exp->lim.max_depth);
	/* A receive per slot: as many as the device's receive queue holds. */
	if (info->domain_attr.rx_size_max)
		ri.queue_depth = clamp_t(u32, info->domain_attr.rx_size_max /
					 KFBLK_SLOTS_PER_TAG, 1, ri.queue_depth);
	st = kfblk_export_admit(exp, info, ri.queue_depth);
	if (st != KFBLK_ST_OK)
		return st;
	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return KFBLK_ST_BUSY;
	conn->export = exp;
	conn->peer_addr = info->dest_addr;
	snprintf(conn->peer, sizeof(conn->peer), "%pISpc", &info->dest_addr);
	conn->depth = ri.queue_depth;
	conn->nr_slots = ri.queue_depth * KFBLK_SLOTS_PER_TAG;
	conn->max_pages = DIV_ROUND_UP(ri.max_io, PAGE_SIZE);
	/* One command of the largest size always fits. */
	conn->io_max = max(exp->lim.conn_io_kb >> (PAGE_SHIFT - 10),
			   conn->max_pages);
	conn->iov_limit = clamp_t(u32, info->tx_attr.iov_limit, 1,
				  conn->max_pages);
	conn->key_max = info->domain_attr.mr_key_size &&
			info->domain_attr.mr_key_size < sizeof(u64) ?
			BIT_ULL(info->domain_attr.mr_key_size * 8) - 1 : U64_MAX;
	conn->remote_inv = qi->flags & KFBLK_CM_REMOTE_INV;
	conn->direct = kfblk_tgt_direct && bdev_nowait(exp->bdev);
	if (conn->remote_inv)
		ri.caps |= KFBLK_CAP_REMOTE_INV;
	conn->imm_rsp = kfblk_tgt_imm_rsp && qi->flags & KFBLK_CM_IMM_RSP;
	conn->ordered = info->tx_attr.comp_order & KFI_ORDER_STRICT;
	if (conn->imm_rsp)
		ri.caps |= KFBLK_CAP_IMM_RSP;
	conn->inline_max = kfblk_tconn_inline_max(info, &ri, qi);
	if (conn->inline_max)
		ri.caps |= KFBLK_CAP_INLINE;
	ri.inline_max = conn->inline_max;
	conn->lim = (struct kfblk_limits){
		.capacity = ri.capacity,
		.lbs = ri.logical_block_size,
		.max_io = ri.max_io,
		.max_discard_sectors = ri.max_discard_sectors,
		.max_write_zeroes_sectors = ri.max_write_zeroes_sectors,
		.queue_depth = ri.queue_depth,
		.caps = ri.caps,
		.inline_max = ri.inline_max,
	};
	atomic_set(&conn->busy, 0);
	init_llist_head(&conn->work);
	INIT_WORK(&conn->io_work, kfblk_tconn_io_work);
	INIT_WORK(&conn->release_work, kfblk_tconn_release);
	init_waitqueue_head(&conn->cm_wait);
	spin_lock_init(&conn->backlog_lock);
	INIT_LIST_HEAD(&conn->backlog);
	INIT_LIST_HEAD(&conn->memwait);
	spin_lock_init(&conn->pool_lock);
	INIT_LIST_HEAD(&conn->pool);
	INIT_DELAYED_WORK(&conn->watchdog, kfblk_tconn_watchdog);
	conn->last_active = jiffies;

	ret = kfblk_tconn_alloc_slots(conn);
	if (!ret)
		ret = kfblk_tconn_open(conn, info);
	kfblk_cm_rep_build(&rep, &ri);
	if (!ret)
		ret = kfi_accept(conn->ep, &rep, sizeof(rep));
	if (ret) {
		pr_err("%s: cannot accept %s: %d\n", exp->name, conn->peer, ret);
		/* Nothing was posted that could still complete. */
		set_bit(KFBLK_TCONN_DEAD, &conn->flags);
		kfblk_tconn_close(conn);
		kfree(conn);
		return KFBLK_ST_BUSY;
	}
	list_add_tail(&conn->entry, &exp->conns);
	exp->nr_conns++;
	exp->total_depth += conn->depth;
	exp->io_reserved_kb += exp->lim.conn_io_kb;
	return KFBLK_ST_OK;
}

void kfblk_export_connreq(struct kfblk_export *exp,
			  const struct kfi_eq_cm_entry *e)
{
	struct kfi_info *info = e->info;
	struct kfblk_cm_req_info qi;
	struct kfblk_cm_rep_info ri = {};
	struct kfblk_cm_rep rep;
	u16 st;

	st = kfblk_cm_req_parse(e->data, e->datalen, &qi);
	if (st == KFBLK_ST_OK && strcmp(qi.export_name, exp->name))
		st = KFBLK_ST_NOEXPORT;
	mutex_lock(&exp->lock);
	if (!exp->enabled) {
		/* The listener is being closed: kfi_freeinfo() rejects. */
		mutex_unlock(&exp->lock);
		kfi_freeinfo(info);
		return;
	}
	if (st == KFBLK_ST_OK)
		st = kfblk_tconn_create(exp, info, &qi);
	if (st != KFBLK_ST_OK && st != KFBLK_ST_BUSY)
		pr_info_ratelimited("%s: rejecting a connection from %pISc: %s\n",
				    exp->name, &info->dest_addr,
				    kfblk_status_str(st));
	if (st != KFBLK_ST_OK) {
		ri.status = st;
		kfblk_cm_rep_build(&rep, &ri);
		kfi_reject(exp->pep, info->handle, &rep, sizeof(rep));
	}
	mutex_unlock(&exp->lock);
	kfi_freeinfo(info);
}

static void kfblk_export_event(const struct kfi_eq_cm_entry *e, void *arg)
{
	struct kfblk_export *exp = arg;

	if (e->event == KFI_CONNREQ)
		kfblk_export_connreq(exp, e);
	else
		pr_warn("%s: listener event %d (%d)\n", exp->name, e->event,
			e->err);
}

static void kfblk_export_geometry(struct kfblk_export *exp)
{
	struct block_device *bdev = exp->bdev;
	struct kfblk_cm_rep_info *g = &exp->geo;
	u32 lbs = bdev_logical_block_size(bdev);

	memset(g, 0, sizeof(*g));
	g->logical_block_size = lbs;
	g->physical_block_size = max(bdev_physical_block_size(bdev), lbs);
	g->max_io = rounddown(min_t(u32, kfblk_tgt_max_io_kb << 10,
				    KFBLK_MAX_IO), lbs);
	g->capacity = round_down(bdev_nr_sectors(bdev), lbs >> SECTOR_SHIFT);
	if (bdev_write_cache(bdev))
		g->caps |= KFBLK_CAP_WRITE_CACHE;
	if (bdev_fua(bdev))
		g->caps |= KFBLK_CAP_FUA;
	if (exp->read_only || bdev_read_only(bdev))
		g->caps |= KFBLK_CAP_READ_ONLY;
	if (bdev_max_discard_sectors(bdev)) {
		g->caps |= KFBLK_CAP_DISCARD;
		g->max_discard_sectors = min_t(u32,
					       bdev_max_discard_sectors(bdev),
					       U32_MAX >> SECTOR_SHIFT);
	}
	if (bdev_write_zeroes_sectors(bdev)) {
		g->caps |= KFBLK_CAP_WRITE_ZEROES;
		g->max_write_zeroes_sectors =
			min_t(u32, bdev_write_zeroes_sectors(bdev),
			      U32_MAX >> SECTOR_SHIFT);
	}
}

static int kfblk_export_listen(struct kfblk_export *exp)
{
	struct kfi_info hints = {
		.caps = KFI_MSG | KFI_RMA,
		.ep_attr.type = KFI_EP_MSG,
	};
	struct kfi_eq_attr eq_attr = {
		.size = 64,
		.handler = kfblk_export_event,
		.handler_arg = exp,
	};
	struct kfi_info *info;
	char port[8];
	int ret;

	snprintf(port, sizeof(port), "%u", exp->port);
	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  exp->addr, port, KFI_SOURCE, &hints, &info);
	if (ret)
		return ret;
	ret = kfi_fabric(&info->fabric_attr, &exp->fabric, exp);
	if (ret)
		goto free_info;
	ret = kfi_eq_open(exp->fabric, &eq_attr, &exp->eq, exp);
	if (ret)
		goto close_fabric;
	ret = kfi_passive_ep(exp->fabric, info, &exp->pep, exp);
	if (ret)
		goto close_eq;
	ret = kfi_pep_bind(exp->pep, exp->eq);
	if (!ret)
		ret = kfi_listen(exp->pep);
	if (ret)
		goto close_pep;
	kfi_freeinfo(info);
	return 0;

close_pep:
	kfi_close(&exp->pep->fid);
	exp->pep = NULL;
close_eq:
	kfi_close(&exp->eq->fid);
	exp->eq = NULL;
close_fabric:
	kfi_close(&exp->fabric->fid);
	exp->fabric = NULL;
free_info:
	kfi_freeinfo(info);
	return ret;
}

/**
 * kfblk_export_enable() - open the device and listen
 * @exp: a configured export
 *
 * Context: process; @exp->lock held.
 * Return: 0 or a negative errno, with nothing left open.
 */
int kfblk_export_enable(struct kfblk_export *exp)
{
	int ret;

	lockdep_assert_held(&exp->lock);
	exp->bdev = kfi_bdev_open(exp->path, !exp->read_only, exp,
				  &exp->bdev_handle);
	if (IS_ERR(exp->bdev)) {
		ret = PTR_ERR(exp->bdev);
		exp->bdev = NULL;
		pr_err("%s: cannot open %s: %d\n", exp->name, exp->path, ret);
		return ret;
	}
	kfblk_export_geometry(exp);
	if (exp->geo.logical_block_size > KFBLK_MAX_BLOCK_SIZE ||
	    !exp->geo.capacity) {
		pr_err("%s: %s: unsupported block size or empty device\n",
		       exp->name, exp->path);
		ret = -EINVAL;
		goto put_bdev;
	}
	ret = kfblk_export_listen(exp);
	if (ret) {
		pr_err("%s: cannot listen on %s port %u: %d\n", exp->name,
		       exp->addr, exp->port, ret);
		goto put_bdev;
	}
	exp->enabled = true;
	pr_info("%s: exporting %s on %s port %u\n", exp->name, exp->path,
		exp->addr, exp->port);
	return 0;

put_bdev:
	kfi_bdev_close(&exp->bdev_handle);
	exp->bdev = NULL;
	return ret;
}

/**
 * kfblk_export_disable() - stop listening, drop every client, close
 * @exp: an enabled export; the caller cleared @exp->enabled under the lock
 *
 * Context: process; @exp->lock not held (event handlers take it).
 */
void kfblk_export_disable(struct kfblk_export *exp)
{
	struct kfblk_tconn *conn;

	kfi_close(&exp->pep->fid);
	mutex_lock(&exp->lock);
	list_for_each_entry(conn, &exp->conns, entry)
		kfblk_tconn_error(conn, "export disabled");
	mutex_unlock(&exp->lock);
	wait_event(exp->conns_wait, !READ_ONCE(exp->nr_conns));
	kfi_close(&exp->eq->fid);
	kfi_close(&exp->fabric->fid);
	kfi_bdev_close(&exp->bdev_handle);

	mutex_lock(&exp->lock);
	exp->pep = NULL;
	exp->eq = NULL;
	exp->fabric = NULL;
	exp->bdev = NULL;
	mutex_unlock(&exp->lock);
	pr_info("%s: export stopped\n", exp->name);
}
