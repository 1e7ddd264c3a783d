import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { idProblem, showValue } from "../../pipelines/ingest/idGrammar.ts";
import { EXAMPLE_FLEET } from "../../edge/fleetStackFile.ts";

describe("the id grammar of loaded files", () => {
  it("accepts every id the example fleets use", () => {
    for (const t of EXAMPLE_FLEET) {
      assert.equal(idProblem("tenant", t.tenantId), null);
      for (const s of t.sites) {
        assert.equal(idProblem("site", s.siteId), null);
        for (const st of s.stations) assert.equal(idProblem("station", st), null);
        for (const p of s.jobMix ?? []) {
          assert.equal(idProblem("product", p.product), null);
          for (const v of Object.keys(p.variants ?? {})) assert.equal(idProblem("product", v), null);
        }
      }
    }
    for (const id of ["acme-plant-1-m-001", "acme-plant-1-job-000001", "op-13"]) assert.equal(idProblem("device", id), null);
    for (const id of ["P-100", "STD", "v1.2"]) assert.equal(idProblem("product", id), null);
  });

  it("refuses what a spreadsheet would run, control characters, look-alikes and padding, by allowlist", () => {
    const formulas = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0", " =1+1"];
    for (const v of formulas) assert.match(idProblem("device", v) ?? "", /which a spreadsheet runs as a formula/, v);
    for (const v of ["d\t1", "d\r1", "d\u00001", "d\u00851", "d\n1"]) assert.match(idProblem("site", v) ?? "", /control character/, JSON.stringify(v));
    // Cyrillic а (U+0430) looks like a Latin a; a full-width digit; a trailing space; upper case.
    for (const v of ["\u0430cme-plant-1", "m-\uff11", "m-1 ", "M-1", "", "x".repeat(65)]) assert.notEqual(idProblem("device", v), null, JSON.stringify(v));
    assert.notEqual(idProblem("tenant", "acme_corp"), null);
    assert.notEqual(idProblem("product", "=1+1"), null);
    assert.match(idProblem("job", 42) ?? "", /is not text/);
  });

  it("shows a value with invisible characters escaped and a long one cut, its length said", () => {
    assert.equal(showValue("d\t\u0000\u0085\u0430"), '"d\\u0009\\u0000\\u0085\\u0430"');
    assert.equal(showValue('=HYPERLINK("x")'), '"=HYPERLINK(\\"x\\")"');
    assert.match(showValue("x".repeat(10_000)), /^"x{60}\.\.\." \(10000 characters\)$/);
  });
});
