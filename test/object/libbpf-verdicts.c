/* libbpf's own verdicts, for the differential tests: for each program of an object,
 * open it, leave only that program to autoload, load, and print one line
 *   NAME<TAB>insn_cnt-after-open<TAB>ok|fail<TAB>the last libbpf message
 * and after a load that worked, one line per map: #map<TAB>NAME<TAB>max_entries<TAB>flags.
 * Arguments after the object: MAP=N (bpf_map__set_max_entries) and PROG:TYPE
 * (bpf_program__set_type with the type and attach type libbpf gives section TYPE).
 * Built by the test with the host's cc and libbpf-dev; never shipped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

static char last[512];

static int keep_last(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, args);
	line[strcspn(line, "\n")] = 0;
	/* The summary lines ("failed to load object") say less than the one before them. */
	if (line[0] && !strstr(line, "failed to load object") && !strstr(line, "-- END PROG LOAD LOG --"))
		snprintf(last, sizeof(last), "%s", line);
	return 0;
}

static struct bpf_object *open_with(const char *path, int argc, char **argv)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int i;

	if (!obj)
		return NULL;
	for (i = 0; i < argc; i++) {
		char name[256], *sep;

		snprintf(name, sizeof(name), "%s", argv[i]);
		if ((sep = strchr(name, '='))) {
			*sep = 0;
			bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, name), atoi(sep + 1));
		} else if ((sep = strchr(name, ':'))) {
			enum bpf_prog_type type;
			enum bpf_attach_type attach;
			struct bpf_program *p;

			*sep = 0;
			if (libbpf_prog_type_by_name(sep + 1, &type, &attach))
				continue;
			p = bpf_object__find_program_by_name(obj, name);
			bpf_program__set_type(p, type);
			bpf_program__set_expected_attach_type(p, attach);
		}
	}
	return obj;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog, *p;
	struct bpf_map *m;
	int n = 0, i, j;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJ [MAP=N | PROG:TYPE]...\n", argv[0]);
		return 2;
	}
	libbpf_set_print(keep_last);
	obj = open_with(argv[1], argc - 2, argv + 2);
	if (!obj) {
		printf("-\t0\topen\t%s\n", last);
		return 0;
	}
	bpf_object__for_each_program(prog, obj) n++;
	bpf_object__close(obj);
	for (i = 0; i < n; i++) {
		int err;
		const char *name = NULL;
		size_t cnt = 0;

		obj = open_with(argv[1], argc - 2, argv + 2);
		if (!obj)
			return 1;
		j = 0;
		bpf_object__for_each_program(p, obj) {
			bpf_program__set_autoload(p, j == i);
			if (j == i) {
				name = bpf_program__name(p);
				cnt = bpf_program__insn_cnt(p);
			}
			j++;
		}
		last[0] = 0;
		err = bpf_object__load(obj);
		printf("%s\t%zu\t%s\t%s\n", name, cnt, err ? "fail" : "ok", err ? last : "");
		if (!err)
			bpf_object__for_each_map(m, obj)
				printf("#map\t%s\t%u\t%u\n", bpf_map__name(m), bpf_map__max_entries(m), bpf_map__map_flags(m));
		bpf_object__close(obj);
	}
	return 0;
}
