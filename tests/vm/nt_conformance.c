// SPDX-License-Identifier: GPL-2.0
/*
 * nt_conformance: checks of NT's documented DPC semantics (the wdm.h pages
 * of learn.microsoft.com: KeInsertQueueDpc, KeSetImportanceDpc,
 * KeSetTargetProcessorDpc(Ex), KeRemoveQueueDpc, KeFlushQueuedDpcs,
 * KeGenericCallDpc, IoRequestDpc, timers, events, work items, IRQL and
 * spin locks), written against the public header <ntdpc/ntddk.h> only, as a
 * driver would be; nothing of src/ is included.  tests/vm/conformance.sh
 * runs it in a VM (scripts/vm.sh).  Every check prints one line:
 *   "CONFORM PASS <name>"  or  "CONFORM FAIL <name>: expected X got Y"
 * Outcomes NT does not document print "CONFORM INFO <name>: ..." and are
 * not checks.  Under emulation (QEMU TCG) time is uneven, so a check on
 * timing asserts only what NT promises: never early, and eventually, within
 * a generous bound.
 *
 * mode=main       the documented-semantics checks, run in a kthread bound to
 *                 CPU 1; module init waits for them
 * mode=bad        bad input: bad targets, NULL, zeroed and garbage DPCs, bad
 *                 IRQL transitions; each step is announced before it is tried
 * mode=unload     leaves DPCs, threaded DPCs, a periodic timer and a running
 *                 work item behind, for an immediate rmmod
 * mode=nothreads  with ntdpc loaded ThreadDpcEnable=0: a threaded DPC runs as
 *                 an ordinary one, at DISPATCH_LEVEL on its target CPU
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <ntdpc/ntddk.h>

static char *mode = "main";
module_param(mode, charp, 0444);

static int conform_pass, conform_fail;

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

static ULONG ncpu;
static ULONG home_cpu = 1;	/* the main kthread is bound here */

/* ---------------------------------------------------------------------- */
/* A recording DPC                                                         */
/* ---------------------------------------------------------------------- */

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

/* order log */
static int order_log[64];
static atomic_t order_n;

static void order_reset(void)
{
	atomic_set(&order_n, 0);
	memset(order_log, 0, sizeof(order_log));
}

static VOID RecRoutine(PKDPC Dpc, PVOID DeferredContext,
		       PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct rec *r = DeferredContext;
	PROCESSOR_NUMBER pn = { 0 };
	LARGE_INTEGER now;
	int n;

	atomic_set(&r->started, 1);
	KeQuerySystemTimePrecise(&now);
	r->systime = now.QuadPart;
	r->irql = KeGetCurrentIrql();
	r->cpu = KeGetCurrentProcessorNumber();
	r->exnum = KeGetCurrentProcessorNumberEx(&pn);
	r->pn_group = pn.Group;
	r->pn_number = pn.Number;
	r->executing = KeIsExecutingDpc();
	r->irqs_off = irqs_disabled();
	r->a1 = SystemArgument1;
	r->a2 = SystemArgument2;
	r->ctx = DeferredContext;
	r->dpc_arg = Dpc;
	n = atomic_inc_return(&order_n) - 1;
	if (n < ARRAY_SIZE(order_log))
		order_log[n] = r->id;
	if (r->spin_ms)
		SPIN_FOR(false, r->spin_ms);	/* by the clock, see above */
	SPIN_FOR(!atomic_read(&r->hold), HOLD_MAX_MS);
	atomic_inc(&r->runs);
	atomic_set(&r->finished, 1);
}

static void rec_init(struct rec *r, int id, bool threaded)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->irql = -1;
	r->cpu = -1;
	if (threaded)
		KeInitializeThreadedDpc(&r->dpc, RecRoutine, r);
	else
		KeInitializeDpc(&r->dpc, RecRoutine, r);
}

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
 * sleep, and the races below need the CPU kept.
 */
static void spin_us(unsigned int us)
{
	udelay(us);
}

/* NT's TRUE exactly (1), not merely nonzero. */
static bool nt_true(BOOLEAN b)
{
	return b == 1;
}

