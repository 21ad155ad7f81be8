// Near misses with ring buffer dynptrs, each a mistake the kernel refuses: a record left
// unsubmitted on one path, a data slice used after its record was submitted, a referenced
// dynptr overwritten, a dynptr read before it was made, a local dynptr handed to submit,
// and a dynptr's bytes copied into a map as if they were data.
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct bpf_dynptr);
} saved SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cfg SEC(".maps");

SEC("raw_tp/sys_enter")
int leak_on_error(void *ctx)
{
	struct bpf_dynptr rec;
	__u64 *d;

	bpf_ringbuf_reserve_dynptr(&events, 8, 0, &rec);
	d = bpf_dynptr_data(&rec, 0, 8);
	if (!d)
		return 0; /* the record is neither submitted nor discarded here */
	*d = bpf_ktime_get_ns();
	bpf_ringbuf_submit_dynptr(&rec, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int slice_after_submit(void *ctx)
{
	struct bpf_dynptr rec;
	__u64 *d;

	bpf_ringbuf_reserve_dynptr(&events, 8, 0, &rec);
	d = bpf_dynptr_data(&rec, 0, 8);
	if (!d) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return 0;
	}
	bpf_ringbuf_submit_dynptr(&rec, 0);
	*d = 1;
	return 0;
}

SEC("raw_tp/sys_enter")
int overwrite_record(void *ctx)
{
	struct bpf_dynptr rec;

	bpf_ringbuf_reserve_dynptr(&events, 8, 0, &rec);
	*(volatile __u64 *)&rec = 0;
	bpf_ringbuf_discard_dynptr(&rec, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int read_before_made(void *ctx)
{
	struct bpf_dynptr rec;
	__u64 v = 0;

	bpf_dynptr_read(&v, sizeof(v), &rec, 0, 0);
	return v;
}

SEC("raw_tp/sys_enter")
int submit_local(void *ctx)
{
	struct bpf_dynptr local;
	__u32 zero = 0;
	__u64 *c;

	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c)
		return 0;
	bpf_dynptr_from_mem(c, sizeof(*c), 0, &local);
	bpf_ringbuf_submit_dynptr(&local, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int save_dynptr(void *ctx)
{
	struct bpf_dynptr local;
	__u32 zero = 0;
	__u64 *c;

	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c)
		return 0;
	bpf_dynptr_from_mem(c, sizeof(*c), 0, &local);
	bpf_map_update_elem(&saved, &zero, &local, 0);
	return 0;
}
