/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntdpc public interface: the Windows NT Deferred Procedure Call API for
 * Linux kernel modules.
 *
 * Names, types and numeric values follow the Windows DDK's wdm.h so that
 * NT-style driver code compiles unchanged.  A companion module includes this
 * header and links against ntdpc's Module.symvers (KBUILD_EXTRA_SYMBOLS).
 *
 * This header is the kernel's (Ke, Io) part and includes the rest, each a
 * header of its own that needs nothing of ntdpc.ko:
 *
 *   <ntdpc/sal.h>          SAL annotations (_In_, _IRQL_requires_max_, ...)
 *   <ntdpc/ntdef.h>        base types, NTSTATUS, C idioms (C_ASSERT, ...)
 *   <ntdpc/interlocked.h>  the Interlocked operations
 *   <ntdpc/ntrtl.h>        LIST_ENTRY lists, RtlZeroMemory and kin
 *   <ntdpc/ntdebug.h>      DbgPrint, KdPrint, ASSERT
 *
 * Documentation/api.rst describes every call; the kernel-doc of each exported
 * function sits next to its definition in src/.
 */
#ifndef _NTDPC_NTDDK_H
#define _NTDPC_NTDDK_H

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include <ntdpc/sal.h>
#include <ntdpc/ntdef.h>
#include <ntdpc/interlocked.h>
#include <ntdpc/ntrtl.h>
#include <ntdpc/ntdebug.h>

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/spinlock.h>

/* ---------------------------------------------------------------------- */
/* Kernel types                                                            */
/* ---------------------------------------------------------------------- */

typedef UCHAR KIRQL;
typedef u8 *PKIRQL;
typedef ULONG_PTR KAFFINITY;
typedef unsigned long *PKAFFINITY;

typedef CCHAR KPROCESSOR_MODE;
#define KernelMode	0
#define UserMode	1

typedef LONG KPRIORITY;
#define IO_NO_INCREMENT	0

