/**
 * A SQL session on a served hub, for the hub's own tools (`scripts/sql.ts` while `serve` runs):
 * snowflake-sdk logs in to the hub's Snowflake endpoint with the operator's key, exactly as it
 * logs in to Snowflake, and each statement is one request. Results keep the columns' names and
 * order as the endpoint sent them, so the tool prints what it prints on the file.
 */
import { readFileSync } from "node:fs";
import type { Connection } from "snowflake-sdk";
import { snowflakeDriver } from "../warehouse/snowflakeDriver.ts";
import { HubSqlError } from "../warehouse/errors.ts";
import { fromSnowflakeError, loginError } from "../warehouse/snowflakeErrors.ts";
import { splitStatements } from "../sql/sqlText.ts";
import { StatementsError, type StatementResult } from "../sql/statementResult.ts";
import type { ServeInfo } from "./serveFile.ts";

export interface ServedSessionOptions {
  readonly role: string;
  readonly warehouse?: string;
  readonly schema?: string;
}

export class ServedSession {
  private constructor(private readonly connection: Connection) {}

  static async open(info: ServeInfo, o: ServedSessionOptions): Promise<ServedSession> {
    const privateKey = readFileSync(info.operatorKey, "utf8");
    const target = { account: info.account, accessUrl: info.http, username: info.operatorUser, role: o.role, secrets: [privateKey] };
    const connection = (await snowflakeDriver()).createConnection({
      account: info.account, accessUrl: info.http, username: info.operatorUser, authenticator: "SNOWFLAKE_JWT", privateKey,
      role: o.role, database: info.account, ...(o.warehouse ? { warehouse: o.warehouse } : {}), ...(o.schema ? { schema: o.schema } : {}),
      sfRetryMaxLoginRetries: 1,
      representNullAsStringNull: false,
    });
    try {
      await new Promise<void>((resolve, reject) => connection.connect((err: unknown) => (err ? reject(err) : resolve())));
    } catch (e) {
      throw loginError(e, target);
    }
    return new ServedSession(connection);
  }

  /** Every statement in order; a failure carries the results before it (StatementsError), as on the file. */
  async execute(sqlText: string): Promise<StatementResult[]> {
    const results: StatementResult[] = [];
    for (const sql of splitStatements(sqlText)) {
      try {
        results.push(await this.one(sql));
      } catch (e) {
        const err = e instanceof HubSqlError ? e : fromSnowflakeError(e, sql, []);
        throw new StatementsError(err, results);
      }
    }
    return results;
  }

  private one(sql: string): Promise<StatementResult> {
    return new Promise((resolve, reject) => {
      this.connection.execute({
        sqlText: sql,
        rowMode: "array",
        complete: (err, stmt, rows) => {
          if (err) return reject(err);
          const columns = (stmt.getColumns() ?? []).map((c) => c.getName());
          const types = (stmt.getColumns() ?? []).map((c) => c.getType());
          const list = (rows ?? []) as unknown[][];
          // Snowflake answers a statement without rows with one column "status".
          if (columns.length === 1 && columns[0] === "status" && list.length === 1) return resolve({ sql, columns: [], rows: [], status: String(list[0]![0]) });
          resolve({ sql, columns, rows: list, types });
        },
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.connection.destroy(() => resolve()));
  }
}
