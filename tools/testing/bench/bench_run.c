// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric benchmarks: the measurement engine.
 *
 * One run keeps @depth operations in flight from the client and reposts
 * each from its completion, like a storage initiator does from its CQ
 * callback.  Nothing here takes a lock on the data path: a slot is owned
 * by whoever holds it (the poster until the post returns, then the
 * provider until its completion), and the run's counters are atomics, so
 * completions may arrive on any CPU while the starting thread still posts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/jiffies.h>
#include <linux/sort.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/vmstat.h>
#include <linux/bottom_half.h>

#include "bench_priv.h"

static struct bench_slot *bench_slot(const struct bench_side *s, u32 i)
{
	return (struct bench_slot *)(s->slots + i * s->conn->ops->slot_size);
}

static struct bench_slot *bench_tx_slot(const struct bench_side *s, u32 i)
{
	return bench_slot(s, s->nr_rx + i);
}

/**
 * bench_conn_init() - allocate the harness's part of a connection
 * @conn: embedded in the implementation's connection
 * @ops: the implementation
 * @max_size: largest operation
 * @max_depth: deepest queue
 *
 * Each side gets a buffer of 2 * @max_size (send half, receive half) and
 * 2 * @max_depth receive plus @max_depth transmit slots: twice the depth
 * in receives so a full window of sends always finds one posted.
 *
 * Context: process.
 * Return: 0 or -ENOMEM.
 */
int bench_conn_init(struct bench_conn *conn, const struct bench_ops *ops,
		    u32 max_size, u32 max_depth)
{
	unsigned int order = get_order(2 * (size_t)max_size);
	int i;

	conn->ops = ops;
	conn->max_size = max_size;
	conn->max_depth = max_depth;
	for (i = 0; i < BENCH_NR_SIDES; i++) {
		struct bench_side *s = &conn->side[i];
		u32 n;

		s->conn = conn;
		s->role = i;
		s->nr_rx = 2 * max_depth;
		s->nr_tx = max_depth;
		init_llist_head(&s->stalled);
		/* Pages, not kmalloc: contiguous and page-aligned for MRs. */
		s->buf = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
						  order);
		n = s->nr_rx + s->nr_tx;
		s->slots = kcalloc(n, ops->slot_size, GFP_KERNEL);
		if (!s->buf || !s->slots)
			goto free;
		for (n = 0; n < s->nr_rx + s->nr_tx; n++)
			bench_slot(s, n)->side = s;
	}
	return 0;
free:
	bench_conn_free(conn);
	return -ENOMEM;
}
EXPORT_SYMBOL_GPL(bench_conn_init);

/**
 * bench_conn_free() - free what bench_conn_init() allocated
 * @conn: connection, with nothing posted any more
 *
 * Context: process.
 */
void bench_conn_free(struct bench_conn *conn)
{
	unsigned int order = get_order(2 * (size_t)conn->max_size);
	int i;

	for (i = 0; i < BENCH_NR_SIDES; i++) {
		struct bench_side *s = &conn->side[i];

		if (s->buf)
			free_pages((unsigned long)s->buf, order);
		kfree(s->slots);
		s->buf = NULL;
		s->slots = NULL;
	}
}
EXPORT_SYMBOL_GPL(bench_conn_free);

bool bench_conn_broken(const struct bench_conn *conn)
{
	return READ_ONCE(conn->side[BENCH_CLIENT].broken) ||
	       READ_ONCE(conn->side[BENCH_SERVER].broken);
}

/* End the run once, from whichever context saw its last event. */
static void bench_finish(struct bench_run *run)
{
	if (atomic_xchg(&run->finished, 1))
		return;
	run->t_end = ktime_get_ns();
	complete(&run->done);
}

static void bench_fail(struct bench_side *s, struct bench_run *run, int err)
{
	WRITE_ONCE(s->broken, true);
	if (!run)
		return;
	if (atomic_inc_return(&run->errors) == 1)
		run->first_err = err;
	/*
	 * A failed operation is never reposted, so the counts the run waits
	 * for would never be reached: end it now and let the caller rebuild
	 * the connection.
	 */
	bench_finish(run);
}

