import { describe, expect, it } from "vitest";
import { JsonArrayElements } from "~/backfill/json-array-elements";

/** What the streaming reader hands on, for `text` cut into `pieces`. */
function elementsOf(pieces: string[]): unknown[] {
  const found: unknown[] = [];
  const elements = new JsonArrayElements((value) => found.push(value));
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
  // What the fast path cuts at, inside strings and between nested objects: it must find out and fall back.
  { id: "user_5", first_name: "},{", last_name: '"},{"', email_addresses: [{ id: "a" }, { id: "b" }, { id: "c" }] },
  { id: "user_6", linked_to: [{}, {}], username: "}],[{" },
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
      for (let at = 0; at < text.length;) {
        const size = 1 + Math.floor(random() * 40);
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      expect(elementsOf(pieces)).toEqual(expected);
    }
  });

  it("reads compact JSON, as Clerk sends it, whatever a piece ends in", () => {
    const compact = JSON.stringify([...tricky, ...tricky, ...tricky]);
    const expected = JSON.parse(compact) as unknown[];
    for (let size = 1; size < compact.length; size += 7) {
      const pieces: string[] = [];
      for (let at = 0; at < compact.length; at += size) pieces.push(compact.slice(at, at + size));
      expect(elementsOf(pieces), `pieces of ${size}`).toEqual(expected);
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
