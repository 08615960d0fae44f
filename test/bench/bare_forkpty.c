/* bare_forkpty.c - the lower bound for `connectorc run`'s benchmark.
 *
 *   bare_forkpty N JOBS PROGRAM [ARG...]
 *
 * Runs PROGRAM N times, at most JOBS at once, each under forkpty (120x40)
 * and execv, reading every master until EIO and reaping the child: what the
 * runtime does per task, minus the journal, the answer files and the
 * classification. Output is read and dropped. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct slot {
  int fd;
  pid_t pid;
};

static int start(char **argv, struct slot *s) {
  struct winsize ws = {40, 120, 0, 0};
  int fd;
  pid_t pid = forkpty(&fd, NULL, NULL, &ws);
  if (pid < 0)
    return -1;
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  s->fd = fd;
  s->pid = pid;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bare_forkpty N JOBS PROGRAM [ARG...]\n");
    return 2;
  }
  long n = atol(argv[1]), jobs = atol(argv[2]), started = 0, running = 0;
  struct slot *slots = calloc(jobs, sizeof *slots);
  struct pollfd *fds = calloc(jobs, sizeof *fds);
  static char buf[65536];
  for (long i = 0; i < jobs; ++i)
    slots[i].fd = -1;
  while (started < n || running > 0) {
    for (long i = 0; i < jobs && started < n; ++i)
      if (slots[i].fd < 0) {
        if (start(argv + 3, &slots[i]) != 0)
          return 1;
        ++started, ++running;
      }
    for (long i = 0; i < jobs; ++i) {
      fds[i].fd = slots[i].fd;
      fds[i].events = POLLIN;
    }
    if (poll(fds, jobs, -1) < 0 && errno != EINTR)
      return 1;
    for (long i = 0; i < jobs; ++i) {
      if (slots[i].fd < 0 || !fds[i].revents)
        continue;
      if (read(slots[i].fd, buf, sizeof buf) > 0)
        continue;
      /* EIO: the session's terminal is closed. */
      close(slots[i].fd);
      waitpid(slots[i].pid, NULL, 0);
      slots[i].fd = -1;
      --running;
    }
  }
  return 0;
}
