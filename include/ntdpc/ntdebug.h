/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NT's debug output and assertions on the kernel log: DbgPrint and
 * DbgPrintEx to printk, KdPrint and ASSERT as in a checked (DBG=1) or free
 * (DBG=0) build.  All inline, nothing of ntdpc.ko needed.
 *
 * DBG is the WDK's build switch and defaults to 0, a free build: KdPrint,
 * KdPrintEx, ASSERT and NT_ASSERT compile to nothing, their arguments
 * unevaluated, as on NT.  Build with ccflags-y += -DDBG=1 for a checked
 * build, where a failed assertion is a WARN() (a backtrace in the log, the
 * kernel tainted, execution going on) instead of NT's break into the
 * debugger.
 *
 * A message's printk level follows DbgPrintEx's Level (Documentation/api.rst);
 * the ComponentId selects nothing, the kernel log having no per-component
 * filter.
 * Format strings are printk's and GCC checks them (__printf): ULONG is 32
 * bits but not "long" here, so NT's %lu for a ULONG is %u; %ws, %wZ and
 * %I64d do not exist.
 */
#ifndef _NTDPC_NTDEBUG_H
#define _NTDPC_NTDEBUG_H

#include <linux/bug.h>
#include <linux/printk.h>
#include <linux/stdarg.h>
#include <ntdpc/ntdef.h>
#include <ntdpc/sal.h>

#ifndef DBG
#define DBG 0
#endif

/* DbgPrintEx's Level: 0..31 selects one bit of the mask, larger is a mask. */
#define DPFLTR_ERROR_LEVEL	0
#define DPFLTR_WARNING_LEVEL	1
#define DPFLTR_TRACE_LEVEL	2
#define DPFLTR_INFO_LEVEL	3
#define DPFLTR_MASK		0x80000000

/* The component IDs NT reserves for drivers, and DbgPrint's own. */
typedef enum _DPFLTR_TYPE {
	DPFLTR_IHVDRIVER_ID = 77,
	DPFLTR_IHVVIDEO_ID = 78,
	DPFLTR_IHVAUDIO_ID = 79,
	DPFLTR_IHVNETWORK_ID = 80,
	DPFLTR_IHVSTREAMING_ID = 81,
	DPFLTR_IHVBUS_ID = 82,
	DPFLTR_DEFAULT_ID = 101,
} DPFLTR_TYPE;

/*
 * The printk level of a Level: its most severe bit.  Error and warning are
 * the kernel's; trace and info (DbgPrint's) are KERN_INFO, as pr_info() is
 * for ordinary messages; a driver's own bits 4..31 are KERN_DEBUG.
 */
static inline const char *ntdpc_dbg_kern_level(ULONG Level)
{
	ULONG bits = Level < 32 ? 1U << Level : Level;

	if (bits & (1U << DPFLTR_ERROR_LEVEL))
		return KERN_ERR;
	if (bits & (1U << DPFLTR_WARNING_LEVEL))
		return KERN_WARNING;
	if (bits & ((1U << DPFLTR_TRACE_LEVEL) | (1U << DPFLTR_INFO_LEVEL)))
		return KERN_INFO;
	return KERN_DEBUG;
}

/*
 * printk() with its level as an argument: the kernel log takes the level
 * from the start of the formatted text, as dev_printk() relies on too.
 * Not pr_*(): a driver's pr_fmt() would prefix NT's messages.
 */
static inline __printf(1, 2) int ntdpc_printk(const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vprintk(fmt, args);
	va_end(args);
	return n;
}

/**
 * vDbgPrintExWithPrefix() - print a prefix and a message to the kernel log
 * @Prefix: printed first, "" for none
 * @ComponentId: NT's component, DPFLTR_IHVDRIVER_ID or one of its kin
 * @Level: DPFLTR_ERROR_LEVEL ... DPFLTR_INFO_LEVEL, another bit, or a mask
 * @Format: printk format
 * @arglist: its arguments
 *
 * Callable in any context, an interrupt handler included, as printk is.
 *
 * Return: STATUS_SUCCESS.
 */
