// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric sessions: keep-alive, reconnect, fail-fast and give-up for every
 * consumer (include/kfabric/kfi_sess.h).
 *
 * Each path has one worker (a delayed work on kfi_sess_wq) that does all
 * of an outage in order: tear the path down, then try to connect every
 * reconnect delay, send the fail-fast event when that time passes, give
 * up when the give-up time passes.  Being one work item, it never runs
 * twice at once, so the consumer's connect and disconnect never race.  A
 * loss may be reported from any context (a completion handler, a timer):
 * kfi_sess_path_down() only flips the state and queues the worker.
 *
 * Paths are added and removed under the session's mutex and walked under
 * RCU, so kfi_sess_path_get() picks one from any context without a lock.
 * A removed path is freed only once no walker can see it and every
 * operation it handed out has been put back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <kfabric/kfi_sess.h>

#include "kfi_priv.h"

/* Reclaim may wait on a block device behind a session: WQ_MEM_RECLAIM. */
static struct workqueue_struct *kfi_sess_wq;
static struct dentry *kfi_sess_debugfs;

static const char *const kfi_sess_state_names[] = {
	[KFI_SESS_NEW] = "new",
	[KFI_SESS_CONNECTING] = "connecting",
	[KFI_SESS_LIVE] = "live",
	[KFI_SESS_RECONNECTING] = "reconnecting",
	[KFI_SESS_FAILED] = "failed",
	[KFI_SESS_CLOSED] = "closed",
};

static const char *const kfi_sess_event_names[] = {
	[KFI_SESS_EV_DOWN] = "down",
	[KFI_SESS_EV_UP] = "up",
	[KFI_SESS_EV_RECONNECT_FAILED] = "reconnect_failed",
	[KFI_SESS_EV_FAST_FAIL] = "fast_fail",
	[KFI_SESS_EV_GIVE_UP] = "give_up",
	[KFI_SESS_EV_KEEPALIVE_MISS] = "keepalive_miss",
};

static const char *const kfi_sess_policy_names[] = {
	[KFI_SESS_POLICY_FAILOVER] = "failover",
	[KFI_SESS_POLICY_ROUND_ROBIN] = "round-robin",
	[KFI_SESS_POLICY_MIN_INFLIGHT] = "min-inflight",
};

/**
 * kfi_sess_state_str() - name of a state, as sysfs and debugfs show it
 * @state: a state
 *
 * Return: "live", "reconnecting", ...; "unknown" for a bad value.
 */
const char *kfi_sess_state_str(enum kfi_sess_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(kfi_sess_state_names))
		return "unknown";
	return kfi_sess_state_names[state];
}
EXPORT_SYMBOL_GPL(kfi_sess_state_str);

/**
 * kfi_sess_event_str() - name of an event
 * @ev: an event
 *
 * Return: "down", "up", ...; "unknown" for a bad value.
 */
const char *kfi_sess_event_str(enum kfi_sess_event ev)
{
	if ((unsigned int)ev >= ARRAY_SIZE(kfi_sess_event_names))
		return "unknown";
	return kfi_sess_event_names[ev];
}
EXPORT_SYMBOL_GPL(kfi_sess_event_str);

/**
 * kfi_sess_policy_str() - name of a path policy
 * @policy: a policy
 *
 * Return: "failover", "round-robin", "min-inflight"; "unknown" for a bad
 * value.
 */
const char *kfi_sess_policy_str(enum kfi_sess_policy policy)
{
	if ((unsigned int)policy >= ARRAY_SIZE(kfi_sess_policy_names))
		return "unknown";
	return kfi_sess_policy_names[policy];
}
EXPORT_SYMBOL_GPL(kfi_sess_policy_str);

/**
 * kfi_sess_max_attempts() - reconnect attempts an outage may take
 * @sess: session
 *
 * The give-up time over the reconnect delay, rounded up, as nvme counts
 * its max_reconnects.
 *
 * Return: that number; 0 when it never reconnects; U32_MAX when it never
 * gives up.
 */
u32 kfi_sess_max_attempts(const struct kfi_sess *sess)
{
	const struct kfi_sess_params *p = &sess->params;

	if (p->ctrl_loss_tmo_s < 0)
		return U32_MAX;
	return DIV_ROUND_UP((u64)p->ctrl_loss_tmo_s * MSEC_PER_SEC,
			    p->reconnect_delay_ms);
}
EXPORT_SYMBOL_GPL(kfi_sess_max_attempts);

