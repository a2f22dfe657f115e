// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dpc: an NT-style PCI driver for QEMU's "edu" teaching device
 * (vendor 0x1234, device 0x11e8).  The ISR only acknowledges the device and
 * calls IoRequestDpc(); the DpcForIsr completes the request at
 * DISPATCH_LEVEL and starts the next one, as a Windows driver would.
 *
 * Requests come from user space through /dev/edu_dpc, one per line:
 *
 *   fact N          the device computes N! (modulo 2^32)
 *   dma LEN SEED    LEN bytes (<= 4096) go RAM -> device -> RAM by DMA
 *
 * and are answered, in order, one line each when read from the same open
 * file: "fact N RESULT ok|BAD" and "dma LEN SEED ok|BAD".  Many may be
 * outstanding at once; the device's factorial unit and DMA engine each work
 * on one at a time, both at once.  Interrupts can arrive faster than DPCs
 * run (dpc_delay_us makes the DpcForIsr slow on purpose): the ISR
 * accumulates the status bits, several IoRequestDpc() calls give one
 * DpcForIsr call, and that call handles all of them.  debugfs edu_dpc/stats
 * counts interrupts, DPC calls, and DPCs that did not run at DISPATCH_LEVEL
 * or not on the CPU that took the interrupt.
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <ntdpc/ntddk.h>

/* Linux 6.8 renamed PCI_IRQ_LEGACY; older kernels only have that name. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

#define EDU_ID			0x00
#define EDU_FACT		0x08
#define EDU_STATUS		0x20
#define  EDU_STATUS_BUSY	0x01
#define  EDU_STATUS_IRQ_FACT	0x80
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_ACK		0x64
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define  EDU_DMA_START		0x01
#define  EDU_DMA_TO_RAM		0x02
#define  EDU_DMA_IRQ		0x04
#define EDU_IRQ_FACT		0x001
#define EDU_IRQ_DMA		0x100
#define EDU_DMA_BUF		0x40000
#define EDU_DMA_SIZE		4096

static unsigned int dpc_delay_us;
module_param(dpc_delay_us, uint, 0644);
MODULE_PARM_DESC(dpc_delay_us, "Make the DpcForIsr this slow (us), to let interrupts outrun it");

enum edu_op { EDU_OP_FACT, EDU_OP_DMA_TO_DEV, EDU_OP_DMA_TO_RAM };

struct edu_req {
	struct list_head node;		/* on the device's pending list */
	struct list_head file_node;	/* on the opener's list, in order */
	bool is_dma;
	enum edu_op op;			/* next hardware step */
	u32 arg, seed;
	u32 result;
	bool done, ok;
};

struct edu_file {
	struct edu_dev *edu;
	struct list_head reqs;		/* submitted, answered in order */
};

struct edu_dev {
	DEVICE_OBJECT devobj;		/* embeds the DPC */
	struct pci_dev *pdev;
	void __iomem *bar;
	KSPIN_LOCK lock;

	_Guarded_by_(lock) struct list_head pending;
	/* The request in flight on each engine. */
	_Guarded_by_(lock) struct edu_req *fact, *dma;
	atomic_t irq_status;		/* accumulated by the ISR */
	void *dma_buf;
	dma_addr_t dma_handle;
	wait_queue_head_t wait;		/* readers waiting for completions */
	int isr_cpu;
	/* Statistics. */
	atomic_long_t interrupts, dpc_calls, completed, bad_irql, other_cpu;
	struct miscdevice misc;
	struct dentry *debugfs;
};

static struct edu_dev *edu_the;	/* one device: one /dev/edu_dpc */

static u32 edu_expected_fact(u32 n)
{
	u32 r = 1;

	while (n > 1)
		r *= n--;
	return r;
}

static void edu_fill(u8 *buf, u32 len, u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		buf[i] = (u8)(seed * 7 + i * 13);
}

