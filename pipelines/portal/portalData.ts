/**
 * Where the portal reads its pages' data and writes acknowledgements: the embedded engine (the
 * twin, `serve --portal-data twin`) or the tenant's Snowflake account (`--portal-data snowflake`,
 * snowflakePortalData.ts). The reader (tenantReader.ts) is the same for both: it renders its SQL in
 * the target's dialect and runs it on a session this opens as the tenant's role, so a page can show
 * nothing the tenant could not SELECT itself on either target.
 *
 * Acknowledgements are written by PORTAL_ROLE, which may INSERT into OPS.ALERT_ACKNOWLEDGEMENTS and
 * nothing else (pipelines/definitions/grants.ts): a tenant role stays read-only, because Snowflake
 * applies no row access policy to an INSERT, and a tenant's own SQL users could otherwise write
 * acknowledgements into another tenant's alerts.
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import { duckdbDialect, type Dialect } from "../dialect/index.ts";
import type { Warehouse } from "../warehouse/warehouse.ts";
import { tenantObjectOwner } from "../definitions/governance.ts";
import { PORTAL_ROLE } from "../definitions/grants.ts";

export const PORTAL_DATA = ["twin", "snowflake"] as const;
export type PortalDataTarget = (typeof PORTAL_DATA)[number];

export interface PortalData {
  readonly target: PortalDataTarget;
  /** The dialect the reader renders its SQL in. */
  readonly dialect: Dialect;
  /** A session as `role` (the tenant's) on the tenant's warehouse, so its reads bill its quota. */
  tenantSession(tenant: string, role: string): Promise<Warehouse>;
  /** A session as PORTAL_ROLE, for the acknowledgements (and, with `live`, the change signal). */
  writerSession(): Promise<Warehouse>;
  /**
   * Where a watermark read costs a warehouse (Snowflake): the event poller asks PORTAL_ROLE's
   * metadata signal first and reads a tenant's watermark at most once per `minWarehouseMs`
   * (liveSignal.ts). Absent (the twin): every poll reads the watermark.
   */
  readonly live?: { readonly minWarehouseMs: number };
}

/** The embedded engine: tenant sessions on the tenant's first warehouse by name, as a SQL session defaults to. */
export function twinPortalData(engine: EmbeddedEngine): PortalData {
  return {
    target: "twin",
    dialect: duckdbDialect,
    tenantSession: (tenant, role) => {
      const warehouse = engine.warehouses.list().map((w) => w.name).filter((n) => tenantObjectOwner(n, [tenant]) !== null).sort()[0];
      return engine.session({ role, warehouse });
    },
    writerSession: () => engine.session({ role: PORTAL_ROLE }),
  };
}
