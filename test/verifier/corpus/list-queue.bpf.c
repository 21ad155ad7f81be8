// A work queue kept in a map value, as schedulers and packet batchers keep theirs: jobs the
// program allocates (bpf_obj_new) are pushed onto a bpf_list_head under the value's
// bpf_spin_lock, and taken off again by another program, which drops them. Written against
// the kernel's graph API (bpf_list_push_back_impl, bpf_list_pop_front).
#include "corpus.h"

#define __contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern int bpf_list_push_back_impl(struct bpf_list_head *head, struct bpf_list_node *node, void *meta, __u64 off) __ksym;
extern struct bpf_list_node *bpf_list_pop_front(struct bpf_list_head *head) __ksym;

struct job {
	__u64 cookie;
	struct bpf_list_node link;
	__u32 len;
};

struct queue {
	struct bpf_spin_lock lock;
	__u32 queued;
	struct bpf_list_head jobs __contains(job, link);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct queue);
} queues SEC(".maps");

__u64 done;

SEC("tc")
int enqueue(struct __sk_buff *skb)
{
	struct queue *q;
	struct job *j;
	__u32 key = 0;

	q = bpf_map_lookup_elem(&queues, &key);
	if (!q)
		return 0;
	j = bpf_obj_new_impl(bpf_core_type_id_local(struct job), NULL);
	if (!j)
		return 0;
	j->cookie = bpf_get_prandom_u32();
	j->len = skb->len;
	bpf_spin_lock(&q->lock);
	bpf_list_push_back_impl(&q->jobs, &j->link, NULL, 0);
	q->queued++;
	bpf_spin_unlock(&q->lock);
	return 0;
}

SEC("tc")
int dequeue(struct __sk_buff *skb)
{
	struct bpf_list_node *n;
	struct queue *q;
	struct job *j;
	__u32 key = 0;

	q = bpf_map_lookup_elem(&queues, &key);
	if (!q)
		return 0;
	bpf_spin_lock(&q->lock);
	n = bpf_list_pop_front(&q->jobs);
	if (n)
		q->queued--;
	bpf_spin_unlock(&q->lock);
	if (!n)
		return 0;
	j = container_of(n, struct job, link);
	done += j->len;
	bpf_obj_drop_impl(j, NULL);
	return 0;
}