/**
 * bench_error() - report a failure outside any slot
 * @s: side whose queue pair failed
 * @err: negative errno
 *
 * For the implementation's own work requests (an inject's completion) and
 * for connection loss: ends the run in progress and marks the connection
 * for a rebuild.
 *
 * Context: any; never sleeps.
 */
void bench_error(struct bench_side *s, int err)
{
	bench_fail(s, READ_ONCE(s->conn->run), err);
}
EXPORT_SYMBOL_GPL(bench_error);

static int bench_post_op(struct bench_side *s, struct bench_slot *slot)
{
	const struct bench_ops *ops = s->conn->ops;

	switch (slot->op) {
	case BENCH_OP_RECV:
		return ops->recv(s, slot);
	case BENCH_OP_SEND:
		return ops->send(s, slot, slot->len);
	case BENCH_OP_WRITE:
		return ops->write(s, slot, slot->len, false);
	case BENCH_OP_WRITEDATA:
		return ops->write(s, slot, slot->len, true);
	case BENCH_OP_READ:
		return ops->read(s, slot, slot->len);
	}
	return -EINVAL;
}

/*
 * Post @slot; a refused post waits on the side's stalled list for the next
 * completion or bench_kick().  Only the client's data posts are timed: the
 * cost of the post call is where an API layer shows first.  Return: false
 * when the post was refused for now.
 */
static bool bench_post_slot(struct bench_slot *slot)
{
	struct bench_side *s = slot->side;
	struct bench_run *run = READ_ONCE(s->conn->run);
	bool timed = run && s->role == BENCH_CLIENT &&
		     slot->op != BENCH_OP_RECV;
	u64 t0 = timed ? ktime_get_ns() : 0;
	int ret;

	ret = bench_post_op(s, slot);
	if (timed) {
		atomic64_add(ktime_get_ns() - t0, &run->post_ns);
		atomic_inc(&run->nr_post);
	}
	if (likely(!ret))
		return true;
	if (ret == -EAGAIN) {
		llist_add(&slot->stall, &s->stalled);
		if (run)
			atomic_inc(&run->eagain);
		return false;
	}
	bench_fail(s, run, ret);
	return true;
}

/**
 * bench_kick() - retry the posts of @s that were refused with -EAGAIN
 * @s: side whose queue or credits have room again
 *
 * Implementations call it when credits arrive; the harness also calls it
 * after every completion and from the waiting thread.
 *
 * Context: any; never sleeps.
 */
void bench_kick(struct bench_side *s)
{
	struct llist_node *node, *next = NULL;

	/*
	 * Oldest first, and stop at the first refusal: the queue or the
	 * credits ran out again, and retrying the rest now would only burn
	 * time in post calls that fail.  The refused slot is back on the
	 * list already; the rest follow it.
	 */
	node = llist_reverse_order(llist_del_all(&s->stalled));
	for (; node; node = next) {
		next = node->next;
		if (!bench_post_slot(llist_entry(node, struct bench_slot,
						 stall)))
			break;
	}
	for (node = node ? next : NULL; node; node = next) {
		next = node->next;
		llist_add(node, &s->stalled);
	}
}
EXPORT_SYMBOL_GPL(bench_kick);

/* Start one more operation on @slot unless the run has issued them all. */
static void bench_issue(struct bench_run *run, struct bench_slot *slot)
{
	if (atomic_inc_return(&run->issued) > run->pt.iters)
		return;
	slot->t_post = ktime_get_ns();
	bench_post_slot(slot);
}

static void bench_record(struct bench_run *run, u64 ns)
{
	int i = atomic_inc_return(&run->nr_lat) - 1;

	if (i < run->max_iters)
		run->lat[i] = ns;
}

