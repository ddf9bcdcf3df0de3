/** A flow expression parse or evaluation failure; `position` is a 0-based character offset into the source. */
export class ExpressionError extends Error {
  readonly position: number;
  readonly source: string;

  constructor(message: string, source: string, position = 0) {
    super(message);
    this.name = 'ExpressionError';
    this.source = source;
    this.position = position;
  }
}