static bool edu_check(const u8 *buf, u32 len, u32 seed)
{
	u32 i;

	for (i = 0; i < len; i++)
		if (buf[i] != (u8)(seed * 7 + i * 13))
			return false;
	return true;
}

/* Start a request's next step on its engine. */
_Requires_lock_held_(edu->lock)
_IRQL_requires_(DISPATCH_LEVEL)
static void edu_start(_Inout_ struct edu_dev *edu, _In_ struct edu_req *r)
{
	switch (r->op) {
	case EDU_OP_FACT:
		iowrite32(EDU_STATUS_IRQ_FACT, edu->bar + EDU_STATUS);
		iowrite32(r->arg, edu->bar + EDU_FACT);
		break;
	case EDU_OP_DMA_TO_DEV:
		edu_fill(edu->dma_buf, r->arg, r->seed);
		writeq(edu->dma_handle, edu->bar + EDU_DMA_SRC);
		writeq(EDU_DMA_BUF, edu->bar + EDU_DMA_DST);
		writeq(r->arg, edu->bar + EDU_DMA_COUNT);
		writeq(EDU_DMA_START | EDU_DMA_IRQ, edu->bar + EDU_DMA_CMD);
		break;
	case EDU_OP_DMA_TO_RAM:
		memset(edu->dma_buf, 0, r->arg);
		writeq(EDU_DMA_BUF, edu->bar + EDU_DMA_SRC);
		writeq(edu->dma_handle, edu->bar + EDU_DMA_DST);
		writeq(r->arg, edu->bar + EDU_DMA_COUNT);
		writeq(EDU_DMA_START | EDU_DMA_TO_RAM | EDU_DMA_IRQ,
		       edu->bar + EDU_DMA_CMD);
		break;
	}
}

/* Give each idle engine its oldest pending request. */
_Requires_lock_held_(edu->lock)
_IRQL_requires_(DISPATCH_LEVEL)
static void edu_start_next(_Inout_ struct edu_dev *edu)
{
	struct edu_req *r, *tmp;

	list_for_each_entry_safe(r, tmp, &edu->pending, node) {
		struct edu_req **slot = r->is_dma ? &edu->dma : &edu->fact;

		if (*slot)
			continue;
		*slot = r;
		list_del_init(&r->node);
		edu_start(edu, r);
		if (edu->fact && edu->dma)
			break;
	}
}

_Requires_lock_held_(edu->lock)
static void edu_complete(_Inout_ struct edu_dev *edu,
			 _Inout_ struct edu_req **slot, _In_ bool ok)
{
	(*slot)->ok = ok;
	WRITE_ONCE((*slot)->done, true);
	*slot = NULL;
	atomic_long_inc(&edu->completed);
}

