/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric sessions: connection management that consumers share.
 *
 * A session is what a consumer keeps with one peer: one or more paths to
 * it, added and removed at any time, each a set of the consumer's own
 * endpoints that it builds and tears down in two callbacks.  With several
 * paths, kfi_sess_path_get() picks a live one for each operation by the
 * session's policy (failover, round-robin, fewest in flight).  The
 * session watches each path (keep-alive, and whatever loss the consumer
 * reports), and when a path goes down it tears the path down, tries to
 * build it again every reconnect delay, tells the consumer when
 * queued work should fail instead of waiting (fail-fast time) and when to
 * give up for good (give-up time).  Every state change is an event handed
 * to the consumer and counted.  Documentation/kfabric/connection-management.rst
 * says what a consumer must do on each.
 *
 * The consumer owns its endpoints, completion queues and operations: the
 * session never posts on them.  What it owns is the when: one worker per
 * path runs connect, disconnect and the events in order, so they never
 * race each other.
 */
#ifndef _KFABRIC_KFI_SESS_H
#define _KFABRIC_KFI_SESS_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <kfabric/kfi.h>

/*
 * The status, in the consumer's own completion, of an operation that was
 * in flight on a path when it went down: not an answer from the peer, so
 * the consumer resubmits it once a path is up again (or fails it on
 * KFI_SESS_EV_FAST_FAIL or KFI_SESS_EV_GIVE_UP).  kfi_sess_op_status()
 * turns a provider's completion error into it.
 */
#define KFI_EPATHDOWN		ENOTCONN

/**
 * enum kfi_sess_state - of a session, and of each path
 * @KFI_SESS_NEW: created, not started
 * @KFI_SESS_CONNECTING: the first connect is running (kfi_sess_start())
 * @KFI_SESS_LIVE: up (a session: at least one path is)
 * @KFI_SESS_RECONNECTING: down, being built again
 * @KFI_SESS_FAILED: down for good: the give-up time passed, or
 *	reconnecting is off (give-up time 0)
 * @KFI_SESS_CLOSED: kfi_sess_stop() ran
 */
enum kfi_sess_state {
	KFI_SESS_NEW,
	KFI_SESS_CONNECTING,
	KFI_SESS_LIVE,
	KFI_SESS_RECONNECTING,
	KFI_SESS_FAILED,
	KFI_SESS_CLOSED,
};

/**
 * enum kfi_sess_event - what the consumer is told, and what is counted
 * @KFI_SESS_EV_DOWN: a path went down and was torn down (its disconnect
 *	callback ran); its in-flight work must wait for a path or fail
 * @KFI_SESS_EV_UP: a path that was down is up again (not sent for the
 *	first connect, which kfi_sess_start() returns)
 * @KFI_SESS_EV_RECONNECT_FAILED: one reconnect attempt failed
 * @KFI_SESS_EV_FAST_FAIL: the fail-fast time passed with no path up:
 *	queued and new work should fail now, and keeps failing until
 *	KFI_SESS_EV_UP
 * @KFI_SESS_EV_GIVE_UP: the give-up time passed: the session is
 *	KFI_SESS_FAILED for good; fail everything
 * @KFI_SESS_EV_KEEPALIVE_MISS: a keep-alive probe went unanswered (only
 *	counted, not sent to the consumer)
 * @KFI_SESS_EV_NR: number of events
 */
enum kfi_sess_event {
	KFI_SESS_EV_DOWN,
	KFI_SESS_EV_UP,
	KFI_SESS_EV_RECONNECT_FAILED,
	KFI_SESS_EV_FAST_FAIL,
	KFI_SESS_EV_GIVE_UP,
	KFI_SESS_EV_KEEPALIVE_MISS,
	KFI_SESS_EV_NR
};

/**
 * enum kfi_sess_policy - which live path kfi_sess_path_get() picks
 * @KFI_SESS_POLICY_FAILOVER: the first live path in the order they were
 *	added; the others stand by (and take over when it goes down)
 * @KFI_SESS_POLICY_ROUND_ROBIN: each live path in turn
 * @KFI_SESS_POLICY_MIN_INFLIGHT: the live path with the fewest operations
 *	in flight (kfi_sess_path_get() not yet matched by a put); the first
 *	such on a tie
 * @KFI_SESS_POLICY_NR: number of policies
 */
