import { useState, type FormEvent } from "react";
import { signIn, type Me } from "../api.ts";

export function Login(p: { onSignedIn: (me: Me) => void }) {
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      p.onSignedIn(await signIn(user, password));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <h1>Sign in to the Data Hub portal</h1>
      <form onSubmit={submit} aria-describedby={error ? "login-error" : undefined}>
        <label htmlFor="user">User name</label>
        <input id="user" name="user" autoComplete="username" required value={user} onChange={(e) => setUser(e.target.value)} autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
        {error && <p id="login-error" role="alert" className="error">{error}</p>}
      </form>
      <p className="hint">Users are added by the hub's operators: <code>scripts/users.ts add --tenant T --user U</code>.</p>
    </main>
  );
}
