# area: multipath
# file: consumers/block/kfblk_client_path.c
# tests: kfblk_paths
# A disk's session always fails over, whatever iopolicy says: one path
# carries every request and the others stand idle.
s/^\t\t\.policy = READ_ONCE(kfblk_iopolicy),$/\t\t.policy = KFI_SESS_POLICY_FAILOVER,/
