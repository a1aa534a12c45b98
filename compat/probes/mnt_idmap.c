// SPDX-License-Identifier: GPL-2.0
/* A mount's ID mapping is a struct mnt_idmap (6.3+), not a user namespace. */
#include <linux/mount.h>

struct mnt_idmap *kfi_probe(const struct vfsmount *mnt);

struct mnt_idmap *kfi_probe(const struct vfsmount *mnt)
{
	return mnt_idmap(mnt);
}
