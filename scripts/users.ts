#!/usr/bin/env -S sh -c 'exec node --import "$(dirname "$(realpath "$0")")/lib/tsx.mjs" "$0" "$@"'
/**
 * The people who sign in to a served hub's portal and SQL endpoint (HOME/users.json, mode 0600,
 * pipelines/serve/users.ts): add a tenant's user with a password, list them, remove one. The
 * password is read from standard input, never from an argument (it would sit in the shell's
 * history and in `ps`), and never echoed: on a terminal it is asked for twice with echo off; from a
 * pipe the first line is taken. Only its scrypt hash is stored. A running `serve` sees the change
 * at the next sign-in; a removed user's portal sessions end at their next request.
 */
import { createInterface } from "node:readline";
import { hashPassword } from "../pipelines/serve/passwordHash.ts";
import { addUser, checkUserName, readUsers, removeUser, usersPath } from "../pipelines/serve/users.ts";
import { hubHome } from "../pipelines/hubHome.ts";
import { runCommand, UserError } from "./lib/command.ts";
import { tenantOption } from "./lib/optionValues.ts";
import { textTable } from "./lib/textTable.ts";

/** NIST SP 800-63B §3.1.1.2: at least 8 characters for a password a person chooses; 64 or more allowed. */
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
const COMMANDS = ["add", "list", "remove"] as const;

/** One line from a terminal with echo off: the characters typed are not shown. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    let text = "";
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new UserError("cancelled"));
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** The first line of a piped standard input (its line ending dropped). */
async function firstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return "";
}

async function readPassword(): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await askHidden("Password: ");
    if ((await askHidden("Password again: ")) !== password) throw new UserError("the two passwords differ; nothing was changed");
  } else password = await firstLine();
  if (password.length < MIN_PASSWORD) throw new UserError(`the password is too short: at least ${MIN_PASSWORD} characters (read from standard input)`);
  if (password.length > MAX_PASSWORD) throw new UserError(`the password is too long: at most ${MAX_PASSWORD} characters`);
  return password;
}

await runCommand({
  name: "users",
  description: "add, list or remove the tenant users who sign in to the portal and the SQL endpoint of a served hub (HOME/users.json); passwords from standard input",
  usage: "scripts/users.ts add --tenant T --user U  |  list [--tenant T]  |  remove --user U [--tenant T]   [--home DIR]",
  options: {
    tenant: { type: "string", description: "tenant the user belongs to (a Pulumi.<tenant>.yaml stack); the user gets that tenant's role only" },
    user: { type: "string", description: "user name: a Snowflake identifier (letters, digits, _ and $), stored upper-case" },
    home: { type: "string", description: "hub folder (default: $HUB_HOME or .hub)" },
  },
  examples: [
    "scripts/users.ts add --tenant acme --user alice            # asks for the password twice, echo off",
    "printf '%s\\n' \"$ALICE_PASSWORD\" | scripts/users.ts add --tenant acme --user alice",
    "scripts/users.ts list --tenant acme",
    "scripts/users.ts remove --tenant acme --user alice",
  ],
  run: async ({ options, positionals }) => {
    const cmd = positionals[0] as (typeof COMMANDS)[number] | undefined;
    if (!cmd || !COMMANDS.includes(cmd) || positionals.length > 1) {
      throw new UserError(`${cmd === undefined ? "a command is needed" : `unknown command ${JSON.stringify(positionals.join(" "))}`}; commands: ${COMMANDS.join(", ")}`);
    }
    const path = usersPath(hubHome(options.home));
    const tenant = options.tenant === undefined ? undefined : tenantOption("--tenant", options.tenant);
    const name = () => {
      if (options.user === undefined) throw new UserError(`${cmd} needs --user U`);
      try {
        return checkUserName(options.user);
      } catch (e) {
        throw new UserError(`--user: ${(e as Error).message}`);
      }
    };
    if (cmd === "add") {
      if (tenant === undefined) throw new UserError("add needs --tenant T: a portal user belongs to one tenant");
      const user = name();
      const password = await readPassword();
      let record;
      try {
        record = addUser(path, { name: user, tenant, passwordHash: hashPassword(password) });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      console.log(`${record.name} of tenant ${tenant} can sign in (role ${record.roles.join(", ")}); ${path}`);
      return;
    }
    if (cmd === "remove") {
      const user = name();
      let removed: boolean;
      try {
        removed = removeUser(path, user, tenant);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (!removed) throw new UserError(`there is no user ${user} in ${path}`);
      console.log(`${user} removed; their portal sessions end at their next request`);
      return;
    }
    const users = readUsers(path).filter((u) => tenant === undefined || u.tenant === tenant);
    if (users.length === 0) {
      console.log(`no users${tenant ? ` of tenant ${tenant}` : ""} in ${path}`);
      return;
    }
    console.log(textTable(users.map((u) => ({
      user: u.name, tenant: u.tenant ?? "(operators)", roles: u.roles.join(","),
      signs_in_with: [u.passwordHash ? "password" : null, u.publicKeys?.length ? `${u.publicKeys.length} key(s)` : null].filter(Boolean).join(" + "),
      created: u.createdAt,
    }))));
  },
});
