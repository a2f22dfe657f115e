// SPDX-License-Identifier: GPL-2.0
/*
 * A companion module for the VM tests (scripts/vm.sh): exercises ntdpc.ko
 * as a driver would, from outside, through <ntdpc/ntddk.h> only.
 *
 * mode=basic   queue DPCs and threaded DPCs on every CPU, check where and at
 *              which IRQL they ran, print "ntdpc_vmtest: basic ok"
 * mode=leak    queue a DPC that keeps queueing itself on every CPU, set a
 *              1 ms periodic timer whose DPC queues a work item and a 1 ms
 *              one-shot timer whose DPC sets it again (NT's idiom for a
 *              periodic job), and leave all of it running at unload: ntdpc
 *              must cancel and remove it before this module's memory goes
 *              away, whatever the routines do meanwhile
 * mode=busy    keep CPU @cpu busy with a threaded and an ordinary DPC that
 *              queue themselves, targeted there, until unload: that CPU
 *              must still go offline, at once
 * mode=passive from a threaded DPC routine, call what NT allows only at
 *              PASSIVE_LEVEL outside DPCs (KeFlushQueuedDpcs(), a wait with
 *              a timeout, KeGenericCallDpc()): each must be refused at once,
 *              not hang its own thread; print "ntdpc_vmtest: passive ok"
 * mode=yield   keep CPU 1's DPC thread busy with a threaded DPC that queues
 *              itself, wake a higher real-time thread there and print
 *              "ntdpc_vmtest: yield ok" if it ran within 200 ms: the DPC
 *              thread must reach a scheduling point between routines, since
 *              Debian's kernels preempt only voluntarily
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>
#include <ntdpc/ntddk.h>

static char *mode = "basic";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "basic, leak, yield, busy or passive");

static uint cpu = 1;
module_param(cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "The CPU mode=busy keeps busy");

static uint busy = 3;
module_param(busy, uint, 0444);
MODULE_PARM_DESC(busy, "mode=busy: 1 a threaded DPC, 2 an ordinary one, 3 both");

static bool threads = true;
module_param(threads, bool, 0444);
MODULE_PARM_DESC(threads, "ntdpc was loaded with ThreadDpcEnable=1");

struct vm_dpc {
	KDPC dpc;
	ULONG want_cpu;
	ULONG ran_cpu;
	KIRQL irql;
	LONG runs;
	bool threaded;
};

static struct vm_dpc *vm_dpcs;
static ULONG vm_count;
static LONG vm_leak_stop;

/* The leak mode's timer path: timer -> DPC -> work item that sleeps. */
static KTIMER vm_timer, vm_rearm_timer;
static KDPC vm_timer_dpc, vm_rearm_dpc;
static DEVICE_OBJECT vm_device;
static PIO_WORKITEM vm_work;
static LONG vm_work_busy;

static VOID VmDeferredRoutine(PKDPC Dpc, PVOID DeferredContext,
			      PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct vm_dpc *d = DeferredContext;

	d->ran_cpu = KeGetCurrentProcessorNumber();
	d->irql = KeGetCurrentIrql();
	InterlockedIncrement(&d->runs);
}

static VOID VmLeakRoutine(PKDPC Dpc, PVOID DeferredContext,
			  PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct vm_dpc *d = DeferredContext;

	InterlockedIncrement(&d->runs);
	if (!READ_ONCE(vm_leak_stop))
		KeInsertQueueDpc(Dpc, NULL, NULL);
}

static VOID VmWorkRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	usleep_range(1000, 2000);
	InterlockedExchange(&vm_work_busy, 0);
}

static VOID VmTimerRoutine(PKDPC Dpc, PVOID DeferredContext,
			   PVOID SystemArgument1, PVOID SystemArgument2)
{
	if (vm_work && !InterlockedCompareExchange(&vm_work_busy, 1, 0))
		IoQueueWorkItem(vm_work, VmWorkRoutine, DelayedWorkQueue, NULL);
}

/* A one-shot timer's DPC that sets its timer again, for ever. */
static VOID VmRearmRoutine(PKDPC Dpc, PVOID DeferredContext,
			   PVOID SystemArgument1, PVOID SystemArgument2)
{
	LARGE_INTEGER one_ms = { .QuadPart = -10000 };

	KeSetTimer(&vm_rearm_timer, one_ms, &vm_rearm_dpc);
}

