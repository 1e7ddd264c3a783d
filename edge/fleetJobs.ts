/**
 * RFID job flow of one site: jobs are released at the site's rate times the shift load (a Poisson
 * process thinned by the calendar), pick a product and variant from the job mix, and walk the
 * stations in order. Each station has `capacity` workplaces served first come, first served: a
 * job scans in when it reaches the station (and may queue there) and scans out when its work is
 * done, so the station with the highest load — the configured bottleneck — collects the queue and
 * shows the longest station times in PRODUCTION_FLOW, as a real line would.
 */
import type { RawScan } from "../pipelines/ingest/rawRecords.ts";
import { hourOfWeek } from "./fleetCalendar.ts";
import { exponential, hashSeed, pickIndex, prng } from "./fleetRandom.ts";
import type { ResolvedSite } from "./fleetSpec.ts";

/** Shortest time a job spends at a station, and the walk between stations (s). */
const MIN_WORK_S = 30;
const TRANSFER_S = [20, 60] as const;
/** Operators per shift crew. */
const CREW = 6;

export class SiteJobFlow {
  private readonly rand: () => number;
  private nextAt: number;
  private jobSeq = 0;
  /** Per station, when each workplace is free next (epoch ms). */
  private readonly freeAt: Float64Array[];
  private pending: RawScan[] = [];
  private readonly source = "synthetic";

  constructor(
    private readonly tenantId: string,
    private readonly site: ResolvedSite,
    seed: number,
    start: number,
  ) {
    this.rand = prng(hashSeed(seed, "jobs", tenantId, site.spec.siteId));
    this.nextAt = start;
    this.freeAt = Array.from(site.capacity, (c) => new Float64Array(c).fill(start));
  }

  /** Jobs released before `end`; their scans before `end` are appended to `out` (the rest wait). */
  scansUntil(end: number, out: RawScan[]): void {
    const { spec, load } = this.site;
    if (spec.jobsPerHour > 0 && spec.stations.length > 0) {
      const meanGapMs = 3_600_000 / spec.jobsPerHour;
      while (this.nextAt < end) {
        // Thinning: a candidate at the full rate is released with probability = the shift load.
        if (this.rand() < load[hourOfWeek(this.nextAt)]!) this.startJob(this.nextAt);
        this.nextAt += Math.max(1000, Math.round(exponential(this.rand, meanGapMs) / 1000) * 1000);
      }
    }
    const later: RawScan[] = [];
    for (const s of this.pending) (s.scanTs.getTime() < end ? out : later).push(s);
    this.pending = later;
  }

  private startJob(at: number): void {
    const { spec, products, productCdf, shiftByHour, utcOffsetHours } = this.site;
    const rand = this.rand;
    const product = products[pickIndex(rand, productCdf)]!;
    const variant = product.variants[pickIndex(rand, product.variantCdf)]!;
    const jobId = `${spec.siteId}-job-${String(++this.jobSeq).padStart(6, "0")}`;
    let t = at;
    spec.stations.forEach((station, k) => {
      const free = this.freeAt[k]!;
      let w = 0;
      for (let i = 1; i < free.length; i++) if (free[i]! < free[w]!) w = i;
      const begin = Math.max(t, free[w]!);
      // Erlang-2 work time: less spread than exponential, as for a defined work step.
      const workS = Math.max(MIN_WORK_S, (product.meanS[k]! * (exponential(rand, 1) + exponential(rand, 1))) / 2);
      const leave = begin + Math.round(workS) * 1000;
      free[w] = leave;
      const localHour = (Math.floor(begin / 3_600_000) + utcOffsetHours + 24 * 1000) % 24;
      const operatorId = `op-${Math.max(0, shiftByHour[localHour]!) * CREW + 1 + Math.floor(rand() * CREW)}`;
      const base = { tenantId: this.tenantId, siteId: spec.siteId, jobId, productId: product.product, productVariant: variant, station, operatorId, metadata: null, source: this.source };
      this.pending.push({ ...base, scanTs: new Date(t) }, { ...base, scanTs: new Date(leave) });
      t = leave + Math.round(TRANSFER_S[0] + rand() * (TRANSFER_S[1] - TRANSFER_S[0])) * 1000;
    });
  }
}
