/* SPDX-License-Identifier: MIT */
/* Threads cellvm starts (vCPUs, device workers). */
#ifndef CELLVM_CORE_THREAD_H
#define CELLVM_CORE_THREAD_H

#include <pthread.h>
#include "cellvm/err.h"

/*
 * 256 KiB is ample for cellvm's shallow call chains. The libc default
 * (8 MiB) is not only address space: with transparent huge pages set to
 * "always", the touched top of a 2 MiB-aligned stack becomes a resident
 * 2 MiB page, more than all of cellvm's own memory otherwise.
 */
#define CELLVM_THREAD_STACK (256u << 10)

/* pthread_create with cellvm's stack size; 0 or -errno. */
int cellvm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
	CELLVM_MUST_CHECK;

#endif
