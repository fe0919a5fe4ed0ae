/**
 * htmlparser2's Parser with a stack of open elements that costs O(1) per tag, so a deeply nested
 * page parses in linear time.
 *
 * htmlparser2 keeps its open elements top first and adds each one with Array#unshift, which moves
 * every element already on the stack: a page nested N deep cost O(N^2). Measured on this machine
 * (parse of `<div>x ` x N then `</div>` x N, fields included): 25k / 50k / 100k deep took
 * 0.5 / 2.5 / 5 s against 0.07 s for 100k flat elements, and one 1.1 MB page held the only parse
 * worker for 6-10 s. An end tag also searched the stack with indexOf, so stray end tags on a
 * deep stack (`</span>` with no <span> open) cost O(depth) each.
 *
 * The parser only reads its stacks through `[0]`, `length`, shift(), unshift(), indexOf() and
 * `length = 0`, plus a walk in onend(); OpenElements gives those with push/pop on an array kept
 * bottom first, and a count per name so that an end tag with no open element of its name is
 * answered without a search. Both stacks are private fields of htmlparser2 10, so the swap is
 * checked when the parser is made; test/html-parser.test.ts checks it on the installed version.
 */
import { Parser, type Handler, type ParserOptions } from 'htmlparser2';
import { DomHandler, type Document } from 'domhandler';

/** A stack read top first (index 0 is the top), as htmlparser2 reads its own. */
export class OpenElements<T> {
  /** Bottom first: the top is the last item. */
  private readonly items: T[] = [];
  private readonly counts = new Map<T, number>();

  get length(): number {
    return this.items.length;
  }

  /** Only `length = 0` (htmlparser2's reset) is supported. */
  set length(n: number) {
    if (n !== 0) throw new RangeError(`OpenElements: length can only be set to 0, not ${n}`);
    this.items.length = 0;
    this.counts.clear();
  }

  /** The top of the stack. */
  get 0(): T | undefined {
    return this.items[this.items.length - 1];
  }

  /** The item `i` places below the top. */
  at(i: number): T | undefined {
    return this.items[this.items.length - 1 - i];
  }

  /** Pushes onto the top. */
  unshift(item: T): number {
    this.items.push(item);
    this.counts.set(item, (this.counts.get(item) ?? 0) + 1);
    return this.items.length;
  }

  /** Pops the top. */
  shift(): T | undefined {
    if (this.items.length === 0) return undefined;
    const item = this.items.pop()!;
    const n = this.counts.get(item)!;
    if (n === 1) this.counts.delete(item);
    else this.counts.set(item, n - 1);
    return item;
  }

  /**
   * Places below the top of the nearest `item`, or -1. The parser then pops that many + 1
   * elements, so a search that finds something is paid for by the pops; one that would find
   * nothing does not search at all.
   */
  indexOf(item: T): number {
    if (!this.counts.has(item)) return -1;
    const top = this.items.length - 1;
    for (let i = top; i >= 0; i--) if (this.items[i] === item) return top - i;
    return -1;
  }
}

/** The private fields of htmlparser2's Parser that are swapped. */
interface ParserInternals {
  stack: unknown;
  foreignContext: unknown;
  cbs: Partial<Handler>;
}

/** htmlparser2's Parser, linear in the nesting depth (see the file comment). */
export class LinearParser extends Parser {
  /** False if this htmlparser2 version keeps its stacks differently: then they were left alone. */
  readonly linear: boolean;

  constructor(cbs?: Partial<Handler> | null, options?: ParserOptions) {
    super(cbs, options);
    const p = this as unknown as ParserInternals;
    this.linear = Array.isArray(p.stack) && p.stack.length === 0 && Array.isArray(p.foreignContext) && p.foreignContext.length === 1;
    if (!this.linear) return;
    const foreign = new OpenElements<boolean>();
    foreign.unshift((p.foreignContext as boolean[])[0]!);
    p.stack = new OpenElements<string>();
    p.foreignContext = foreign;
  }

  /** @internal Closes the elements still open, top first, as Parser#onend does with its array. */
  override onend(): void {
    const p = this as unknown as ParserInternals;
    if (this.linear) {
      const stack = p.stack as OpenElements<string>;
      if (p.cbs.onclosetag) {
        this.endIndex = this.startIndex;
        for (let i = 0; i < stack.length; i++) p.cbs.onclosetag(stack.at(i)!, true);
      }
      stack.length = 0; // the base onend below then finds nothing left to close
    }
    super.onend();
  }
}

/** htmlparser2's parseDocument(html) with LinearParser: the DOM cheerio.load(html) would build. */
export function parseDocument(html: string): Document {
  const handler = new DomHandler();
  new LinearParser(handler).end(html);
  return handler.root;
}
