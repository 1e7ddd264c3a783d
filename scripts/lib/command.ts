/**
 * A tiny declarative CLI runner (in the manner of citty): a command is a name, a description,
 * typed options with defaults and a `run`. The runner prints usage for `--help`, the message (no
 * stack, one line) for user errors with exit code 1, and the stack for bugs with exit code 2. A
 * command may set another code itself (`retrain` exits 3 when a model could not be trained).
 */
import { parseArgs } from "node:util";
import { HubSqlError } from "../../pipelines/warehouse/errors.ts";
import { didYouMean } from "./didYouMean.ts";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  readonly default?: string | boolean;
  readonly choices?: readonly string[];
  readonly short?: string;
  readonly multiple?: boolean;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  readonly name: string;
  readonly description: string;
  readonly usage: string;
  readonly options: O;
  readonly examples?: readonly string[];
  readonly run: (args: { options: Parsed<O>; positionals: string[] }) => Promise<void> | void;
}

export type Parsed<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]["type"] extends "boolean" ? boolean : O[K]["multiple"] extends true ? string[] : string | undefined;
};

/** An error in what the user asked for: printed without a stack. */
export class UserError extends Error {
  override readonly name = "UserError";
}

export function usage<O extends Record<string, OptionSpec>>(cmd: CommandSpec<O>): string {
  const lines = [`${cmd.name}: ${cmd.description}`, "", `Usage: ${cmd.usage}`, "", "Options:"];
  for (const [name, o] of Object.entries(cmd.options)) {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? (o.choices ? ` <${o.choices.join("|")}>` : " <value>") : ""}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : "";
    lines.push(`  ${flag.padEnd(34)} ${o.description}${def}`);
  }
  lines.push(`  ${"-h, --help".padEnd(34)} show this help`);
  if (cmd.examples?.length) lines.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}

/**
 * parseArgs' message in one line (it spans three for a value that starts with a dash), with a
 * did-you-mean for an unknown option; the usage is one `--help` away rather than 30 lines of
 * stderr after every typo.
 */
function parseError(e: Error & { code?: string }, known: readonly string[]): string {
  const unknown = e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /Unknown option '(-{1,2})([^']*)'/.exec(e.message) : null;
  const text = unknown
    ? `unknown option ${unknown[1]}${unknown[2]}${didYouMean(unknown[2]!, known, (c) => `--${c}`)}`
    : e.message.replace(/\s*\n\s*/g, " ");
  return `${text} (see --help)`;
}

/**
 * `--hours -3` as `--hours=-3`: parseArgs takes a value that starts with a dash for an option
 * forgotten ("argument is ambiguous"), but a negative number after an option that takes a value
 * is that value, and its range check then says what is wrong with it.
 */
function negativeValues(argv: readonly string[], options: Record<string, { type: "string" | "boolean"; short?: string }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const long = /^--([^=]+)$/.exec(a)?.[1];
    const name = long ?? Object.entries(options).find(([, o]) => o.short !== undefined && a === `-${o.short}`)?.[0];
    if (name && options[name]?.type === "string" && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export async function runCommand<O extends Record<string, OptionSpec>>(cmd: CommandSpec<O>, argv = process.argv.slice(2)): Promise<void> {
  try {
    const options: Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean; multiple?: boolean }> = {
      help: { type: "boolean", short: "h" },
    };
    for (const [name, o] of Object.entries(cmd.options)) {
      options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}), ...(o.multiple ? { multiple: true } : {}) };
    }
    let parsed;
    try {
      parsed = parseArgs({ args: negativeValues(argv, options), allowPositionals: true, strict: true, options });
    } catch (e) {
      throw new UserError(parseError(e as Error & { code?: string }, Object.keys(options)));
    }
    if (parsed.values.help) {
      console.log(usage(cmd));
      return;
    }
    for (const [name, o] of Object.entries(cmd.options)) {
      const v = parsed.values[name];
      if (o.choices && typeof v === "string" && !o.choices.includes(v)) {
        throw new UserError(`--${name} ${JSON.stringify(v)} is not one of ${o.choices.join(", ")}${didYouMean(v, o.choices)}`);
      }
    }
    await cmd.run({ options: parsed.values as Parsed<O>, positionals: parsed.positionals });
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`${cmd.name}: ${e.message}`);
      process.exitCode = 1;
    } else if (e instanceof HubSqlError) {
      console.error(`${cmd.name}: ${e.code} (${e.sqlState}): ${e.message}`);
      process.exitCode = 1;
    } else if (e instanceof Error && /^(the hub database|HUB_HOME|unknown )/.test(e.message)) {
      console.error(`${cmd.name}: ${e.message}`);
      process.exitCode = 1;
    } else {
      console.error(e);
      process.exitCode = 2;
    }
  }
}
