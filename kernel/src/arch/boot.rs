//! PVH entry: QEMU (and any PVH-capable VMM) jumps to `pvh_start32` in 32-bit
//! protected mode with paging off and `ebx` pointing at `hvm_start_info`.
//! The trampoline zeroes .bss, builds boot page tables (identity + direct map
//! + kernel image, first 1 GiB with 2 MiB pages), enters long mode and calls
//! `kernel_main(start_info_phys, boot_tsc)` in the higher half.

use core::arch::global_asm;

global_asm!(
    r#"
    .section .note.Xen, "a", @note
    .balign 4
    .long 4              /* namesz: "Xen\0" */
    .long 4              /* descsz */
    .long 18             /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start32
    .balign 4

    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    movl %ebx, %esi
    rdtsc
    movl %eax, %ebp                 /* boot TSC low; high half in edx, kept below */
    movl %edx, boot_tsc_hi

    /* zero .bss (QEMU zero-fills it too, but do not rely on a VMM for that) */
    movl $__bss_start_phys, %edi
    movl $__bss_end_phys, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* page directory: 512 x 2 MiB pages, physical 0..1 GiB */
    movl $boot_pd, %edi
    movl $0x83, %eax                /* present | writable | huge */
    xorl %ecx, %ecx
1:  movl %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    addl $0x200000, %eax
    incl %ecx
    cmpl $512, %ecx
    jne 1b

    movl $(boot_pd + 3), boot_pdpt_low
    movl $(boot_pd + 3), boot_pdpt_high + 510 * 8
    movl $(boot_pdpt_low + 3), boot_pml4               /* identity, dropped later */
    movl $(boot_pdpt_low + 3), boot_pml4 + 256 * 8     /* direct map at 0xffff800000000000 */
    movl $(boot_pdpt_high + 3), boot_pml4 + 511 * 8    /* kernel at 0xffffffff80000000 */

    movl %cr4, %eax
    orl $0x20, %eax                 /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx          /* EFER */
    rdmsr
    orl $0x901, %eax                /* SCE | LME | NXE */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax           /* PG | WP | PE */
    movl %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $0x08, $pvh_start64

    .code64
pvh_start64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    xorq %rbp, %rbp
    movl %esi, %edi                 /* arg 0: start info (physical) */
    movl %ebp, %esi                 /* arg 1: TSC at entry */
    movl boot_tsc_hi, %eax
    shlq $32, %rax
    orq %rax, %rsi
    xorq %rbp, %rbp
    movabsq $kernel_main, %rax
    callq *%rax
2:  hlt
    jmp 2b

    .section .boot.data, "aw"
    .balign 4096
boot_pml4:      .zero 4096
boot_pdpt_low:  .zero 4096
boot_pdpt_high: .zero 4096
boot_pd:        .zero 4096
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 64-bit code */
    .quad 0x00cf92000000ffff        /* data */
boot_gdt_ptr:
    .word 23
    .long boot_gdt
    .balign 8
boot_tsc_hi: .long 0

    .section .bss
    .balign 16
boot_stack:
    .skip 262144
boot_stack_top:
    "#,
    options(att_syntax)
);