static u8 bench_slot_op(const struct bench_point *pt)
{
	if (pt->test == BENCH_PINGPONG && pt->op == BENCH_OP_WRITE)
		return BENCH_OP_WRITEDATA;
	return pt->op;
}

static void bench_pingpong_round(struct bench_run *run)
{
	struct bench_slot *slot = bench_tx_slot(&run->conn->side[BENCH_CLIENT],
						0);

	atomic_set(&run->halves, 2);
	run->t_round = ktime_get_ns();
	slot->t_post = run->t_round;
	bench_post_slot(slot);
}

/* One of the two completions of a round (request sent, reply received). */
static void bench_pingpong_half(struct bench_run *run)
{
	if (!atomic_dec_and_test(&run->halves))
		return;
	if (atomic_inc_return(&run->completed) >= run->pt.iters)
		bench_finish(run);
	else
		bench_pingpong_round(run);
}

/* The server answers a pingpong request with the same operation. */
static void bench_server_echo(struct bench_side *s, struct bench_run *run)
{
	u32 i = (u32)atomic_inc_return(&s->tx_next) % s->nr_tx;
	struct bench_slot *slot = bench_tx_slot(s, i);

	slot->op = bench_slot_op(&run->pt);
	slot->len = run->pt.size;
	bench_post_slot(slot);
}

static void bench_server_rx(struct bench_side *s, struct bench_run *run,
			    u32 len)
{
	u32 n = atomic_inc_return(&run->rx_count);

	if (run->pt.op != BENCH_OP_WRITE && len != run->pt.size)
		atomic_inc(&run->bad_len);
	if (run->pt.test == BENCH_PINGPONG)
		bench_server_echo(s, run);
	else if (run->pt.op == BENCH_OP_INJECT && n == run->pt.iters)
		bench_finish(run);
}

static void bench_client_rx(struct bench_run *run, u32 len)
{
	if (run->pt.test != BENCH_PINGPONG)
		return;
	if (run->pt.op == BENCH_OP_SEND && len != run->pt.size)
		atomic_inc(&run->bad_len);
	/* One-way latency, as fabtests reports for pingpong. */
	bench_record(run, (ktime_get_ns() - run->t_round) / 2);
	bench_pingpong_half(run);
}

static void bench_rx_done(struct bench_side *s, struct bench_slot *slot,
			  struct bench_run *run, u32 len)
{
	/* Repost first, so the next message already finds a buffer. */
	bench_post_slot(slot);
	if (!run)
		return;
	if (s->role == BENCH_SERVER)
		bench_server_rx(s, run, len);
	else
		bench_client_rx(run, len);
}

static void bench_tx_done(struct bench_side *s, struct bench_slot *slot,
			  struct bench_run *run)
{
	if (!run || s->role == BENCH_SERVER)
		return;
	if (run->pt.test == BENCH_PINGPONG) {
		bench_pingpong_half(run);
		return;
	}
	bench_record(run, ktime_get_ns() - slot->t_post);
	if (atomic_inc_return(&run->completed) == run->pt.iters)
		bench_finish(run);
	else
		bench_issue(run, slot);
}

/**
 * bench_complete() - report the completion of a slot
 * @slot: what was posted
 * @err: 0 or a negative errno
 * @len: bytes received (receives)
 * @imm: the receive carries immediate data
 *
 * Context: the implementation's completion context; never sleeps.
 */
void bench_complete(struct bench_slot *slot, int err, u32 len, bool imm)
{
	struct bench_side *s = slot->side;
	struct bench_run *run = READ_ONCE(s->conn->run);

	if (unlikely(err)) {
		bench_fail(s, run, err);
		return;
	}
	if (slot->op == BENCH_OP_RECV)
		bench_rx_done(s, slot, run, len);
	else
		bench_tx_done(s, slot, run);
	if (unlikely(!llist_empty(&s->stalled)))
		bench_kick(s);
}
EXPORT_SYMBOL_GPL(bench_complete);

/**
 * bench_post_recvs() - post every receive slot of a side
 * @s: side whose endpoint is enabled, not yet connected
 *
 * Context: process.
 * Return: 0, or -EIO if a post failed.
 */
