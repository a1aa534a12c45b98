/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric benchmarks: what the harness's own files share (not for the
 * implementation modules, which see bench_core.h only).
 */
#ifndef _KFI_BENCH_PRIV_H
#define _KFI_BENCH_PRIV_H

#include "bench_core.h"

/*
 * Internal slot operation: the pingpong RMA test writes with immediate
 * data so that the peer learns of the arrival through a receive.
 */
#define BENCH_OP_WRITEDATA	BENCH_NR_OPS

/**
 * struct bench_run - state of the point being measured
 * @pt: the point
 * @conn: connection it runs on
 * @issued: operations started (tickets; never more than @pt.iters)
 * @completed: operations (pingpong: round trips) finished
 * @halves: pingpong: completions (send, reply) still due this round
 * @rx_count: receives completed at the server
 * @errors: failed posts and completions
 * @bad_len: receives whose length was not @pt.size
 * @eagain: posts refused with -EAGAIN
 * @finished: set once by the completion that ends the run
 * @nr_lat: entries filled in @lat
 * @post_ns: time spent inside the client's post calls
 * @nr_post: client post calls timed into @post_ns
 * @t_round: pingpong: when this round's request was posted
 * @t_start: when the first operation was posted
 * @t_end: when the last completion arrived
 * @first_err: errno of the first failure
 * @lat: per-operation latency in ns, in completion order
 * @max_iters: entries allocated in @lat
 * @done: completed when the run ends, successfully or not
 */
struct bench_run {
	struct bench_point pt;
	struct bench_conn *conn;
	atomic_t issued;
	atomic_t completed;
	atomic_t halves;
	atomic_t rx_count;
	atomic_t errors;
	atomic_t bad_len;
	atomic_t eagain;
	atomic_t finished;
	atomic_t nr_lat;
	atomic64_t post_ns;
	atomic_t nr_post;
	u64 t_round;
	u64 t_start;
	u64 t_end;
	int first_err;
	u64 *lat;
	u32 max_iters;
	struct completion done;
};

/**
 * struct bench_result - what a run measured, before it is formatted
 * @elapsed_ns: first post to last completion (to the give-up, if none)
 * @p50_ns: median per-operation latency
 * @p99_ns: 99th percentile
 * @avg_ns: mean
 * @bytes: payload moved
 * @post_ns: mean time inside one post call of the client
 * @errors: failed operations
 * @eagain: posts refused with -EAGAIN and retried
 * @verified: every byte of the last transfer arrived at its place
 * @timed_out: the run did not finish in time
 * @opened: connect test: connections set up (the rest failed)
 * @mem_per_ep: connect test: bytes of memory one endpoint holds
 * @teardown_ns: connect test: closing all of them
 */
struct bench_result {
	u64 elapsed_ns;
	u64 p50_ns;
	u64 p99_ns;
	u64 avg_ns;
	u64 bytes;
	u64 post_ns;
	u32 errors;
	u32 eagain;
	bool verified;
	bool timed_out;
	u32 opened;
	s64 mem_per_ep;
	u64 teardown_ns;
};

extern const char *const bench_test_names[BENCH_NR_TESTS];
extern const char *const bench_op_names[BENCH_NR_OPS];

int bench_run_point(struct bench_run *run, struct bench_conn *conn,
		    const struct bench_point *pt, unsigned int timeout_s,
		    struct bench_result *res);
bool bench_conn_broken(const struct bench_conn *conn);
int bench_run_connect(struct bench_run *run, const struct bench_ops *ops,
		      const char *ip, u16 port, const struct bench_point *pt,
		      struct bench_result *res);

#endif /* _KFI_BENCH_PRIV_H */