enum kfi_sess_policy {
	KFI_SESS_POLICY_FAILOVER,
	KFI_SESS_POLICY_ROUND_ROBIN,
	KFI_SESS_POLICY_MIN_INFLIGHT,
	KFI_SESS_POLICY_NR
};

/**
 * struct kfi_sess_params - the knobs, nvme-fabrics' names in brackets
 * @keepalive_ms: interval between keep-alive probes of an idle path;
 *	0 turns keep-alive off [keep_alive_tmo]
 * @keepalive_misses: probes in a row unanswered before the path is
 *	declared down (at least 1)
 * @reconnect_delay_ms: wait before each reconnect attempt (at least 1)
 *	[reconnect_delay]
 * @ctrl_loss_tmo_s: seconds after a path went down before giving up;
 *	-1 never gives up, 0 never reconnects (the first loss fails the
 *	session) [ctrl_loss_tmo]
 * @fast_io_fail_tmo_s: seconds after a path went down before queued work
 *	should fail; -1: only at give-up [fast_io_fail_tmo]
 * @policy: enum kfi_sess_policy, for sessions of several paths [iopolicy]
 */
struct kfi_sess_params {
	u32 keepalive_ms;
	u32 keepalive_misses;
	u32 reconnect_delay_ms;
	s32 ctrl_loss_tmo_s;
	s32 fast_io_fail_tmo_s;
	u32 policy;
};

struct kfi_sess;
struct kfi_sess_path;

/**
 * struct kfi_sess_ops - what the consumer does for the session
 * @connect: build the path's connections (open and connect its
 *	endpoints); 0 when they are up and may carry work.  Called for the
 *	first connect (from kfi_sess_start()) and for every reconnect
 *	attempt (from the path's worker).  Process context, may sleep; not
 *	called concurrently with @disconnect for the same path.  On error it
 *	leaves nothing open.
 * @disconnect: tear the path's connections down after a loss: close its
 *	endpoints, so that nothing posted on them completes afterwards, and
 *	take back the work that was in flight on them (completed with
 *	-KFI_EPATHDOWN in the consumer's terms: to resubmit, not to fail).
 *	Process context, from the path's worker.
 * @keepalive: optional; send one probe on an idle path.  Any answer from
 *	the peer, to the probe or to anything else, is reported with
 *	kfi_sess_path_alive().  Return 0, or -EAGAIN when it could not be
 *	sent now (counted as unanswered).  Process context.
 * @event: optional; a state change (enum kfi_sess_event).  Process
 *	context, from the path's worker, after the change; @why is the
 *	reason a path went down (for KFI_SESS_EV_DOWN and later events of
 *	the same outage), or NULL.
 */
struct kfi_sess_ops {
	int (*connect)(struct kfi_sess_path *path);
	void (*disconnect)(struct kfi_sess_path *path);
	int (*keepalive)(struct kfi_sess_path *path);
	void (*event)(struct kfi_sess_path *path, enum kfi_sess_event ev,
		      const char *why);
};

/**
 * struct kfi_sess_stats - counters of a path (and, summed, of a session)
 * @events: how often each event happened
 * @reconnect_attempts: connect attempts after a loss
 * @keepalives: probes sent
 */
struct kfi_sess_stats {
	u64 events[KFI_SESS_EV_NR];
	u64 reconnect_attempts;
	u64 keepalives;
};

#define KFI_SESS_WHY_MAX	64

