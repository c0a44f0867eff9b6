import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { integerSetting, parseSettings, sharedSettings } from './shared-settings.js';

const schema = z.object({ ...sharedSettings, PORT: integerSetting(3000, 1) });

describe('parseSettings', () => {
  it('fills the defaults', () => {
    expect(parseSettings(schema, {}, 'test')).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: 'ens', PORT: 3000 });
  });

  it('lists every bad variable in one error', () => {
    expect(() => parseSettings(schema, { REDIS_URL: 'nope', REDIS_PREFIX: 'a:b', PORT: '0' }, 'test')).toThrow(
      /invalid test configuration:\n {2}REDIS_URL: .*\n {2}REDIS_PREFIX: .*\n {2}PORT: /,
    );
  });
});
