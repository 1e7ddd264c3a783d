/**
 * The fleet simulator: machines (1 Hz), energy meters (15 s), air-quality sensors (1 min) and RFID
 * stations per seed 004's rates, for any number of tenants and sites, as fast as the CPU allows
 * (simulated time is only a number here). The same spec and seed give the same readings, byte for
 * byte, however the run is cut into windows: every device draws from its own random stream.
 *
 * - Machines run a state machine (RUNNING / IDLE / SETUP / DOWN) whose stay times depend on the
 *   shift load: off-shift and at weekends machines idle longer and run shorter. They report cycles,
 *   good parts, the job's ideal cycle time, spindle load and speed, and a temperature that lags.
 * - Each energy meter measures its share of the site's machines (by their state and spindle load)
 *   plus a base load (air, light, compressors) that follows the shift; voltage, current, power
 *   factor, kW, kWh and the meter total are consistent with each other.
 * - Air: CO2, VOC and dust follow occupancy with the lag of a hall's air; temperature follows the
 *   machines and the outdoor day; humidity follows temperature; pressure is the site's weather.
 * - Faults (`faultInjection.ts`) are applied as readings are made, and `faultLabels` returns their
 *   ground-truth windows.
 *
 * Readings come out in chunks of at most 15 simulated minutes: per site, machines first (their
 * power goes into a per-meter ring of seconds), then the meters that read that ring, then the air.
 */
import type { RawReading, RawScan } from "../pipelines/ingest/rawRecords.ts";
import { DeviceFaults, driftPpm, sortLabels, spikeUgm3, surgeFactor, type FaultLabel } from "./faultInjection.ts";
import { hourOfWeek } from "./fleetCalendar.ts";
import { SiteJobFlow } from "./fleetJobs.ts";
import { exponential, hashSeed, prng } from "./fleetRandom.ts";
import { resolveTenantFleet, type ResolvedSite, type ResolvedTenant, type TenantFleetSpec } from "./fleetSpec.ts";

export { hashSeed, prng } from "./fleetRandom.ts";
export type { SiteSpec, TenantFleetSpec } from "./fleetSpec.ts";

export interface FleetOptions {
  /** Inject faults at the spec's rates (default true). */
  readonly faults?: boolean;
}

export interface FleetDevice {
  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  readonly sensorType: "MACHINE" | "ENERGY" | "AIR_QUALITY";
}

type State = "RUNNING" | "IDLE" | "SETUP" | "DOWN";

/** Mean stay per state (s) at full load; see `nextState` for how the shift load bends them. */
const RUN_MEAN_S = 1500;
const IDLE_MEAN_S = 240;
const SETUP_MEAN_S = 600;
const DOWN_MEAN_S = 200;
/** Electrical draw of a machine by state (kW); running adds 0.16 kW per % spindle load. */
const MACHINE_KW = { RUNNING: 2.5, IDLE: 2.2, SETUP: 1.4, DOWN: 0.3 } as const;

const CHUNK_MS = 900_000;
/** Seconds of machine power kept per meter: one chunk plus a meter period, rounded up. */
const RING = 1024;
const METER_PERIOD_S = 15;
const TAU = (periodS: number, tauS: number) => 1 - Math.exp(-periodS / tauS);
const K_CO2 = TAU(60, 1800);
const K_VOC = TAU(60, 1200);
const K_DUST = TAU(60, 600);
const K_AIR_TEMP = TAU(60, 3600);
const K_MACHINE_TEMP = TAU(1, 600);
const TWO_PI = 2 * Math.PI;
const DAY_MS = 86_400_000;

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

interface DeviceInit {
  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  readonly site: ResolvedSite;
  readonly seed: number;
  readonly faultRates: ResolvedTenant["faultRates"];
  readonly start: number;
}

abstract class Device implements FleetDevice {
  abstract readonly sensorType: FleetDevice["sensorType"];
  abstract readonly periodMs: number;
  readonly rand: () => number;
  readonly channel: string;
  nextTs = 0;
  private msgMinute = -1;
  private msgId = "";
  readonly faults: DeviceFaults;

  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  readonly site: ResolvedSite;

  constructor(init: DeviceInit, sensorType: FleetDevice["sensorType"]) {
    ({ tenantId: this.tenantId, siteId: this.siteId, deviceId: this.deviceId, site: this.site } = init);
    this.rand = prng(hashSeed(init.seed, init.tenantId, init.deviceId));
    this.channel = `${init.tenantId}/0`;
    this.faults = new DeviceFaults(init.seed, init.tenantId, init.deviceId, sensorType, init.faultRates, init.start);
  }

