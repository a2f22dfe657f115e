// SPDX-License-Identifier: GPL-2.0
/*
 * IoInitializeDpcRequest() and IoRequestDpc(): requests coalesce while the
 * DPC is queued, the DpcForIsr gets the device object, IRP and context at
 * DISPATCH_LEVEL; and from an "ISR" (a hard interrupt: a pinned hard
 * hrtimer) the DPC runs on the interrupted CPU, a threaded DPC queued
 * there at PASSIVE_LEVEL, a remote High one on its target.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/string.h>

#include "compat.h"
#include "conform.h"

/* IoRequestDpc() from DISPATCH_LEVEL: what the DpcForIsr got. */
static DEVICE_OBJECT io_dev;
static atomic_t io_runs;
static PVOID io_args[4];
static int io_irql;
static VOID DpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	io_args[0] = Dpc;
	io_args[1] = DeviceObject;
	io_args[2] = Irp;
	io_args[3] = Context;
	io_irql = KeGetCurrentIrql();
	atomic_inc(&io_runs);
}

static void isr_iorequestdpc(void)
{
	KIRQL old;

	memset(&io_dev, 0, sizeof(io_dev));
	IoInitializeDpcRequest(&io_dev, DpcForIsr);
	atomic_set(&io_runs, 0);
	old = KeRaiseIrqlToDpcLevel();
	IoRequestDpc(&io_dev, (PIRP)0x1001, (PVOID)0x2002);
	IoRequestDpc(&io_dev, (PIRP)0x3003, (PVOID)0x4004);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&io_runs) >= 1, 10000);
	msleep(20);
	CHECK("iorequestdpc-coalesce", atomic_read(&io_runs) == 1, "1 call got %d",
	      atomic_read(&io_runs));
	CHECK("iorequestdpc-args", io_args[0] == &io_dev.Dpc && io_args[1] == &io_dev &&
	      io_args[2] == (PVOID)0x1001 && io_args[3] == (PVOID)0x2002,
	      "Dpc %p dev %p 0x1001 0x2002 got %p %p %lx %lx", &io_dev.Dpc, &io_dev,
	      io_args[0], io_args[1], (unsigned long)io_args[2], (unsigned long)io_args[3]);
	CHECK("iorequestdpc-irql", io_irql == DISPATCH_LEVEL, "2 got %d", io_irql);
	IoRequestDpc(&io_dev, (PIRP)0x5005, NULL);
	WAIT_FOR(atomic_read(&io_runs) >= 2, 10000);
	CHECK("iorequestdpc-again", atomic_read(&io_runs) == 2 && io_args[2] == (PVOID)0x5005,
	      "2nd call with new irp got %d %lx", atomic_read(&io_runs),
	      (unsigned long)io_args[2]);
}

/* An "ISR" (hard interrupt: a pinned hard hrtimer) requests the DPC. */
static struct hrtimer isr_timer;
static DEVICE_OBJECT isr_dev;
static int isr_irql = -1, isr_cpu = -1, isr_dpc_cpu = -1, isr_dpc_irql = -1;
static atomic_t isr_dpc_runs;
static VOID IsrDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	isr_dpc_cpu = KeGetCurrentProcessorNumber();
	isr_dpc_irql = KeGetCurrentIrql();
	atomic_inc(&isr_dpc_runs);
}

static enum hrtimer_restart isr_fn(struct hrtimer *t)
{
	isr_irql = KeGetCurrentIrql();
	isr_cpu = KeGetCurrentProcessorNumber();
	IoRequestDpc(&isr_dev, NULL, NULL);
	return HRTIMER_NORESTART;
}

static void isr_requests_dpc(void)
{
	memset(&isr_dev, 0, sizeof(isr_dev));
	IoInitializeDpcRequest(&isr_dev, IsrDpcForIsr);
	ntdpc_hrtimer_setup(&isr_timer, isr_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_PINNED_HARD);
	hrtimer_start(&isr_timer, ms_to_ktime(5), HRTIMER_MODE_REL_PINNED_HARD);
	WAIT_FOR(atomic_read(&isr_dpc_runs) >= 1, 10000);
	hrtimer_cancel(&isr_timer);
	CHECK("isr-irql-above-dispatch", isr_irql > DISPATCH_LEVEL, ">2 in hard irq got %d",
	      isr_irql);
	CHECK("isr-dpc-same-cpu-dispatch", atomic_read(&isr_dpc_runs) == 1 &&
	      isr_dpc_cpu == isr_cpu && isr_dpc_irql == DISPATCH_LEVEL,
	      "1 run on ISR cpu %d at 2 got %d runs cpu %d irql %d", isr_cpu,
	      atomic_read(&isr_dpc_runs), isr_dpc_cpu, isr_dpc_irql);
}

/* The ISR queues a threaded DPC and a remote High DPC. */
static struct rec isr_thr, isr_remote;
static int isr2_cpu = -1;
static enum hrtimer_restart isr2_fn(struct hrtimer *t)
{
	isr2_cpu = KeGetCurrentProcessorNumber();
	KeInsertQueueDpc(&isr_thr.dpc, NULL, NULL);
	KeInsertQueueDpc(&isr_remote.dpc, NULL, NULL);
	return HRTIMER_NORESTART;
}

static void isr_queues(void)
{
	ULONG t = (home_cpu + 1) % ncpu;

	rec_init(&isr_thr, 1, true);
	rec_init(&isr_remote, 2, false);
	KeSetImportanceDpc(&isr_remote.dpc, HighImportance);
	KeSetTargetProcessorDpc(&isr_remote.dpc, (CCHAR)t);
	ntdpc_hrtimer_setup(&isr_timer, isr2_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_PINNED_HARD);
	hrtimer_start(&isr_timer, ms_to_ktime(5), HRTIMER_MODE_REL_PINNED_HARD);
	WAIT_FOR(atomic_read(&isr_thr.runs) && atomic_read(&isr_remote.runs), 10000);
	hrtimer_cancel(&isr_timer);
	CHECK("isr-queues-threaded", atomic_read(&isr_thr.runs) == 1 && isr_thr.cpu == isr2_cpu &&
	      isr_thr.irql == PASSIVE_LEVEL, "1 run on ISR cpu %d at 0 got %d cpu %d irql %d",
	      isr2_cpu, atomic_read(&isr_thr.runs), isr_thr.cpu, isr_thr.irql);
	CHECK("isr-queues-remote-high", atomic_read(&isr_remote.runs) == 1 && isr_remote.cpu == t &&
	      isr_remote.irql == DISPATCH_LEVEL, "1 run on cpu %u at 2 got %d cpu %d irql %d", t,
	      atomic_read(&isr_remote.runs), isr_remote.cpu, isr_remote.irql);
}

void conform_isr(void)
{
	isr_iorequestdpc();
	isr_requests_dpc();
	isr_queues();
}
