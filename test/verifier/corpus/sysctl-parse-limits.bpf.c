// Imitates cgroup/sysctl guards that validate a triple such as net/ipv4/tcp_rmem: the name is
// checked, then three numbers are parsed from the current value with bpf_strtoul, each at the
// variable offset where the previous one ended (a stack pointer with a variable part).
#include "corpus.h"

#define VALUE_LEN 64
#define NUM_LEN 15

static const char wanted[] = "net/ipv4/tcp_rmem";

SEC("cgroup/sysctl")
int sysctl_limits(struct bpf_sysctl *ctx)
{
	unsigned long limits[3] = {};
	char name[sizeof(wanted)];
	char value[VALUE_LEN];
	unsigned char off = 0;
	int i, n;

	if (ctx->write)
		return 1;
	__builtin_memset(name, 0, sizeof(name));
	n = bpf_sysctl_get_name(ctx, name, sizeof(name), 0);
	if (n != sizeof(wanted) - 1)
		return 1;
	for (i = 0; i < sizeof(wanted); i++)
		if (name[i] != wanted[i])
			return 1;
	n = bpf_sysctl_get_current_value(ctx, value, sizeof(value));
	if (n < 0 || n >= VALUE_LEN)
		return 1;
	for (i = 0; i < 3; i++) {
		n = bpf_strtoul(value + off, NUM_LEN, 0, &limits[i]);
		if (n <= 0 || n > NUM_LEN)
			return 1;
		off += n & NUM_LEN;
	}
	return limits[0] <= limits[1] && limits[1] <= limits[2];
}