  /** A message id per 60 readings of a device, as a gateway batching them into one message would give. */
  messageId(seq: number): string {
    const minute = Math.floor(seq / 60);
    if (minute !== this.msgMinute) (this.msgMinute = minute), (this.msgId = `${this.deviceId}-${minute}`);
    return this.msgId;
  }

  reading(ts: number, seq: number, schema: string, metrics: Record<string, number | string>): RawReading {
    return {
      tenantId: this.tenantId, siteId: this.siteId, deviceId: this.deviceId, sensorType: this.sensorType, ts: new Date(ts), seq,
      messageId: this.messageId(seq), payload: { schema, metrics }, channel: this.channel, channelOffset: null, source: "synthetic",
    };
  }
}

class Machine extends Device {
  readonly sensorType = "MACHINE" as const;
  readonly periodMs = 1000;
  state: State = "RUNNING";
  stateLeft: number;
  inBreakdown = false;
  cycleProgress = 0;
  idealCycle: number;
  /** Extra spindle load of the current job (%). */
  jobLoad: number;
  cycleCount = 0;
  temperature: number;
  constructor(init: DeviceInit, readonly meter: number) {
    super(init, "MACHINE");
    this.nextTs = init.start + Math.floor(this.rand() * (this.periodMs / 1000)) * 1000;
    this.stateLeft = this.rand() * RUN_MEAN_S;
    this.idealCycle = 20 + Math.floor(this.rand() * 40);
    this.jobLoad = -5 + this.rand() * 20;
    this.temperature = 40;
  }
}

class Meter extends Device {
  readonly sensorType = "ENERGY" as const;
  readonly periodMs = METER_PERIOD_S * 1000;
  energyTotal: number;
  /** Base load of the area this meter feeds (kW at full shift load). */
  readonly baseKw: number;
  constructor(init: DeviceInit, readonly index: number) {
    super(init, "ENERGY");
    // The first reading covers a full period of machine power after the start.
    this.nextTs = init.start + this.periodMs + Math.floor(this.rand() * METER_PERIOD_S) * 1000;
    this.energyTotal = 1000 * this.rand();
    this.baseKw = 16 + this.rand() * 10;
  }
}

class AirSensor extends Device {
  readonly sensorType = "AIR_QUALITY" as const;
  readonly periodMs = 60_000;
  co2: number;
  voc: number;
  dust: number;
  temperature: number;
  /** Slow swings of ventilation and activity near this sensor (AR(1), about an hour's memory). */
  swing = 0;
  readonly humidityPhase: number;
  constructor(init: DeviceInit, readonly pressurePhase: number) {
    super(init, "AIR_QUALITY");
    const start = init.start;
    this.nextTs = start + Math.floor(this.rand() * 60) * 1000;
    const load = this.site.load[hourOfWeek(start)]!;
    this.co2 = 420 + 600 * load;
    this.voc = 90 + 380 * load;
    this.dust = 3 + 12 * load;
    this.temperature = 18 + 3.5 * load;
    this.humidityPhase = this.rand() * TWO_PI;
  }
}

interface SiteRun {
  readonly tenantId: string;
  readonly site: ResolvedSite;
  readonly machines: Machine[];
  readonly meters: Meter[];
  readonly air: AirSensor[];
  readonly jobs: SiteJobFlow;
  /** Per meter, machine kW summed per second, indexed by epoch second mod RING. */
  readonly ring: Float64Array[];
  /** Last epoch second whose ring slots were cleared. */
  clearedThrough: number;
}

export class SyntheticFleet {
  readonly tenants: readonly ResolvedTenant[];
  private readonly sites: SiteRun[] = [];
  private readonly start: number;
  private cursor: number;
  private readonly withFaults: boolean;

  /** `specs` are checked (an error names the tenant, field and value); `start` is the first reading's time. */
  constructor(
    readonly specs: readonly TenantFleetSpec[],
    readonly seed: number,
    start: Date,
    options: FleetOptions = {},
  ) {
    this.start = this.cursor = start.getTime();
    this.withFaults = options.faults ?? true;
    this.tenants = specs.map((s) => resolveTenantFleet(s));
    const noFaults = { breakdown: 0, drift: 0, stuck: 0, pm25_spike: 0, energy_surge: 0 };
    for (const t of this.tenants) {
      const rates = this.withFaults ? t.faultRates : noFaults;
      for (const site of t.sites) {
        const { siteId } = site.spec;
        const name = (prefix: string, i: number) => `${siteId}-${prefix}-${String(i).padStart(3, "0")}`;
        const init = (deviceId: string): DeviceInit => ({ tenantId: t.tenantId, siteId, deviceId, site, seed, faultRates: rates, start: this.start });
        const meters = Array.from({ length: site.spec.energyMeters }, (_, i) => new Meter(init(name("e", i + 1)), i));
        const machines = Array.from({ length: site.spec.machines }, (_, i) => new Machine(init(name("m", i + 1)), meters.length ? i % meters.length : -1));
        const phase = (hashSeed(seed, t.tenantId, siteId, "weather") / 4294967296) * TWO_PI;
        const air = Array.from({ length: site.spec.airSensors }, (_, i) => new AirSensor(init(name("aq", i + 1)), phase));
        this.sites.push({
          tenantId: t.tenantId, site, machines, meters, air, jobs: new SiteJobFlow(t.tenantId, site, seed, this.start),
          ring: meters.map(() => new Float64Array(RING)), clearedThrough: Math.floor(this.start / 1000) - 1,
        });
      }
    }
  }

  get deviceCount(): number {
    return this.sites.reduce((n, s) => n + s.machines.length + s.meters.length + s.air.length, 0);
  }

  /** Every simulated device, site by site: machines, meters, air sensors. */
  devices(): FleetDevice[] {
    return this.sites.flatMap((s) => [...s.machines, ...s.meters, ...s.air].map(({ tenantId, siteId, deviceId, sensorType }) => ({ tenantId, siteId, deviceId, sensorType })));
  }

  /** Readings with `from <= ts < to` (call with consecutive windows; any cut gives the same readings). */
  readingsUntil(to: Date): RawReading[] {
    const out: RawReading[] = [];
    this.eachReadingUntil(to, (r) => out.push(r));
    return out;
  }

  /**
   * The same readings as `readingsUntil`, handed to `visit` one at a time; returns how many. For a
   * caller that aggregates as it goes (hourly means, say) this is the fast path: nothing is kept,
   * so every reading dies young and garbage collection stays cheap. With `readingsUntil`, keep
   * windows short (a minute or so for a hundred machines) for the same reason.
   */
  eachReadingUntil(to: Date, visit: (r: RawReading) => void): number {
    const end = to.getTime();
    let n = 0;
    const out = (r: RawReading) => (n++, visit(r));
    while (this.cursor < end) {
      const chunkEnd = Math.min(end, this.cursor + CHUNK_MS);
      for (const s of this.sites) {
        this.clearRing(s, chunkEnd);
        for (const m of s.machines) this.machineReadings(s, m, chunkEnd, out);
        for (const e of s.meters) this.meterReadings(s, e, chunkEnd, out);
        for (const a of s.air) this.airReadings(a, chunkEnd, out);
      }
      this.cursor = chunkEnd;
    }
    return n;
  }

  /** Scans with scan time < `to`: jobs released at the site's rate walk its stations in order. */
  scansUntil(to: Date): RawScan[] {
    const out: RawScan[] = [];
    for (const s of this.sites) s.jobs.scansUntil(to.getTime(), out);
    return out.sort((a, b) => a.scanTs.getTime() - b.scanTs.getTime());
  }

  /** Ground truth of the injected faults that overlap [start, to), clipped to it, by start. */
  faultLabels(to: Date = new Date(this.cursor)): FaultLabel[] {
    const labels: FaultLabel[] = [];
    for (const s of this.sites) for (const d of [...s.machines, ...s.meters, ...s.air]) labels.push(...d.faults.labels(this.start, to.getTime()));
    return sortLabels(labels);
  }

  private clearRing(s: SiteRun, chunkEnd: number): void {
    const last = Math.floor((chunkEnd - 1) / 1000);
    for (const r of s.ring) for (let sec = s.clearedThrough + 1; sec <= last; sec++) r[sec % RING] = 0;
    s.clearedThrough = last;
  }

