// Near miss: an object from bpf_obj_new is neither dropped nor stored anywhere.
#include "corpus.h"

extern void *bpf_obj_new_impl(__u64 local_type_id__k, void *meta__ign) __ksym;
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))

struct obj_sample {
	__u64 key;
	__u64 value;
};

SEC("tp_btf/sched_switch")
int lose_sample(u64 *ctx)
{
	struct obj_sample *s = bpf_obj_new(struct obj_sample);

	if (!s)
		return 0;
	s->key = 1;
	return 0;
}