static void kfi_sess_count(struct kfi_sess_path *path, enum kfi_sess_event ev)
{
	unsigned long flags;

	spin_lock_irqsave(&path->lock, flags);
	path->stats.events[ev]++;
	spin_unlock_irqrestore(&path->lock, flags);
}

/* Count @ev and tell the consumer; from the path's worker only. */
static void kfi_sess_event(struct kfi_sess_path *path, enum kfi_sess_event ev,
			   const char *why)
{
	kfi_sess_count(path, ev);
	if (path->sess->ops->event)
		path->sess->ops->event(path, ev, why);
}

static void kfi_sess_set_state(struct kfi_sess_path *path,
			       enum kfi_sess_state state)
{
	unsigned long flags;

	spin_lock_irqsave(&path->lock, flags);
	if (path->state != KFI_SESS_CLOSED)
		path->state = state;
	spin_unlock_irqrestore(&path->lock, flags);
}

static void kfi_sess_ka_arm(struct kfi_sess_path *path)
{
	u32 ms = path->sess->params.keepalive_ms;

	if (ms)
		queue_delayed_work(kfi_sess_wq, &path->ka_work,
				   msecs_to_jiffies(ms));
}

/**
 * kfi_sess_path_down() - report that a path is lost
 * @path: the path
 * @why: what the consumer saw (copied), for the log and the events
 *
 * Only the first report of an outage counts; later ones, and reports
 * while the path is not up, are ignored (a report while the connect
 * callback runs is acted on once it returned).  The path's worker then
 * calls the disconnect callback and starts reconnecting.
 *
 * Context: any; never sleeps.
 */
void kfi_sess_path_down(struct kfi_sess_path *path, const char *why)
{
	unsigned long flags;
	bool queue = false;

	spin_lock_irqsave(&path->lock, flags);
	if (path->state == KFI_SESS_LIVE) {
		path->state = KFI_SESS_RECONNECTING;
		strscpy(path->why, why, sizeof(path->why));
		path->down_since = jiffies;
		path->next_attempt = jiffies +
			msecs_to_jiffies(path->sess->params.reconnect_delay_ms);
		path->attempt = 0;
		path->fast_failed = false;
		path->torn_down = false;
		queue = true;
	} else if (path->connecting && !path->down_again) {
		path->down_again = true;
		strscpy(path->why, why, sizeof(path->why));
	}
	spin_unlock_irqrestore(&path->lock, flags);
	if (queue) {
		pr_warn("%s: path %s down: %s\n", path->sess->name, path->name,
			why);
		/* The worker may be idle or between attempts: now. */
		mod_delayed_work(kfi_sess_wq, &path->work, 0);
	}
}
EXPORT_SYMBOL_GPL(kfi_sess_path_down);

/**
 * kfi_sess_path_alive() - the peer was heard from on @path
 * @path: the path
 *
 * Any answer counts (a keep-alive probe's or any other), so a busy path
 * is never probed.
 *
 * Context: any; never sleeps.
 */
void kfi_sess_path_alive(struct kfi_sess_path *path)
{
	/* A flag only: no lock on the data path. */
	WRITE_ONCE(path->alive, true);
}
EXPORT_SYMBOL_GPL(kfi_sess_path_alive);

/**
 * kfi_sess_op_status() - the status to complete an operation with
 * @path: the path it was posted on
 * @err: the provider's completion error (0 or a negative errno)
 *
 * Errors that say the connection, not the operation, failed (flushes,
 * transport retries exhausted, resets), and any error while the path is
 * not up, become -KFI_EPATHDOWN: the consumer resubmits the operation on
 * a path that is up.  Other errors are the operation's own.
 *
 * Context: any.
 * Return: 0, -KFI_EPATHDOWN or @err.
 */
int kfi_sess_op_status(struct kfi_sess_path *path, int err)
{
	if (!err)
		return 0;
	if (READ_ONCE(path->state) != KFI_SESS_LIVE)
		return -KFI_EPATHDOWN;
	switch (err) {
	case -ECANCELED:
	case -ENOTCONN:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -ETIMEDOUT:
	case -EIO:
	case -ENODEV:
		return -KFI_EPATHDOWN;
	default:
		return err;
	}
}
EXPORT_SYMBOL_GPL(kfi_sess_op_status);

