// A task's log, tailed while the task runs: each poll asks only for what was written since the last.

import { useEffect, useRef, useState } from "preact/hooks";
import { readLog } from "../api/artifacts";
import { errorText } from "../hooks";
import { ErrorBox } from "./Messages";

const POLL_MS = 1500;
// Past this many characters the oldest are dropped, so a chatty task cannot slow the page down.
const MAX_CHARACTERS = 2_000_000;

export function LogView({ runId, taskId, live }: { runId: string; taskId: string; live: boolean }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [loaded, setLoaded] = useState(false);
  const [follow, setFollow] = useState(true);
  const offset = useRef(0);
  const pre = useRef<HTMLPreElement>(null);
  const liveRef = useRef(live);
  liveRef.current = live;

  // Restarts the tail when a finished task runs again (a retry); set by the effect below.
  const resume = useRef<() => void>(() => undefined);

  useEffect(() => {
    offset.current = 0;
    setText("");
    setLoaded(false);
    setError(undefined);
    let stopped = false;
    let polling = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      polling = true;
      // Read once more after the task stops, so its last lines are not lost.
      const wasLive = liveRef.current;
      try {
        const chunk = await readLog(runId, taskId, offset.current);
        if (stopped) return;
        offset.current = chunk.next;
        if (chunk.text) setText((current) => (current + chunk.text).slice(-MAX_CHARACTERS));
        setLoaded(true);
      } catch (failure) {
        if (!stopped) setError(errorText(failure));
      }
      polling = !stopped && wasLive;
      if (polling) timer = setTimeout(poll, POLL_MS);
    };
    resume.current = () => {
      if (!polling && !stopped) void poll();
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId, taskId]);

  useEffect(() => {
    if (live) resume.current();
  }, [live]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);

  return (
    <div class="log">
      <div class="log-toolbar">
        {live ? (
          <span class="live-dot" role="status">
            live
          </span>
        ) : null}
        <label class="checkbox">
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.currentTarget.checked)} /> Follow the end
        </label>
      </div>
      {error ? <ErrorBox message={error} /> : null}
      <pre class="code log-text" ref={pre} tabIndex={0} aria-label="Task log" aria-live={live ? "polite" : "off"}>
        {text || (loaded ? (live ? "Waiting for output…" : "This task wrote no log.") : "Loading the log…")}
      </pre>
    </div>
  );
}
