/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A plain kernel TCP socket as a peer of the kfi_tcp provider, for the
 * test modules that speak its wire protocol (kfit_proto.h) by hand, well
 * or badly: kfi_test_tcp and kfi_test_tcp_hostile.  Every wait is bounded
 * by the socket's timeouts or by the deadline the caller passes.
 */
#ifndef _KFIT_RAW_H
#define _KFIT_RAW_H

#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <kfabric/kfi.h>
#include "kfi_compat.h"
#include "../../../../../providers/tcp/kfit_proto.h"
#include "../../../../../providers/tcp/kfi_tcp_debug.h"

/* Connect to @addr:@p; reads and writes give up after @timeout_ms. */
static int raw_connect(const char *addr, int p, unsigned int timeout_ms,
		       struct socket **sock)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	int ret;

	sin->sin_family = AF_INET;
	sin->sin_port = htons(p);
	sin->sin_addr.s_addr = in_aton(addr);

	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       sock);
	if (ret)
		return ret;
	(*sock)->sk->sk_rcvtimeo = msecs_to_jiffies(timeout_ms);
	(*sock)->sk->sk_sndtimeo = msecs_to_jiffies(timeout_ms);
	ret = kfi_kernel_connect(*sock, &ss, sizeof(*sin), 0);
	if (ret) {
		sock_release(*sock);
		*sock = NULL;
	}
	return ret;
}

static int raw_send(struct socket *sock, const void *buf, size_t len)
{
	struct msghdr mh = { .msg_flags = MSG_NOSIGNAL };
	struct kvec kv = { (void *)buf, len };
	int ret = kernel_sendmsg(sock, &mh, &kv, 1, len);

	return ret == len ? 0 : ret < 0 ? ret : -EIO;
}

static int raw_recv(struct socket *sock, void *buf, size_t len)
{
	struct msghdr mh = {};
	struct kvec kv = { buf, len };
	int ret = kernel_recvmsg(sock, &mh, &kv, 1, len, MSG_WAITALL);

	return ret == len ? 0 : ret < 0 ? ret : -EIO;
}

/*
 * The provider closed the connection: end of stream or reset before
 * @end.  What it had sent before is read and thrown away.
 */
static int raw_wait_closed(struct socket *sock, unsigned long end)
{
	void *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	int ret = -ENOMEM;

	while (buf) {
		struct msghdr mh = {};
		struct kvec kv = { buf, PAGE_SIZE };

		ret = kernel_recvmsg(sock, &mh, &kv, 1, PAGE_SIZE, 0);
		if (!ret || ret == -ECONNRESET || ret == -EPIPE) {
			ret = 0;
			break;
		}
		if (ret < 0 || time_after(jiffies, end)) {
			pr_info("    # the provider kept the connection: %d\n",
				ret);
			ret = -ETIMEDOUT;
			break;
		}
	}
	kfree(buf);
	return ret;
}

static void raw_hdr(struct kfit_hdr *h, u8 op, u32 len, u32 id, u64 key)
{
	memset(h, 0, sizeof(*h));
	h->version = KFIT_PROTO_VERSION;
	h->op = op;
	h->len = cpu_to_le32(len);
	h->id = cpu_to_le32(id);
	h->key = cpu_to_le64(key);
}

/* The next header that is not a credit grant (at most 64 of those). */
static int raw_recv_hdr(struct socket *sock, struct kfit_hdr *h)
{
	int ret, n;

	for (n = 0; n < 64; n++) {
		ret = raw_recv(sock, h, sizeof(*h));
		if (ret || h->op != KFIT_OP_CREDIT)
			return ret;
	}
	return -EPROTO;
}

/* Bounded wait until the provider's objects are back to @n. */
static int live_back_to(int n, unsigned long end)
{
	while (kfit_debug_live_objects() != n) {
		if (time_after(jiffies, end)) {
			pr_info("    # live objects %d, want %d\n",
				kfit_debug_live_objects(), n);
			return -EPROTO;
		}
		usleep_range(500, 1000);
	}
	return 0;
}

/*
 * Closes an MR in a work item, so that a close that hangs on a peer is a
 * failed case and not a hung suite: mr_close_async(), then a bounded
 * wait_for_completion_timeout() on @done.
 */
struct mr_closer {
	struct work_struct work;
	struct kfid_mr *mr;
	struct completion done;
};

static void mr_closer_fn(struct work_struct *w)
{
	struct mr_closer *c = container_of(w, struct mr_closer, work);

	kfi_close(&c->mr->fid);
	complete(&c->done);
}

static void mr_close_async(struct mr_closer *c, struct kfid_mr *mr)
{
	c->mr = mr;
	INIT_WORK(&c->work, mr_closer_fn);
	init_completion(&c->done);
	schedule_work(&c->work);
}

#endif /* _KFIT_RAW_H */
