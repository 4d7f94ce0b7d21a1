/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical memory map: QEMU's "virt" board layout, so guests and
 * tools that know that board find the same devices at the same places.
 *
 *   0x0000_0000 +--------------------------------+
 *               | (unmapped: external abort)     |
 *   0x0800_0000 +--------------------------------+
 *               | GIC distributor        64 KiB  |
 *   0x0801_0000 | GICv2 CPU interface    64 KiB  |  (GICv2 / --irqchip=user)
 *   0x0808_0000 | GICv3 ITS             128 KiB  |  (not used)
 *   0x080a_0000 | GICv3 redistributors 128 KiB/CPU, up to 123 CPUs
 *   0x0900_0000 +--------------------------------+
 *               | PL011 UART, SPI 1        4 KiB |
 *   0x0901_0000 +--------------------------------+
 *               | PL031 RTC, SPI 2         4 KiB |
 *   0x0901_1000 +--------------------------------+
 *               | (unmapped)                     |
 *   0x0903_0000 +--------------------------------+
 *               | PL061 GPIO, SPI 7        4 KiB |  (power key: pin 3)
 *   0x0903_1000 +--------------------------------+
 *               | (unmapped)                     |
 *   0x0a00_0000 +--------------------------------+
 *               | virtio-mmio slots, 0x200 each, |
 *               | 32 slots, SPIs 16..47          |
 *   0x0a10_0000 +--------------------------------+
 *               | boot timer               4 KiB |  (cellvm only)
 *   0x0a10_1000 +--------------------------------+
 *               | (unmapped)                     |
 *   0x4000_0000 +--------------------------------+
 *               | RAM (--mem, 256 MiB default)   |
 *               |  kernel at 2 MiB base + text_offset
 *               |  ... initrd ... DTB (top)      |
 *               +--------------------------------+
 *
 * Interrupt numbers below are GIC INTIDs (SPI n = INTID 32 + n).
 */
#ifndef CELLVM_ARCH_ARM64_MEMMAP_H
#define CELLVM_ARCH_ARM64_MEMMAP_H

#define CELLVM_GIC_DIST_BASE 0x08000000ULL
#define CELLVM_GIC_DIST_SIZE 0x00010000ULL
#define CELLVM_GIC_CPU_BASE 0x08010000ULL
#define CELLVM_GIC_CPU_SIZE 0x00010000ULL
#define CELLVM_GIC_ITS_BASE 0x08080000ULL
#define CELLVM_GIC_REDIST_BASE 0x080a0000ULL
#define CELLVM_GIC_REDIST_SIZE_PER_CPU 0x00020000ULL
#define CELLVM_GIC_REDIST_MAX_CPUS 123

#define CELLVM_UART_BASE 0x09000000ULL
#define CELLVM_UART_SIZE 0x00001000ULL
#define CELLVM_UART_IRQ (32 + 1)

#define CELLVM_RTC_BASE 0x09010000ULL
#define CELLVM_RTC_SIZE 0x00001000ULL
#define CELLVM_RTC_IRQ (32 + 2)

/* QEMU virt's GPIO and its gpio-keys power key (hw/arm/virt.c). */
#define CELLVM_GPIO_BASE 0x09030000ULL
#define CELLVM_GPIO_SIZE 0x00001000ULL
#define CELLVM_GPIO_IRQ (32 + 7)
#define CELLVM_GPIO_POWER_PIN 3

#define CELLVM_VIRTIO_MMIO_BASE 0x0a000000ULL
#define CELLVM_VIRTIO_MMIO_SLOT_SIZE 0x200ULL
#define CELLVM_VIRTIO_MMIO_SLOTS 32
#define CELLVM_VIRTIO_MMIO_IRQ0 (32 + 16)

#define CELLVM_BOOT_TIMER_BASE 0x0a100000ULL
#define CELLVM_BOOT_TIMER_SIZE 0x00001000ULL

#define CELLVM_RAM_BASE 0x40000000ULL
#define CELLVM_RAM_DEFAULT_SIZE (256ULL << 20)
/* The largest RAM the map allows: up to the 40-bit IPA limit. */
#define CELLVM_RAM_MAX_SIZE ((1ULL << 40) - CELLVM_RAM_BASE)

/* Number of GIC INTIDs the machine has: 32 private + 64 SPIs. */
#define CELLVM_GIC_NR_IRQS 96

/* Architected timer and PMU PPIs (INTIDs), as on QEMU virt. */
#define CELLVM_PPI_PTIMER_SEC 29
#define CELLVM_PPI_PTIMER 30
#define CELLVM_PPI_VTIMER 27
#define CELLVM_PPI_HTIMER 26
#define CELLVM_PPI_PMU 23

#endif