/* The keep-alive tick of a live path. */
static void kfi_sess_ka_work(struct work_struct *work)
{
	struct kfi_sess_path *path = container_of(to_delayed_work(work),
						  struct kfi_sess_path,
						  ka_work);
	const struct kfi_sess_params *p = &path->sess->params;
	char why[KFI_SESS_WHY_MAX];
	bool heard, miss = false;
	u32 misses;

	spin_lock_irq(&path->lock);
	if (path->state != KFI_SESS_LIVE) {
		spin_unlock_irq(&path->lock);
		return;
	}
	heard = READ_ONCE(path->alive);
	WRITE_ONCE(path->alive, false);
	if (heard) {
		path->misses = 0;
	} else if (path->probed) {
		path->misses++;
		path->stats.events[KFI_SESS_EV_KEEPALIVE_MISS]++;
		miss = true;
	}
	misses = path->misses;
	spin_unlock_irq(&path->lock);

	if (miss && misses >= p->keepalive_misses) {
		snprintf(why, sizeof(why), "keep-alive: %u probes unanswered",
			 misses);
		kfi_sess_path_down(path, why);
		return;
	}
	path->probed = false;
	if (!heard && path->sess->ops->keepalive) {
		/* -EAGAIN (nothing sent) counts as unanswered too. */
		path->sess->ops->keepalive(path);
		path->probed = true;
		spin_lock_irq(&path->lock);
		path->stats.keepalives++;
		spin_unlock_irq(&path->lock);
	}
	kfi_sess_ka_arm(path);
}

/* The connect callback, with losses reported meanwhile held back. */
static int kfi_sess_connect(struct kfi_sess_path *path)
{
	char why[KFI_SESS_WHY_MAX];
	bool again;
	int ret;

	spin_lock_irq(&path->lock);
	path->connecting = true;
	path->down_again = false;
	spin_unlock_irq(&path->lock);

	ret = path->sess->ops->connect(path);

	spin_lock_irq(&path->lock);
	path->connecting = false;
	again = path->down_again;
	strscpy(why, path->why, sizeof(why));
	if (!ret)
		path->connected = true;
	if (!ret && path->state != KFI_SESS_CLOSED) {
		path->state = KFI_SESS_LIVE;
		path->alive = true;
		path->probed = false;
		path->misses = 0;
	}
	spin_unlock_irq(&path->lock);
	/* Lost while it connected: down at once, through the worker. */
	if (!ret && again)
		kfi_sess_path_down(path, why);
	return ret;
}

static void kfi_sess_give_up(struct kfi_sess_path *path, const char *why)
{
	unsigned int secs = jiffies_to_msecs(jiffies - path->down_since) /
			    MSEC_PER_SEC;

	pr_err("%s: path %s: giving up after %u reconnect attempts, %u s down (%s)\n",
	       path->sess->name, path->name, path->attempt, secs, why);
	kfi_sess_set_state(path, KFI_SESS_FAILED);
	kfi_sess_event(path, KFI_SESS_EV_GIVE_UP, why);
}

/* One reconnect attempt; true when the path is up again. */
static bool kfi_sess_try(struct kfi_sess_path *path, const char *why)
{
	struct kfi_sess *sess = path->sess;
	u32 max = kfi_sess_max_attempts(sess);
	unsigned long down_ms;
	int ret;

	spin_lock_irq(&path->lock);
	path->attempt++;
	path->stats.reconnect_attempts++;
	spin_unlock_irq(&path->lock);
	if (max == U32_MAX)
		pr_info("%s: path %s: reconnect attempt %u (no limit); down because %s\n",
			sess->name, path->name, path->attempt, why);
	else
		pr_info("%s: path %s: reconnect attempt %u of %u; down because %s\n",
			sess->name, path->name, path->attempt, max, why);
	ret = kfi_sess_connect(path);
	if (ret) {
		pr_info("%s: path %s: reconnect attempt %u failed: %d\n",
			sess->name, path->name, path->attempt, ret);
		kfi_sess_event(path, KFI_SESS_EV_RECONNECT_FAILED, why);
		return false;
	}
	/* Lost again while connecting: the next run tears it down. */
	if (kfi_sess_path_state(path) != KFI_SESS_LIVE)
		return true;
	down_ms = jiffies_to_msecs(jiffies - path->down_since);
	pr_info("%s: path %s: up again after %u attempts, %lu ms down\n",
		sess->name, path->name, path->attempt, down_ms);
	kfi_sess_event(path, KFI_SESS_EV_UP, NULL);
	kfi_sess_ka_arm(path);
	return true;
}

