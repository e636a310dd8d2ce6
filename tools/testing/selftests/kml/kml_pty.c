// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the dynamic test: run a program on a new pseudo-terminal, as
 * the leader of a new session with the terminal as its controlling
 * terminal, so that a shell in it has real job control (set -m, fg, bg).
 * The terminal is raw: what the program writes reaches our standard
 * output byte for byte. Exits with the program's exit status.
 *
 *	kml_pty program [argument...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct termios tio;
	char buf[4096];
	int master, slave, status;
	ssize_t n;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: kml_pty program [argument...]\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("kml_pty: posix_openpt");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("kml_pty: fork");
		return 2;
	}
	if (pid == 0) {
		if (setsid() < 0)
			_exit(126);
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0))
			_exit(126);
		if (tcgetattr(slave, &tio) == 0) {
			cfmakeraw(&tio);
			tcsetattr(slave, TCSANOW, &tio);
		}
		close(master);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	/* Copy until every holder of the terminal has closed it (EIO). */
	for (;;) {
		n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(1, buf, n) != n)
			break;
	}
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
