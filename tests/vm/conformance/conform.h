/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What nt_conformance's topic files share: the result lines, the recording
 * DPC and its order log, the waits, and each topic's entry point (main.c
 * lists them).  Like the rest of the module, built against <ntdpc/ntddk.h>
 * alone, as a driver would be.
 */
#ifndef NT_CONFORMANCE_CONFORM_H
#define NT_CONFORMANCE_CONFORM_H

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/printk.h>
#include <ntdpc/ntddk.h>

/*
 * Every check prints one line, which tests/vm/conformance.sh turns into a
 * result:  "CONFORM PASS <name>"  or  "CONFORM FAIL <name>: expected X got Y".
 * Outcomes NT does not document print "CONFORM INFO <name>: ..." and are
 * not checks; mode=bad announces each step with "CONFORM STEP <name>", so
 * that a crash names it.  The tallies make the summary line (main.c).
 */
extern int conform_pass, conform_fail;

#define PASS(name) do {						\
		conform_pass++;					\
		pr_info("CONFORM PASS %s\n", name);		\
	} while (0)
#define FAILF(name, fmt, ...) do {					\
		conform_fail++;						\
		pr_info("CONFORM FAIL %s: " fmt "\n", name, ##__VA_ARGS__);	\
	} while (0)
/* The failure message's arguments are evaluated only on failure. */
#define CHECK(name, cond, fmt, ...) do {				\
		const char *__name = (name);				\
		if (cond)						\
			PASS(__name);					\
		else							\
			FAILF(__name, fmt, ##__VA_ARGS__);		\
	} while (0)
#define INFO(name, fmt, ...) pr_info("CONFORM INFO %s: " fmt "\n", name, ##__VA_ARGS__)
#define STEP(name) pr_info("CONFORM STEP %s\n", name)

extern ULONG ncpu;
extern ULONG home_cpu;	/* mode=main's kthread is bound here */

/* A recording DPC: RecRoutine() notes how, where and when it ran. */
struct rec {
	KDPC dpc;
	int id;
	atomic_t runs;
	int irql;
	int cpu;
	int executing;		/* KeIsExecutingDpc() inside */
	int irqs_off;
	PVOID a1, a2, ctx;
	PKDPC dpc_arg;
	USHORT pn_group;
	UCHAR pn_number;
	ULONG exnum;
	int spin_ms;		/* busy-wait this long inside, by the clock */
	atomic_t hold;		/* busy-wait inside until cleared (10 s at most) */
	LONGLONG systime;	/* KeQuerySystemTimePrecise() inside */
	atomic_t started, finished;
};

#define HOLD_MAX_MS 10000

KDEFERRED_ROUTINE RecRoutine;
void rec_init(struct rec *r, int id, bool threaded);

/* The ids of the recording DPCs, in the order they ran. */
extern int order_log[64];
extern atomic_t order_n;
void order_reset(void);
char *order_str(char *buf, size_t len);

/*
 * Busy-wait, at DISPATCH_LEVEL too, until cond or ms milliseconds by the
 * clock: cond's last value.  Not mdelay() loops: under QEMU TCG the delay
 * calibration can be far off (on 6.12 a 50 ms udelay() loop took 0.3 ms).
 */
#define SPIN_FOR(cond, ms) ({						\
	ktime_t __end = ktime_add_ms(ktime_get(), ms);			\
	bool __ok;							\
	for (;;) {							\
		__ok = (cond);						\
		if (__ok || ktime_after(ktime_get(), __end))		\
			break;						\
		cpu_relax();						\
	}								\
	__ok; })

/* Poll at PASSIVE_LEVEL (sleeping) until cond or timeout: cond's last value. */
#define WAIT_FOR(cond, ms) ({						\
	unsigned long __end = jiffies + msecs_to_jiffies(ms);		\
	bool __ok;							\
	for (;;) {							\
		__ok = (cond);						\
		if (__ok || !time_before(jiffies, __end))		\
			break;						\
		usleep_range(200, 400);					\
	}								\
	__ok; })

/*
 * Busy-waits: at DISPATCH_LEVEL and inside DPC routines a driver may not
 * sleep, and the races need the CPU kept.
 */
static inline void spin_us(unsigned int us)
{
	udelay(us);
}

/*
 * At DISPATCH_LEVEL: busy-wait until the timer has expired (2 s at most),
 * however late the emulator delivers its interrupt.
 */
static inline void spin_until_signalled(PKTIMER timer)
{
	SPIN_FOR(KeReadStateTimer(timer), 2000);
	SPIN_FOR(false, 2);
}

/* NT's TRUE exactly (1), not merely nonzero. */
static inline bool nt_true(BOOLEAN b)
{
	return b == 1;
}

/* mode=main's topics, one file each; main.c runs them in its list's order. */
void conform_fields(void);
void conform_processors(void);
void conform_irql(void);
void conform_insert(void);
void conform_delivery(void);
void conform_order(void);
void conform_remove(void);
void conform_remove_race(void);
void conform_target(void);
void conform_threaded(void);
void conform_flush(void);
void conform_generic(void);
void conform_timer(void);
void conform_timer_periodic(void);
void conform_events(void);
void conform_isr(void);
void conform_workitem(void);
void conform_watchdog(void);

/* The other modes. */
void conform_bad(void);
void conform_unload(void);
void conform_unload_exit(void);
void conform_nothreads(void);

#endif /* NT_CONFORMANCE_CONFORM_H */
