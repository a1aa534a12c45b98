// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk_hostile: a hostile peer of kfblk, for the test suite.
 *
 *   insmod kfblk_hostile.ko role=client case=<case> ipaddr=A port=P export=E
 *	attacks the kfblk target listening at A:P; insmod fails with the
 *	case's error when the target did not do what the protocol promises.
 *   insmod kfblk_hostile.ko role=target case=<mode> ipaddr=A port=P
 *	listens at A:P as a kfblk target that misbehaves for a window of
 *	sectors, until rmmod.
 *
 * It uses only kfi.h and Documentation/kfabric/kfblk-protocol.rst, as an
 * attacker would.  tools/testing/selftests/kfabric/kfblk_hostile.sh
 * drives it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "kfblk_hostile.h"

char *h_ipaddr = "192.0.2.1";
module_param_named(ipaddr, h_ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "address of the target (or to listen on)");

int h_port = 4791;
module_param_named(port, h_port, int, 0444);
MODULE_PARM_DESC(port, "port of the target (or to listen on)");

char *h_export = "disk0";
module_param_named(export, h_export, charp, 0444);
MODULE_PARM_DESC(export, "export to ask for");

char *h_case = "";
module_param_named(case, h_case, charp, 0444);
MODULE_PARM_DESC(case, "what to do");

static char *h_role = "client";
module_param_named(role, h_role, charp, 0444);
MODULE_PARM_DESC(role, "client (attack a target) or target (attack a client)");

static bool h_is_target;

/**
 * h_getinfo() - how to reach (or listen on) h_ipaddr at @port
 * @port: the port
 * @flags: KFI_SOURCE to listen
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

/**
 * h_wait_event() - the next connection event of @eq
 * @eq: an EQ without a handler
 * @e: the event
 * @ms: how long to wait
 *
 * Return: 0 or a negative errno (-ETIMEDOUT).
 */
int h_wait_event(struct kfid_eq *eq, struct kfi_eq_cm_entry *e, int ms)
{
	int ret = kfi_eq_sread(eq, e, ms);

	return ret < 0 ? ret : 0;
}

static int __init kfblk_hostile_init(void)
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

static void __exit kfblk_hostile_exit(void)
{
	if (h_is_target)
		h_target_stop();
	else
		h_client_teardown();
}

module_init(kfblk_hostile_init);
module_exit(kfblk_hostile_exit);

MODULE_DESCRIPTION("kfblk test: a hostile client or target");
MODULE_LICENSE("GPL");
