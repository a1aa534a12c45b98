// SPDX-License-Identifier: GPL-2.0
/* device_type.devnode() takes a const struct device (6.2). */
#include <linux/device.h>

char *kfi_probe_devnode(const struct device *dev, umode_t *mode, kuid_t *uid,
			kgid_t *gid);

char *kfi_probe_devnode(const struct device *dev, umode_t *mode, kuid_t *uid,
			kgid_t *gid)
{
	return NULL;
}

const struct device_type kfi_probe = {
	.devnode = kfi_probe_devnode,
};
