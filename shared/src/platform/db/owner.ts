/**
 * Raw SQL as the schema owner, for bootstrap steps the application role is deliberately unable to
 * do (e.g. granting platform administration). Never reachable from request handlers.
 */
export type OwnerQuery = <Row = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<Row[]>;
