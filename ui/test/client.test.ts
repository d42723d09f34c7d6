import { describe, expect, it } from "vitest";
import { filterJson, listUrl } from "../src/api/client";

describe("filterJson", () => {
  it("writes KFP's predicates: text as string_value, whole numbers as int_value, others as double_value", () => {
    const json = filterJson([
      { key: "display_name", operation: "IS_SUBSTRING", value: "train" },
      { key: "metric:epochs", operation: "EQUALS", value: 3 },
      { key: "metric:accuracy", operation: "GREATER_THAN_EQUALS", value: 0.9 },
    ]);
    expect(JSON.parse(json)).toEqual({
      predicates: [
        { key: "display_name", operation: "IS_SUBSTRING", string_value: "train" },
        { key: "metric:epochs", operation: "EQUALS", int_value: 3 },
        { key: "metric:accuracy", operation: "GREATER_THAN_EQUALS", double_value: 0.9 },
      ],
    });
  });
});

describe("listUrl", () => {
  it("puts paging, sorting, filters and extra parameters in the query", () => {
    const url = new URL(
      listUrl("/apis/v2beta1/runs", {
        pageSize: 20,
        pageToken: "abc",
        sortBy: "metric:accuracy desc",
        predicates: [{ key: "state", operation: "EQUALS", value: "RUNNING" }],
        params: { experiment_id: "e1" },
      }),
      "http://host",
    );
    expect(url.searchParams.get("page_size")).toBe("20");
    expect(url.searchParams.get("page_token")).toBe("abc");
    expect(url.searchParams.get("sort_by")).toBe("metric:accuracy desc");
    expect(url.searchParams.get("experiment_id")).toBe("e1");
    expect(JSON.parse(url.searchParams.get("filter")!).predicates[0].string_value).toBe("RUNNING");
  });

  it("leaves out what is not set", () => {
    expect(listUrl("/x", { pageSize: 10 })).toBe("/x?page_size=10");
  });
});
