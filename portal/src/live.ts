/**
 * Page data that follows the pipeline: fetched once, then again whenever the server's event stream
 * (/api/portal/events) reports a watermark other than the one the data came with. No polling of the
 * data itself, and no reload.
 */
import { useEffect, useRef, useState } from "react";
import { checkSignIn, getJson } from "./api.ts";

type Listener = (watermark: string) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
let lastWatermark: string | null = null;

/** One EventSource for the whole app; pages subscribe to it. */
export function startEvents(onState: (live: boolean) => void): () => void {
  source = new EventSource("/api/portal/events");
  source.onopen = () => onState(true);
  let checkedAt = 0;
  source.onerror = () => {
    onState(false);
    // The stream breaks when the sign-in ends (the ALB redirects its reconnection to Cognito, or the
    // portal answers 401): ask once per 10 s while it is down, and reload if so.
    if (Date.now() - checkedAt > 10_000) {
      checkedAt = Date.now();
      void checkSignIn();
    }
  };
  source.addEventListener("update", (e) => {
    const w = (JSON.parse((e as MessageEvent<string>).data) as { watermark: string }).watermark;
    lastWatermark = w;
    for (const l of listeners) l(w);
  });
  return () => {
    source?.close();
    source = null;
  };
}

export interface Live<T> {
  readonly data: T | null;
  readonly error: { status: number; message: string } | null;
  readonly updatedAt: Date | null;
  readonly reload: () => void;
}

/** `url`'s data; refetched when the data watermark moves (or, for data without one, on every update). */
export function useLive<T>(url: string): Live<T> {
  const [state, setState] = useState<{ data: T | null; error: Live<T>["error"]; updatedAt: Date | null }>({ data: null, error: null, updatedAt: null });
  const have = useRef<string | null>(null);
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let cancelled = false;
    getJson<T & { watermark?: string }>(url).then(
      (d) => {
        if (cancelled) return;
        have.current = d.watermark ?? null;
        setState({ data: d, error: null, updatedAt: new Date() });
        // An update that came while this fetch was under way.
        if (d.watermark && lastWatermark && lastWatermark !== d.watermark) setNonce((n) => n + 1);
      },
      (e: { status?: number; message: string }) => !cancelled && setState((s) => ({ ...s, error: { status: e.status ?? 0, message: e.message } })),
    );
    return () => {
      cancelled = true;
    };
  }, [url, nonce]);
  useEffect(() => {
    const l: Listener = (w) => {
      if (have.current !== w) setNonce((n) => n + 1);
    };
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}
