/*
 * A stand-in for the Lintel kernel, used only to test the launcher: a PVH
 * image that speaks the host side of docs/boot-protocol.md without running
 * any program. It behaves after the first letter of the init name
 * (the byte after "init=/" on the command line):
 *   e  echo: log the command line to COM3, "to-stderr" to COM2, copy COM1
 *      input back to COM1 until 0x04, log "lintel: exit status=3", exit 3
 *   s  log "lintel: exit signal=11", exit 128+11
 *   p  log "lintel: panic: boom", exit 0xff
 *   c  exit 5 without an exit line
 *   h  hang
 */
	.set COM1, 0x3f8
	.set COM2, 0x2f8
	.set COM3, 0x3e8
	.set DEBUG_EXIT, 0xf4

	.section .note.pvh, "a", @note
	.balign 4
	.long 4			/* namesz */
	.long 8			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad _start
	.balign 4

	.section .text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	mov 24(%ebx), %ebx	/* hvm_start_info.cmdline_paddr (low half) */
	movzbl 6(%ebx), %eax	/* "init=/X" */
	cmp $'s', %al
	je signal
	cmp $'p', %al
	je panic
	cmp $'c', %al
	je crash
	cmp $'h', %al
	je hang

echo:
	mov $COM3, %di
	mov $cmdline_msg, %esi
	call puts
	mov %ebx, %esi
	call puts
	mov $'\n', %al
	call putc
	mov $COM2, %di
	mov $stderr_msg, %esi
	call puts
	mov $COM1, %di
1:	call getc
	cmp $4, %al
	je 2f
	call putc
	jmp 1b
2:	mov $COM3, %di
	mov $exit_msg, %esi
	call puts
	mov $3, %al
	jmp leave

signal:
	mov $COM3, %di
	mov $signal_msg, %esi
	call puts
	mov $139, %al
	jmp leave

panic:
	mov $COM3, %di
	mov $panic_msg, %esi
	call puts
	mov $0xff, %al
	jmp leave

crash:
	mov $5, %al
	jmp leave

hang:
	mov $COM3, %di
	mov $hang_msg, %esi
	call puts
1:	hlt
	jmp 1b

leave:	/* al = isa-debug-exit value */
	mov $DEBUG_EXIT, %dx
	outb %al, %dx
1:	hlt
	jmp 1b

/* putc: al to the UART at di, once its transmit register is free (a byte
 * written while QEMU still holds the previous one is lost) */
putc:
	mov %eax, %ecx
	lea 5(%edi), %edx	/* LSR */
1:	inb %dx, %al
	test $0x20, %al		/* THR empty */
	jz 1b
	mov %ecx, %eax
	mov %di, %dx
	outb %al, %dx
	ret

/* puts: NUL-terminated esi to the UART at di */
puts:
	lodsb
	test %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

/* getc: a byte from the UART at di into al, waiting for it */
getc:
	lea 5(%edi), %edx	/* LSR */
1:	inb %dx, %al
	test $1, %al		/* data ready */
	jz 1b
	mov %di, %dx
	inb %dx, %al
	ret

	.section .rodata
cmdline_msg:	.asciz "lintel: cmdline: "
stderr_msg:	.asciz "to-stderr\n"
exit_msg:	.asciz "lintel: exit status=3\n"
signal_msg:	.asciz "lintel: exit signal=11\n"
panic_msg:	.asciz "lintel: panic: boom\n"
hang_msg:	.asciz "lintel: hanging\n"

	.section .bss
	.balign 16
	.skip 4096
stack_top:
