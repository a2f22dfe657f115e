// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc-latency: names for routine addresses, from the kallsyms copy that
 * trace-cmd saves in trace.dat: "name" or "name+0xoff" as the kernel's %ps
 * prints it, and the module the routine lives in.
 */
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "ntdpc-latency.h"

/* Where a module's symbol starts; tep_find_function_info() names it. */
struct nl_ksym {
	unsigned long long addr;
	const char *module;
};

struct nl_syms {
	struct tep_handle *tep;
	/* tep_print_funcs() output, cut in place into the module names */
	char *kmods;
	size_t kmods_len;
	struct nl_ksym *mods;
	size_t nmods;
	size_t mods_cap;
	/* with the table, a symbol not in it is built into the kernel */
	int have_mods;
};

/*
 * libtraceevent keeps the module of each kallsyms entry but only exposes it
 * through tep_print_funcs(), which prints the table to stdout.  glibc lets
 * stdout be reassigned, so the table is captured in memory and indexed.
 */
static void load_modules(struct nl_syms *s)
{
	FILE *saved = stdout, *mem;
	char *line, *next, *name, *mod, *end;
	unsigned long long addr;

	fflush(stdout);
	mem = open_memstream(&s->kmods, &s->kmods_len);
	if (!mem)
		return;
	stdout = mem;
	tep_print_funcs(s->tep);
	stdout = saved;
	if (fclose(mem) || !s->kmods)
		return;
	s->have_mods = 1;

	for (line = s->kmods; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		addr = strtoull(line, &end, 16);
		if (end == line || *end != ' ')
			continue;
		name = end + 1;
		mod = strstr(name, " [");
		if (!mod)
			continue;
		*mod = '\0';
		mod += 2;
		end = strchr(mod, ']');
		if (end)
			*end = '\0';
		s->mods = nl_grow(s->mods, &s->mods_cap, s->nmods + 1,
				  sizeof(*s->mods));
		s->mods[s->nmods].addr = addr;
		s->mods[s->nmods].module = mod;
		s->nmods++;
	}
}

struct nl_syms *nl_syms_load(struct tep_handle *tep)
{
	struct nl_syms *s = nl_alloc(1, sizeof(*s));

	s->tep = tep;
	load_modules(s);
	return s;
}

/* The table comes out of libtraceevent sorted by address. */
static const char *module_of(const struct nl_syms *s, unsigned long long start)
{
	size_t lo = 0, hi = s->nmods, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->mods[mid].addr < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nmods && s->mods[lo].addr == start)
		return s->mods[lo].module;
	return NULL;
}

void nl_syms_resolve(const struct nl_syms *s, unsigned long long addr,
		     char **name, char **module)
{
	const char *fn = NULL, *mod;
	unsigned long long start = 0;
	unsigned long size = 0;
	char buf[512];

	if (addr && tep_find_function_info(s->tep, addr, &fn, &start, &size) &&
	    fn && (!size || addr - start < size)) {
		if (addr == start)
			snprintf(buf, sizeof(buf), "%s", fn);
		else
			snprintf(buf, sizeof(buf), "%s+0x%llx", fn,
				 addr - start);
		*name = nl_strdup(buf);
		mod = module_of(s, start);
		if (mod)
			*module = nl_strdup(mod);
		else
			*module = nl_strdup(s->have_mods ? "kernel" : "?");
		return;
	}
	snprintf(buf, sizeof(buf), "0x%llx", addr);
	*name = nl_strdup(buf);
	*module = nl_strdup("?");
}
