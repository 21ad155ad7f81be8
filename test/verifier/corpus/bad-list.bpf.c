// Near misses with a work queue in a map value: a job pushed without taking the value's lock,
// a job read through after the unlock (the list owns it then: the pointer is dead), a job
// popped and leaked, and a job of another struct pushed onto the list.
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

struct other_job {
	struct bpf_list_node link;
	__u64 cookie;
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

__u64 seen;

static __always_inline struct queue *queue0(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&queues, &key);
}

SEC("tc")
int push_unlocked(struct __sk_buff *skb)
{
	struct queue *q = queue0();
	struct job *j;

	if (!q)
		return 0;
	j = bpf_obj_new_impl(bpf_core_type_id_local(struct job), NULL);
	if (!j)
		return 0;
	bpf_list_push_back_impl(&q->jobs, &j->link, NULL, 0);
	return 0;
}

SEC("tc")
int use_after_unlock(struct __sk_buff *skb)
{
	struct queue *q = queue0();
	struct job *j;

	if (!q)
		return 0;
	j = bpf_obj_new_impl(bpf_core_type_id_local(struct job), NULL);
	if (!j)
		return 0;
	bpf_spin_lock(&q->lock);
	bpf_list_push_back_impl(&q->jobs, &j->link, NULL, 0);
	bpf_spin_unlock(&q->lock);
	seen += j->len;
	return 0;
}

SEC("tc")
int pop_leak(struct __sk_buff *skb)
{
	struct queue *q = queue0();
	struct bpf_list_node *n;

	if (!q)
		return 0;
	bpf_spin_lock(&q->lock);
	n = bpf_list_pop_front(&q->jobs);
	bpf_spin_unlock(&q->lock);
	if (n)
		seen += container_of(n, struct job, link)->len;
	return 0;
}

SEC("tc")
int push_other_type(struct __sk_buff *skb)
{
	struct queue *q = queue0();
	struct other_job *o;

	if (!q)
		return 0;
	o = bpf_obj_new_impl(bpf_core_type_id_local(struct other_job), NULL);
	if (!o)
		return 0;
	bpf_spin_lock(&q->lock);
	bpf_list_push_back_impl(&q->jobs, &o->link, NULL, 0);
	bpf_spin_unlock(&q->lock);
	return 0;
}
