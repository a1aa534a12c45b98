// SPDX-License-Identifier: GPL-2.0
/*
 * The session state machine (kfabric/sess.c) on its own: a consumer here
 * whose connect callback succeeds or fails as each case says, and whose
 * keep-alive is answered or not, so every path through an outage -- loss,
 * attempts, reconnect, fail-fast, give-up, keep-alive, stop -- runs in a
 * known order; and sessions of three paths, where each policy must pick
 * the live path it promises and paths come and go under operations.  The
 * cases wait for the events they expect (the wait is a
 * guard against a hang, not a time limit on the session) and check the
 * states, counters and callbacks seen.  Two nodes and a real link:
 * pair/kfblk_pair.sh.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/delay.h>
#include <kfabric/kfi_sess.h>

#include "kfi_ktap.h"

/* Long enough for any event under emulation; a hang guard only. */
#define TS_WAIT		(30 * HZ)

/**
 * struct ts - one case's consumer
 * @fail_connects: connect attempts that fail before one succeeds
 *	(-1: all fail)
 * @connects: connect calls
 * @disconnects: disconnect calls
 * @probes: keep-alive probes sent
 * @answer: answer each probe (kfi_sess_path_alive())
 * @lose_in_connect: report a loss from inside this connect call (1-based)
 * @events: events seen, by kind
 * @why: the reason given with the last down event
 * @wq: woken at every callback
 * @path: the path
 */
struct ts {
	int fail_connects;
	int connects;
	int disconnects;
	int probes;
	bool answer;
	int lose_in_connect;
	int events[KFI_SESS_EV_NR];
	char why[KFI_SESS_WHY_MAX];
	wait_queue_head_t wq;
	struct kfi_sess_path *path;
};

static int ts_connect(struct kfi_sess_path *path)
{
	struct ts *t = path->priv;
	int n = ++t->connects;

	if (t->lose_in_connect == n)
		kfi_sess_path_down(path, "lost while connecting");
	wake_up(&t->wq);
	if (t->fail_connects < 0 || n <= t->fail_connects)
		return -ECONNREFUSED;
	return 0;
}

static void ts_disconnect(struct kfi_sess_path *path)
{
	struct ts *t = path->priv;

	t->disconnects++;
	wake_up(&t->wq);
}

static int ts_keepalive(struct kfi_sess_path *path)
{
	struct ts *t = path->priv;

	t->probes++;
	if (t->answer)
		kfi_sess_path_alive(path);
	wake_up(&t->wq);
	return 0;
}

static void ts_event(struct kfi_sess_path *path, enum kfi_sess_event ev,
		     const char *why)
{
	struct ts *t = path->priv;

	t->events[ev]++;
	if (ev == KFI_SESS_EV_DOWN && why)
		strscpy(t->why, why, sizeof(t->why));
	wake_up(&t->wq);
}

static const struct kfi_sess_ops ts_ops = {
	.connect = ts_connect,
	.disconnect = ts_disconnect,
	.keepalive = ts_keepalive,
	.event = ts_event,
};

static const struct kfi_sess_params ts_params = {
	.reconnect_delay_ms = 20,
	.ctrl_loss_tmo_s = -1,
	.fast_io_fail_tmo_s = -1,
};

static struct ts *ts_new(void)
{
	struct ts *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (t)
		init_waitqueue_head(&t->wq);
	return t;
}

/* A started session for @t, or NULL with *@ret saying why. */
static struct kfi_sess *ts_start(struct ts *t, const struct kfi_sess_params *p,
				 int *ret)
{
	struct kfi_sess *s;

	s = kfi_sess_create("kfi_test_sess", &ts_ops, p, t);
	if (IS_ERR(s)) {
		*ret = PTR_ERR(s);
		return NULL;
	}
	*ret = kfi_sess_add_path(s, "peer", t, &t->path);
	if (!*ret)
		*ret = kfi_sess_start(s);
	if (*ret) {
		kfi_sess_free(s);
		return NULL;
	}
	return s;
}

