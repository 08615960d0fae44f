/* bare_pty.c - the floor for `connectorc run`: N processes, at most J at once,
 * each in its own pseudo-terminal (forkpty + execvp), output read until the
 * terminal closes, then reaped. No journal, no files, no classification.
 *
 *   bare_pty N J COMMAND [ARG...]      run N copies, J at a time
 *   bare_pty --bytes COMMAND [ARG...]  run one, print how many bytes it wrote
 *
 * Built by run_bench.sh with plain `cc -O2`; not part of connectorc. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct slot { int fd; pid_t pid; };

static pid_t start(char **argv, int *fd) {
  struct winsize ws = {40, 120, 0, 0};
  pid_t pid = forkpty(fd, NULL, NULL, &ws);
  if (pid == 0) {
    execvp(argv[0], argv);
    _exit(127);
  }
  return pid;
}

int main(int argc, char **argv) {
  static char buf[1 << 16];
  if (argc >= 3 && strcmp(argv[1], "--bytes") == 0) {
    int fd;
    pid_t pid = start(argv + 2, &fd);
    unsigned long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
      if (n > 0) total += (unsigned long long)n;
    waitpid(pid, NULL, 0);
    printf("%llu\n", total);
    return 0;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: bare_pty N J COMMAND [ARG...]\n");
    return 2;
  }
  int n = atoi(argv[1]), j = atoi(argv[2]), started = 0, done = 0;
  struct slot *slots = calloc((size_t)j, sizeof *slots);
  struct pollfd *fds = calloc((size_t)j, sizeof *fds);
  for (int i = 0; i < j; ++i)
    slots[i].fd = -1;
  while (done < n) {
    for (int i = 0; i < j && started < n; ++i)
      if (slots[i].fd < 0) {
        slots[i].pid = start(argv + 3, &slots[i].fd);
        ++started;
      }
    for (int i = 0; i < j; ++i) {
      fds[i].fd = slots[i].fd;
      fds[i].events = POLLIN;
    }
    if (poll(fds, (nfds_t)j, -1) < 0 && errno != EINTR)
      return 1;
    for (int i = 0; i < j; ++i) {
      if (slots[i].fd < 0 || !fds[i].revents)
        continue;
      if (read(slots[i].fd, buf, sizeof buf) > 0)
        continue;
      close(slots[i].fd); /* EOF or EIO: the terminal's last writer is gone */
      waitpid(slots[i].pid, NULL, 0);
      slots[i].fd = -1;
      ++done;
    }
  }
  return 0;
}
