/* Tries the syscalls it is given and reports each result, for the seccomp tests:
 * argv is groups of seven numbers "nr a0 a1 a2 a3 a4 a5"; each prints "ok" or "errno N". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i + 6 < argc; i += 7) {
    long a[7];
    for (int j = 0; j < 7; j++) a[j] = (long)strtoull(argv[i + j], NULL, 0);
    errno = 0;
    long r = syscall(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    if (r == -1) printf("errno %d\n", errno);
    else printf("ok\n");
    fflush(stdout);
  }
  return 0;
}