static int vm_basic(void)
{
	PROCESSOR_NUMBER pn;
	ULONG i, bad = 0;

	for (i = 0; i < vm_count; i++) {
		struct vm_dpc *d = &vm_dpcs[i];
		ULONG cpu = i / 2;

		d->threaded = i & 1;
		d->want_cpu = cpu;
		if (d->threaded)
			KeInitializeThreadedDpc(&d->dpc, VmDeferredRoutine, d);
		else
			KeInitializeDpc(&d->dpc, VmDeferredRoutine, d);
		if (!NT_SUCCESS(KeGetProcessorNumberFromIndex(cpu, &pn)) ||
		    !NT_SUCCESS(KeSetTargetProcessorDpcEx(&d->dpc, &pn)))
			return -EINVAL;
		KeSetImportanceDpc(&d->dpc, HighImportance);
		if (!KeInsertQueueDpc(&d->dpc, NULL, NULL))
			return -EINVAL;
	}
	KeFlushQueuedDpcs();
	for (i = 0; i < vm_count; i++) {
		struct vm_dpc *d = &vm_dpcs[i];
		KIRQL want = d->threaded && threads ? PASSIVE_LEVEL :
			     DISPATCH_LEVEL;

		if (d->runs != 1 || d->ran_cpu != d->want_cpu || d->irql != want) {
			pr_err("ntdpc_vmtest: DPC %u: runs %d cpu %u/%u irql %u/%u\n",
			       i, d->runs, d->ran_cpu, d->want_cpu, d->irql, want);
			bad++;
		}
	}
	if (bad)
		return -EIO;
	pr_info("ntdpc_vmtest: basic ok: %u DPCs on %u CPUs\n", vm_count,
		vm_count / 2);
	return 0;
}

static void vm_leak(void)
{
	LARGE_INTEGER one_ms = { .QuadPart = -10000 };
	ULONG i;

	for (i = 0; i < vm_count / 2; i++) {
		struct vm_dpc *d = &vm_dpcs[i];
		PROCESSOR_NUMBER pn;

		KeInitializeDpc(&d->dpc, VmLeakRoutine, d);
		if (NT_SUCCESS(KeGetProcessorNumberFromIndex(i, &pn)))
			KeSetTargetProcessorDpcEx(&d->dpc, &pn);
		KeInsertQueueDpc(&d->dpc, NULL, NULL);
	}
	vm_work = IoAllocateWorkItem(&vm_device);
	KeInitializeDpc(&vm_timer_dpc, VmTimerRoutine, NULL);
	KeInitializeTimer(&vm_timer);
	KeSetTimerEx(&vm_timer, one_ms, 1, &vm_timer_dpc);
	KeInitializeDpc(&vm_rearm_dpc, VmRearmRoutine, NULL);
	KeInitializeTimer(&vm_rearm_timer);
	KeSetTimer(&vm_rearm_timer, one_ms, &vm_rearm_dpc);
	pr_info("ntdpc_vmtest: leak armed on %u CPUs\n", vm_count / 2);
}

static KDPC vm_spin_dpc;
static bool vm_spin_stop;
static DECLARE_COMPLETION(vm_woken);
static ktime_t vm_woken_at;

static VOID VmSpinRoutine(PKDPC Dpc, PVOID DeferredContext,
			  PVOID SystemArgument1, PVOID SystemArgument2)
{
	u64 end = ktime_get_ns() + 50 * NSEC_PER_USEC;

	if (READ_ONCE(vm_spin_stop))
		return;
	/* Busy, without a scheduling point: the routine's own work. */
	while (ktime_get_ns() < end)
		cpu_relax();
	KeInsertQueueDpc(Dpc, NULL, NULL);
}

static int vm_rt_fn(void *unused)
{
	vm_woken_at = ktime_get();
	complete(&vm_woken);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static int vm_yield(void)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_FIFO,
		.sched_priority = 90,	/* above the DPC threads' 50 */
	};
	struct task_struct *rt;
	unsigned int cpu = 1;
	ktime_t woken;
	s64 ms = -1;

	if (!cpu_online(cpu))
		return -ENODEV;
	rt = kthread_create(vm_rt_fn, NULL, "ntdpc_vmtest_rt");
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	kthread_bind(rt, cpu);
	sched_setattr_nocheck(rt, &attr);
	KeInitializeThreadedDpc(&vm_spin_dpc, VmSpinRoutine, NULL);
	KeSetTargetProcessorDpc(&vm_spin_dpc, (CCHAR)cpu);
	KeInsertQueueDpc(&vm_spin_dpc, NULL, NULL);
	msleep(50);
	woken = ktime_get();
	wake_up_process(rt);
	if (wait_for_completion_timeout(&vm_woken, 2 * HZ))
		ms = ktime_ms_delta(vm_woken_at, woken);
	WRITE_ONCE(vm_spin_stop, true);
	KeFlushQueuedDpcs();
	kthread_stop(rt);
	if (ms >= 0 && ms < 200)
		pr_info("ntdpc_vmtest: yield ok: the RT thread ran after %lld ms\n",
			ms);
	else
		pr_err("ntdpc_vmtest: yield FAILED: the RT thread waited %s\n",
		       ms < 0 ? "more than 2 s" : "200 ms or more");
	return 0;
}