static char *order_str(char *buf, size_t len)
{
	int i, n = min_t(int, atomic_read(&order_n), ARRAY_SIZE(order_log));
	size_t off = 0;

	buf[0] = 0;
	for (i = 0; i < n && off < len; i++)
		off += scnprintf(buf + off, len - off, "%s%d", i ? "," : "", order_log[i]);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */
/* ---------------------------------------------------------------------- */

static void t_init_fields(void)
{
	static KDPC d, t;

	memset(&d, 0x5a, sizeof(d));
	d.SystemArgument1 = (PVOID)0x1111;
	d.SystemArgument2 = (PVOID)0x2222;
	KeInitializeDpc(&d, RecRoutine, (PVOID)0x1234);
	CHECK("init-type", d.Type == DpcObject, "Type %d got %d", DpcObject, d.Type);
	CHECK("init-importance-medium", d.Importance == MediumImportance,
	      "Importance %d got %d", MediumImportance, d.Importance);
	CHECK("init-number-0", d.Number == 0, "Number 0 got %u", d.Number);
	CHECK("init-dpcdata-null", !d.DpcData, "DpcData NULL got %p", d.DpcData);
	CHECK("init-routine-context", d.DeferredRoutine == RecRoutine &&
	      d.DeferredContext == (PVOID)0x1234, "routine/context stored got %ps/%lx",
	      d.DeferredRoutine, (unsigned long)d.DeferredContext);
	KeInitializeThreadedDpc(&t, RecRoutine, NULL);
	CHECK("init-threaded-type", t.Type == ThreadedDpcObject, "Type %d got %d",
	      ThreadedDpcObject, t.Type);
	KeSetImportanceDpc(&d, HighImportance);
	CHECK("set-importance-field", d.Importance == HighImportance, "2 got %d", d.Importance);
	KeSetTargetProcessorDpc(&d, 2);
	CHECK("set-target-number-field", d.Number == MAXIMUM_PROCESSORS + 2,
	      "Number %d got %u", MAXIMUM_PROCESSORS + 2, d.Number);
}

static void t_processors(void)
{
	PROCESSOR_NUMBER pn;
	NTSTATUS st;
	KAFFINITY aff = 0;
	ULONG n = KeQueryActiveProcessorCount(&aff);

	CHECK("active-count", n == num_online_cpus(), "%u got %u", num_online_cpus(), n);
	CHECK("active-affinity", aff == (KAFFINITY)((1UL << n) - 1), "%lx got %lx",
	      (1UL << n) - 1, aff);
	CHECK("active-processors", KeQueryActiveProcessors() == (KAFFINITY)((1UL << n) - 1),
	      "%lx got %lx", (1UL << n) - 1, KeQueryActiveProcessors());
	CHECK("active-count-ex", KeQueryActiveProcessorCountEx(0) == n, "%u got %u", n,
	      KeQueryActiveProcessorCountEx(0));
	st = KeGetProcessorNumberFromIndex(2, &pn);
	CHECK("number-from-index", st == STATUS_SUCCESS && pn.Group == 0 && pn.Number == 2,
	      "SUCCESS/0/2 got %x/%u/%u", st, pn.Group, pn.Number);
	st = KeGetProcessorNumberFromIndex(n, &pn);
	CHECK("number-from-bad-index", st == STATUS_INVALID_PARAMETER,
	      "STATUS_INVALID_PARAMETER got %x", st);
	pn.Group = 0; pn.Number = 3; pn.Reserved = 0;
	CHECK("index-from-number", KeGetProcessorIndexFromNumber(&pn) == 3, "3 got %u",
	      KeGetProcessorIndexFromNumber(&pn));
	pn.Number = 60;
	CHECK("index-from-bad-number",
	      KeGetProcessorIndexFromNumber(&pn) == INVALID_PROCESSOR_INDEX,
	      "INVALID_PROCESSOR_INDEX got %u", KeGetProcessorIndexFromNumber(&pn));
	CHECK("current-cpu-passive", KeGetCurrentProcessorNumber() == home_cpu, "%u got %u",
	      home_cpu, KeGetCurrentProcessorNumber());
}

static void t_irql(void)
{
	KIRQL old = 0xff, o2 = 0xff, cur;
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h;

	KeInitializeSpinLock(&lock);
	CHECK("irql-passive-start", KeGetCurrentIrql() == PASSIVE_LEVEL, "0 got %u",
	      KeGetCurrentIrql());
	CHECK("isexecuting-passive", !KeIsExecutingDpc(), "FALSE got %d", KeIsExecutingDpc());

	KeRaiseIrql(APC_LEVEL, &old);
	cur = KeGetCurrentIrql();
	KeLowerIrql(old);
	CHECK("raise-apc", old == PASSIVE_LEVEL && cur == APC_LEVEL, "old 0 cur 1 got %u %u",
	      old, cur);

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	cur = KeGetCurrentIrql();
	{
		int ex = KeIsExecutingDpc();

		KeRaiseIrql(SYNCH_LEVEL, &o2);
		KeLowerIrql(o2);
		CHECK("isexecuting-raised-dispatch", !ex, "FALSE (not in a DPC) got %d", ex);
	}
	KeLowerIrql(old);
	CHECK("raise-dispatch", old == PASSIVE_LEVEL && cur == DISPATCH_LEVEL &&
	      o2 == DISPATCH_LEVEL, "old 0 cur 2 o2 2 got %u %u %u", old, cur, o2);
	CHECK("lower-passive", KeGetCurrentIrql() == PASSIVE_LEVEL, "0 got %u", KeGetCurrentIrql());

	old = KeRaiseIrqlToDpcLevel();
	cur = KeGetCurrentIrql();
	o2 = KeRaiseIrqlToSynchLevel();
	{
		KIRQL c2 = KeGetCurrentIrql();

		KeLowerIrql(o2);
		KeLowerIrql(old);
		CHECK("raise-to-dpc-synch", old == 0 && cur == 2 && o2 == 2 && c2 == SYNCH_LEVEL,
		      "0 2 2 12 got %u %u %u %u", old, cur, o2, c2);
	}

	KeAcquireSpinLock(&lock, &old);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLock(&lock, old);
	CHECK("spinlock-acquire", old == 0 && cur == 2 && KeGetCurrentIrql() == 0,
	      "old 0 in 2 after 0 got %u %u %u", old, cur, KeGetCurrentIrql());

	old = KeAcquireSpinLockRaiseToDpc(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLock(&lock, old);
	CHECK("spinlock-raisetodpc", old == 0 && cur == 2, "0 2 got %u %u", old, cur);

	old = KeRaiseIrqlToDpcLevel();
	KeAcquireSpinLockAtDpcLevel(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLockFromDpcLevel(&lock);
	o2 = KeGetCurrentIrql();
	KeLowerIrql(old);
	CHECK("spinlock-atdpclevel", cur == 2 && o2 == 2, "2 2 got %u %u", cur, o2);

	KeAcquireInStackQueuedSpinLock(&lock, &h);
	cur = KeGetCurrentIrql();
	KeReleaseInStackQueuedSpinLock(&h);
	CHECK("instack-queued", h.OldIrql == 0 && cur == 2 && KeGetCurrentIrql() == 0,
	      "0 2 0 got %u %u %u", h.OldIrql, cur, KeGetCurrentIrql());

	old = KeRaiseIrqlToDpcLevel();
	KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock, &h);
	cur = KeGetCurrentIrql();
	KeReleaseInStackQueuedSpinLockFromDpcLevel(&h);
	KeLowerIrql(old);
	CHECK("instack-queued-atdpc", cur == 2, "2 got %u", cur);

	old = KeAcquireSpinLockForDpc(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLockForDpc(&lock, old);
	CHECK("fordpc-passive", old == 0 && cur == 2 && KeGetCurrentIrql() == 0,
	      "0 2 0 got %u %u %u", old, cur, KeGetCurrentIrql());

	o2 = KeRaiseIrqlToDpcLevel();
	old = KeAcquireSpinLockForDpc(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLockForDpc(&lock, old);
	{
		KIRQL after = KeGetCurrentIrql();

		KeLowerIrql(o2);
		CHECK("fordpc-dispatch", old == 2 && cur == 2 && after == 2,
		      "2 2 2 got %u %u %u", old, cur, after);
	}

	KeAcquireInStackQueuedSpinLockForDpc(&lock, &h);
	cur = KeGetCurrentIrql();
	KeReleaseInStackQueuedSpinLockForDpc(&h);
	CHECK("instack-fordpc-passive", cur == 2 && KeGetCurrentIrql() == 0, "2 0 got %u %u",
	      cur, KeGetCurrentIrql());
}

/* Insert returns, arguments, FALSE on double insert, delivery on lower. */
static void t_insert_basic(void)
{
	static struct rec r;
	KIRQL old;
	BOOLEAN b1, b2;
	int ran_before;
	PVOID f1, f2;

	rec_init(&r, 1, false);
	old = KeRaiseIrqlToDpcLevel();
	b1 = KeInsertQueueDpc(&r.dpc, (PVOID)0xA1, (PVOID)0xA2);
	b2 = KeInsertQueueDpc(&r.dpc, (PVOID)0xB1, (PVOID)0xB2);
	f1 = r.dpc.SystemArgument1;
	f2 = r.dpc.SystemArgument2;
	mdelay(5);
	ran_before = atomic_read(&r.runs);
	KeLowerIrql(old);
	/* Nothing in between: the DPC must have run as the IRQL dropped. */
	{
		int ran_after = atomic_read(&r.runs);

		CHECK("insert-true", nt_true(b1), "TRUE got %d", b1);
		CHECK("insert-again-false", !b2, "FALSE got %d", b2);
		CHECK("insert-false-keeps-args-fields", f1 == (PVOID)0xA1 && f2 == (PVOID)0xA2,
		      "0xa1/0xa2 got %lx/%lx", (unsigned long)f1, (unsigned long)f2);
		CHECK("dispatch-no-run-before-lower", ran_before == 0, "0 runs got %d", ran_before);
		CHECK("dispatch-runs-on-lower", ran_after == 1,
		      "1 run right after KeLowerIrql(PASSIVE) got %d", ran_after);
	}
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	msleep(20);
	CHECK("insert-twice-one-call", atomic_read(&r.runs) == 1, "1 got %d", atomic_read(&r.runs));
	CHECK("routine-args", r.a1 == (PVOID)0xA1 && r.a2 == (PVOID)0xA2,
	      "0xa1/0xa2 got %lx/%lx", (unsigned long)r.a1, (unsigned long)r.a2);
	CHECK("routine-dpc-ctx", r.dpc_arg == &r.dpc && r.ctx == &r,
	      "dpc %p ctx %p got %p %p", &r.dpc, &r, r.dpc_arg, r.ctx);
	CHECK("routine-irql-dispatch", r.irql == DISPATCH_LEVEL, "2 got %d", r.irql);
	CHECK("routine-isexecutingdpc", r.executing, "TRUE got %d", r.executing);
	CHECK("routine-irqs-enabled", !r.irqs_off, "interrupts enabled got irqs_disabled=%d",
	      r.irqs_off);
	CHECK("routine-untargeted-current-cpu", r.cpu == home_cpu, "cpu %u got %d",
	      home_cpu, r.cpu);
	CHECK("dpcdata-null-after-run", !r.dpc.DpcData, "NULL got %p", r.dpc.DpcData);
	{
		BOOLEAN b3 = KeInsertQueueDpc(&r.dpc, (PVOID)0xC1, NULL);

		WAIT_FOR(atomic_read(&r.runs) >= 2, 10000);
		CHECK("insert-after-run-true", nt_true(b3) && atomic_read(&r.runs) == 2 &&
		      r.a1 == (PVOID)0xC1, "TRUE, 2 runs, a1 0xc1 got %d %d %lx", b3,
		      atomic_read(&r.runs), (unsigned long)r.a1);
	}

	/* With a spin lock held (IRQL DISPATCH) then released. */
	rec_init(&r, 1, false);
	{
		KSPIN_LOCK lock;
		int before, after;

		KeInitializeSpinLock(&lock);
		KeAcquireSpinLock(&lock, &old);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		before = atomic_read(&r.runs);
		KeReleaseSpinLock(&lock, old);
		after = atomic_read(&r.runs);
		CHECK("spinlock-release-delivers", before == 0 && after == 1,
		      "0 before, 1 after KeReleaseSpinLock got %d %d", before, after);
	}

	/* From SYNCH_LEVEL: nothing at DISPATCH, runs below it. */
	rec_init(&r, 1, false);
	{
		KIRQL o;
		int at2, at0;

		KeRaiseIrql(SYNCH_LEVEL, &o);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		KeLowerIrql(DISPATCH_LEVEL);
		mdelay(2);
		at2 = atomic_read(&r.runs);
		KeLowerIrql(o);
		at0 = atomic_read(&r.runs);
		CHECK("synch-to-dispatch-no-run", at2 == 0, "0 got %d", at2);
		CHECK("synch-to-passive-run", at0 == 1, "1 got %d", at0);
	}

	/* From APC_LEVEL: below DISPATCH, so the DPC runs at once. */
	rec_init(&r, 1, false);
	{
		KIRQL o;
		int n;

		KeRaiseIrql(APC_LEVEL, &o);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		n = atomic_read(&r.runs);
		KeLowerIrql(o);
		WAIT_FOR(atomic_read(&r.runs), 10000);
		CHECK("apc-level-insert-runs-at-once", n == 1, "1 run before return got %d", n);
	}
}

static void t_passive_insert(void)
{
	static struct rec r;
	int n, i, immediate = 0;

	/* Medium, current CPU, PASSIVE: runs before KeInsertQueueDpc returns. */
	for (i = 0; i < 20; i++) {
		rec_init(&r, 1, false);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		n = atomic_read(&r.runs);
		if (n == 1)
			immediate++;
		WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	}
	CHECK("passive-medium-runs-before-return", immediate == 20,
	      "20/20 ran before KeInsertQueueDpc returned got %d/20", immediate);

	/* MediumHigh and High local: same. */
	rec_init(&r, 1, false);
	KeSetImportanceDpc(&r.dpc, MediumHighImportance);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	CHECK("passive-mediumhigh-runs-before-return", n == 1, "1 got %d", n);
	rec_init(&r, 1, false);
	KeSetImportanceDpc(&r.dpc, HighImportance);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	CHECK("passive-high-runs-before-return", n == 1, "1 got %d", n);

	/* Low, current CPU, PASSIVE: "do not begin processing of the queue". */
	immediate = 0;
	n = 0;
	for (i = 0; i < 20; i++) {
		rec_init(&r, 1, false);
		KeSetImportanceDpc(&r.dpc, LowImportance);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		if (atomic_read(&r.runs))
			immediate++;
		if (WAIT_FOR(atomic_read(&r.runs) >= 1, 5000))
			n++;
	}
	CHECK("passive-low-eventually-runs", n == 20, "20/20 ran within 5 s got %d/20", n);
	INFO("passive-low-immediate",
	     "%d/20 Low DPCs had run before KeInsertQueueDpc returned (idle system)",
	     immediate);
}

static void t_ordering(void)
{
	static struct rec r[6];
	char buf[64];
	KIRQL old;

	/*
	 * M1, H2, L3, H4, MH5, M6 queued at DISPATCH on this CPU:
	 * High at the head (H4 then H2), all others at the tail in order.
	 */
	order_reset();
	rec_init(&r[0], 1, false);
	rec_init(&r[1], 2, false); KeSetImportanceDpc(&r[1].dpc, HighImportance);
	rec_init(&r[2], 3, false); KeSetImportanceDpc(&r[2].dpc, LowImportance);
	rec_init(&r[3], 4, false); KeSetImportanceDpc(&r[3].dpc, HighImportance);
	rec_init(&r[4], 5, false); KeSetImportanceDpc(&r[4].dpc, MediumHighImportance);
	rec_init(&r[5], 6, false);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[1].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[2].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[3].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[4].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[5].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 6, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-importance", !strcmp(buf, "4,2,1,3,5,6"), "4,2,1,3,5,6 got %s", buf);

	/* Same for threaded DPCs on this CPU (only head/tail placement). */
	order_reset();
	rec_init(&r[0], 1, true);
	rec_init(&r[1], 2, true); KeSetImportanceDpc(&r[1].dpc, HighImportance);
	rec_init(&r[2], 3, true); KeSetImportanceDpc(&r[2].dpc, LowImportance);
	rec_init(&r[3], 4, true); KeSetImportanceDpc(&r[3].dpc, HighImportance);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[1].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[2].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[3].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 4, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-threaded-importance", !strcmp(buf, "4,2,1,3"), "4,2,1,3 got %s", buf);

	/*
	 * An ordinary DPC and a threaded DPC queued together at DISPATCH:
	 * ordinary DPCs preempt threaded ones, so the ordinary one runs first.
	 */
	order_reset();
	rec_init(&r[0], 1, true);
	rec_init(&r[1], 2, false);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[1].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 2, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-ordinary-before-threaded", !strcmp(buf, "2,1"), "2,1 got %s", buf);
}

static void t_remove(void)
{
	static struct rec r;
	KIRQL old;
	BOOLEAN ins, rem, rem2;

	rec_init(&r, 1, false);
	CHECK("remove-never-queued-false", !KeRemoveQueueDpc(&r.dpc), "FALSE got TRUE");
	old = KeRaiseIrqlToDpcLevel();
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	rem = KeRemoveQueueDpc(&r.dpc);
	rem2 = KeRemoveQueueDpc(&r.dpc);
	KeLowerIrql(old);
	msleep(50);
	KeFlushQueuedDpcs();
	CHECK("remove-queued-true", ins && rem, "insert TRUE remove TRUE got %d %d", ins, rem);
	CHECK("remove-twice-false", !rem2, "FALSE got %d", rem2);
	CHECK("removed-never-runs", atomic_read(&r.runs) == 0, "0 runs got %d",
	      atomic_read(&r.runs));
	CHECK("removed-dpcdata-null", !r.dpc.DpcData, "NULL got %p", r.dpc.DpcData);
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	CHECK("reinsert-after-remove", ins && atomic_read(&r.runs) == 1, "TRUE, 1 run got %d %d",
	      ins, atomic_read(&r.runs));
	CHECK("remove-after-run-false", !KeRemoveQueueDpc(&r.dpc), "FALSE got TRUE");

	/* Remote Low DPC removed before it ran. */
	rec_init(&r, 1, false);
	KeSetImportanceDpc(&r.dpc, LowImportance);
	KeSetTargetProcessorDpc(&r.dpc, 2);
	old = KeRaiseIrqlToDpcLevel();
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	rem = KeRemoveQueueDpc(&r.dpc);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	msleep(20);
	if (ins && rem)
		CHECK("remove-remote-never-runs", atomic_read(&r.runs) == 0, "0 runs got %d",
		      atomic_read(&r.runs));
	else
		INFO("remove-remote", "insert %d remove %d (DPC ran first)", ins, rem);

	/* Threaded DPC removed before it ran. */
	rec_init(&r, 1, true);
	old = KeRaiseIrqlToDpcLevel();
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	rem = KeRemoveQueueDpc(&r.dpc);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	msleep(20);
	CHECK("remove-threaded", ins && rem && atomic_read(&r.runs) == 0,
	      "TRUE TRUE 0 runs got %d %d %d", ins, rem, atomic_read(&r.runs));
}

/* Race KeRemoveQueueDpc against delivery on remote CPUs. */
#define RACE_N 3000
static u8 race_ran[RACE_N], race_removed[RACE_N];
static atomic_t race_ran_total;

static VOID RaceRoutine(PKDPC Dpc, PVOID DeferredContext, PVOID A1, PVOID A2)
{
	unsigned long seq = (unsigned long)A1;

	if (seq < RACE_N)
		race_ran[seq]++;
	atomic_inc(&race_ran_total);
}

/*
 * RACE_N insert/remove cycles on @ntgt DPCs aimed at other CPUs, a few us
 * apart (@jitter), against their delivery there; then every insertion is
 * accounted for.  @bad: ran although a remove returned TRUE; @dup: ran twice;
 * @lost: queued, not removed, never ran.
 */
struct race_result {
	int ins_false, removed, bad, dup, lost;
};

static void race_run(PKDPC d, int ntgt, unsigned int jitter,
		     struct race_result *res)
{
	int i;

	memset(res, 0, sizeof(*res));
	memset(race_ran, 0, sizeof(race_ran));
	memset(race_removed, 0, sizeof(race_removed));
	atomic_set(&race_ran_total, 0);
	for (i = 0; i < RACE_N; i++) {
		PKDPC dpc = &d[i % ntgt];

		if (!KeInsertQueueDpc(dpc, (PVOID)(unsigned long)i, NULL)) {
			res->ins_false++;
			race_removed[i] = 2;	/* never queued */
			continue;
		}
		spin_us(i % jitter);
		if (KeRemoveQueueDpc(dpc)) {
			race_removed[i] = 1;
			res->removed++;
		}
		if ((i & 255) == 0)
			cond_resched();
	}
	KeFlushQueuedDpcs();
	msleep(50);
	for (i = 0; i < RACE_N; i++) {
		if (race_removed[i] == 1 && race_ran[i])
			res->bad++;
		if (race_ran[i] > 1)
			res->dup++;
		if (race_removed[i] == 0 && !race_ran[i])
			res->lost++;
	}
}

static void t_remove_race(void)
{
	static KDPC d[8];
	struct race_result res;
	int ntgt = 0;
	ULONG c;

	for (c = 0; c < ncpu && ntgt < 8; c++) {
		if (c == home_cpu)
			continue;
		KeInitializeDpc(&d[ntgt], RaceRoutine, NULL);
		KeSetImportanceDpc(&d[ntgt], (ntgt & 1) ? HighImportance : MediumImportance);
		KeSetTargetProcessorDpc(&d[ntgt], c);
		ntgt++;
	}
	if (!ntgt) {
		INFO("remove-race", "no remote CPU");
		return;
	}
	race_run(d, ntgt, 23, &res);
	INFO("remove-race", "%d inserts, %d FALSE inserts, %d removed, %d ran", RACE_N,
	     res.ins_false, res.removed, atomic_read(&race_ran_total));
	CHECK("remove-race-removed-never-ran", res.bad == 0, "0 removed-but-ran got %d",
	      res.bad);
	CHECK("remove-race-no-duplicate", res.dup == 0, "0 got %d", res.dup);
	CHECK("remove-race-none-lost", res.lost == 0,
	      "0 queued-not-removed-but-never-ran got %d", res.lost);
}

static void t_target(void)
{
	static struct rec r[64];
	ULONG c;
	int bad = 0, badirql = 0, badnum = 0, badex = 0;
	char detail[128] = "";

	/* KeSetTargetProcessorDpc, Medium (remote may wait): flush then check. */
	for (c = 0; c < ncpu; c++) {
		rec_init(&r[c], c, false);
		KeSetTargetProcessorDpc(&r[c].dpc, (CCHAR)c);
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
	}
	KeFlushQueuedDpcs();
	for (c = 0; c < ncpu; c++) {
		if (atomic_read(&r[c].runs) != 1 || r[c].cpu != c) {
			bad++;
			scnprintf(detail, sizeof(detail), "dpc for %u ran %d times on %d", c,
				  atomic_read(&r[c].runs), r[c].cpu);
		}
		if (r[c].irql != DISPATCH_LEVEL)
			badirql++;
		if (r[c].pn_group != 0 || r[c].pn_number != c || r[c].exnum != c)
			badnum++;
	}
	CHECK("target-cpu", bad == 0, "each on its CPU after flush; %s", detail);
	CHECK("target-irql", badirql == 0, "DISPATCH on all; %d not", badirql);
	CHECK("target-number-ex", badnum == 0, "group 0/number = cpu; %d wrong", badnum);

	/* KeSetTargetProcessorDpcEx, High and Low, threaded too. */
	bad = 0; badirql = 0; badex = 0;
	for (c = 0; c < ncpu; c++) {
		PROCESSOR_NUMBER pn = { .Group = 0, .Number = c };
		NTSTATUS st;

		rec_init(&r[c], c, false);
		KeSetImportanceDpc(&r[c].dpc, (c & 1) ? HighImportance : LowImportance);
		st = KeSetTargetProcessorDpcEx(&r[c].dpc, &pn);
		if (st != STATUS_SUCCESS)
			badex++;
		rec_init(&r[32 + c], 32 + c, true);
		st = KeSetTargetProcessorDpcEx(&r[32 + c].dpc, &pn);
		if (st != STATUS_SUCCESS)
			badex++;
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
		KeInsertQueueDpc(&r[32 + c].dpc, NULL, NULL);
	}
	KeFlushQueuedDpcs();
	for (c = 0; c < ncpu; c++) {
		if (atomic_read(&r[c].runs) != 1 || r[c].cpu != c)
			bad++;
		if (atomic_read(&r[32 + c].runs) != 1 || r[32 + c].cpu != c) {
			bad++;
			scnprintf(detail, sizeof(detail), "threaded for %u ran %d on %d", c,
				  atomic_read(&r[32 + c].runs), r[32 + c].cpu);
		}
		if (r[c].irql != DISPATCH_LEVEL || r[32 + c].irql != PASSIVE_LEVEL)
			badirql++;
	}
	CHECK("target-ex-status", badex == 0, "STATUS_SUCCESS; %d failed", badex);
	CHECK("target-ex-cpu", bad == 0, "each on its CPU after flush; %d wrong %s", bad, detail);
	CHECK("threaded-irql-passive", badirql == 0, "DPC 2 / threaded 0; %d wrong (e.g. %d/%d)",
	      badirql, r[0].irql, r[32].irql);
	INFO("threaded-isexecutingdpc", "KeIsExecutingDpc() in a threaded DPC = %d",
	     r[32].executing);

	/* Remote Low/Medium DPC without flush: eventually runs. */
	for (c = 0; c < ncpu; c++) {
		rec_init(&r[c], c, false);
		KeSetImportanceDpc(&r[c].dpc, (c & 1) ? MediumImportance : LowImportance);
		KeSetTargetProcessorDpc(&r[c].dpc, (CCHAR)c);
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
	}
	{
		int ok = 1;

		for (c = 0; c < ncpu; c++)
			ok &= WAIT_FOR(atomic_read(&r[c].runs) == 1, 10000);
		CHECK("remote-low-medium-run-without-flush", ok, "all ran within 10 s got not");
	}

	/*
	 * Remote High: processed at once (an IPI), while this CPU stays at
	 * DISPATCH.  Under emulation the target vCPU may not run for a while:
	 * 2 s of busy-waiting is the bound.
	 */
	{
		ULONG t = (home_cpu + 1) % ncpu;
		KIRQL old;
		int ok;

		rec_init(&r[0], 0, false);
		KeSetImportanceDpc(&r[0].dpc, HighImportance);
		KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)t);
		old = KeRaiseIrqlToDpcLevel();
		KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
		ok = SPIN_FOR(atomic_read(&r[0].runs), 2000);
		KeLowerIrql(old);
		CHECK("remote-high-runs-while-caller-at-dispatch", ok && r[0].cpu == t,
		      "ran on %u within 2 s got runs %d cpu %d", t, ok, r[0].cpu);
	}

	/* Target changed after queueing: the queued instance keeps its CPU. */
	{
		ULONG t = (home_cpu + 2) % ncpu;
		KIRQL old;

		rec_init(&r[0], 0, false);
		KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)home_cpu);
		old = KeRaiseIrqlToDpcLevel();
		KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
		KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)t);
		KeLowerIrql(old);
		WAIT_FOR(atomic_read(&r[0].runs), 10000);
		CHECK("retarget-after-queue-no-effect", r[0].cpu == home_cpu, "cpu %u got %d",
		      home_cpu, r[0].cpu);
	}
}

/* DPC re-queues itself. */
static atomic_t self_n;
static BOOLEAN self_ret[8];
static VOID SelfRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	int n = atomic_inc_return(&self_n);

	if (n < 5)
		self_ret[n] = KeInsertQueueDpc(Dpc, (PVOID)(unsigned long)(n + 1), NULL);
}

/* A queues B on the same CPU: B runs after A returns, not nested. */
static struct rec nest_b;
static int nest_b_runs_inside_a;
static BOOLEAN nest_ret;
static VOID NestARoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	nest_ret = KeInsertQueueDpc(&nest_b.dpc, NULL, NULL);
	mdelay(2);
	nest_b_runs_inside_a = atomic_read(&nest_b.runs);
}

/*
 * Threaded DPC queues an ordinary DPC on its own CPU: the ordinary one
 * preempts it (runs before KeInsertQueueDpc returns).
 */
static struct rec tq_b;
static int tq_b_after_insert = -1, tq_irql = -1;
static VOID ThreadedQueuesRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	tq_irql = KeGetCurrentIrql();
	KeInsertQueueDpc(&tq_b.dpc, NULL, NULL);
	tq_b_after_insert = atomic_read(&tq_b.runs);
}

/* Running-DPC insert returns TRUE (DpcData cleared before the call). */
static struct rec run_r;

static void t_reentry(void)
{
	static KDPC d, a, t;
	BOOLEAN b;
	int i, ok;

	atomic_set(&self_n, 0);
	memset(self_ret, 0, sizeof(self_ret));
	KeInitializeDpc(&d, SelfRoutine, NULL);
	b = KeInsertQueueDpc(&d, (PVOID)1, NULL);
	WAIT_FOR(atomic_read(&self_n) >= 5, 10000);
	KeFlushQueuedDpcs();
	msleep(20);
	ok = 1;
	for (i = 1; i < 5; i++)
		ok &= nt_true(self_ret[i]);
	CHECK("self-requeue", b && atomic_read(&self_n) == 5 && ok,
	      "5 runs, every re-insert TRUE got %d runs, ret %d%d%d%d", atomic_read(&self_n),
	      self_ret[1], self_ret[2], self_ret[3], self_ret[4]);

	/* Same, remote CPU. */
	atomic_set(&self_n, 0);
	memset(self_ret, 0, sizeof(self_ret));
	KeInitializeDpc(&d, SelfRoutine, NULL);
	KeSetTargetProcessorDpc(&d, (CCHAR)((home_cpu + 1) % ncpu));
	KeInsertQueueDpc(&d, (PVOID)1, NULL);
	WAIT_FOR(atomic_read(&self_n) >= 5, 10000);
	KeFlushQueuedDpcs();
	CHECK("self-requeue-remote", atomic_read(&self_n) == 5 && nt_true(self_ret[4]),
	      "5 runs got %d", atomic_read(&self_n));

	/* Nested insertion on the same CPU. */
	rec_init(&nest_b, 2, false);
	nest_b_runs_inside_a = -1;
	KeInitializeDpc(&a, NestARoutine, NULL);
	KeInsertQueueDpc(&a, NULL, NULL);
	WAIT_FOR(atomic_read(&nest_b.runs) >= 1, 10000);
	CHECK("dpc-inserts-dpc-no-nesting", nest_ret && nest_b_runs_inside_a == 0 &&
	      atomic_read(&nest_b.runs) == 1 && nest_b.cpu == home_cpu,
	      "TRUE, 0 inside A, 1 after, same cpu got %d %d %d cpu %d", nest_ret,
	      nest_b_runs_inside_a, atomic_read(&nest_b.runs), nest_b.cpu);

	/* Threaded DPC queues an ordinary DPC on its own CPU. */
	rec_init(&tq_b, 3, false);
	KeInitializeThreadedDpc(&t, ThreadedQueuesRoutine, NULL);
	KeInsertQueueDpc(&t, NULL, NULL);
	WAIT_FOR(atomic_read(&tq_b.runs) >= 1, 10000);
	KeFlushQueuedDpcs();
	CHECK("threaded-queues-ordinary-preempts",
	      tq_irql == PASSIVE_LEVEL && tq_b_after_insert == 1,
	      "threaded at 0, ordinary ran before insert returned (1) got irql %d runs %d",
	      tq_irql, tq_b_after_insert);

	/*
	 * Insert while the routine runs (remote): TRUE, and it runs again.  The
	 * routine is held running until the second insert is done.
	 */
	rec_init(&run_r, 1, false);
	atomic_set(&run_r.hold, 1);
	KeSetTargetProcessorDpc(&run_r.dpc, (CCHAR)((home_cpu + 1) % ncpu));
	KeSetImportanceDpc(&run_r.dpc, HighImportance);
	KeInsertQueueDpc(&run_r.dpc, NULL, NULL);
	if (WAIT_FOR(atomic_read(&run_r.started), 10000)) {
		int fin;

		b = KeInsertQueueDpc(&run_r.dpc, (PVOID)7, NULL);
		fin = atomic_read(&run_r.finished);
		atomic_set(&run_r.hold, 0);
		WAIT_FOR(atomic_read(&run_r.runs) >= 2, 10000);
		msleep(20);
		CHECK("insert-while-running-true",
		      !fin && nt_true(b) && atomic_read(&run_r.runs) == 2 && run_r.a1 == (PVOID)7,
		      "TRUE and a second run with the new argument got fin %d ret %d runs %d a1 %lx",
		      fin, b, atomic_read(&run_r.runs), (unsigned long)run_r.a1);
	} else {
		atomic_set(&run_r.hold, 0);
		FAILF("insert-while-running-true", "remote High DPC never started");
	}
	KeFlushQueuedDpcs();
}

