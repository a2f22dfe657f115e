// SPDX-License-Identifier: GPL-2.0
/*
 * timer_dpc: the seeds' audio example.  A periodic KTIMER (rate_hz, default
 * 1 kHz) queues a DPC that "processes a buffer" every period, on one CPU.
 * When that DPC cannot run before the next period's buffer arrives (its
 * previous insertion is still queued, so KeInsertQueueDpc() returns FALSE),
 * a buffer is lost: a drop-out, counted from the expiry time the timer
 * passes in the DPC's system arguments.
 *
 * slow_dpc_us makes a second, poorly written driver hog the same CPU: its own
 * timer's DPC spins that long every slow_period_ms.  Drop-outs appear and the
 * DPC watchdog names the culprit.  defer=work moves the long work to a work
 * item, defer=threaded to a threaded DPC; both run at PASSIVE_LEVEL, where
 * the audio DPC preempts them, and the drop-outs disappear.
 *
 * slow_dpc_us and defer can be changed while loaded (so that one trace can
 * show every phase with the module's symbols still known); the counters are
 * read-only parameters.  All in /sys/module/timer_dpc/parameters/.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/workqueue.h>
#include <ntdpc/ntddk.h>

static unsigned int rate_hz = 1000;
module_param(rate_hz, uint, 0444);
MODULE_PARM_DESC(rate_hz, "Buffer rate (Hz, at most 1000: KTIMER periods are in ms)");

static unsigned int slow_dpc_us;
module_param(slow_dpc_us, uint, 0644);
MODULE_PARM_DESC(slow_dpc_us, "The poorly written driver's DPC runtime (us, 0 = none)");

static unsigned int slow_period_ms = 20;
module_param(slow_period_ms, uint, 0444);
MODULE_PARM_DESC(slow_period_ms, "How often the poorly written driver's DPC runs (ms)");

enum { DEFER_NONE, DEFER_WORK, DEFER_THREADED };
static const char * const defer_names[] = { "none", "work", "threaded" };
static int defer_mode;
static bool running;

static int defer_set(const char *val, const struct kernel_param *kp);

static int defer_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", defer_names[READ_ONCE(defer_mode)]);
}

static const struct kernel_param_ops defer_ops = {
	.set = defer_set,
	.get = defer_get,
};
module_param_cb(defer, &defer_ops, NULL, 0644);
MODULE_PARM_DESC(defer, "Where the slow work runs: none (in the DPC), work, threaded");

static unsigned int cpu;
module_param(cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "The CPU both drivers' timers and DPCs run on");

static unsigned long periods;
module_param(periods, ulong, 0444);
MODULE_PARM_DESC(periods, "Buffers processed");

static unsigned long dropouts;
module_param(dropouts, ulong, 0444);
MODULE_PARM_DESC(dropouts, "Buffers lost because the DPC ran too late");

static unsigned long slow_runs;
module_param(slow_runs, ulong, 0444);
MODULE_PARM_DESC(slow_runs, "Times the slow work ran");

static KTIMER audio_timer, slow_timer;
static KDPC audio_dpc, slow_dpc, slow_threaded_dpc;
static DEVICE_OBJECT slow_device;
static PIO_WORKITEM slow_work;
static LONG slow_work_busy;
static LONGLONG period_100ns;
static u8 buffer[512];
static u32 checksum;

/* The routines, declared through their role types as the WDK does. */
static KDEFERRED_ROUTINE AudioDpc;
static KDEFERRED_ROUTINE SlowDpc;
static IO_WORKITEM_ROUTINE SlowWorkRoutine;

_Use_decl_annotations_
static VOID AudioDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
		     PVOID SystemArgument2)
{
	LONGLONG expiry = ((LONGLONG)(ULONG_PTR)SystemArgument2 << 32) |
			  (ULONG)(ULONG_PTR)SystemArgument1;
	LARGE_INTEGER now;
	unsigned int i;

	/* "Process the buffer". */
	for (i = 0; i < sizeof(buffer); i++)
		checksum = checksum * 31 + buffer[i] + i;

	/*
	 * Arguments are those of the insertion that queued us.  Later expiries
	 * found us still queued and were lost: one per whole period since.
	 */
	KeQuerySystemTime(&now);
	WRITE_ONCE(periods, periods + 1);
	if (now.QuadPart - expiry >= period_100ns)
		WRITE_ONCE(dropouts, dropouts + (now.QuadPart - expiry) / period_100ns);
}