int bench_post_recvs(struct bench_side *s)
{
	u32 n;

	for (n = 0; n < s->nr_rx; n++) {
		struct bench_slot *slot = bench_slot(s, n);

		slot->op = BENCH_OP_RECV;
		slot->len = s->conn->max_size;
		bench_post_slot(slot);
	}
	return READ_ONCE(s->broken) ? -EIO : 0;
}
EXPORT_SYMBOL_GPL(bench_post_recvs);

/* Let softirq work pending on this CPU (completions) run, then yield. */
static void bench_relax(void)
{
	local_bh_disable();
	local_bh_enable();
	cond_resched();
}

/*
 * Inject has no completion: the window is end to end, the injects sent
 * and not yet received by the server, and latency is the post call.
 */
static void bench_inject_all(struct bench_run *run, unsigned long deadline)
{
	struct bench_side *s = &run->conn->side[BENCH_CLIENT];
	u32 i = 0;
	u64 t0;
	int ret;

	while (i < run->pt.iters && !atomic_read(&run->finished)) {
		if (i - atomic_read(&run->rx_count) >= run->pt.depth ||
		    time_after(jiffies, deadline)) {
			if (time_after(jiffies, deadline))
				return;
			bench_relax();
			continue;
		}
		t0 = ktime_get_ns();
		ret = s->conn->ops->inject(s, run->pt.size);
		t0 = ktime_get_ns() - t0;
		if (ret == -EAGAIN) {
			atomic_inc(&run->eagain);
			bench_relax();
			continue;
		}
		if (ret) {
			bench_fail(s, run, ret);
			return;
		}
		atomic64_add(t0, &run->post_ns);
		atomic_inc(&run->nr_post);
		bench_record(run, t0);
		i++;
	}
}

static void bench_start(struct bench_run *run, unsigned long deadline)
{
	struct bench_side *c = &run->conn->side[BENCH_CLIENT];
	u32 i;

	run->t_start = ktime_get_ns();
	switch (run->pt.test) {
	case BENCH_PINGPONG:
		atomic_set(&run->issued, 1);
		bench_pingpong_round(run);
		return;
	case BENCH_BW:
	case BENCH_RATE:
		if (run->pt.op == BENCH_OP_INJECT) {
			bench_inject_all(run, deadline);
			return;
		}
		for (i = 0; i < run->pt.depth; i++)
			bench_issue(run, bench_tx_slot(c, i));
		return;
	case BENCH_CONNECT:	/* bench_run_connect() */
	case BENCH_NR_TESTS:
		break;
	}
}

/* Wait for the end, retrying stalled posts on every tick. */
static bool bench_wait(struct bench_run *run, unsigned long deadline)
{
	struct bench_conn *conn = run->conn;

	for (;;) {
		if (wait_for_completion_timeout(&run->done, 1))
			return true;
		bench_kick(&conn->side[BENCH_CLIENT]);
		bench_kick(&conn->side[BENCH_SERVER]);
		if (time_after(jiffies, deadline))
			return false;
	}
}

/* Byte @i of a transfer made with @pattern: differs from byte to byte. */
static inline u8 bench_byte(u32 i, u8 pattern)
{
	return (u8)(pattern + i * 7 + (i >> 8));
}

/*
 * Fill the source of every transfer with a pattern that changes from byte
 * to byte and from run to run, and clear every destination, so that the
 * check after the run proves each byte arrived at its place.
 */
static void bench_fill(struct bench_conn *conn, u32 size, u8 pattern)
{
	u8 *tx;
	u32 i;
	int s;

	for (s = 0; s < BENCH_NR_SIDES; s++) {
		tx = bench_tx_buf(&conn->side[s]);
		for (i = 0; i < size; i++)
			tx[i] = bench_byte(i, pattern);
		memset(bench_rx_buf(&conn->side[s]), 0, size);
	}
}