static int ts_wait(struct ts *t, enum kfi_sess_event ev, int n)
{
	if (!wait_event_timeout(t->wq, READ_ONCE(t->events[ev]) >= n, TS_WAIT)) {
		pr_info("    # no %d %s event(s): %d seen\n", n,
			kfi_sess_event_str(ev), t->events[ev]);
		return -ETIMEDOUT;
	}
	return 0;
}

/*
 * Run one case: start a session with @p, let @act work it, then @check
 * what happened; the session is stopped and freed whatever the outcome,
 * so a failed check leaves no worker behind.
 */
static int ts_case(const struct kfi_sess_params *p, int fail_connects,
		   int (*act)(struct ts *t, struct kfi_sess *s),
		   int (*check)(struct ts *t, struct kfi_sess *s))
{
	struct ts *t = ts_new();
	struct kfi_sess *s;
	int ret;

	if (!t)
		return -ENOMEM;
	s = ts_start(t, p, &ret);
	if (s) {
		t->fail_connects = fail_connects;
		ret = act(t, s);
		kfi_sess_stop(s);
		if (!ret)
			ret = check(t, s);
		kfi_sess_free(s);
	}
	kfree(t);
	return ret;
}

static int sess_params_check(struct kfi_sess *s)
{
	struct kfi_sess_path *path, *second;

	KT_EXPECT_EQ(kfi_sess_start(s), -EINVAL);
	KT_EXPECT_EQ(kfi_sess_add_path(s, "a", NULL, &path), 0);
	KT_EXPECT_EQ(kfi_sess_add_path(s, "a", NULL, &second), -EEXIST);
	KT_EXPECT_EQ(kfi_sess_add_path(s, "", NULL, &second), -EINVAL);
	KT_EXPECT_EQ(kfi_sess_add_path(s, "b", NULL, &second), 0);
	KT_EXPECT_EQ(kfi_sess_state(s), KFI_SESS_NEW);
	KT_EXPECT(!kfi_sess_path_get(s));	/* nothing live */
	KT_EXPECT_EQ(kfi_sess_remove_path(second), 0);
	return 0;
}

static int sess_params_refused(void)
{
	static const struct kfi_sess_ops no_connect = {
		.disconnect = ts_disconnect,
	};
	struct kfi_sess_params p = ts_params;
	struct kfi_sess *s;
	int ret;

	KT_EXPECT_EQ(PTR_ERR(kfi_sess_create("x", &no_connect, &p, NULL)),
		     -EINVAL);
	KT_EXPECT_EQ(PTR_ERR(kfi_sess_create("", &ts_ops, &p, NULL)), -EINVAL);
	p.reconnect_delay_ms = 0;
	KT_EXPECT_EQ(PTR_ERR(kfi_sess_create("x", &ts_ops, &p, NULL)), -EINVAL);
	p = ts_params;
	p.keepalive_ms = 10;
	KT_EXPECT_EQ(PTR_ERR(kfi_sess_create("x", &ts_ops, &p, NULL)), -EINVAL);
	p = ts_params;
	p.ctrl_loss_tmo_s = -2;
	KT_EXPECT_EQ(PTR_ERR(kfi_sess_create("x", &ts_ops, &p, NULL)), -EINVAL);
	p = ts_params;
	p.policy = KFI_SESS_POLICY_NR;
	KT_EXPECT_EQ(PTR_ERR(kfi_sess_create("x", &ts_ops, &p, NULL)), -EINVAL);
	p = ts_params;
	p.fast_io_fail_tmo_s = 86401;
	KT_EXPECT_EQ(PTR_ERR(kfi_sess_create("x", &ts_ops, &p, NULL)), -ERANGE);
	s = kfi_sess_create("x", &ts_ops, &ts_params, NULL);
	KT_EXPECT(!IS_ERR(s));
	ret = sess_params_check(s);
	kfi_sess_free(s);
	kfi_sess_free(NULL);
	return ret;
}

/* A first connect that fails is the caller's error, not an outage. */
static int sess_first_connect_fails(void)
{
	struct ts *t = ts_new();
	struct kfi_sess *s;
	int ret;

	if (!t)
		return -ENOMEM;
	t->fail_connects = -1;
	s = ts_start(t, &ts_params, &ret);
	kfi_sess_free(s);
	if (!s && ret == -ECONNREFUSED && t->connects == 1 &&
	    !t->disconnects)
		ret = 0;
	else
		pr_info("    # start: %d, %d connects, %d disconnects\n", ret,
			t->connects, t->disconnects);
	kfree(t);
	return s ? -EINVAL : ret;
}