  private machineReadings(s: SiteRun, m: Machine, end: number, out: (r: RawReading) => void): void {
    const load = s.site.load;
    const ring = m.meter >= 0 ? s.ring[m.meter]! : null;
    const rand = m.rand;
    const faults = m.faults;
    for (let ts = m.nextTs; ts < end; ts += 1000) {
      if (ts >= faults.nextChange) faults.refresh(ts);
      const broken = faults.active.length > 0; // breakdown is the only fault a machine has
      if (broken) {
        m.state = "DOWN";
        m.inBreakdown = true;
      } else if (m.inBreakdown) {
        // Repaired: the machine restarts through a setup.
        m.inBreakdown = false;
        m.state = "SETUP";
        m.stateLeft = exponential(rand, SETUP_MEAN_S);
      } else if ((m.stateLeft -= 1) <= 0) {
        this.nextState(m, load[hourOfWeek(ts)]!);
      }
      let cycles = 0;
      let good = 0;
      let spindle: number;
      let speed = 0;
      const running = m.state === "RUNNING";
      if (running) {
        // Real cycles run 5–25 % slower than the ideal: performance below 1.
        m.cycleProgress += 1 / (m.idealCycle * (1.05 + rand() * 0.2));
        if (m.cycleProgress >= 1) {
          m.cycleProgress -= 1;
          cycles = 1;
          good = rand() < 0.97 ? 1 : 0;
          m.cycleCount += 1;
        }
        spindle = round1(55 + m.jobLoad + rand() * 20);
        speed = 8000 + Math.floor(rand() * 2000);
      } else {
        spindle = broken ? 0 : round1(rand() * 3);
      }
      const target = running ? 42 + 0.12 * spindle : m.state === "DOWN" ? 26 : 31;
      m.temperature += (target - m.temperature) * K_MACHINE_TEMP;
      if (ring) ring[Math.floor(ts / 1000) % RING]! += running ? MACHINE_KW.RUNNING + 0.16 * spindle : MACHINE_KW[m.state];
      const seq = ts / 1000;
      const metrics: Record<string, number | string> = {
        state: m.state, period_s: 1,
        spindle_load_pct: spindle, spindle_speed_rpm: speed, temperature_c: round1(m.temperature + (rand() - 0.5) * 0.4),
      };
      if (cycles > 0) {
        metrics.cycles = cycles;
        metrics.good_parts = good;
        metrics.ideal_cycle_s = m.idealCycle;
        metrics.cycle_count = m.cycleCount;
      }
      out(m.reading(ts, Math.floor(seq), "machine/1", metrics));
      m.nextTs = ts + 1000;
    }
  }

  /**
   * The next state and how long it lasts. At full load a machine runs ~77 % of the time; on a
   * night shift (load 0.2) about 40 %; on a Sunday under 20 %: idle stays stretch and runs shorten.
   */
  private nextState(m: Machine, load: number): void {
    const r = m.rand();
    switch (m.state) {
      case "RUNNING":
        m.state = r < 0.04 ? "DOWN" : r < 0.04 + 0.3 * load ? "SETUP" : "IDLE";
        break;
      case "IDLE":
        m.state = r < 0.25 ? "SETUP" : "RUNNING";
        break;
      case "SETUP":
        m.state = "RUNNING";
        break;
      case "DOWN":
        m.state = r < 0.7 ? "RUNNING" : "SETUP";
        break;
    }
    const mean = m.state === "RUNNING" ? RUN_MEAN_S * (0.3 + 0.7 * load) : m.state === "IDLE" ? IDLE_MEAN_S / (0.05 + 0.95 * load) : m.state === "SETUP" ? SETUP_MEAN_S : DOWN_MEAN_S;
    m.stateLeft = exponential(m.rand, mean);
    if (m.state === "SETUP") {
      m.idealCycle = 20 + Math.floor(m.rand() * 40);
      m.jobLoad = -5 + m.rand() * 20;
    }
  }

