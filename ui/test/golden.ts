// Compiled example pipelines from the compiler's golden files: real specs to build graphs from.

import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import type { PipelineSpec } from "../src/lib/spec";

export function goldenSpec(example: string): PipelineSpec {
  const url = new URL(`../../tests/compiler/golden/${example}.yaml`, import.meta.url);
  return load(readFileSync(url, "utf8")) as PipelineSpec;
}
