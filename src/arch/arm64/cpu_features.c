// SPDX-License-Identifier: MIT
/*
 * The names of the optional arm64 CPU features (CELLVM_CPU_* in
 * cellvm/arm64.h), as a front end takes them: strict, so that a typo is
 * an error and not a guess.
 */
#include <errno.h>
#include <string.h>

#include "arch/arm64/arm64.h"
#include "cellvm/arm64.h"

/* One name of a CPU feature list, [s, s + len). */
static unsigned cpu_feature_flag(const char *s, size_t len)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = {
		{ "pmu", CELLVM_CPU_PMU },
		{ "sve", CELLVM_CPU_SVE },
		{ "pauth", CELLVM_CPU_PAUTH },
	};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len &&
		    memcmp(s, names[i].name, len) == 0)
			return names[i].flag;
	return 0;
}

int arm64_parse_cpu_features(const char *s, unsigned *features, bool *host)
{
	unsigned flags = 0, f;
	const char *end;

	if (!s || !*s)
		return -EINVAL;
	if (strcmp(s, "none") == 0 || strcmp(s, "host") == 0) {
		*host = s[0] == 'h';
		*features = *host ? CELLVM_CPU_ALL : 0;
		return 0;
	}
	for (;;) {
		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		f = cpu_feature_flag(s, (size_t)(end - s));
		/* Unknown, empty or repeated: a typo, not a guess. */
		if (!f || (flags & f))
			return -EINVAL;
		flags |= f;
		if (!*end)
			break;
		s = end + 1;
	}
	*features = flags;
	*host = false;
	return 0;
}
