import { describe, expect, it } from 'vitest';
import { PrePingPool } from '../src/db/pre-ping-pool.ts';
import { POSTGRES_ADMIN_URL, TEST_DATABASE } from './helpers/database.ts';

describe.runIf(TEST_DATABASE === 'postgresql')('PostgreSQL pre-ping', () => {
  it('replaces a connection that died silently while idle before any query uses it', async () => {
    const pool = new PrePingPool({ connectionString: POSTGRES_ADMIN_URL, max: 2 }, 100);
    try {
      const first = await pool.connect();
      const firstPid = (await first.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      // A half-open connection (a failover, a firewall dropping idle flows) raises no event: it
      // fails only when used. Make this one fail like that.
      const dead = (...args: unknown[]) => {
        const error = new Error('Connection terminated unexpectedly');
        const callback = args.find((arg): arg is (error: Error) => void => typeof arg === 'function');
        if (callback) return void callback(error);
        return Promise.reject(error);
      };
      (first as unknown as { query: typeof dead }).query = dead;
      first.release();
      await new Promise((resolve) => setTimeout(resolve, 200));

      // Without the ping, the first of these would run on the dead connection and fail.
      for (let i = 0; i < 5; i++) {
        const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        expect(rows[0]?.pid).not.toBe(firstPid);
      }
      expect(pool.totalCount).toBeLessThanOrEqual(2);
    } finally {
      await pool.end();
    }
  });

  it('does not ping a connection that was just used', async () => {
    const pool = new PrePingPool({ connectionString: POSTGRES_ADMIN_URL, max: 1 }, 60_000);
    try {
      await pool.query('SELECT 1');
      let pings = 0;
      const spy = await pool.connect();
      const original = spy.query.bind(spy);
      (spy as unknown as { query: typeof original }).query = ((...args: Parameters<typeof original>) => {
        pings += 1;
        return original(...args);
      }) as typeof original;
      spy.release();
      await pool.query('SELECT 1');
      // Only the query itself ran on the connection: no ping within the idle threshold.
      expect(pings).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