static irqreturn_t edu_isr(int irq, void *data)
{
	struct edu_dev *edu = data;
	u32 status = ioread32(edu->bar + EDU_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	iowrite32(status, edu->bar + EDU_IRQ_ACK);
	atomic_or(status, &edu->irq_status);
	WRITE_ONCE(edu->isr_cpu, smp_processor_id());
	atomic_long_inc(&edu->interrupts);
	IoRequestDpc(&edu->devobj, NULL, NULL);
	return IRQ_HANDLED;
}

/* The DpcForIsr, declared through its role type as the WDK does. */
static IO_DPC_ROUTINE EduDpcForIsr;

_Use_decl_annotations_
static VOID EduDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp,
			 PVOID Context)
{
	struct edu_dev *edu = container_of(DeviceObject, struct edu_dev, devobj);
	u32 status = atomic_xchg(&edu->irq_status, 0);
	bool completed = false;
	struct edu_req *r;

	atomic_long_inc(&edu->dpc_calls);
	if (KeGetCurrentIrql() != DISPATCH_LEVEL)
		atomic_long_inc(&edu->bad_irql);
	if (KeGetCurrentProcessorNumber() != READ_ONCE(edu->isr_cpu))
		atomic_long_inc(&edu->other_cpu);

	KeAcquireSpinLockAtDpcLevel(&edu->lock);
	r = edu->fact;
	if (r && (status & EDU_IRQ_FACT)) {
		r->result = ioread32(edu->bar + EDU_FACT);
		edu_complete(edu, &edu->fact,
			     r->result == edu_expected_fact(r->arg));
		completed = true;
	}
	r = edu->dma;
	if (r && (status & EDU_IRQ_DMA)) {
		if (r->op == EDU_OP_DMA_TO_DEV) {
			r->op = EDU_OP_DMA_TO_RAM;	/* and back again */
			edu_start(edu, r);
		} else {
			edu_complete(edu, &edu->dma,
				     edu_check(edu->dma_buf, r->arg, r->seed));
			completed = true;
		}
	}
	if (completed)
		edu_start_next(edu);
	KeReleaseSpinLockFromDpcLevel(&edu->lock);
	if (completed)
		wake_up_all(&edu->wait);
	/*
	 * A slow DPC, on purpose: the next requests are already on the device,
	 * so their interrupts arrive while this DPC is queued again and are
	 * folded into one call.
	 */
	if (dpc_delay_us) {
		ULONGLONG end = KeQueryInterruptTime() + dpc_delay_us * 10ULL;

		while (KeQueryInterruptTime() < end)
			cpu_relax();
	}
}

static int edu_open(struct inode *inode, struct file *file)
{
	struct edu_file *ef = kzalloc(sizeof(*ef), GFP_KERNEL);

	if (!ef)
		return -ENOMEM;
	ef->edu = edu_the;
	INIT_LIST_HEAD(&ef->reqs);
	file->private_data = ef;
	return 0;
}

static int edu_submit(struct edu_file *ef, const char *line)
{
	struct edu_dev *edu = ef->edu;
	struct edu_req *r;
	KIRQL old;
	u32 a, b = 0;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	if (sscanf(line, "fact %u", &a) == 1) {
		r->op = EDU_OP_FACT;
	} else if (sscanf(line, "dma %u %u", &a, &b) == 2 && a &&
		   a <= EDU_DMA_SIZE) {
		r->is_dma = true;
		r->op = EDU_OP_DMA_TO_DEV;
	} else {
		kfree(r);
		return -EINVAL;
	}
	r->arg = a;
	r->seed = b;
	INIT_LIST_HEAD(&r->node);
	list_add_tail(&r->file_node, &ef->reqs);
	KeAcquireSpinLock(&edu->lock, &old);
	list_add_tail(&r->node, &edu->pending);
	edu_start_next(edu);
	KeReleaseSpinLock(&edu->lock, old);
	return 0;
}

/* One request per line; the lines are queued at once, answered in order. */
static ssize_t edu_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char *buf, *line, *next;
	int ret = 0;

	if (len > PAGE_SIZE)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	for (next = buf; (line = strsep(&next, "\n")) && !ret;)
		if (*line)
			ret = edu_submit(file->private_data, line);
	kfree(buf);
	return ret ? ret : len;
}

/* The answer to the oldest request of this file, waiting for it. */
static ssize_t edu_read(struct file *file, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	struct edu_file *ef = file->private_data;
	struct edu_req *r;
	char out[64];
	int n, ret;

	r = list_first_entry_or_null(&ef->reqs, struct edu_req, file_node);
	if (!r)
		return 0;
	ret = wait_event_interruptible(ef->edu->wait, READ_ONCE(r->done));
	if (ret)
		return ret;
	if (r->is_dma)
		n = scnprintf(out, sizeof(out), "dma %u %u %s\n", r->arg,
			      r->seed, r->ok ? "ok" : "BAD");
	else
		n = scnprintf(out, sizeof(out), "fact %u %u %s\n", r->arg,
			      r->result, r->ok ? "ok" : "BAD");
	if (len < n)
		return -EINVAL;
	if (copy_to_user(ubuf, out, n))
		return -EFAULT;
	list_del(&r->file_node);
	kfree(r);
	return n;
}

