/**
 * The portal in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run) driven
 * by playwright-core, against the built bundle and a portal on the contract fixture. What an
 * operator does: sign in, see their plants and no one else's, watch a new reading arrive without
 * reloading, acknowledge an alert; and a page of another tenant is refused.
 *
 * Bounded: every wait has a deadline and the whole file stays well under a minute.
 * `PORTAL_SCREENSHOT=docs/portal-overview.png` also saves the overview as docs/portal.md shows it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { PORTAL_DIST } from "../../pipelines/portal/portalBundle.ts";
import { reading } from "../helpers/engine.ts";
import { PASSWORDS, startPortal, type PortalFixture } from "./portalFixture.ts";

const CHROMIUM = "/usr/bin/chromium";
/** ENVIRONMENT.md "Browsers": without the background-networking flags Chromium tries the internet and stalls. */
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
// Bounds on a hang, never what a test asserts: beside CPU hogs and another test file the first
// overview took over 10 s to show, and the whole suite over 60 s. A timeout on the describe bounds
// the suite, not each test: when it ran out, Node cancelled every test still to run and counted no
// failure ("cancelled 5, fail 0"). So each test has its own bound, and a step waits up to 30 s.
// Chromium's launch gets a test's bound too: the hook that launches it cancels the whole file if it throws.
const STEP_MS = 30_000;
const TEST_MS = 120_000;

let f: PortalFixture;
let browser: Browser;
let profile: string;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does)`);
  if (!existsSync(join(PORTAL_DIST, "index.html"))) {
    // `npm test` builds it in pretest; a file run on its own builds it here.
    const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../../scripts/build-portal.ts", import.meta.url))], { stdio: "inherit" });
    assert.equal(r.status, 0, "npm run build:portal failed");
  }
  f = await startPortal();
  profile = mkdtempSync(join(tmpdir(), "portal-chromium-"));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--disk-cache-dir=${join(profile, "cache")}`], timeout: TEST_MS });
});

after(async () => {
  await browser?.close();
  await f?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function signedIn(user: keyof typeof PASSWORDS): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  await page.goto(`${f.url}/portal/`);
  await page.getByLabel("User name").fill(user.toLowerCase());
  await page.getByLabel("Password").fill(PASSWORDS[user]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
  return page;
}

describe("the portal in Chromium", () => {
  test("signing in lands on the overview, which shows the tenant's plants and no other tenant's", { timeout: TEST_MS }, async () => {
    const page = await signedIn("ALICE");
    assert.equal(new URL(page.url()).pathname, "/portal/t/acme/");
    await page.getByRole("heading", { name: "Plant s1" }).waitFor();
    assert.equal(await page.getByRole("heading", { name: /^Plant / }).count(), 1);
    assert.equal(await page.getByText("g1", { exact: false }).count(), 0, "nothing of globex's plant g1");
    assert.equal(await page.getByRole("link", { name: "m1" }).count(), 1);
    if (process.env.PORTAL_SCREENSHOT) await page.screenshot({ path: process.env.PORTAL_SCREENSHOT, fullPage: true });
    await page.context().close();
  });

  test("a reading that lands appears on the overview without a reload", { timeout: TEST_MS }, async () => {
    const page = await signedIn("ALICE");
    const aqiNow = page.getByRole("region", { name: "Plant s1" }).getByTestId("aqi-now-s1");
    await aqiNow.getByText("101 unhealthy for sensitive groups").waitFor();
    // A mark on the window: a reload would lose it.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await page.getByText("● live").waitFor();
    f.clock.set(new Date("2026-01-05T09:32:00Z"));
    await f.engine.land({ readings: [reading("acme", "aq1", "AIR_QUALITY", 3, "2026-01-05T09:31:00", { period_s: 60, co2_ppm: 900, pm25_ugm3: 200 })] });
    await f.engine.tick();
    await aqiNow.getByText("275 very unhealthy").waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true, "the page was not reloaded");
    await page.context().close();
  });

  test("acknowledging an alert moves it to the acknowledged list with the user's name", { timeout: TEST_MS }, async () => {
    const page = await signedIn("ALICE");
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Alerts" }).click();
    const button = page.getByRole("button", { name: /^Acknowledge MACHINE_DOWN on m1/ });
    await button.focus();
    await page.keyboard.press("Enter");
    const acked = page.getByRole("table", { name: /Acknowledged alerts/ });
    await acked.getByRole("row", { name: /MACHINE_DOWN.*ALICE/ }).waitFor();
    assert.equal(await page.getByRole("button", { name: /^Acknowledge MACHINE_DOWN on m1/ }).count(), 0);
    await page.context().close();
  });

  test("when the load balancer's session ends, a data call redirected to Cognito reloads the page once, and does not loop", { timeout: TEST_MS }, async () => {
    const page = await signedIn("ALICE");
    // The ALB's answer once its session has ended: a redirect to Cognito's hosted sign-in, elsewhere.
    await page.route("**/api/portal/tenants/acme/alerts", (route) => route.fulfill({ status: 302, headers: { location: "https://hub-portal.auth.eu-west-1.amazoncognito.com/oauth2/authorize" } }));
    let loads = 0;
    page.on("load", () => loads++);
    const reloaded = page.waitForEvent("load");
    await page.getByRole("link", { name: "Alerts" }).click();
    await reloaded;
    // The reloaded page meets the same redirect (the route stays): it says so instead of reloading again.
    await page.getByText(/signing in again/).waitFor();
    await page.waitForTimeout(500);
    assert.equal(loads, 1);
    await page.context().close();
  });

  test("another tenant's page is refused", { timeout: TEST_MS }, async () => {
    const page = await signedIn("ALICE");
    const r = await page.goto(`${f.url}/portal/t/globex/`);
    assert.equal(r?.status(), 403);
    await page.getByText("not yours to see").waitFor();
    await page.context().close();
  });

  // Last: it moves the portal's clock past every session's idle limit.
  test("when the portal's own session has ended, the next data call reloads to the sign-in page", { timeout: TEST_MS }, async () => {
    const page = await signedIn("ALICE");
    // The overview's data has come and the stream is open before the sessions end: a data call
    // still under way then (a slow machine) would meet the ended session first and reload the
    // overview, racing the click below.
    await page.getByRole("heading", { name: "Plant s1" }).waitFor();
    await page.getByText("● live").waitFor();
    f.wallClock.now += 31 * 60_000;
    const reloaded = page.waitForEvent("load");
    await page.getByRole("link", { name: "Alerts" }).click();
    await reloaded;
    await page.getByLabel("User name").waitFor();
    assert.match(page.url(), /\/portal\/login\?next=%2Fportal%2Ft%2Facme%2Falerts$/);
    await page.context().close();
  });
});
