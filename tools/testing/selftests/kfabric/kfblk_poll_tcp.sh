#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk_poll.sh, unchanged, with kfblk over the TCP provider: its poll
# queues' CQs are the core's software queues, polled by blk-mq.
KFBLK_PROVIDER=tcp exec bash "$(dirname "$(readlink -f "$0")")/kfblk_poll.sh"
