// SPDX-License-Identifier: GPL-2.0
/*
 * bench_dpc: ntdpc measured against Linux's own deferred-work mechanisms,
 * side by side in one load, so that the ratios mean something even where
 * the absolute times do not (under QEMU TCG, say).
 *
 * On load a kthread bound to one CPU runs the measurements at PASSIVE_LEVEL
 * and insmod returns when it is done.  Every result is one kernel log line,
 *
 *   bench_dpc: ROW name=<group>.<mech> group=<group> mech=<mech> ref=<0|1>
 *              median_ns=<> p99_ns=<> max_ns=<> n=<> rate_per_s=<>
 *
 * (on one line), then "bench_dpc: DONE".  ref=1 marks the row of a group that
 * the others are compared with: the tasklet_hi row, or the SCHED_FIFO
 * kthread for threaded DPCs.  The mechanisms of a group take turns, sample
 * by sample, so that a change of conditions in the middle of the run (the
 * host preempting a vCPU, a different path through the timer interrupt)
 * hits all of them alike.  The groups:
 *
 *   clock          one ktime_get_mono_fast_ns(), the clock of every timestamp
 *   insert         cost of the queueing call alone, bottom halves off
 *   hardirq        hrtimer callback (a stand-in ISR) to the routine's first line
 *   threaded       the same for a threaded DPC and a SCHED_FIFO kthread
 *   remote         one CPU queues, another runs: queue to first line
 *   tputN          per-DPC time with N CPUs each draining their own batches
 *   depthN_insert  insert time per DPC with N queued at DISPATCH_LEVEL
 *   depthN_drain   drain time per DPC once the IRQL drops
 *   trace_off/on   insert plus run of one DPC; the VM script loads the module
 *                  twice (only=trace_off, only=trace_on) and toggles the
 *                  ntdpc trace events in between
 *
 * only= picks groups, tag= is appended to the group names of a load (the VM
 * script loads it once more with ntdpc's latency_stats=1, tag=_stats).
 * Documentation/performance.rst explains the choices and the results.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <ntdpc/ntddk.h>

#include "compat.h"

static unsigned int iterations = 2000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "Samples per row (default 2000)");

static char *only = "";
module_param(only, charp, 0444);
MODULE_PARM_DESC(only,
		 "Comma-separated groups to run: clock, insert, hardirq, threaded, remote, tput, depth, trace_off, trace_on (default: all but trace_*)");

static char *tag = "";
module_param(tag, charp, 0444);
MODULE_PARM_DESC(tag, "Appended to every group name, to tell several loads apart");

static unsigned int row_limit_ms = 3000;
module_param(row_limit_ms, uint, 0444);
MODULE_PARM_DESC(row_limit_ms, "Time per row after which a group stops taking samples (ms)");

/* Delay of the stand-in ISR: long enough for the runner to be asleep. */
#define BENCH_TIMER_NS		(20 * NSEC_PER_USEC)
/* DPCs or tasklets one producer queues per batch, under the drain budget. */
#define BENCH_TPUT_BATCH	16
#define BENCH_TPUT_MAX_CPUS	4
#define BENCH_MAX_DEPTH		4096
/* Rows of one group: the sample arrays are sized for this many. */
#define BENCH_MAX_ROWS		(2 * BENCH_TPUT_MAX_CPUS)

enum bench_mech {
	MECH_DPC,		/* KeInsertQueueDpc, untargeted, Medium */
	MECH_DPC_REMOTE,	/* targeted at the remote CPU, High */
	MECH_DPC_THREADED,	/* KeInitializeThreadedDpc */
	MECH_TASKLET,		/* tasklet_hi_schedule */
	MECH_WQ_HI,		/* queue_work_on, WQ_HIGHPRI */
	MECH_WQ_BH,		/* queue_work_on, WQ_BH | WQ_HIGHPRI */
	MECH_IRQ_WORK,		/* irq_work_queue */
	MECH_IPI,		/* smp_call_function_single_async */
	MECH_IPI_TASKLET,	/* an async IPI that schedules a tasklet_hi */
	MECH_FIFO,		/* wake_up_process of a SCHED_FIFO kthread */
};

