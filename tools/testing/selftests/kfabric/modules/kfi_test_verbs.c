// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the verbs provider over a real RDMA device: the provider cases
 * of kfi_prov_cases.c, which every provider runs, here over rdma_cm on
 * @ipaddr.
 *
 * mode=traffic: instead of the cases, keep one connection busy from
 * softirq context until unload, for verbs_removal.sh to pull the device
 * from under it; what the endpoints saw is published as read-only module
 * parameters (t_*).  mode=smoke: run one connection and a send, result in
 * t_smoke (0 or the error).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <rdma/ib_verbs.h>
#include <rdma/restrack.h>

#include "kfi_prov_cases.c"
#include "../../../../../providers/verbs/kfi_verbs_debug.h"

static char *mode = "";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "\"traffic\" or \"smoke\" (see the file's header)");

/* Objects of the device that carries @ipaddr, as `rdma res` counts them. */
/*
 * The device is found through its netdev: ib_device_get_by_name() is not
 * exported on every kernel, ib_device_get_by_netdev() is.  Its name must be
 * the domain kfi_getinfo() picks for @ipaddr.
 */
static struct ib_device *res_device(void)
{
	struct kfi_info *fi = get_info(ipaddr, port, KFI_SOURCE);
	struct ib_device *dev = NULL;
	struct net_device *ndev;

	if (!fi)
		return NULL;
	ndev = ip_dev_find(&init_net, in_aton(ipaddr));
	if (ndev) {
		dev = ib_device_get_by_netdev(ndev, RDMA_DRIVER_UNKNOWN);
		dev_put(ndev);
	}
	if (dev && strcmp(dev_name(&dev->dev), fi->domain_attr.name)) {
		pr_info("    # %s carries %s, not %s\n", dev_name(&dev->dev),
			ipaddr, fi->domain_attr.name);
		ib_device_put(dev);
		dev = NULL;
	}
	kfi_freeinfo(fi);
	return dev;
}

static int res_count(struct tres *t)
{
	struct ib_device *dev = res_device();

	if (!dev)
		return -ENODEV;
	t->qp = rdma_restrack_count(dev, RDMA_RESTRACK_QP, true);
	t->mr = rdma_restrack_count(dev, RDMA_RESTRACK_MR, true);
	t->cq = rdma_restrack_count(dev, RDMA_RESTRACK_CQ, true);
	t->pd = rdma_restrack_count(dev, RDMA_RESTRACK_PD, true);
	t->srq = rdma_restrack_count(dev, RDMA_RESTRACK_SRQ, true);
	t->live = kfiv_debug_live_objects();
	ib_device_put(dev);
	return 0;
}

static int verbs_strerror_ok(struct kfid_cq *cq)
{
	return kfi_strerror(cq, IB_WC_REM_ACCESS_ERR) ==
	       ib_wc_status_msg(IB_WC_REM_ACCESS_ERR) ? 0 : -EPROTO;
}

static const struct kt_prov verbs_prov = {
	.name = "verbs",
	.key_size = 4,
	.atomics = true,
	.invalidate = true,
	.ordered = true,
	.getinfo_resolves = true,
	.mr_reg_needs_conn = true,
	.res_count = res_count,
	.strerror_ok = verbs_strerror_ok,
	.deferred = kfiv_debug_deferred,
	.premapped = kfiv_debug_premapped,
	.srx = true,
};

/* ------------------------------------------------------------------ */
/* mode=traffic: keep sending until the device goes away */

static int t_ok;		/* successful completions */
static int t_canceled;		/* completions with -ECANCELED */
static int t_errors;		/* other completion errors */
static int t_removal;		/* KFI_DEVICE_REMOVAL events */
static int t_shutdown;		/* KFI_SHUTDOWN events */
static int t_other_events;
static int t_smoke = -EINPROGRESS;
module_param(t_ok, int, 0444);
module_param(t_canceled, int, 0444);
module_param(t_errors, int, 0444);
module_param(t_removal, int, 0444);
module_param(t_shutdown, int, 0444);
module_param(t_other_events, int, 0444);
module_param(t_smoke, int, 0444);

