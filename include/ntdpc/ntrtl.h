/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of NT's run-time library (Rtl) that DPC, timer and work-item
 * code uses: doubly linked lists of LIST_ENTRY and the memory macros.  All
 * inline, nothing exported: they need nothing of ntdpc.ko.
 *
 * LIST_ENTRY has struct list_head's layout, so the list routines are the
 * kernel's own list primitives with NT's names, arguments and return
 * values.  That brings the kernel's list checks with them: with
 * CONFIG_DEBUG_LIST or CONFIG_LIST_HARDENED a link whose neighbours do not
 * point back is reported and not touched, and with
 * CONFIG_BUG_ON_DATA_CORRUPTION (Debian's kernels) it is a BUG(), where NT
 * raises bug check 0x139.  NT's removal leaves the removed entry's links
 * as they were; so does this one (no list poisoning).
 */
#ifndef _NTDPC_NTRTL_H
#define _NTDPC_NTRTL_H

#include <linux/list.h>
#include <linux/string.h>
#include <ntdpc/ntdef.h>
#include <ntdpc/sal.h>

static_assert(offsetof(LIST_ENTRY, Flink) == offsetof(struct list_head, next));
static_assert(offsetof(LIST_ENTRY, Blink) == offsetof(struct list_head, prev));
static_assert(sizeof(LIST_ENTRY) == sizeof(struct list_head));

/* ---------------------------------------------------------------------- */
/* Doubly linked lists                                                     */
/* ---------------------------------------------------------------------- */

static inline struct list_head *ntdpc_list(PLIST_ENTRY Entry)
{
	return (struct list_head *)Entry;
}

/**
 * InitializeListHead() - make an empty list
 * @ListHead: the head, which then points at itself both ways
 */
static inline VOID InitializeListHead(_Out_ PLIST_ENTRY ListHead)
{
	INIT_LIST_HEAD(ntdpc_list(ListHead));
}

/**
 * IsListEmpty() - is a list empty?
 * @ListHead: a head set up by InitializeListHead()
 *
 * Return: TRUE if the list has no entries.
 */
static inline BOOLEAN IsListEmpty(_In_ const struct _LIST_ENTRY *ListHead)
{
	return list_empty((const struct list_head *)ListHead);
}

/**
 * InsertHeadList() - link an entry first in a list
 * @ListHead: the list
 * @Entry: the entry, on no list
 */
static inline VOID InsertHeadList(_Inout_ PLIST_ENTRY ListHead,
				  _Out_ PLIST_ENTRY Entry)
{
	list_add(ntdpc_list(Entry), ntdpc_list(ListHead));
}

/**
 * InsertTailList() - link an entry last in a list
 * @ListHead: the list
 * @Entry: the entry, on no list
 */
static inline VOID InsertTailList(_Inout_ PLIST_ENTRY ListHead,
				  _Out_ PLIST_ENTRY Entry)
{
	list_add_tail(ntdpc_list(Entry), ntdpc_list(ListHead));
}

/**
 * RemoveEntryList() - unlink an entry from the list it is on
 * @Entry: the entry; its own links are left as they were
 *
 * Return: TRUE if the list is empty afterwards (NT's meaning: the entry's
 * two neighbours were the same, the head).
 */
static inline BOOLEAN RemoveEntryList(_In_ PLIST_ENTRY Entry)
{
	PLIST_ENTRY Flink = Entry->Flink;
	PLIST_ENTRY Blink = Entry->Blink;

	__list_del_entry(ntdpc_list(Entry));
	return Flink == Blink;
}

/**
 * RemoveHeadList() - unlink a list's first entry
 * @ListHead: the list
 *
 * Return: the entry removed, or @ListHead itself if the list was empty.
 */
static inline PLIST_ENTRY RemoveHeadList(_Inout_ PLIST_ENTRY ListHead)
{
	PLIST_ENTRY Entry = ListHead->Flink;

	if (Entry != ListHead)
		RemoveEntryList(Entry);
	return Entry;
}

/**
 * RemoveTailList() - unlink a list's last entry
 * @ListHead: the list
 *
 * Return: the entry removed, or @ListHead itself if the list was empty.
 */
static inline PLIST_ENTRY RemoveTailList(_Inout_ PLIST_ENTRY ListHead)
{
	PLIST_ENTRY Entry = ListHead->Blink;

	if (Entry != ListHead)
		RemoveEntryList(Entry);
	return Entry;
}

/* ---------------------------------------------------------------------- */
/* Memory                                                                  */
/* ---------------------------------------------------------------------- */

/* Macros, as in NT: the arguments are those of the C library calls. */
#define RtlZeroMemory(Destination, Length) \
	memset((Destination), 0, (Length))
#define RtlFillMemory(Destination, Length, Fill) \
	memset((Destination), (Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) \
	memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) \
	memmove((Destination), (Source), (Length))
#define RtlEqualMemory(Destination, Source, Length) \
	(!memcmp((Destination), (Source), (Length)))

/**
 * RtlCompareMemory() - count the equal bytes at the start of two blocks
 * @Source1: one block
 * @Source2: the other
 * @Length: bytes to compare
 *
 * Return: how many leading bytes are equal; @Length if all are.
 */
static inline SIZE_T RtlCompareMemory(_In_ const VOID *Source1,
				      _In_ const VOID *Source2,
				      _In_ SIZE_T Length)
{
	const UCHAR *a = Source1, *b = Source2;
	SIZE_T i;

	for (i = 0; i < Length && a[i] == b[i]; i++)
		;
	return i;
}

/**
 * RtlSecureZeroMemory() - zero memory in a way the compiler keeps
 * @ptr: the memory
 * @cnt: its size in bytes
 *
 * Return: @ptr.
 */
static inline PVOID RtlSecureZeroMemory(_Out_writes_bytes_all_(cnt) PVOID ptr,
					_In_ SIZE_T cnt)
{
	memzero_explicit(ptr, cnt);
	return ptr;
}

#endif /* _NTDPC_NTRTL_H */
