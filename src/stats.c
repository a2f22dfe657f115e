// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU DPC statistics, like /proc/softirqs: one row per counter, one
 * column per CPU, in debugfs (root only):
 *
 *   cat /sys/kernel/debug/ntdpc/stats
 *   echo 0 > /sys/kernel/debug/ntdpc/stats      # reset
 *
 * Queue-to-start latency needs a timestamp at insertion, and runtimes a
 * clock read around each routine: they are taken while the ntdpc_entry,
 * ntdpc_exit or ntdpc_drain tracepoint is enabled or the latency_stats
 * parameter is on (off by default: clock reads would be most of what a DPC
 * costs), through one static key, and cost nothing otherwise.
 */
#include <linux/debugfs.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>

#include "internal.h"

DEFINE_STATIC_KEY_FALSE(ntdpc_timing);

static bool latency_stats;
module_param(latency_stats, bool, 0444);
MODULE_PARM_DESC(latency_stats,
		 "Time every insertion and routine for the latency and runtime statistics (default 0: only while traced)");

static struct dentry *ntdpc_debugfs;

/* Registering ntdpc_entry, ntdpc_exit or ntdpc_drain turns timing on too. */
int ntdpc_timing_reg(void)
{
	static_branch_inc(&ntdpc_timing);
	return 0;
}

void ntdpc_timing_unreg(void)
{
	static_branch_dec(&ntdpc_timing);
}

static void ntdpc_list_stats_reset(struct ntdpc_list_stats *st)
{
	WRITE_ONCE(st->run, 0);
	WRITE_ONCE(st->removed, 0);
	WRITE_ONCE(st->depth_high, 0);
	WRITE_ONCE(st->max_latency_ns, 0);
	WRITE_ONCE(st->max_runtime_ns, 0);
	WRITE_ONCE(st->time_ns, 0);
}

void ntdpc_stats_reset(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		ntdpc_list_stats_reset(&c->dpcs.stats);
		ntdpc_list_stats_reset(&c->threaded.stats);
		/* inserted feeds NT's request rate: leave it, move the base. */
		WRITE_ONCE(c->stat_queued_base, READ_ONCE(c->inserted));
		WRITE_ONCE(c->stat_drains, 0);
		WRITE_ONCE(c->stat_budget_exhausted, 0);
		WRITE_ONCE(c->stat_remote_kicks, 0);
		WRITE_ONCE(c->stat_redirected, 0);
		WRITE_ONCE(c->stat_rejected, 0);
		WRITE_ONCE(c->stat_threaded, 0);
		WRITE_ONCE(c->stat_watchdog, 0);
	}
}

#define NTDPC_ROW(name, expr)						\
	do {								\
		seq_printf(m, "%23s:", name);				\
		for_each_online_cpu(cpu) {				\
			struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu); \
			seq_printf(m, " %12llu",			\
				   (unsigned long long)(expr));		\
		}							\
		seq_putc(m, '\n');					\
	} while (0)

static int ntdpc_stats_show(struct seq_file *m, void *v)
{
	unsigned int cpu;
	char name[16];

	seq_printf(m, "%24s", "");
	for_each_online_cpu(cpu) {
		snprintf(name, sizeof(name), "CPU%u", cpu);
		seq_printf(m, " %12s", name);
	}
	seq_putc(m, '\n');
	NTDPC_ROW("queued", READ_ONCE(c->inserted) -
			    READ_ONCE(c->stat_queued_base));
	NTDPC_ROW("run", READ_ONCE(c->dpcs.stats.run));
	NTDPC_ROW("rejected", READ_ONCE(c->stat_rejected));
	NTDPC_ROW("removed", READ_ONCE(c->dpcs.stats.removed) +
			     READ_ONCE(c->threaded.stats.removed));
	NTDPC_ROW("threaded", READ_ONCE(c->stat_threaded));
	NTDPC_ROW("threaded_run", READ_ONCE(c->threaded.stats.run));
	NTDPC_ROW("remote_kicks", READ_ONCE(c->stat_remote_kicks));
	NTDPC_ROW("redirected", READ_ONCE(c->stat_redirected));
	NTDPC_ROW("drains", READ_ONCE(c->stat_drains));
	NTDPC_ROW("budget_spent", READ_ONCE(c->stat_budget_exhausted));
	NTDPC_ROW("depth_high", READ_ONCE(c->dpcs.stats.depth_high));
	NTDPC_ROW("max_latency_ns", READ_ONCE(c->dpcs.stats.max_latency_ns));
	NTDPC_ROW("max_runtime_ns", READ_ONCE(c->dpcs.stats.max_runtime_ns));
	NTDPC_ROW("dpc_time_ns", READ_ONCE(c->dpcs.stats.time_ns));
	NTDPC_ROW("threaded_depth_high",
		  READ_ONCE(c->threaded.stats.depth_high));
	NTDPC_ROW("threaded_max_latency_ns",
		  READ_ONCE(c->threaded.stats.max_latency_ns));
	NTDPC_ROW("threaded_max_runtime_ns",
		  READ_ONCE(c->threaded.stats.max_runtime_ns));
	NTDPC_ROW("threaded_time_ns", READ_ONCE(c->threaded.stats.time_ns));
	NTDPC_ROW("watchdog", READ_ONCE(c->stat_watchdog));
	return 0;
}

static int ntdpc_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, ntdpc_stats_show, NULL);
}

static ssize_t ntdpc_stats_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	ntdpc_stats_reset();
	return count;
}

static const struct file_operations ntdpc_stats_fops = {
	.owner = THIS_MODULE,
	.open = ntdpc_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = ntdpc_stats_write,
	.release = single_release,
};

int ntdpc_stats_init(void)
{
	if (latency_stats)
		static_branch_inc(&ntdpc_timing);
	ntdpc_debugfs = debugfs_create_dir("ntdpc", NULL);
	debugfs_create_file("stats", 0600, ntdpc_debugfs, NULL,
			    &ntdpc_stats_fops);
	return 0;
}

void ntdpc_stats_exit(void)
{
	debugfs_remove_recursive(ntdpc_debugfs);
	if (latency_stats)
		static_branch_dec(&ntdpc_timing);
}