/* When the worker must run next: the earliest deadline still ahead. */
static unsigned long kfi_sess_next(struct kfi_sess_path *path)
{
	const struct kfi_sess_params *p = &path->sess->params;
	unsigned long next = path->next_attempt, t;

	if (!path->fast_failed && p->fast_io_fail_tmo_s >= 0) {
		t = path->down_since + (unsigned long)p->fast_io_fail_tmo_s * HZ;
		if (time_before(t, next))
			next = t;
	}
	if (p->ctrl_loss_tmo_s > 0) {
		t = path->down_since + (unsigned long)p->ctrl_loss_tmo_s * HZ;
		if (time_before(t, next))
			next = t;
	}
	return time_after(next, jiffies) ? next - jiffies : 0;
}

/* The disconnect callback, once for every successful connect. */
static void kfi_sess_disconnect(struct kfi_sess_path *path)
{
	if (!path->connected)
		return;
	path->sess->ops->disconnect(path);
	spin_lock_irq(&path->lock);
	path->connected = false;
	spin_unlock_irq(&path->lock);
}

/* Tear down once per outage; false when the session never reconnects. */
static bool kfi_sess_teardown(struct kfi_sess_path *path, const char *why)
{
	if (path->torn_down)
		return true;
	cancel_delayed_work_sync(&path->ka_work);
	kfi_sess_disconnect(path);
	path->torn_down = true;
	kfi_sess_event(path, KFI_SESS_EV_DOWN, why);
	if (path->sess->params.ctrl_loss_tmo_s)
		return true;
	kfi_sess_give_up(path, why);
	return false;
}

static void kfi_sess_work(struct work_struct *work)
{
	struct kfi_sess_path *path = container_of(to_delayed_work(work),
						  struct kfi_sess_path, work);
	const struct kfi_sess_params *p = &path->sess->params;
	char why[KFI_SESS_WHY_MAX];
	unsigned long now;

	spin_lock_irq(&path->lock);
	if (path->state != KFI_SESS_RECONNECTING) {
		spin_unlock_irq(&path->lock);
		return;
	}
	strscpy(why, path->why, sizeof(why));
	spin_unlock_irq(&path->lock);

	if (!kfi_sess_teardown(path, why))
		return;
	now = jiffies;
	if (!path->fast_failed && p->fast_io_fail_tmo_s >= 0 &&
	    time_after_eq(now, path->down_since +
			  (unsigned long)p->fast_io_fail_tmo_s * HZ)) {
		WRITE_ONCE(path->fast_failed, true);
		pr_warn("%s: path %s: fail-fast time (%d s) passed: failing queued I/O\n",
			path->sess->name, path->name, p->fast_io_fail_tmo_s);
		kfi_sess_event(path, KFI_SESS_EV_FAST_FAIL, why);
	}
	if (p->ctrl_loss_tmo_s > 0 &&
	    time_after_eq(now, path->down_since +
			  (unsigned long)p->ctrl_loss_tmo_s * HZ)) {
		kfi_sess_give_up(path, why);
		return;
	}
	if (time_after_eq(now, path->next_attempt)) {
		if (kfi_sess_try(path, why))
			return;
		path->next_attempt = jiffies +
			msecs_to_jiffies(p->reconnect_delay_ms);
	}
	queue_delayed_work(kfi_sess_wq, &path->work, kfi_sess_next(path));
}

static int kfi_sess_params_check(const struct kfi_sess_params *p)
{
	if (p->keepalive_ms && !p->keepalive_misses)
		return -EINVAL;
	if (!p->reconnect_delay_ms || p->ctrl_loss_tmo_s < -1 ||
	    p->fast_io_fail_tmo_s < -1 || p->policy >= KFI_SESS_POLICY_NR)
		return -EINVAL;
	/* Seconds that fit jiffies arithmetic on 32-bit too. */
	if (p->ctrl_loss_tmo_s > 86400 || p->fast_io_fail_tmo_s > 86400 ||
	    p->keepalive_ms > 3600000 || p->reconnect_delay_ms > 3600000)
		return -ERANGE;
	return 0;
}

