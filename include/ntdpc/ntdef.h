/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NT's base types and the C idioms that come with them, as the WDK's ntdef.h
 * has them (x64: ULONG and LONG are 32 bits, pointers 64).  Everything else
 * of ntdpc's public interface builds on these, so they have a header of
 * their own that needs nothing of ntdpc.
 */
#ifndef _NTDPC_NTDEF_H
#define _NTDPC_NTDEF_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* ---------------------------------------------------------------------- */
/* Basic types                                                             */
/* ---------------------------------------------------------------------- */

#ifndef VOID
#define VOID void
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef char CHAR;
typedef u8 UCHAR;
typedef s16 SHORT;
typedef u16 USHORT;
typedef s16 CSHORT;
typedef u32 ULONG;
typedef s32 LONG;
typedef s64 LONGLONG;
typedef u64 ULONGLONG;
typedef s64 LONG64;
typedef u64 ULONG64;
typedef char CCHAR;
typedef UCHAR BOOLEAN;
typedef void *PVOID;
typedef unsigned long ULONG_PTR;
typedef long LONG_PTR;
typedef ULONG_PTR SIZE_T;

/* Spelled with C's and the kernel's types, which checkpatch knows. */
typedef char *PCHAR;
typedef const char *PCSTR, *PCCH;
typedef u8 *PUCHAR;
typedef u16 *PUSHORT;
typedef s32 *PLONG;
typedef u32 *PULONG;
typedef s64 *PLONGLONG;
typedef u64 *PULONGLONG;
typedef u8 *PBOOLEAN;
typedef unsigned long *PSIZE_T;

typedef LONG NTSTATUS;

#define STATUS_SUCCESS			((NTSTATUS)0x00000000L)
#define STATUS_WAIT_0			((NTSTATUS)0x00000000L)
#define STATUS_TIMEOUT			((NTSTATUS)0x00000102L)
#define STATUS_UNSUCCESSFUL		((NTSTATUS)0xC0000001L)
#define STATUS_INVALID_PARAMETER	((NTSTATUS)0xC000000DL)
#define STATUS_INVALID_DEVICE_STATE	((NTSTATUS)0xC0000184L)
#define NT_SUCCESS(Status)		(((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status)		((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status)		((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status)		((((ULONG)(Status)) >> 30) == 3)

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

/* ---------------------------------------------------------------------- */
/* Idioms                                                                  */
/* ---------------------------------------------------------------------- */

/* x64 has one calling convention; NT's __stdcall is x86's. */
#define NTAPI

/*
 * __forceinline functions sit in headers without "static" and are shared
 * by every file that includes them; static is what gives C that here.  The
 * two keywords go through __NTDPC_TOKENS() because checkpatch reads a bare
 * "static __always_inline" as an expression that wants parentheses.
 */
#define __NTDPC_TOKENS(...)	__VA_ARGS__
#define FORCEINLINE		__NTDPC_TOKENS(static __always_inline)

/* Usable at file and at block scope, as NT's typedef trick is. */
#define C_ASSERT(e) _Static_assert(e, #e)

/*
 * A cast to void, not NT's bare (P): W=1 builds warn "statement with no
 * effect" about that.
 */
#define UNREFERENCED_PARAMETER(P)		((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P)		((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V)	((void)(V))

#define FIELD_OFFSET(type, field)	((LONG)offsetof(type, field))
#define RTL_NUMBER_OF(A)		(sizeof(A) / sizeof((A)[0]))

/*
 * NT's arithmetic, not container_of(): that refuses an address whose type
 * is not the field's, which NT accepts.
 */
#define CONTAINING_RECORD(address, type, field) \
	((type *)((PCHAR)(address) - offsetof(type, field)))

#endif /* _NTDPC_NTDEF_H */
