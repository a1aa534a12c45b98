// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "kfi_priv.h"

static int __init kfi_init(void)
{
	int ret;

	ret = kfi_cq_init();
	if (ret)
		return ret;
	ret = kfi_eq_init();
	if (ret)
		goto exit_cq;
	kfi_debugfs_init();
	ret = kfi_sess_init();
	if (ret)
		goto exit_debugfs;
	pr_info("API %u.%u\n", KFI_MAJOR_VERSION, KFI_MINOR_VERSION);
	return 0;

exit_debugfs:
	kfi_debugfs_exit();
	kfi_eq_exit();
exit_cq:
	kfi_cq_exit();
	return ret;
}

static void __exit kfi_exit(void)
{
	/* Providers pin this module through their symbol references. */
	WARN_ON(!list_empty(&kfi_providers));
	kfi_sess_exit();
	kfi_debugfs_exit();
	kfi_eq_exit();
	kfi_cq_exit();
}

module_init(kfi_init);
module_exit(kfi_exit);

MODULE_DESCRIPTION("kfabric: kernel fabric interface core");
MODULE_LICENSE("GPL");