/* KeFlushQueuedDpcs() from a thread of its own. */
static DECLARE_COMPLETION(flush_done);
static struct rec *flush_watch;
static int flush_watch_finished;
static int flusher(void *unused)
{
	KeFlushQueuedDpcs();
	if (flush_watch)
		flush_watch_finished = atomic_read(&flush_watch->finished);
	complete(&flush_done);
	return 0;
}

/*
 * r is queued with hold set, to run held on another CPU: a flush called
 * while it runs must not return before it is released and has finished.
 * The flushing thread is created, and bound to this CPU, before: a CPU
 * running a held DPC from an interrupt's exit looks idle to the scheduler,
 * and a thread woken there would wait for the DPC.
 */
static void check_flush_waits(const char *name, struct rec *r)
{
	struct task_struct *t;
	unsigned long left;
	bool early;

	flush_watch = r;
	flush_watch_finished = -1;
	reinit_completion(&flush_done);
	t = kthread_create(flusher, NULL, "nt_conformance_flush");
	if (IS_ERR(t)) {
		FAILF(name, "kthread_create failed");
		return;
	}
	kthread_bind(t, home_cpu);
	atomic_set(&r->hold, 1);
	KeInsertQueueDpc(&r->dpc, NULL, NULL);
	if (!WAIT_FOR(atomic_read(&r->started), 10000)) {
		atomic_set(&r->hold, 0);
		FAILF(name, "the DPC never started");
		wake_up_process(t);
		wait_for_completion(&flush_done);
		return;
	}
	wake_up_process(t);
	msleep(100);
	early = completion_done(&flush_done);
	atomic_set(&r->hold, 0);
	left = wait_for_completion_timeout(&flush_done, msecs_to_jiffies(10000));
	CHECK(name, !early && left && flush_watch_finished == 1,
	      "flush returns only after the running DPC finished got %s, finished %d",
	      early ? "returned while it ran" : left ? "returned" : "no return within 10 s",
	      flush_watch_finished);
	if (!left)
		wait_for_completion(&flush_done);
	flush_watch = NULL;
}

static void t_flush(void)
{
	static struct rec r[32];
	ULONG c;
	int bad = 0, n = 0;

	/* Slow ordinary (Low and Medium) and threaded DPCs on every CPU. */
	for (c = 0; c < ncpu && n + 3 <= 32; c++) {
		rec_init(&r[n], n, false);
		r[n].spin_ms = 20;
		KeSetImportanceDpc(&r[n].dpc, LowImportance);
		KeSetTargetProcessorDpc(&r[n].dpc, (CCHAR)c);
		n++;
		rec_init(&r[n], n, false);
		r[n].spin_ms = 10;
		KeSetTargetProcessorDpc(&r[n].dpc, (CCHAR)c);
		n++;
		rec_init(&r[n], n, true);
		r[n].spin_ms = 20;
		KeSetTargetProcessorDpc(&r[n].dpc, (CCHAR)c);
		n++;
	}
	for (c = 0; c < n; c++)
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	for (c = 0; c < n; c++)
		if (!atomic_read(&r[c].finished))
			bad++;
	CHECK("flush-all-cpus", bad == 0, "all %d finished got %d unfinished", n, bad);

	/* A DPC already running on another CPU when flush is called. */
	rec_init(&r[0], 0, false);
	KeSetImportanceDpc(&r[0].dpc, HighImportance);
	KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)((home_cpu + 2) % ncpu));
	check_flush_waits("flush-waits-running", &r[0]);

	/* Threaded DPC running when flush is called. */
	rec_init(&r[0], 0, true);
	KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)((home_cpu + 1) % ncpu));
	check_flush_waits("flush-waits-running-threaded", &r[0]);
	KeFlushQueuedDpcs();	/* nothing queued: must return */
	PASS("flush-empty-returns");
}

/* KeGenericCallDpc */
static atomic_t gc_arrived, gc_sync_true, gc_sync2_true, gc_ran, gc_after_bad;
static unsigned long gc_cpus;
static int gc_badirql, gc_badctx;
static VOID GenericRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	if (KeGetCurrentIrql() != DISPATCH_LEVEL)
		gc_badirql++;
	if (Ctx != (PVOID)0xC0DE)
		gc_badctx++;
	set_bit(KeGetCurrentProcessorNumber(), &gc_cpus);
	atomic_inc(&gc_arrived);
	if (KeSignalCallDpcSynchronize(A2))
		atomic_inc(&gc_sync_true);
	if (atomic_read(&gc_arrived) != ncpu)
		atomic_inc(&gc_after_bad);
	if (KeSignalCallDpcSynchronize(A2))
		atomic_inc(&gc_sync2_true);
	atomic_inc(&gc_ran);
	KeSignalCallDpcDone(A1);
}

static void t_generic(void)
{
	int round;

	for (round = 0; round < 3; round++) {
		atomic_set(&gc_arrived, 0);
		atomic_set(&gc_sync_true, 0);
		atomic_set(&gc_sync2_true, 0);
		atomic_set(&gc_ran, 0);
		atomic_set(&gc_after_bad, 0);
		gc_cpus = 0;
		gc_badirql = 0;
		gc_badctx = 0;
		KeGenericCallDpc(GenericRoutine, (PVOID)0xC0DE);
		if (round)
			continue;
		CHECK("generic-all-cpus", atomic_read(&gc_ran) == ncpu &&
		      gc_cpus == (1UL << ncpu) - 1, "%u runs mask %lx got %d %lx", ncpu,
		      (1UL << ncpu) - 1, atomic_read(&gc_ran), gc_cpus);
		CHECK("generic-irql-context", !gc_badirql && !gc_badctx,
		      "DISPATCH and context; bad irql %d ctx %d", gc_badirql, gc_badctx);
		CHECK("generic-sync-true-once", atomic_read(&gc_sync_true) == 1 &&
		      atomic_read(&gc_sync2_true) == 1, "1/1 got %d/%d",
		      atomic_read(&gc_sync_true), atomic_read(&gc_sync2_true));
		CHECK("generic-sync-is-barrier", atomic_read(&gc_after_bad) == 0,
		      "all arrived before any passed; %d passed early", atomic_read(&gc_after_bad));
	}
	CHECK("generic-repeat", atomic_read(&gc_ran) == ncpu && atomic_read(&gc_sync_true) == 1,
	      "third call: %u runs got %d", ncpu, atomic_read(&gc_ran));
}

/* Timers */
static struct rec tr;
static atomic_t per_n;
static VOID PeriodicRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&per_n);
}

/*
 * At DISPATCH_LEVEL: busy-wait until the timer has expired (2 s at most),
 * however late the emulator delivers its interrupt.
 */
static void spin_until_signalled(PKTIMER timer)
{
	SPIN_FOR(KeReadStateTimer(timer), 2000);
	SPIN_FOR(false, 2);
}

static void t_timer(void)
{
	static KTIMER tm;
	LARGE_INTEGER due, now;
	BOOLEAN b1, b2, st0;
	NTSTATUS ws;
	int n1, n2;

	KeInitializeTimer(&tm);
	CHECK("timer-initial-not-signalled", !KeReadStateTimer(&tm), "FALSE got TRUE");
	CHECK("cancel-unset-timer-false", !KeCancelTimer(&tm), "FALSE got TRUE");
	rec_init(&tr, 1, false);
	due.QuadPart = -5000 * 10000LL;	/* 5 s relative: still set below */
	b1 = KeSetTimer(&tm, due, &tr.dpc);
	due.QuadPart = -30 * 10000LL;
	b2 = KeSetTimer(&tm, due, &tr.dpc);
	st0 = KeReadStateTimer(&tm);
	CHECK("settimer-returns", !b1 && nt_true(b2), "FALSE then TRUE got %d %d", b1, b2);
	CHECK("settimer-not-signalled", !st0, "FALSE got TRUE");
	ws = KeWaitForSingleObject(&tm, Executive, KernelMode, FALSE, NULL);
	CHECK("wait-timer", ws == STATUS_SUCCESS, "SUCCESS got %x", ws);
	WAIT_FOR(atomic_read(&tr.runs) >= 1, 10000);
	KeQuerySystemTime(&now);
	msleep(100);
	CHECK("timer-dpc-once", atomic_read(&tr.runs) == 1, "1 run (replaced expiry) got %d",
	      atomic_read(&tr.runs));
	CHECK("timer-dpc-irql", tr.irql == DISPATCH_LEVEL, "2 got %d", tr.irql);
	{
		LONGLONG t = ((LONGLONG)(ULONG)(unsigned long)tr.a2 << 32) |
			     (ULONG)(unsigned long)tr.a1;
		LONGLONG diff = now.QuadPart - t;

		CHECK("timer-dpc-args-systime", diff >= 0 && diff < 100000000LL,
		      "SystemArgument1/2 = expiry system time (not after now, within 10 s) got diff %lld (100ns)",
		      diff);
	}
	CHECK("timer-signalled-after", nt_true(KeReadStateTimer(&tm)), "TRUE got FALSE");
	CHECK("cancel-expired-false", !KeCancelTimer(&tm), "FALSE got TRUE");

	/* Set then cancel before expiry: TRUE, DPC never runs. */
	rec_init(&tr, 1, false);
	due.QuadPart = -10000 * 10000LL;
	KeSetTimer(&tm, due, &tr.dpc);
	b1 = KeCancelTimer(&tm);
	msleep(200);
	CHECK("cancel-pending-true-no-dpc", nt_true(b1) && atomic_read(&tr.runs) == 0,
	      "TRUE, 0 runs got %d %d", b1, atomic_read(&tr.runs));

	/* Targeted timer DPC. */
	rec_init(&tr, 1, false);
	KeSetTargetProcessorDpc(&tr.dpc, (CCHAR)((home_cpu + 2) % ncpu));
	due.QuadPart = -10 * 10000LL;
	KeSetTimer(&tm, due, &tr.dpc);
	WAIT_FOR(atomic_read(&tr.runs) >= 1, 10000);
	CHECK("timer-dpc-target-cpu", tr.cpu == (home_cpu + 2) % ncpu, "cpu %u got %d",
	      (home_cpu + 2) % ncpu, tr.cpu);

	/* Periodic */
	atomic_set(&per_n, 0);
	{
		static KDPC pd;

		KeInitializeDpc(&pd, PeriodicRoutine, NULL);
		KeInitializeTimerEx(&tm, NotificationTimer);
		ktime_t t0;
		s64 ms;

		KeInitializeDpc(&pd, PeriodicRoutine, NULL);
		KeInitializeTimerEx(&tm, NotificationTimer);
		due.QuadPart = -10 * 10000LL;
		t0 = ktime_get();
		b1 = KeSetTimerEx(&tm, due, 20, &pd);
		msleep(500);
		b2 = KeCancelTimer(&tm);
		ms = ktime_ms_delta(ktime_get(), t0);
		KeFlushQueuedDpcs();
		n1 = atomic_read(&per_n);
		msleep(100);
		n2 = atomic_read(&per_n);
		CHECK("periodic-settimerex-false", !b1, "FALSE got %d", b1);
		/*
		 * Due at 10 ms, then every 20 ms: never early, so at most
		 * 1 + (ms - 10) / 20 expiries (one more for clock rounding);
		 * under emulation expiries come late, so at least 2.
		 */
		INFO("periodic-count", "%d runs in %lld ms at a 20 ms period", n1, ms);
		CHECK("periodic-count", n1 >= 2 && n1 <= 2 + (ms - 10) / 20,
		      "2 to %lld runs in %lld ms at a 20 ms period got %d", 2 + (ms - 10) / 20,
		      ms, n1);
		CHECK("periodic-cancel-true", nt_true(b2), "TRUE got %d", b2);
		CHECK("periodic-stops-after-cancel", n1 == n2,
		      "no runs after cancel+flush got %d -> %d", n1, n2);
	}

	/* KeCancelTimer does not remove an already queued DPC. */
	rec_init(&tr, 1, false);
	KeSetTargetProcessorDpc(&tr.dpc, (CCHAR)home_cpu);
	{
		KIRQL old;
		int before;

		old = KeRaiseIrqlToDpcLevel();
		due.QuadPart = -1 * 10000LL;
		KeSetTimer(&tm, due, &tr.dpc);
		spin_until_signalled(&tm);
		b1 = KeCancelTimer(&tm);
		before = atomic_read(&tr.runs);
		KeLowerIrql(old);
		WAIT_FOR(atomic_read(&tr.runs) >= 1, 10000);
		CHECK("cancel-after-expiry-dpc-still-runs", !b1 && before == 0 &&
		      atomic_read(&tr.runs) == 1, "cancel FALSE, DPC runs after lower got %d %d %d",
		      b1, before, atomic_read(&tr.runs));
	}

	/* Synchronization timer: a wait resets it. */
	KeInitializeTimerEx(&tm, SynchronizationTimer);
	due.QuadPart = -5 * 10000LL;
	KeSetTimer(&tm, due, NULL);
	ws = KeWaitForSingleObject(&tm, Executive, KernelMode, FALSE, NULL);
	CHECK("sync-timer-wait-resets", ws == STATUS_SUCCESS && !KeReadStateTimer(&tm),
	      "SUCCESS and not signalled got %x %d", ws, KeReadStateTimer(&tm));
	{
		LARGE_INTEGER to = { .QuadPart = -20 * 10000LL };

		ws = KeWaitForSingleObject(&tm, Executive, KernelMode, FALSE, &to);
		CHECK("sync-timer-second-wait-timeout", ws == STATUS_TIMEOUT, "TIMEOUT got %x", ws);
	}
}

