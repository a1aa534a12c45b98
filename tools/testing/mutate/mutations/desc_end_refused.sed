# area: performance
# file: providers/verbs/mr.c
# tests: kfi_test_verbs
# A buffer that ends where its region ends is taken for one outside it,
# and mapped for every post after all.
# desc_registered counts one post too few at the regions' addresses.
s/^\t\t    addr - va <= sg->length - len) {$/\t\t    addr - va < sg->length - len) {/
