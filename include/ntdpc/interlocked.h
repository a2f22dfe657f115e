/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NT's Interlocked operations with the WDK's prototypes: the target is a
 * LONG volatile * (a LONG64 or PVOID volatile * for the 64-bit and pointer
 * forms), so NT's "volatile LONG Count" passes as it is, and a plain LONG
 * too.  Each is a full barrier, as NT's are, and returns what NT returns:
 * the new value for Increment, Decrement and Add, the old one for the
 * others.
 *
 * They are the kernel's atomic_t/atomic64_t operations on the same memory,
 * which have LONG's and LONG64's size and alignment; KCSAN and the memory
 * model see them as the atomics they are.
 *
 * The qualifier is spelled __volatile__, GCC's other name for volatile:
 * the same type, and checkpatch, rightly warning about volatile in Linux
 * code, has no say over NT's prototypes.
 */
#ifndef _NTDPC_INTERLOCKED_H
#define _NTDPC_INTERLOCKED_H

#include <linux/atomic.h>
#include <ntdpc/ntdef.h>
#include <ntdpc/sal.h>

static_assert(sizeof(atomic_t) == sizeof(LONG));
static_assert(sizeof(atomic64_t) == sizeof(LONG64));

/*
 * The cast drops volatile, which the atomic operations do not need: they
 * access the memory exactly once in any case.
 */
static inline atomic_t *ntdpc_atomic(__volatile__ s32 *p)
{
	return (atomic_t *)p;
}

static inline atomic64_t *ntdpc_atomic64(__volatile__ s64 *p)
{
	return (atomic64_t *)p;
}

static inline LONG
InterlockedIncrement(_Inout_ _Interlocked_operand_ __volatile__ LONG *Addend)
{
	return atomic_inc_return(ntdpc_atomic(Addend));
}

static inline LONG
InterlockedDecrement(_Inout_ _Interlocked_operand_ __volatile__ LONG *Addend)
{
	return atomic_dec_return(ntdpc_atomic(Addend));
}

static inline LONG
InterlockedExchange(_Inout_ _Interlocked_operand_ __volatile__ LONG *Target,
		    _In_ LONG Value)
{
	return atomic_xchg(ntdpc_atomic(Target), Value);
}

static inline LONG
InterlockedExchangeAdd(_Inout_ _Interlocked_operand_ __volatile__ LONG *Addend,
		       _In_ LONG Value)
{
	return atomic_fetch_add(Value, ntdpc_atomic(Addend));
}

static inline LONG
InterlockedAdd(_Inout_ _Interlocked_operand_ __volatile__ LONG *Addend,
	       _In_ LONG Value)
{
	return atomic_add_return(Value, ntdpc_atomic(Addend));
}

static inline LONG
InterlockedCompareExchange(_Inout_ _Interlocked_operand_
			   __volatile__ LONG *Destination,
			   _In_ LONG ExChange,
			   _In_ LONG Comperand)
{
	return atomic_cmpxchg(ntdpc_atomic(Destination), Comperand, ExChange);
}

static inline LONG
InterlockedOr(_Inout_ _Interlocked_operand_ __volatile__ LONG *Destination,
	      _In_ LONG Value)
{
	return atomic_fetch_or(Value, ntdpc_atomic(Destination));
}

static inline LONG
InterlockedAnd(_Inout_ _Interlocked_operand_ __volatile__ LONG *Destination,
	       _In_ LONG Value)
{
	return atomic_fetch_and(Value, ntdpc_atomic(Destination));
}

static inline LONG
InterlockedXor(_Inout_ _Interlocked_operand_ __volatile__ LONG *Destination,
	       _In_ LONG Value)
{
	return atomic_fetch_xor(Value, ntdpc_atomic(Destination));
}

/* Bit Offset of the bit string at Base, as x86's lock bts/btr address it. */
static inline BOOLEAN
InterlockedBitTestAndSet(_Inout_ _Interlocked_operand_ __volatile__ LONG *Base,
			 _In_ LONG Offset)
{
	LONG bit = (LONG)(1U << (Offset & 31));

	return !!(atomic_fetch_or(bit, ntdpc_atomic(Base + (Offset >> 5))) &
		  bit);
}

static inline BOOLEAN
InterlockedBitTestAndReset(_Inout_ _Interlocked_operand_
			   __volatile__ LONG *Base, _In_ LONG Offset)
{
	LONG bit = (LONG)(1U << (Offset & 31));

	return !!(atomic_fetch_andnot(bit,
				      ntdpc_atomic(Base + (Offset >> 5))) &
		  bit);
}

static inline LONG64
InterlockedIncrement64(_Inout_ _Interlocked_operand_
		       __volatile__ LONG64 *Addend)
{
	return atomic64_inc_return(ntdpc_atomic64(Addend));
}

static inline LONG64
InterlockedDecrement64(_Inout_ _Interlocked_operand_
		       __volatile__ LONG64 *Addend)
{
	return atomic64_dec_return(ntdpc_atomic64(Addend));
}

static inline LONG64
InterlockedExchange64(_Inout_ _Interlocked_operand_ __volatile__ LONG64 *Target,
		      _In_ LONG64 Value)
{
	return atomic64_xchg(ntdpc_atomic64(Target), Value);
}

static inline LONG64
InterlockedExchangeAdd64(_Inout_ _Interlocked_operand_
			 __volatile__ LONG64 *Addend,
			 _In_ LONG64 Value)
{
	return atomic64_fetch_add(Value, ntdpc_atomic64(Addend));
}

static inline LONG64
InterlockedAdd64(_Inout_ _Interlocked_operand_ __volatile__ LONG64 *Addend,
		 _In_ LONG64 Value)
{
	return atomic64_add_return(Value, ntdpc_atomic64(Addend));
}

static inline LONG64
InterlockedCompareExchange64(_Inout_ _Interlocked_operand_
			     __volatile__ LONG64 *Destination,
			     _In_ LONG64 ExChange,
			     _In_ LONG64 Comperand)
{
	return atomic64_cmpxchg(ntdpc_atomic64(Destination), Comperand,
				ExChange);
}

static inline LONG64
InterlockedOr64(_Inout_ _Interlocked_operand_ __volatile__ LONG64 *Destination,
		_In_ LONG64 Value)
{
	return atomic64_fetch_or(Value, ntdpc_atomic64(Destination));
}

static inline LONG64
InterlockedAnd64(_Inout_ _Interlocked_operand_ __volatile__ LONG64 *Destination,
		 _In_ LONG64 Value)
{
	return atomic64_fetch_and(Value, ntdpc_atomic64(Destination));
}

static inline LONG64
InterlockedXor64(_Inout_ _Interlocked_operand_ __volatile__ LONG64 *Destination,
		 _In_ LONG64 Value)
{
	return atomic64_fetch_xor(Value, ntdpc_atomic64(Destination));
}

static inline PVOID
InterlockedExchangePointer(_Inout_ _Interlocked_operand_
			   __volatile__ PVOID *Target,
			   _In_opt_ PVOID Value)
{
	return xchg(Target, Value);
}

static inline PVOID
InterlockedCompareExchangePointer(_Inout_ _Interlocked_operand_
				  __volatile__ PVOID *Destination,
				  _In_opt_ PVOID Exchange,
				  _In_opt_ PVOID Comperand)
{
	return cmpxchg(Destination, Comperand, Exchange);
}

#endif /* _NTDPC_INTERLOCKED_H */