static inline __printf(4, 0)
ULONG vDbgPrintExWithPrefix(_In_z_ PCCH Prefix, _In_ ULONG ComponentId,
			    _In_ ULONG Level, _In_z_ PCCH Format,
			    _In_ va_list arglist)
{
	struct va_format vaf;
	va_list args;

	/* A va_list parameter is a pointer on x86-64: %pV needs its own. */
	va_copy(args, arglist);
	vaf.fmt = Format;
	vaf.va = &args;
	ntdpc_printk("%s%s%pV", ntdpc_dbg_kern_level(Level), Prefix, &vaf);
	va_end(args);
	return STATUS_SUCCESS;
}

/**
 * vDbgPrintEx() - vDbgPrintExWithPrefix() without a prefix
 * @ComponentId: NT's component
 * @Level: severity bit or mask
 * @Format: printk format
 * @arglist: its arguments
 *
 * Return: STATUS_SUCCESS.
 */
static inline __printf(3, 0)
ULONG vDbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level,
		  _In_z_ PCCH Format, _In_ va_list arglist)
{
	return vDbgPrintExWithPrefix("", ComponentId, Level, Format, arglist);
}

/**
 * DbgPrintEx() - print a message of a given severity to the kernel log
 * @ComponentId: NT's component
 * @Level: severity bit or mask
 * @Format: printk format, then its arguments
 *
 * Return: STATUS_SUCCESS.
 */
static inline __printf(3, 4)
ULONG DbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level,
		 _In_z_ _Printf_format_string_ PCSTR Format, ...)
{
	va_list args;

	va_start(args, Format);
	vDbgPrintExWithPrefix("", ComponentId, Level, Format, args);
	va_end(args);
	return STATUS_SUCCESS;
}

/**
 * DbgPrint() - print a message to the kernel log
 * @Format: printk format, then its arguments
 *
 * As on NT, DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, ...).
 *
 * Return: STATUS_SUCCESS.
 */
static inline __printf(1, 2)
ULONG DbgPrint(_In_z_ _Printf_format_string_ PCSTR Format, ...)
{
	va_list args;

	va_start(args, Format);
	vDbgPrintExWithPrefix("", DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL,
			      Format, args);
	va_end(args);
	return STATUS_SUCCESS;
}

/*
 * KdPrint((...)) takes its arguments in double parentheses, so that one
 * macro argument carries DbgPrint's whole argument list.
 */
#if DBG
#define KdPrint(_x_)	(DbgPrint _x_)
#define KdPrintEx(_x_)	(DbgPrintEx _x_)
#else
#define KdPrint(_x_)	((void)0)
#define KdPrintEx(_x_)	((void)0)
#endif

/*
 * Each of these is a statement-like expression, as NT's are, and in a free
 * build does not evaluate its expression (NT_VERIFY excepted).
 */
#if DBG
#define __NTDPC_ASSERT(what, cond, text, msg) \
	((void)WARN(!(cond), "%s(%s) failed at %s:%d %s\n", what, text, \
		    __FILE__, __LINE__, msg))
#define NT_VERIFY(exp) \
	((BOOLEAN)!WARN(!(exp), "NT_VERIFY(%s) failed at %s:%d\n", #exp, \
			__FILE__, __LINE__))
#else
#define __NTDPC_ASSERT(what, cond, text, msg) ((void)0)
#define NT_VERIFY(exp)	((BOOLEAN)((exp) ? TRUE : FALSE))
#endif

/* A driver may bring its own ASSERT; NT_ASSERT is NT's alone. */
#ifndef ASSERT
#define ASSERT(exp)	__NTDPC_ASSERT("ASSERT", exp, #exp, "")
#endif
#ifndef ASSERTMSG
#define ASSERTMSG(msg, exp) __NTDPC_ASSERT("ASSERT", exp, #exp, msg)
#endif
#define NT_ASSERT(exp)	__NTDPC_ASSERT("NT_ASSERT", exp, #exp, "")
#define NT_ASSERTMSG(msg, exp) \
	__NTDPC_ASSERT("NT_ASSERT", exp, #exp, msg)

#endif /* _NTDPC_NTDEBUG_H */
