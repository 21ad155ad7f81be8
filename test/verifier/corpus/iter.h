/* Open-coded numeric iterators for the corpus: the kfuncs, and bpf_for/bpf_repeat written as
 * libbpf 1.2+ spells them (the libbpf 1.1 headers here have neither). The iterator lives on
 * the stack and is destroyed when the loop's scope ends (the cleanup attribute). */
#pragma once

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

#ifndef bpf_for
/* i takes start .. end-1; the bounds are re-checked on the value read so the verifier sees them. */
#define bpf_for(i, start, end)                                                              \
	for (struct bpf_iter_num ___it __attribute__((aligned(8), cleanup(bpf_iter_num_destroy))), \
	     *___p __attribute__((unused)) =                                                        \
		     (bpf_iter_num_new(&___it, (start), (end)), (void)bpf_iter_num_destroy, (void *)0); \
	     ({                                                                                     \
		     int *___t = bpf_iter_num_next(&___it);                                         \
		     (___t && ((i) = *___t, (i) >= (start) && (i) < (end)));                        \
	     });)
#endif

#ifndef bpf_repeat
/* The body runs n times, with no index. */
#define bpf_repeat(n)                                                                       \
	for (struct bpf_iter_num ___it __attribute__((aligned(8), cleanup(bpf_iter_num_destroy))), \
	     *___p __attribute__((unused)) =                                                        \
		     (bpf_iter_num_new(&___it, 0, (n)), (void)bpf_iter_num_destroy, (void *)0);     \
	     bpf_iter_num_next(&___it);)
#endif
