/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside kfkv.ko: what the client core gives the character devices
 * (kfkv_dev.c), and their setup.  Not part of include/kfabric/kfkv.h.
 */
#ifndef _KFKV_CLIENT_H
#define _KFKV_CLIENT_H

#include <linux/completion.h>
#include <kfabric/kfkv.h>

int kfkv_submit_wait(struct kfkv_handle *h, struct kfkv_op *op);
void kfkv_wait(struct completion *done);

int kfkv_dev_init(void);
void kfkv_dev_exit(void);

#endif /* _KFKV_CLIENT_H */