  private meterReadings(s: SiteRun, e: Meter, end: number, out: (r: RawReading) => void): void {
    const ring = s.ring[e.index]!;
    const load = s.site.load;
    const rand = e.rand;
    for (let ts = e.nextTs; ts < end; ts += e.periodMs) {
      if (ts >= e.faults.nextChange) e.faults.refresh(ts);
      const sec = Math.floor(ts / 1000);
      let machineKw = 0;
      for (let k = sec - METER_PERIOD_S; k < sec; k++) machineKw += ring[k % RING]!;
      machineKw /= METER_PERIOD_S;
      // Air handling, light and compressors: a floor plus a share that follows the shift.
      const base = e.baseKw * (0.35 + 0.65 * load[hourOfWeek(ts)]!) * (0.96 + rand() * 0.08);
      let kw = base + machineKw;
      const surge = e.faults.active[0];
      if (surge) kw *= surgeFactor(surge);
      // Motors under load raise the power factor; the supply sags a little under load.
      const pf = Math.round(Math.min(0.99, 0.8 + (0.12 * machineKw) / (kw + 1) + rand() * 0.04) * 1000) / 1000;
      const v = round1(402 - 0.01 * kw + (rand() - 0.5) * 4);
      const kwh = (kw * e.periodMs) / 3_600_000;
      e.energyTotal += kwh;
      const seq = Math.floor(ts / e.periodMs);
      out(e.reading(ts, seq, "energy/1", {
        period_s: METER_PERIOD_S, voltage_v: v, current_a: round1((kw * 1000) / (Math.sqrt(3) * v * pf)), power_factor: pf,
        power_kw: round2(kw), kwh: Math.round(kwh * 10_000) / 10_000, energy_kwh_total: Math.round(e.energyTotal * 1000) / 1000,
      }));
      e.nextTs = ts + e.periodMs;
    }
  }

  private airReadings(a: AirSensor, end: number, out: (r: RawReading) => void): void {
    const load = a.site.load;
    const rand = a.rand;
    const noise = () => rand() + rand() - 1; // triangular, -1..1
    for (let ts = a.nextTs; ts < end; ts += a.periodMs) {
      if (ts >= a.faults.nextChange) a.faults.refresh(ts);
      const l = load[hourOfWeek(ts)]!;
      const dayAngle = (TWO_PI * (ts % DAY_MS)) / DAY_MS;
      // People and machines breathe and heat; the hall's air follows with a lag.
      a.co2 += (420 + 600 * l - a.co2) * K_CO2;
      a.voc += (90 + 380 * l - a.voc) * K_VOC;
      a.dust += (3 + 12 * l - a.dust) * K_DUST;
      // Outdoor day: warmest mid-afternoon (UTC); machines add heat with the load.
      a.temperature += (18 + 3.5 * l + 1.5 * Math.sin(dayAngle - (TWO_PI * 9) / 24) - a.temperature) * K_AIR_TEMP;
      a.swing = 0.97 * a.swing + 0.25 * noise();
      let co2 = a.co2 * (1 + 0.08 * a.swing) + 12 * noise();
      let pm25 = Math.max(0.5, a.dust * (1 + 0.2 * a.swing) + 1.5 * noise());
      let temperature = a.temperature + 0.1 * noise();
      let dustEvent = 0;
      for (const f of a.faults.active) {
        if (f.kind === "drift") co2 += driftPpm(f, ts);
        else if (f.kind === "pm25_spike") dustEvent += spikeUgm3(f, ts);
        else if (f.kind === "stuck") temperature = f.held ??= round1(temperature);
      }
      const days = ts / DAY_MS;
      const humidity = Math.min(85, Math.max(15, 48 - 1.5 * (a.temperature - 20) + 5 * Math.sin((TWO_PI * days) / 3.7 + a.humidityPhase) + 0.8 * noise()));
      const pressure = 1013 + 7 * Math.sin((TWO_PI * days) / 4.3 + a.pressurePhase) + 3 * Math.sin((TWO_PI * days) / 1.7) + 0.1 * noise();
      const seq = Math.floor(ts / a.periodMs);
      out(a.reading(ts, seq, "air_quality/1", {
        period_s: 60, co2_ppm: Math.round(co2), voc_ppb: Math.round(Math.max(0, a.voc * (1 + 0.1 * a.swing) + 20 * noise())),
        pm1_ugm3: round1(pm25 * 0.62 + dustEvent * 0.55), pm25_ugm3: round1(pm25 + dustEvent), pm4_ugm3: round1(pm25 * 1.15 + dustEvent * 1.1), pm10_ugm3: round1(pm25 * 1.45 + 3 * l + dustEvent * 1.3),
        temperature_c: round1(temperature), humidity_pct: round1(humidity), pressure_hpa: round1(pressure),
      }));
      a.nextTs = ts + a.periodMs;
    }
  }
}

/** The example tenants' fleets, from their stack files (`fleet:*` keys in Pulumi.<tenant>.yaml). */
export { EXAMPLE_FLEET } from "./fleetStackFile.ts";
