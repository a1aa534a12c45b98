# area: performance
# file: consumers/block/kfblk_target_io.c
# tests: kfblk_fio
# An answer's RMA writes are posted with KFI_COMPLETION again, as before
# the target selected its completions: every READ costs the target one
# more completion, and fio.read_answer_one_completion counts it.
/^\treturn KFI_MORE;$/s/KFI_MORE/KFI_MORE | KFI_COMPLETION/
