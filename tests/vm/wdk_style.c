// SPDX-License-Identifier: GPL-2.0
/*
 * wdk_style: a companion written the way the WDK's samples write DPC, timer
 * and work-item code (SAL on every routine, routines declared through their
 * role types, IN/OUT, DbgPrint and KdPrint, the LIST_ENTRY routines,
 * Interlocked on volatile LONGs), built against <ntdpc/ntddk.h> alone with
 * -Werror and DBG=1, a checked build (tests/vm/Kbuild).  That it builds is
 * half the test; on load it checks what it did and prints a line per check,
 *
 *   "wdk_style: PASS <check>"  or  "wdk_style: FAIL <check>: <details>"
 *
 * then one result line, "wdk_style: result ok, N checks" or
 * "wdk_style: result FAILED, F of N checks".  tests/vm/modules.sh asserts the
 * result line, KdPrint's output and the printk level of each DbgPrintEx
 * Level (the "wdk_style: level ..." lines).
 */
#include <linux/module.h>
#include <ntdpc/ntddk.h>

#define WDK_WAIT_100NS	(-50000000LL)	/* 5 s, relative */

typedef struct _WDK_RECORD {
	LIST_ENTRY ListEntry;
	ULONG Sequence;
} WDK_RECORD, *PWDK_RECORD;

/*
 * volatile is spelled __volatile__, GCC's other name for it, only because
 * checkpatch refuses the keyword; the type is a WDK driver's volatile LONG.
 */
typedef struct _DEVICE_EXTENSION {
	KSPIN_LOCK Lock;

	_Guarded_by_(Lock) LIST_ENTRY RecordList;
	WDK_RECORD DpcRecord;

	KDPC Dpc;
	KEVENT DpcDone;
	/* Counted by the routine, read by the thread that queued it. */
	__volatile__ LONG DpcRuns;
	KIRQL DpcIrql;
	BOOLEAN DpcAtDispatch;
	PKDPC DpcSeen;
	PVOID ContextSeen;
	PVOID Argument1Seen;
	PVOID Argument2Seen;
	LOGICAL DpcExecuting;
	KIRQL AtDpcOldIrql;
	PKSPIN_LOCK AtDpcLock;
	KIRQL ForDpcOldIrql;

	KTIMER Timer;
	KDPC TimerDpc;
	KEVENT TimerDone;
	KIRQL TimerIrql;
	LONGLONG TimerExpiry;

	KEVENT IsrDpcDone;
	/* As DpcRuns. */
	__volatile__ LONG IsrDpcRuns;
	KIRQL IsrDpcIrql;
	PDEVICE_OBJECT IsrDeviceSeen;
	PIRP IsrIrpSeen;
	PVOID IsrContextSeen;

	PIO_WORKITEM WorkItem;
	KEVENT WorkDone;
	KIRQL WorkIrql;
	PDEVICE_OBJECT WorkDeviceSeen;
	PVOID WorkContextSeen;
	NTSTATUS WorkWaitStatus;

	PIO_WORKITEM WorkItemEx;
	KEVENT WorkExDone;
	KIRQL WorkExIrql;
	PVOID WorkExObjectSeen;
	PIO_WORKITEM WorkExItemSeen;
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;

C_ASSERT(sizeof(LONG) == 4 && sizeof(ULONG) == 4);
C_ASSERT(FIELD_OFFSET(WDK_RECORD, ListEntry) == 0);

static DEVICE_OBJECT WdkDevice;
static DEVICE_EXTENSION WdkExtension;
static ULONG WdkChecks, WdkFailures;

/* Fake packet pointers: ntdpc passes them through, nothing reads them. */
#define WDK_IRP1	((PIRP)(ULONG_PTR)0x1111000)
#define WDK_IRP2	((PIRP)(ULONG_PTR)0x2222000)
#define WDK_ARG1	((PVOID)(ULONG_PTR)0xa1)
#define WDK_ARG2	((PVOID)(ULONG_PTR)0xa2)

/* ---------------------------------------------------------------------- */
/* Reporting, through DbgPrintEx                                           */
/* ---------------------------------------------------------------------- */

static __printf(3, 4) VOID
WdkReport(IN PCSTR Name, IN BOOLEAN Passed, IN PCSTR Format, ...)
{
	CHAR Prefix[80];
	va_list Arguments;

	WdkChecks++;
	if (Passed) {
		DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL,
			   "wdk_style: PASS %s\n", Name);
		return;
	}
	WdkFailures++;
	snprintf(Prefix, sizeof(Prefix), "wdk_style: FAIL %s: ", Name);
	va_start(Arguments, Format);
	vDbgPrintExWithPrefix(Prefix, DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
			      Format, Arguments);
	va_end(Arguments);
}

