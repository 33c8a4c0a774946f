import { describe, expect, it } from "vitest";
import { JsonArrayElements } from "~/clerk/json-array-elements";

/** What the streaming reader hands on, for `text` cut into `pieces`. */
function elementsOf(pieces: string[]): unknown[] {
  const found: unknown[] = [];
  const elements = new JsonArrayElements((text) => found.push(JSON.parse(text)));
  for (const piece of pieces) elements.push(piece);
  elements.end();
  return found;
}

// Everything that could fool a scanner looking for braces: braces, brackets and quotes inside
// strings, escaped quotes and backslashes, an escape at the very end of a string, nesting, unicode.
const tricky = [
  { id: "user_1", first_name: "Ada {", last_name: "} Lovelace", public_metadata: { tags: ["[", "]", "{}"] } },
  { id: "user_2", first_name: 'say \\"hi\\"', username: "back\\\\slash\\\\", nested: [[{ a: [{}] }], []] },
  { id: "user_3", first_name: "Zoë 😀 名前", last_name: "\u0000\u001f", image_url: "https://img.example/?a=1&b={2}" },
  { id: "user_4", quote_at_end: 'ends with a quote "', empty: "", nulls: null, n: -1.5e3, t: true },
];

describe("the backfill's page splitter", () => {
  const text = ` [\n  ${tricky.map((user) => JSON.stringify(user, null, 1)).join(" ,\n ")}\n ] `;

  it("finds every user of a page cut in two at any point, the same users JSON.parse finds", () => {
    const expected = JSON.parse(text) as unknown[];
    for (let cut = 0; cut <= text.length; cut++) {
      expect(elementsOf([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(expected);
    }
  });

  it("finds them when the page arrives a character at a time, and in random pieces", () => {
    const expected = JSON.parse(text) as unknown[];
    expect(elementsOf([...text])).toEqual(expected);
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 200; round++) {
      const pieces: string[] = [];
      for (let at = 0; at < text.length; ) {
        const size = 1 + Math.floor(random() * 40);
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      expect(elementsOf(pieces)).toEqual(expected);
    }
  });

  it("reads an empty page", () => {
    expect(elementsOf(["[", " ]"])).toEqual([]);
  });

  it("refuses what is not a complete array of objects", () => {
    expect(() => elementsOf(['{"errors": []}'])).toThrow(/Expected a JSON array/);
    expect(() => elementsOf(['[{"id": "user_1"}, {"id": "us'])).toThrow(/incomplete/);
    expect(() => elementsOf(['[{"id": "user_1"}'])).toThrow(/incomplete/);
    expect(() => elementsOf(['[{"id": "user_1"}] x'])).toThrow(/after the JSON array/);
    expect(() => elementsOf(['["user_1"]'])).toThrow(/Expected an object/);
    // Bad JSON inside an element is JSON.parse's to reject.
    expect(() => elementsOf(['[{"id": user_1}]'])).toThrow(SyntaxError);
  });
});
