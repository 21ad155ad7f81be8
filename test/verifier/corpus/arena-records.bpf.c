// A record list kept in an arena, memory the program shares with user space page by page (as
// sched_ext schedulers and arena-based hash tables keep theirs): `__arena` globals in
// .addr_space.1, pages from bpf_arena_alloc_pages, a global function taking an arena pointer,
// and a bounded walk of the list. Every arena pointer is cast between the user's and the
// kernel's address space by addr_space_cast, which clang emits for address_space(1).
#include "corpus.h"

#define __arena __attribute__((address_space(1)))
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))
#define NUMA_NO_NODE (-1)

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4); /* pages */
} arena SEC(".maps");

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt, int node_id, __u64 flags) __ksym __weak;
void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym __weak;

struct record {
	__u64 key;
	__u64 count;
	struct record __arena *next;
};

/* In the arena itself: user space reads them through its mapping. */
struct record __arena *__arena head;
__u64 __arena total;
/* Initialised: libbpf copies it into the arena once it has mapped it. */
__u64 __arena generation = 7;

/* Verified alone: its argument is any arena pointer, or NULL. */
__weak int record_add(struct record __arena *r __arg_arena, __u64 n)
{
	if (!r)
		return -1;
	r->count += n;
	return 0;
}

SEC("syscall")
int add_records(void *ctx)
{
	struct record __arena *page;
	int i;

	page = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0);
	if (!page)
		return 1;
	for (i = 0; i < 8; i++) {
		struct record __arena *r = page + i;

		r->key = i;
		r->next = head;
		head = r;
		record_add(r, i + 1);
		total += i + 1;
	}
	return 0;
}

SEC("syscall")
int sum_records(void *ctx)
{
	struct record __arena *r = head;
	__u64 sum = 0;
	int i;

	for (i = 0; i < 16 && r; i++) {
		sum += r->count;
		r = r->next;
	}
	return sum == total ? 0 : 1;
}

SEC("syscall")
int free_records(void *ctx)
{
	struct record __arena *r = head;
	int i;

	if (!r)
		return 0;
	head = NULL;
	total = 0;
	/* The records share one page: the first one allocated, the list's last, is its start. */
	for (i = 0; i < 16 && r->next; i++)
		r = r->next;
	bpf_arena_free_pages(&arena, r, 1);
	generation++;
	return 0;
}

SEC("syscall")
int read_generation(void *ctx)
{
	return generation;
}
