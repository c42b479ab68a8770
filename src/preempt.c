// SPDX-License-Identifier: GPL-2.0
/*
 * The running kernel's preemption model, from its version string, the
 * scheduler's debugfs file, the command line or its build config.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "preempt.h"

/*
 * fentry/fexit programs run with migration, not preemption, disabled. On
 * a preemptible kernel a task preempted inside one holds that program's
 * per-CPU recursion guard, and the kernel skips the program for every
 * other task on the CPU until it resumes (recursion_misses). kprobe
 * handlers run with preemption off, so there kprobes count exactly.
 */
static int preempt_known = -1;
static char preempt_model[32];

/* "none voluntary (full) lazy" or "full (lazy)": the bracketed one is current */
static bool preempt_from_debugfs(void)
{
	char line[128], *open, *close;
	FILE *f = fopen("/sys/kernel/debug/sched/preempt", "r");

	if (!f)
		return false;
	open = fgets(line, sizeof(line), f) ? strchr(line, '(') : NULL;
	fclose(f);
	close = open ? strchr(open, ')') : NULL;
	if (!close || close - open - 1 >= (int)sizeof(preempt_model))
		return false;
	snprintf(preempt_model, sizeof(preempt_model), "%.*s", (int)(close - open - 1),
		 open + 1);
	return true;
}

/* preempt= on the command line, or the build's default mode in its config */
static bool preempt_from_boot(const char *release)
{
	static const char *const cfg[][2] = {
		{ "CONFIG_PREEMPT_NONE=y", "none" },
		{ "CONFIG_PREEMPT_VOLUNTARY=y", "voluntary" },
		{ "CONFIG_PREEMPT=y", "full" },
		{ "CONFIG_PREEMPT_LAZY=y", "lazy" },
	};
	char line[4096], path[300], *p;
	bool found = false;
	unsigned int i;
	FILE *f;

	f = fopen("/proc/cmdline", "r");
	if (f) {
		p = fgets(line, sizeof(line), f) ? strstr(line, "preempt=") : NULL;
		if (p && (p == line || p[-1] == ' ')) {
			found = sscanf(p, "preempt=%31[a-z]", preempt_model) == 1;
		}
		fclose(f);
		if (found)
			return true;
	}
	snprintf(path, sizeof(path), "/boot/config-%s", release);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
			if (!strncmp(line, cfg[i][0], strlen(cfg[i][0]))) {
				snprintf(preempt_model, sizeof(preempt_model), "%s", cfg[i][1]);
				found = true;
			}
		}
	}
	fclose(f);
	return found;
}

static void preempt_probe(void)
{
	struct utsname u;

	uname(&u);
	if (strstr(u.version, "PREEMPT_RT")) {
		snprintf(preempt_model, sizeof(preempt_model), "rt");
	} else if (strstr(u.version, "PREEMPT_DYNAMIC")) {
		if (!preempt_from_debugfs() && !preempt_from_boot(u.release))
			/* unknown: assume the worst, kprobes stay exact */
			snprintf(preempt_model, sizeof(preempt_model), "dynamic, mode unknown");
	} else if (strstr(u.version, " PREEMPT ")) {
		snprintf(preempt_model, sizeof(preempt_model), "full");
	} else {
		snprintf(preempt_model, sizeof(preempt_model), "voluntary");
	}
	preempt_known = strcmp(preempt_model, "none") && strcmp(preempt_model, "voluntary");
}

bool dt_preemptible(void)
{
	if (preempt_known < 0)
		preempt_probe();
	return preempt_known;
}

const char *dt_preempt_model(void)
{
	if (preempt_known < 0)
		preempt_probe();
	return preempt_model;
}
