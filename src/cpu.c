// SPDX-License-Identifier: GPL-2.0
/*
 * Processors: NT's processor numbering on top of Linux CPU ids, and CPU
 * hotplug for the DPC queues.
 *
 * ntdpc has one processor group, group 0, and an NT processor index is the
 * Linux CPU id.  KAFFINITY masks cover CPUs 0..63 (BITS_PER_LONG).
 *
 * Hotplug uses two dynamic states.  A CPUHP_AP_ONLINE_DYN state, on the CPU
 * itself: its startup, once the CPU is online, makes its queues take DPCs;
 * not earlier, since a DPC queued there while the CPU is still coming up
 * could not be kicked (an IPI to a CPU not yet online is refused) and would
 * wait for ever.  Its teardown, the first step of the CPU going down, makes
 * them stop taking DPCs, so that nothing is ever kicked at a CPU on its way
 * out and its DPC thread can park.  Meanwhile DPCs aimed at it go to
 * another CPU, as for an offline one.  A CPUHP_BP_PREPARE_DYN teardown runs
 * on a control CPU once the CPU is dead and moves what is still queued
 * there (see ntdpc_queue_cpu_dead()).
 *
 * The online state is set up with its startup called on every CPU online
 * at the time, under the hotplug lock: a CPU that comes up or goes down
 * while ntdpc loads is seen either way, never missed.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>

#include "internal.h"

static enum cpuhp_state ntdpc_cpuhp_dead, ntdpc_cpuhp_online;

static int ntdpc_cpu_online(unsigned int cpu)
{
	ntdpc_queue_cpu_online(cpu);
	return 0;
}

static int ntdpc_cpu_down(unsigned int cpu)
{
	ntdpc_queue_cpu_down(cpu);
	return 0;
}

static int ntdpc_cpu_dead(unsigned int cpu)
{
	ntdpc_queue_cpu_dead(cpu);
	return 0;
}

int ntdpc_hotplug_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "ntdpc:dead",
					NULL, ntdpc_cpu_dead);
	if (ret < 0)
		return ret;
	ntdpc_cpuhp_dead = ret;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "ntdpc:online",
				ntdpc_cpu_online, ntdpc_cpu_down);
	if (ret < 0) {
		cpuhp_remove_state_nocalls(ntdpc_cpuhp_dead);
		return ret;
	}
	ntdpc_cpuhp_online = ret;
	return 0;
}

void ntdpc_hotplug_exit(void)
{
	cpuhp_remove_state_nocalls(ntdpc_cpuhp_online);
	cpuhp_remove_state_nocalls(ntdpc_cpuhp_dead);
}

/**
 * KeGetCurrentProcessorNumber() - index of the current processor
 *
 * At PASSIVE_LEVEL the thread may move right after the call, as on NT.
 *
 * Return: the current CPU id.
 */
ULONG KeGetCurrentProcessorNumber(void)
{
	return raw_smp_processor_id();
}
EXPORT_SYMBOL_GPL(KeGetCurrentProcessorNumber);

/**
 * KeGetCurrentProcessorNumberEx() - current processor, as group and number
 * @ProcNumber: if not NULL, receives group 0 and the CPU id
 *
 * Return: the processor index (the CPU id).
 */
ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)
{
	unsigned int cpu = raw_smp_processor_id();

	if (ProcNumber) {
		ProcNumber->Group = 0;
		ProcNumber->Number = cpu;
		ProcNumber->Reserved = 0;
	}
	return cpu;
}
EXPORT_SYMBOL_GPL(KeGetCurrentProcessorNumberEx);

/**
 * KeQueryActiveProcessors() - affinity mask of the online processors
 *
 * Return: bit n set for each online CPU n below BITS_PER_LONG.
 */
KAFFINITY KeQueryActiveProcessors(void)
{
	return cpumask_bits(cpu_online_mask)[0];
}
EXPORT_SYMBOL_GPL(KeQueryActiveProcessors);

/**
 * KeQueryActiveProcessorCount() - number of online processors
 * @ActiveProcessors: if not NULL, receives KeQueryActiveProcessors()
 *
 * Return: the number of online CPUs.
 */
ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)
{
	if (ActiveProcessors)
		*ActiveProcessors = KeQueryActiveProcessors();
	return num_online_cpus();
}
EXPORT_SYMBOL_GPL(KeQueryActiveProcessorCount);

/**
 * KeQueryActiveProcessorCountEx() - online processors in a group
 * @GroupNumber: 0 or ALL_PROCESSOR_GROUPS
 *
 * Return: the number of online CPUs, or 0 for any other group.
 */
ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)
{
	if (GroupNumber != 0 && GroupNumber != ALL_PROCESSOR_GROUPS)
		return 0;
	return num_online_cpus();
}
EXPORT_SYMBOL_GPL(KeQueryActiveProcessorCountEx);

/**
 * KeGetProcessorNumberFromIndex() - group and number of a processor index
 * @ProcIndex: processor index (CPU id)
 * @ProcNumber: receives group 0 and the number
 *
 * Return: STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for a NULL
 * @ProcNumber or an index that is not an online CPU.
 */
NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex,
				       PPROCESSOR_NUMBER ProcNumber)
{
	if (!ProcNumber || ProcIndex >= nr_cpu_ids || ProcIndex > U8_MAX ||
	    !cpu_online(ProcIndex))
		return STATUS_INVALID_PARAMETER;
	ProcNumber->Group = 0;
	ProcNumber->Number = ProcIndex;
	ProcNumber->Reserved = 0;
	return STATUS_SUCCESS;
}
EXPORT_SYMBOL_GPL(KeGetProcessorNumberFromIndex);

/**
 * KeGetProcessorIndexFromNumber() - processor index of a group and number
 * @ProcNumber: group (must be 0) and number
 *
 * Return: the index (the CPU id), or INVALID_PROCESSOR_INDEX for a NULL
 * argument, another group, or a CPU that is not online.
 */
ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber)
{
	if (!ProcNumber || ProcNumber->Group != 0 ||
	    ProcNumber->Number >= nr_cpu_ids || !cpu_online(ProcNumber->Number))
		return INVALID_PROCESSOR_INDEX;
	return ProcNumber->Number;
}
EXPORT_SYMBOL_GPL(KeGetProcessorIndexFromNumber);
