/**
 * How V8 compiles polyglot-sql's WebAssembly module (22.8 MB) in this process: with Liftoff, its
 * baseline compiler, only. Its default also runs the optimising compiler over the module, about
 * two CPU seconds in every process that loads the translator (each `sql.ts`, `serve`, `start` and
 * test file), which a short command never earns back: translating a statement takes well under a
 * millisecond either way, against the milliseconds DuckDB spends running it (bench: sql).
 *
 * Imported by snowflakeAst.ts before @polyglot-sql/sdk, whose module compiles the WebAssembly when
 * it is evaluated: the flag must be set by then. It applies to WebAssembly compiled later in the
 * process; the hub loads no other.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--liftoff-only");
