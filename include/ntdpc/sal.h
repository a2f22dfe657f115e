/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SAL 2.0 annotations, as the WDK's sal.h, concurrencysal.h and
 * driverspecs.h spell them, for code written for Windows.
 *
 * Microsoft's code analysis reads these; GCC cannot, so they compile to
 * nothing, with one exception: the lock annotations become the kernel's own
 * __acquires()/__releases()/__must_hold(), which sparse (make C=1) checks the
 * same way it checks Linux locking.  Documentation/api.rst says exactly what
 * that covers and why nothing else here is checked.
 *
 * What matters for compiling is the shape: an annotation written without
 * arguments must be an object-like macro, one written with arguments a
 * function-like one, or the preprocessor leaves debris behind.  The
 * function-like ones take (...): their arguments are never evaluated, so
 * their number does not matter either.
 */
#ifndef _NTDPC_SAL_H
#define _NTDPC_SAL_H

#include <linux/compiler_types.h>

/* ---------------------------------------------------------------------- */
/* Parameters                                                              */
/* ---------------------------------------------------------------------- */

#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _Inout_z_
#define _Inout_opt_z_
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_opt_result_maybenull_
#define _Outptr_result_nullonfailure_
#define _Outptr_opt_result_nullonfailure_
#define _Outptr_result_z_
#define _Deref_out_
#define _Deref_out_opt_

#define _In_reads_(...)
#define _In_reads_opt_(...)
#define _In_reads_bytes_(...)
#define _In_reads_bytes_opt_(...)
#define _In_reads_z_(...)
#define _In_reads_opt_z_(...)
#define _In_reads_or_z_(...)
#define _In_reads_to_ptr_(...)
#define _In_reads_to_ptr_opt_(...)
#define _Out_writes_(...)
#define _Out_writes_opt_(...)
#define _Out_writes_bytes_(...)
#define _Out_writes_bytes_opt_(...)
#define _Out_writes_z_(...)
#define _Out_writes_opt_z_(...)
#define _Out_writes_to_(...)
#define _Out_writes_to_opt_(...)
#define _Out_writes_bytes_to_(...)
#define _Out_writes_bytes_to_opt_(...)
#define _Out_writes_all_(...)
#define _Out_writes_all_opt_(...)
#define _Out_writes_bytes_all_(...)
#define _Out_writes_bytes_all_opt_(...)
#define _Inout_updates_(...)
#define _Inout_updates_opt_(...)
#define _Inout_updates_bytes_(...)
#define _Inout_updates_bytes_opt_(...)
#define _Inout_updates_z_(...)
#define _Inout_updates_opt_z_(...)
#define _Inout_updates_to_(...)
#define _Inout_updates_to_opt_(...)
#define _Inout_updates_bytes_to_(...)
#define _Inout_updates_bytes_to_opt_(...)
#define _Inout_updates_all_(...)
#define _Inout_updates_all_opt_(...)
#define _Inout_updates_bytes_all_(...)
#define _Inout_updates_bytes_all_opt_(...)
#define _Outptr_result_buffer_(...)
#define _Outptr_result_buffer_maybenull_(...)
#define _Outptr_opt_result_buffer_(...)
#define _Outptr_result_bytebuffer_(...)
#define _Outptr_result_bytebuffer_maybenull_(...)
#define _Outptr_opt_result_bytebuffer_(...)
#define _Outptr_result_buffer_to_(...)
#define _Outptr_result_bytebuffer_to_(...)
#define _In_range_(...)
#define _Out_range_(...)
#define _Deref_in_range_(...)
#define _Deref_out_range_(...)
#define _Pre_equal_to_(...)
#define _Post_equal_to_(...)

/* ---------------------------------------------------------------------- */
/* Pre/post conditions, return values, fields                              */
/* ---------------------------------------------------------------------- */

