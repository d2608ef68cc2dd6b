import { Redis } from 'ioredis';

/** The Redis the remote event bus tests use (overridable, as the databases are). */
export const REDIS_URL = process.env.ENGRAM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** In CI (and with ENGRAM_TEST_REQUIRE=...,redis) a missing Redis fails the suites that need it. */
export const redisRequired =
  process.env.CI === 'true' || (process.env.ENGRAM_TEST_REQUIRE ?? '').split(',').includes('redis');

/** A Redis client for a test (admin commands: PUBSUB, CLIENT KILL); quit it when done. */
export function redisClient(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
}

/** Why Redis cannot be used here, or undefined when it answers. */
export async function redisUnavailable(): Promise<string | undefined> {
  const client = redisClient();
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return `no Redis at ${REDIS_URL} (${(error as Error).message}); start one with redis-server`;
  } finally {
    client.disconnect();
  }
}

/** Skips (saying why) unless Redis answers or is required; call at the top of a test file. */
export async function redisSuite(what: string): Promise<boolean> {
  const reason = await redisUnavailable();
  if (!reason) return true;
  if (redisRequired) return true; // the suite runs and fails on the missing Redis
  process.stdout.write(`\nSKIPPED ${what}: ${reason}\n`);
  return false;
}

/** Waits until Redis counts a subscriber on `channel` (a SUBSCRIBE is acknowledged asynchronously). */
export async function subscribedInRedis(admin: Redis, channel: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [, count] = (await admin.pubsub('NUMSUB', channel)) as [string, number];
    if (Number(count) > 0) return;
    if (Date.now() > deadline) throw new Error(`no subscriber on ${channel} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Kills the named connections (CLIENT KILL), as a network failure would cut them. */
export async function killRedisConnections(admin: Redis, name: string): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  let killed = 0;
  for (const line of list.split('\n')) {
    const id = line.match(/\bid=(\d+)/)?.[1];
    if (id && line.includes(` name=${name} `)) {
      killed += Number(await admin.client('KILL', 'ID', id));
    }
  }
  return killed;
}
