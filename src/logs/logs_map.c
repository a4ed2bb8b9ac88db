/*
 * logs_map.c - a mapped log that shrinks while it is read (logs_int.h).
 *
 * A plain log is read in place, mapped (logs.c read_mapped()). When the
 * file is cut shorter meanwhile (logrotate's copytruncate, a person's
 * `: > mail.log`), every page of the mapping past its new end raises
 * SIGBUS when it is touched, in whichever thread touches it, and the
 * process would die with no word. So while a file is mapped, a SIGBUS in
 * its range puts zero pages over the rest of the mapping (MAP_FIXED: the
 * same addresses, so every pointer into it stays valid), notes the cut
 * and returns: the faulting access reads zeroes and goes on, the parser
 * sees a line of NULs (unparsed), and the reader reports the cut as an
 * error once the file is done. A SIGBUS outside the range is not ours:
 * the action that was there before is put back and the access faults
 * again under it.
 *
 * One mapping is guarded at a time (files are read one after another);
 * mmap() in a signal handler is a system call and nothing else here.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "logs/logs_int.h"

static atomic_uintptr_t	 g_lo, g_hi;	/* the range guarded, page-aligned */
static atomic_int	 g_cut;
static uintptr_t	 g_pg;
static struct sigaction	 g_old;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	uintptr_t lo = atomic_load(&g_lo), hi = atomic_load(&g_hi);

	(void)uc;
	if (si->si_code > 0 && lo != 0 && a >= lo && a < hi) {
		a &= ~(g_pg - 1);
		if (mmap((void *)a, hi - a, PROT_READ, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
			atomic_store(&g_cut, 1);
			return;
		}
	}
	/* not ours, or no zero pages to be had: as if we were not here */
	(void)sigaction(SIGBUS, &g_old, NULL);
	if (si->si_code <= 0)
		(void)raise(sig);	/* sent, not a fault: none again */
}

int
logs_map_guard(const void *base, size_t size)
{
	struct sigaction sa;
	long pg = sysconf(_SC_PAGESIZE);

	if (atomic_load(&g_lo) != 0)
		abort();	/* one mapping at a time */
	g_pg = pg > 0 ? (uintptr_t)pg : 4096;
	atomic_store(&g_cut, 0);
	atomic_store(&g_hi, ((uintptr_t)base + size + g_pg - 1) &
	    ~(g_pg - 1));
	atomic_store(&g_lo, (uintptr_t)base);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &g_old) != 0) {
		atomic_store(&g_lo, 0);
		return -1;
	}
	return 0;
}

bool
logs_map_unguard(void)
{
	(void)sigaction(SIGBUS, &g_old, NULL);
	atomic_store(&g_lo, 0);
	atomic_store(&g_hi, 0);
	return atomic_load(&g_cut) != 0;
}
