import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startPrivateRedis } from './index.js';

describe('startPrivateRedis', () => {
  it('starts a redis-server that answers, and stops it', async () => {
    const redis = await startPrivateRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ port: redis.port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString());
      });
      socket.once('error', reject);
    });
    expect(answer).toBe('+PONG\r\n');
    await redis.stop();
    expect(existsSync(redis.dir)).toBe(false);
  });
});