static const char * const bench_mech_names[] = {
	[MECH_DPC]		= "dpc",
	[MECH_DPC_REMOTE]	= "dpc_high",
	[MECH_DPC_THREADED]	= "dpc_threaded",
	[MECH_TASKLET]		= "tasklet_hi",
	[MECH_WQ_HI]		= "wq_highpri",
	[MECH_WQ_BH]		= "wq_bh",
	[MECH_IRQ_WORK]		= "irq_work",
	[MECH_IPI]		= "ipi_raw",
	[MECH_IPI_TASKLET]	= "ipi_tasklet_hi",
	[MECH_FIFO]		= "fifo_kthread",
};

enum bench_how {
	HOW_INSERT,		/* time the queueing call, bottom halves off */
	HOW_HARDIRQ,		/* queue from the hrtimer, time to the routine */
	HOW_TASK,		/* queue from the runner, time to the routine */
	HOW_RUN,		/* queue and run locally, time both */
};

/*
 * One queued item in flight at a time.  t0 is written before the item is
 * queued and t1 by its routine; the completion orders both before the
 * runner reads them.
 */
static struct {
	enum bench_mech mech;
	unsigned int cpu;	/* where queue_work_on and the IPIs aim */
	u64 t0;
	u64 t1;
	struct completion done;
} lat;

static KDPC bench_dpc, bench_remote_dpc, bench_threaded_dpc;
static struct tasklet_struct bench_tasklet;
/* One work item per workqueue: they take turns, and may overlap by a return. */
static struct work_struct bench_work, bench_bh_work;
static struct irq_work bench_irq_work;
static call_single_data_t bench_csd, bench_csd_tasklet;
static struct hrtimer bench_timer;
static struct workqueue_struct *bench_wq_hi, *bench_wq_bh;
static struct task_struct *bench_fifo_task;
static bool bench_fifo_go;

/* BENCH_MAX_ROWS arrays of iterations samples, one after the other. */
static u64 *samples;
static unsigned int runner_cpu, remote_cpu;
static bool bench_failed;
static DECLARE_COMPLETION(bench_finished);

static inline u64 bench_now(void)
{
	return ktime_get_mono_fast_ns();
}

/* The first line of every latency routine. */
static void bench_ran(void)
{
	u64 now = bench_now();

	WRITE_ONCE(lat.t1, now);
	complete(&lat.done);
}

static VOID BenchDeferredRoutine(PKDPC Dpc, PVOID DeferredContext,
				 PVOID SystemArgument1, PVOID SystemArgument2)
{
	bench_ran();
}

static void bench_tasklet_fn(struct tasklet_struct *t)
{
	bench_ran();
}

static void bench_work_fn(struct work_struct *work)
{
	bench_ran();
}

static void bench_irq_work_fn(struct irq_work *work)
{
	bench_ran();
}

static void bench_ipi_fn(void *info)
{
	bench_ran();
}

static void bench_ipi_irq_work_fn(struct irq_work *work)
{
	tasklet_hi_schedule(&bench_tasklet);
}

static struct irq_work bench_ipi_irq_work =
	IRQ_WORK_INIT_HARD(bench_ipi_irq_work_fn);

/*
 * What ntdpc's tasklet backend does to kick another CPU's drain.  An idle
 * CPU may run the call from its own loop instead of the IPI, outside
 * hardirq context, and PREEMPT_RT warns of a softirq raised there: the
 * tasklet is then scheduled from hard irq_work, in hardirq context.
 */
static void bench_ipi_tasklet_fn(void *info)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && !in_hardirq()) {
		irq_work_queue(&bench_ipi_irq_work);
		return;
	}
	tasklet_hi_schedule(&bench_tasklet);
}