static int act_lose_until_up(struct ts *t, struct kfi_sess *s)
{
	kfi_sess_path_down(t->path, "test loss");
	kfi_sess_path_down(t->path, "second report");	/* ignored */
	return ts_wait(t, KFI_SESS_EV_UP, 1);
}

static int check_reconnect(struct ts *t, struct kfi_sess *s)
{
	struct kfi_sess_stats st;

	kfi_sess_get_stats(s, &st);
	KT_EXPECT_EQ(t->disconnects, 1);
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_DOWN], 1);
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_RECONNECT_FAILED], 2);
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_FAST_FAIL], 0);
	KT_EXPECT_EQ(st.reconnect_attempts, 3);
	KT_EXPECT_EQ(st.events[KFI_SESS_EV_UP], 1);
	KT_EXPECT(!strcmp(t->why, "test loss"));
	return 0;
}

/* Down, two failed attempts, up: each step once, in order, counted. */
static int sess_reconnect(void)
{
	/* The first connect (start) and two attempts fail. */
	return ts_case(&ts_params, 3, act_lose_until_up, check_reconnect);
}

static int act_lose_until_give_up(struct ts *t, struct kfi_sess *s)
{
	kfi_sess_path_down(t->path, "test loss");
	return ts_wait(t, KFI_SESS_EV_GIVE_UP, 1);
}

static int check_give_up(struct ts *t, struct kfi_sess *s)
{
	/* After stop: the failed state is what stop found. */
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_FAST_FAIL], 1);
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_UP], 0);
	KT_EXPECT(t->events[KFI_SESS_EV_RECONNECT_FAILED] >= 1);
	KT_EXPECT(kfi_sess_fail_fast(s));
	KT_EXPECT_EQ(kfi_sess_max_attempts(s), 10);
	return 0;
}

/* Never reconnects: fail fast at once, give up after 1 s. */
static int sess_give_up(void)
{
	struct kfi_sess_params p = ts_params;

	p.ctrl_loss_tmo_s = 1;
	p.fast_io_fail_tmo_s = 0;
	p.reconnect_delay_ms = 100;
	return ts_case(&p, -1, act_lose_until_give_up, check_give_up);
}

static int act_lose_check_failed(struct ts *t, struct kfi_sess *s)
{
	int ret = act_lose_until_give_up(t, s);

	if (!ret && kfi_sess_state(s) != KFI_SESS_FAILED)
		ret = -EINVAL;
	return ret;
}

static int check_no_reconnect(struct ts *t, struct kfi_sess *s)
{
	KT_EXPECT_EQ(t->connects, 1);
	KT_EXPECT_EQ(t->disconnects, 1);
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_RECONNECT_FAILED], 0);
	return 0;
}

/* Give-up time 0: the first loss fails the session, no attempt made. */
static int sess_no_reconnect(void)
{
	struct kfi_sess_params p = ts_params;

	p.ctrl_loss_tmo_s = 0;
	return ts_case(&p, 0, act_lose_check_failed, check_no_reconnect);
}

static int act_lose_until_up_live(struct ts *t, struct kfi_sess *s)
{
	int ret;

	kfi_sess_path_down(t->path, "test loss");
	ret = ts_wait(t, KFI_SESS_EV_UP, 1);
	/* Checked before stop: live again, work may flow. */
	if (!ret && (kfi_sess_state(s) != KFI_SESS_LIVE ||
		     kfi_sess_fail_fast(s)))
		ret = -EINVAL;
	return ret;
}

static int check_fast_fail(struct ts *t, struct kfi_sess *s)
{
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_FAST_FAIL], 1);
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_RECONNECT_FAILED], 1);
	return 0;
}

/* Fail-fast, then the path comes back: work may flow again. */
static int sess_fast_fail_then_up(void)
{
	struct kfi_sess_params p = ts_params;

	p.fast_io_fail_tmo_s = 0;
	p.reconnect_delay_ms = 200;
	return ts_case(&p, 2, act_lose_until_up_live, check_fast_fail);
}

