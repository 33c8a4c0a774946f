/**
 * The elements of a JSON array of objects, parsed as its text arrives in
 * pieces. A page of Clerk users is a megabyte: on this machine one string of
 * that size costs more to allocate than the whole page costs to parse in
 * 64 KB pieces (docs/benchmarks.md), so the backfill never builds it.
 *
 * Each piece is parsed in one `JSON.parse` up to its last `},{`: if that cut
 * were inside a string, the text before it would end in an unterminated string
 * and JSON.parse would throw, so a wrong guess cannot pass. What is left (the
 * element running into the next piece, or a piece whose guess failed) goes
 * through a scanner that respects strings, escapes and nesting. Either way
 * JSON.parse parses each object, so an object it would reject is rejected here,
 * and so is an element that is not an object, wherever the pieces were cut.
 */
export class JsonArrayElements {
  private carry = "";
  private state: "before" | "inside" | "after" = "before";
  private readonly maxElementLength: number;

  constructor(
    private readonly onElement: (value: unknown) => void,
    /** An element is held until its end arrives: one longer than this (characters) throws ElementTooLong. */
    options: { maxElementLength?: number } = {},
  ) {
    this.maxElementLength = options.maxElementLength ?? Infinity;
  }

  /** The next piece of the text (any split, even inside a string). */
  push(piece: string): void {
    let text = this.carry.length > 0 ? this.carry + piece : piece;
    this.carry = "";
    let i = 0;
    if (this.state === "before") {
      i = skipWhitespace(text, 0);
      if (i === text.length) return;
      if (text.charCodeAt(i) !== OPEN_BRACKET) throw new SyntaxError("Expected a JSON array.");
      this.state = "inside";
      i++;
    }
    if (this.state === "inside") {
      i = skipSeparators(text, i);
      const cut = text.lastIndexOf("},{");
      if (cut > i && text.charCodeAt(i) === OPEN_BRACE) {
        const elements = parseOrNull(`[${text.slice(i, cut + 1)}]`);
        // `},2,{` parses too: only a run of objects is taken, anything else is left to the scanner to refuse.
        if (elements?.every(isPlainObject)) {
          for (const element of elements) this.onElement(element);
          i = cut + 2;
        }
      }
    }
    if (i > 0) text = text.slice(i);
    this.scan(text);
  }

  /** The text is complete: throws if it stopped part-way through the array. */
  end(): void {
    if (this.state !== "after" || this.carry.trim().length > 0) throw new SyntaxError("The JSON array is incomplete.");
  }

  /** Element by element, keeping an element that runs past the end of `text` for the next piece. */
  private scan(text: string): void {
    let i = 0;
    const length = text.length;
    while (i < length) {
      const c = text.charCodeAt(i);
      if (isWhitespace(c)) {
        i++;
        continue;
      }
      if (this.state === "before") {
        if (c !== OPEN_BRACKET) throw new SyntaxError("Expected a JSON array.");
        this.state = "inside";
        i++;
        continue;
      }
      if (this.state === "after") throw new SyntaxError("Unexpected text after the JSON array.");
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === CLOSE_BRACKET) {
        this.state = "after";
        i++;
        continue;
      }
      if (c !== OPEN_BRACE) throw new SyntaxError(`Expected an object in the JSON array, found "${text[i]}".`);
      const end = endOfObject(text, i);
      if (end < 0) {
        if (length - i > this.maxElementLength) throw new ElementTooLong(this.maxElementLength);
        this.carry = text.slice(i);
        return;
      }
      this.onElement(JSON.parse(text.slice(i, end)));
      i = end;
    }
  }
}

/** An element ran past `maxElementLength` characters without ending. */
export class ElementTooLong extends Error {
  override name = "ElementTooLong";
  constructor(readonly maxElementLength: number) {
    super(`An element of the JSON array is longer than ${maxElementLength} characters.`);
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

function skipSeparators(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text.charCodeAt(i) === COMMA || isWhitespace(text.charCodeAt(i)))) i++;
  return i;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseOrNull(text: string): unknown[] | null {
  try {
    return JSON.parse(text) as unknown[];
  } catch {
    return null;
  }
}

/** Index just past the object that opens at `start`, or -1 if `text` ends first. */
function endOfObject(text: string, start: number): number {
  let depth = 0;
  let i = start;
  const length = text.length;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Most of a user is string contents: jump to the closing quote instead of stepping through them.
      let close = text.indexOf('"', i + 1);
      while (close >= 0 && isEscaped(text, close)) close = text.indexOf('"', close + 1);
      if (close < 0) return -1;
      i = close + 1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** A quote preceded by an odd number of backslashes is part of the string. */
function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let i = quote - 1; text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}