static int bench_fifo_fn(void *unused)
{
	/* The priority of ntdpc's own threads, ntdpc/N. */
	sched_set_fifo(current);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		if (!READ_ONCE(bench_fifo_go)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(bench_fifo_go, false);
		bench_ran();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* Queue the item of @mech once; any context. */
static void bench_queue(enum bench_mech mech)
{
	switch (mech) {
	case MECH_DPC:
		KeInsertQueueDpc(&bench_dpc, NULL, NULL);
		break;
	case MECH_DPC_REMOTE:
		KeInsertQueueDpc(&bench_remote_dpc, NULL, NULL);
		break;
	case MECH_DPC_THREADED:
		KeInsertQueueDpc(&bench_threaded_dpc, NULL, NULL);
		break;
	case MECH_TASKLET:
		tasklet_hi_schedule(&bench_tasklet);
		break;
	case MECH_WQ_HI:
		queue_work_on(lat.cpu, bench_wq_hi, &bench_work);
		break;
	case MECH_WQ_BH:
		queue_work_on(lat.cpu, bench_wq_bh, &bench_bh_work);
		break;
	case MECH_IRQ_WORK:
		irq_work_queue(&bench_irq_work);
		break;
	/*
	 * A refused IPI (-EBUSY: the csd is still in flight) cannot happen
	 * with one item in flight; if it did, the wait times out and says so.
	 */
	case MECH_IPI:
		smp_call_function_single_async(lat.cpu, &bench_csd);
		break;
	case MECH_IPI_TASKLET:
		smp_call_function_single_async(lat.cpu, &bench_csd_tasklet);
		break;
	case MECH_FIFO:
		WRITE_ONCE(bench_fifo_go, true);
		wake_up_process(bench_fifo_task);
		break;
	}
}

/* The stand-in ISR: hardirq context, like a device's interrupt handler. */
static enum hrtimer_restart bench_timer_fn(struct hrtimer *t)
{
	WRITE_ONCE(lat.t0, bench_now());
	bench_queue(lat.mech);
	return HRTIMER_NORESTART;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void bench_report(const char *group, const char *mech, bool ref,
			 u64 *s, unsigned int n, u64 rate)
{
	u64 median = 0, p99 = 0, max = 0;

	if (n) {
		sort(s, n, sizeof(*s), bench_cmp_u64, NULL);
		median = s[(n - 1) / 2];
		/* Nearest rank: the smallest sample not below 99 % of them. */
		p99 = s[DIV_ROUND_UP(n * 99, 100) - 1];
		max = s[n - 1];
	}
	pr_info("ROW name=%s%s.%s group=%s%s mech=%s ref=%d median_ns=%llu p99_ns=%llu max_ns=%llu n=%u rate_per_s=%llu\n",
		group, tag, mech, group, tag, mech, ref, median, p99, max, n,
		rate);
}

static void bench_error(const char *group, const char *mech, const char *why)
{
	pr_err("ERROR name=%s%s.%s: %s\n", group, tag, mech, why);
	bench_failed = true;
}

static u64 *bench_row_samples(unsigned int row)
{
	return samples + (size_t)row * iterations;
}

static u64 bench_deadline(unsigned int rows)
{
	return bench_now() + (u64)row_limit_ms * rows * NSEC_PER_MSEC;
}

/*
 * The cost of the queueing call alone.  Bottom halves are off so that
 * nothing runs inside the window; irq_work also has local interrupts off,
 * or its self-IPI would run the handler inside the window.  The item runs
 * once bottom halves (and interrupts) are back on.
 */
static u64 bench_insert_once(enum bench_mech mech)
{
	u64 t0, t1;

	local_bh_disable();
	if (mech == MECH_IRQ_WORK)
		local_irq_disable();
	t0 = bench_now();
	bench_queue(mech);
	t1 = bench_now();
	if (mech == MECH_IRQ_WORK)
		local_irq_enable();
	local_bh_enable();
	return t1 - t0;
}

/* One sample of @mech: false if its routine did not run within a second. */
static bool bench_sample(enum bench_mech mech, enum bench_how how, u64 *ns)
{
	u64 insert = 0, t0 = 0;

	lat.mech = mech;
	reinit_completion(&lat.done);
	switch (how) {
	case HOW_INSERT:
		insert = bench_insert_once(mech);
		break;
	case HOW_HARDIRQ:
		hrtimer_start(&bench_timer, ns_to_ktime(BENCH_TIMER_NS),
			      HRTIMER_MODE_REL_PINNED_HARD);
		break;
	case HOW_TASK:
		/* At DISPATCH_LEVEL, so nothing preempts the window. */
		local_bh_disable();
		WRITE_ONCE(lat.t0, bench_now());
		bench_queue(mech);
		local_bh_enable();
		break;
	case HOW_RUN:
		/* Queued at DISPATCH_LEVEL, run when it drops, as one call. */
		t0 = bench_now();
		local_bh_disable();
		bench_queue(mech);
		local_bh_enable();
		break;
	}
	if (!wait_for_completion_timeout(&lat.done, HZ))
		return false;
	switch (how) {
	case HOW_INSERT:
		*ns = insert;
		break;
	case HOW_RUN:
		*ns = bench_now() - t0;
		break;
	default:
		*ns = READ_ONCE(lat.t1) - READ_ONCE(lat.t0);
		break;
	}
	return true;
}

/* The rows of one group of the insert, latency or trace kind, in turns. */
static void bench_group(const char *group, const enum bench_mech *mechs,
			unsigned int rows, enum bench_mech ref,
			enum bench_how how, unsigned int cpu)
{
	u64 deadline = bench_deadline(rows);
	unsigned int n, r;

	if (bench_failed)
		return;
	lat.cpu = cpu;
	for (n = 0; n < iterations && bench_now() < deadline; n++) {
		for (r = 0; r < rows; r++) {
			if (!bench_sample(mechs[r], how,
					  &bench_row_samples(r)[n])) {
				bench_error(group, bench_mech_names[mechs[r]],
					    "routine did not run within 1 s");
				return;
			}
		}
	}
	for (r = 0; r < rows; r++)
		bench_report(group, bench_mech_names[mechs[r]], mechs[r] == ref,
			     bench_row_samples(r), n, 0);
}

/*
 * What one timestamp costs: ntdpc takes them on its own hot path (the
 * insertion stamp, the routine times), so its ratios depend on the clock
 * source.  Sixteen reads between the two timed ones, per read.
 */
#define BENCH_CLOCK_READS	16

static void bench_clock(void)
{
	u64 deadline = bench_deadline(1), t0, sink = 0;
	unsigned int n = 0, i;

	while (n < iterations && bench_now() < deadline) {
		local_irq_disable();
		t0 = bench_now();
		for (i = 0; i < BENCH_CLOCK_READS; i++)
			sink += bench_now();
		samples[n++] = div_u64(bench_now() - t0 + BENCH_CLOCK_READS / 2,
				       BENCH_CLOCK_READS + 1);
		local_irq_enable();
	}
	/* Keep the reads: their values are never used. */
	WRITE_ONCE(lat.t1, sink);
	bench_report("clock", "ktime_mono_fast", true, samples, n, 0);
}

static void bench_insert(void)
{
	enum bench_mech mechs[] = { MECH_DPC, MECH_TASKLET, MECH_WQ_HI,
				    MECH_IRQ_WORK, MECH_WQ_BH };

	bench_group("insert", mechs, ARRAY_SIZE(mechs) - !bench_wq_bh,
		    MECH_TASKLET, HOW_INSERT, runner_cpu);
}

static void bench_hardirq(void)
{
	enum bench_mech mechs[] = { MECH_DPC, MECH_TASKLET, MECH_WQ_HI,
				    MECH_WQ_BH };

	bench_group("hardirq", mechs, ARRAY_SIZE(mechs) - !bench_wq_bh,
		    MECH_TASKLET, HOW_HARDIRQ, runner_cpu);
}

static void bench_threaded(void)
{
	static const enum bench_mech mechs[] = { MECH_DPC_THREADED, MECH_FIFO };

	bench_fifo_task = kthread_create_on_cpu(bench_fifo_fn, NULL, runner_cpu,
						"bench_fifo/%u");
	if (IS_ERR(bench_fifo_task)) {
		bench_fifo_task = NULL;
		bench_error("threaded", "fifo_kthread", "no kthread");
		return;
	}
	wake_up_process(bench_fifo_task);
	bench_group("threaded", mechs, ARRAY_SIZE(mechs), MECH_FIFO,
		    HOW_HARDIRQ, runner_cpu);
	kthread_stop(bench_fifo_task);
	bench_fifo_task = NULL;
}

static void bench_remote(void)
{
	static const enum bench_mech mechs[] = { MECH_DPC_REMOTE,
						 MECH_IPI_TASKLET, MECH_IPI,
						 MECH_WQ_HI };

	if (remote_cpu == runner_cpu) {
		pr_info("SKIP group=remote: one CPU online\n");
		return;
	}
	KeSetTargetProcessorDpc(&bench_remote_dpc, (CCHAR)remote_cpu);
	KeSetImportanceDpc(&bench_remote_dpc, HighImportance);
	bench_group("remote", mechs, ARRAY_SIZE(mechs), MECH_IPI_TASKLET,
		    HOW_TASK, remote_cpu);
}

/*
 * Insert plus run of one local item.  Loaded once with the ntdpc trace
 * events off and once with them on; the tasklet row is the control that
 * shows how far the two loads drift apart on their own.
 */
static void bench_trace(const char *group)
{
	static const enum bench_mech mechs[] = { MECH_DPC, MECH_TASKLET };

	bench_group(group, mechs, ARRAY_SIZE(mechs), MECH_TASKLET, HOW_RUN,
		    runner_cpu);
}

/*
 * Throughput: one producer kthread per CPU queues batches on its own CPU
 * with bottom halves off, turns them back on so that the batch runs, and
 * waits until every routine of the batch has run (a drain handed to
 * ksoftirqd finishes there).  Batches of DPCs and of tasklets take turns.
 * A sample is the time per item of one batch; the rate is items over the
 * time spent in that mechanism's batches.
 */
enum { TPUT_DPC, TPUT_TASKLET, TPUT_NR };

struct bench_producer {
	struct task_struct *task;
	unsigned int cpu;
	u64 *ns[TPUT_NR];
	u64 total[TPUT_NR];
	unsigned int n;
	bool stalled;
	KDPC dpc[BENCH_TPUT_BATCH];
	struct tasklet_struct tasklet[BENCH_TPUT_BATCH];
};

static DEFINE_PER_CPU(unsigned long, bench_tput_ran);
static DECLARE_COMPLETION(bench_tput_start);
static DECLARE_COMPLETION(bench_tput_end);
static atomic_t bench_tput_left;

/* Both run on the producer's CPU, in softirq context. */
static VOID BenchTputRoutine(PKDPC Dpc, PVOID DeferredContext,
			     PVOID SystemArgument1, PVOID SystemArgument2)
{
	__this_cpu_inc(bench_tput_ran);
}

static void bench_tput_tasklet_fn(struct tasklet_struct *t)
{
	__this_cpu_inc(bench_tput_ran);
}

/* One batch of @kind: its time per item, or 0 if it did not run in time. */
static u64 bench_tput_batch(struct bench_producer *p, unsigned int kind,
			    u64 deadline)
{
	unsigned long *ran = per_cpu_ptr(&bench_tput_ran, p->cpu);
	unsigned long target = READ_ONCE(*ran) + BENCH_TPUT_BATCH;
	u64 t0 = bench_now(), ns;
	unsigned int i;

	local_bh_disable();
	for (i = 0; i < BENCH_TPUT_BATCH; i++) {
		if (kind == TPUT_DPC)
			KeInsertQueueDpc(&p->dpc[i], NULL, NULL);
		else
			tasklet_hi_schedule(&p->tasklet[i]);
	}
	local_bh_enable();
	while (READ_ONCE(*ran) < target) {
		if (bench_now() > deadline + NSEC_PER_SEC)
			return 0;
		cond_resched();
	}
	ns = bench_now() - t0;
	p->total[kind] += ns;
	return div_u64(ns, BENCH_TPUT_BATCH);
}

static int bench_producer_fn(void *data)
{
	struct bench_producer *p = data;
	u64 deadline;
	unsigned int kind;

	wait_for_completion(&bench_tput_start);
	deadline = bench_deadline(TPUT_NR);
	while (p->n < iterations && bench_now() < deadline && !p->stalled) {
		for (kind = 0; kind < TPUT_NR; kind++) {
			p->ns[kind][p->n] = bench_tput_batch(p, kind, deadline);
			if (!p->ns[kind][p->n])
				p->stalled = true;
		}
		if (!p->stalled)
			p->n++;
		cond_resched();
	}
	if (atomic_dec_and_test(&bench_tput_left))
		complete(&bench_tput_end);

	/* kthread_stop() wants the thread alive until it is called. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void bench_tput_group(const char *group, unsigned int ncpu)
{
	static const enum bench_mech mech[TPUT_NR] = { MECH_DPC, MECH_TASKLET };
	unsigned int cpu, i = 0, j, k, n = 0;
	u64 rate[TPUT_NR] = { 0, 0 };
	struct bench_producer *p;
	bool stalled = false;

	if (bench_failed)
		return;
	p = kvcalloc(ncpu, sizeof(*p), GFP_KERNEL);
	if (!p) {
		bench_error(group, "dpc", "out of memory");
		return;
	}
	reinit_completion(&bench_tput_start);
	reinit_completion(&bench_tput_end);
	atomic_set(&bench_tput_left, ncpu);
	for_each_online_cpu(cpu) {
		if (i == ncpu)
			break;
		p[i].cpu = cpu;
		for (k = 0; k < TPUT_NR; k++)
			p[i].ns[k] = bench_row_samples(k * BENCH_TPUT_MAX_CPUS + i);
		for (j = 0; j < BENCH_TPUT_BATCH; j++) {
			KeInitializeDpc(&p[i].dpc[j], BenchTputRoutine, NULL);
			tasklet_setup(&p[i].tasklet[j], bench_tput_tasklet_fn);
		}
		p[i].task = kthread_create_on_cpu(bench_producer_fn, &p[i], cpu,
						  "bench_tput/%u");
		if (IS_ERR(p[i].task)) {
			p[i].task = NULL;
			atomic_dec(&bench_tput_left);
			bench_error(group, "dpc", "no kthread");
			continue;
		}
		wake_up_process(p[i].task);
		i++;
	}
	complete_all(&bench_tput_start);
	if (i && atomic_read(&bench_tput_left))
		wait_for_completion(&bench_tput_end);
	for (j = 0; j < i; j++) {
		kthread_stop(p[j].task);
		stalled |= p[j].stalled;
		for (k = 0; k < TPUT_NR; k++)
			if (p[j].total[k])
				rate[k] += div64_u64((u64)p[j].n * BENCH_TPUT_BATCH *
						     NSEC_PER_SEC, p[j].total[k]);
	}
	for (j = 0; j < i; j++)
		for (k = 0; k < BENCH_TPUT_BATCH; k++)
			tasklet_kill(&p[j].tasklet[k]);
	KeFlushQueuedDpcs();
	if (stalled)
		bench_error(group, "dpc", "a batch did not run within 1 s");
	/* Pack each mechanism's samples, producer after producer. */
	for (k = 0; k < TPUT_NR; k++) {
		u64 *row = bench_row_samples(k * BENCH_TPUT_MAX_CPUS);

		for (j = 0, n = 0; j < i; j++) {
			memmove(row + n, p[j].ns[k], p[j].n * sizeof(u64));
			n += p[j].n;
		}
		/* Per CPU: the mean of the producers' rates. */
		bench_report(group, bench_mech_names[mech[k]],
			     mech[k] == MECH_TASKLET, row, n,
			     i ? div_u64(rate[k], i) : 0);
	}
	kvfree(p);
}

static void bench_tput(void)
{
	static const unsigned int ncpus[] = { 1, 2, 4 };
	unsigned int i, online = num_online_cpus();
	char group[16];

	for (i = 0; i < ARRAY_SIZE(ncpus); i++) {
		if (ncpus[i] > online || ncpus[i] > BENCH_TPUT_MAX_CPUS)
			break;
		snprintf(group, sizeof(group), "tput%u", ncpus[i]);
		bench_tput_group(group, ncpus[i]);
	}
}

/*
 * Cost growth with queue depth: N items queued at DISPATCH_LEVEL (timed),
 * then the IRQL drops and the last routine to run ends the drain time.  DPC
 * and tasklet repetitions take turns.  All run on the runner's CPU, in
 * softirq context; the counter is only touched there.
 */
static KDPC *bench_depth_dpcs;
static struct tasklet_struct *bench_depth_tasklets;
static unsigned int bench_depth_ran, bench_depth_target;

static void bench_depth_one(void)
{
	if (++bench_depth_ran == bench_depth_target)
		bench_ran();
}

static VOID BenchDepthRoutine(PKDPC Dpc, PVOID DeferredContext,
			      PVOID SystemArgument1, PVOID SystemArgument2)
{
	bench_depth_one();
}

static void bench_depth_tasklet_fn(struct tasklet_struct *t)
{
	bench_depth_one();
}

/* One repetition: insert and drain time per item, false on a timeout. */
static bool bench_depth_rep(bool dpc, unsigned int depth, u64 *insert,
			    u64 *drain)
{
	unsigned int i;
	u64 t0, t1;
	KIRQL old;

	reinit_completion(&lat.done);
	bench_depth_ran = 0;
	bench_depth_target = depth;
	if (dpc)
		KeRaiseIrql(DISPATCH_LEVEL, &old);
	else
		local_bh_disable();
	t0 = bench_now();
	for (i = 0; i < depth; i++) {
		if (dpc)
			KeInsertQueueDpc(&bench_depth_dpcs[i], NULL, NULL);
		else
			tasklet_hi_schedule(&bench_depth_tasklets[i]);
	}
	t1 = bench_now();
	if (dpc)
		KeLowerIrql(old);
	else
		local_bh_enable();
	if (!wait_for_completion_timeout(&lat.done, 5 * HZ))
		return false;
	*insert = div_u64(t1 - t0, depth);
	*drain = div_u64(READ_ONCE(lat.t1) - t1, depth);
	return true;
}

static void bench_depth_group(unsigned int depth)
{
	unsigned int reps = clamp(iterations * 16 / depth, 3U, iterations);
	u64 deadline = bench_deadline(2);
	char insert[24], drain[24];
	unsigned int n, k;

	snprintf(insert, sizeof(insert), "depth%u_insert", depth);
	snprintf(drain, sizeof(drain), "depth%u_drain", depth);
	if (bench_failed)
		return;
	/* Rows 0, 1: DPC insert, drain; rows 2, 3: the same for tasklets. */
	for (n = 0; n < reps && bench_now() < deadline; n++) {
		for (k = 0; k < 2; k++) {
			if (!bench_depth_rep(k == 0, depth,
					     &bench_row_samples(2 * k)[n],
					     &bench_row_samples(2 * k + 1)[n])) {
				bench_error(drain, k ? "tasklet_hi" : "dpc",
					    "drain did not end within 5 s");
				return;
			}
		}
	}
	bench_report(insert, "dpc", false, bench_row_samples(0), n, 0);
	bench_report(insert, "tasklet_hi", true, bench_row_samples(2), n, 0);
	bench_report(drain, "dpc", false, bench_row_samples(1), n, 0);
	bench_report(drain, "tasklet_hi", true, bench_row_samples(3), n, 0);
}

static void bench_depth(void)
{
	static const unsigned int depths[] = { 1, 16, 256, BENCH_MAX_DEPTH };
	unsigned int i;

	bench_depth_dpcs = kvcalloc(BENCH_MAX_DEPTH, sizeof(KDPC), GFP_KERNEL);
	bench_depth_tasklets = kvcalloc(BENCH_MAX_DEPTH,
					sizeof(struct tasklet_struct),
					GFP_KERNEL);
	if (!bench_depth_dpcs || !bench_depth_tasklets) {
		bench_error("depth", "dpc", "out of memory");
		goto out;
	}
	for (i = 0; i < BENCH_MAX_DEPTH; i++) {
		KeInitializeDpc(&bench_depth_dpcs[i], BenchDepthRoutine, NULL);
		tasklet_setup(&bench_depth_tasklets[i], bench_depth_tasklet_fn);
	}
	for (i = 0; i < ARRAY_SIZE(depths); i++)
		bench_depth_group(depths[i]);
	KeFlushQueuedDpcs();
	for (i = 0; i < BENCH_MAX_DEPTH; i++)
		tasklet_kill(&bench_depth_tasklets[i]);
out:
	kvfree(bench_depth_tasklets);
	kvfree(bench_depth_dpcs);
}

/* Is @group selected by the only= parameter? */
static bool bench_want(const char *group)
{
	size_t len = strlen(group);
	const char *p = only;

	if (!p || !*p)
		return strncmp(group, "trace", 5) != 0;
	while (p) {
		if (!strncmp(p, group, len) &&
		    (p[len] == ',' || p[len] == '\0' || p[len] == '\n'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static int bench_runner(void *unused)
{
	u64 start = bench_now();

	pr_info("INFO cpus=%u runner_cpu=%u remote_cpu=%u iterations=%u wq_bh=%d hz=%d only=%s tag=%s\n",
		num_online_cpus(), runner_cpu, remote_cpu, iterations,
		bench_wq_bh ? 1 : 0, HZ, only && *only ? only : "default",
		tag && *tag ? tag : "none");
	if (bench_want("clock"))
		bench_clock();
	if (bench_want("insert"))
		bench_insert();
	if (bench_want("hardirq"))
		bench_hardirq();
	if (bench_want("threaded"))
		bench_threaded();
	if (bench_want("remote"))
		bench_remote();
	if (bench_want("tput"))
		bench_tput();
	if (bench_want("depth"))
		bench_depth();
	if (bench_want("trace_off"))
		bench_trace("trace_off");
	if (bench_want("trace_on"))
		bench_trace("trace_on");
	KeFlushQueuedDpcs();
	pr_info("DONE elapsed_ms=%llu%s\n",
		div_u64(bench_now() - start, NSEC_PER_MSEC),
		bench_failed ? " failed" : "");
	kthread_complete_and_exit(&bench_finished, 0);
}

static void bench_free(void)
{
	if (bench_wq_bh)
		destroy_workqueue(bench_wq_bh);
	if (bench_wq_hi)
		destroy_workqueue(bench_wq_hi);
	kvfree(samples);
}

static int __init bench_init(void)
{
	struct task_struct *runner;

	if (!iterations || iterations > 1000000)
		return -EINVAL;
	samples = kvmalloc_array((size_t)iterations * BENCH_MAX_ROWS,
				 sizeof(u64), GFP_KERNEL);
	bench_wq_hi = alloc_workqueue("bench_dpc_hi", WQ_HIGHPRI | NTDPC_WQ_PERCPU, 0);
#ifdef NTDPC_HAVE_WQ_BH
	bench_wq_bh = alloc_workqueue("bench_dpc_bh",
				      WQ_BH | WQ_HIGHPRI | NTDPC_WQ_BH_PERCPU, 0);
	if (!bench_wq_bh)
		goto nomem;
#endif
	if (!samples || !bench_wq_hi)
		goto nomem;

	KeInitializeDpc(&bench_dpc, BenchDeferredRoutine, NULL);
	KeInitializeDpc(&bench_remote_dpc, BenchDeferredRoutine, NULL);
	KeInitializeThreadedDpc(&bench_threaded_dpc, BenchDeferredRoutine, NULL);
	tasklet_setup(&bench_tasklet, bench_tasklet_fn);
	INIT_WORK(&bench_work, bench_work_fn);
	INIT_WORK(&bench_bh_work, bench_work_fn);
	init_irq_work(&bench_irq_work, bench_irq_work_fn);
	INIT_CSD(&bench_csd, bench_ipi_fn, NULL);
	INIT_CSD(&bench_csd_tasklet, bench_ipi_tasklet_fn, NULL);
	ntdpc_hrtimer_setup(&bench_timer, bench_timer_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_PINNED_HARD);
	init_completion(&lat.done);

	/* Not CPU 0, which serves most device interrupts, when there is another. */
	runner_cpu = cpumask_next(0, cpu_online_mask);
	if (runner_cpu >= nr_cpu_ids)
		runner_cpu = cpumask_first(cpu_online_mask);
	remote_cpu = cpumask_next(runner_cpu, cpu_online_mask);
	if (remote_cpu >= nr_cpu_ids)
		remote_cpu = cpumask_any_but(cpu_online_mask, runner_cpu);
	if (remote_cpu >= nr_cpu_ids)
		remote_cpu = runner_cpu;

	runner = kthread_create_on_cpu(bench_runner, NULL, runner_cpu,
				       "bench_dpc/%u");
	if (IS_ERR(runner)) {
		bench_free();
		return PTR_ERR(runner);
	}
	wake_up_process(runner);
	/* insmod returns when the results are in the log. */
	wait_for_completion(&bench_finished);
	return 0;

nomem:
	bench_free();
	return -ENOMEM;
}

static void __exit bench_exit(void)
{
	hrtimer_cancel(&bench_timer);
	KeRemoveQueueDpc(&bench_dpc);
	KeRemoveQueueDpc(&bench_remote_dpc);
	KeRemoveQueueDpc(&bench_threaded_dpc);
	KeFlushQueuedDpcs();
	/* It may schedule the tasklet. */
	irq_work_sync(&bench_ipi_irq_work);
	tasklet_kill(&bench_tasklet);
	cancel_work_sync(&bench_work);
	cancel_work_sync(&bench_bh_work);
	irq_work_sync(&bench_irq_work);
	bench_free();
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc against tasklets, workqueues, irq_work and IPIs");