static void t_events(void)
{
	static KEVENT e;
	LARGE_INTEGER zero = { .QuadPart = 0 };
	NTSTATUS ws;
	LONG p;

	KeInitializeEvent(&e, NotificationEvent, FALSE);
	CHECK("event-initial", KeReadStateEvent(&e) == 0, "0 got %d", KeReadStateEvent(&e));
	ws = KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero);
	CHECK("event-poll-timeout", ws == STATUS_TIMEOUT, "TIMEOUT got %x", ws);
	p = KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	CHECK("event-set-prev", p == 0 && KeReadStateEvent(&e) != 0, "prev 0 now set got %d %d", p,
	      KeReadStateEvent(&e));
	ws = KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero);
	CHECK("event-notification-stays", ws == STATUS_SUCCESS && KeReadStateEvent(&e) != 0,
	      "SUCCESS, still set got %x %d", ws, KeReadStateEvent(&e));
	p = KeResetEvent(&e);
	CHECK("event-reset-prev", p != 0 && KeReadStateEvent(&e) == 0, "prev set, now 0 got %d", p);
	KeInitializeEvent(&e, SynchronizationEvent, TRUE);
	ws = KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero);
	CHECK("event-sync-auto-reset", ws == STATUS_SUCCESS && KeReadStateEvent(&e) == 0,
	      "SUCCESS then 0 got %x %d", ws, KeReadStateEvent(&e));
}

/* IoInitializeDpcRequest / IoRequestDpc */
static DEVICE_OBJECT io_dev;
static atomic_t io_runs;
static PVOID io_args[4];
static int io_irql;
static VOID DpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	io_args[0] = Dpc;
	io_args[1] = DeviceObject;
	io_args[2] = Irp;
	io_args[3] = Context;
	io_irql = KeGetCurrentIrql();
	atomic_inc(&io_runs);
}

static void t_iodpc(void)
{
	KIRQL old;

	memset(&io_dev, 0, sizeof(io_dev));
	IoInitializeDpcRequest(&io_dev, DpcForIsr);
	atomic_set(&io_runs, 0);
	old = KeRaiseIrqlToDpcLevel();
	IoRequestDpc(&io_dev, (PIRP)0x1001, (PVOID)0x2002);
	IoRequestDpc(&io_dev, (PIRP)0x3003, (PVOID)0x4004);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&io_runs) >= 1, 10000);
	msleep(20);
	CHECK("iorequestdpc-coalesce", atomic_read(&io_runs) == 1, "1 call got %d",
	      atomic_read(&io_runs));
	CHECK("iorequestdpc-args", io_args[0] == &io_dev.Dpc && io_args[1] == &io_dev &&
	      io_args[2] == (PVOID)0x1001 && io_args[3] == (PVOID)0x2002,
	      "Dpc %p dev %p 0x1001 0x2002 got %p %p %lx %lx", &io_dev.Dpc, &io_dev,
	      io_args[0], io_args[1], (unsigned long)io_args[2], (unsigned long)io_args[3]);
	CHECK("iorequestdpc-irql", io_irql == DISPATCH_LEVEL, "2 got %d", io_irql);
	IoRequestDpc(&io_dev, (PIRP)0x5005, NULL);
	WAIT_FOR(atomic_read(&io_runs) >= 2, 10000);
	CHECK("iorequestdpc-again", atomic_read(&io_runs) == 2 && io_args[2] == (PVOID)0x5005,
	      "2nd call with new irp got %d %lx", atomic_read(&io_runs),
	      (unsigned long)io_args[2]);
}

/* Work items */
static DEVICE_OBJECT wi_dev;
static PIO_WORKITEM wi_item, wi_item2;
static KEVENT wi_done;
static int wi_irql = -1, wi_refs = -1, wi_isdpc = -1;
static PVOID wi_dev_arg, wi_ctx, wi_ex_obj, wi_ex_ctx, wi_ex_item;
static VOID WorkRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	wi_irql = KeGetCurrentIrql();
	wi_isdpc = KeIsExecutingDpc();
	wi_dev_arg = DeviceObject;
	wi_ctx = Context;
	wi_refs = READ_ONCE(DeviceObject->ReferenceCount);
	usleep_range(5000, 10000);	/* may sleep at PASSIVE */
	KeSetEvent(&wi_done, IO_NO_INCREMENT, FALSE);
}

static VOID WorkRoutineEx(PVOID IoObject, PVOID Context, PIO_WORKITEM Item)
{
	wi_ex_obj = IoObject;
	wi_ex_ctx = Context;
	wi_ex_item = Item;
	KeSetEvent(&wi_done, IO_NO_INCREMENT, FALSE);
}

static VOID QueueWorkFromDpc(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	IoQueueWorkItem(wi_item, WorkRoutine, DelayedWorkQueue, (PVOID)0x7777);
}

static void t_workitem(void)
{
	static KDPC d;
	LARGE_INTEGER to = { .QuadPart = -2000 * 10000LL };
	NTSTATUS ws;

	memset(&wi_dev, 0, sizeof(wi_dev));
	KeInitializeEvent(&wi_done, SynchronizationEvent, FALSE);
	wi_item = IoAllocateWorkItem(&wi_dev);
	wi_item2 = IoAllocateWorkItem(&wi_dev);
	if (!wi_item || !wi_item2) {
		FAILF("workitem-alloc", "non-NULL got %p %p", wi_item, wi_item2);
		return;
	}
	KeInitializeDpc(&d, QueueWorkFromDpc, NULL);
	KeInsertQueueDpc(&d, NULL, NULL);
	ws = KeWaitForSingleObject(&wi_done, Executive, KernelMode, FALSE, &to);
	CHECK("workitem-from-dpc-runs", ws == STATUS_SUCCESS, "SUCCESS got %x", ws);
	CHECK("workitem-passive", wi_irql == PASSIVE_LEVEL && !wi_isdpc,
	      "PASSIVE, not in DPC got %d %d", wi_irql, wi_isdpc);
	CHECK("workitem-args", wi_dev_arg == &wi_dev && wi_ctx == (PVOID)0x7777,
	      "dev %p, 0x7777 got %p %lx", &wi_dev, wi_dev_arg, (unsigned long)wi_ctx);
	CHECK("workitem-devref-held", wi_refs >= 1, ">=1 got %d", wi_refs);
	WAIT_FOR(READ_ONCE(wi_dev.ReferenceCount) == 0, 10000);
	CHECK("workitem-devref-released", READ_ONCE(wi_dev.ReferenceCount) == 0, "0 got %d",
	      READ_ONCE(wi_dev.ReferenceCount));

	IoQueueWorkItemEx(wi_item2, WorkRoutineEx, CriticalWorkQueue, (PVOID)0x8888);
	ws = KeWaitForSingleObject(&wi_done, Executive, KernelMode, FALSE, &to);
	CHECK("workitem-ex", ws == STATUS_SUCCESS && wi_ex_obj == &wi_dev &&
	      wi_ex_ctx == (PVOID)0x8888 && wi_ex_item == wi_item2,
	      "SUCCESS dev %p 0x8888 item %p got %x %p %lx %p", &wi_dev, wi_item2, ws,
	      wi_ex_obj, (unsigned long)wi_ex_ctx, wi_ex_item);
	WAIT_FOR(READ_ONCE(wi_dev.ReferenceCount) == 0, 10000);
	IoFreeWorkItem(wi_item);
	IoFreeWorkItem(wi_item2);
}

/* ---------------------------------------------------------------------- */
/* Second batch                                                            */
/* ---------------------------------------------------------------------- */

/* An "ISR" (hard interrupt: a pinned hard hrtimer) requests the DPC. */
static struct hrtimer isr_timer;
static DEVICE_OBJECT isr_dev;
static int isr_irql = -1, isr_cpu = -1, isr_dpc_cpu = -1, isr_dpc_irql = -1;
static atomic_t isr_dpc_runs;
static VOID IsrDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	isr_dpc_cpu = KeGetCurrentProcessorNumber();
	isr_dpc_irql = KeGetCurrentIrql();
	atomic_inc(&isr_dpc_runs);
}

static enum hrtimer_restart isr_fn(struct hrtimer *t)
{
	isr_irql = KeGetCurrentIrql();
	isr_cpu = KeGetCurrentProcessorNumber();
	IoRequestDpc(&isr_dev, NULL, NULL);
	return HRTIMER_NORESTART;
}

