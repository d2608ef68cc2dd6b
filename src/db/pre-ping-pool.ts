import pg from 'pg';

/**
 * A node-postgres pool that checks a connection with `SELECT 1` before handing it out when it sat
 * idle longer than `prePingAfterMs` (pre-ping). A connection the server closed behind the pool's
 * back (a restart, a failover, a firewall dropping idle flows) is discarded and another one taken,
 * so the request never sees it.
 */
export class PrePingPool extends pg.Pool {
  private readonly releasedAt = new WeakMap<pg.PoolClient, number>();

  constructor(
    config: pg.PoolConfig,
    private readonly prePingAfterMs = 500,
  ) {
    super(config);
    this.on('release', (_error: Error | undefined, client: pg.PoolClient) => {
      this.releasedAt.set(client, Date.now());
    });
  }

  private async checkedClient(): Promise<pg.PoolClient> {
    for (let attempt = 1; ; attempt++) {
      const client = await super.connect();
      const idleSince = this.releasedAt.get(client);
      if (idleSince === undefined || Date.now() - idleSince < this.prePingAfterMs) return client;
      try {
        await client.query('SELECT 1');
        return client;
      } catch (error) {
        // Destroy it; the pool opens a fresh one on the next try.
        client.release(error as Error);
        if (attempt >= this.options.max) throw error;
      }
    }
  }

  // node-postgres calls connect() with a callback from query(), and without one elsewhere.
  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (
      error: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): void;
  override connect(
    callback?: (
      error: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): Promise<pg.PoolClient> | undefined {
    const checked = this.checkedClient();
    if (!callback) return checked;
    checked.then(
      (client) =>
        callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => {}),
    );
    return undefined;
  }
}
