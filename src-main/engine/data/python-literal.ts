// The subset of Python literal syntax that numpy writes in a .npy header (numpy.lib.format uses repr()).

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

export function parsePythonLiteral(text: string): PyValue {
  const parser = new Parser(text);
  const value = parser.value();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('unexpected text after the value');
  return value;
}

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  value(): PyValue {
    this.skipSpace();
    const char = this.text[this.at];
    if (char === '{') return this.dict();
    if (char === '(') return this.sequence(')');
    if (char === '[') return this.sequence(']');
    if (char === "'" || char === '"') return this.string();
    if (char === '-' || (char >= '0' && char <= '9')) return this.integer();
    for (const [word, value] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.fail(char === undefined ? 'unexpected end' : `unexpected '${char}'`);
  }

  skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  fail(problem: string): never {
    throw new SyntaxError(`${problem} at character ${this.at}`);
  }

  private dict(): { [key: string]: PyValue } {
    const result: { [key: string]: PyValue } = {};
    this.items('}', () => {
      const key = this.value();
      if (typeof key !== 'string') this.fail('dictionary key is not a string');
      this.expect(':');
      result[key] = this.value();
    });
    return result;
  }

  private sequence(close: ')' | ']'): PyValue[] {
    const result: PyValue[] = [];
    this.items(close, () => result.push(this.value()));
    return result;
  }

  /** Comma-separated items up to `close`; a trailing comma is allowed, as in `(3,)`. */
  private items(close: string, item: () => void): void {
    this.at++;
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === close) break;
      item();
      this.skipSpace();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.at++;
  }

  private string(): string {
    const quote = this.text[this.at];
    const end = this.text.indexOf(quote, this.at + 1);
    if (end < 0) this.fail('unterminated string');
    // numpy dtype strings and field names never need escapes; a backslash means a header we do not understand.
    const body = this.text.slice(this.at + 1, end);
    if (body.includes('\\')) this.fail('escaped string');
    this.at = end + 1;
    return body;
  }

  private integer(): number {
    // Python 2 wrote long integers with an L suffix: (60000L, 28L, 28L).
    const found = /^-?\d+L?/.exec(this.text.slice(this.at));
    if (found === null) return this.fail('malformed number');
    this.at += found[0].length;
    return Number.parseInt(found[0], 10);
  }

  private expect(char: string): void {
    this.skipSpace();
    if (this.text[this.at] !== char) this.fail(`expected '${char}'`);
    this.at++;
  }
}
