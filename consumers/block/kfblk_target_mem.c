// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk target: what a connection may hold, and for how long.
 *
 * A peer decides how many commands it sends and how large they are, so
 * the memory they cost is bounded here, not by its good manners:
 *
 * - I/O memory: a command charges the pages it needs to its connection
 *   before it takes any (all at once, so two half-served commands cannot
 *   wait on each other).  Over the connection's budget it waits on
 *   @memwait until a finished command uncharges; it is never failed for
 *   it.  Each connection reserved its budget from the export's when it was
 *   accepted (kfblk_target_conn.c).
 * - Idle memory: a finished command's pages go to its connection's pool
 *   for the next command, as long as the pool and the charged pages
 *   together stay within the budget; the watchdog frees the pool once the
 *   connection has been idle for idle_ms.
 * - Time: a command that waits on the peer (the RMA it drives, or a
 *   credit to answer with) longer than peer_timeout_ms is the peer
 *   holding our memory hostage: the watchdog drops the connection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "kfblk_target.h"

static void kfblk_page_free(struct kfblk_tconn *conn, struct page *page)
{
	__free_page(page);
	atomic_long_dec(&conn->export->pages);
}

static struct page *kfblk_page_get(struct kfblk_tconn *conn, gfp_t gfp)
{
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&conn->pool_lock, flags);
	if (conn->pool_nr) {
		page = list_first_entry(&conn->pool, struct page, lru);
		list_del(&page->lru);
		conn->pool_nr--;
	}
	spin_unlock_irqrestore(&conn->pool_lock, flags);
	if (page)
		return page;
	page = alloc_page(gfp);
	if (page)
		atomic_long_inc(&conn->export->pages);
	return page;
}

/* Keep @page for the next command, unless that would pass the budget. */
static void kfblk_page_put(struct kfblk_tconn *conn, struct page *page)
{
	unsigned long flags;
	bool keep;

	spin_lock_irqsave(&conn->pool_lock, flags);
	keep = conn->pool_nr + atomic_read(&conn->io_pages) < conn->io_max;
	if (keep) {
		list_add(&page->lru, &conn->pool);
		conn->pool_nr++;
	}
	spin_unlock_irqrestore(&conn->pool_lock, flags);
	if (!keep)
		kfblk_page_free(conn, page);
}

/* Charge the command's pages to the budget, all of them or none. */
static bool kfblk_slot_charge(struct kfblk_slot *slot)
{
	struct kfblk_tconn *conn = slot->conn;
	u32 need = DIV_ROUND_UP(slot->ci.len, PAGE_SIZE);

	if (slot->charged >= need)
		return true;
	need -= slot->charged;
	if (atomic_add_return(need, &conn->io_pages) > conn->io_max) {
		atomic_sub(need, &conn->io_pages);
		return false;
	}
	slot->charged += need;
	return true;
}

/**
 * kfblk_slot_get_pages() - have pages for the command's bytes in slot->bvec
 * @slot: a READ or WRITE
 * @gfp: for the pages the pool does not have
 *
 * Return: 0; -ENOSPC when the connection's I/O memory budget is used up
 * (kfblk_slot_memwait()); -ENOMEM.  Pages got so far stay with the slot.
 */
int kfblk_slot_get_pages(struct kfblk_slot *slot, gfp_t gfp)
{
	struct kfblk_tconn *conn = slot->conn;
	u32 len = slot->ci.len, need = DIV_ROUND_UP(len, PAGE_SIZE), i;

	if (!kfblk_slot_charge(slot))
		return -ENOSPC;
	while (slot->nr_pages < need) {
		struct page *page = kfblk_page_get(conn, gfp);

		if (!page)
			return -ENOMEM;
		slot->pages[slot->nr_pages++] = page;
	}
	for (i = 0; i < need; i++) {
		slot->bvec[i].bv_page = slot->pages[i];
		slot->bvec[i].bv_offset = 0;
		slot->bvec[i].bv_len = min_t(u32, len, PAGE_SIZE);
		len -= slot->bvec[i].bv_len;
	}
	slot->nr_chunks = DIV_ROUND_UP(need, conn->iov_limit);
	return 0;
}

/**
 * kfblk_slot_put_pages() - the command is over: give its pages back
 * @slot: the slot
 *
 * Uncharges them, keeps what the pool may hold, and lets the commands
 * waiting for memory try again.
 */