typedef struct _PROCESSOR_NUMBER {
	USHORT Group;
	UCHAR Number;
	UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;

/* Opaque to ntdpc: a driver's own request packet, passed through untouched. */
typedef struct _IRP IRP, *PIRP;

/*
 * KSPIN_LOCK is a raw spinlock: NT spin locks are taken at DISPATCH_LEVEL
 * and above, where a sleeping lock (PREEMPT_RT's spinlock_t) is not allowed.
 */
typedef raw_spinlock_t KSPIN_LOCK, *PKSPIN_LOCK;

/* ---------------------------------------------------------------------- */
/* IRQL (x64 values)                                                       */
/* ---------------------------------------------------------------------- */

#define PASSIVE_LEVEL	0
#define LOW_LEVEL	0
#define APC_LEVEL	1
#define DISPATCH_LEVEL	2
#define CMCI_LEVEL	5
#define SYNCH_LEVEL	12
#define CLOCK_LEVEL	13
#define IPI_LEVEL	14
#define DRS_LEVEL	14
#define POWER_LEVEL	14
#define PROFILE_LEVEL	15
#define HIGH_LEVEL	15

/* ---------------------------------------------------------------------- */
/* DPC objects                                                             */
/* ---------------------------------------------------------------------- */

/* KOBJECTS values of the two DPC kinds. */
#define DpcObject		19
#define ThreadedDpcObject	24

typedef enum _KDPC_IMPORTANCE {
	LowImportance = 0,
	MediumImportance = 1,
	HighImportance = 2,
	MediumHighImportance = 3,
} KDPC_IMPORTANCE;

/* NT's processor limit of one group; KeSetTargetProcessorDpc stores Number + this. */
#define MAXIMUM_PROCESSORS	64

struct _KDPC;

/*
 * The role type of every DPC routine (ordinary, threaded, timer, generic
 * call), declared as the WDK does, so that "KDEFERRED_ROUTINE MyDpc;" before
 * the definition declares MyDpc with exactly this prototype.
 */
typedef
_Function_class_(KDEFERRED_ROUTINE)
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_requires_min_(DISPATCH_LEVEL)
_IRQL_requires_(DISPATCH_LEVEL)
_IRQL_requires_same_
VOID
KDEFERRED_ROUTINE(_In_ struct _KDPC *Dpc, _In_opt_ PVOID DeferredContext,
		  _In_opt_ PVOID SystemArgument1,
		  _In_opt_ PVOID SystemArgument2);
/* (The spaces around '*' keep checkpatch from reading a multiplication.) */
typedef KDEFERRED_ROUTINE * PKDEFERRED_ROUTINE;

/*
 * The fields NT documents.  Treat them as read-only outside ntdpc: DpcData is
 * the "queued" marker (NULL when not queued, else ntdpc's queue), written only
 * with atomic operations under the queue's lock.
 */
typedef struct _KDPC {
	UCHAR Type;
	UCHAR Importance;
	USHORT Number;
	LIST_ENTRY DpcListEntry;
	PKDEFERRED_ROUTINE DeferredRoutine;
	PVOID DeferredContext;
	PVOID SystemArgument1;
	PVOID SystemArgument2;
	PVOID DpcData;
	u64 NtdpcQueuedAt;	/* ntdpc's: insertion time (ns), for latency */
} KDPC, *PKDPC, *PRKDPC;

typedef ULONG LOGICAL;

VOID KeInitializeDpc(_Out_ __drv_aliasesMem PRKDPC Dpc,
		     _In_ PKDEFERRED_ROUTINE DeferredRoutine,
		     _In_opt_ __drv_aliasesMem PVOID DeferredContext);
VOID KeInitializeThreadedDpc(_Out_ PRKDPC Dpc,
			     _In_ PKDEFERRED_ROUTINE DeferredRoutine,
			     _In_opt_ PVOID DeferredContext);
_IRQL_requires_max_(HIGH_LEVEL)
BOOLEAN KeInsertQueueDpc(_Inout_ PRKDPC Dpc, _In_opt_ PVOID SystemArgument1,
			 _In_opt_ PVOID SystemArgument2);
_IRQL_requires_max_(HIGH_LEVEL)
BOOLEAN KeRemoveQueueDpc(_Inout_ PRKDPC Dpc);
VOID KeSetImportanceDpc(_Inout_ PRKDPC Dpc, _In_ KDPC_IMPORTANCE Importance);
VOID KeSetTargetProcessorDpc(_Inout_ PRKDPC Dpc, _In_ CCHAR Number);
_Must_inspect_result_
NTSTATUS KeSetTargetProcessorDpcEx(_Inout_ PKDPC Dpc,
				   _In_ PPROCESSOR_NUMBER ProcNumber);
/* NT allows APC_LEVEL; ntdpc's APC_LEVEL cannot sleep (api.rst). */
_IRQL_requires_max_(PASSIVE_LEVEL)
VOID KeFlushQueuedDpcs(void);
LOGICAL KeIsExecutingDpc(void);

/* KeGenericCallDpc: Routine runs once on every active processor. */
_IRQL_requires_max_(PASSIVE_LEVEL)
_IRQL_requires_same_
VOID KeGenericCallDpc(_In_ PKDEFERRED_ROUTINE Routine, _In_opt_ PVOID Context);
_IRQL_requires_(DISPATCH_LEVEL)
_IRQL_requires_same_
VOID KeSignalCallDpcDone(_In_ PVOID SystemArgument1);
_IRQL_requires_(DISPATCH_LEVEL)
_IRQL_requires_same_
LOGICAL KeSignalCallDpcSynchronize(_In_ PVOID SystemArgument2);

/* ---------------------------------------------------------------------- */
/* IRQL and spin locks                                                     */
/* ---------------------------------------------------------------------- */

_IRQL_requires_max_(HIGH_LEVEL)
_IRQL_saves_
KIRQL KeGetCurrentIrql(void);
_IRQL_requires_max_(HIGH_LEVEL)
_IRQL_raises_(NewIrql)
VOID KeRaiseIrql(_In_ KIRQL NewIrql, _Out_ _IRQL_saves_ PKIRQL OldIrql);
_IRQL_requires_max_(HIGH_LEVEL)
VOID KeLowerIrql(_In_ _IRQL_restores_ _Notliteral_ KIRQL NewIrql);
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_saves_
_IRQL_raises_(DISPATCH_LEVEL)
KIRQL KeRaiseIrqlToDpcLevel(void);
_IRQL_requires_max_(SYNCH_LEVEL)
_IRQL_saves_
_IRQL_raises_(SYNCH_LEVEL)
KIRQL KeRaiseIrqlToSynchLevel(void);

/*
 * NT's check at the top of code that may page, in a checked build (DBG=1):
 * above APC_LEVEL it is a bug.  Kept as NT has it, so that a ported driver
 * checks what it checked; ntdpc's APC_LEVEL cannot sleep either (api.rst).
 */
#define PAGED_CODE() \
	NT_ASSERTMSG("pageable code above APC_LEVEL", \
		     KeGetCurrentIrql() <= APC_LEVEL)
#define PAGED_CODE_LOCKED()	((void)0)

/**
 * KeInitializeSpinLock() - initialise a KSPIN_LOCK
 * @SpinLock: the lock
 *
 * A macro rather than a function so that lockdep gives every initialisation
 * site its own lock class, as it does for raw_spin_lock_init().
 */
#define KeInitializeSpinLock(SpinLock) raw_spin_lock_init(SpinLock)

typedef struct _KSPIN_LOCK_QUEUE {
	struct _KSPIN_LOCK_QUEUE *Next;
	PKSPIN_LOCK Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
	KSPIN_LOCK_QUEUE LockQueue;
	KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

/*
 * The WDK's annotations, which sparse checks (sal.h): an acquire adds one to
 * the caller's lock context, a release takes one away.
 */
_Requires_lock_not_held_(*SpinLock)
_Acquires_lock_(*SpinLock)
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_raises_(DISPATCH_LEVEL)
VOID KeAcquireSpinLock(_Inout_ PKSPIN_LOCK SpinLock,
		       _Out_ _At_(*OldIrql, _IRQL_saves_) PKIRQL OldIrql);
_Requires_lock_held_(*SpinLock)
_Releases_lock_(*SpinLock)
_IRQL_requires_(DISPATCH_LEVEL)
VOID KeReleaseSpinLock(_Inout_ PKSPIN_LOCK SpinLock,
		       _In_ _IRQL_restores_ KIRQL NewIrql);
_Requires_lock_not_held_(*SpinLock)
_Acquires_lock_(*SpinLock)
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_saves_
_IRQL_raises_(DISPATCH_LEVEL)
KIRQL KeAcquireSpinLockRaiseToDpc(_Inout_ PKSPIN_LOCK SpinLock);
_Requires_lock_not_held_(*SpinLock)
_Acquires_lock_(*SpinLock)
_IRQL_requires_min_(DISPATCH_LEVEL)
VOID KeAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_Requires_lock_held_(*SpinLock)
_Releases_lock_(*SpinLock)
_IRQL_requires_min_(DISPATCH_LEVEL)
VOID KeReleaseSpinLockFromDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_Requires_lock_not_held_(*LockHandle)
_Acquires_lock_(*LockHandle)
_Post_same_lock_(*SpinLock, *LockHandle)
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_saves_global_(QueuedSpinLock, LockHandle)
_IRQL_raises_(DISPATCH_LEVEL)
VOID KeAcquireInStackQueuedSpinLock(_Inout_ PKSPIN_LOCK SpinLock,
				    _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_Requires_lock_held_(*LockHandle)
_Releases_lock_(*LockHandle)
_IRQL_requires_(DISPATCH_LEVEL)
_IRQL_restores_global_(QueuedSpinLock, LockHandle)
VOID KeReleaseInStackQueuedSpinLock(_In_ PKLOCK_QUEUE_HANDLE LockHandle);
/* As on NT, LockHandle->OldIrql is neither written nor read. */
_Requires_lock_not_held_(*LockHandle)
_Acquires_lock_(*LockHandle)
_Post_same_lock_(*SpinLock, *LockHandle)
_IRQL_requires_min_(DISPATCH_LEVEL)
VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock,
					      _Out_ PKLOCK_QUEUE_HANDLE
					      LockHandle);
_Requires_lock_held_(*LockHandle)
_Releases_lock_(*LockHandle)
_IRQL_requires_(DISPATCH_LEVEL)
VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(_In_ PKLOCK_QUEUE_HANDLE
						LockHandle);

/* For code shared by ordinary and threaded DPCs: raise only from PASSIVE. */
_Requires_lock_not_held_(*SpinLock)
_Acquires_lock_(*SpinLock)
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_saves_
KIRQL KeAcquireSpinLockForDpc(_Inout_ PKSPIN_LOCK SpinLock);
_Requires_lock_held_(*SpinLock)
_Releases_lock_(*SpinLock)
_IRQL_requires_(DISPATCH_LEVEL)
VOID KeReleaseSpinLockForDpc(_Inout_ PKSPIN_LOCK SpinLock,
			     _In_ _IRQL_restores_ KIRQL OldIrql);
_Requires_lock_not_held_(*LockHandle)
_Acquires_lock_(*LockHandle)
_Post_same_lock_(*SpinLock, *LockHandle)
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_saves_global_(QueuedSpinLock, LockHandle)
VOID KeAcquireInStackQueuedSpinLockForDpc(_Inout_ PKSPIN_LOCK SpinLock,
					  _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_Requires_lock_held_(*LockHandle)
_Releases_lock_(*LockHandle)
_IRQL_requires_(DISPATCH_LEVEL)
_IRQL_restores_global_(QueuedSpinLock, LockHandle)
VOID KeReleaseInStackQueuedSpinLockForDpc(_In_ PKLOCK_QUEUE_HANDLE LockHandle);

/* ---------------------------------------------------------------------- */
/* Processors                                                              */
/* ---------------------------------------------------------------------- */

ULONG KeGetCurrentProcessorNumber(void);
ULONG KeGetCurrentProcessorNumberEx(_Out_opt_ PPROCESSOR_NUMBER ProcNumber);
ULONG KeQueryActiveProcessorCount(_Out_opt_ PKAFFINITY ActiveProcessors);
ULONG KeQueryActiveProcessorCountEx(_In_ USHORT GroupNumber);
KAFFINITY KeQueryActiveProcessors(void);
NTSTATUS KeGetProcessorNumberFromIndex(_In_ ULONG ProcIndex,
				       _Out_ PPROCESSOR_NUMBER ProcNumber);
ULONG KeGetProcessorIndexFromNumber(_In_ PPROCESSOR_NUMBER ProcNumber);

#define ALL_PROCESSOR_GROUPS	0xffff
#define INVALID_PROCESSOR_INDEX	0xffffffff

/* ---------------------------------------------------------------------- */
/* Device objects and DpcForIsr                                            */
/* ---------------------------------------------------------------------- */

struct _DEVICE_OBJECT;

/* The DpcForIsr's role type; IoRequestDpc()'s Irp and Context arrive here. */
typedef
_Function_class_(IO_DPC_ROUTINE)
_IRQL_always_function_min_(DISPATCH_LEVEL)
_IRQL_requires_(DISPATCH_LEVEL)
_IRQL_requires_same_
VOID
IO_DPC_ROUTINE(_In_ PKDPC Dpc, _In_ struct _DEVICE_OBJECT *DeviceObject,
	       _Inout_ struct _IRP *Irp, _In_opt_ PVOID Context);
typedef IO_DPC_ROUTINE * PIO_DPC_ROUTINE;

/*
 * The part of NT's DEVICE_OBJECT that the DPC machinery uses.  A driver
 * embeds it (or allocates it) and keeps its own state in DeviceExtension.
 * DpcForIsr is ntdpc's: IoInitializeDpcRequest() stores the routine there and
 * the device's Dpc calls it with NT's four arguments.
 */
typedef struct _DEVICE_OBJECT {
	CSHORT Type;
	USHORT Size;
	LONG ReferenceCount;		/* held by queued work items */
	PVOID DeviceExtension;
	KDPC Dpc;
	PIO_DPC_ROUTINE DpcForIsr;
} DEVICE_OBJECT, *PDEVICE_OBJECT;

VOID IoInitializeDpcRequest(_In_ PDEVICE_OBJECT DeviceObject,
			    _In_ PIO_DPC_ROUTINE DpcRoutine);

/**
 * IoRequestDpc() - queue a device's DpcForIsr from its interrupt handler
 * @DeviceObject: the device whose Dpc was set up by IoInitializeDpcRequest()
 * @Irp: passed to DpcForIsr as its third argument
 * @Context: passed to DpcForIsr as its fourth argument
 *
 * As on NT, several requests before the DpcForIsr runs give one call: the
 * later ones find the Dpc queued and change nothing.
 */
static inline VOID IoRequestDpc(_Inout_ PDEVICE_OBJECT DeviceObject,
				_In_opt_ PIRP Irp, _In_opt_ PVOID Context)
{
	KeInsertQueueDpc(&DeviceObject->Dpc, Irp, Context);
}

/* ---------------------------------------------------------------------- */
/* DPC watchdog                                                            */
/* ---------------------------------------------------------------------- */

/*
 * ntdpc's units: DpcTimeLimit/DpcTimeCount in microseconds (the
 * dpc_time_limit_us parameter), DpcWatchdogLimit/DpcWatchdogCount in
 * milliseconds (dpc_watchdog_limit_ms).  A limit of 0 means off.
 */
typedef struct _KDPC_WATCHDOG_INFORMATION {
	ULONG DpcTimeLimit;
	ULONG DpcTimeCount;
	ULONG DpcWatchdogLimit;
	ULONG DpcWatchdogCount;
	ULONG Reserved;
} KDPC_WATCHDOG_INFORMATION, *PKDPC_WATCHDOG_INFORMATION;

_IRQL_requires_(DISPATCH_LEVEL)
NTSTATUS KeQueryDpcWatchdogInformation(_Out_ PKDPC_WATCHDOG_INFORMATION
				       WatchdogInformation);
_IRQL_requires_(DISPATCH_LEVEL)
LOGICAL KeShouldYieldProcessor(void);

/* ---------------------------------------------------------------------- */
/* Dispatcher objects: events and timers                                  */
/* ---------------------------------------------------------------------- */

/* KOBJECTS values of the dispatcher objects ntdpc provides. */
#define EventNotificationObject		0
#define EventSynchronizationObject	1
#define TimerNotificationObject		8
#define TimerSynchronizationObject	9

typedef enum _EVENT_TYPE {
	NotificationEvent,
	SynchronizationEvent,
} EVENT_TYPE;

typedef enum _TIMER_TYPE {
	NotificationTimer,
	SynchronizationTimer,
} TIMER_TYPE;

typedef enum _KWAIT_REASON {
	Executive = 0,
} KWAIT_REASON;

/*
 * Common head of events and timers.  WaitListHead holds ntdpc's waiters and
 * NtdpcLock guards it and SignalState: a raw lock, since events are set from
 * interrupt handlers, timer expiries and under KSPIN_LOCKs, where a sleeping
 * lock (PREEMPT_RT's spinlock_t, and so a wait queue's) may not be taken.
 * Read-only outside ntdpc.
 */
typedef struct _DISPATCHER_HEADER {
	UCHAR Type;
	UCHAR Reserved[3];
	LONG SignalState;
	LIST_ENTRY WaitListHead;
	raw_spinlock_t NtdpcLock;
} DISPATCHER_HEADER;

typedef struct _KEVENT {
	DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

/*
 * NT's KTIMER fields, then ntdpc's own (an hrtimer and its state), which
 * companion code must not touch.
 */
typedef struct _KTIMER {
	DISPATCHER_HEADER Header;
	ULARGE_INTEGER DueTime;		/* interrupt time of the next expiry */
	LIST_ENTRY TimerListEntry;
	struct _KDPC *Dpc;
	ULONG Period;			/* ms, 0 = one-shot */
	BOOLEAN Inserted;		/* set and not yet expired or cancelled */
	raw_spinlock_t NtdpcLock;
	struct hrtimer NtdpcTimer;
} KTIMER, *PKTIMER, *PRKTIMER;

VOID KeInitializeEvent(_Out_ PRKEVENT Event, _In_ EVENT_TYPE Type,
		       _In_ BOOLEAN State);
_IRQL_requires_max_(DISPATCH_LEVEL)
LONG KeSetEvent(_Inout_ PRKEVENT Event, _In_ KPRIORITY Increment,
		_In_ _Literal_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID KeClearEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL)
LONG KeResetEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL)
LONG KeReadStateEvent(_In_ PRKEVENT Event);
/* NT allows a waiting wait at APC_LEVEL; ntdpc's APC_LEVEL cannot sleep. */
_When_(!Timeout || Timeout->QuadPart, _IRQL_requires_max_(PASSIVE_LEVEL))
_When_(Timeout && !Timeout->QuadPart, _IRQL_requires_max_(DISPATCH_LEVEL))
NTSTATUS KeWaitForSingleObject(_In_ _Points_to_data_ PVOID Object,
			       _In_ KWAIT_REASON WaitReason,
			       _In_ KPROCESSOR_MODE WaitMode,
			       _In_ BOOLEAN Alertable,
			       _In_opt_ PLARGE_INTEGER Timeout);

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID KeInitializeTimer(_Out_ PKTIMER Timer);
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID KeInitializeTimerEx(_Out_ PKTIMER Timer, _In_ TIMER_TYPE Type);
_IRQL_requires_max_(DISPATCH_LEVEL)
BOOLEAN KeSetTimer(_Inout_ PKTIMER Timer, _In_ LARGE_INTEGER DueTime,
		   _In_opt_ PKDPC Dpc);
_IRQL_requires_max_(DISPATCH_LEVEL)
BOOLEAN KeSetTimerEx(_Inout_ PKTIMER Timer, _In_ LARGE_INTEGER DueTime,
		     _In_ LONG Period, _In_opt_ PKDPC Dpc);
_IRQL_requires_max_(DISPATCH_LEVEL)
BOOLEAN KeCancelTimer(_Inout_ PKTIMER Timer);
_IRQL_requires_max_(DISPATCH_LEVEL)
BOOLEAN KeReadStateTimer(_In_ PKTIMER Timer);

/* Time in NT's units: 100 ns.  System time counts from 1601-01-01 UTC. */
ULONGLONG KeQueryInterruptTime(void);
ULONGLONG KeQueryInterruptTimePrecise(_Out_ PULONGLONG QpcTimeStamp);
VOID KeQuerySystemTime(_Out_ PLARGE_INTEGER CurrentTime);
VOID KeQuerySystemTimePrecise(_Out_ PLARGE_INTEGER CurrentTime);

/**
 * KeQueryPerformanceCounter() - a high-resolution monotonic count
 * @PerformanceFrequency: if not NULL, receives the counts per second
 *
 * The count is nanoseconds of the monotonic clock (frequency 10^9), the
 * clock KeQueryInterruptTimePrecise() stamps its QpcTimeStamp with.  NT's
 * frequency depends on the machine (often 10 MHz): code that uses the one
 * returned, as NT asks, works unchanged.
 *
 * Return: the count.
 */
static inline LARGE_INTEGER
KeQueryPerformanceCounter(_Out_opt_ PLARGE_INTEGER PerformanceFrequency)
{
	LARGE_INTEGER now;

	if (PerformanceFrequency)
		PerformanceFrequency->QuadPart = NSEC_PER_SEC;
	now.QuadPart = ktime_get_ns();
	return now;
}

/**
 * KeQueryTickCount() - clock ticks since boot
 * @CurrentCount: receives the count
 *
 * A tick is a jiffy (1/HZ s: 4 ms on Debian's kernels, NT's is usually
 * 15.625 ms); KeQueryTimeIncrement() gives its length.
 */
static inline VOID KeQueryTickCount(_Out_ PLARGE_INTEGER CurrentCount)
{
	CurrentCount->QuadPart = get_jiffies_64() - INITIAL_JIFFIES;
}

/**
 * KeQueryTimeIncrement() - the length of a KeQueryTickCount() tick
 *
 * Return: 100 ns units per tick, rounded down if HZ does not divide 10^7.
 */
static inline ULONG KeQueryTimeIncrement(void)
{
	return 10000000 / HZ;
}

/**
 * KeStallExecutionProcessor() - busy-wait
 * @MicroSeconds: how long
 *
 * udelay(), in steps of a millisecond, which it takes without overflow.
 * As on NT, for short waits (NT suggests at most 50 us), at any IRQL.
 */
static inline VOID KeStallExecutionProcessor(_In_ ULONG MicroSeconds)
{
	while (MicroSeconds) {
		ULONG Step = MicroSeconds > USEC_PER_MSEC ? USEC_PER_MSEC :
							    MicroSeconds;

		udelay(Step);
		MicroSeconds -= Step;
	}
}

/* ---------------------------------------------------------------------- */
/* Work items                                                              */
/* ---------------------------------------------------------------------- */

typedef enum _WORK_QUEUE_TYPE {
	CriticalWorkQueue = 0,
	DelayedWorkQueue = 1,
	HyperCriticalWorkQueue = 2,
} WORK_QUEUE_TYPE;

typedef struct _IO_WORKITEM IO_WORKITEM, *PIO_WORKITEM;	/* opaque */

/* The two work-item role types: both run at PASSIVE_LEVEL and may sleep. */
typedef
_Function_class_(IO_WORKITEM_ROUTINE)
_IRQL_requires_(PASSIVE_LEVEL)
_IRQL_requires_same_
VOID
IO_WORKITEM_ROUTINE(_In_ PDEVICE_OBJECT DeviceObject, _In_opt_ PVOID Context);
typedef IO_WORKITEM_ROUTINE * PIO_WORKITEM_ROUTINE;

typedef
_Function_class_(IO_WORKITEM_ROUTINE_EX)
_IRQL_requires_(PASSIVE_LEVEL)
_IRQL_requires_same_
VOID
IO_WORKITEM_ROUTINE_EX(_In_ PVOID IoObject, _In_opt_ PVOID Context,
		       _In_ PIO_WORKITEM IoWorkItem);
typedef IO_WORKITEM_ROUTINE_EX * PIO_WORKITEM_ROUTINE_EX;

_Must_inspect_result_
__drv_allocatesMem(Mem)
_IRQL_requires_max_(DISPATCH_LEVEL)
PIO_WORKITEM IoAllocateWorkItem(_In_ PDEVICE_OBJECT DeviceObject);
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID IoFreeWorkItem(_In_ __drv_freesMem(Mem) PIO_WORKITEM IoWorkItem);
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID IoQueueWorkItem(_Inout_ __drv_aliasesMem PIO_WORKITEM IoWorkItem,
		     _In_ PIO_WORKITEM_ROUTINE WorkerRoutine,
		     _In_ WORK_QUEUE_TYPE QueueType,
		     _In_opt_ __drv_aliasesMem PVOID Context);
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID IoQueueWorkItemEx(_Inout_ __drv_aliasesMem PIO_WORKITEM IoWorkItem,
		       _In_ PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
		       _In_ WORK_QUEUE_TYPE QueueType,
		       _In_opt_ __drv_aliasesMem PVOID Context);

#endif /* _NTDPC_NTDDK_H */