static int edu_release(struct inode *inode, struct file *file)
{
	struct edu_file *ef = file->private_data;
	struct edu_req *r, *tmp;

	/* Answers nobody read: wait for the device to be done with them. */
	list_for_each_entry_safe(r, tmp, &ef->reqs, file_node) {
		wait_event(ef->edu->wait, READ_ONCE(r->done));
		list_del(&r->file_node);
		kfree(r);
	}
	kfree(ef);
	return 0;
}

static const struct file_operations edu_fops = {
	.owner = THIS_MODULE,
	.open = edu_open,
	.write = edu_write,
	.read = edu_read,
	.release = edu_release,
};

static int edu_stats_show(struct seq_file *m, void *v)
{
	struct edu_dev *edu = m->private;

	seq_printf(m, "interrupts %ld\ndpc_calls %ld\ncompleted %ld\n",
		   atomic_long_read(&edu->interrupts),
		   atomic_long_read(&edu->dpc_calls),
		   atomic_long_read(&edu->completed));
	seq_printf(m, "not_dispatch_level %ld\nnot_isr_cpu %ld\nirq %s\n",
		   atomic_long_read(&edu->bad_irql),
		   atomic_long_read(&edu->other_cpu),
		   edu->pdev->msi_enabled ? "msi" : "intx");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_stats);

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dev *edu;
	int ret;

	if (edu_the)
		return -EBUSY;
	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	KeInitializeSpinLock(&edu->lock);
	INIT_LIST_HEAD(&edu->pending);
	init_waitqueue_head(&edu->wait);
	IoInitializeDpcRequest(&edu->devobj, EduDpcForIsr);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "edu_dpc");
	if (ret)
		return ret;
	edu->bar = pcim_iomap_table(pdev)[0];
	if ((ioread32(edu->bar + EDU_ID) & 0xff) != 0xed)
		return -ENODEV;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(28));
	if (ret)
		return ret;
	edu->dma_buf = dmam_alloc_coherent(&pdev->dev, EDU_DMA_SIZE,
					   &edu->dma_handle, GFP_KERNEL);
	if (!edu->dma_buf)
		return -ENOMEM;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		return ret;
	ret = request_irq(pci_irq_vector(pdev, 0), edu_isr, IRQF_SHARED,
			  "edu_dpc", edu);
	if (ret)
		goto err_vectors;

	edu->misc.minor = MISC_DYNAMIC_MINOR;
	edu->misc.name = "edu_dpc";
	edu->misc.fops = &edu_fops;
	edu_the = edu;
	ret = misc_register(&edu->misc);
	if (ret)
		goto err_irq;
	edu->debugfs = debugfs_create_dir("edu_dpc", NULL);
	debugfs_create_file("stats", 0444, edu->debugfs, edu, &edu_stats_fops);
	pci_set_drvdata(pdev, edu);
	dev_info(&pdev->dev, "edu_dpc: irq %d (%s)\n", pci_irq_vector(pdev, 0),
		 pdev->msi_enabled ? "MSI" : "INTx");
	return 0;

err_irq:
	edu_the = NULL;
	free_irq(pci_irq_vector(pdev, 0), edu);
err_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_dev *edu = pci_get_drvdata(pdev);

	debugfs_remove_recursive(edu->debugfs);
	misc_deregister(&edu->misc);
	free_irq(pci_irq_vector(pdev, 0), edu);
	pci_free_irq_vectors(pdev);
	/* No interrupt can queue the DPC now; let a queued one finish. */
	KeRemoveQueueDpc(&edu->devobj.Dpc);
	KeFlushQueuedDpcs();
	edu_the = NULL;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "edu_dpc",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc demo: NT-style driver for QEMU's edu device");
