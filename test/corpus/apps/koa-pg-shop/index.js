// Koa + @koa/router (nested) + knex on PostgreSQL; its own SIGTERM handler ends with process.exit().
const Koa = require('koa');
const Router = require('@koa/router');
const knex = require('knex')({ client: 'pg', connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' }, pool: { min: 0, max: 2 } });

const items = new Router();
items.get('/:id', async (ctx) => {
  const rows = await knex.select(knex.raw('?::int as id', [Number(ctx.params.id)]));
  ctx.body = rows[0];
});
const api = new Router({ prefix: '/api' });
api.use('/items', items.routes());

const app = new Koa();
app.use(api.routes()).use(api.allowedMethods());
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`koa-pg-shop listening ${process.env.PORT}`));

process.on('SIGTERM', () => {
  server.close();
  knex.destroy().then(() => {
    console.log('koa-pg-shop bye');
    process.exit(3);
  });
});