static void t_isr(void)
{
	memset(&isr_dev, 0, sizeof(isr_dev));
	IoInitializeDpcRequest(&isr_dev, IsrDpcForIsr);
	hrtimer_init(&isr_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	isr_timer.function = isr_fn;
	hrtimer_start(&isr_timer, ms_to_ktime(5), HRTIMER_MODE_REL_PINNED_HARD);
	WAIT_FOR(atomic_read(&isr_dpc_runs) >= 1, 10000);
	hrtimer_cancel(&isr_timer);
	CHECK("isr-irql-above-dispatch", isr_irql > DISPATCH_LEVEL, ">2 in hard irq got %d",
	      isr_irql);
	CHECK("isr-dpc-same-cpu-dispatch", atomic_read(&isr_dpc_runs) == 1 &&
	      isr_dpc_cpu == isr_cpu && isr_dpc_irql == DISPATCH_LEVEL,
	      "1 run on ISR cpu %d at 2 got %d runs cpu %d irql %d", isr_cpu,
	      atomic_read(&isr_dpc_runs), isr_dpc_cpu, isr_dpc_irql);
}

static void t_delivery_more(void)
{
	static struct rec r, load;
	int i, n, imm = 0;
	KIRQL old;

	/* Explicitly targeted at the current CPU, Medium, PASSIVE. */
	rec_init(&r, 1, false);
	KeSetTargetProcessorDpc(&r.dpc, (CCHAR)home_cpu);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs), 10000);
	CHECK("passive-medium-self-targeted-runs-before-return", n == 1, "1 got %d", n);

	/*
	 * Low while this CPU has a high DPC rate: busy-queue Medium DPCs for
	 * 100 ms, then a Low one.  Whether the rate counts as high depends on
	 * how fast the (emulated) CPU queues them, so when the Low DPC runs is
	 * reported, not checked; that it runs is checked.
	 */
	n = 0;
	for (i = 0; i < 5; i++) {
		unsigned long end = jiffies + msecs_to_jiffies(100);

		rec_init(&load, 9, false);
		while (time_before(jiffies, end)) {
			KeInsertQueueDpc(&load.dpc, NULL, NULL);
			spin_us(20);
		}
		rec_init(&r, 1, false);
		KeSetImportanceDpc(&r.dpc, LowImportance);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		if (atomic_read(&r.runs))
			imm++;
		if (WAIT_FOR(atomic_read(&r.runs), 10000))
			n++;
	}
	INFO("low-under-dpc-load",
	     "%d/5 Low DPCs ran before KeInsertQueueDpc returned after %d Medium DPCs in 100 ms",
	     imm, atomic_read(&load.runs));
	CHECK("low-under-dpc-load-runs", n == 5, "5/5 Low DPCs ran within 10 s got %d/5", n);

	/* Low queue deeper than MaximumDpcQueueDepth (4) at DISPATCH: runs on lower. */
	{
		static struct rec lows[6];

		for (i = 0; i < 6; i++) {
			rec_init(&lows[i], i, false);
			KeSetImportanceDpc(&lows[i].dpc, LowImportance);
		}
		old = KeRaiseIrqlToDpcLevel();
		for (i = 0; i < 6; i++)
			KeInsertQueueDpc(&lows[i].dpc, NULL, NULL);
		KeLowerIrql(old);
		n = 0;
		for (i = 0; i < 6; i++)
			n += atomic_read(&lows[i].runs);
		CHECK("low-deep-queue-runs-on-lower", n == 6,
		      "6 Low DPCs (depth > 4) run when IRQL drops got %d", n);
		KeFlushQueuedDpcs();
	}

	/* Remote MediumHigh: processed at once, caller stays at DISPATCH (2 s). */
	{
		ULONG t = (home_cpu + 1) % ncpu;
		int ok;

		rec_init(&r, 1, false);
		KeSetImportanceDpc(&r.dpc, MediumHighImportance);
		KeSetTargetProcessorDpc(&r.dpc, (CCHAR)t);
		old = KeRaiseIrqlToDpcLevel();
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		ok = SPIN_FOR(atomic_read(&r.runs), 2000);
		KeLowerIrql(old);
		CHECK("remote-mediumhigh-runs-while-caller-at-dispatch", ok && r.cpu == t,
		      "ran on %u within 2 s got %d cpu %d", t, ok, r.cpu);
	}

	/* Threaded DPC on the current CPU at PASSIVE: when does it run? */
	rec_init(&r, 1, true);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs), 10000);
	INFO("threaded-passive-local", "ran before KeInsertQueueDpc returned: %d; cpu %d irql %d",
	     n, r.cpu, r.irql);
}

/* Ordering when the routine itself queues High and Medium DPCs. */
static struct rec ord[10];
static VOID OrdFirst(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	int k = atomic_inc_return(&order_n) - 1;

	order_log[k] = 1;
	KeInsertQueueDpc(&ord[7].dpc, NULL, NULL);	/* Medium: tail */
	KeInsertQueueDpc(&ord[8].dpc, NULL, NULL);	/* High: head */
}

static void t_order_more(void)
{
	static KDPC first;
	static struct rec big[200];
	char buf[128];
	KIRQL old;
	int i, ok;

	order_reset();
	KeInitializeDpc(&first, OrdFirst, NULL);
	for (i = 2; i <= 4; i++)
		rec_init(&ord[i], i, false);
	rec_init(&ord[7], 7, false);
	rec_init(&ord[8], 8, false);
	KeSetImportanceDpc(&ord[8].dpc, HighImportance);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&first, NULL, NULL);
	for (i = 2; i <= 4; i++)
		KeInsertQueueDpc(&ord[i].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 6, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-high-from-routine-goes-next", !strcmp(buf, "1,8,2,3,4,7"),
	      "1,8,2,3,4,7 got %s", buf);

	/* 200 Medium at DISPATCH: strict FIFO. */
	atomic_set(&order_n, 0);
	{
		static int log[200];
		int bad = -1;

		for (i = 0; i < 200; i++)
			rec_init(&big[i], i, false);
		old = KeRaiseIrqlToDpcLevel();
		for (i = 0; i < 200; i++)
			KeInsertQueueDpc(&big[i].dpc, NULL, NULL);
		KeLowerIrql(old);
		KeFlushQueuedDpcs();
		/* order_log holds only 64: check the first 64 and counts */
		ok = atomic_read(&order_n) == 200;
		for (i = 0; i < 64; i++)
			if (order_log[i] != i && bad < 0)
				bad = i;
		for (i = 0; i < 200; i++)
			if (atomic_read(&big[i].runs) != 1 || big[i].cpu != home_cpu)
				ok = 0;
		(void)log;
		CHECK("order-fifo-200", ok && bad < 0,
		      "200 runs on this CPU in order got n=%d first misorder at %d",
		      atomic_read(&order_n), bad);
	}
}

/* Same DPC inserted from every CPU at once: one TRUE. */
static KDPC shared_dpc;
static atomic_t shared_true, shared_runs;
static VOID SharedRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&shared_runs);
}

static VOID InsertEverywhere(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	KeSignalCallDpcSynchronize(A2);
	if (KeInsertQueueDpc(&shared_dpc, NULL, NULL))
		atomic_inc(&shared_true);
	KeSignalCallDpcSynchronize(A2);
	KeSignalCallDpcDone(A1);
}

static void t_concurrent_insert(void)
{
	int round, bad = 0, badruns = 0;

	KeInitializeDpc(&shared_dpc, SharedRoutine, NULL);
	for (round = 0; round < 50; round++) {
		atomic_set(&shared_true, 0);
		atomic_set(&shared_runs, 0);
		KeGenericCallDpc(InsertEverywhere, NULL);
		KeFlushQueuedDpcs();
		if (atomic_read(&shared_true) != 1)
			bad++;
		if (atomic_read(&shared_runs) != 1)
			badruns++;
	}
	CHECK("concurrent-insert-one-true", bad == 0 && badruns == 0,
	      "exactly one TRUE and one run per round; bad rounds %d/%d", bad, badruns);
}

/* Flush must return although a DPC keeps re-queueing itself. */
static KDPC perpetual;
static int perpetual_stop;
static atomic_t perpetual_runs;
static VOID PerpetualRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&perpetual_runs);
	spin_us(100);
	if (!READ_ONCE(perpetual_stop))
		KeInsertQueueDpc(Dpc, NULL, NULL);
}

static void t_flush_perpetual(void)
{
	struct task_struct *t;
	unsigned long left;

	KeInitializeDpc(&perpetual, PerpetualRoutine, NULL);
	KeSetTargetProcessorDpc(&perpetual, (CCHAR)((home_cpu + 1) % ncpu));
	WRITE_ONCE(perpetual_stop, 0);
	KeInsertQueueDpc(&perpetual, NULL, NULL);
	msleep(20);
	reinit_completion(&flush_done);
	t = kthread_run(flusher, NULL, "nt_conformance_flush");
	if (IS_ERR(t)) {
		WRITE_ONCE(perpetual_stop, 1);
		return;
	}
	left = wait_for_completion_timeout(&flush_done, msecs_to_jiffies(20000));
	CHECK("flush-returns-despite-self-requeue", left != 0,
	      "KeFlushQueuedDpcs returns within 20 s got still waiting (runs %d)",
	      atomic_read(&perpetual_runs));
	WRITE_ONCE(perpetual_stop, 1);
	if (!left)
		wait_for_completion(&flush_done);
	KeFlushQueuedDpcs();
}

/* Two threads calling KeGenericCallDpc at once, with barriers. */
static atomic_t gc2_ran, gc2_true;
static VOID Generic2(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	if (KeSignalCallDpcSynchronize(A2))
		atomic_inc(&gc2_true);
	atomic_inc(&gc2_ran);
	KeSignalCallDpcSynchronize(A2);
	KeSignalCallDpcDone(A1);
}

static DECLARE_COMPLETION(gc2_done_a);
static DECLARE_COMPLETION(gc2_done_b);
static int gc2_thread(void *arg)
{
	int i;

	for (i = 0; i < 20; i++)
		KeGenericCallDpc(Generic2, NULL);
	complete(arg);
	return 0;
}

static void t_generic_concurrent(void)
{
	unsigned long l1, l2;

	atomic_set(&gc2_ran, 0);
	atomic_set(&gc2_true, 0);
	kthread_run(gc2_thread, &gc2_done_a, "nt_conformance_gca");
	kthread_run(gc2_thread, &gc2_done_b, "nt_conformance_gcb");
	l1 = wait_for_completion_timeout(&gc2_done_a, msecs_to_jiffies(30000));
	l2 = wait_for_completion_timeout(&gc2_done_b, msecs_to_jiffies(30000));
	CHECK("generic-concurrent-callers", l1 && l2 && atomic_read(&gc2_ran) == 40 * ncpu &&
	      atomic_read(&gc2_true) == 40,
	      "both finish, %u runs, 40 TRUE got done %d/%d runs %d true %d", 40 * ncpu,
	      !!l1, !!l2, atomic_read(&gc2_ran), atomic_read(&gc2_true));
}

/* A threaded DPC is preempted by an ordinary DPC on its CPU. */
static void t_threaded_preempted(void)
{
	static struct rec th, od;
	ULONG t = (home_cpu + 2) % ncpu;

	/*
	 * The threaded DPC is held running (busy, at PASSIVE_LEVEL) on CPU t
	 * until the ordinary DPC for t has finished, or 10 s.
	 */
	rec_init(&th, 1, true);
	atomic_set(&th.hold, 1);
	KeSetTargetProcessorDpc(&th.dpc, (CCHAR)t);
	rec_init(&od, 2, false);
	KeSetImportanceDpc(&od.dpc, HighImportance);
	KeSetTargetProcessorDpc(&od.dpc, (CCHAR)t);
	KeInsertQueueDpc(&th.dpc, NULL, NULL);
	if (!WAIT_FOR(atomic_read(&th.started), 10000)) {
		atomic_set(&th.hold, 0);
		FAILF("threaded-preempted-by-ordinary", "threaded DPC never started");
		KeFlushQueuedDpcs();
		return;
	}
	KeInsertQueueDpc(&od.dpc, NULL, NULL);
	WAIT_FOR(atomic_read(&od.finished), 10000);
	{
		int od_fin = atomic_read(&od.finished);
		int th_fin = atomic_read(&th.finished);

		atomic_set(&th.hold, 0);
		KeFlushQueuedDpcs();
		CHECK("threaded-preempted-by-ordinary", od_fin && od.cpu == t,
		      "ordinary DPC ran on %u got fin %d cpu %d", t, od_fin, od.cpu);
		CHECK("threaded-preempted-ordinary-finishes-first", od_fin && !th_fin,
		      "ordinary DPC finished while the threaded one still ran got %d %d",
		      od_fin, th_fin);
	}
}

/* Watchdog information */
static NTSTATUS wd_in_dpc = 0x7fffffff;
static KDPC_WATCHDOG_INFORMATION wd_info;
static VOID WdRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	wd_in_dpc = KeQueryDpcWatchdogInformation(&wd_info);
}

