/**
 * A limit on failed password sign-ins to the portal, per user name and per client address
 * (OWASP's Authentication Cheat Sheet, "Protect against automated attacks":
 * https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html). A name or an
 * address with too many failures in the window is refused before its password is hashed, so a
 * guesser costs no scrypt work, with a Retry-After. Unknown names count like known ones: a 429
 * says nothing about whether a user exists. Memory is bounded: at most `limit` timestamps per key
 * and `maxKeys` keys per kind, the least recently failed forgotten first.
 */

export interface SignInLimits {
  /** Failures one user name may have in the window; default 5. */
  readonly perUser?: number;
  /** Failures one client address may have in the window (guessing many names); default 20. */
  readonly perAddress?: number;
  /** The window, ms; default 15 minutes. */
  readonly windowMs?: number;
  /** Keys remembered per kind; default 10 000. */
  readonly maxKeys?: number;
}

/** Failure times per key, oldest first, at most `limit` of them. */
class FailureLog {
  private readonly keys = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** Seconds until `key` may try again, or 0. */
  waitS(key: string, now: number): number {
    const times = this.live(key, now);
    if (times.length < this.limit) return 0;
    return Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000));
  }

  fail(key: string, now: number): void {
    const times = this.live(key, now);
    times.push(now);
    while (times.length > this.limit) times.shift();
    // Re-inserted, so the Map's order is least recently failed first.
    this.keys.delete(key);
    this.keys.set(key, times);
    while (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
  }

  clear(key: string): void {
    this.keys.delete(key);
  }

  get size(): number {
    return this.keys.size;
  }

  private live(key: string, now: number): number[] {
    const times = this.keys.get(key) ?? [];
    while (times.length && now - times[0]! >= this.windowMs) times.shift();
    if (times.length === 0) this.keys.delete(key);
    return times;
  }
}

export class SignInLimiter {
  private readonly users: FailureLog;
  private readonly addresses: FailureLog;

  constructor(
    limits: SignInLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    const windowMs = limits.windowMs ?? 15 * 60_000;
    const maxKeys = limits.maxKeys ?? 10_000;
    this.users = new FailureLog(limits.perUser ?? 5, windowMs, maxKeys);
    this.addresses = new FailureLog(limits.perAddress ?? 20, windowMs, maxKeys);
  }

  /** Seconds the caller must wait before this attempt may be checked, or 0 to check it now. */
  waitS(user: string, address: string): number {
    const t = this.now();
    return Math.max(this.users.waitS(user, t), this.addresses.waitS(address, t));
  }

  failed(user: string, address: string): void {
    const t = this.now();
    this.users.fail(user, t);
    this.addresses.fail(address, t);
  }

  /** A correct password clears the user's failures (not the address's: one right guess does not excuse many wrong ones). */
  succeeded(user: string): void {
    this.users.clear(user);
  }

  /** Keys remembered, for tests of the bound. */
  get size(): { users: number; addresses: number } {
    return { users: this.users.size, addresses: this.addresses.size };
  }
}