/* Every byte that reached @s is its peer's source byte (outside timing). */
static bool bench_check(const struct bench_side *s, u32 size)
{
	return !memcmp(bench_rx_buf(s), bench_tx_buf(bench_peer(s)), size);
}

static bool bench_verify(const struct bench_run *run)
{
	const struct bench_conn *conn = run->conn;
	const struct bench_point *pt = &run->pt;
	bool ok = true;

	if (pt->op != BENCH_OP_READ)
		ok &= bench_check(&conn->side[BENCH_SERVER], pt->size);
	if (pt->op == BENCH_OP_READ || pt->test == BENCH_PINGPONG)
		ok &= bench_check(&conn->side[BENCH_CLIENT], pt->size);
	return ok;
}

static void bench_reset(struct bench_run *run, struct bench_conn *conn,
			const struct bench_point *pt)
{
	run->pt = *pt;
	run->conn = conn;
	atomic_set(&run->issued, 0);
	atomic_set(&run->completed, 0);
	atomic_set(&run->halves, 0);
	atomic_set(&run->rx_count, 0);
	atomic_set(&run->errors, 0);
	atomic_set(&run->bad_len, 0);
	atomic_set(&run->eagain, 0);
	atomic_set(&run->finished, 0);
	atomic_set(&run->nr_lat, 0);
	atomic64_set(&run->post_ns, 0);
	atomic_set(&run->nr_post, 0);
	run->first_err = 0;
	run->t_start = 0;
	run->t_end = 0;
	reinit_completion(&run->done);
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median, 99th percentile and mean of the latencies the run recorded. */
static void bench_lat_stats(struct bench_run *run, struct bench_result *res)
{
	u32 n = min_t(u32, atomic_read(&run->nr_lat), run->max_iters);
	u64 sum = 0;
	u32 i;

	res->p50_ns = 0;
	res->p99_ns = 0;
	res->avg_ns = 0;
	if (!n)
		return;
	sort(run->lat, n, sizeof(u64), bench_cmp_u64, NULL);
	for (i = 0; i < n; i++)
		sum += run->lat[i];
	res->avg_ns = div_u64(sum, n);
	res->p50_ns = run->lat[(n - 1) * 50 / 100];
	res->p99_ns = run->lat[(n - 1) * 99 / 100];
}

static void bench_stats(struct bench_run *run, struct bench_result *res)
{
	u32 posts = atomic_read(&run->nr_post);
	u64 t_end;

	/* A run that did not end has no t_end: it lasted until now. */
	t_end = READ_ONCE(run->t_end) ?: ktime_get_ns();
	res->elapsed_ns = t_end > run->t_start ? t_end - run->t_start : 1;
	res->bytes = (u64)atomic_read(&run->completed) * run->pt.size;
	if (run->pt.op == BENCH_OP_INJECT)
		res->bytes = (u64)atomic_read(&run->rx_count) * run->pt.size;
	res->errors = atomic_read(&run->errors) + atomic_read(&run->bad_len);
	res->eagain = atomic_read(&run->eagain);
	res->post_ns = posts ? div_u64(atomic64_read(&run->post_ns), posts) : 0;
	bench_lat_stats(run, res);
}

/**
 * bench_run_point() - measure one point on a connected pair
 * @run: the harness's run state (its @lat array sized for @pt->iters)
 * @conn: connection, idle
 * @pt: what to measure
 * @timeout_s: give up after this long
 * @res: filled with the measurement
 *
 * Context: process; sleeps.  Not reentrant: the caller serializes runs.
 * Return: 0; -ETIMEDOUT or -EIO when the run failed (@res still filled,
 * and the connection must be rebuilt).
 */
int bench_run_point(struct bench_run *run, struct bench_conn *conn,
		    const struct bench_point *pt, unsigned int timeout_s,
		    struct bench_result *res)
{
	static u8 seq;
	unsigned long deadline = jiffies + timeout_s * HZ;
	u8 pattern = (seq++ % 250) + 1;
	bool done;
	u32 i;

	if (pt->iters > run->max_iters || pt->size > conn->max_size ||
	    pt->depth > conn->max_depth || !pt->size || !pt->depth)
		return -EINVAL;
	bench_reset(run, conn, pt);
	bench_fill(conn, pt->size, pattern);
	for (i = 0; i < pt->depth; i++) {
		struct bench_slot *slot;

		slot = bench_tx_slot(&conn->side[BENCH_CLIENT], i);
		slot->op = bench_slot_op(pt);
		slot->len = pt->size;
	}
	/* Completions read the run through conn->run: publish it first. */
	smp_store_release(&conn->run, run);
	bench_start(run, deadline);
	done = bench_wait(run, deadline);
	WRITE_ONCE(conn->run, NULL);

	bench_stats(run, res);
	res->timed_out = !done;
	res->verified = done && !res->errors && bench_verify(run);
	if (!done)
		return -ETIMEDOUT;
	return res->errors ? -EIO : 0;
}

/* Each connection of the connect test has buffers of this many bytes. */
#define BENCH_CONNECT_SIZE	64

/* Free memory, in bytes (the per-CPU counter drift is noise here). */
static s64 bench_free_bytes(void)
{
	return (s64)global_zone_page_state(NR_FREE_PAGES) << PAGE_SHIFT;
}

/* Open up to @n connections into @conns; stops at the first failure. */
static u32 bench_open_many(struct bench_run *run, const struct bench_ops *ops,
			   const char *ip, u16 port, u32 n, u32 depth,
			   struct bench_conn **conns)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u64 t0 = ktime_get_ns();

		conns[i] = ops->setup(ip, port + i, BENCH_CONNECT_SIZE, depth);
		if (IS_ERR(conns[i])) {
			run->first_err = PTR_ERR(conns[i]);
			break;
		}
		bench_record(run, ktime_get_ns() - t0);
		if (fatal_signal_pending(current)) {
			run->first_err = -EINTR;
			i++;
			break;
		}
	}
	return i;
}

