/**
 * The large machine of the dashboard test and benchmark: 256 CPUs on 2 nodes, six 256-queue
 * NICs across both nodes, two NVMe drives with kernel-managed queues and the timer: 2,049 IRQs.
 */
export const SIM_256CPU_2049IRQ = {
  cpus: 256,
  nodes: 2,
  seed: 7,
  uptime: 600,
  devices: [
    { name: 'timer', type: 'legacy', irq: 0, rate: 1 },
    ...[0, 1, 2, 3, 4, 5].map((i) => ({
      name: `eth${i}`,
      pci: `0000:${(0x3b + i * 0x10).toString(16)}:00.0`,
      node: i % 2,
      queues: 256,
      rate: 150_000,
      skew: 'lognormal',
    })),
    ...[0, 1].map((i) => ({
      name: `nvme${i}`,
      pci: `0000:${(0xb1 + i).toString(16)}:00.0`,
      node: i,
      queues: 256,
      rate: 80_000,
      managed: true,
    })),
  ],
};
