import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ElementTooLong, JsonArrayElements } from "~/backfill/json-array-elements";

/** What the splitter hands on for these pieces, and what it threw (push or end), if anything. */
function run(pieces: string[], maxElementLength?: number): { found: unknown[]; error: unknown } {
  const found: unknown[] = [];
  const elements = new JsonArrayElements(
    (value) => found.push(value),
    maxElementLength === undefined ? {} : { maxElementLength },
  );
  try {
    for (const piece of pieces) elements.push(piece);
    elements.end();
  } catch (error) {
    return { found, error };
  }
  return { found, error: undefined };
}

/** `text` cut at the given (sorted, deduplicated) offsets. */
function cutAt(text: string, offsets: number[]): string[] {
  const at = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const to of at) {
    pieces.push(text.slice(from, to));
    from = to;
  }
  pieces.push(text.slice(from));
  return pieces;
}

// Strings full of what a brace scanner could trip on: quotes, backslashes, braces, brackets, commas, the fast path's "},{".
const trickyString = fc.string({
  unit: fc.constantFrom('"', "\\", "{", "}", "[", "]", ",", "},{", ":", " ", "\n", "\t", "a", "é", "😀", "\u0000"),
  maxLength: 12,
});
const leaf = fc.oneof(
  trickyString,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(trickyString, tie("value"), { maxKeys: 3 }),
})).value;
const element = fc.dictionary(trickyString, value, { maxKeys: 4 });
const whitespace = fc.string({ unit: fc.constantFrom(" ", "\t", "\n", "\r"), maxLength: 3 });

describe("the backfill's JSON splitter", () => {
  it("hands on exactly what JSON.parse finds, for any page of objects cut into any pieces", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(element, whitespace, whitespace, fc.boolean()), { maxLength: 6 }),
        whitespace,
        whitespace,
        fc.array(fc.nat(), { maxLength: 8 }),
        (items, lead, trail, offsets) => {
          const body = items
            .map(
              ([el, before, after, pretty]) => `${before}${JSON.stringify(el, null, pretty ? 1 : undefined)}${after}`,
            )
            .join(",");
          const text = `${lead}[${body}]${trail}`;
          const expected = JSON.parse(text) as unknown[];
          const { found, error } = run(cutAt(text, offsets));
          expect(error).toBeUndefined();
          expect(found).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("takes every JSON whitespace (space, tab, CR, LF) before the array, between elements and after it", () => {
    for (const ws of [" ", "\t", "\r", "\n"]) {
      const text = `${ws}[${ws}{"a":1}${ws},${ws}{${ws}"b"${ws}:${ws}2${ws}}${ws},{"c":[]},{"d":0}${ws}]${ws}`;
      const expected = JSON.parse(text) as unknown[];
      expect(run([text]), JSON.stringify(ws)).toEqual({ found: expected, error: undefined });
      expect(run([...text]), JSON.stringify(ws)).toEqual({ found: expected, error: undefined });
      for (let cut = 0; cut <= text.length; cut++) {
        expect(run([text.slice(0, cut), text.slice(cut)]).found, `${JSON.stringify(ws)} cut at ${cut}`).toEqual(
          expected,
        );
      }
    }
  });

  it("rejects a text that is not an array, even when the first piece is only whitespace", () => {
    for (const pieces of [['{"a":1}'], ["x"], [" \n", '{"a":1}'], ["\t", " ", "1"], ['"[{}]"']]) {
      const { found, error } = run(pieces);
      expect(error).toBeInstanceOf(SyntaxError);
      expect((error as Error).message).toBe("Expected a JSON array.");
      expect(found).toEqual([]);
    }
  });

  it("rejects a value that is not an object before handing on the objects after it", () => {
    for (const text of ['[2,{"a":1},{"b":2}]', '["x",{"a":1},{"b":2}]', '[[],{"a":1},{"b":2}]']) {
      const { found, error } = run([text]);
      expect(error).toBeInstanceOf(SyntaxError);
      expect((error as Error).message).toBe(`Expected an object in the JSON array, found "${text[1]}".`);
      expect(found).toEqual([]);
    }
  });

  it("rejects a value that is not an object between objects, however the page was cut", () => {
    // In one piece, the `},{` shortcut parses `{"a":1},2,{"b":1}` as JSON; it must still refuse the 2.
    for (const stray of ["2", "null", "[]", '"x"']) {
      const text = `[{"a":1},${stray},{"b":1},{"c":1}]`;
      for (let at = 0; at <= text.length; at++) {
        const { found, error } = run(at === text.length ? [text] : [text.slice(0, at), text.slice(at)]);
        expect(error).toBeInstanceOf(SyntaxError);
        expect((error as Error).message).toBe(`Expected an object in the JSON array, found "${stray[0]}".`);
        expect(found.length).toBeLessThanOrEqual(1);
      }
    }
  });

  it("rejects text after the array without handing on any of it", () => {
    for (const tail of [' {"b":1},{"c":2}', '{"b":1},{"c":2}]', ",{}", "]"]) {
      const { found, error } = run(['[{"a":1}]', tail]);
      expect(error).toBeInstanceOf(SyntaxError);
      expect((error as Error).message).toBe("Unexpected text after the JSON array.");
      expect(found).toEqual([{ a: 1 }]);
    }
    expect(run(['[{"a":1}] {"b":1},{"c":2}']).error).toBeInstanceOf(SyntaxError);
  });

  it("says the array is incomplete when the text stops before its end, and not when only whitespace follows it", () => {
    for (const pieces of [[], ["  "], ["["], ['[{"a":1}'], ['[{"a":1},'], ['[{"a":1},{"b":'], ['[{"a":"x}]']]) {
      const { error } = run(pieces);
      expect(error, JSON.stringify(pieces)).toBeInstanceOf(SyntaxError);
      expect((error as Error).message).toBe("The JSON array is incomplete.");
    }
    expect(run(["[", "]", " \n\t\r"])).toEqual({ found: [], error: undefined });
  });

  it("holds an unfinished element of exactly maxElementLength characters and throws ElementTooLong at one more", () => {
    // The unfinished element starts part-way into what the scanner reads, after a finished one.
    const open = '{"b":"'; // 6 characters
    const atLimit = run(['[{"a":1}, ' + open, '"}]'], open.length);
    expect(atLimit).toEqual({ found: [{ a: 1 }, { b: "" }], error: undefined });

    const past = run(['[{"a":1}, ' + open + "x", '"}]'], open.length);
    expect(past.found).toEqual([{ a: 1 }]);
    expect(past.error).toBeInstanceOf(ElementTooLong);
    const error = past.error as ElementTooLong;
    expect(error.name).toBe("ElementTooLong");
    expect(error.maxElementLength).toBe(6);
    expect(error.message).toBe("An element of the JSON array is longer than 6 characters.");

    // Growing one piece at a time: it throws on the piece that makes it one too long.
    const found: unknown[] = [];
    const elements = new JsonArrayElements((v) => found.push(v), { maxElementLength: 8 });
    elements.push('[{"k":"');
    elements.push("ab");
    expect(() => elements.push("c")).toThrow(ElementTooLong);
  });

  it("has no limit on an element unless one is given", () => {
    const long = { a: "x".repeat(100_000) };
    const text = `[${JSON.stringify(long)}]`;
    const pieces = cutAt(text, [3, 50_000, 99_000]);
    expect(run(pieces)).toEqual({ found: [long], error: undefined });
  });
});
