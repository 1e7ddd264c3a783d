/**
 * STATEMENT_TIMEOUT_IN_SECONDS on the twin: a statement past the smaller non-zero of the session's
 * value and the host's ceiling is interrupted on its own connection and refused with Snowflake's
 * 000630 / 57014; the session runs its next statement; another session's statement is untouched;
 * a timed-out INSERT leaves no row. Each runaway statement would run for hours; the timeouts are
 * 1 and 2 s, so the file takes a few seconds. Nothing here asserts how long anything took.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testEngine } from "../helpers/engine.ts";
import type { EmbeddedEngine } from "../../pipelines/engine/embeddedEngine.ts";
import { SnowflakeSession } from "../../pipelines/sql/snowflakeSession.ts";
import { DEFAULT_STATEMENT_TIMEOUT_S, MAX_STATEMENT_TIMEOUT_S, effectiveTimeout, sessionTimeoutValue } from "../../pipelines/sql/statementTimeout.ts";
import { statementTimeoutOption } from "../../scripts/lib/serve/serveOptions.ts";

/**
 * A runaway query in Snowflake SQL that passes a tenant's allowlist: a recursive CTE counting to
 * 5 million, one row per step (Snowflake has no range(); the twin takes no GENERATOR). About 100 s
 * on this project's machines: long past every timeout below, yet it ends, so a timeout that does
 * not fire fails the test instead of hanging it.
 */
const RUNAWAY = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5000000) SELECT COUNT(*) AS c FROM r";

const timedOut = (seconds: number) => (e: unknown) => {
  const err = e as { code?: string; sqlState?: string; message?: string };
  assert.equal(err.code, "000630", err.message);
  assert.equal(err.sqlState, "57014");
  assert.equal(err.message, `Statement reached its statement or warehouse timeout of ${seconds} second(s) and was canceled.`);
  return true;
};

describe("the effective statement timeout, as Snowflake takes session and warehouse values", () => {
  it("is the smaller non-zero of the two; 0 on both is the 7-day maximum", () => {
    assert.equal(effectiveTimeout(60, 300), 60);
    assert.equal(effectiveTimeout(600, 300), 300);
    assert.equal(effectiveTimeout(0, 300), 300);
    assert.equal(effectiveTimeout(60, 0), 60);
    assert.equal(effectiveTimeout(0, 0), MAX_STATEMENT_TIMEOUT_S);
  });

  it("takes 0..604800 in digits and refuses anything else naming the value", () => {
    assert.equal(sessionTimeoutValue("0"), 0);
    assert.equal(sessionTimeoutValue("604800"), 604800);
    for (const v of ["-1", "1e3", "604801", "abc", "", "1.5", " 60", "0x10", "99999999999999999999"]) {
      assert.throws(() => sessionTimeoutValue(v), (e: Error & { code?: string }) => e.code === "001008" && e.message.includes(`invalid value [${v}] for parameter 'STATEMENT_TIMEOUT_IN_SECONDS'`), v);
    }
  });

  it("serve's --statement-timeout takes the same domain and names a refused value", () => {
    assert.equal(statementTimeoutOption("--statement-timeout", "0"), 0);
    assert.equal(statementTimeoutOption("--statement-timeout", "604800"), 604800);
    for (const v of ["-1", "1e3", "604801", "abc", "", "1.5", " 60", "0x10", undefined]) {
      assert.throws(() => statementTimeoutOption("--statement-timeout", v), (e: Error) => e.message.startsWith(`--statement-timeout ${JSON.stringify(v ?? "")} must be a whole number of seconds from 0 to 604800`), String(v));
    }
  });
});

