import { describe, expect, it } from "vitest";
import { notebookHtml, parseNotebook } from "../src/lib/notebook";

const executed = {
  nbformat: 4,
  nbformat_minor: 5,
  cells: [
    { cell_type: "markdown", source: ["# Report <script>alert(1)</script>"] },
    { cell_type: "code", source: "text = 'x'", metadata: { tags: ["parameters"] }, execution_count: 1, outputs: [] },
    {
      cell_type: "code",
      source: ["print(text)\n", "1 < 2"],
      execution_count: 2,
      outputs: [
        { output_type: "stream", name: "stdout", text: ["hello <b>\n"] },
        { output_type: "execute_result", data: { "text/plain": "True" } },
        { output_type: "display_data", data: { "image/png": "iVBORw0KGgo=\n" } },
      ],
    },
    {
      cell_type: "code",
      source: "1/0",
      execution_count: 3,
      outputs: [{ output_type: "error", ename: "ZeroDivisionError", evalue: "division by zero", traceback: ["\u001b[31mZeroDivisionError\u001b[0m: division by zero"] }],
    },
  ],
};

describe("parseNotebook", () => {
  it("recognises an executed notebook and nothing else", () => {
    expect(parseNotebook(JSON.stringify(executed))?.cells).toHaveLength(4);
    expect(parseNotebook('{"cells": []}')).toBeUndefined();
    expect(parseNotebook("a,b\n1,2")).toBeUndefined();
    expect(parseNotebook("{truncated")).toBeUndefined();
  });
});

describe("notebookHtml", () => {
  const html = notebookHtml(parseNotebook(JSON.stringify(executed))!);
  it("escapes sources and outputs, keeps tags, prompts and images as data URIs", () => {
    expect(html).toContain("In [2]:");
    expect(html).toContain('<span class="tag">parameters</span>');
    expect(html).toContain("hello &lt;b&gt;");
    expect(html).toContain("1 &lt; 2");
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(html).toContain("ZeroDivisionError: division by zero");
    expect(html).not.toContain("\u001b[");
    expect(html).not.toContain("<script>");
  });
  it("loads nothing from elsewhere and runs no script", () => {
    expect(html).toContain("default-src 'none'; img-src data:");
  });
});
