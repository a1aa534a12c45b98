// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the test rig: checks, from inside the kernel, what every
 * other kfabric test relies on the VM to provide -- an RDMA device named
 * @ibdev that ib_core hands to its clients, with port 1 ACTIVE and a RoCE
 * GID for @ipaddr.  Also proves the suite's plumbing: KTAP through the
 * kernel log, module parameters from kfi_test_rig.params, load and unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

#include "kfi_ktap.h"

static char *ibdev = "rxe0";
module_param(ibdev, charp, 0444);
MODULE_PARM_DESC(ibdev, "RDMA device the rig set up (default rxe0)");

static char *ipaddr = "192.0.2.1";
module_param(ipaddr, charp, 0444);
MODULE_PARM_DESC(ipaddr, "IPv4 address of the netdev under @ibdev");

/* rig_lock guards rig_dev against the client's add() and remove(). */
static DEFINE_MUTEX(rig_lock);
static struct ib_device *rig_dev;

static int rig_add(struct ib_device *dev)
{
	mutex_lock(&rig_lock);
	if (!strcmp(dev_name(&dev->dev), ibdev))
		rig_dev = dev;
	mutex_unlock(&rig_lock);
	return 0;
}

static void rig_remove(struct ib_device *dev, void *client_data)
{
	mutex_lock(&rig_lock);
	if (rig_dev == dev)
		rig_dev = NULL;
	mutex_unlock(&rig_lock);
}

static struct ib_client rig_client = {
	.name	= "kfi_test_rig",
	.add	= rig_add,
	.remove	= rig_remove,
};

static int client_sees_device(void)
{
	bool found;

	mutex_lock(&rig_lock);
	found = rig_dev;
	mutex_unlock(&rig_lock);
	if (!found)
		pr_info("    # no ib_device named %s\n", ibdev);
	KT_EXPECT(found);
	return 0;
}

static int port_is_active(void)
{
	struct ib_port_attr attr;
	int ret = -ENODEV;

	mutex_lock(&rig_lock);
	if (rig_dev)
		ret = ib_query_port(rig_dev, 1, &attr);
	mutex_unlock(&rig_lock);
	if (ret)
		return ret;
	KT_EXPECT_EQ(attr.state, IB_PORT_ACTIVE);
	return 0;
}

static int has_ipv4_gid(void)
{
	const struct ib_gid_attr *attr;
	union ib_gid want = {};
	int ret = -ENODEV;
	__be32 addr;

	KT_EXPECT(in4_pton(ipaddr, -1, (u8 *)&addr, -1, NULL));
	ipv6_addr_set_v4mapped(addr, (struct in6_addr *)want.raw);

	mutex_lock(&rig_lock);
	if (rig_dev) {
		attr = rdma_find_gid_by_port(rig_dev, &want,
					     IB_GID_TYPE_ROCE_UDP_ENCAP, 1,
					     NULL);
		ret = PTR_ERR_OR_ZERO(attr);
		if (!ret)
			rdma_put_gid_attr(attr);
	}
	mutex_unlock(&rig_lock);
	if (ret)
		pr_info("    # no RoCEv2 GID for %s on %s\n", ipaddr, ibdev);
	return ret;
}

static const struct kt_case rig_cases[] = {
	KT_CASE(client_sees_device),
	KT_CASE(port_is_active),
	KT_CASE(has_ipv4_gid),
};

static int __init kfi_test_rig_init(void)
{
	int ret;

	ret = ib_register_client(&rig_client);
	if (ret)
		return ret;
	kt_run(rig_cases, ARRAY_SIZE(rig_cases));
	return 0;
}

static void __exit kfi_test_rig_exit(void)
{
	ib_unregister_client(&rig_client);
}

module_init(kfi_test_rig_init);
module_exit(kfi_test_rig_exit);

MODULE_DESCRIPTION("kfabric test rig self-test");
MODULE_LICENSE("GPL");
