import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';

/**
 * The baseline the API is measured against: a bare Hono route on @hono/node-server doing the same
 * single-row select through postgres.js, with no auth, no tenant transaction and no RLS role switch.
 */
const url = process.env.DATABASE_URL ?? '';
const port = Number(process.env.PORT ?? 0);
const sql = postgres(url, { max: Number(process.env.DATABASE_POOL_MAX ?? 20), onnotice: () => {} });
const app = new Hono();
app.get('/agents/:id', async (c) => {
  const [row] = await sql`select * from agents where id = ${c.req.param('id')}`;
  return row ? c.json(row) : c.json({ error: 'not found' }, 404);
});
app.get('/agents', async (c) => {
  const rows =
    await sql`select * from agents where tenant_id = ${c.req.query('tenant') ?? ''} order by id desc limit 20`;
  return c.json({ data: rows });
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) =>
  console.log(`baseline listening ${info.port}`),
);
