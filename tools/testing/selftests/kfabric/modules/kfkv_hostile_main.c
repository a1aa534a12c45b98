// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv_hostile: a hostile peer of kfkv, for the test suite.
 *
 *   insmod kfkv_hostile.ko case=<case> ipaddr=A port=P store=S
 *	attacks the store S served at A:P; insmod fails with the case's
 *	error when the target did not do what the protocol promises, the
 *	reason in the kernel log, prefixed "kfkv_hostile: #".
 *   insmod kfkv_hostile.ko role=target case=<mode> ipaddr=A port=P
 *	listens at A:P as a kfkv target that answers every request wrongly
 *	in the way <mode> says, until rmmod.
 *
 * It uses only kfi.h and Documentation/kfabric/kfkv-protocol.rst, as an
 * attacker would.  tools/testing/selftests/kfabric/kfkv_hostile.sh
 * drives it and checks, after every case, that the target reaped the
 * connections, still serves the real client and logged no splat.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "kfkv_hostile.h"

char *h_ipaddr = "192.0.2.1";
module_param_named(ipaddr, h_ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "address of the target");

int h_port = 4797;
module_param_named(port, h_port, int, 0444);
MODULE_PARM_DESC(port, "port of the store");

char *h_store = "kvhostile";
module_param_named(store, h_store, charp, 0444);
MODULE_PARM_DESC(store, "store to ask for (without a secret)");

static char *h_case = "";
module_param_named(case, h_case, charp, 0444);
MODULE_PARM_DESC(case, "what to do");

static char *h_role = "client";
module_param_named(role, h_role, charp, 0444);
MODULE_PARM_DESC(role, "client (attack a store) or target (attack a client)");

static bool h_is_target;

/**
 * h_getinfo() - how to reach h_ipaddr at @port
 * @port: the port
 * @flags: kfi_getinfo() flags
 *
 * Return: the info, or NULL.
 */
struct kfi_info *h_getinfo(int port, u64 flags)
{
	struct kfi_info *hints, *info = NULL;
	char svc[8];
	int ret;

	hints = kfi_allocinfo();
	if (!hints)
		return NULL;
	hints->caps = KFI_MSG | KFI_RMA;
	hints->ep_attr.type = KFI_EP_MSG;
	snprintf(svc, sizeof(svc), "%d", port);
	ret = kfi_getinfo(KFI_VERSION(1, 0), h_ipaddr, svc, flags, hints,
			  &info);
	kfi_freeinfo(hints);
	return ret ? NULL : info;
}

static int __init kfkv_hostile_init(void)
{
	int ret;

	h_is_target = !strcmp(h_role, "target");
	if (h_is_target)
		ret = h_target_start(h_case);
	else if (!strcmp(h_role, "client"))
		ret = h_client_run(h_case);
	else
		ret = -EINVAL;
	pr_info("# %s %s: %d\n", h_role, h_case, ret);
	return ret;
}

static void __exit kfkv_hostile_exit(void)
{
	if (h_is_target)
		h_target_stop();
}

module_init(kfkv_hostile_init);
module_exit(kfkv_hostile_exit);

MODULE_DESCRIPTION("kfkv test: a hostile client or target");
MODULE_LICENSE("GPL");
