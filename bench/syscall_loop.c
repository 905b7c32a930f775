/* A syscall-heavy loop: N reads of 1 byte from /dev/zero, timed with CLOCK_MONOTONIC.
 * Prints "ns_per_syscall=<x>". Static, so it runs inside a busybox container. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) {
    perror("open /dev/zero");
    return 1;
  }
  char c;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; ++i) {
    if (read(fd, &c, 1) != 1) {
      perror("read");
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
  printf("ns_per_syscall=%.1f\n", ns / n);
  return 0;
}
