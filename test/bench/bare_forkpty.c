/* bare_forkpty.c - the lower bound for `connectorc run`'s benchmark.
 *
 *   bare_forkpty N JOBS PROGRAM [ARG...]
 *
 * Runs PROGRAM N times, at most JOBS at once, each under forkpty (120x40)
 * and execv, reading every master until EIO and reaping the child: what the
 * runtime does per task, minus the journal, the answer files and the
 * classification. Output is read and dropped; or, with JOBS 1 and
 * BARE_FORKPTY_KEEP=PREFIX in the environment, kept as the runtime keeps it:
 * appended to PREFIX.transcript and PREFIX.answer in 64 KiB blocks (what the
 * runtime must write beyond a read loop, without the control sequences
 * stripped from the answer). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
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
  static char buf[65536], block[65536];
  size_t held = 0;
  int keep[2] = {-1, -1};
  const char *prefix = getenv("BARE_FORKPTY_KEEP");
  if (prefix && jobs == 1) {
    static const char *const names[2] = {".transcript", ".answer"};
    for (int k = 0; k < 2; ++k) {
      char path[4096];
      snprintf(path, sizeof path, "%s%s", prefix, names[k]);
      keep[k] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (keep[k] < 0)
        return 1;
    }
  }
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
      ssize_t got = read(slots[i].fd, buf, sizeof buf);
      if (got > 0 && keep[0] >= 0) {
        if (held + (size_t)got > sizeof block) {
          for (int k = 0; k < 2; ++k)
            if (write(keep[k], block, held) != (ssize_t)held)
              return 1;
          held = 0;
        }
        memcpy(block + held, buf, (size_t)got);
        held += (size_t)got;
      }
      if (got > 0)
        continue;
      /* EIO: the session's terminal is closed. */
      close(slots[i].fd);
      waitpid(slots[i].pid, NULL, 0);
      slots[i].fd = -1;
      --running;
    }
  }
  for (int k = 0; k < 2 && keep[k] >= 0; ++k)
    if (write(keep[k], block, held) != (ssize_t)held || close(keep[k]) != 0)
      return 1;
  return 0;
}