#define WDK_CHECK(Name, Condition, Format, ...) \
	WdkReport((Name), (BOOLEAN)!!(Condition), Format "\n", ##__VA_ARGS__)

FORCEINLINE
BOOLEAN
WdkAtDispatchLevel(VOID)
{
	return KeGetCurrentIrql() == DISPATCH_LEVEL;
}

_IRQL_requires_(PASSIVE_LEVEL)
static NTSTATUS
WdkWait(_In_ PKEVENT Event)
{
	LARGE_INTEGER Timeout;

	Timeout.QuadPart = WDK_WAIT_100NS;
	return KeWaitForSingleObject(Event, Executive, KernelMode, FALSE,
				     &Timeout);
}

/*
 * A driver's own lock wrappers, annotated for the WDK's code analysis.
 * sparse checks these annotations (scripts/lint.sh runs it on this file):
 * without them it reports both wrappers as a context imbalance.
 */
_Requires_lock_not_held_(Extension->Lock)
_Acquires_lock_(Extension->Lock)
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_raises_(DISPATCH_LEVEL)
static VOID
WdkLockExtension(_Inout_ PDEVICE_EXTENSION Extension,
		 _Out_ _At_(*OldIrql, _IRQL_saves_) PKIRQL OldIrql)
{
	KeAcquireSpinLock(&Extension->Lock, OldIrql);
}

_Requires_lock_held_(Extension->Lock)
_Releases_lock_(Extension->Lock)
_IRQL_requires_(DISPATCH_LEVEL)
static VOID
WdkUnlockExtension(_Inout_ PDEVICE_EXTENSION Extension,
		   _In_ _IRQL_restores_ KIRQL OldIrql)
{
	KeReleaseSpinLock(&Extension->Lock, OldIrql);
}

/* ---------------------------------------------------------------------- */
/* The routines, declared through their role types                         */
/* ---------------------------------------------------------------------- */

KDEFERRED_ROUTINE SampleDpcRoutine;
static KDEFERRED_ROUTINE WdkTimerDpcRoutine;
static IO_DPC_ROUTINE WdkDpcForIsr;
static IO_WORKITEM_ROUTINE WdkWorkItemRoutine;
static IO_WORKITEM_ROUTINE_EX WdkWorkItemExRoutine;

_Use_decl_annotations_
VOID
SampleDpcRoutine(_In_ struct _KDPC *Dpc, _In_opt_ PVOID DeferredContext,
		 _In_opt_ PVOID SystemArgument1, _In_opt_ PVOID SystemArgument2)
{
	PDEVICE_EXTENSION Extension = (PDEVICE_EXTENSION)DeferredContext;
	KLOCK_QUEUE_HANDLE LockHandle;

	Extension->DpcIrql = KeGetCurrentIrql();
	Extension->DpcAtDispatch = WdkAtDispatchLevel();
	Extension->DpcSeen = Dpc;
	Extension->ContextSeen = DeferredContext;
	Extension->Argument1Seen = SystemArgument1;
	Extension->Argument2Seen = SystemArgument2;
	Extension->DpcExecuting = KeIsExecutingDpc();

	/*
	 * NT leaves OldIrql alone in the AtDpcLevel acquire: a value that is
	 * no IRQL must survive the pair.
	 */
	LockHandle.OldIrql = 0x5a;
	KeAcquireInStackQueuedSpinLockAtDpcLevel(&Extension->Lock, &LockHandle);
	InsertTailList(&Extension->RecordList, &Extension->DpcRecord.ListEntry);
	KeReleaseInStackQueuedSpinLockFromDpcLevel(&LockHandle);
	Extension->AtDpcOldIrql = LockHandle.OldIrql;
	Extension->AtDpcLock = LockHandle.LockQueue.Lock;

	/* The ForDpc acquire records the IRQL its release restores. */
	KeAcquireInStackQueuedSpinLockForDpc(&Extension->Lock, &LockHandle);
	Extension->ForDpcOldIrql = LockHandle.OldIrql;
	KeReleaseInStackQueuedSpinLockForDpc(&LockHandle);

	/* The slow part belongs at PASSIVE_LEVEL. */
	IoQueueWorkItem(Extension->WorkItem, WdkWorkItemRoutine,
			DelayedWorkQueue, Extension);
	InterlockedIncrement(&Extension->DpcRuns);
	KeSetEvent(&Extension->DpcDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID NTAPI
WdkTimerDpcRoutine(IN PKDPC Dpc, IN PVOID DeferredContext OPTIONAL,
		   IN PVOID SystemArgument1 OPTIONAL,
		   IN PVOID SystemArgument2 OPTIONAL)
{
	PDEVICE_EXTENSION Extension = DeferredContext;
	LARGE_INTEGER Expiry;

	UNREFERENCED_PARAMETER(Dpc);

	/* A timer's DPC gets the expiry's system time, low part first. */
	Expiry.LowPart = (ULONG)(ULONG_PTR)SystemArgument1;
	Expiry.HighPart = (LONG)(ULONG_PTR)SystemArgument2;
	Extension->TimerExpiry = Expiry.QuadPart;
	Extension->TimerIrql = KeGetCurrentIrql();
	KeSetEvent(&Extension->TimerDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID
WdkDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	PDEVICE_EXTENSION Extension = DeviceObject->DeviceExtension;

	UNREFERENCED_PARAMETER(Dpc);

	Extension->IsrDpcIrql = KeGetCurrentIrql();
	Extension->IsrDeviceSeen = DeviceObject;
	Extension->IsrIrpSeen = Irp;
	Extension->IsrContextSeen = Context;
	InterlockedIncrement(&Extension->IsrDpcRuns);
	KeSetEvent(&Extension->IsrDpcDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID
WdkWorkItemRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	PDEVICE_EXTENSION Extension = Context;
	LARGE_INTEGER Timeout;
	KEVENT Never;

	PAGED_CODE();

	Extension->WorkIrql = KeGetCurrentIrql();
	Extension->WorkDeviceSeen = DeviceObject;
	Extension->WorkContextSeen = Context;

	/* A work item may wait: 1 ms on an event nobody sets. */
	KeInitializeEvent(&Never, NotificationEvent, FALSE);
	Timeout.QuadPart = -10000;
	Extension->WorkWaitStatus = KeWaitForSingleObject(&Never, Executive,
							  KernelMode, FALSE,
							  &Timeout);
	KeSetEvent(&Extension->WorkDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID
WdkWorkItemExRoutine(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem)
{
	PDEVICE_EXTENSION Extension = Context;

	PAGED_CODE();

	Extension->WorkExIrql = KeGetCurrentIrql();
	Extension->WorkExObjectSeen = IoObject;
	Extension->WorkExItemSeen = IoWorkItem;
	KeSetEvent(&Extension->WorkExDone, IO_NO_INCREMENT, FALSE);
}

/* ---------------------------------------------------------------------- */
/* The checks                                                              */
/* ---------------------------------------------------------------------- */

_IRQL_requires_(PASSIVE_LEVEL)
static VOID
WdkCheckDpc(_Inout_ PDEVICE_EXTENSION Extension)
{
	NTSTATUS Status;

	KeInitializeDpc(&Extension->Dpc, SampleDpcRoutine, Extension);
	WDK_CHECK("dpc-inserted",
		  KeInsertQueueDpc(&Extension->Dpc, WDK_ARG1, WDK_ARG2),
		  "KeInsertQueueDpc returned FALSE");
	Status = WdkWait(&Extension->DpcDone);
	WDK_CHECK("dpc-ran", Status == STATUS_SUCCESS &&
		  Extension->DpcRuns == 1,
		  "wait 0x%x, runs %d", Status, Extension->DpcRuns);
	WDK_CHECK("dpc-irql", Extension->DpcIrql == DISPATCH_LEVEL &&
		  Extension->DpcAtDispatch, "IRQL %u", Extension->DpcIrql);
	WDK_CHECK("dpc-arguments",
		  Extension->DpcSeen == &Extension->Dpc &&
		  Extension->ContextSeen == Extension &&
		  Extension->Argument1Seen == WDK_ARG1 &&
		  Extension->Argument2Seen == WDK_ARG2,
		  "Dpc %p Context %p Arguments %p %p",
		  Extension->DpcSeen, Extension->ContextSeen,
		  Extension->Argument1Seen, Extension->Argument2Seen);
	WDK_CHECK("dpc-executing", Extension->DpcExecuting,
		  "KeIsExecutingDpc() was 0 inside the routine");
	WDK_CHECK("instack-atdpclevel-oldirql",
		  Extension->AtDpcOldIrql == 0x5a &&
		  Extension->AtDpcLock == &Extension->Lock,
		  "OldIrql 0x%x (want 0x5a untouched), Lock %p",
		  Extension->AtDpcOldIrql, Extension->AtDpcLock);
	WDK_CHECK("instack-fordpc-oldirql",
		  Extension->ForDpcOldIrql == DISPATCH_LEVEL,
		  "OldIrql %u", Extension->ForDpcOldIrql);
	WDK_CHECK("dpc-list", !IsListEmpty(&Extension->RecordList) &&
		  Extension->RecordList.Flink ==
		  &Extension->DpcRecord.ListEntry,
		  "the DPC's record is not on the list");
}

_IRQL_requires_(PASSIVE_LEVEL)
static VOID
WdkCheckWorkItems(_Inout_ PDEVICE_EXTENSION Extension)
{
	NTSTATUS Status;

	/* Queued by SampleDpcRoutine, at DISPATCH_LEVEL. */
	Status = WdkWait(&Extension->WorkDone);
	WDK_CHECK("workitem-ran", Status == STATUS_SUCCESS, "wait 0x%x",
		  Status);
	WDK_CHECK("workitem-passive", Extension->WorkIrql == PASSIVE_LEVEL,
		  "IRQL %u", Extension->WorkIrql);
	WDK_CHECK("workitem-arguments",
		  Extension->WorkDeviceSeen == &WdkDevice &&
		  Extension->WorkContextSeen == Extension,
		  "DeviceObject %p Context %p", Extension->WorkDeviceSeen,
		  Extension->WorkContextSeen);
	WDK_CHECK("workitem-waits", Extension->WorkWaitStatus == STATUS_TIMEOUT,
		  "1 ms wait gave 0x%x", Extension->WorkWaitStatus);

	IoQueueWorkItemEx(Extension->WorkItemEx, WdkWorkItemExRoutine,
			  CriticalWorkQueue, Extension);
	Status = WdkWait(&Extension->WorkExDone);
	WDK_CHECK("workitem-ex",
		  Status == STATUS_SUCCESS &&
		  Extension->WorkExIrql == PASSIVE_LEVEL &&
		  Extension->WorkExObjectSeen == &WdkDevice &&
		  Extension->WorkExItemSeen == Extension->WorkItemEx,
		  "wait 0x%x IRQL %u IoObject %p IoWorkItem %p", Status,
		  Extension->WorkExIrql, Extension->WorkExObjectSeen,
		  Extension->WorkExItemSeen);
}

_IRQL_requires_(PASSIVE_LEVEL)
static VOID
WdkCheckTimer(_Inout_ PDEVICE_EXTENSION Extension)
{
	LARGE_INTEGER DueTime, Before, After;
	NTSTATUS Status;

	KeInitializeTimerEx(&Extension->Timer, NotificationTimer);
	KeInitializeDpc(&Extension->TimerDpc, WdkTimerDpcRoutine, Extension);
	KeQuerySystemTime(&Before);
	DueTime.QuadPart = -100000;	/* 10 ms */
	WDK_CHECK("timer-set", !KeSetTimer(&Extension->Timer, DueTime,
					   &Extension->TimerDpc),
		  "KeSetTimer said the timer was already set");
	Status = WdkWait(&Extension->TimerDone);
	KeQuerySystemTime(&After);
	WDK_CHECK("timer-dpc", Status == STATUS_SUCCESS &&
		  Extension->TimerIrql == DISPATCH_LEVEL,
		  "wait 0x%x IRQL %u", Status, Extension->TimerIrql);
	WDK_CHECK("timer-expiry-time",
		  Extension->TimerExpiry >= Before.QuadPart + 100000 &&
		  Extension->TimerExpiry <= After.QuadPart,
		  "expiry %lld, set at %lld, seen at %lld",
		  Extension->TimerExpiry, Before.QuadPart, After.QuadPart);
	WDK_CHECK("timer-signalled", KeReadStateTimer(&Extension->Timer),
		  "KeReadStateTimer FALSE after expiry");
}

_IRQL_requires_(PASSIVE_LEVEL)
static VOID
WdkCheckDpcForIsr(_Inout_ PDEVICE_EXTENSION Extension)
{
	NTSTATUS Status;
	KIRQL OldIrql;

	IoInitializeDpcRequest(&WdkDevice, WdkDpcForIsr);

	/* As an ISR would, above DISPATCH_LEVEL; the second request folds. */
	KeRaiseIrql(HIGH_LEVEL, &OldIrql);
	IoRequestDpc(&WdkDevice, WDK_IRP1, WDK_ARG1);
	IoRequestDpc(&WdkDevice, WDK_IRP2, WDK_ARG2);
	KeLowerIrql(OldIrql);

	Status = WdkWait(&Extension->IsrDpcDone);
	WDK_CHECK("dpcforisr", Status == STATUS_SUCCESS &&
		  Extension->IsrDpcRuns == 1 &&
		  Extension->IsrDpcIrql == DISPATCH_LEVEL,
		  "wait 0x%x runs %d IRQL %u", Status, Extension->IsrDpcRuns,
		  Extension->IsrDpcIrql);
	WDK_CHECK("dpcforisr-arguments",
		  Extension->IsrDeviceSeen == &WdkDevice &&
		  Extension->IsrIrpSeen == WDK_IRP1 &&
		  Extension->IsrContextSeen == WDK_ARG1,
		  "DeviceObject %p Irp %p Context %p",
		  Extension->IsrDeviceSeen, Extension->IsrIrpSeen,
		  Extension->IsrContextSeen);
}

_IRQL_requires_max_(DISPATCH_LEVEL)
static VOID
WdkCheckLists(VOID)
{
	WDK_RECORD Records[4];
	LIST_ENTRY Head;
	PLIST_ENTRY Entry;
	ULONG Order[4], Count = 0, i;
	BOOLEAN Empty;

	InitializeListHead(&Head);
	WDK_CHECK("list-init", IsListEmpty(&Head) && Head.Flink == &Head &&
		  Head.Blink == &Head, "a new list is not empty");
	WDK_CHECK("list-remove-empty", RemoveHeadList(&Head) == &Head &&
		  RemoveTailList(&Head) == &Head && IsListEmpty(&Head),
		  "removing from an empty list did not return the head");

	for (i = 0; i < RTL_NUMBER_OF(Records); i++)
		Records[i].Sequence = i;
	InsertTailList(&Head, &Records[1].ListEntry);
	InsertTailList(&Head, &Records[2].ListEntry);
	InsertHeadList(&Head, &Records[0].ListEntry);
	InsertTailList(&Head, &Records[3].ListEntry);
	for (Entry = Head.Flink; Entry != &Head && Count < 4;
	     Entry = Entry->Flink)
		Order[Count++] = CONTAINING_RECORD(Entry, WDK_RECORD,
						   ListEntry)->Sequence;
	WDK_CHECK("list-order", Count == 4 && Order[0] == 0 && Order[1] == 1 &&
		  Order[2] == 2 && Order[3] == 3 && Head.Blink ==
		  &Records[3].ListEntry,
		  "%u entries: %u %u %u %u", Count, Order[0], Order[1],
		  Order[2], Order[3]);

	/* RemoveEntryList: TRUE only when the list is empty afterwards. */
	Empty = RemoveEntryList(&Records[2].ListEntry);
	WDK_CHECK("list-remove-entry", !Empty &&
		  Records[1].ListEntry.Flink == &Records[3].ListEntry &&
		  Records[2].ListEntry.Flink == &Records[3].ListEntry &&
		  Records[2].ListEntry.Blink == &Records[1].ListEntry,
		  "returned %u, or the links are wrong", Empty);
	Entry = RemoveHeadList(&Head);
	WDK_CHECK("list-remove-head", Entry == &Records[0].ListEntry &&
		  Head.Flink == &Records[1].ListEntry,
		  "got %p, want %p", Entry, &Records[0].ListEntry);
	Entry = RemoveTailList(&Head);
	WDK_CHECK("list-remove-tail", Entry == &Records[3].ListEntry &&
		  Head.Blink == &Records[1].ListEntry,
		  "got %p, want %p", Entry, &Records[3].ListEntry);
	Empty = RemoveEntryList(&Records[1].ListEntry);
	WDK_CHECK("list-remove-last", Empty && IsListEmpty(&Head),
		  "returned %u for the last entry", Empty);
}

/* Targets as a WDK driver declares them: volatile LONG, and so on. */
static __volatile__ LONG Counter;
static __volatile__ LONG64 Counter64;
static __volatile__ LONG Bits[2];
static __volatile__ PVOID Pointer;
static LONG Target;

static VOID
WdkCheckInterlocked(VOID)
{
	LONG Values[10];
	LONG64 Values64[4];
	PVOID Pointers[3];
	BOOLEAN Tested[4];

	Counter = 5;
	Values[0] = InterlockedIncrement(&Counter);		/* 6 */
	Values[1] = InterlockedDecrement(&Counter);		/* 5 */
	Values[2] = InterlockedExchange(&Counter, 9);		/* 5 */
	Values[3] = InterlockedCompareExchange(&Counter, 1, 8);	/* 9 */
	Values[4] = InterlockedCompareExchange(&Counter, 1, 9);	/* 9 */
	Values[5] = InterlockedExchangeAdd(&Counter, 3);	/* 1 */
	Values[6] = InterlockedAdd(&Counter, 3);		/* 7 */
	Values[7] = InterlockedOr(&Counter, 0x30);		/* 7 */
	Values[8] = InterlockedAnd(&Counter, 0x3c);		/* 0x37 */
	Values[9] = InterlockedXor(&Counter, 0xff);		/* 0x34 */
	WDK_CHECK("interlocked",
		  Values[0] == 6 && Values[1] == 5 && Values[2] == 5 &&
		  Values[3] == 9 && Values[4] == 9 && Values[5] == 1 &&
		  Values[6] == 7 && Values[7] == 7 && Values[8] == 0x37 &&
		  Values[9] == 0x34 && Counter == 0xcb,
		  "%d %d %d %d %d %d %d %d %d %d, last 0x%x", Values[0],
		  Values[1], Values[2], Values[3], Values[4], Values[5],
		  Values[6], Values[7], Values[8], Values[9], Counter);

	Counter64 = 1LL << 40;
	Values64[0] = InterlockedIncrement64(&Counter64);
	Values64[1] = InterlockedExchangeAdd64(&Counter64, 1LL << 40);
	Values64[2] = InterlockedCompareExchange64(&Counter64, 7,
						   (2LL << 40) + 1);
	Values64[3] = InterlockedExchange64(&Counter64, -1);
	WDK_CHECK("interlocked64",
		  Values64[0] == (1LL << 40) + 1 &&
		  Values64[1] == (1LL << 40) + 1 &&
		  Values64[2] == (2LL << 40) + 1 && Values64[3] == 7 &&
		  Counter64 == -1,
		  "%lld %lld %lld %lld", Values64[0], Values64[1],
		  Values64[2], Values64[3]);

	Pointer = NULL;
	Pointers[0] = InterlockedCompareExchangePointer(&Pointer, &Target,
							NULL);
	Pointers[1] = InterlockedCompareExchangePointer(&Pointer, NULL, NULL);
	Pointers[2] = InterlockedExchangePointer(&Pointer, NULL);
	WDK_CHECK("interlocked-pointer",
		  !Pointers[0] && Pointers[1] == &Target &&
		  Pointers[2] == &Target && !Pointer,
		  "%p %p %p", Pointers[0], Pointers[1], Pointers[2]);

	Bits[0] = 0;
	Bits[1] = 0;
	Tested[0] = InterlockedBitTestAndSet(Bits, 33);
	Tested[1] = InterlockedBitTestAndSet(Bits, 33);
	Tested[2] = InterlockedBitTestAndReset(Bits, 33);
	Tested[3] = InterlockedBitTestAndReset(Bits, 33);
	WDK_CHECK("interlocked-bits",
		  !Tested[0] && Tested[1] && Tested[2] && !Tested[3] &&
		  Bits[0] == 0 && Bits[1] == 0,
		  "%u %u %u %u", Tested[0], Tested[1], Tested[2], Tested[3]);
}

static VOID
WdkCheckRtl(VOID)
{
	UCHAR A[16], B[16];

	RtlFillMemory(A, sizeof(A), 0x5a);
	RtlZeroMemory(B, sizeof(B));
	WDK_CHECK("rtl-fill-zero", A[0] == 0x5a && A[15] == 0x5a &&
		  B[0] == 0 && B[15] == 0, "fill or zero wrong");
	RtlCopyMemory(B, A, 8);
	WDK_CHECK("rtl-compare", RtlCompareMemory(A, B, sizeof(A)) == 8 &&
		  RtlEqualMemory(A, B, 8) && !RtlEqualMemory(A, B, 9),
		  "RtlCompareMemory %zu", (size_t)RtlCompareMemory(A, B,
								sizeof(A)));
	A[0] = 1;
	A[1] = 2;
	A[2] = 3;
	RtlMoveMemory(A + 1, A, 2);
	WDK_CHECK("rtl-move", A[0] == 1 && A[1] == 1 && A[2] == 2,
		  "%u %u %u", A[0], A[1], A[2]);
}

_IRQL_requires_(PASSIVE_LEVEL)
static VOID
WdkCheckTime(VOID)
{
	LARGE_INTEGER Frequency, Counter0, Counter1, Ticks0, Ticks1, Timeout;
	ULONGLONG Qpc;
	KEVENT Never;
	NTSTATUS Status;

	KeQueryInterruptTimePrecise(&Qpc);
	Counter0 = KeQueryPerformanceCounter(&Frequency);
	WDK_CHECK("perfcounter", Frequency.QuadPart == 1000000000 &&
		  (ULONGLONG)Counter0.QuadPart >= Qpc,
		  "frequency %lld, count %lld before the QPC stamp %llu",
		  Frequency.QuadPart, Counter0.QuadPart, Qpc);

	/* 20 ms, by both clocks: the tick count's units are right. */
	KeInitializeEvent(&Never, SynchronizationEvent, FALSE);
	KeQueryTickCount(&Ticks0);
	Timeout.QuadPart = -200000;
	Status = KeWaitForSingleObject(&Never, Executive, KernelMode, FALSE,
				       &Timeout);
	KeQueryTickCount(&Ticks1);
	Counter1 = KeQueryPerformanceCounter(NULL);
	WDK_CHECK("tickcount", Status == STATUS_TIMEOUT &&
		  (Ticks1.QuadPart - Ticks0.QuadPart) *
		  KeQueryTimeIncrement() >= 150000 &&
		  Counter1.QuadPart - Counter0.QuadPart >= 20000000,
		  "wait 0x%x, %lld ticks of %u, %lld ns", Status,
		  Ticks1.QuadPart - Ticks0.QuadPart, KeQueryTimeIncrement(),
		  Counter1.QuadPart - Counter0.QuadPart);

	/* Under emulation the delay loop runs at its own speed: no bound. */
	Counter0 = KeQueryPerformanceCounter(NULL);
	KeStallExecutionProcessor(2500);
	Counter1 = KeQueryPerformanceCounter(NULL);
	DbgPrint("wdk_style: KeStallExecutionProcessor(2500) took %lld ns\n",
		 Counter1.QuadPart - Counter0.QuadPart);
}

_IRQL_requires_(PASSIVE_LEVEL)
static VOID
WdkCheckIdioms(VOID)
{
	ULONG Evaluated = 0;
	KIRQL OldIrql, Inside;
	NTSTATUS Status;

	C_ASSERT(sizeof(KIRQL) == 1);

	/* A checked build evaluates ASSERT's expression. */
	ASSERT(++Evaluated == 1);
	NT_ASSERT(Evaluated == 1);
	WDK_CHECK("assert-checked", Evaluated == 1 && NT_VERIFY(Evaluated),
		  "ASSERT evaluated its expression %u times", Evaluated);

	WdkLockExtension(&WdkExtension, &OldIrql);
	Inside = KeGetCurrentIrql();
	WdkUnlockExtension(&WdkExtension, OldIrql);
	WDK_CHECK("spinlock-irql", OldIrql == PASSIVE_LEVEL &&
		  Inside == DISPATCH_LEVEL &&
		  KeGetCurrentIrql() == PASSIVE_LEVEL,
		  "old %u, inside %u", OldIrql, Inside);

	Status = DbgPrint("wdk_style: level dbgprint\n");
	WDK_CHECK("dbgprint-status", NT_SUCCESS(Status), "0x%x", Status);
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
		   "wdk_style: level error\n");
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL,
		   "wdk_style: level warning\n");
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL,
		   "wdk_style: level trace\n");
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL,
		   "wdk_style: level info\n");
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, 5, "wdk_style: level five\n");
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x6,
		   "wdk_style: level mask6\n");
	KdPrint(("wdk_style: KdPrint %d %s\n", 42, "checked"));
	KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL,
		   "wdk_style: level kdprintex\n"));
}

