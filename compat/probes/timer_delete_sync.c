// SPDX-License-Identifier: GPL-2.0
/* del_timer_sync() is called timer_delete_sync(). */
#include <linux/timer.h>

int kfi_probe(struct timer_list *t);

int kfi_probe(struct timer_list *t)
{
	return timer_delete_sync(t);
}
