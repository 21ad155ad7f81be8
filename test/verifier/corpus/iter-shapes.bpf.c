// bpf_for and bpf_repeat in the places real code puts them: a noinline subprogram called with
// two bounds, a bpf_loop callback, a loop left by break on a failed lookup, two loops in a row,
// a bound only known at run time.
#include "corpus.h"
#include "iter.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} weights SEC(".maps");

__u64 slots[16];
__u64 out;

static __noinline int sum_first(int n)
{
	__u64 s = 0;
	int i;

	bpf_for(i, 0, n)
		if (i < 16)
			s += slots[i];
	return s;
}

SEC("raw_tp/sys_enter")
int in_subprog(void *ctx)
{
	out = sum_first(8) + sum_first(16);
	return 0;
}

static int spread(u32 idx, void *unused)
{
	int i;

	bpf_for(i, 0, 4)
		slots[i & 15] += idx;
	return 0;
}

SEC("raw_tp/sys_enter")
int in_callback(void *ctx)
{
	bpf_loop(8, spread, NULL, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int until_missing(void *ctx)
{
	int i;

	bpf_for(i, 0, 64) {
		u32 k = i;
		u64 *w = bpf_map_lookup_elem(&weights, &k);

		if (!w || *w == 0)
			break;
		out += *w;
	}
	return 0;
}

SEC("raw_tp/sys_enter")
int fill_then_sum(void *ctx)
{
	int i, j;

	bpf_for(i, 0, 16)
		slots[i] = i;
	bpf_for(j, 0, 16)
		out += slots[j];
	return 0;
}

SEC("raw_tp/sys_enter")
int coin_flips(void *ctx)
{
	int n = 0;

	bpf_repeat(100) {
		if (bpf_get_prandom_u32() & 1)
			break;
		n++;
	}
	out = n;
	return 0;
}

SEC("raw_tp/sys_enter")
int runtime_bound(void *ctx)
{
	u32 n = bpf_get_prandom_u32() & 15;
	int i;

	bpf_for(i, 0, n)
		out += slots[i];
	return 0;
}
