// SPDX-License-Identifier: MIT
/* Threads with a small stack: see src/core/thread.h. */
#include "core/thread.h"

int cellvm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int ret;

	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_attr_setstacksize(&attr, CELLVM_THREAD_STACK);
	if (!ret)
		ret = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -ret;
}
