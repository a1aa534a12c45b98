/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfkv.ko's character devices: one per store attached through configfs
 * (/sys/kernel/config/kfkv/<name>), /dev/kfkv/<name> while enabled.
 * kfkv_dev_cfs.c holds the configfs side, kfkv_dev.c the device and its
 * ioctls (include/uapi/kfabric/kfkv.h).
 */
#ifndef _KFKV_DEV_H
#define _KFKV_DEV_H

#include <linux/cdev.h>
#include <linux/configfs.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include "kfkv_proto.h"

#define KFKV_DEV_ADDR_LEN	64

/**
 * struct kfkv_dev - a store attached for user space
 * @group: its configfs directory; its reference count is the object's
 *	(open files hold one too)
 * @name: the directory's name, and the device's
 * @lock: guards the connection attributes below, @enabled, @minor,
 *	@cdev and @node: configfs writes and enabling are serialized here
 * @addr: the target's address
 * @port: its port
 * @store: the store's name on the target
 * @depth: operations in flight the handle asks for
 * @timeout_ms: the handle's timeout
 * @max_value: the largest value the handle moves (its regions' size)
 * @secret: the store's shared secret (write-only in configfs)
 * @secret_len: its bytes; 0: none
 * @enabled: the handle is open and the device exists
 * @minor: the device's minor while enabled
 * @cdev: the character device while enabled
 * @node: the struct device behind /dev/kfkv/<name> while enabled
 * @perm_lock: guards @uid, @gid and @mode, read by every operation
 * @uid: owner of the device
 * @gid: its group
 * @mode: its permission bits
 * @io_lock: an operation holds it for reading until it is submitted to
 *	@h; disabling takes it for writing before closing @h, which
 *	completes every operation in flight
 * @h: the handle, NULL while disabled
 * @gen: counts enables; an open file works only with the handle it
 *	was opened on
 */
struct kfkv_dev {
	struct config_group group;
	char name[KFKV_STORE_NAME_LEN];
	/* configfs writes, enable and disable; see @lock above */
	struct mutex lock;
	char addr[KFKV_DEV_ADDR_LEN];
	u16 port;
	char store[KFKV_STORE_NAME_LEN];
	u32 depth;
	u32 timeout_ms;
	u64 max_value;
	u8 secret[KFKV_SECRET_MAX];
	u32 secret_len;
	bool enabled;
	u32 minor;
	struct cdev *cdev;
	struct device *node;
	/* @uid, @gid, @mode: read by every open and operation */
	spinlock_t perm_lock;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	struct rw_semaphore io_lock;
	struct kfkv_handle *h;
	u32 gen;
};

int kfkv_dev_enable(struct kfkv_dev *d);
void kfkv_dev_disable(struct kfkv_dev *d);
int kfkv_dev_node_refresh(struct kfkv_dev *d);
int kfkv_dev_cfs_init(void);
void kfkv_dev_cfs_exit(void);

#endif /* _KFKV_DEV_H */
