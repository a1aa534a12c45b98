#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk_fs.sh, unchanged, with kfblk over the TCP provider: with
# KFBLK_PROVIDER=tcp, kfblk_load() loads kfi_tcp and no other provider, so
# every connection is kfi_tcp's, and the script's provider case checks it.
KFBLK_PROVIDER=tcp exec bash "$(dirname "$(readlink -f "$0")")/kfblk_fs.sh"