static void t_watchdog(void)
{
	static KDPC d;
	KDPC_WATCHDOG_INFORMATION wi;
	NTSTATUS st0, st2;
	KIRQL old;

	st0 = KeQueryDpcWatchdogInformation(&wi);
	old = KeRaiseIrqlToDpcLevel();
	st2 = KeQueryDpcWatchdogInformation(&wi);
	KeLowerIrql(old);
	KeInitializeDpc(&d, WdRoutine, NULL);
	KeInsertQueueDpc(&d, NULL, NULL);
	KeFlushQueuedDpcs();
	CHECK("watchdog-info-in-dpc", wd_in_dpc == STATUS_SUCCESS, "SUCCESS got %x", wd_in_dpc);
	CHECK("watchdog-info-passive-unsuccessful", st0 == STATUS_UNSUCCESSFUL,
	      "STATUS_UNSUCCESSFUL got %x", st0);
	CHECK("watchdog-info-raised-not-in-dpc", st2 == STATUS_UNSUCCESSFUL,
	      "STATUS_UNSUCCESSFUL (not running a DPC) got %x", st2);
	INFO("watchdog-info",
	     "DpcTimeLimit %u DpcTimeCount %u DpcWatchdogLimit %u DpcWatchdogCount %u",
	     wd_info.DpcTimeLimit, wd_info.DpcTimeCount, wd_info.DpcWatchdogLimit,
	     wd_info.DpcWatchdogCount);
}

/* Timers, more */
static KTIMER tm2;
static atomic_t tm2_n;
static BOOLEAN tm2_cancel_ret = 0xff;
static VOID CancelSelf(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	if (atomic_inc_return(&tm2_n) == 3)
		tm2_cancel_ret = KeCancelTimer(&tm2);
}

static BOOLEAN rearm_ret[4];
static VOID Rearm(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	int n = atomic_inc_return(&tm2_n);
	LARGE_INTEGER due = { .QuadPart = -5 * 10000LL };

	if (n < 4)
		rearm_ret[n] = KeSetTimer(&tm2, due, Dpc);
}

static void t_timer_more(void)
{
	static KDPC d;
	static struct rec r;
	LARGE_INTEGER due, now;
	int n1, n2;
	KIRQL old;

	/* Cancel a periodic timer from its own DPC. */
	atomic_set(&tm2_n, 0);
	KeInitializeTimer(&tm2);
	KeInitializeDpc(&d, CancelSelf, NULL);
	due.QuadPart = -5 * 10000LL;
	KeSetTimerEx(&tm2, due, 10, &d);
	WAIT_FOR(atomic_read(&tm2_n) >= 3, 10000);
	msleep(50);
	KeFlushQueuedDpcs();
	n1 = atomic_read(&tm2_n);
	msleep(100);
	n2 = atomic_read(&tm2_n);
	/*
	 * The third run cancels.  An expiry while that DPC already ran (a late
	 * DPC under emulation) may have queued it once more: 3 or 4 runs.
	 */
	CHECK("periodic-cancel-from-own-dpc",
	      nt_true(tm2_cancel_ret) && (n1 == 3 || n1 == 4) && n2 == n1,
	      "KeCancelTimer TRUE (re-armed before the DPC), 3 or 4 runs, none later got %d %d %d",
	      tm2_cancel_ret, n1, n2);

	/* Re-arm a one-shot timer from its DPC. */
	atomic_set(&tm2_n, 0);
	memset(rearm_ret, 0xff, sizeof(rearm_ret));
	KeInitializeDpc(&d, Rearm, NULL);
	KeSetTimer(&tm2, due, &d);
	WAIT_FOR(atomic_read(&tm2_n) >= 4, 10000);
	msleep(50);
	CHECK("oneshot-rearm-from-dpc", atomic_read(&tm2_n) == 4 && !rearm_ret[1] &&
	      !rearm_ret[3], "4 runs, KeSetTimer FALSE in DPC got %d %d %d",
	      atomic_read(&tm2_n), rearm_ret[1], rearm_ret[3]);

	/*
	 * Absolute due time: never early (the DPC's precise system time not
	 * before it, less a clock tick of rounding), once, within 10 s.
	 */
	rec_init(&r, 1, false);
	KeQuerySystemTimePrecise(&now);
	due.QuadPart = now.QuadPart + 50 * 10000LL;
	KeSetTimer(&tm2, due, &r.dpc);
	WAIT_FOR(atomic_read(&r.runs), 10000);
	msleep(20);
	CHECK("absolute-due-time",
	      atomic_read(&r.runs) == 1 && r.systime >= due.QuadPart - 10000000LL / HZ,
	      "once, not before the due time, within 10 s got %d runs, %lld (100 ns) after it",
	      atomic_read(&r.runs), r.systime - due.QuadPart);

	/* DueTime in the past: expires at once. */
	{
		static const char * const names[] = {
			"due-zero-absolute-1601", "due-absolute-past-1s", "due-relative-minus-1"
		};
		int k;

		for (k = 0; k < 3; k++) {
			BOOLEAN sr, cr, st;
			int ok;

			rec_init(&r, 1, false);
			KeInitializeTimer(&tm2);
			KeQuerySystemTime(&now);
			due.QuadPart = k == 0 ? 0 : k == 1 ? now.QuadPart - 10000000LL : -1;
			sr = KeSetTimer(&tm2, due, &r.dpc);
			ok = WAIT_FOR(atomic_read(&r.runs), 10000);
			st = KeReadStateTimer(&tm2);
			cr = KeCancelTimer(&tm2);
			CHECK(names[k], ok && st && !cr,
			      "DPC within 10 s, signalled, KeCancelTimer FALSE got runs %d signalled %d cancel %d (KeSetTimer %d, DueTime %lld)",
			      atomic_read(&r.runs), st, cr, sr, due.QuadPart);
		}
		KeInitializeTimer(&tm2);
	}

	/*
	 * KeSetTimer on a periodic timer makes it one-shot: once that has
	 * expired and its DPC has run, no more runs in ten of the old periods.
	 */
	rec_init(&r, 1, false);
	due.QuadPart = -5 * 10000LL;
	KeSetTimerEx(&tm2, due, 10, &r.dpc);
	msleep(50);
	KeSetTimer(&tm2, due, &r.dpc);
	{
		LARGE_INTEGER to = { .QuadPart = -10000 * 10000LL };
		NTSTATUS ws = KeWaitForSingleObject(&tm2, Executive, KernelMode, FALSE, &to);

		msleep(100);
		KeFlushQueuedDpcs();
		n1 = atomic_read(&r.runs);
		msleep(100);
		n2 = atomic_read(&r.runs);
		KeCancelTimer(&tm2);
		CHECK("settimer-replaces-periodic", ws == STATUS_SUCCESS && n1 >= 1 && n2 == n1,
		      "one-shot expiry, no more runs after got %x %d -> %d", ws, n1, n2);
	}
	KeFlushQueuedDpcs();

	/*
	 * Periodic timer DPC while its CPU stays at DISPATCH: however many
	 * expiries, the DPC is queued once.
	 */
	rec_init(&r, 1, false);
	KeSetTargetProcessorDpc(&r.dpc, (CCHAR)home_cpu);
	old = KeRaiseIrqlToDpcLevel();
	due.QuadPart = -1 * 10000LL;
	KeSetTimerEx(&tm2, due, 1, &r.dpc);
	spin_until_signalled(&tm2);
	SPIN_FOR(false, 10);	/* more expiries */
	KeCancelTimer(&tm2);
	n1 = atomic_read(&r.runs);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	CHECK("periodic-dpc-coalesced-while-busy", n1 == 0 && atomic_read(&r.runs) == 1,
	      "0 at DISPATCH, 1 after got %d %d", n1, atomic_read(&r.runs));
}

/* Race remove for threaded DPCs too. */
static void t_remove_race_threaded(void)
{
	static KDPC d[3];
	struct race_result res;
	int ntgt = 0;
	ULONG c;

	for (c = 0; c < ncpu && ntgt < 3; c++) {
		if (c == home_cpu)
			continue;
		KeInitializeThreadedDpc(&d[ntgt], RaceRoutine, NULL);
		KeSetTargetProcessorDpc(&d[ntgt], c);
		ntgt++;
	}
	if (!ntgt) {
		INFO("remove-race-threaded", "no remote CPU");
		return;
	}
	race_run(d, ntgt, 37, &res);
	INFO("remove-race-threaded", "%d removed, %d ran", res.removed,
	     atomic_read(&race_ran_total));
	CHECK("remove-race-threaded", res.bad == 0 && res.dup == 0 && res.lost == 0,
	      "0 removed-but-ran, 0 run twice, 0 lost got %d %d %d",
	      res.bad, res.dup, res.lost);
}

/* KeWaitForSingleObject with an absolute timeout in the past. */
static KEVENT pw_event;
static NTSTATUS pw_status = 0x7fffffff;
static LONGLONG pw_timeout;
static DECLARE_COMPLETION(pw_done);
static int past_waiter(void *unused)
{
	LARGE_INTEGER to = { .QuadPart = pw_timeout };

	pw_status = KeWaitForSingleObject(&pw_event, Executive, KernelMode, FALSE, &to);
	complete(&pw_done);
	return 0;
}

static void t_wait_past(void)
{
	LARGE_INTEGER now;
	int k;

	for (k = 0; k < 2; k++) {
		unsigned long left;

		KeQuerySystemTime(&now);
		pw_timeout = k == 0 ? 1 : now.QuadPart - 10000000LL;
		KeInitializeEvent(&pw_event, NotificationEvent, FALSE);
		pw_status = 0x7fffffff;
		reinit_completion(&pw_done);
		kthread_run(past_waiter, NULL, "nt_conformance_pw");
		left = wait_for_completion_timeout(&pw_done, msecs_to_jiffies(3000));
		if (!left) {
			KeSetEvent(&pw_event, IO_NO_INCREMENT, FALSE);	/* release it */
			wait_for_completion(&pw_done);
		}
		CHECK(k == 0 ? "wait-absolute-timeout-1601" : "wait-absolute-timeout-past-1s",
		      left && pw_status == STATUS_TIMEOUT,
		      "STATUS_TIMEOUT at once (Timeout %lld) got %s, status %x", pw_timeout,
		      left ? "returned" : "still waiting after 3 s (released by KeSetEvent)",
		      pw_status);
	}
}

/* A DPC removes a later DPC from its own CPU's queue. */
static struct rec rm_b;
static BOOLEAN rm_ret = 0xff;
static VOID RemoverRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	rm_ret = KeRemoveQueueDpc(&rm_b.dpc);
}

/* The ISR queues a threaded DPC and a remote High DPC. */
static struct rec isr_thr, isr_remote;
static int isr2_cpu = -1;
static enum hrtimer_restart isr2_fn(struct hrtimer *t)
{
	isr2_cpu = KeGetCurrentProcessorNumber();
	KeInsertQueueDpc(&isr_thr.dpc, NULL, NULL);
	KeInsertQueueDpc(&isr_remote.dpc, NULL, NULL);
	return HRTIMER_NORESTART;
}

