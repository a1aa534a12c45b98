// SPDX-License-Identifier: GPL-2.0
/*
 * The session state machine (kfabric/sess.c) on its own: a consumer here
 * whose connect callback succeeds or fails as each case says, and whose
 * keep-alive is answered or not, so every path through an outage -- loss,
 * attempts, reconnect, fail-fast, give-up, keep-alive, stop -- runs in a
 * known order.  The cases wait for the events they expect (the wait is a
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
	/* One path today. */
	KT_EXPECT_EQ(kfi_sess_add_path(s, "b", NULL, &second), -EOPNOTSUPP);
	KT_EXPECT_EQ(kfi_sess_state(s), KFI_SESS_NEW);
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

MODULE_DESCRIPTION("kfabric selftest: sessions (keep-alive, reconnect, fail-fast, give-up)");
MODULE_LICENSE("GPL");
