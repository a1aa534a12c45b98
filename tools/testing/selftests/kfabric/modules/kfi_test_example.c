// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the consumer guide's example (samples/kfabric/kfi_example.c, which
 * the guide includes verbatim) over the rig's RDMA device: a client and a
 * server in this kernel connect, echo a message and move 1 MiB each way
 * by RMA through memory the server registered with kfi_mr_reg().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "kfi_ktap.h"
#include "../../../../../samples/kfabric/kfi_example.c"

static char *ipaddr = "192.0.2.1";
module_param(ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "IPv4 address of the RDMA device's netdev");

static char *service = "7490";
module_param(service, charp, 0444);
MODULE_PARM_DESC(service, "port the example's server listens on");

struct ex_run {
	struct ex_conn c, s;
	struct ex_req crx[EX_RX], srx[EX_RX], ctx, stx;
	struct kfid_mr *mr;
	u8 *exposed, *src, *dst;
};

static const char ex_hello[] = "hello, kfabric";

static int ex_run_echo(struct ex_run *r)
{
	struct kfi_eq_cm_entry ev;
	int ret;

	memcpy(r->ctx.buf, ex_hello, sizeof(ex_hello));
	ret = ex_listen(&r->s, ipaddr, service) ?:
	      ex_connect(&r->c, ipaddr, service, r->crx) ?:
	      ex_accept(&r->s, r->srx) ?:
	      ex_event(r->c.eq, KFI_CONNECTED, &ev) ?:
	      ex_send(&r->c, &r->ctx, sizeof(ex_hello)) ?:
	      ex_echo(&r->s, &r->srx[0], &r->stx) ?:
	      ex_wait(&r->crx[0]);
	if (ret)
		return ret;
	KT_EXPECT_EQ(r->crx[0].len, sizeof(ex_hello));
	KT_EXPECT(!memcmp(r->crx[0].buf, ex_hello, sizeof(ex_hello)));
	return 0;
}

static int ex_run_rma(struct ex_run *r)
{
	u32 i;
	int ret;

	for (i = 0; i < EX_RMA_LEN; i++)
		r->src[i] = i * 31 + (i >> 12);
	ret = ex_expose(&r->s, r->exposed, &r->mr, &r->stx) ?:
	      ex_rma(&r->c, &r->crx[1], r->src, r->dst);
	if (ret)
		return ret;
	KT_EXPECT(!memcmp(r->exposed, r->src, EX_RMA_LEN));
	KT_EXPECT(!memcmp(r->dst, r->src, EX_RMA_LEN));
	return 0;
}

static int example_echo_rma(void)
{
	struct ex_run *r = kzalloc(sizeof(*r), GFP_KERNEL);
	int ret = -ENOMEM;

	if (!r)
		return ret;
	r->exposed = kzalloc(EX_RMA_LEN, GFP_KERNEL);
	r->src = kmalloc(EX_RMA_LEN, GFP_KERNEL);
	r->dst = kzalloc(EX_RMA_LEN, GFP_KERNEL);
	if (r->exposed && r->src && r->dst)
		ret = ex_run_echo(r) ?: ex_run_rma(r);
	/* Endpoints first: every request is handed back, then freed. */
	ex_close(&r->c);
	kfi_close(r->mr ? &r->mr->fid : NULL);
	ex_close(&r->s);
	kfree(r->exposed);
	kfree(r->src);
	kfree(r->dst);
	kfree(r);
	return ret;
}

static const struct kt_case example_cases[] = {
	KT_CASE(example_echo_rma),
};

static int __init kfi_test_example_init(void)
{
	kt_run(example_cases, ARRAY_SIZE(example_cases));
	return 0;
}

static void __exit kfi_test_example_exit(void)
{
}

module_init(kfi_test_example_init);
module_exit(kfi_test_example_exit);

MODULE_DESCRIPTION("kfabric: the consumer guide's example, run");
MODULE_LICENSE("GPL");
