#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build kfabric, boot the test VM with Soft-RoCE, load the
# project's modules and show what they see; then kfkv: an object put and
# got from the shell with the kfkv tool; then the block demo: a kfblk
# device over the verbs provider and an nvme-rdma device on the same rxe
# device, with the same fio run on both, side by side.
#
#   scripts/demo.sh            on the host (installs what is missing)
#   scripts/demo.sh --guest    the part that runs inside the VM

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${1:-}" != --guest ]; then
	set -e
	. "$top/scripts/common.sh"
	"$top/scripts/deps.sh"
	out=${KFI_RESULTS:-$top/results}/demo
	mkdir -p "$out"
	if ! make -C "$top" --no-print-directory modules >"$out/build.log" 2>&1; then
		cat "$out/build.log"
		exit 1
	fi
	exec "$top/tools/testing/vm/run" --timeout 900 --out "$out" -- \
		"$top/scripts/demo.sh" --guest
fi

# In the guest.
. "$top/tools/testing/selftests/kfabric/kfabric_modules.sh"
: "${KFI_KO_DIR:=$top}"

step()
{
	printf '\n== %s\n' "$*"
}

step "kernel"
uname -r
step "Soft-RoCE: rdma link"
rdma link show
step "RDMA devices"
ibv_devices
ibv_devinfo -d "$KFI_RXE_DEV" | grep -E 'hca_id|transport|state|active_mtu|link_layer'
step "netdev under $KFI_RXE_DEV"
ip -brief address show dummy0

step "loading kfabric's modules"
mapfile -t project < <(kfi_project_modules)
loaded=()
if [ ${#project[@]} = 0 ]; then
	echo "(none built yet)"
fi
for ko in "${project[@]}"; do
	name=$(kfi_modname "$ko")
	if err=$(kfi_insmod "$ko"); then
		loaded+=("$name")
		echo "loaded $name"
	else
		echo "FAILED $name: $err"
	fi
done
step "loaded modules"
lsmod | grep -E "^(Module|$(IFS='|'; echo "${loaded[*]}")) " || true

step "kfi_info: kfabric's providers and the domains they offer"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
/usr/bin/python3 "$top/tools/kfi_info/kfi_info" || true

step "unloading"
rc=0
for ((i = ${#loaded[@]} - 1; i >= 0; i--)); do
	if err=$(kfi_rmmod "${loaded[i]}"); then
		echo "unloaded ${loaded[i]}"
	else
		echo "FAILED ${loaded[i]}: $err"
		rc=1
	fi
done

step "kfkv: an object put and got from the shell (tools/kfkv)"
"$top/tools/testing/demo/kfkv_demo.sh" || rc=1

step "kfblk against nvme-rdma, same rxe device, same fio"
"$top/tools/testing/demo/kfblk_demo.sh" || rc=1
exit $rc