/* mode=busy: a threaded and an ordinary DPC that keep CPU @cpu busy. */
static KDPC vm_busy_dpc, vm_busy_threaded;
static bool vm_busy_stop;

static VOID VmBusyRoutine(PKDPC Dpc, PVOID DeferredContext,
			  PVOID SystemArgument1, PVOID SystemArgument2)
{
	u64 end = ktime_get_ns() + 50 * NSEC_PER_USEC;

	if (READ_ONCE(vm_busy_stop))
		return;
	while (ktime_get_ns() < end)
		cpu_relax();
	KeInsertQueueDpc(Dpc, NULL, NULL);
}

static int vm_busy(void)
{
	if (!cpu_online(cpu))
		return -ENODEV;
	KeInitializeThreadedDpc(&vm_busy_threaded, VmBusyRoutine, NULL);
	KeSetTargetProcessorDpc(&vm_busy_threaded, (CCHAR)cpu);
	KeInitializeDpc(&vm_busy_dpc, VmBusyRoutine, NULL);
	KeSetTargetProcessorDpc(&vm_busy_dpc, (CCHAR)cpu);
	if (busy & 1)
		KeInsertQueueDpc(&vm_busy_threaded, NULL, NULL);
	if (busy & 2)
		KeInsertQueueDpc(&vm_busy_dpc, NULL, NULL);
	pr_info("ntdpc_vmtest: busy on CPU %u\n", cpu);
	return 0;
}

/* mode=passive: PASSIVE_LEVEL-only calls from a threaded DPC routine. */
static KDPC vm_passive_dpc;
static KEVENT vm_passive_event;
static DECLARE_COMPLETION(vm_passive_done);
static NTSTATUS vm_passive_wait;
static LONG vm_passive_generic;

static VOID VmGenericRoutine(PKDPC Dpc, PVOID DeferredContext,
			     PVOID SystemArgument1, PVOID SystemArgument2)
{
	InterlockedIncrement(&vm_passive_generic);
	KeSignalCallDpcDone(SystemArgument1);
}

static VOID VmPassiveRoutine(PKDPC Dpc, PVOID DeferredContext,
			     PVOID SystemArgument1, PVOID SystemArgument2)
{
	LARGE_INTEGER ten_ms = { .QuadPart = -100000 };

	KeFlushQueuedDpcs();
	vm_passive_wait = KeWaitForSingleObject(&vm_passive_event, Executive,
						KernelMode, FALSE, &ten_ms);
	KeGenericCallDpc(VmGenericRoutine, NULL);
	complete(&vm_passive_done);
}

static int vm_passive(void)
{
	KeInitializeEvent(&vm_passive_event, NotificationEvent, FALSE);
	KeInitializeThreadedDpc(&vm_passive_dpc, VmPassiveRoutine, NULL);
	KeInsertQueueDpc(&vm_passive_dpc, NULL, NULL);
	if (!wait_for_completion_timeout(&vm_passive_done, 10 * HZ)) {
		pr_err("ntdpc_vmtest: passive FAILED: the threaded DPC did not return within 10 s\n");
		return 0;
	}
	/* And the machinery is not left wedged: a flush from here completes. */
	KeFlushQueuedDpcs();
	if (vm_passive_wait != STATUS_INVALID_PARAMETER ||
	    READ_ONCE(vm_passive_generic))
		pr_err("ntdpc_vmtest: passive FAILED: wait returned %#x, the generic call ran on %d CPUs\n",
		       vm_passive_wait, vm_passive_generic);
	else
		pr_info("ntdpc_vmtest: passive ok\n");
	return 0;
}

static int __init vm_init(void)
{
	int ret = 0;

	vm_count = 2 * KeQueryActiveProcessorCount(NULL);
	vm_dpcs = kcalloc(vm_count, sizeof(*vm_dpcs), GFP_KERNEL);
	if (!vm_dpcs)
		return -ENOMEM;
	if (!strcmp(mode, "leak"))
		vm_leak();
	else if (!strcmp(mode, "yield"))
		ret = vm_yield();
	else if (!strcmp(mode, "busy"))
		ret = vm_busy();
	else if (!strcmp(mode, "passive"))
		ret = vm_passive();
	else
		ret = vm_basic();
	if (ret)
		kfree(vm_dpcs);
	return ret;
}

static void __exit vm_exit(void)
{
	/*
	 * The leak mode deliberately does not remove or flush its DPCs: the
	 * routines keep running and queueing themselves while this module
	 * goes away.  ntdpc's unload notifier must catch them.  vm_dpcs is
	 * leaked on purpose too, since the KDPCs live in it.
	 */
	if (!strcmp(mode, "leak"))
		return;
	WRITE_ONCE(vm_busy_stop, true);
	KeFlushQueuedDpcs();
	kfree(vm_dpcs);
}

module_init(vm_init);
module_exit(vm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc VM test companion");