#define _Pre_
#define _Post_
#define _Deref_
#define _Pre_notnull_
#define _Pre_maybenull_
#define _Pre_null_
#define _Pre_valid_
#define _Pre_opt_valid_
#define _Pre_invalid_
#define _Pre_z_
#define _Post_notnull_
#define _Post_maybenull_
#define _Post_null_
#define _Post_valid_
#define _Post_invalid_
#define _Post_ptr_invalid_
#define _Post_z_
#define _Notnull_
#define _Maybenull_
#define _Null_
#define _Valid_
#define _Notvalid_
#define _Maybevalid_
#define _Ret_notnull_
#define _Ret_maybenull_
#define _Ret_null_
#define _Ret_z_
#define _Ret_maybenull_z_
#define _Ret_valid_
#define _Result_nullonfailure_
#define _Result_zeroonfailure_
#define _Null_terminated_
#define _NullNull_terminated_
#define _Field_z_
#define _Printf_format_string_
#define _Scanf_format_string_
#define _Literal_
#define _Notliteral_
#define _Points_to_data_
#define _Const_
#define _Reserved_
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Pre_defensive_
#define _Post_defensive_
#define _Strict_type_match_
#define _Enum_is_bitflag_
#define _Raises_SEH_exception_
#define _Maybe_raises_SEH_exception_
#define _Analysis_noreturn_

#define _Pre_satisfies_(...)
#define _Post_satisfies_(...)
#define _Ret_range_(...)
#define _Ret_writes_(...)
#define _Ret_writes_maybenull_(...)
#define _Ret_writes_bytes_(...)
#define _Ret_writes_bytes_maybenull_(...)
#define _Field_size_(...)
#define _Field_size_opt_(...)
#define _Field_size_bytes_(...)
#define _Field_size_bytes_opt_(...)
#define _Field_size_part_(...)
#define _Field_size_part_opt_(...)
#define _Field_size_bytes_part_(...)
#define _Field_size_bytes_part_opt_(...)
#define _Field_size_full_(...)
#define _Field_size_bytes_full_(...)
#define _Field_range_(...)
#define _Struct_size_bytes_(...)
#define _Readable_bytes_(...)
#define _Readable_elements_(...)
#define _Writable_bytes_(...)
#define _Writable_elements_(...)
#define _Pre_readable_size_(...)
#define _Pre_writable_size_(...)
#define _Pre_readable_byte_size_(...)
#define _Pre_writable_byte_size_(...)
#define _Post_readable_size_(...)
#define _Post_writable_size_(...)
#define _Post_readable_byte_size_(...)
#define _Post_writable_byte_size_(...)

/* ---------------------------------------------------------------------- */
/* Functions                                                               */
/* ---------------------------------------------------------------------- */

/*
 * _Check_return_ and _Must_inspect_result_ are not GCC's warn_unused_result:
 * GCC ignores a (void) cast that SAL accepts as inspection, and
 * _Must_inspect_result_ may annotate a parameter, where GCC rejects the
 * attribute.  Mapping them would fail -Werror builds of clean code.
 */
#define _Check_return_
#define _Must_inspect_result_
#define _Use_decl_annotations_

#define _Success_(...)
#define _Return_type_success_(...)
#define _On_failure_(...)
#define _Always_(...)
#define _When_(...)
#define _At_(...)
#define _At_buffer_(...)
#define _Group_(...)
#define _Function_class_(...)
#define _Dispatch_type_(...)

/* Statements: an expression, so that "if (x) _Analysis_assume_(y);" is one. */
#define _Analysis_assume_(...)			((void)0)
#define _Analysis_assume_nullterminated_(...)	((void)0)

/* ---------------------------------------------------------------------- */
/* IRQL and kernel resources (driverspecs.h)                               */
/* ---------------------------------------------------------------------- */

/*
 * IRQL is a run-time state; no compiler can follow it through a call.
 * ntdpc checks the IRQL of its own calls at run time instead (api.rst).
 */
#define _IRQL_requires_(...)
#define _IRQL_requires_max_(...)
#define _IRQL_requires_min_(...)
#define _IRQL_raises_(...)
#define _IRQL_always_function_max_(...)
#define _IRQL_always_function_min_(...)
#define _IRQL_saves_global_(...)
#define _IRQL_restores_global_(...)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_requires_same_
#define _IRQL_is_cancel_
#define _IRQL_uses_cancel_

#define _Kernel_requires_resource_held_(...)
#define _Kernel_requires_resource_not_held_(...)
#define _Kernel_acquires_resource_(...)
#define _Kernel_releases_resource_(...)
#define _Kernel_clear_do_init_(...)
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Kernel_float_used_

