/*
 * tidings pause: the first process of every pod sandbox. It holds the pod's namespaces
 * open, reaps the zombies of processes orphaned into it (pods that share a PID namespace),
 * and exits on SIGINT or SIGTERM, which is how the runtime stops a sandbox.
 * Built static (gcc -static) so the image needs nothing but this file.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
  static const char msg[] = "pause: stopping on signal\n";
  (void)sig;
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  struct sigaction sa;
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    static const char version[] = "tidings-pause 1\n";
    (void)!write(STDOUT_FILENO, version, sizeof version - 1);
    return 0;
  }
  /* As PID 1 a signal without a handler is ignored, so both stops need one. */
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = stop;
  if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) return 1;
  sa.sa_handler = reap;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) return 2;
  for (;;) pause();
}
