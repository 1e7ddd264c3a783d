/**
 * HUB_PORTAL's one write on the twin (pipelines/warehouse/portalWriteGuard.ts): the acknowledgement
 * INSERT as the portal sends it passes, in its bound and its literal (SQL endpoint) form; every
 * other INSERT is refused with Snowflake's privilege error, and a statement that is no INSERT is
 * left to the tenant guard.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPortalWrite } from "../../pipelines/warehouse/portalWriteGuard.ts";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";

const COLS = "(tenant_id, device_id, rule_id, window_start, acknowledged_by, acknowledged_at, note)";

test("the portal's acknowledgement passes, with binds or with the literals the endpoint binds in", () => {
  assert.equal(checkPortalWrite(`INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS ${COLS}\n  VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, CAST(? AS TIMESTAMP), ?)`), true);
  // A parenthesis inside a string is text, not the row's end.
  assert.equal(checkPortalWrite("INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (note) VALUES ('acme) -- ')"), true);
  assert.equal(
    checkPortalWrite(`INSERT INTO HUB.OPS.ALERT_ACKNOWLEDGEMENTS ${COLS} VALUES ('acme', 'm1', 'R', CAST('2026-01-05 08:00:00' AS TIMESTAMP), 'it''s; DROP TABLE x --', CAST('2026-01-05 08:00:00' AS TIMESTAMP_NTZ), NULL)`),
    true,
  );
});

test("a statement that is no INSERT is the tenant guard's to refuse", () => {
  for (const sql of ["SELECT * FROM OPS.ALERT_ACKNOWLEDGEMENTS", "DELETE FROM OPS.ALERT_ACKNOWLEDGEMENTS", "/* x */ INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (note) VALUES ('x')"]) {
    assert.equal(checkPortalWrite(sql), false, sql);
  }
});

test("every other INSERT is refused by name (003001)", () => {
  const refused = [
    "INSERT INTO OPS.ALERT_NOTIFICATIONS (tenant_id) VALUES ('acme')",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS VALUES ('acme')",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) SELECT tenant_id FROM ANALYTICS.ALERTS",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ((SELECT MAX(tenant_id) FROM GOVERNANCE.TENANT_MAP))",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES (current_user())",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme'), ('globex')",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme'); DROP TABLE OPS.ALERT_ACKNOWLEDGEMENTS",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme') RETURNING *",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme' -- a comment\n)",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme'",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id, no_such) VALUES ('acme', 1)",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id, note) VALUES ('acme')",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (window_start) VALUES (CAST('x' AS VARCHAR))",
    "INSERT OR REPLACE INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme')",
    "INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS_COPY (tenant_id) VALUES ('acme')",
  ];
  for (const sql of refused) {
    assert.throws(() => checkPortalWrite(sql), (e: unknown) => e instanceof HubSqlError && e.code === "003001" && /HUB_PORTAL may only INSERT one row/.test(e.message), sql);
  }
});

test("HUB_REPORTING's one write: a cost snapshot of many rows into OPS.TENANT_COSTS passes; more rows, another table, a SELECT or a function is refused", async () => {
  const { checkReportingWrite, MAX_TENANT_COST_ROWS } = await import("../../pipelines/warehouse/portalWriteGuard.ts");
  const cols = "(tenant_id, computed_at, warehouse, credits)";
  const row = "(?, CAST(? AS TIMESTAMP), ?, ?)";
  assert.equal(checkReportingWrite(`INSERT INTO OPS.TENANT_COSTS ${cols} VALUES ${row}, ${row}, ${row}`), true);
  assert.equal(checkReportingWrite(`INSERT INTO OPS.TENANT_COSTS ${cols} VALUES ${Array(MAX_TENANT_COST_ROWS).fill(row).join(", ")}`), true);
  assert.equal(checkReportingWrite("SELECT * FROM OPS.TENANT_COSTS"), false, "no INSERT: the tenant guard's (the role reads nothing of the hub's)");
  for (const [sql, why] of [
    [`INSERT INTO OPS.TENANT_COSTS ${cols} VALUES ${Array(MAX_TENANT_COST_ROWS + 1).fill(row).join(", ")}`, /at most 1000 rows/],
    [`INSERT INTO OPS.ALERT_ACKNOWLEDGEMENTS (tenant_id) VALUES ('acme')`, /not an INSERT \.\.\. VALUES into that table/],
    [`INSERT INTO OPS.TENANT_COSTS ${cols} SELECT tenant_id, computed_at, warehouse, credits FROM OPS.TENANT_COSTS`, /not an INSERT \.\.\. VALUES into that table/],
    [`INSERT INTO OPS.TENANT_COSTS ${cols} VALUES ${row}, ('acme', CURRENT_TIMESTAMP(), 'X', 1)`, /value 2 is not a placeholder/],
    [`INSERT INTO OPS.TENANT_COSTS ${cols} VALUES ${row}; DELETE FROM OPS.TENANT_COSTS`, /text after row 1/],
    [`INSERT INTO OPS.TENANT_COSTS (tenant_id, secret) VALUES (?, ?)`, /no column "secret"/],
    [`INSERT INTO OPS.TENANT_COSTS ${cols} VALUES (?, ?)`, /4 columns but 2 values/],
  ] as const) {
    assert.throws(() => checkReportingWrite(sql), (e: unknown) => e instanceof HubSqlError && e.code === "003001" && /HUB_REPORTING may only INSERT at most 1000 rows into OPS.TENANT_COSTS/.test(e.message) && why.test(e.message), sql.slice(0, 120));
  }
});
