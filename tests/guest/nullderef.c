/* nullderef: prints "before", then writes through a NULL pointer. The kernel
 * must kill the program with SIGSEGV (never panic); "after" is never printed. */
#include <stdio.h>

int main(void)
{
    printf("before\n");
    fflush(stdout);
    volatile int *p = (volatile int *)0;
    *p = 1;
    printf("after\n");
    return 0;
}
