// SPDX-License-Identifier: MIT
/*
 * Scripted test backend (src/hv/test.h). It keeps everything in
 * the backend VM object, so several test VMs can coexist in one process.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellvm/arm64.h"
#include "cellvm/cellvm.h"
#include "hv/test.h"

struct cellvm_hv_vcpu {
	struct cellvm_hv *hv;
	unsigned index;
	struct cellvm_exit script[CELLVM_HV_TEST_MAX_STEPS];
	unsigned nr_steps;
	unsigned next;
	struct cellvm_hv_test_vcpu_log log;
	pthread_t runner; /* the thread in vcpu_run (hv->lock) */
	bool runner_known;
	bool kick_pending; /* a kick not yet taken by a BLOCK step */
	bool blocked; /* in a BLOCK step */
};

struct cellvm_hv {
	pthread_mutex_t lock;
	pthread_cond_t kicked; /* a vcpu_kick happened */
	struct cellvm_hv_vcpu vcpu[CELLVM_HV_TEST_MAX_VCPUS];
	bool line[CELLVM_HV_TEST_MAX_LINES];
	int max_vcpus;
	unsigned irqchip_mask;
	enum cellvm_hv_irqchip_type irqchip;
	bool irqchip_created;
	bool abort_fails;
	unsigned nr_slots;
};

static int test_vm_create(int dev_fd, struct cellvm_hv **out,
			  struct cellvm_err *err)
{
	struct cellvm_hv *hv = calloc(1, sizeof(*hv));
	unsigned i;

	if (!hv)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ENOMEM,
				      "test backend: out of memory");
	pthread_mutex_init(&hv->lock, NULL);
	pthread_cond_init(&hv->kicked, NULL);
	hv->max_vcpus = CELLVM_HV_TEST_MAX_VCPUS;
	hv->irqchip_mask = (1u << CELLVM_HV_IRQCHIP_GICV3) |
			   (1u << CELLVM_HV_IRQCHIP_GICV2) |
			   (1u << CELLVM_HV_IRQCHIP_NONE);
	for (i = 0; i < CELLVM_HV_TEST_MAX_VCPUS; i++) {
		hv->vcpu[i].hv = hv;
		hv->vcpu[i].index = i;
	}
	*out = hv;
	return 0;
}

static void test_vm_destroy(struct cellvm_hv *hv)
{
	if (!hv)
		return;
	pthread_cond_destroy(&hv->kicked);
	pthread_mutex_destroy(&hv->lock);
	free(hv);
}

static int test_max_vcpus(struct cellvm_hv *hv)
{
	return hv->max_vcpus;
}

static int test_map_mem(struct cellvm_hv *hv, unsigned slot, uint64_t gpa,
			void *host, uint64_t size, struct cellvm_err *err)
{
	hv->nr_slots++;
	return 0;
}

/* The fake offers every CPU feature, as KVM does on a -cpu max host. */
static int test_cpu_features(struct cellvm_hv *hv, unsigned want,
			     unsigned *have, struct cellvm_err *err)
{
	*have = want & CELLVM_CPU_ALL;
	if (*have != want)
		return cellvm_err_set(err, CELLVM_E_HOST, EOPNOTSUPP,
				      "test backend: unknown CPU features 0x%x",
				      want & ~CELLVM_CPU_ALL);
	return 0;
}

static int test_vcpu_create(struct cellvm_hv *hv, unsigned index,
			    bool powered_off, unsigned features,
			    struct cellvm_hv_vcpu **out, struct cellvm_err *err)
{
	if (index >= CELLVM_HV_TEST_MAX_VCPUS || (int)index >= hv->max_vcpus)
		return cellvm_err_set(err, CELLVM_E_HOST, EINVAL,
				      "test backend: no vCPU %u", index);
	hv->vcpu[index].log.created = true;
	/* MPIDR_EL1 as KVM assigns it: RES1 bit 31, Aff0 = index. */
	hv->vcpu[index].log.reg[CELLVM_ARM64_REG_MPIDR] = (1ULL << 31) | index;
	hv->vcpu[index].log.powered_off_at_create = powered_off;
	hv->vcpu[index].log.features = features;
	*out = &hv->vcpu[index];
	return 0;
}

