/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one clock of the event loop, the HTTP deadlines and the textfile
 * schedule: monotonic, so a wall-clock step never fires or stalls them.
 */
#ifndef __DT_CLOCK_H
#define __DT_CLOCK_H

#include <time.h>

static inline double dt_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline time_t dt_mono_s(void)
{
	return (time_t)(dt_mono_ms() / 1000);
}

#endif /* __DT_CLOCK_H */