describe("a SnowflakeSession's statement timeout", () => {
  let engine: EmbeddedEngine;
  before(async () => {
    ({ engine } = await testEngine());
    await engine.grantTenantRole("acme");
  });
  after(async () => engine.close());

  const open = (role: string, ceiling?: number) => SnowflakeSession.open(engine, { user: "u", role, ...(ceiling === undefined ? {} : { statementTimeoutCeiling: ceiling }) });

  it("follows ALTER SESSION SET and UNSET under the host's ceiling", async () => {
    const s = await open("TENANT_ACME_ROLE", 300);
    try {
      assert.equal(s.timeoutSeconds(), 300, "the account default (172800) is above the ceiling");
      await s.execute("ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 20");
      assert.equal(s.timeoutSeconds(), 20);
      await s.execute("ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 3600");
      assert.equal(s.timeoutSeconds(), 300, "a session cannot raise the ceiling");
      await s.execute("ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 0");
      assert.equal(s.timeoutSeconds(), 300, "0 is the maximum, so the ceiling applies");
      await s.execute("ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 5");
      await s.execute("ALTER SESSION UNSET STATEMENT_TIMEOUT_IN_SECONDS");
      assert.equal(s.timeoutSeconds(), 300);
    } finally {
      await s.close();
    }
    const own = await open("HUB_ADMIN");
    try {
      assert.equal(own.timeoutSeconds(), DEFAULT_STATEMENT_TIMEOUT_S, "no ceiling: the account default");
      await own.execute("ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 0");
      assert.equal(own.timeoutSeconds(), MAX_STATEMENT_TIMEOUT_S);
    } finally {
      await own.close();
    }
  });

  it("refuses a value out of the parameter's domain naming it, and keeps the one it had", async () => {
    const s = await open("TENANT_ACME_ROLE", 300);
    try {
      await s.execute("ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 20");
      for (const [typed, named] of [["-1", "-1"], ["1e3", "1e3"], ["604801", "604801"], ["'abc'", "abc"], ["''", ""], ["1.5", "1.5"], ["NULL", "NULL"], ["abc", "abc"], ["TRUE", "TRUE"]] as const) {
        const sql = `ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = ${typed}`;
        await assert.rejects(s.execute(sql), (e: Error & { code?: string; sqlState?: string }) => {
          assert.equal(e.code, "001008", `${sql}: ${e.message}`);
          assert.equal(e.sqlState, "22023");
          assert.equal(e.message, `SQL compilation error:\ninvalid value [${named}] for parameter 'STATEMENT_TIMEOUT_IN_SECONDS'`);
          return true;
        });
        assert.equal(s.timeoutSeconds(), 20, `${sql} changed the session`);
      }
      // Checked before anything is applied: a refused value leaves the tag unset too.
      await assert.rejects(s.execute("ALTER SESSION SET QUERY_TAG = 'x', STATEMENT_TIMEOUT_IN_SECONDS = 604801"), /invalid value \[604801\]/);
      assert.equal(s.timeoutSeconds(), 20);
    } finally {
      await s.close();
    }
  });

  it("stops a tenant's runaway query at the ceiling, reports Snowflake's error, and the session goes on", async () => {
    const s = await open("TENANT_ACME_ROLE", 1);
    try {
      await assert.rejects(s.execute(RUNAWAY), timedOut(1));
      const next = await s.execute("SELECT 41 + 1 AS answer");
      assert.deepEqual(next[0]!.rows, [[42]]);
    } finally {
      await s.close();
    }
  });

  it("interrupts only its own statement: another session's runs on past it, and the engine's connection answers", async () => {
    const tenant = await open("TENANT_ACME_ROLE", 1);
    // The hub's operator without a ceiling, under its own session value: it must still be running
    // when the tenant's statement is interrupted at 1 s, and end at its own 2 s, not there.
    const operator = await open("HUB_ADMIN");
    try {
      await operator.execute("ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 2");
      const [t, o] = await Promise.allSettled([tenant.execute(RUNAWAY), operator.execute(RUNAWAY)]);
      assert.equal(t.status, "rejected");
      timedOut(1)((t as PromiseRejectedResult).reason);
      assert.equal(o.status, "rejected");
      timedOut(2)((o as PromiseRejectedResult).reason);
      // A short statement on another session meanwhile, and the engine's own connection after.
      const third = await open("HUB_ADMIN", 1);
      try {
        const [slow, quick] = await Promise.allSettled([tenant.execute(RUNAWAY), third.execute("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000) SELECT COUNT(*) AS c FROM r")]);
        assert.equal(quick.status, "fulfilled");
        assert.deepEqual((quick as PromiseFulfilledResult<Awaited<ReturnType<SnowflakeSession["execute"]>>>).value[0]!.rows, [[1000]]);
        timedOut(1)((slow as PromiseRejectedResult).reason);
      } finally {
        await third.close();
      }
      assert.deepEqual(await engine.control<{ n: number }>("SELECT 7 AS n"), [{ n: 7 }]);
    } finally {
      await tenant.close();
      await operator.close();
    }
  });

  it("a timed-out INSERT leaves no row behind, and its connection writes the next one", async () => {
    const admin = await engine.admin();
    try {
      await admin.execute("CREATE TABLE timeout_probe (x BIGINT)");
      // Rows are appended as the scan goes (one in a million of 2*10^10: a row every few ms, little
      // memory), so some are written when the interrupt lands; about 100 s if it never does.
      await assert.rejects(admin.execute("INSERT INTO timeout_probe SELECT range FROM range(20000000000) WHERE range % 1000000 = 0", { timeoutSeconds: 1 }), timedOut(1));
      assert.deepEqual(await admin.query("SELECT COUNT(*) AS n FROM timeout_probe"), [{ n: 0 }]);
      assert.equal(await admin.execute("INSERT INTO timeout_probe VALUES (1), (2)", { timeoutSeconds: 1 }), 2);
      assert.deepEqual(await admin.query("SELECT COUNT(*) AS n FROM timeout_probe"), [{ n: 2 }]);
    } finally {
      await admin.close();
    }
  });
});
