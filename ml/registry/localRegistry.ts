/**
 * The local registry: `<home>/models/<tenant>/<model>/<version>/` holding `model.json` (the fitted
 * model) and `record.json` (the `ModelRecord`). Files are written to a temporary name and renamed,
 * so a crash never leaves half a record; a version folder is created exclusively, so two runs
 * cannot take the same number.
 */
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelKind, ModelRecord } from "../contract.ts";
import { rollbackPlan, RegistryError, validateDraft, type ModelArtifact, type RecordDraft, type Registry } from "./registry.ts";

export class LocalRegistry implements Registry {
  readonly target = "local" as const;
  readonly root: string;

  /** `home` is the hub folder (HUB_HOME); models live under `<home>/models`. */
  constructor(home: string, private readonly now: () => Date = () => new Date()) {
    this.root = join(home, "models");
  }

  private dir(tenantId: string, model: ModelKind, version?: number): string {
    const d = join(this.root, tenantId, model);
    return version === undefined ? d : join(d, String(version));
  }

  async register(draft: RecordDraft, artifact: ModelArtifact): Promise<ModelRecord> {
    validateDraft(draft);
    const base = this.dir(draft.tenantId, draft.model);
    await mkdir(base, { recursive: true });
    let version = (await this.versions(draft.tenantId, draft.model)).at(-1) ?? 0;
    for (;;) {
      version += 1;
      try {
        await mkdir(join(base, String(version)));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    const record: ModelRecord = { ...draft, version, createdAt: this.now().toISOString() };
    const dir = this.dir(draft.tenantId, draft.model, version);
    await writeAtomic(join(dir, "model.json"), artifact);
    // record.json last: a version folder without it is an interrupted registration and is skipped.
    await writeAtomic(join(dir, "record.json"), record);
    return record;
  }

  private async versions(tenantId: string, model: ModelKind): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir(tenantId, model));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  }

  async list(tenantId: string, model: ModelKind): Promise<ModelRecord[]> {
    const out: ModelRecord[] = [];
    for (const v of await this.versions(tenantId, model)) {
      try {
        out.push(JSON.parse(await readFile(join(this.dir(tenantId, model, v), "record.json"), "utf8")) as ModelRecord);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new RegistryError(`${join(this.dir(tenantId, model, v), "record.json")} cannot be read: ${(e as Error).message}`);
      }
    }
    return out;
  }

  async champion(tenantId: string, model: ModelKind): Promise<ModelRecord | null> {
    return (await this.list(tenantId, model)).filter((r) => r.approvalStatus === "Approved").at(-1) ?? null;
  }

  async artifact(tenantId: string, model: ModelKind, version: number): Promise<ModelArtifact> {
    const path = join(this.dir(tenantId, model, version), "model.json");
    try {
      return JSON.parse(await readFile(path, "utf8")) as ModelArtifact;
    } catch (e) {
      throw new RegistryError(`no model for ${tenantId}/${model} version ${version} (${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  async rollback(tenantId: string, model: ModelKind, opts: { to?: number; why: string }): Promise<ModelRecord> {
    const records = await this.list(tenantId, model);
    const { target, demote } = rollbackPlan(records, opts.to);
    for (const r of demote) {
      await this.rewrite({ ...r, approvalStatus: "Rejected", reason: `rolled back to version ${target.version}: ${opts.why} (was: ${r.reason})` });
    }
    const promoted: ModelRecord = target.approvalStatus === "Approved" && demote.length === 0
      ? target
      : { ...target, approvalStatus: "Approved", reason: `made champion by rollback: ${opts.why} (was ${target.approvalStatus}: ${target.reason})` };
    if (promoted !== target) await this.rewrite(promoted);
    return promoted;
  }

  private async rewrite(r: ModelRecord): Promise<void> {
    await writeAtomic(join(this.dir(r.tenantId, r.model, r.version), "record.json"), r);
  }
}

async function writeAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