static int test_vcpu_pmu_init(struct cellvm_hv_vcpu *v, unsigned irq,
			      struct cellvm_err *err)
{
	if (!(v->log.features & CELLVM_CPU_PMU))
		return cellvm_err_set(err, CELLVM_E_INTERNAL, EINVAL,
				      "test backend: vCPU %u has no PMU",
				      v->index);
	v->log.pmu_ready = true;
	v->log.pmu_irq = irq;
	v->log.pmu_after_irqchip = v->hv->irqchip_created;
	return 0;
}

static void test_vcpu_destroy(struct cellvm_hv_vcpu *v)
{
}

static int test_irqchip_create(struct cellvm_hv *hv,
			       const struct cellvm_hv_irqchip_desc *desc,
			       struct cellvm_err *err)
{
	if (!(hv->irqchip_mask & (1u << desc->type)))
		return -ENODEV;
	hv->irqchip = desc->type;
	hv->irqchip_created = true;
	return 0;
}

/* A BLOCK step: wait for a kick (hv->lock held), bounded. */
static void test_block(struct cellvm_hv_vcpu *v)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CELLVM_HV_TEST_BLOCK_MS / 1000;
	until.tv_nsec += (CELLVM_HV_TEST_BLOCK_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	v->blocked = true;
	while (!v->kick_pending)
		if (pthread_cond_timedwait(&v->hv->kicked, &v->hv->lock,
					   &until) == ETIMEDOUT) {
			v->log.block_timeouts++;
			break;
		}
	v->blocked = false;
	v->kick_pending = false;
}

static int test_vcpu_run(struct cellvm_hv_vcpu *v, struct cellvm_exit *exit)
{
	/* Record the core's answer to the previous step. */
	if (v->next > 0) {
		const struct cellvm_exit *prev = &v->script[v->next - 1];

		if (prev->reason == CELLVM_EXIT_MMIO && !prev->mmio.is_write)
			v->log.read_data[v->next - 1] = exit->mmio.data;
	}
	if (v->next >= v->nr_steps) {
		memset(exit, 0, sizeof(*exit));
		exit->reason = CELLVM_EXIT_SHUTDOWN;
		return 0;
	}
	pthread_mutex_lock(&v->hv->lock);
	v->runner = pthread_self();
	v->runner_known = true;
	v->log.irq_at_run[v->next] = v->log.irq_level;
	*exit = v->script[v->next++];
	v->log.steps_run = v->next;
	if (exit->reason == CELLVM_EXIT_KICK &&
	    exit->unknown.code == CELLVM_HV_TEST_BLOCK) {
		test_block(v);
		exit->unknown.code = 0;
	}
	pthread_mutex_unlock(&v->hv->lock);
	return 0;
}

static void test_vcpu_kick(struct cellvm_hv_vcpu *v)
{
	pthread_mutex_lock(&v->hv->lock);
	v->log.kicks++;
	v->kick_pending = true;
	pthread_cond_broadcast(&v->hv->kicked);
	pthread_mutex_unlock(&v->hv->lock);
}

static int test_get_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t *val)
{
	if (id >= CELLVM_HV_TEST_MAX_REGS)
		return -EINVAL;
	*val = v->log.reg[id];
	return 0;
}

static int test_set_reg(struct cellvm_hv_vcpu *v, uint64_t id, uint64_t val)
{
	if (id >= CELLVM_HV_TEST_MAX_REGS)
		return -EINVAL;
	v->log.reg[id] = val;
	v->log.reg_set[id] = true;
	return 0;
}

