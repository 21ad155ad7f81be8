// Near miss: the unix socket redirector with its target path as a `static const` string,
// which clang puts in .rodata. A kfunc's memory argument is checked as read and as written
// (nothing tells the kernel a kfunc only reads it, `const` in its prototype or not), and
// .rodata is read-only to programs: copy the path to the stack first.
#include "corpus.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern int bpf_sock_addr_set_sun_path(struct bpf_sock_addr_kern *sa_kern, const __u8 *sun_path, __u32 sun_path__sz) __ksym;

static const char target[] = "/run/proxy.sock";

SEC("cgroup/connect_unix")
int redirect_unix_rodata(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_addr_kern *sa_kern = bpf_cast_to_kern_ctx(ctx);

	if (bpf_sock_addr_set_sun_path(sa_kern, (const __u8 *)target, sizeof(target) - 1))
		return 0;
	return 1;
}
