// Imitates packet-length code built with 32-bit lengths (`__u32 len = data_end - data`, as
// seg6 and tunnel parsers store offsets): clang may emit the subtraction on the 32-bit
// halves of the pointers (`w3 -= w2`), which the kernel lets a privileged program do, the
// result an unknown number. Written in asm so the compiler cannot choose otherwise.
#include "corpus.h"

SEC("xdp")
int len32(struct xdp_md *ctx)
{
	__u64 len, room;

	asm volatile("r2 = *(u32 *)(%[ctx] + 0);"
		     "r3 = *(u32 *)(%[ctx] + 4);"
		     "w3 -= w2;"           /* pointer - pointer on 32 bits */
		     "%[len] = r3;"
		     "w4 = 1500;"
		     "w4 -= w2;"           /* scalar - pointer on 32 bits */
		     "%[room] = r4;"
		     : [len] "=r"(len), [room] "=r"(room)
		     : [ctx] "r"(ctx)
		     : "r2", "r3", "r4");
	if (len > 1514 || room == 7)
		return XDP_DROP;
	return XDP_PASS;
}