/* The older driverspecs.h spellings, found in code written before SAL 2.0. */
#define __drv_maxIRQL(...)
#define __drv_minIRQL(...)
#define __drv_requiresIRQL(...)
#define __drv_raisesIRQL(...)
#define __drv_setsIRQL(...)
#define __drv_maxFunctionIRQL(...)
#define __drv_minFunctionIRQL(...)
#define __drv_savesIRQLGlobal(...)
#define __drv_restoresIRQLGlobal(...)
#define __drv_savesIRQL
#define __drv_restoresIRQL
#define __drv_sameIRQL
#define __drv_useCancelIRQL
#define __drv_isCancelIRQL
#define __drv_functionClass(...)
#define __drv_dispatchType(...)
#define __drv_dispatchType_other
#define __drv_when(...)
#define __drv_at(...)
#define __drv_arg(...)
#define __drv_in(...)
#define __drv_out(...)
#define __drv_ret(...)
#define __drv_deref(...)
#define __drv_allocatesMem(...)
#define __drv_freesMem(...)
#define __drv_aliasesMem
#define __drv_acquiresResource(...)
#define __drv_releasesResource(...)
#define __drv_acquiresExclusiveResource(...)
#define __drv_releasesExclusiveResource(...)
#define __drv_mustHold(...)
#define __drv_neverHold(...)
#define __drv_strictType(...)
#define __drv_strictTypeMatch(...)
#define __drv_preferredFunction(...)
#define __drv_reportError(...)
#define __drv_formatString(...)
#define __drv_valueIs(...)
#define __drv_isObjectPointer
#define __drv_clearDoInit
#define __drv_floatSaved
#define __drv_floatRestored
#define __drv_floatUsed
#define __drv_constant
#define __drv_nonConstant
#define __drv_notPointer
#define __drv_interlocked
#define __drv_inTry
#define __drv_notInTry

/* ---------------------------------------------------------------------- */
/* Locks (concurrencysal.h)                                                */
/* ---------------------------------------------------------------------- */

/*
 * sparse counts one lock context per function, as for Linux's own locks:
 * the body of a function annotated here must change it as declared, and a
 * call changes the caller's by the difference.  The lock expression is not
 * evaluated (sparse ignores it), so *_Curr_ or a global's name is fine.  On
 * a parameter, as the WDK also writes them, sparse ignores them.
 */
#define _Acquires_lock_(lock)			__acquires(lock)
#define _Acquires_exclusive_lock_(lock)		__acquires(lock)
#define _Acquires_shared_lock_(lock)		__acquires(lock)
#define _Acquires_nonreentrant_lock_(lock)	__acquires(lock)
#define _Releases_lock_(lock)			__releases(lock)
#define _Releases_exclusive_lock_(lock)		__releases(lock)
#define _Releases_shared_lock_(lock)		__releases(lock)
#define _Releases_nonreentrant_lock_(lock)	__releases(lock)
#define _Requires_lock_held_(lock)		__must_hold(lock)
#define _Requires_exclusive_lock_held_(lock)	__must_hold(lock)
#define _Requires_shared_lock_held_(lock)	__must_hold(lock)
#define _Analysis_assume_lock_acquired_(lock)	__acquire(lock)
#define _Analysis_assume_lock_released_(lock)	__release(lock)

/* sparse has nothing to say about these. */
#define _Requires_lock_not_held_(...)
#define _Requires_no_locks_held_
#define _Post_same_lock_(...)
#define _Guarded_by_(...)
#define _Write_guarded_by_(...)
#define _Has_lock_kind_(...)
#define _Has_lock_level_(...)
#define _Lock_level_order_(...)
#define _Create_lock_level_(...)
#define _Analysis_assume_lock_held_(...)	((void)0)
#define _Analysis_assume_lock_not_held_(...)	((void)0)
#define _Analysis_assume_same_lock_(...)	((void)0)
#define _Function_ignore_lock_checking_(...)
#define _Analysis_suppress_lock_checking_(...)	((void)0)
#define _No_competing_thread_
#define _No_competing_thread_begin_
#define _No_competing_thread_end_
#define _Benign_race_begin_
#define _Benign_race_end_
#define _Interlocked_
#define _Interlocked_operand_

/* ---------------------------------------------------------------------- */
/* The annotations of NT's first DDK                                      */
/* ---------------------------------------------------------------------- */

#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif

#endif /* _NTDPC_SAL_H */