/**
 * bench_run_connect() - the connect test: what an endpoint costs
 * @run: the harness's run state (its @lat array sized for @pt->iters)
 * @ops: the implementation
 * @ip: address to listen and connect on
 * @port: first of @pt->iters ports, one listener for each connection
 * @pt: the point: @pt->iters connections of queue depth @pt->depth
 * @res: filled with the measurement
 *
 * Opens the connections one after the other and keeps every one, as a
 * target with that many initiators would; the latency is one setup
 * (listen, connect, accept, both sides established, buffers registered),
 * the memory what free memory lost with all of them open, over the
 * endpoints (two a connection, the harness's own buffers included: one
 * page and the slots of each, the same for every implementation).  Then
 * closes them all, timed.
 *
 * Context: process; sleeps.
 * Return: 0, or the errno of the first setup that failed.
 */
int bench_run_connect(struct bench_run *run, const struct bench_ops *ops,
		      const char *ip, u16 port, const struct bench_point *pt,
		      struct bench_result *res)
{
	struct bench_conn **conns;
	s64 before;
	u64 t0;
	u32 n;

	conns = kvcalloc(pt->iters, sizeof(*conns), GFP_KERNEL);
	if (!conns)
		return -ENOMEM;
	bench_reset(run, NULL, pt);
	before = bench_free_bytes();
	run->t_start = ktime_get_ns();
	n = bench_open_many(run, ops, ip, port, pt->iters, pt->depth, conns);
	run->t_end = ktime_get_ns();
	res->mem_per_ep = n ? div_s64(before - bench_free_bytes(), 2 * n) : 0;
	res->opened = n;
	t0 = ktime_get_ns();
	while (n--)
		ops->teardown(conns[n]);
	res->teardown_ns = ktime_get_ns() - t0;
	kvfree(conns);
	res->elapsed_ns = max_t(u64, run->t_end - run->t_start, 1);
	res->errors = run->first_err ? 1 : 0;
	bench_lat_stats(run, res);
	return run->first_err;
}
