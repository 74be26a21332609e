// SPDX-License-Identifier: GPL-2.0
/* One line per event on stderr, with its level, as the journal reads it. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "kplaned.h"

enum kp_level kp_log_level = KP_INFO;

void kp_log(enum kp_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	va_list ap;

	if (level > kp_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
	flockfile(stderr);
	fprintf(stderr, "%s.%03ldZ kplaned %s: ", stamp, ts.tv_nsec / 1000000, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
