/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntdpc public interface: the Windows NT Deferred Procedure Call API for
 * Linux kernel modules.
 *
 * Names, types and numeric values follow the Windows DDK's wdm.h so that
 * NT-style driver code compiles unchanged.  A companion module includes this
 * header and links against ntdpc's Module.symvers (KBUILD_EXTRA_SYMBOLS).
 *
 * Documentation/api.rst describes every call; the kernel-doc of each exported
 * function sits next to its definition in src/.
 */
#ifndef _NTDPC_NTDDK_H
#define _NTDPC_NTDDK_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

/* ---------------------------------------------------------------------- */
/* Basic NT types                                                          */
/* ---------------------------------------------------------------------- */

#ifndef VOID
#define VOID void
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef u8 UCHAR;
typedef u16 USHORT;
typedef s16 CSHORT;
typedef u32 ULONG;
typedef s32 LONG;
typedef s64 LONGLONG;
typedef u64 ULONGLONG;
typedef char CCHAR;
typedef UCHAR BOOLEAN;
typedef void *PVOID;
typedef unsigned long ULONG_PTR;
typedef u32 *PULONG;
typedef u64 *PULONGLONG;
typedef u8 *PBOOLEAN;

typedef UCHAR KIRQL;
typedef u8 *PKIRQL;
typedef ULONG_PTR KAFFINITY;
typedef unsigned long *PKAFFINITY;

typedef LONG NTSTATUS;

#define STATUS_SUCCESS			((NTSTATUS)0x00000000L)
#define STATUS_WAIT_0			((NTSTATUS)0x00000000L)
#define STATUS_TIMEOUT			((NTSTATUS)0x00000102L)
#define STATUS_UNSUCCESSFUL		((NTSTATUS)0xC0000001L)
#define STATUS_INVALID_PARAMETER	((NTSTATUS)0xC000000DL)
#define STATUS_INVALID_DEVICE_STATE	((NTSTATUS)0xC0000184L)
#define NT_SUCCESS(Status)		(((NTSTATUS)(Status)) >= 0)

typedef CCHAR KPROCESSOR_MODE;
#define KernelMode	0
#define UserMode	1

typedef LONG KPRIORITY;
#define IO_NO_INCREMENT	0

typedef union _LARGE_INTEGER {
	struct {
		ULONG LowPart;
		LONG HighPart;
	};
	LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
	struct {
		ULONG LowPart;
		ULONG HighPart;
	};
	ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

/* Same layout as struct list_head: Flink is next, Blink is prev. */
typedef struct _LIST_ENTRY {
	struct _LIST_ENTRY *Flink;
	struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

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
/* Interlocked operations (full barriers, like NT's)                      */
/* ---------------------------------------------------------------------- */

static inline LONG InterlockedIncrement(LONG *Addend)
{
	return atomic_inc_return((atomic_t *)Addend);
}

static inline LONG InterlockedDecrement(LONG *Addend)
{
	return atomic_dec_return((atomic_t *)Addend);
}

static inline LONG InterlockedExchange(LONG *Target, LONG Value)
{
	return atomic_xchg((atomic_t *)Target, Value);
}

static inline LONG InterlockedExchangeAdd(LONG *Addend, LONG Value)
{
	return atomic_fetch_add(Value, (atomic_t *)Addend);
}

static inline LONG InterlockedCompareExchange(LONG *Destination,
					      LONG Exchange, LONG Comperand)
{
	return atomic_cmpxchg((atomic_t *)Destination, Comperand, Exchange);
}

static inline PVOID InterlockedCompareExchangePointer(PVOID *Destination,
						      PVOID Exchange,
						      PVOID Comperand)
{
	return cmpxchg(Destination, Comperand, Exchange);
}

static inline PVOID InterlockedExchangePointer(PVOID *Target, PVOID Value)
{
	return xchg(Target, Value);
}

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

typedef VOID KDEFERRED_ROUTINE(struct _KDPC *Dpc, PVOID DeferredContext,
			       PVOID SystemArgument1, PVOID SystemArgument2);
typedef void (*PKDEFERRED_ROUTINE)(struct _KDPC *Dpc, PVOID DeferredContext,
				   PVOID SystemArgument1, PVOID SystemArgument2);

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

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
		     PVOID DeferredContext);
VOID KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
			     PVOID DeferredContext);
BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1,
			 PVOID SystemArgument2);
BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc);
VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance);
VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number);
NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber);
VOID KeFlushQueuedDpcs(void);
LOGICAL KeIsExecutingDpc(void);

/* KeGenericCallDpc: Routine runs once on every active processor. */
VOID KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context);
VOID KeSignalCallDpcDone(PVOID SystemArgument1);
LOGICAL KeSignalCallDpcSynchronize(PVOID SystemArgument2);

/* ---------------------------------------------------------------------- */
/* IRQL and spin locks                                                     */
/* ---------------------------------------------------------------------- */

KIRQL KeGetCurrentIrql(void);
VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
VOID KeLowerIrql(KIRQL NewIrql);
KIRQL KeRaiseIrqlToDpcLevel(void);
KIRQL KeRaiseIrqlToSynchLevel(void);

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

VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
	__acquires(SpinLock);
VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
	__releases(SpinLock);
KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) __acquires(SpinLock);
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) __acquires(SpinLock);
VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
	__releases(SpinLock);
VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock,
				    PKLOCK_QUEUE_HANDLE LockHandle)
	__acquires(SpinLock);
VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
	__releases(LockHandle);
VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
					      PKLOCK_QUEUE_HANDLE LockHandle)
	__acquires(SpinLock);
VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
	__releases(LockHandle);

/* For code shared by ordinary and threaded DPCs: raise only from PASSIVE. */
KIRQL KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock) __acquires(SpinLock);
VOID KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql)
	__releases(SpinLock);
VOID KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock,
					  PKLOCK_QUEUE_HANDLE LockHandle)
	__acquires(SpinLock);
VOID KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle)
	__releases(LockHandle);

/* ---------------------------------------------------------------------- */
/* Processors                                                              */
/* ---------------------------------------------------------------------- */

ULONG KeGetCurrentProcessorNumber(void);
ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber);
ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors);
ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber);
KAFFINITY KeQueryActiveProcessors(void);
NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex,
				       PPROCESSOR_NUMBER ProcNumber);
ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber);

#define ALL_PROCESSOR_GROUPS	0xffff
#define INVALID_PROCESSOR_INDEX	0xffffffff

/* ---------------------------------------------------------------------- */
/* Device objects and DpcForIsr                                            */
/* ---------------------------------------------------------------------- */

struct _DEVICE_OBJECT;

typedef VOID IO_DPC_ROUTINE(PKDPC Dpc, struct _DEVICE_OBJECT *DeviceObject,
			    PIRP Irp, PVOID Context);
typedef void (*PIO_DPC_ROUTINE)(PKDPC Dpc, struct _DEVICE_OBJECT *DeviceObject,
				PIRP Irp, PVOID Context);

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

VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject,
			    PIO_DPC_ROUTINE DpcRoutine);

/**
 * IoRequestDpc() - queue a device's DpcForIsr from its interrupt handler
 * @DeviceObject: the device whose Dpc was set up by IoInitializeDpcRequest()
 * @Irp: passed to DpcForIsr as its third argument
 * @Context: passed to DpcForIsr as its fourth argument
 *
 * As on NT, several requests before the DpcForIsr runs give one call: the
 * later ones find the Dpc queued and change nothing.
 */
static inline void IoRequestDpc(PDEVICE_OBJECT DeviceObject, PIRP Irp,
				PVOID Context)
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

NTSTATUS KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION
				       WatchdogInformation);
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
 * Common head of events and timers.  WaitListHead is Linux's wait queue; its
 * lock also guards SignalState.  Read-only outside ntdpc.
 */
typedef struct _DISPATCHER_HEADER {
	UCHAR Type;
	UCHAR Reserved[3];
	LONG SignalState;
	wait_queue_head_t WaitListHead;
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

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
VOID KeClearEvent(PRKEVENT Event);
LONG KeResetEvent(PRKEVENT Event);
LONG KeReadStateEvent(PRKEVENT Event);
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
			       KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
			       PLARGE_INTEGER Timeout);

VOID KeInitializeTimer(PKTIMER Timer);
VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc);
BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period,
		     PKDPC Dpc);
BOOLEAN KeCancelTimer(PKTIMER Timer);
BOOLEAN KeReadStateTimer(PKTIMER Timer);

/* Time in NT's units: 100 ns.  System time counts from 1601-01-01 UTC. */
ULONGLONG KeQueryInterruptTime(void);
ULONGLONG KeQueryInterruptTimePrecise(PULONGLONG QpcTimeStamp);
VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);

/* ---------------------------------------------------------------------- */
/* Work items                                                              */
/* ---------------------------------------------------------------------- */

typedef enum _WORK_QUEUE_TYPE {
	CriticalWorkQueue = 0,
	DelayedWorkQueue = 1,
	HyperCriticalWorkQueue = 2,
} WORK_QUEUE_TYPE;

typedef struct _IO_WORKITEM IO_WORKITEM, *PIO_WORKITEM;	/* opaque */

typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef void (*PIO_WORKITEM_ROUTINE)(PDEVICE_OBJECT DeviceObject,
				     PVOID Context);
typedef VOID IO_WORKITEM_ROUTINE_EX(PVOID IoObject, PVOID Context,
				    PIO_WORKITEM IoWorkItem);
typedef void (*PIO_WORKITEM_ROUTINE_EX)(PVOID IoObject, PVOID Context,
					PIO_WORKITEM IoWorkItem);

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);
VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem);
VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem,
		     PIO_WORKITEM_ROUTINE WorkerRoutine,
		     WORK_QUEUE_TYPE QueueType, PVOID Context);
VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem,
		       PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
		       WORK_QUEUE_TYPE QueueType, PVOID Context);

#endif /* _NTDPC_NTDDK_H */
