/* tsbpf hooks: the contexts tsbpf's in-process Node.js hooks hand to a program (r1), and
 * the section names that attach a program to them. Shipped with the package; the layouts
 * here are checked against src/hooks/contexts.ts through the object's BTF at attach. */
#ifndef TSBPF_HOOKS_H
#define TSBPF_HOOKS_H

#include <linux/types.h>

/* Bounded strings: at most TSBPF_STR_MAX bytes, NUL included, copied in before the run. */
#define TSBPF_STR_MAX 256

/* A bounded string: `ptr` is the address of its NUL-terminated bytes, for
 * bpf_probe_read_kernel_str() or bpf_probe_read_user_str(); `len` its length without NUL. */
struct tsbpf_str {
	__u64 ptr;
	__u32 len;
	__u32 truncated; /* 1 when the value was longer than TSBPF_STR_MAX - 1 bytes */
};

/* Channels of SEC("tsbpf/dc/<channel>"), in struct tsbpf_dc_ctx.channel. */
enum tsbpf_dc_channel {
	TSBPF_DC_HTTP_CLIENT_REQUEST_START = 1,
	TSBPF_DC_HTTP_CLIENT_RESPONSE_FINISH = 2,
	TSBPF_DC_HTTP_SERVER_REQUEST_START = 3,
	TSBPF_DC_HTTP_SERVER_RESPONSE_FINISH = 4,
	TSBPF_DC_NET_CLIENT_SOCKET = 5,
	TSBPF_DC_NET_SERVER_SOCKET = 6,
	TSBPF_DC_UDP_SOCKET = 7,
	TSBPF_DC_CHILD_PROCESS = 8,
	TSBPF_DC_WORKER_THREADS = 9,
	TSBPF_DC_UNDICI_REQUEST_CREATE = 10,
	TSBPF_DC_UNDICI_REQUEST_HEADERS = 11,
	TSBPF_DC_UNDICI_REQUEST_TRAILERS = 12,
	TSBPF_DC_UNDICI_REQUEST_ERROR = 13,
};

/* SEC("tsbpf/dc/<channel>"): one diagnostics_channel message. */
struct tsbpf_dc_ctx {
	__u64 ts_ns;    /* the message's time, on bpf_ktime_get_ns()'s clock */
	__u64 start_ns; /* finish messages: when their request started (0 when unknown) */
	__u64 id;       /* the request, socket, child or worker the message is about: the same at start and finish */
	__u32 channel;  /* enum tsbpf_dc_channel */
	__u32 status;   /* HTTP status code (response finish, undici headers), else 0 */
	__u32 port;     /* remote port (client), local port (server), else 0 */
	__u32 pid;      /* child_process: the child's pid; worker_threads: the worker's threadId */
	__u64 bytes;    /* response finish: bytes written on the socket so far, else 0 */
	struct tsbpf_str method; /* HTTP method */
	struct tsbpf_str path;   /* URL path; child_process: the file spawned */
	struct tsbpf_str host;   /* host or address */
};

/* Argument kinds of struct tsbpf_arg. */
enum tsbpf_arg_type {
	TSBPF_ARG_UNDEFINED = 0,
	TSBPF_ARG_NUMBER = 1,  /* num: the value truncated to an integer; bits: its IEEE-754 bits */
	TSBPF_ARG_BOOLEAN = 2, /* num: 0 or 1 */
	TSBPF_ARG_STRING = 3,  /* len: its length; str: its first bytes */
	TSBPF_ARG_BUFFER = 4,  /* len: its byte length; str: its first bytes */
	TSBPF_ARG_OBJECT = 5,
	TSBPF_ARG_FUNCTION = 6,
	TSBPF_ARG_NULL = 7,
	TSBPF_ARG_BIGINT = 8,  /* num: its low 64 bits */
};

/* One argument (or the return value) as a typed slot. */
struct tsbpf_arg {
	__u32 type; /* enum tsbpf_arg_type */
	__u32 len;
	__s64 num;
	__u64 bits;
	struct tsbpf_str str;
};

#define TSBPF_MAX_ARGS 6

