import { createPostgresOwner } from '@lumay/shared/node';
import { it } from 'vitest';
import { client, createTenant, login } from '../support/client.ts';
import { createEdgeTarget } from '../support/edge-target.ts';
it('probe', async () => {
  for (const hyperdrive of [false, true]) {
  const target = await createEdgeTarget({ hyperdrive });
  const owner = createPostgresOwner(target.database.url);
  const name = new URL(target.database.url).pathname.slice(1);
  const api = client(target);
  const tenant = await createTenant(api, await login(api, target.admin.email, target.admin.password), 'p');
  const q = () => owner.owner(`select usename, state, count(*) from pg_stat_activity where datname = $1 group by 1,2`, [name]);
  const slow = Promise.all(Array.from({ length: 12 }, () => api.get('/v1/agents', { token: tenant.token })));
  await new Promise((r) => setTimeout(r, 30));
  console.log(hyperdrive, 'during', await q());
  await slow;
  console.log(hyperdrive, 'after', await q());
  await new Promise((r) => setTimeout(r, 1000));
  console.log(hyperdrive, 'after 1s', await q());
  await owner.close();
  await target.close();
  }
}, 120000);