static int act_wait_up(struct ts *t, struct kfi_sess *s)
{
	return ts_wait(t, KFI_SESS_EV_UP, 1);
}

static int check_keepalive_miss(struct ts *t, struct kfi_sess *s)
{
	struct kfi_sess_stats st;

	kfi_sess_get_stats(s, &st);
	KT_EXPECT(!strncmp(t->why, "keep-alive: 3 probes", 20));
	KT_EXPECT(t->probes >= 3);
	KT_EXPECT(st.events[KFI_SESS_EV_KEEPALIVE_MISS] >= 3);
	KT_EXPECT(st.keepalives >= 3);
	return 0;
}

/* Unanswered keep-alive probes take the path down; it reconnects. */
static int sess_keepalive_miss(void)
{
	struct kfi_sess_params p = ts_params;

	p.keepalive_ms = 20;
	p.keepalive_misses = 3;
	return ts_case(&p, 0, act_wait_up, check_keepalive_miss);
}

static int act_ten_probes(struct ts *t, struct kfi_sess *s)
{
	t->answer = true;
	if (!wait_event_timeout(t->wq, READ_ONCE(t->probes) >= 10, TS_WAIT))
		return -ETIMEDOUT;
	return 0;
}

static int check_keepalive_answered(struct ts *t, struct kfi_sess *s)
{
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_DOWN], 0);
	KT_EXPECT_EQ(t->disconnects, 0);
	return 0;
}

/* Answered probes keep an idle path up: ten chances to miss one. */
static int sess_keepalive_answered(void)
{
	struct kfi_sess_params p = ts_params;

	p.keepalive_ms = 20;
	p.keepalive_misses = 1;
	return ts_case(&p, 0, act_ten_probes, check_keepalive_answered);
}

static int act_lose_twice(struct ts *t, struct kfi_sess *s)
{
	t->lose_in_connect = 2;		/* the first reconnect attempt */
	kfi_sess_path_down(t->path, "test loss");
	return ts_wait(t, KFI_SESS_EV_UP, 1);
}

static int check_lost_while_connecting(struct ts *t, struct kfi_sess *s)
{
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_DOWN], 2);
	KT_EXPECT_EQ(t->disconnects, 2);
	KT_EXPECT_EQ(t->connects, 3);
	KT_EXPECT(!strcmp(t->why, "lost while connecting"));
	return 0;
}

/* A loss reported while the connect callback runs is not lost. */
static int sess_lost_while_connecting(void)
{
	return ts_case(&ts_params, 0, act_lose_twice,
		       check_lost_while_connecting);
}

static int act_stop_reconnecting(struct ts *t, struct kfi_sess *s)
{
	int ret, n;

	kfi_sess_path_down(t->path, "test loss");
	ret = ts_wait(t, KFI_SESS_EV_RECONNECT_FAILED, 2);
	kfi_sess_stop(s);
	n = t->connects;
	kfi_sess_path_down(t->path, "after stop");	/* ignored */
	msleep(100);	/* five reconnect delays: none may run */
	if (!ret && (t->connects != n ||
		     kfi_sess_state(s) != KFI_SESS_CLOSED))
		ret = -EINVAL;
	return ret;
}

static int check_stopped(struct ts *t, struct kfi_sess *s)
{
	KT_EXPECT_EQ(t->disconnects, 1);
	KT_EXPECT_EQ(t->events[KFI_SESS_EV_UP], 0);
	return 0;
}

/* Stop while reconnecting: no callback after it returns. */
static int sess_stop_reconnecting(void)
{
	return ts_case(&ts_params, -1, act_stop_reconnecting, check_stopped);
}

static int act_op_status(struct ts *t, struct kfi_sess *s)
{
	KT_EXPECT_EQ(kfi_sess_op_status(t->path, 0), 0);
	KT_EXPECT_EQ(kfi_sess_op_status(t->path, -ECANCELED), -KFI_EPATHDOWN);
	KT_EXPECT_EQ(kfi_sess_op_status(t->path, -EACCES), -EACCES);
	kfi_sess_path_down(t->path, "test loss");
	KT_EXPECT_EQ(kfi_sess_op_status(t->path, -EACCES), -KFI_EPATHDOWN);
	return 0;
}

