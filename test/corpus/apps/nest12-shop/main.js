// A NestJS 12 app in plain JavaScript: the decorators are applied by hand, as TypeScript would.
// NEST_PREFIX: served under app.setGlobalPrefix(NEST_PREFIX), whose 404s Nest answers from a
// catch-all route (`*path`) mounted at the prefix.
require('reflect-metadata');
const { Module, Controller, Get, Param, Injectable, Inject } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Pool } = require('pg');

class Db {
  constructor() {
    this.pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 2 });
  }
  item(id) {
    return this.pool.query('SELECT $1::int AS id, $2::text AS name', [id, `item ${id}`]).then((r) => r.rows[0]);
  }
  onApplicationShutdown() {
    return this.pool.end();
  }
}
Injectable()(Db);

class ItemsController {
  constructor(db) {
    this.db = db;
  }
  list() {
    return [{ id: 1 }, { id: 2 }];
  }
  one(id) {
    return this.db.item(Number(id));
  }
}
Inject(Db)(ItemsController, undefined, 0);
Controller('items')(ItemsController);
const method = (name) => Object.getOwnPropertyDescriptor(ItemsController.prototype, name);
Get()(ItemsController.prototype, 'list', method('list'));
Param('id')(ItemsController.prototype, 'one', 0);
Get(':id')(ItemsController.prototype, 'one', method('one'));

class AppModule {}
Module({ controllers: [ItemsController], providers: [Db] })(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: false });
  if (process.env.NEST_PREFIX) app.setGlobalPrefix(process.env.NEST_PREFIX);
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  console.log(`nest12-shop listening ${process.env.PORT}`);
}
main();