static struct tconn traffic;
static struct treq **traffic_rr, *traffic_sr;
static struct delayed_work traffic_work;
static DEFINE_SPINLOCK(traffic_lock);	/* guards the t_* counters */

static void traffic_count(int *what)
{
	unsigned long flags;

	spin_lock_irqsave(&traffic_lock, flags);
	WRITE_ONCE(*what, *what + 1);
	spin_unlock_irqrestore(&traffic_lock, flags);
}

static void traffic_handler(struct kfid_cq *cq, const struct kfi_cq_entry *e,
			    void *arg)
{
	struct tside *s = arg;

	if (e->err == -ECANCELED) {
		traffic_count(&t_canceled);
		return;
	}
	if (e->err) {
		pr_info("traffic: completion error %d\n", e->err);
		traffic_count(&t_errors);
		return;
	}
	traffic_count(&t_ok);
	if (e->flags & KFI_RECV)
		post_recv(s, treq_of(e), KFI_IOV_KVEC);
}

static int prepost_traffic(struct tside *s, bool server)
{
	return server ? post_n(s, traffic_rr, 8) : post_n(s, traffic_rr + 8, 1);
}

static void traffic_events(struct kfid_eq *eq)
{
	struct kfi_eq_cm_entry e;

	while (!kfi_eq_read(eq, &e)) {
		pr_info("traffic: event %d err %d\n", e.event, e.err);
		if (e.event == KFI_DEVICE_REMOVAL)
			traffic_count(&t_removal);
		else if (e.event == KFI_SHUTDOWN)
			traffic_count(&t_shutdown);
		else
			traffic_count(&t_other_events);
	}
}

static void traffic_fn(struct work_struct *w)
{
	int i;

	/* Best effort: -EAGAIN (no credit yet) and -ENOTCONN are fine. */
	for (i = 0; i < 4; i++)
		post_send_once(&traffic.c, traffic_sr, KFI_IOV_KVEC, 0, 0);
	traffic_events(traffic.c.eq);
	traffic_events(traffic.s.eq);
	schedule_delayed_work(&traffic_work, 1);
}

static int traffic_start(void)
{
	struct topts o = { .depth = 32, .poll = KFI_POLL_SOFTIRQ,
			   .cq_handler = traffic_handler,
			   .prepost = prepost_traffic };
	int ret;

	traffic_rr = treqs_alloc(9, 256);
	traffic_sr = treq_alloc(256);
	if (!traffic_rr || !traffic_sr)
		return -ENOMEM;
	fill(traffic_sr->buf, 256, 1);
	ret = conn_open(&traffic, &o);
	if (ret)
		return ret;
	INIT_DELAYED_WORK(&traffic_work, traffic_fn);
	schedule_delayed_work(&traffic_work, 1);
	pr_info("traffic: running\n");
	return 0;
}

static void traffic_stop(void)
{
	cancel_delayed_work_sync(&traffic_work);
	conn_close(&traffic);
	treqs_free(traffic_rr, 9);
	treq_free(traffic_sr);
	pr_info("traffic: stopped, live objects %d\n",
		kfiv_debug_live_objects());
}

/* ------------------------------------------------------------------ */
/* verbs' own cases */

/* Bind @ep to @srx, its send CQ, its receive CQ and @eq; then enable it. */
static int srx_ep_enable(struct kfid_ep *ep, struct kfid_ep *srx,
			 struct kfid_cq **cq, struct kfid_eq *eq)
{
	int ret;

	ret = kfi_ep_bind(ep, &cq[0]->fid, KFI_TRANSMIT);
	STEP(ret, kfi_ep_bind(ep, &cq[1]->fid, KFI_RECEIVE));
	STEP(ret, kfi_ep_bind(ep, &eq->fid, 0));
	STEP(ret, kfi_ep_bind(ep, &srx->fid, 0));
	return ret ?: kfi_enable(ep);
}

