// Display names of pipelines and experiments, fetched once per id and shared by every table.

import { useEffect, useState } from "preact/hooks";
import { getExperiment, getPipeline } from "./api/client";

const cache = new Map<string, Promise<string>>();

function nameOf(kind: "pipeline" | "experiment", id: string): Promise<string> {
  const cacheKey = `${kind}:${id}`;
  let pending = cache.get(cacheKey);
  if (!pending) {
    pending =
      kind === "pipeline"
        ? getPipeline(id).then((item) => item.display_name || item.name || id)
        : getExperiment(id).then((item) => item.display_name || id);
    // A failed lookup shows the id and is tried again next time.
    pending = pending.catch(() => {
      cache.delete(cacheKey);
      return id;
    });
    cache.set(cacheKey, pending);
  }
  return pending;
}

/** Names for the given ids, filled in as they arrive. */
export function useNames(kind: "pipeline" | "experiment", ids: Array<string | undefined>): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))].sort().join(",");
  useEffect(() => {
    let live = true;
    const list = wanted ? wanted.split(",") : [];
    Promise.all(list.map(async (id) => [id, await nameOf(kind, id)] as const)).then(
      (entries) => live && setNames(Object.fromEntries(entries)),
    );
    return () => {
      live = false;
    };
  }, [kind, wanted]);
  return names;
}