static int kfi_sess_show(struct seq_file *m, void *unused)
{
	struct kfi_sess *sess = m->private;
	const struct kfi_sess_params *p = &sess->params;
	struct kfi_sess_path *path;
	struct kfi_sess_stats st;
	int i;

	seq_printf(m, "session %s state %s\n", sess->name,
		   kfi_sess_state_str(kfi_sess_state(sess)));
	seq_printf(m, "params keepalive_ms %u keepalive_misses %u reconnect_delay_ms %u ctrl_loss_tmo %d fast_io_fail_tmo %d policy %s\n",
		   p->keepalive_ms, p->keepalive_misses, p->reconnect_delay_ms,
		   p->ctrl_loss_tmo_s, p->fast_io_fail_tmo_s,
		   kfi_sess_policy_str(p->policy));
	mutex_lock(&sess->lock);
	list_for_each_entry(path, &sess->paths, node) {
		spin_lock_irq(&path->lock);
		st = path->stats;
		seq_printf(m, "path %s state %s attempt %u inflight %d why \"%s\"\n",
			   path->name, kfi_sess_state_str(path->state),
			   path->attempt, atomic_read(&path->inflight),
			   path->why);
		spin_unlock_irq(&path->lock);
		seq_puts(m, " ");
		for (i = 0; i < KFI_SESS_EV_NR; i++)
			seq_printf(m, " %s %llu", kfi_sess_event_str(i),
				   st.events[i]);
		seq_printf(m, " reconnect_attempts %llu keepalives %llu\n",
			   st.reconnect_attempts, st.keepalives);
	}
	mutex_unlock(&sess->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kfi_sess);

/**
 * kfi_sess_create() - a session, with no path yet
 * @name: for the log and debugfs; unique among live sessions
 * @ops: the consumer's callbacks (@connect and @disconnect required);
 *	must outlive the session
 * @params: the knobs, copied
 * @priv: the consumer's
 *
 * Context: process.
 * Return: the session, or ERR_PTR(-EINVAL) for a missing callback or a
 * bad parameter, -ERANGE for a time too long, -ENOMEM.
 */
struct kfi_sess *kfi_sess_create(const char *name,
				 const struct kfi_sess_ops *ops,
				 const struct kfi_sess_params *params,
				 void *priv)
{
	struct kfi_sess *sess;
	int ret;

	if (!name || !*name || !ops || !ops->connect || !ops->disconnect ||
	    !params)
		return ERR_PTR(-EINVAL);
	ret = kfi_sess_params_check(params);
	if (ret)
		return ERR_PTR(ret);
	sess = kzalloc(sizeof(*sess), GFP_KERNEL);
	if (!sess)
		return ERR_PTR(-ENOMEM);
	strscpy(sess->name, name, sizeof(sess->name));
	sess->ops = ops;
	sess->params = *params;
	sess->priv = priv;
	mutex_init(&sess->lock);
	INIT_LIST_HEAD(&sess->paths);
	/* A name taken (or no debugfs) only costs the file. */
	sess->dir = debugfs_create_file(sess->name, 0400, kfi_sess_debugfs,
					sess, &kfi_sess_fops);
	return sess;
}
EXPORT_SYMBOL_GPL(kfi_sess_create);

static struct kfi_sess_path *kfi_sess_path_new(struct kfi_sess *sess,
					       const char *name, void *priv)
{
	struct kfi_sess_path *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return NULL;
	p->sess = sess;
	p->priv = priv;
	strscpy(p->name, name, sizeof(p->name));
	spin_lock_init(&p->lock);
	p->state = KFI_SESS_NEW;
	INIT_DELAYED_WORK(&p->work, kfi_sess_work);
	INIT_DELAYED_WORK(&p->ka_work, kfi_sess_ka_work);
	return p;
}

/* First connect of a path; on failure it is KFI_SESS_FAILED. */
static int kfi_sess_first_connect(struct kfi_sess_path *path)
{
	int ret;

	kfi_sess_set_state(path, KFI_SESS_CONNECTING);
	ret = kfi_sess_connect(path);
	if (ret) {
		kfi_sess_set_state(path, KFI_SESS_FAILED);
		return ret;
	}
	kfi_sess_ka_arm(path);
	return 0;
}

/**
 * kfi_sess_add_path() - add a path to a session
 * @sess: the session
 * @name: the path's name (its peer address, say); unique in the session
 * @priv: the consumer's, for its callbacks
 * @path: receives the path
 *
 * Before kfi_sess_start() the path only joins the list.  Afterwards it
 * is connected here, as kfi_sess_start() would have (no retry), and joins
 * the session only if that succeeded: kfi_sess_path_get() may pick it as
 * soon as this returns.
 *
 * Context: process; sleeps as long as the connect callback.
 * Return: 0, -EINVAL, -EEXIST (name taken), -ESHUTDOWN (stopped),
 * -ENOMEM, or the connect callback's error.
 */
int kfi_sess_add_path(struct kfi_sess *sess, const char *name, void *priv,
		      struct kfi_sess_path **path)
{
	struct kfi_sess_path *p, *old;
	int ret = 0;

	if (!sess || !name || !*name || !path)
		return -EINVAL;
	p = kfi_sess_path_new(sess, name, priv);
	if (!p)
		return -ENOMEM;
	mutex_lock(&sess->lock);
	list_for_each_entry(old, &sess->paths, node)
		if (!strcmp(old->name, p->name))
			ret = -EEXIST;
	if (!ret && sess->stopped)
		ret = -ESHUTDOWN;
	if (!ret && sess->started)
		ret = kfi_sess_first_connect(p);
	if (!ret)
		list_add_tail_rcu(&p->node, &sess->paths);
	mutex_unlock(&sess->lock);
	if (ret) {
		kfree(p);
		return ret;
	}
	if (sess->started)
		pr_info("%s: path %s added, live\n", sess->name, p->name);
	*path = p;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_sess_add_path);

/* Every operation handed out on @path was put back. */
static bool kfi_sess_path_idle(struct kfi_sess_path *path)
{
	return !atomic_read(&path->inflight);
}

/**
 * kfi_sess_remove_path() - take a path out of a session, at any time
 * @path: the path; invalid once this returns
 *
 * kfi_sess_path_get() stops picking it at once.  Its worker and
 * keep-alive stop, the disconnect callback runs if its connections are
 * up (so the work in flight on it comes back, -KFI_EPATHDOWN, to be
 * resubmitted on another path), and then this waits until every
 * operation handed out on it was put back.  No event is sent for it.
 *
 * Context: process; not from a callback of this session.
 * Return: 0; -EBUSY for the last path of a started session (stop the
 * session instead).
 */
int kfi_sess_remove_path(struct kfi_sess_path *path)
{
	struct kfi_sess *sess = path->sess;

	mutex_lock(&sess->lock);
	if (sess->started && !sess->stopped &&
	    list_is_singular(&sess->paths)) {
		mutex_unlock(&sess->lock);
		return -EBUSY;
	}
	kfi_sess_set_state(path, KFI_SESS_CLOSED);
	list_del_rcu(&path->node);
	mutex_unlock(&sess->lock);

	synchronize_rcu();	/* no kfi_sess_path_get() can pick it now */
	cancel_delayed_work_sync(&path->work);
	cancel_delayed_work_sync(&path->ka_work);
	kfi_sess_disconnect(path);
	wait_var_event(&path->inflight, kfi_sess_path_idle(path));
	pr_info("%s: path %s removed\n", sess->name, path->name);
	kfree_rcu(path, rcu);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_sess_remove_path);

/**
 * kfi_sess_start() - first connect of every path
 * @sess: a session with its paths
 *
 * Calls the connect callback of each path in turn, here, and arms
 * keep-alive on those that came up.  A first connect is not retried: a
 * peer that cannot be reached when the consumer starts is an error to
 * report, not an outage to ride out.
 *
 * Context: process, sleeps as long as the connect callbacks.
 * Return: 0 when every path is up; else the first error (the paths that
 * failed are KFI_SESS_FAILED), -EINVAL with no path, -EBUSY if started.
 */
int kfi_sess_start(struct kfi_sess *sess)
{
	struct kfi_sess_path *path;
	int ret = 0;

	mutex_lock(&sess->lock);
	if (list_empty(&sess->paths)) {
		ret = -EINVAL;
	} else if (sess->started || sess->stopped) {
		ret = -EBUSY;
	} else {
		sess->started = true;
		list_for_each_entry(path, &sess->paths, node) {
			ret = kfi_sess_first_connect(path);
			if (ret)
				break;
		}
	}
	mutex_unlock(&sess->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_sess_start);

static bool kfi_sess_path_live(struct kfi_sess_path *path)
{
	return READ_ONCE(path->state) == KFI_SESS_LIVE;
}

/* The @n-th live path (from 0), under RCU. */
static struct kfi_sess_path *kfi_sess_nth_live(struct kfi_sess *sess,
					       unsigned int n)
{
	struct kfi_sess_path *path;

	list_for_each_entry_rcu(path, &sess->paths, node)
		if (kfi_sess_path_live(path) && !n--)
			return path;
	return NULL;
}

static struct kfi_sess_path *kfi_sess_round_robin(struct kfi_sess *sess)
{
	struct kfi_sess_path *path;
	unsigned int live = 0;

	list_for_each_entry_rcu(path, &sess->paths, node)
		live += kfi_sess_path_live(path);
	if (!live)
		return NULL;
	return kfi_sess_nth_live(sess,
				 (unsigned int)atomic_fetch_inc(&sess->rr) %
				 live);
}

static struct kfi_sess_path *kfi_sess_min_inflight(struct kfi_sess *sess)
{
	struct kfi_sess_path *path, *best = NULL;

	list_for_each_entry_rcu(path, &sess->paths, node)
		if (kfi_sess_path_live(path) &&
		    (!best || atomic_read(&path->inflight) <
			      atomic_read(&best->inflight)))
			best = path;
	return best;
}

/**
 * kfi_sess_path_get() - a live path for one operation
 * @sess: the session
 *
 * Picks by the session's policy (enum kfi_sess_policy) and counts one
 * operation in flight on the path, until kfi_sess_path_put().  The path
 * stays valid until then, even if it is removed meanwhile (its
 * connections are then torn down: a post on them fails, and the
 * operation goes back to be resubmitted, as on any loss).
 *
 * Context: any; never sleeps.
 * Return: the path, or NULL when no path is live (wait for
 * KFI_SESS_EV_UP, or fail when kfi_sess_fail_fast() says so).
 */
struct kfi_sess_path *kfi_sess_path_get(struct kfi_sess *sess)
{
	struct kfi_sess_path *path;

	rcu_read_lock();
	switch (sess->params.policy) {
	case KFI_SESS_POLICY_ROUND_ROBIN:
		path = kfi_sess_round_robin(sess);
		break;
	case KFI_SESS_POLICY_MIN_INFLIGHT:
		path = kfi_sess_min_inflight(sess);
		break;
	default:
		path = kfi_sess_nth_live(sess, 0);
		break;
	}
	if (path)
		atomic_inc(&path->inflight);
	rcu_read_unlock();
	return path;
}
EXPORT_SYMBOL_GPL(kfi_sess_path_get);

/**
 * kfi_sess_path_put() - an operation from kfi_sess_path_get() is over
 * @path: the path it was given
 *
 * Call once per get, whether the operation completed, failed or went
 * back to be resubmitted (on a path got anew).
 *
 * Context: any; never sleeps.
 */
void kfi_sess_path_put(struct kfi_sess_path *path)
{
	/* A remover frees the path only after a grace period. */
	rcu_read_lock();
	if (atomic_dec_and_test(&path->inflight) &&
	    READ_ONCE(path->state) == KFI_SESS_CLOSED)
		wake_up_var(&path->inflight);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(kfi_sess_path_put);

/**
 * kfi_sess_path_state() - state of one path
 * @path: the path
 *
 * Context: any.
 * Return: its enum kfi_sess_state.
 */
enum kfi_sess_state kfi_sess_path_state(struct kfi_sess_path *path)
{
	return READ_ONCE(path->state);
}
EXPORT_SYMBOL_GPL(kfi_sess_path_state);

/**
 * kfi_sess_state() - state of the session
 * @sess: the session
 *
 * Live when a path is; else reconnecting when one is; else the state
 * all paths share (failed, closed, new), or connecting.
 *
 * Context: any.
 * Return: an enum kfi_sess_state.
 */
enum kfi_sess_state kfi_sess_state(struct kfi_sess *sess)
{
	enum kfi_sess_state best = KFI_SESS_NEW, s;
	struct kfi_sess_path *path;

	rcu_read_lock();
	list_for_each_entry_rcu(path, &sess->paths, node) {
		s = kfi_sess_path_state(path);
		if (s == KFI_SESS_LIVE) {
			best = s;
			break;
		}
		if (s == KFI_SESS_RECONNECTING || best == KFI_SESS_NEW ||
		    (s == KFI_SESS_CONNECTING && best != KFI_SESS_RECONNECTING))
			best = s;
	}
	rcu_read_unlock();
	return best;
}
EXPORT_SYMBOL_GPL(kfi_sess_state);

/**
 * kfi_sess_fail_fast() - should queued work fail rather than wait?
 * @sess: the session
 *
 * True when no path is up and either the fail-fast time passed in the
 * current outage or the session gave up (or was stopped).
 *
 * Context: any.
 */
bool kfi_sess_fail_fast(struct kfi_sess *sess)
{
	struct kfi_sess_path *path;
	bool fail = true;

	rcu_read_lock();
	list_for_each_entry_rcu(path, &sess->paths, node) {
		switch (kfi_sess_path_state(path)) {
		case KFI_SESS_LIVE:
			fail = false;
			break;
		case KFI_SESS_RECONNECTING:
			if (!READ_ONCE(path->fast_failed))
				fail = false;
			break;
		default:
			break;
		}
	}
	rcu_read_unlock();
	return fail;
}
EXPORT_SYMBOL_GPL(kfi_sess_fail_fast);

/* Add @path's counters to @st. */
static void kfi_sess_stats_add(struct kfi_sess_path *path,
			       struct kfi_sess_stats *st)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&path->lock, flags);
	for (i = 0; i < KFI_SESS_EV_NR; i++)
		st->events[i] += path->stats.events[i];
	st->reconnect_attempts += path->stats.reconnect_attempts;
	st->keepalives += path->stats.keepalives;
	spin_unlock_irqrestore(&path->lock, flags);
}

/**
 * kfi_sess_path_stats() - counters of one path
 * @path: the path
 * @st: receives them
 *
 * Context: any.
 */
void kfi_sess_path_stats(struct kfi_sess_path *path, struct kfi_sess_stats *st)
{
	memset(st, 0, sizeof(*st));
	kfi_sess_stats_add(path, st);
}
EXPORT_SYMBOL_GPL(kfi_sess_path_stats);

/**
 * kfi_sess_get_stats() - counters of the session, its paths summed
 * @sess: the session
 * @st: receives them
 *
 * Context: any.
 */
void kfi_sess_get_stats(struct kfi_sess *sess, struct kfi_sess_stats *st)
{
	struct kfi_sess_path *path;

	memset(st, 0, sizeof(*st));
	rcu_read_lock();
	list_for_each_entry_rcu(path, &sess->paths, node)
		kfi_sess_stats_add(path, st);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(kfi_sess_get_stats);

/**
 * kfi_sess_stop() - stop watching and reconnecting
 * @sess: the session
 *
 * Every path becomes KFI_SESS_CLOSED; a reconnect attempt running now
 * finishes first.  No callback runs once this returns, and reported
 * losses are ignored; the consumer then closes what its paths hold.
 *
 * Context: process; not from a callback of this session.
 */
void kfi_sess_stop(struct kfi_sess *sess)
{
	struct kfi_sess_path *path;

	mutex_lock(&sess->lock);
	sess->stopped = true;
	list_for_each_entry(path, &sess->paths, node)
		kfi_sess_set_state(path, KFI_SESS_CLOSED);
	list_for_each_entry(path, &sess->paths, node) {
		cancel_delayed_work_sync(&path->work);
		cancel_delayed_work_sync(&path->ka_work);
	}
	mutex_unlock(&sess->lock);
}
EXPORT_SYMBOL_GPL(kfi_sess_stop);

/**
 * kfi_sess_free() - free a session and its paths
 * @sess: stopped with kfi_sess_stop(), or never started; NULL is ignored
 *
 * Context: process.
 */
void kfi_sess_free(struct kfi_sess *sess)
{
	struct kfi_sess_path *path, *tmp;

	if (!sess)
		return;
	kfi_sess_stop(sess);
	debugfs_remove(sess->dir);
	list_for_each_entry_safe(path, tmp, &sess->paths, node) {
		list_del_rcu(&path->node);
		WARN_ON_ONCE(atomic_read(&path->inflight));
		kfree_rcu(path, rcu);
	}
	kfree(sess);
}
EXPORT_SYMBOL_GPL(kfi_sess_free);

int kfi_sess_init(void)
{
	kfi_sess_wq = alloc_workqueue("kfi_sess", WQ_UNBOUND | WQ_MEM_RECLAIM,
				      0);
	if (!kfi_sess_wq)
		return -ENOMEM;
	kfi_sess_debugfs = debugfs_create_dir("sessions", kfi_debugfs_dir());
	return 0;
}

void kfi_sess_exit(void)
{
	debugfs_remove_recursive(kfi_sess_debugfs);
	destroy_workqueue(kfi_sess_wq);
}