/*
 * An endpoint on a shared receive context binds one CQ for both
 * directions: its QP has no receive queue to drain, and the send queue's
 * drain marker covers its receives only on the same CQ.  An endpoint
 * that could connect otherwise is refused at kfi_enable(), and the
 * context's SRQ exists while it is open and goes with its close.
 */
static int srx_one_cq(void)
{
	struct kfi_cq_attr ca = { .size = 64, .comp_vector = -1 };
	struct kfi_rx_attr attr = { .size = 8, .iov_limit = 1 };
	struct kfi_eq_attr ea = { .size = 8 };
	struct kfid_ep *srx = NULL, *ep = NULL;
	struct tres before, during, after;
	struct kfid_cq *cq[2] = {};
	struct kfid_eq *eq = NULL;
	struct tconn tc = {};
	int i, ret;

	ret = kp->res_count(&before);
	STEP(ret, conn_listen(&tc));
	STEP(ret, kfi_srx_context(tc.dom, &attr, &srx, NULL));
	for (i = 0; i < 2; i++)
		STEP(ret, kfi_cq_open(tc.dom, &ca, &cq[i], NULL));
	STEP(ret, kfi_eq_open(tc.fab, &ea, &eq, NULL));
	STEP(ret, kfi_endpoint(tc.dom, tc.info, &ep, NULL));
	if (!ret && srx_ep_enable(ep, srx, cq, eq) != -EINVAL) {
		pr_info("    # kfi_enable() with two CQs on a shared context\n");
		ret = -EPROTO;
	}
	STEP(ret, kp->res_count(&during));
	if (ep)
		kfi_close(&ep->fid);
	if (eq)
		kfi_close(&eq->fid);
	for (i = 0; i < 2; i++)
		if (cq[i])
			kfi_close(&cq[i]->fid);
	if (srx)
		kfi_close(&srx->fid);
	conn_close(&tc);
	STEP(ret, kp->res_count(&after));
	if (ret)
		return ret;
	pr_info("    # srq %d/%d/%d objects %d/%d/%d\n", before.srq, during.srq,
		after.srq, before.live, during.live, after.live);
	KT_EXPECT_EQ(during.srq, before.srq + 1);
	KT_EXPECT(!memcmp(&before, &after, sizeof(before)));
	return 0;
}

static const struct kt_case verbs_cases[] = {
	KT_CASE(srx_one_cq),
};

/* mode=smoke: a connection and one checked send, result in t_smoke. */
static void smoke(void)
{
	struct tconn tc = {};
	int ret;

	ret = conn_open(&tc, &def_opts);
	if (!ret)
		ret = xfer_one(&tc, 4096, KFI_IOV_BVEC, 0, 0);
	conn_close(&tc);
	t_smoke = ret;
	pr_info("%s: %d\n", __func__, ret);
}

static int __init kfi_test_verbs_init(void)
{
	/* Every mode talks to the verbs provider. */
	kp = &verbs_prov;
	if (!strcmp(mode, "traffic")) {
		INIT_DELAYED_WORK(&traffic_work, traffic_fn);
		if (traffic_start()) {
			traffic_stop();
			return -EIO;
		}
		return 0;
	}
	if (!strcmp(mode, "smoke")) {
		smoke();
		return 0;
	}
	kt_run_prov(&verbs_prov, verbs_cases, ARRAY_SIZE(verbs_cases));
	return 0;
}

static void __exit kfi_test_verbs_exit(void)
{
	if (!strcmp(mode, "traffic"))
		traffic_stop();
}

module_init(kfi_test_verbs_init);
module_exit(kfi_test_verbs_exit);

MODULE_DESCRIPTION("kfabric verbs provider tests over a real RDMA device");
MODULE_LICENSE("GPL");
