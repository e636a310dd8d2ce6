// SPDX-License-Identifier: GPL-2.0
/*
 * Page table isolation stays whole for ordinary processes while KML
 * processes run on the kernel page tables.
 *
 * With PTI on, a KML task runs on its mm's kernel copy of the page tables
 * and never loads the user copy. No path of that may put kernel memory
 * into the user copy of an ordinary process. An ordinary process reads its
 * own user page tables (page_tables/current_user in debugfs, from
 * CONFIG_PTDUMP_DEBUGFS) while a process of this program's directory (in
 * ring 0 when it is the trusted directory) makes system calls on the other
 * CPU, and checks that
 *  - the kernel half of the dump is the same as without that process;
 *  - nothing of vmalloc space, the vmemmap or the module space is present
 *    there, no present kernel range is a user one, and of the direct map
 *    only what PTI maps itself: the page of each possible CPU's TSS
 *    (pti_clone_user_shared(): the SYSCALL entry spills RSP into it), one
 *    4 KiB page a CPU;
 * and the meltdown line of the CPU vulnerabilities still says PTI.
 *
 * Skipped where PTI is off (the CPU is not Meltdown-affected, pti=off,
 * mitigations=off) or the kernel has no page table dump.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "kml_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define PTDUMP		DEBUGFS "/page_tables/current_user"
#define MELTDOWN	"/sys/devices/system/cpu/vulnerabilities/meltdown"
#define READER		"/tmp/kml-ptdump-reader"
#define ROUNDS		20
#define DUMP_SIZE	(1024 * 1024)

/* Sections of the kernel half where nothing may be present. */
static const char * const forbidden[] = {
	"vmalloc() Area", "Vmemmap", "Modules", "KASAN shadow",
	"EFI Runtime Services",
};

/* The direct map, where only the TSS page of each possible CPU may be. */
#define DIRECT_MAP	"Low Kernel Mapping"

/* The number of possible CPUs (/sys/devices/system/cpu/possible). */
static int possible_cpus(void)
{
	int a, b, n = 0, c;
	FILE *f;

	f = fopen("/sys/devices/system/cpu/possible", "r");
	if (!f)
		return 1;
	while ((c = fscanf(f, "%d-%d", &a, &b)) >= 1) {
		n += c == 2 ? b - a + 1 : 1;
		if (fgetc(f) != ',')
			break;
	}
	fclose(f);
	return n ? n : 1;
}

/*
 * The reader, an ordinary process (run from /tmp): print the kernel half
 * of the dump of its own user page tables, from the line that opens the
 * kernel space on. Exit 2 if it runs in ring 0, 3 if the dump cannot be
 * read.
 */
__attribute__((constructor)) static void reader(int argc, char **argv)
{
	static char buf[DUMP_SIZE];
	bool kernel = false;
	char *line, *save;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (argc < 2 || strcmp(argv[1], "--reader"))
		return;
	kml_pin_to(0);
	if (kml_cpl() != 3)
		_exit(2);
	fd = open(PTDUMP, O_RDONLY);
	if (fd < 0)
		_exit(3);
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "---[ Kernel Space ]---"))
			kernel = true;
		if (kernel)
			printf("%s\n", line);
	}
	_exit(kernel ? 0 : 3);
}

static bool pti_on(void)
{
	return kml_cpu_flag("pti");
}

