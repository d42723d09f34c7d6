// A task's log: streamed from the server, which keeps the response open while the task runs (a live tail).

import { useEffect, useRef, useState } from "preact/hooks";
import { streamLog } from "../api/artifacts";
import { errorText } from "../hooks";
import { ErrorBox } from "./Messages";

// Past this many characters the oldest are dropped, so a chatty task cannot slow the page down.
const MAX_CHARACTERS = 2_000_000;

export function LogView({ runId, taskId, live }: { runId: string; taskId: string; live: boolean }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [streaming, setStreaming] = useState(true);
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);

  // A task that starts again (a retry) is read again from the beginning.
  useEffect(() => {
    const controller = new AbortController();
    setText("");
    setError(undefined);
    setStreaming(true);
    streamLog(runId, taskId, live, (chunk) => chunk && setText((current) => (current + chunk).slice(-MAX_CHARACTERS)), controller.signal)
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(errorText(failure));
      })
      .finally(() => {
        if (!controller.signal.aborted) setStreaming(false);
      });
    return () => controller.abort();
  }, [runId, taskId, live]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);

  const placeholder = streaming ? (live ? "Waiting for output…" : "Loading the log…") : "This task wrote no log.";
  return (
    <div class="log">
      <div class="log-toolbar">
        {live && streaming ? (
          <span class="live-dot" role="status">
            live
          </span>
        ) : (
          <span />
        )}
        <label class="checkbox">
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.currentTarget.checked)} /> Follow the end
        </label>
      </div>
      {error ? <ErrorBox message={error} /> : null}
      <pre class="code log-text" ref={pre} tabIndex={0} aria-label="Task log">
        {text || placeholder}
      </pre>
    </div>
  );
}
