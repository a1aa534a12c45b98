// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest out-of-tree kfabric consumer: it is built against an
 * installed kfabric (the headers under /usr/src/kfabric-<version>/include
 * and DKMS's Module.symvers) to prove that the package carries what such a
 * module needs.  Loaded, it lists the domains kfi_getinfo() offers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <kfabric/kfi.h>

static int __init kfi_example_init(void)
{
	struct kfi_info *list, *fi;
	int ret;

	ret = kfi_getinfo(KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
			  NULL, NULL, 0, NULL, &list);
	if (ret)
		return ret;
	for (fi = list; fi; fi = fi->next)
		pr_info("%s: domain %s port %u\n", fi->fabric_attr.prov_name,
			fi->domain_attr.name, fi->domain_attr.port);
	kfi_freeinfo(list);
	return 0;
}

static void __exit kfi_example_exit(void)
{
}

module_init(kfi_example_init);
module_exit(kfi_example_exit);

MODULE_DESCRIPTION("kfabric: example out-of-tree consumer");
MODULE_LICENSE("GPL");
