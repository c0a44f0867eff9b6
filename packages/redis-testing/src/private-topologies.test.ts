import { describe, expect, it } from 'vitest';
import { startPrivateCluster, startPrivateSentinelGroup } from './index.js';

describe('startPrivateCluster', () => {
  it('starts three masters that share the slots, and stops them', async () => {
    const cluster = await startPrivateCluster();
    try {
      expect(cluster.nodes).toHaveLength(3);
      const [first] = cluster.nodes;
      const info = await cluster.cli(first?.port as number, 'cluster', 'info');
      expect(info).toMatch(/cluster_state:ok/);
      expect(info).toMatch(/cluster_slots_assigned:16384/);
      expect(cluster.nodesSetting).toBe(cluster.nodes.map(({ port }) => `127.0.0.1:${port}`).join(','));
    } finally {
      await cluster.stop();
    }
  });
});

describe('startPrivateSentinelGroup', () => {
  it('starts a primary, a replica and three Sentinels that agree on the primary', async () => {
    const group = await startPrivateSentinelGroup();
    try {
      expect(await group.primaryPort()).toBe(group.serverPorts[0]);
      expect(await group.cli(group.serverPorts[1] as number, 'info', 'replication')).toMatch(/role:slave/);
      expect(group.sentinelsSetting.split(',')).toHaveLength(3);
    } finally {
      await group.stop();
    }
  });
});
