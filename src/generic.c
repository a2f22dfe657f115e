// SPDX-License-Identifier: GPL-2.0
/*
 * KeGenericCallDpc(): run a routine once on every active CPU at
 * DISPATCH_LEVEL, with a barrier the routines can meet at.
 *
 * One High-importance DPC per online CPU, targeted there, kicks every CPU at
 * once.  They are queued with this CPU at DISPATCH_LEVEL, so the local one
 * cannot start (and spin in a barrier) before the others are queued.  The
 * call returns when every routine has returned, whether or not it called
 * KeSignalCallDpcDone(), so a forgetful routine cannot hang the caller.
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/mutex.h>

#include "internal.h"

/* Sense-reversing barrier: the last CPU to arrive flips the generation. */
struct ntdpc_call_barrier {
	atomic_t remaining;
	atomic_t generation;
	int count;
};

struct ntdpc_generic_call {
	PKDEFERRED_ROUTINE routine;
	PVOID context;
	atomic_t done;			/* KeSignalCallDpcDone() countdown */
	struct ntdpc_call_barrier barrier;
	atomic_t returned;
	struct completion all_returned;
};

static DEFINE_MUTEX(ntdpc_generic_mutex);

/*
 * The routine is handed the CPU's own KDPC, whose context is the caller's
 * stack frame.  Queued again, it would run a second time, count itself
 * among the returned and let KeGenericCallDpc() return while other CPUs
 * still use that frame, then run on with it gone.  So the KDPC's Type is no
 * object's (NTDPC_GENERIC_CALL_DPC), from before it is queued: every DPC
 * call of a driver, KeInitializeDpc() and KeSetTimer() included, refuses
 * it with a report, and only this file queues it.
 */
static VOID ntdpc_generic_fn(PKDPC dpc, PVOID ctx, PVOID arg1, PVOID arg2)
{
	struct ntdpc_generic_call *gen = ctx;

	gen->routine(dpc, gen->context, arg1, arg2);
	if (atomic_dec_and_test(&gen->returned))
		complete(&gen->all_returned);
}

/**
 * ntdpc_is_generic_dpc() - is this one of KeGenericCallDpc()'s own KDPCs?
 * @dpc: a KDPC a driver passed
 *
 * By its address: memory a driver has not initialised yet may hold any
 * Type, NTDPC_GENERIC_CALL_DPC's included.
 *
 * Return: true if @dpc is some CPU's own generic-call KDPC.
 */
bool ntdpc_is_generic_dpc(PKDPC dpc)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (dpc == &per_cpu_ptr(&ntdpc_cpus, cpu)->own[NTDPC_OWN_GENERIC])
			return true;
	return false;
}

/* Not KeInitializeDpc(), which refuses it; never queued here. */
static void ntdpc_generic_dpc_init(PKDPC dpc, unsigned int cpu,
				   struct ntdpc_generic_call *gen)
{
	WARN_ON_ONCE(READ_ONCE(dpc->DpcData));
	dpc->Type = NTDPC_GENERIC_CALL_DPC;
	dpc->Importance = HighImportance;
	dpc->Number = MAXIMUM_PROCESSORS + cpu;
	dpc->DeferredRoutine = ntdpc_generic_fn;
	dpc->DeferredContext = gen;
}

/**
 * KeGenericCallDpc() - run a routine on every active processor
 * @Routine: called as Routine(Dpc, Context, SystemArgument1, SystemArgument2)
 *	at DISPATCH_LEVEL on each online CPU, concurrently
 * @Context: its second argument
 *
 * SystemArgument1 is for KeSignalCallDpcDone(), SystemArgument2 for
 * KeSignalCallDpcSynchronize().  Returns after every routine has returned.
 * CPU hotplug is held off for the duration.
 *
 * Context: PASSIVE_LEVEL, outside DPC routines; sleeps.  Called higher,
 * from a threaded DPC routine (which would wait for its own thread), or with
 * a NULL @Routine, it is reported and does nothing.
 */
void KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context)
{
	struct ntdpc_generic_call gen = {
		.routine = Routine,
		.context = Context,
	};
	unsigned int cpu, n;
	KIRQL old;

	if (unlikely(!Routine)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, _RET_IP_,
				    "%s(NULL): no routine", __func__);
		return;
	}
	if (!ntdpc_passive_only(__func__, _RET_IP_))
		return;

	mutex_lock(&ntdpc_generic_mutex);
	cpus_read_lock();
	n = num_online_cpus();
	atomic_set(&gen.done, n);
	atomic_set(&gen.returned, n);
	atomic_set(&gen.barrier.remaining, n);
	atomic_set(&gen.barrier.generation, 0);
	gen.barrier.count = n;
	init_completion(&gen.all_returned);

	old = ntdpc_raise_irql(DISPATCH_LEVEL, _RET_IP_);
	for_each_online_cpu(cpu) {
		PKDPC dpc = &per_cpu_ptr(&ntdpc_cpus, cpu)->own[NTDPC_OWN_GENERIC];

		ntdpc_generic_dpc_init(dpc, cpu, &gen);
		/* Nothing else can have queued it: see ntdpc_generic_fn(). */
		WARN_ON_ONCE(!ntdpc_enqueue(dpc, &gen.done, &gen.barrier, cpu,
					    true, _RET_IP_));
	}
	ntdpc_lower_irql(old, _RET_IP_);

	wait_for_completion(&gen.all_returned);
	cpus_read_unlock();
	mutex_unlock(&ntdpc_generic_mutex);

	if (atomic_read(&gen.done) != 0)
		ntdpc_report_misuse(NTDPC_MISUSE_GENERIC_DONE, _RET_IP_,
				    "%ps returned on %d CPU(s) without KeSignalCallDpcDone()",
				    Routine, atomic_read(&gen.done));
}
EXPORT_SYMBOL_GPL(KeGenericCallDpc);

/**
 * KeSignalCallDpcDone() - tell KeGenericCallDpc() this CPU's routine is done
 * @SystemArgument1: the routine's SystemArgument1
 */
void KeSignalCallDpcDone(PVOID SystemArgument1)
{
	atomic_dec((atomic_t *)SystemArgument1);
}
EXPORT_SYMBOL_GPL(KeSignalCallDpcDone);

/**
 * KeSignalCallDpcSynchronize() - barrier across a KeGenericCallDpc()'s CPUs
 * @SystemArgument2: the routine's SystemArgument2
 *
 * Waits, spinning at DISPATCH_LEVEL, until the routine on every CPU of the
 * call has reached the barrier.  May be used several times in one routine.
 *
 * Return: TRUE on exactly one CPU (the last to arrive), FALSE on the others.
 */
LOGICAL KeSignalCallDpcSynchronize(PVOID SystemArgument2)
{
	struct ntdpc_call_barrier *b = SystemArgument2;
	int generation = atomic_read(&b->generation);

	if (atomic_dec_and_test(&b->remaining)) {
		atomic_set(&b->remaining, b->count);
		atomic_inc_return_release(&b->generation);
		return TRUE;
	}
	while (atomic_read_acquire(&b->generation) == generation)
		cpu_relax();
	return FALSE;
}
EXPORT_SYMBOL_GPL(KeSignalCallDpcSynchronize);
