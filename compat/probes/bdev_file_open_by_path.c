// SPDX-License-Identifier: GPL-2.0
/* Block devices are opened as files: bdev_file_open_by_path(), file_bdev(). */
#include <linux/blkdev.h>
#include <linux/fs.h>

struct block_device *kfi_probe(const char *path, void *holder);

struct block_device *kfi_probe(const char *path, void *holder)
{
	struct file *f = bdev_file_open_by_path(path, BLK_OPEN_READ, holder,
						NULL);

	return IS_ERR(f) ? NULL : file_bdev(f);
}