/**
 * struct kfi_sess_path - one path of a session
 * @sess: owner
 * @priv: the consumer's, from kfi_sess_add_path()
 * @name: the consumer's name for it (an address, say)
 * @node: in @sess->paths (RCU: kfi_sess_path_get() walks it locklessly)
 * @rcu: frees the path once no walker can see it
 * @inflight: operations handed out by kfi_sess_path_get() and not yet put
 * @lock: guards @state, @why, @alive, @stats and the deadlines below;
 *	taken from any context
 * @state: enum kfi_sess_state (KFI_SESS_NEW until started)
 * @why: why the path last went down
 * @attempt: reconnect attempts in the current outage
 * @down_since: jiffies when the current outage began
 * @next_attempt: jiffies of the next reconnect attempt
 * @fast_failed: KFI_SESS_EV_FAST_FAIL was sent in this outage
 * @torn_down: @disconnect ran for the current outage (worker only)
 * @connected: the consumer's connections are up (@connect succeeded and
 *	@disconnect has not run since); kfi_sess_remove_path() tears them
 *	down
 * @connecting: the connect callback runs: a loss reported meanwhile is
 *	kept in @down_again and acted on once it returned
 * @down_again: see @connecting
 * @alive: the peer was heard from since the last keep-alive tick
 * @probed: a keep-alive probe went out at the last tick
 * @misses: keep-alive probes unanswered in a row
 * @stats: counters
 * @work: the path's worker: tears down, reconnects, sends events
 * @ka_work: the keep-alive tick
 */
struct kfi_sess_path {
	struct kfi_sess *sess;
	void *priv;
	char name[KFI_SESS_WHY_MAX];
	struct list_head node;
	struct rcu_head rcu;
	atomic_t inflight;
	/* state, why, alive, stats, deadlines: see @lock above */
	spinlock_t lock;
	enum kfi_sess_state state;
	char why[KFI_SESS_WHY_MAX];
	u32 attempt;
	unsigned long down_since;
	unsigned long next_attempt;
	bool fast_failed;
	bool torn_down;
	bool connected;
	bool connecting;
	bool down_again;
	bool alive;
	bool probed;
	u32 misses;
	struct kfi_sess_stats stats;
	struct delayed_work work;
	struct delayed_work ka_work;
};

/**
 * struct kfi_sess - a session with one peer
 * @name: for the log and debugfs (kfabric/sessions/<name>)
 * @ops: the consumer's callbacks
 * @params: as given, checked
 * @priv: the consumer's
 * @lock: serializes adding, removing, starting and stopping paths
 * @started: kfi_sess_start() ran: a path added now connects at once
 * @stopped: kfi_sess_stop() ran: no path may be added
 * @rr: round-robin cursor
 * @paths: its paths (add and remove under @lock, walk under RCU)
 * @dir: its debugfs directory
 */
struct kfi_sess {
	char name[KFI_NAME_MAX];
	const struct kfi_sess_ops *ops;
	struct kfi_sess_params params;
	void *priv;
	/* started, stopped, writers of paths: see @lock above */
	struct mutex lock;
	bool started;
	bool stopped;
	atomic_t rr;
	struct list_head paths;
	struct dentry *dir;
};

struct kfi_sess *kfi_sess_create(const char *name,
				 const struct kfi_sess_ops *ops,
				 const struct kfi_sess_params *params,
				 void *priv);
int kfi_sess_add_path(struct kfi_sess *sess, const char *name, void *priv,
		      struct kfi_sess_path **path);
int kfi_sess_remove_path(struct kfi_sess_path *path);
int kfi_sess_start(struct kfi_sess *sess);
struct kfi_sess_path *kfi_sess_path_get(struct kfi_sess *sess);
void kfi_sess_path_put(struct kfi_sess_path *path);
void kfi_sess_path_down(struct kfi_sess_path *path, const char *why);
void kfi_sess_path_alive(struct kfi_sess_path *path);
int kfi_sess_op_status(struct kfi_sess_path *path, int err);
enum kfi_sess_state kfi_sess_state(struct kfi_sess *sess);
enum kfi_sess_state kfi_sess_path_state(struct kfi_sess_path *path);
bool kfi_sess_fail_fast(struct kfi_sess *sess);
void kfi_sess_get_stats(struct kfi_sess *sess, struct kfi_sess_stats *st);
void kfi_sess_path_stats(struct kfi_sess_path *path, struct kfi_sess_stats *st);
u32 kfi_sess_max_attempts(const struct kfi_sess *sess);
const char *kfi_sess_state_str(enum kfi_sess_state state);
const char *kfi_sess_event_str(enum kfi_sess_event ev);
const char *kfi_sess_policy_str(enum kfi_sess_policy policy);
void kfi_sess_stop(struct kfi_sess *sess);
void kfi_sess_free(struct kfi_sess *sess);

#endif /* _KFABRIC_KFI_SESS_H */