/* SEC("tsbpf/fentry/<function>") and SEC("tsbpf/fexit/<function>"): a function probe.
 * <function> is `module.path.to.fn` (a builtin or a loaded module: fs.promises.readFile)
 * or `globalThis.path.to.fn`. */
struct tsbpf_fn_ctx {
	__u64 ts_ns;       /* entry: when called; return: when it returned (or its promise settled) */
	__u64 duration_ns; /* return only: the call's duration */
	__u64 id;          /* the call: the same at entry and return */
	__u32 nargs;       /* arguments given (slots beyond TSBPF_MAX_ARGS are not shown) */
	__u32 is_return;
	__u32 threw;       /* return only: 1 when it threw or its promise rejected */
	__u32 _pad;
	struct tsbpf_str name; /* the probed function, as in the section name */
	struct tsbpf_arg args[TSBPF_MAX_ARGS];
	struct tsbpf_arg ret;  /* return only */
};

/* Operations of SEC("tsbpf/policy/<op>"), in struct tsbpf_policy_ctx.op. */
enum tsbpf_policy_op {
	TSBPF_POLICY_FS_OPEN = 1,
	TSBPF_POLICY_FS_WRITE = 2,
	TSBPF_POLICY_FS_UNLINK = 3,
	TSBPF_POLICY_NET_CONNECT = 4,
	TSBPF_POLICY_NET_LISTEN = 5,
	TSBPF_POLICY_SPAWN = 6,
	TSBPF_POLICY_WORKER = 7,
};

/* SEC("tsbpf/policy/<op>"): the program returns 0 to allow, anything else to deny (the
 * call then fails with an EPERM error in the application). */
struct tsbpf_policy_ctx {
	__u64 ts_ns;
	__u32 op;    /* enum tsbpf_policy_op */
	__u32 flags; /* fs.open: O_* flags (O_WRONLY 1, O_RDWR 2, O_CREAT 0100...) */
	__u32 port;  /* net: the port */
	__u32 _pad;
	struct tsbpf_str path;  /* fs: the path; spawn: the command; worker: the script; net: the host */
	struct tsbpf_str fn;    /* the API called: "fs.openSync", "net.connect" */
};

/* Events of SEC("tsbpf/runtime/<event>"), in struct tsbpf_rt_ctx.event. */
enum tsbpf_rt_event {
	TSBPF_RT_GC = 1,            /* kind: NODE_PERFORMANCE_GC_* (1 major, 2 minor, 4 incremental, 8 weakcb) */
	TSBPF_RT_LOOP_DELAY = 2,    /* value: how late a 10 ms timer fired, in ns */
	TSBPF_RT_ASYNC_INIT = 3,    /* value: asyncId, kind: triggerAsyncId; name: the resource type */
	TSBPF_RT_ASYNC_DESTROY = 4, /* value: asyncId */
	TSBPF_RT_UNCAUGHT = 5,      /* name: the error's message */
	TSBPF_RT_WARNING = 6,       /* name: the warning's name and message */
	TSBPF_RT_MODULE_LOAD = 7,   /* name: the module requested */
};

/* SEC("tsbpf/runtime/<event>"): gc, loop_delay, async_init, async_destroy, uncaught,
 * warning, module_load. */
struct tsbpf_rt_ctx {
	__u64 ts_ns;
	__u64 duration_ns; /* gc: the pause */
	__u64 value;
	__u32 event;       /* enum tsbpf_rt_event */
	__u32 kind;
	struct tsbpf_str name;
};

/* SEC("tsbpf/perf/<hz>"): a timer sampling the JavaScript stack <hz> times a second. The
 * stack is that of the sample: bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK) files it
 * in a BPF_MAP_TYPE_STACK_TRACE map (one u64 frame id per frame, innermost first), and
 * tsbpf names the frame ids (function file:line). */
struct tsbpf_perf_ctx {
	__u64 ts_ns;
	__u64 period_ns;
	__u32 depth; /* frames in the sampled stack */
	__u32 _pad;
};

#endif /* TSBPF_HOOKS_H */
