/** The server's own text for --get-server-output, bounded: the first and last 2000 lines. */
export class ServerOutput {
  private readonly head: string[] = [];
  private readonly tail: string[] = [];
  private dropped = 0;

  constructor(private readonly emitLine: (line: string) => void) {}

  say(l: string): void {
    if (this.head.length < 2000) this.head.push(l);
    else {
      this.tail.push(l);
      if (this.tail.length > 2000) {
        this.tail.shift();
        this.dropped++;
      }
    }
    this.emitLine(l);
  }

  text(): string {
    return (
      [
        ...this.head,
        ...(this.dropped ? [`[... ${this.dropped} lines omitted ...]`] : []),
        ...this.tail,
      ].join('\n') + '\n'
    );
  }
}
