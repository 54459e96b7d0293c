/*
 * alert_run.c - running a hook, sendmail, nft or iptables as a child with
 * its input on stdin and a time limit.
 *
 * The finding reaches the child only as bytes on its standard input, so
 * nothing a detector saw (a query name, say) is ever parsed by a shell.
 * Standard input is one end of a socket pair rather than a pipe so that
 * writing to a child that exited early fails with EPIPE from send()
 * (MSG_NOSIGNAL) instead of killing dnshound with SIGPIPE.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert.h"
#include "alert/alert_int.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: never returns. Only async-signal-safe calls, since the
 * parent may have threads. */
static void child_exec(int in_fd, char *const argv[])
{
	setpgid(0, 0);
	if (dup2(in_fd, 0) < 0 || dup2(2, 1) < 0)
		_exit(127);
	/* The child inherits no descriptor of ours but 0, 1 and 2: not the
	 * store's files, not a capture socket. */
	close_range(3, ~0u, 0);
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	execvp(argv[0], argv);
	_exit(127);
}

static int feed(int fd, const char *data, size_t n, int64_t deadline)
{
	size_t off = 0;

	while (off < n) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t w = send(fd, data + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

int alert__run(char *const argv[], const char *data, size_t n, int timeout_ms)
{
	int sv[2];
	int rc = 0, status = 0;
	int64_t deadline = mono_ms() + timeout_ms;
	long nap_ns = 100 * 1000;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	if (pid == 0)
		child_exec(sv[1], argv);
	/* Both sides set the group, so the kill below cannot race the
	 * child's own setpgid(). */
	setpgid(pid, pid);
	close(sv[1]);
	int fr = feed(sv[0], data, n, deadline);
	close(sv[0]);
	/* A child that stopped reading early (EPIPE) is judged by its exit
	 * status alone: a hook may ignore its input. */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = -errno;
			goto out;
		}
		if (mono_ms() >= deadline || fr == -ETIMEDOUT) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			rc = -ETIMEDOUT;
			goto out;
		}
		/* Most hooks end within a millisecond or two: look again soon,
		 * then less and less often, up to every 10 ms. */
		struct timespec ts = {.tv_sec = 0, .tv_nsec = nap_ns};
		nanosleep(&ts, NULL);
		if (nap_ns < 10 * 1000 * 1000)
			nap_ns *= 2;
	}
	if (!WIFEXITED(status))
		rc = -ECHILD;
	else if (WEXITSTATUS(status) == 127)
		rc = -ENOENT;
	else if (WEXITSTATUS(status) != 0)
		rc = -ECHILD;
out:
	return rc;
}

int alert__run_hook(const char *cmd, const char *data, size_t n, int timeout_ms)
{
	/* The command is the operator's own text from the command line or
	 * the configuration, so the shell may parse it; the finding is
	 * never part of it. */
	char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)cmd, NULL};

	return alert__run(argv, data, n, timeout_ms);
}
