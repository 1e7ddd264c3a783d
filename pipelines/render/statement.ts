/** One SQL statement a deploy runs, with what it belongs to and how to undo it. */
export interface Statement {
  /** Qualified name of the object the statement creates or changes. */
  readonly object: string;
  /** create: the object itself; seed: reference rows; attach: a policy on a table; resume: start a task; local: embedded engine bookkeeping;
   * preview: shown for review (a task body the engine runs itself), never executed by a deploy. */
  readonly kind: "schema" | "create" | "seed" | "attach" | "resume" | "local" | "preview";
  readonly sql: string;
  /** The statement that undoes it (Pulumi `Execute` runs it on delete). */
  readonly revert?: string;
}