_IRQL_requires_(PASSIVE_LEVEL)
_Must_inspect_result_
static NTSTATUS
WdkDriverEntry(VOID)
{
	PDEVICE_EXTENSION Extension = &WdkExtension;

	WdkDevice.DeviceExtension = Extension;
	KeInitializeSpinLock(&Extension->Lock);
	InitializeListHead(&Extension->RecordList);
	KeInitializeEvent(&Extension->DpcDone, SynchronizationEvent, FALSE);
	KeInitializeEvent(&Extension->TimerDone, NotificationEvent, FALSE);
	KeInitializeEvent(&Extension->IsrDpcDone, SynchronizationEvent, FALSE);
	KeInitializeEvent(&Extension->WorkDone, SynchronizationEvent, FALSE);
	KeInitializeEvent(&Extension->WorkExDone, SynchronizationEvent, FALSE);
	Extension->WorkItem = IoAllocateWorkItem(&WdkDevice);
	Extension->WorkItemEx = IoAllocateWorkItem(&WdkDevice);
	if (!Extension->WorkItem || !Extension->WorkItemEx)
		return STATUS_UNSUCCESSFUL;

	WdkCheckIdioms();
	WdkCheckLists();
	WdkCheckInterlocked();
	WdkCheckRtl();
	WdkCheckTime();
	WdkCheckDpc(Extension);
	WdkCheckWorkItems(Extension);
	WdkCheckTimer(Extension);
	WdkCheckDpcForIsr(Extension);

	if (WdkFailures)
		DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
			   "wdk_style: result FAILED, %u of %u checks\n",
			   WdkFailures, WdkChecks);
	else
		DbgPrint("wdk_style: result ok, %u checks\n", WdkChecks);
	return STATUS_SUCCESS;
}

static int __init wdk_style_init(void)
{
	return NT_SUCCESS(WdkDriverEntry()) ? 0 : -ENOMEM;
}

static void __exit wdk_style_exit(void)
{
	PDEVICE_EXTENSION Extension = &WdkExtension;

	KeCancelTimer(&Extension->Timer);
	KeRemoveQueueDpc(&Extension->Dpc);
	KeRemoveQueueDpc(&WdkDevice.Dpc);
	KeFlushQueuedDpcs();
	IoFreeWorkItem(Extension->WorkItem);
	IoFreeWorkItem(Extension->WorkItemEx);
}

module_init(wdk_style_init);
module_exit(wdk_style_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc test: WDK-style DPC, timer and work-item code");