static int check_nothing(struct ts *t, struct kfi_sess *s)
{
	return 0;
}

/* Connection errors become "resubmit"; an operation's own stay. */
static int sess_op_status(void)
{
	return ts_case(&ts_params, -1, act_op_status, check_nothing);
}

/* Multipath: one consumer state per path, so each path counts its own. */
#define MP_PATHS	3

struct mp {
	struct ts t[MP_PATHS];
	struct kfi_sess *s;
};

static const char *const mp_names[MP_PATHS] = { "a", "b", "c" };

/* Index of @path in @m, or -1 (NULL, or not one of ours). */
static int mp_idx(struct mp *m, struct kfi_sess_path *path)
{
	int i;

	for (i = 0; path && i < MP_PATHS; i++)
		if (path == m->t[i].path)
			return i;
	return -1;
}

/* Get a path, note which, put it back. */
static int mp_pick(struct mp *m)
{
	struct kfi_sess_path *path = kfi_sess_path_get(m->s);

	if (path)
		kfi_sess_path_put(path);
	return mp_idx(m, path);
}

/*
 * Start a session of MP_PATHS paths under @policy, let @act work it; the
 * session is stopped and freed whatever the outcome.
 */
static int mp_case(enum kfi_sess_policy policy, int (*act)(struct mp *m))
{
	struct kfi_sess_params p = ts_params;
	struct mp *m = kzalloc(sizeof(*m), GFP_KERNEL);
	int i, ret = 0;

	if (!m)
		return -ENOMEM;
	p.policy = policy;
	for (i = 0; i < MP_PATHS; i++)
		init_waitqueue_head(&m->t[i].wq);
	m->s = kfi_sess_create("kfi_test_sess", &ts_ops, &p, m);
	if (IS_ERR(m->s)) {
		ret = PTR_ERR(m->s);
		kfree(m);
		return ret;
	}
	for (i = 0; i < MP_PATHS && !ret; i++)
		ret = kfi_sess_add_path(m->s, mp_names[i], &m->t[i],
					&m->t[i].path);
	if (!ret)
		ret = kfi_sess_start(m->s);
	if (!ret)
		ret = act(m);
	kfi_sess_free(m->s);
	kfree(m);
	return ret;
}

/* Take path @i down for good (its reconnects fail) and wait for it. */
static int mp_lose(struct mp *m, int i)
{
	m->t[i].fail_connects = -1;
	kfi_sess_path_down(m->t[i].path, "test loss");
	return ts_wait(&m->t[i], KFI_SESS_EV_DOWN, 1);
}

static int act_round_robin(struct mp *m)
{
	static const int order[] = { 0, 1, 2, 0, 1, 2 }, skip[] = { 0, 2, 0, 2 };
	int i;

	for (i = 0; i < ARRAY_SIZE(order); i++)
		KT_EXPECT_EQ(mp_pick(m), order[i]);
	KT_EXPECT_EQ(mp_lose(m, 1), 0);
	/* The cursor is at 6: 6 % 2 = 0. */
	for (i = 0; i < ARRAY_SIZE(skip); i++)
		KT_EXPECT_EQ(mp_pick(m), skip[i]);
	KT_EXPECT_EQ(kfi_sess_state(m->s), KFI_SESS_LIVE);
	KT_EXPECT(!kfi_sess_fail_fast(m->s));
	KT_EXPECT_EQ(m->t[1].disconnects, 1);
	KT_EXPECT_EQ(m->t[0].disconnects + m->t[2].disconnects, 0);
	return 0;
}

/* Each live path in turn; a path that is down is skipped. */
static int sess_multipath_round_robin(void)
{
	return mp_case(KFI_SESS_POLICY_ROUND_ROBIN, act_round_robin);
}