static void t_misc3(void)
{
	static KDPC a;
	KIRQL old;
	ULONG t = (home_cpu + 1) % ncpu;

	KeInitializeDpc(&a, RemoverRoutine, NULL);
	rec_init(&rm_b, 2, false);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&a, NULL, NULL);
	KeInsertQueueDpc(&rm_b.dpc, NULL, NULL);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	CHECK("dpc-removes-later-dpc", nt_true(rm_ret) && atomic_read(&rm_b.runs) == 0,
	      "TRUE and B never runs got %d %d", rm_ret, atomic_read(&rm_b.runs));

	rec_init(&isr_thr, 1, true);
	rec_init(&isr_remote, 2, false);
	KeSetImportanceDpc(&isr_remote.dpc, HighImportance);
	KeSetTargetProcessorDpc(&isr_remote.dpc, (CCHAR)t);
	hrtimer_init(&isr_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	isr_timer.function = isr2_fn;
	hrtimer_start(&isr_timer, ms_to_ktime(5), HRTIMER_MODE_REL_PINNED_HARD);
	WAIT_FOR(atomic_read(&isr_thr.runs) && atomic_read(&isr_remote.runs), 10000);
	hrtimer_cancel(&isr_timer);
	CHECK("isr-queues-threaded", atomic_read(&isr_thr.runs) == 1 && isr_thr.cpu == isr2_cpu &&
	      isr_thr.irql == PASSIVE_LEVEL, "1 run on ISR cpu %d at 0 got %d cpu %d irql %d",
	      isr2_cpu, atomic_read(&isr_thr.runs), isr_thr.cpu, isr_thr.irql);
	CHECK("isr-queues-remote-high", atomic_read(&isr_remote.runs) == 1 && isr_remote.cpu == t &&
	      isr_remote.irql == DISPATCH_LEVEL, "1 run on cpu %u at 2 got %d cpu %d irql %d", t,
	      atomic_read(&isr_remote.runs), isr_remote.cpu, isr_remote.irql);

	/* Periodic timer with DueTime 0. */
	{
		static KTIMER pt;
		static struct rec pr;
		LARGE_INTEGER due = { .QuadPart = 0 };
		int n;

		rec_init(&pr, 1, false);
		KeInitializeTimer(&pt);
		KeSetTimerEx(&pt, due, 10, &pr.dpc);
		WAIT_FOR(atomic_read(&pr.runs) >= 5, 10000);
		n = atomic_read(&pr.runs);
		KeCancelTimer(&pt);
		KeFlushQueuedDpcs();
		CHECK("periodic-due-zero-fires", n >= 5,
		      ">=5 runs within 10 s (10 ms period, DueTime 0) got %d", n);
	}
}

static DECLARE_COMPLETION(main_done);

static int main_thread(void *unused)
{
	t_init_fields();
	t_processors();
	t_irql();
	t_insert_basic();
	t_passive_insert();
	t_ordering();
	t_remove();
	t_target();
	t_reentry();
	t_flush();
	t_generic();
	t_iodpc();
	t_timer();
	t_events();
	t_workitem();
	t_remove_race();
	t_isr();
	t_delivery_more();
	t_order_more();
	t_concurrent_insert();
	t_threaded_preempted();
	t_watchdog();
	t_timer_more();
	t_remove_race_threaded();
	t_flush_perpetual();
	t_generic_concurrent();
	t_misc3();
	t_wait_past();
	KeFlushQueuedDpcs();
	CHECK("irql-passive-end", KeGetCurrentIrql() == PASSIVE_LEVEL, "0 got %u",
	      KeGetCurrentIrql());
	pr_info("CONFORM SUMMARY %d passed %d failed\n", conform_pass, conform_fail);
	complete(&main_done);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* mode=bad                                                                */
/* ---------------------------------------------------------------------- */

static struct rec bad_r;
static void bad_mode(void)
{
	PROCESSOR_NUMBER pn;
	NTSTATUS st;
	KDPC *z;
	USHORT before;

	rec_init(&bad_r, 1, false);
	KeSetTargetProcessorDpc(&bad_r.dpc, 1);
	before = bad_r.dpc.Number;

	STEP("bad-target-ex-group");
	pn.Group = 1; pn.Number = 0; pn.Reserved = 0;
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, &pn);
	CHECK("bad-target-ex-group", st == STATUS_INVALID_PARAMETER && bad_r.dpc.Number == before,
	      "INVALID_PARAMETER, Number unchanged got %x %u", st, bad_r.dpc.Number);
	STEP("bad-target-ex-number");
	pn.Group = 0; pn.Number = ncpu;
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, &pn);
	CHECK("bad-target-ex-number", st == STATUS_INVALID_PARAMETER && bad_r.dpc.Number == before,
	      "INVALID_PARAMETER, Number unchanged got %x %u", st, bad_r.dpc.Number);
	pn.Number = 200;
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, &pn);
	CHECK("bad-target-ex-number-200", st == STATUS_INVALID_PARAMETER,
	      "INVALID_PARAMETER got %x", st);
	STEP("bad-target-ex-null");
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, NULL);
	CHECK("bad-target-ex-null", !NT_SUCCESS(st), "failure status got %x", st);

	STEP("bad-target-legacy");
	KeSetTargetProcessorDpc(&bad_r.dpc, (CCHAR)ncpu);
	CHECK("bad-target-legacy-unchanged", bad_r.dpc.Number == before, "%u got %u", before,
	      bad_r.dpc.Number);
	KeSetTargetProcessorDpc(&bad_r.dpc, (CCHAR)(-1));
	CHECK("bad-target-legacy-negative-unchanged", bad_r.dpc.Number == before, "%u got %u",
	      before, bad_r.dpc.Number);
	KeInsertQueueDpc(&bad_r.dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	CHECK("bad-target-dpc-still-works", atomic_read(&bad_r.runs) == 1 && bad_r.cpu == 1,
	      "1 run on cpu 1 got %d %d", atomic_read(&bad_r.runs), bad_r.cpu);

	STEP("bad-importance");
	rec_init(&bad_r, 1, false);
	KeSetImportanceDpc(&bad_r.dpc, (KDPC_IMPORTANCE)9);
	KeInsertQueueDpc(&bad_r.dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	CHECK("bad-importance-still-runs", atomic_read(&bad_r.runs) == 1, "1 got %d",
	      atomic_read(&bad_r.runs));

	STEP("null-insert");
	CHECK("null-insert-false", !KeInsertQueueDpc(NULL, NULL, NULL), "FALSE got TRUE");
	STEP("null-remove");
	CHECK("null-remove-false", !KeRemoveQueueDpc(NULL), "FALSE got TRUE");
	STEP("null-importance-target");
	KeSetImportanceDpc(NULL, HighImportance);
	KeSetTargetProcessorDpc(NULL, 0);
	PASS("null-set-importance-target-no-crash");

	STEP("zeroed-dpc-insert");
	z = kzalloc(sizeof(*z), GFP_KERNEL);
	if (z) {
		BOOLEAN b = KeInsertQueueDpc(z, NULL, NULL);

		KeFlushQueuedDpcs();
		CHECK("zeroed-dpc-insert-false", !b, "FALSE got %d", b);
		STEP("zeroed-dpc-remove");
		b = KeRemoveQueueDpc(z);
		CHECK("zeroed-dpc-remove-false", !b, "FALSE got %d", b);
		kfree(z);
	}

	STEP("raise-to-lower-level");
	{
		KIRQL old, o2 = 0xff, cur;

		KeRaiseIrql(DISPATCH_LEVEL, &old);
		KeRaiseIrql(PASSIVE_LEVEL, &o2);
		cur = KeGetCurrentIrql();
		KeLowerIrql(old);
		INFO("raise-to-lower-level",
		     "KeRaiseIrql(PASSIVE) at DISPATCH: old %u, IRQL then %u, after KeLowerIrql %u",
		     o2, cur, KeGetCurrentIrql());
	}
	STEP("lower-to-higher-level");
	{
		KIRQL cur;

		KeLowerIrql(DISPATCH_LEVEL);
		cur = KeGetCurrentIrql();
		if (cur != PASSIVE_LEVEL)
			KeLowerIrql(PASSIVE_LEVEL);
		INFO("lower-to-higher-level",
		     "KeLowerIrql(DISPATCH) at PASSIVE: IRQL then %u, now %u",
		     cur, KeGetCurrentIrql());
	}
	STEP("flush-at-dispatch");
	{
		KIRQL old = KeRaiseIrqlToDpcLevel();

		KeFlushQueuedDpcs();
		KeLowerIrql(old);
		PASS("flush-at-dispatch-no-hang");
	}
	STEP("garbage-dpc-insert");
	z = kmalloc(sizeof(*z), GFP_KERNEL);
	if (z) {
		BOOLEAN b;

		memset(z, 0x6b, sizeof(*z));
		b = KeInsertQueueDpc(z, NULL, NULL);
		CHECK("garbage-dpc-insert-false", !b, "FALSE got %d", b);
		STEP("garbage-dpc-remove");
		b = KeRemoveQueueDpc(z);
		CHECK("garbage-dpc-remove-false", !b, "FALSE got %d", b);
		kfree(z);
	}
	pr_info("CONFORM SUMMARY-BAD %d passed %d failed\n", conform_pass, conform_fail);
}

/* ---------------------------------------------------------------------- */
/* mode=unload                                                             */
/* ---------------------------------------------------------------------- */

static KDPC un_self[64], un_low[64], un_thr[64];
static KTIMER un_timer;
static KDPC un_timer_dpc;
static DEVICE_OBJECT un_dev;
static PIO_WORKITEM un_item;
static atomic_t un_runs;

static VOID UnSelf(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&un_runs);
	spin_us(50);
	KeInsertQueueDpc(Dpc, NULL, NULL);
}

static VOID UnSlow(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&un_runs);
	mdelay(5);
}

static VOID UnWork(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	msleep(300);
	atomic_inc(&un_runs);
}

static VOID UnTimer(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&un_runs);
}

static void unload_mode(void)
{
	ULONG c;
	LARGE_INTEGER due = { .QuadPart = -10000LL };

	for (c = 0; c < ncpu; c++) {
		KeInitializeDpc(&un_self[c], UnSelf, NULL);
		KeSetTargetProcessorDpc(&un_self[c], (CCHAR)c);
		KeInsertQueueDpc(&un_self[c], NULL, NULL);
		KeInitializeDpc(&un_low[c], UnSlow, NULL);
		KeSetImportanceDpc(&un_low[c], LowImportance);
		KeSetTargetProcessorDpc(&un_low[c], (CCHAR)c);
		KeInsertQueueDpc(&un_low[c], NULL, NULL);
		KeInitializeThreadedDpc(&un_thr[c], UnSlow, NULL);
		KeSetTargetProcessorDpc(&un_thr[c], (CCHAR)c);
		KeInsertQueueDpc(&un_thr[c], NULL, NULL);
	}
	KeInitializeDpc(&un_timer_dpc, UnTimer, NULL);
	KeInitializeTimer(&un_timer);
	KeSetTimerEx(&un_timer, due, 1, &un_timer_dpc);
	un_item = IoAllocateWorkItem(&un_dev);
	if (un_item)
		IoQueueWorkItem(un_item, UnWork, DelayedWorkQueue, NULL);
	pr_info("CONFORM unload-mode armed\n");
}

static void unload_exit(void)
{
	/*
	 * A careless driver: stops, frees and waits for nothing; ntdpc must
	 * cancel the timer and purge the DPCs it left behind.
	 */
	pr_info("CONFORM unload-mode exit: %d runs so far\n", atomic_read(&un_runs));
}

/* ---------------------------------------------------------------------- */

static int __init nt_conformance_init(void)
{
	ncpu = KeQueryActiveProcessorCount(NULL);
	if (!strcmp(mode, "main")) {
		struct task_struct *t;

		if (ncpu < 2)
			home_cpu = 0;
		t = kthread_create(main_thread, NULL, "nt_conformance");
		if (IS_ERR(t))
			return PTR_ERR(t);
		kthread_bind(t, home_cpu);
		wake_up_process(t);
		wait_for_completion(&main_done);
	} else if (!strcmp(mode, "nothreads")) {
		static struct rec r;

		rec_init(&r, 1, true);
		KeSetTargetProcessorDpc(&r.dpc, 2);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		KeFlushQueuedDpcs();
		CHECK("nothreads-threaded-at-dispatch", atomic_read(&r.runs) == 1 &&
		      r.irql == DISPATCH_LEVEL && r.cpu == 2, "1 run at 2 on cpu 2 got %d %d %d",
		      atomic_read(&r.runs), r.irql, r.cpu);
	} else if (!strcmp(mode, "bad")) {
		bad_mode();
	} else if (!strcmp(mode, "unload")) {
		unload_mode();
	}
	return 0;
}

static void __exit nt_conformance_exit(void)
{
	if (!strcmp(mode, "unload"))
		unload_exit();
	else
		KeFlushQueuedDpcs();
}

module_init(nt_conformance_init);
module_exit(nt_conformance_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc: checks of NT's documented DPC semantics");