_IRQL_requires_max_(DISPATCH_LEVEL)
static void slow_spin(_In_ unsigned int us)
{
	/*
	 * Spin by the clock, not udelay(): the delay loop is calibrated once
	 * at boot and is far off under emulation.
	 */
	ULONGLONG end = KeQueryInterruptTime() + (ULONGLONG)us * 10;

	while (KeQueryInterruptTime() < end)
		cpu_relax();
	WRITE_ONCE(slow_runs, slow_runs + 1);
}

_Use_decl_annotations_
static VOID SlowWorkRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	slow_spin((unsigned long)Context);
	InterlockedExchange(&slow_work_busy, 0);
}

/* The poorly written driver's DPC (ordinary or threaded, per defer). */
_Use_decl_annotations_
static VOID SlowDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
		    PVOID SystemArgument2)
{
	unsigned int us = READ_ONCE(slow_dpc_us);

	if (!us)
		return;
	if (READ_ONCE(defer_mode) == DEFER_WORK) {
		if (!InterlockedCompareExchange(&slow_work_busy, 1, 0))
			IoQueueWorkItem(slow_work, SlowWorkRoutine,
					DelayedWorkQueue, (PVOID)(unsigned long)us);
		return;
	}
	slow_spin(us);	/* in the DPC, or in the threaded DPC */
}

/* Timers fire on the CPU that sets them: set them from the target CPU. */
static long start_audio_timer(void *unused)
{
	LARGE_INTEGER due = { .QuadPart = -10000 };	/* 1 ms */
	LONG period_ms = max(1000U / rate_hz, 1U);

	period_100ns = (LONGLONG)period_ms * 10000;
	KeSetTimerEx(&audio_timer, due, period_ms, &audio_dpc);
	return 0;
}

/* (Re)set the slow timer with the DPC kind defer asks for. */
static long start_slow_timer(void *unused)
{
	LARGE_INTEGER due = { .QuadPart = -10000 * (LONGLONG)slow_period_ms };

	KeSetTimerEx(&slow_timer, due, slow_period_ms,
		     READ_ONCE(defer_mode) == DEFER_THREADED ?
		     &slow_threaded_dpc : &slow_dpc);
	return 0;
}

static int defer_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(defer_names, val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(defer_mode, mode);
	if (READ_ONCE(running)) {
		KeCancelTimer(&slow_timer);
		KeFlushQueuedDpcs();
		work_on_cpu(cpu, start_slow_timer, NULL);
	}
	return 0;
}

static int __init timer_dpc_init(void)
{
	if (!rate_hz || rate_hz > 1000 || !slow_period_ms ||
	    cpu >= KeQueryActiveProcessorCount(NULL))
		return -EINVAL;

	KeInitializeDpc(&audio_dpc, AudioDpc, NULL);
	KeSetImportanceDpc(&audio_dpc, HighImportance);
	KeSetTargetProcessorDpc(&audio_dpc, cpu);
	KeInitializeDpc(&slow_dpc, SlowDpc, NULL);
	KeSetTargetProcessorDpc(&slow_dpc, cpu);
	KeInitializeThreadedDpc(&slow_threaded_dpc, SlowDpc, NULL);
	KeSetTargetProcessorDpc(&slow_threaded_dpc, cpu);
	slow_work = IoAllocateWorkItem(&slow_device);
	if (!slow_work)
		return -ENOMEM;
	KeInitializeTimer(&audio_timer);
	KeInitializeTimer(&slow_timer);
	work_on_cpu(cpu, start_audio_timer, NULL);
	work_on_cpu(cpu, start_slow_timer, NULL);
	WRITE_ONCE(running, true);
	pr_info("timer_dpc: %u Hz on CPU %u, slow_dpc_us=%u every %u ms, defer=%s\n",
		rate_hz, cpu, slow_dpc_us, slow_period_ms,
		defer_names[defer_mode]);
	return 0;
}

static void __exit timer_dpc_exit(void)
{
	WRITE_ONCE(running, false);
	KeCancelTimer(&audio_timer);
	KeCancelTimer(&slow_timer);
	KeFlushQueuedDpcs();
	/* The DPCs may have queued the work item: wait for it to finish. */
	while (READ_ONCE(slow_work_busy))
		msleep(20);
	IoFreeWorkItem(slow_work);
	pr_info("timer_dpc: %lu periods, %lu drop-outs, slow work ran %lu times\n",
		periods, dropouts, slow_runs);
}

module_init(timer_dpc_init);
module_exit(timer_dpc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc demo: a periodic timer DPC and a driver that hogs its CPU");
