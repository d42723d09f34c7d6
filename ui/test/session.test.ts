import { describe, expect, it } from "vitest";
import { currentNamespace, withSession } from "../src/api/session";

describe("withSession", () => {
  it("sends the token as a Bearer header and keeps the request's own headers", () => {
    const [url, init] = withSession("/apis/v2beta1/runs/r1", { method: "POST", headers: { "Content-Type": "application/json" } }, "sluice_t", null);
    const headers = new Headers(init?.headers);
    expect(url).toBe("/apis/v2beta1/runs/r1");
    expect(headers.get("Authorization")).toBe("Bearer sluice_t");
    expect(headers.get("Content-Type")).toBe("application/json");
  });

  it("scopes namespaced lists to the chosen namespace, unless they name one or an experiment", () => {
    expect(withSession("/apis/v2beta1/runs?page_size=20", undefined, null, "team-a")[0]).toBe(
      "/apis/v2beta1/runs?page_size=20&namespace=team-a",
    );
    expect(withSession("/apis/sluice/v1/queue", undefined, null, "team-a")[0]).toBe("/apis/sluice/v1/queue?namespace=team-a");
    expect(withSession("/apis/v2beta1/runs?namespace=team-b", undefined, null, "team-a")[0]).toBe("/apis/v2beta1/runs?namespace=team-b");
    expect(withSession("/apis/v2beta1/runs?experiment_id=e1", undefined, null, "team-a")[0]).toBe("/apis/v2beta1/runs?experiment_id=e1");
    expect(withSession("/apis/v2beta1/runs/r1", undefined, null, "team-a")[0]).toBe("/apis/v2beta1/runs/r1");
    expect(withSession("/apis/v2beta1/pipelines", undefined, null, "team-a")[0]).toBe("/apis/v2beta1/pipelines");
  });

  it("leaves single-user requests alone", () => {
    expect(withSession("/apis/v2beta1/runs", undefined, null, null)).toEqual(["/apis/v2beta1/runs", undefined]);
  });
});

describe("currentNamespace", () => {
  it("is the user's first namespace when none was chosen, or the chosen one was left", () => {
    expect(currentNamespace({ name: "a", admin: false, namespaces: { "team-b": "view", "team-a": "edit" }, multi_user: true })).toBe("team-a");
    expect(currentNamespace({ name: "a", admin: false, namespaces: {}, multi_user: true })).toBeNull();
  });
});
