// Imitates a parser split into static noinline stages, each with its own stack buffer, so
// that the combined stack of the call chain approaches the 512-byte limit.
#include "corpus.h"

__u64 out;

static __noinline __u64 stage3(__u64 seed)
{
	volatile __u64 buf[16];
	for (int i = 0; i < 16; i++)
		buf[i] = seed + i;
	return buf[seed & 15];
}

static __noinline __u64 stage2(__u64 seed)
{
	volatile __u64 buf[16];
	for (int i = 0; i < 16; i++)
		buf[i] = seed ^ i;
	return stage3(buf[seed & 15]);
}

static __noinline __u64 stage1(__u64 seed)
{
	volatile __u64 buf[16];
	for (int i = 0; i < 16; i++)
		buf[i] = seed * i;
	return stage2(buf[seed & 15]);
}

SEC("raw_tp/sys_enter")
int deep(void *ctx)
{
	volatile __u64 buf[8];
	__u64 seed = bpf_get_prandom_u32();
	for (int i = 0; i < 8; i++)
		buf[i] = seed;
	out = stage1(buf[seed & 7]);
	return 0;
}
