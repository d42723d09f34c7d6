import { describe, expect, it } from "vitest";
import { pathForKfpLink } from "../src/router";

describe("pathForKfpLink", () => {
  it("maps the links kfp.Client prints to Sluice's pages", () => {
    expect(pathForKfpLink("#/runs/details/r-1")).toBe("/runs/r-1");
    expect(pathForKfpLink("#/pipelines/details/p-1/version/v-1")).toBe("/pipelines/p-1");
    expect(pathForKfpLink("#/experiments/details/e-1")).toBe("/experiments/e-1");
    expect(pathForKfpLink("#/recurringrun/details/c-1")).toBe("/recurring/c-1");
  });

  it("leaves other hashes alone", () => {
    expect(pathForKfpLink("")).toBeUndefined();
    expect(pathForKfpLink("#main")).toBeUndefined();
    expect(pathForKfpLink("#/runs/details/")).toBeUndefined();
  });
});
