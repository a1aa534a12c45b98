// SPDX-License-Identifier: GPL-2.0
/* from_timer() is called timer_container_of(). */
#include <linux/timer.h>

struct kfi_probe_s {
	struct timer_list timer;
};

struct kfi_probe_s *kfi_probe(struct timer_list *t);

struct kfi_probe_s *kfi_probe(struct timer_list *t)
{
	struct kfi_probe_s *s = timer_container_of(s, t, timer);

	return s;
}
