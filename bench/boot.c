/* Boot: how long after the machine started does `main` run? CLOCK_BOOTTIME
 * counts from the kernel's first instruction (Lintel) or from its clock's
 * start early in boot (Linux); the host separately measures the wall time
 * from starting QEMU to this line. */
#include "bench.h"

int main(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
        fail("clock_gettime(CLOCK_BOOTTIME)");
    double ms = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    emit("boot_main", ms, "ms", "");
    return 0;
}
