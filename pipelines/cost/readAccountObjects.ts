/**
 * Where the cost report's warehouses and monitors come from: `SHOW WAREHOUSES` and `SHOW RESOURCE
 * MONITORS` on Snowflake, the twin's SHOW (Snowflake's columns, from the engine's state) locally;
 * both parsed by accountObjects.ts.
 */
import type { EmbeddedEngine } from "../engine/embeddedEngine.ts";
import type { Warehouse } from "../warehouse/warehouse.ts";
import { ADMIN_ROLE } from "../definitions/governance.ts";
import { showOrDescribe } from "../sql/snowflakeMetadata.ts";
import { isHubWarehouse, monitorsFromShow, showRows, warehousesFromShow, type MonitorInfo, type WarehouseInfo } from "./accountObjects.ts";

export interface AccountObjects {
  readonly warehouses: WarehouseInfo[];
  readonly monitors: MonitorInfo[];
  /** The account's other warehouses: not the hub's, left out of its report. */
  readonly otherWarehouses: string[];
}

/** The account's warehouses are not all the hub's: the hub's are its shared ones and the tenants' (TENANT_<ID>_...). */
export async function snowflakeAccountObjects(session: Warehouse): Promise<AccountObjects> {
  const all = warehousesFromShow(await session.query("SHOW WAREHOUSES"));
  const monitors = monitorsFromShow(await session.query("SHOW RESOURCE MONITORS"));
  return { warehouses: all.filter((w) => isHubWarehouse(w.name)), monitors, otherWarehouses: all.filter((w) => !isHubWarehouse(w.name)).map((w) => w.name) };
}

export async function twinAccountObjects(engine: EmbeddedEngine): Promise<AccountObjects> {
  const show = async (object: string) =>
    showRows(await showOrDescribe(engine, { kind: "show", sql: `SHOW ${object}`, object, like: null, scope: null }, { role: ADMIN_ROLE, schema: null }));
  // Every warehouse of the twin is the hub's.
  return { warehouses: warehousesFromShow(await show("WAREHOUSES")), monitors: monitorsFromShow(await show("RESOURCE MONITORS")), otherWarehouses: [] };
}
