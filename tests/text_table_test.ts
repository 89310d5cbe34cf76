/** The one terminal-table formatter (core/app/text_table.ts). */
import assert from "node:assert/strict";
import { formatTable } from "../core/app/text_table.ts";

Deno.test("text table: columns as wide as their widest cell, aligned, ruled, no trailing spaces", () => {
  const t = formatTable(["name", "n", "value"], [["a", "1", "x"], ["long name", "10", "yy"]], {
    align: ["left", "right"],
    rule: true,
  });
  assert.equal(
    t,
    [
      "name        n  value",
      "---------  --  -----",
      "a           1  x",
      "long name  10  yy",
    ].join("\n"),
  );
  assert.equal(formatTable(null, [["a", "b"], ["cc", "d"]], { gap: 1 }), "a  b\ncc d");
  assert.equal(formatTable(null, []), "");
});