void kfblk_slot_put_pages(struct kfblk_slot *slot)
{
	struct kfblk_tconn *conn = slot->conn;

	if (slot->charged) {
		atomic_sub(slot->charged, &conn->io_pages);
		slot->charged = 0;
	}
	while (slot->nr_pages)
		kfblk_page_put(conn, slot->pages[--slot->nr_pages]);
	if (!list_empty_careful(&conn->memwait))
		kfblk_tconn_wake_memwait(conn);
}

/**
 * kfblk_slot_memwait() - wait for I/O memory
 * @slot: a command kfblk_slot_get_pages() refused with -ENOSPC
 *
 * Return: true if the slot now waits (it is requeued when a command
 * gives memory back); false if memory came back meanwhile: go on.
 */
bool kfblk_slot_memwait(struct kfblk_slot *slot)
{
	struct kfblk_tconn *conn = slot->conn;
	unsigned long flags;
	bool wait;

	/* Charged under the lock the waker takes after it uncharges. */
	spin_lock_irqsave(&conn->backlog_lock, flags);
	wait = !kfblk_slot_charge(slot);
	if (wait)
		list_add_tail(&slot->backlog, &conn->memwait);
	spin_unlock_irqrestore(&conn->backlog_lock, flags);
	return wait;
}

/* Requeue every command waiting for memory; those still over wait again. */
void kfblk_tconn_wake_memwait(struct kfblk_tconn *conn)
{
	struct kfblk_slot *slot, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&conn->backlog_lock, flags);
	list_splice_init(&conn->memwait, &list);
	spin_unlock_irqrestore(&conn->backlog_lock, flags);
	list_for_each_entry_safe(slot, tmp, &list, backlog) {
		list_del(&slot->backlog);
		kfblk_slot_queue(slot, KFBLK_STAGE_EXEC);
	}
}

/**
 * kfblk_tconn_free_pages() - free the connection's pool
 * @conn: the connection
 *
 * Finished commands have put their pages there, so once no command holds
 * the connection this frees all it has.
 */
void kfblk_tconn_free_pages(struct kfblk_tconn *conn)
{
	unsigned long flags;
	LIST_HEAD(list);
	struct page *page, *tmp;

	spin_lock_irqsave(&conn->pool_lock, flags);
	list_splice_init(&conn->pool, &list);
	conn->pool_nr = 0;
	spin_unlock_irqrestore(&conn->pool_lock, flags);
	list_for_each_entry_safe(page, tmp, &list, lru) {
		list_del(&page->lru);
		kfblk_page_free(conn, page);
	}
}

/* The peer has kept a command waiting too long: name it and drop it. */
static bool kfblk_tconn_stalled(struct kfblk_tconn *conn, unsigned long tmo)
{
	u32 i;

	for (i = 0; i < conn->nr_slots; i++) {
		unsigned long since = READ_ONCE(conn->slots[i].peer_since);

		if (since && time_after(jiffies, since + tmo))
			return true;
	}
	return false;
}

/**
 * kfblk_tconn_watchdog_arm() - (re)start the connection's watchdog
 * @conn: a live connection
 */
void kfblk_tconn_watchdog_arm(struct kfblk_tconn *conn)
{
	const struct kfblk_export_limits *lim = &conn->export->lim;
	unsigned long period = msecs_to_jiffies(min(lim->idle_ms,
						    lim->peer_timeout_ms)) / 4;

	if (!test_bit(KFBLK_TCONN_DEAD, &conn->flags))
		queue_delayed_work(kfblk_tgt_wq, &conn->watchdog,
				   clamp(period, HZ / 10, (unsigned long)HZ));
}

void kfblk_tconn_watchdog(struct work_struct *work)
{
	struct kfblk_tconn *conn = container_of(to_delayed_work(work),
						struct kfblk_tconn, watchdog);
	const struct kfblk_export_limits *lim = &conn->export->lim;

	if (kfblk_tconn_stalled(conn,
				msecs_to_jiffies(lim->peer_timeout_ms))) {
		kfblk_tconn_error(conn, "peer stalled a command past peer_timeout_ms");
		return;
	}
	/* A slot that parked just after KFI_CONNECTED drained the backlog. */
	kfblk_tconn_drain_backlog(conn);
	if (!atomic_read(&conn->busy) && READ_ONCE(conn->pool_nr) &&
	    time_after(jiffies, READ_ONCE(conn->last_active) +
				msecs_to_jiffies(lim->idle_ms)))
		kfblk_tconn_free_pages(conn);
	kfblk_tconn_watchdog_arm(conn);
}
