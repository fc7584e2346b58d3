/* The footprint probe: the smallest guest that runs this has enough memory. */
#include <stdio.h>

int main(void)
{
    puts("hello");
    return 0;
}
