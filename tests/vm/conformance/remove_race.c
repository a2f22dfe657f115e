// SPDX-License-Identifier: GPL-2.0
/*
 * KeRemoveQueueDpc() racing delivery on other CPUs, ordinary and threaded:
 * a DPC it removed (TRUE) never runs, none runs twice, and none that was
 * queued and not removed is lost.
 */
#include <linux/sched.h>
#include <linux/string.h>

#include "conform.h"

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

static void remove_race_ordinary(void)
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

/* Race remove for threaded DPCs too. */
static void remove_race_threaded(void)
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

void conform_remove_race(void)
{
	remove_race_ordinary();
	remove_race_threaded();
}