/* Mount debugfs if needed; is the user page table dump there? */
static bool have_ptdump(void)
{
	if (access(PTDUMP, R_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	return !access(PTDUMP, R_OK);
}

/*
 * Run the reader; its output in @out (DUMP_SIZE bytes). Returns its exit
 * status, or -1.
 */
static int run_reader(char *out)
{
	size_t len = 0;
	int fds[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(READER, READER, "--reader", NULL);
		_exit(4);
	}
	close(fds[1]);
	while (len < DUMP_SIZE - 1 &&
	       (n = read(fds[0], out + len, DUMP_SIZE - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* A present range: the dump prints its RW or ro column. */
static bool present(const char *line)
{
	return strstr(line, " RW ") || strstr(line, " ro ");
}

/*
 * The first line of @dump that breaks a rule: present in a forbidden
 * section, or a present user range in the kernel half. NULL if none.
 */
static const char *bad_line(char *dump, char *why, size_t whylen)
{
	static char copy[DUMP_SIZE];
	const char *section = "";
	int direct = 0, cpus = possible_cpus();
	char *line, *save;
	unsigned int i;

	snprintf(copy, sizeof(copy), "%s", dump);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "---[", 4)) {
			section = line;
			continue;
		}
		if (!present(line))
			continue;
		if (strstr(line, " USR ")) {
			snprintf(why, whylen, "user range in %s", section);
			return line;
		}
		for (i = 0; i < ARRAY_SIZE(forbidden); i++)
			if (strstr(section, forbidden[i])) {
				snprintf(why, whylen, "present in %s", section);
				return line;
			}
		if (!strstr(section, DIRECT_MAP))
			continue;
		if (!strstr(line, " 4K ") || !strstr(line, " NX ") ||
		    ++direct > cpus) {
			snprintf(why, whylen,
				 "direct map beyond one 4K NX page for each of %d CPUs",
				 cpus);
			return line;
		}
	}
	return NULL;
}

TEST(meltdown_says_pti)
{
	char line[256] = "";
	FILE *f;

	if (!pti_on())
		SKIP(return, "page table isolation is off on this CPU or command line");
	f = fopen(MELTDOWN, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	TH_LOG("meltdown: %s", line);
	if (strstr(line, "Not affected"))
		SKIP(return, "the CPU is not affected by Meltdown (PTI forced on)");
	ASSERT_NE(NULL, strstr(line, "Mitigation: PTI"));
}

TEST(ordinary_user_tables_hold_no_kernel)
{
	static char ref[DUMP_SIZE], dump[DUMP_SIZE];
	unsigned int expected = kml_expected_cpl();
	char why[128], self[PATH_MAX];
	const char *bad;
	int fds[2], i, st;
	unsigned int cpl;
	pid_t peer;
	ssize_t n;

	if (!pti_on())
		SKIP(return, "page table isolation is off on this CPU or command line");
	if (!have_ptdump())
		SKIP(return, "no %s (CONFIG_PTDUMP_DEBUGFS)", PTDUMP);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_LT(0, n);
	self[n] = '\0';
	ASSERT_EQ(0, kml_copy_file(self, READER, 0755));

	/* Without a process of this directory running. */
	ASSERT_EQ(0, run_reader(ref));
	bad = bad_line(ref, why, sizeof(why));
	if (bad)
		TH_LOG("alone: %s: %s", why, bad);
	ASSERT_EQ(NULL, bad);

	/* With one making system calls on the other CPU. */
	ASSERT_EQ(0, pipe(fds));
	peer = fork();
	ASSERT_LE(0, peer);
	if (!peer) {
		cpl = kml_cpl();
		kml_pin_to(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
		if (write(fds[1], &cpl, sizeof(cpl)) != sizeof(cpl))
			_exit(1);
		for (;;)
			syscall(SYS_getppid);
	}
	close(fds[1]);
	ASSERT_EQ(sizeof(cpl), read(fds[0], &cpl, sizeof(cpl)));
	close(fds[0]);
	EXPECT_EQ(expected, cpl);

	for (i = 0; i < ROUNDS; i++) {
		st = run_reader(dump);
		if (st)
			break;
		bad = bad_line(dump, why, sizeof(why));
		if (bad || strcmp(ref, dump))
			break;
	}
	kill(peer, SIGKILL);
	waitpid(peer, NULL, 0);
	unlink(READER);
	ASSERT_EQ(0, st);
	if (bad)
		TH_LOG("round %d: %s: %s", i, why, bad);
	ASSERT_EQ(NULL, bad);
	if (strcmp(ref, dump))
		TH_LOG("round %d: the kernel half differs from the dump without the peer", i);
	ASSERT_EQ(0, strcmp(ref, dump));
	TH_LOG("%d rounds, peer at CPL %u", ROUNDS, cpl);
}

TEST_HARNESS_MAIN