static int act_min_inflight(struct mp *m)
{
	struct kfi_sess_path *held[4];
	int i;

	/* Empty paths tie: the first; then the next emptiest. */
	for (i = 0; i < MP_PATHS; i++) {
		held[i] = kfi_sess_path_get(m->s);
		KT_EXPECT_EQ(mp_idx(m, held[i]), i);
	}
	kfi_sess_path_put(held[1]);
	held[1] = kfi_sess_path_get(m->s);
	KT_EXPECT_EQ(mp_idx(m, held[1]), 1);
	held[3] = kfi_sess_path_get(m->s);	/* all at 1: the first */
	KT_EXPECT_EQ(mp_idx(m, held[3]), 0);
	KT_EXPECT_EQ(atomic_read(&m->t[0].path->inflight), 2);
	for (i = 0; i < 4; i++)
		kfi_sess_path_put(held[i]);
	for (i = 0; i < MP_PATHS; i++)
		KT_EXPECT_EQ(atomic_read(&m->t[i].path->inflight), 0);
	return 0;
}

/* The path with the fewest operations in flight. */
static int sess_multipath_min_inflight(void)
{
	return mp_case(KFI_SESS_POLICY_MIN_INFLIGHT, act_min_inflight);
}

static int act_failover(struct mp *m)
{
	KT_EXPECT_EQ(mp_pick(m), 0);
	KT_EXPECT_EQ(mp_pick(m), 0);
	KT_EXPECT_EQ(mp_lose(m, 0), 0);
	KT_EXPECT_EQ(mp_pick(m), 1);
	KT_EXPECT_EQ(mp_lose(m, 1), 0);
	KT_EXPECT_EQ(mp_pick(m), 2);
	KT_EXPECT_EQ(mp_lose(m, 2), 0);
	KT_EXPECT_EQ(mp_pick(m), -1);	/* none live */
	KT_EXPECT_EQ(kfi_sess_state(m->s), KFI_SESS_RECONNECTING);
	m->t[1].fail_connects = 0;	/* b comes back */
	KT_EXPECT_EQ(ts_wait(&m->t[1], KFI_SESS_EV_UP, 1), 0);
	KT_EXPECT_EQ(mp_pick(m), 1);
	m->t[0].fail_connects = 0;	/* and a, the first */
	KT_EXPECT_EQ(ts_wait(&m->t[0], KFI_SESS_EV_UP, 1), 0);
	KT_EXPECT_EQ(mp_pick(m), 0);
	return 0;
}

/* The first live path; the next takes over while it is down. */
static int sess_multipath_failover(void)
{
	return mp_case(KFI_SESS_POLICY_FAILOVER, act_failover);
}

struct mp_remove {
	struct work_struct work;
	struct kfi_sess_path *path;
	int ret;
	bool done;
	wait_queue_head_t wq;
};

static void mp_remove_work(struct work_struct *work)
{
	struct mp_remove *r = container_of(work, struct mp_remove, work);

	r->ret = kfi_sess_remove_path(r->path);
	WRITE_ONCE(r->done, true);
	wake_up(&r->wq);
}

/* Check what a removal in progress of @i must look like. */
static int mp_removing(struct mp *m, int i, struct mp_remove *r)
{
	int j;

	/* The disconnect runs at once: the held operation comes back. */
	if (!wait_event_timeout(m->t[i].wq, READ_ONCE(m->t[i].disconnects),
				TS_WAIT))
		return -ETIMEDOUT;
	msleep(50);
	if (READ_ONCE(r->done))
		return -EBUSY;	/* freed under the operation */
	for (j = 0; j < 2 * MP_PATHS; j++)
		if (mp_pick(m) == i)
			return -EEXIST;
	return 0;
}

/* Remove @i while an operation holds it: only its put lets go. */
static int mp_remove_held(struct mp *m, int i)
{
	struct kfi_sess_path *held;
	struct mp_remove *r;
	int ret, tries = 0;

	/* Round-robin: @i comes up within one turn of the paths. */
	do {
		held = kfi_sess_path_get(m->s);
		if (held && held != m->t[i].path) {
			kfi_sess_path_put(held);
			held = NULL;
		}
	} while (!held && ++tries < MP_PATHS);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!held || !r) {
		if (held)
			kfi_sess_path_put(held);
		kfree(r);
		return -ENOENT;
	}
	r->path = held;
	init_waitqueue_head(&r->wq);
	INIT_WORK(&r->work, mp_remove_work);
	schedule_work(&r->work);
	ret = mp_removing(m, i, r);
	kfi_sess_path_put(held);
	if (!wait_event_timeout(r->wq, READ_ONCE(r->done), TS_WAIT)) {
		/* Stuck for good: leave it (and @r) rather than hang. */
		pr_info("    # remove_path did not return after the put\n");
		return -ETIMEDOUT;
	}
	ret = ret ?: r->ret;
	kfree(r);
	m->t[i].path = NULL;
	return ret;
}

