// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of the signals and ptrace tests, run from the trusted directory
 * and from an ordinary one: another process, at its own privilege level.
 * It prints "cpl=N" first, then:
 *
 *	kml_peer signal	wait for SIGUSR1, answer its sender with SIGUSR2
 *			(sigqueue, the value is this program's CPL), print
 *			"got pid=P code=C cpl=N" (the sender, si_code, the
 *			handler's CPL) and exit 0
 *	kml_peer spin	spin without system calls until killed
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile pid_t got_pid;
static volatile int got_code;
static volatile unsigned int got_cpl = 99;

static unsigned int cpl(void)
{
	unsigned short cs;

	asm volatile("mov %%cs, %0" : "=r" (cs));
	return cs & 3;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	got_pid = si->si_pid;
	got_code = si->si_code;
	got_cpl = cpl();
	got = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	const char *mode = argc > 1 ? argv[1] : "";
	sigset_t set, old;

	if (!strcmp(mode, "signal")) {
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, &old);
		sigaction(SIGUSR1, &sa, NULL);
	}
	printf("cpl=%u\n", cpl());
	fflush(stdout);
	if (!strcmp(mode, "signal")) {
		while (!got)
			sigsuspend(&old);
		sigqueue(getppid(), SIGUSR2,
			 (union sigval){ .sival_int = (int)cpl() });
		printf("got pid=%d code=%d cpl=%u\n", got_pid, got_code, got_cpl);
		return 0;
	}
	if (!strcmp(mode, "spin"))
		for (;;)
			asm volatile("pause" ::: "memory");
	return 2;
}
