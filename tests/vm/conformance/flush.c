// SPDX-License-Identifier: GPL-2.0
/*
 * KeFlushQueuedDpcs(): returns once every DPC queued on every CPU has run,
 * ordinary and threaded, waits for one already running elsewhere, returns
 * with nothing queued, and returns although a DPC keeps queueing itself.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>

#include "conform.h"

/* KeFlushQueuedDpcs() from a thread of its own. */
static DECLARE_COMPLETION(flush_done);
static struct rec *flush_watch;
static int flush_watch_finished;
static int flusher(void *unused)
{
	KeFlushQueuedDpcs();
	if (flush_watch)
		flush_watch_finished = atomic_read(&flush_watch->finished);
	complete(&flush_done);
	return 0;
}

/*
 * r is queued with hold set, to run held on another CPU: a flush called
 * while it runs must not return before it is released and has finished.
 * The flushing thread is created, and bound to this CPU, before: a CPU
 * running a held DPC from an interrupt's exit looks idle to the scheduler,
 * and a thread woken there would wait for the DPC.
 */
static void check_flush_waits(const char *name, struct rec *r)
{
	struct task_struct *t;
	unsigned long left;
	bool early;

	flush_watch = r;
	flush_watch_finished = -1;
	reinit_completion(&flush_done);
	t = kthread_create(flusher, NULL, "nt_conformance_flush");
	if (IS_ERR(t)) {
		FAILF(name, "kthread_create failed");
		return;
	}
	kthread_bind(t, home_cpu);
	atomic_set(&r->hold, 1);
	KeInsertQueueDpc(&r->dpc, NULL, NULL);
	if (!WAIT_FOR(atomic_read(&r->started), 10000)) {
		atomic_set(&r->hold, 0);
		FAILF(name, "the DPC never started");
		wake_up_process(t);
		wait_for_completion(&flush_done);
		return;
	}
	wake_up_process(t);
	msleep(100);
	early = completion_done(&flush_done);
	atomic_set(&r->hold, 0);
	left = wait_for_completion_timeout(&flush_done, msecs_to_jiffies(10000));
	CHECK(name, !early && left && flush_watch_finished == 1,
	      "flush returns only after the running DPC finished got %s, finished %d",
	      early ? "returned while it ran" : left ? "returned" : "no return within 10 s",
	      flush_watch_finished);
	if (!left)
		wait_for_completion(&flush_done);
	flush_watch = NULL;
}

static void flush_waits(void)
{
	static struct rec r[32];
	ULONG c;
	int bad = 0, n = 0;

	/* Slow ordinary (Low and Medium) and threaded DPCs on every CPU. */
	for (c = 0; c < ncpu && n + 3 <= 32; c++) {
		rec_init(&r[n], n, false);
		r[n].spin_ms = 20;
		KeSetImportanceDpc(&r[n].dpc, LowImportance);
		KeSetTargetProcessorDpc(&r[n].dpc, (CCHAR)c);
		n++;
		rec_init(&r[n], n, false);
		r[n].spin_ms = 10;
		KeSetTargetProcessorDpc(&r[n].dpc, (CCHAR)c);
		n++;
		rec_init(&r[n], n, true);
		r[n].spin_ms = 20;
		KeSetTargetProcessorDpc(&r[n].dpc, (CCHAR)c);
		n++;
	}
	for (c = 0; c < n; c++)
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	for (c = 0; c < n; c++)
		if (!atomic_read(&r[c].finished))
			bad++;
	CHECK("flush-all-cpus", bad == 0, "all %d finished got %d unfinished", n, bad);

	/* A DPC already running on another CPU when flush is called. */
	rec_init(&r[0], 0, false);
	KeSetImportanceDpc(&r[0].dpc, HighImportance);
	KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)((home_cpu + 2) % ncpu));
	check_flush_waits("flush-waits-running", &r[0]);

	/* Threaded DPC running when flush is called. */
	rec_init(&r[0], 0, true);
	KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)((home_cpu + 1) % ncpu));
	check_flush_waits("flush-waits-running-threaded", &r[0]);
	KeFlushQueuedDpcs();	/* nothing queued: must return */
	PASS("flush-empty-returns");
}

/* Flush must return although a DPC keeps re-queueing itself. */
static KDPC perpetual;
static int perpetual_stop;
static atomic_t perpetual_runs;
static VOID PerpetualRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&perpetual_runs);
	spin_us(100);
	if (!READ_ONCE(perpetual_stop))
		KeInsertQueueDpc(Dpc, NULL, NULL);
}

static void flush_perpetual(void)
{
	struct task_struct *t;
	unsigned long left;

	KeInitializeDpc(&perpetual, PerpetualRoutine, NULL);
	KeSetTargetProcessorDpc(&perpetual, (CCHAR)((home_cpu + 1) % ncpu));
	WRITE_ONCE(perpetual_stop, 0);
	KeInsertQueueDpc(&perpetual, NULL, NULL);
	msleep(20);
	reinit_completion(&flush_done);
	t = kthread_run(flusher, NULL, "nt_conformance_flush");
	if (IS_ERR(t)) {
		WRITE_ONCE(perpetual_stop, 1);
		return;
	}
	left = wait_for_completion_timeout(&flush_done, msecs_to_jiffies(20000));
	CHECK("flush-returns-despite-self-requeue", left != 0,
	      "KeFlushQueuedDpcs returns within 20 s got still waiting (runs %d)",
	      atomic_read(&perpetual_runs));
	WRITE_ONCE(perpetual_stop, 1);
	if (!left)
		wait_for_completion(&flush_done);
	KeFlushQueuedDpcs();
}

void conform_flush(void)
{
	flush_waits();
	flush_perpetual();
}