static int act_add_remove(struct mp *m)
{
	struct kfi_sess_path *path;
	struct ts extra = { .fail_connects = -1 };
	unsigned long seen;
	int i;

	init_waitqueue_head(&extra.wq);
	KT_EXPECT_EQ(mp_remove_held(m, 1), 0);
	KT_EXPECT_EQ(m->t[1].disconnects, 1);
	for (i = 0; i < 4; i++)
		KT_EXPECT(mp_pick(m) != 1);
	/* Added to a started session: connected at once, or not added. */
	KT_EXPECT_EQ(kfi_sess_add_path(m->s, "d", &extra, &path),
		     -ECONNREFUSED);
	KT_EXPECT_EQ(extra.connects, 1);
	KT_EXPECT_EQ(kfi_sess_add_path(m->s, "a", &extra, &path), -EEXIST);
	m->t[1].connects = 0;
	KT_EXPECT_EQ(kfi_sess_add_path(m->s, "b", &m->t[1], &m->t[1].path),
		     0);
	KT_EXPECT_EQ(m->t[1].connects, 1);
	KT_EXPECT_EQ(kfi_sess_path_state(m->t[1].path), KFI_SESS_LIVE);
	seen = 0;
	for (i = 0; i < MP_PATHS; i++) {
		int k = mp_pick(m);

		KT_EXPECT(k >= 0);
		seen |= BIT(k);
	}
	KT_EXPECT_EQ(seen, BIT(MP_PATHS) - 1);
	/* Not held: gone at once, disconnected. */
	KT_EXPECT_EQ(kfi_sess_remove_path(m->t[0].path), 0);
	KT_EXPECT_EQ(m->t[0].disconnects, 1);
	KT_EXPECT_EQ(kfi_sess_remove_path(m->t[2].path), 0);
	KT_EXPECT_EQ(mp_pick(m), 1);
	/* The last path of a started session stays: stop it instead. */
	KT_EXPECT_EQ(kfi_sess_remove_path(m->t[1].path), -EBUSY);
	return 0;
}

/*
 * Paths removed at run time (one while an operation holds it) and added
 * (connected at once, or refused with the connect's error).
 */
static int sess_multipath_add_remove(void)
{
	return mp_case(KFI_SESS_POLICY_ROUND_ROBIN, act_add_remove);
}

static const struct kt_case sess_cases[] = {
	KT_CASE(sess_params_refused),
	KT_CASE(sess_first_connect_fails),
	KT_CASE(sess_reconnect),
	KT_CASE(sess_give_up),
	KT_CASE(sess_no_reconnect),
	KT_CASE(sess_fast_fail_then_up),
	KT_CASE(sess_keepalive_miss),
	KT_CASE(sess_keepalive_answered),
	KT_CASE(sess_lost_while_connecting),
	KT_CASE(sess_stop_reconnecting),
	KT_CASE(sess_op_status),
	KT_CASE(sess_multipath_round_robin),
	KT_CASE(sess_multipath_min_inflight),
	KT_CASE(sess_multipath_failover),
	KT_CASE(sess_multipath_add_remove),
};

static int __init kfi_test_sess_init(void)
{
	kt_run(sess_cases, ARRAY_SIZE(sess_cases));
	return 0;
}

static void __exit kfi_test_sess_exit(void)
{
}

module_init(kfi_test_sess_init);
module_exit(kfi_test_sess_exit);

MODULE_DESCRIPTION("kfabric selftest: sessions (keep-alive, reconnect, fail-fast, give-up, multipath)");
MODULE_LICENSE("GPL");
