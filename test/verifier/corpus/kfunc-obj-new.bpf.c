// Imitates code that allocates its own objects with bpf_obj_new (libbpf's bpf_experimental.h
// macros): a local struct made, filled, read and dropped.
#include "corpus.h"

extern void *bpf_obj_new_impl(__u64 local_type_id__k, void *meta__ign) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta__ign) __ksym;
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define bpf_obj_drop(kptr) bpf_obj_drop_impl(kptr, NULL)

struct obj_sample {
	__u64 key;
	__u64 value;
};

__u64 last_value;

SEC("tp_btf/sched_switch")
int make_sample(u64 *ctx)
{
	struct obj_sample *s = bpf_obj_new(struct obj_sample);

	if (!s)
		return 0;
	s->key = bpf_ktime_get_ns();
	s->value = s->key >> 10;
	last_value = s->value;
	bpf_obj_drop(s);
	return 0;
}
