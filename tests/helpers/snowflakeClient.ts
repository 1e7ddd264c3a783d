/** The real snowflake-sdk, logged in with a password to a served SQL endpoint, as a person's tool would. */
import snowflake from "snowflake-sdk";

snowflake.configure({ logLevel: "OFF" });

export function connectWithPassword(url: string, username: string, password: string, o: { role?: string } = {}): Promise<snowflake.Connection> {
  return new Promise((resolve, reject) => {
    const c = snowflake.createConnection({ account: "hub", username, password, database: "HUB", accessUrl: url, sfRetryMaxLoginRetries: 1, ...(o.role ? { role: o.role } : {}) });
    c.connect((err, conn) => (err ? reject(err) : resolve(conn)));
  });
}

/** One statement's rows, or the driver's error. */
export function runSql(c: snowflake.Connection, sqlText: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => c.execute({ sqlText, complete: (err, _s, rows) => (err ? reject(err) : resolve((rows ?? []) as Array<Record<string, unknown>>)) }));
}