static int test_set_irq_line(struct cellvm_hv *hv, unsigned line, bool level)
{
	if (line >= CELLVM_HV_TEST_MAX_LINES)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	hv->line[line] = level;
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

static int test_set_vcpu_irq(struct cellvm_hv_vcpu *v, bool level)
{
	pthread_mutex_lock(&v->hv->lock);
	v->log.irq_level = level;
	v->log.irq_calls++;
	if (!v->runner_known || !pthread_equal(v->runner, pthread_self()))
		v->log.irq_calls_elsewhere++;
	pthread_mutex_unlock(&v->hv->lock);
	return 0;
}

static int test_inject_abort(struct cellvm_hv_vcpu *v, uint64_t addr)
{
	if (v->hv->abort_fails)
		return -EINVAL;
	if (v->log.nr_aborts < CELLVM_HV_TEST_MAX_STEPS)
		v->log.abort_addr[v->log.nr_aborts++] = addr;
	return 0;
}

static int test_ioeventfd(struct cellvm_hv *hv, uint64_t addr, unsigned len,
			  int fd)
{
	return -EOPNOTSUPP;
}

static int test_irqfd(struct cellvm_hv *hv, unsigned line, int fd)
{
	return -EOPNOTSUPP;
}

const struct cellvm_hv_ops cellvm_hv_test_ops = {
	.name = "test",
	.board = &cellvm_board_arm64_virt,
	.vm_create = test_vm_create,
	.vm_destroy = test_vm_destroy,
	.max_vcpus = test_max_vcpus,
	.map_mem = test_map_mem,
	.cpu_features = test_cpu_features,
	.vcpu_create = test_vcpu_create,
	.vcpu_pmu_init = test_vcpu_pmu_init,
	.vcpu_destroy = test_vcpu_destroy,
	.irqchip_create = test_irqchip_create,
	.vcpu_run = test_vcpu_run,
	.vcpu_kick = test_vcpu_kick,
	.get_reg = test_get_reg,
	.set_reg = test_set_reg,
	.set_irq_line = test_set_irq_line,
	.set_vcpu_irq = test_set_vcpu_irq,
	.inject_abort = test_inject_abort,
	.ioeventfd = test_ioeventfd,
	.irqfd = test_irqfd,
};

int cellvm_hv_test_script(struct cellvm_hv *hv, unsigned index,
			  const struct cellvm_exit *exits, unsigned n)
{
	if (index >= CELLVM_HV_TEST_MAX_VCPUS || n > CELLVM_HV_TEST_MAX_STEPS)
		return -EINVAL;
	memcpy(hv->vcpu[index].script, exits, n * sizeof(*exits));
	hv->vcpu[index].nr_steps = n;
	hv->vcpu[index].next = 0;
	return 0;
}

const struct cellvm_hv_test_vcpu_log *
cellvm_hv_test_log(struct cellvm_hv *hv, unsigned index)
{
	if (index >= CELLVM_HV_TEST_MAX_VCPUS)
		return NULL;
	return &hv->vcpu[index].log;
}

bool cellvm_hv_test_blocked(struct cellvm_hv *hv, unsigned index)
{
	bool blocked;

	if (index >= CELLVM_HV_TEST_MAX_VCPUS)
		return false;
	pthread_mutex_lock(&hv->lock);
	blocked = hv->vcpu[index].blocked;
	pthread_mutex_unlock(&hv->lock);
	return blocked;
}

bool cellvm_hv_test_line(struct cellvm_hv *hv, unsigned line)
{
	bool level;

	if (line >= CELLVM_HV_TEST_MAX_LINES)
		return false;
	pthread_mutex_lock(&hv->lock);
	level = hv->line[line];
	pthread_mutex_unlock(&hv->lock);
	return level;
}

void cellvm_hv_test_set_max_vcpus(struct cellvm_hv *hv, int max)
{
	hv->max_vcpus = max;
}

void cellvm_hv_test_set_irqchips(struct cellvm_hv *hv, unsigned mask)
{
	hv->irqchip_mask = mask;
}

enum cellvm_hv_irqchip_type cellvm_hv_test_irqchip(struct cellvm_hv *hv)
{
	return hv->irqchip;
}

void cellvm_hv_test_set_abort_fails(struct cellvm_hv *hv, bool fails)
{
	hv->abort_fails = fails;
}
