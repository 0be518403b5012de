// A service of the shape most fleets run: Express 5, PostgreSQL (pg), Redis (ioredis), MySQL /
// MariaDB (mysql2), RabbitMQ (amqplib) and pino, its clients connected at start. GET / answers
// once every client has answered one call. PORT from the environment.
const express = require('express');
const { Pool } = require('pg');
const Redis = require('ioredis');
const mysql = require('mysql2/promise');
const amqp = require('amqplib');
const pino = require('pino');

const log = pino({ level: 'warn' });
const pg = new Pool({ host: '127.0.0.1', user: process.env.PGUSER || 'postgres', database: 'test', max: 2 });
const redis = new Redis({ host: '127.0.0.1', port: 6379 });
const my = mysql.createPool({ host: '127.0.0.1', user: 'root', database: 'test', connectionLimit: 2 });
const rabbit = amqp.connect('amqp://guest:guest@127.0.0.1');

const app = express();
app.get('/', async (req, res) => {
  try {
    const [{ rows }] = await Promise.all([pg.query('SELECT 1 AS n'), redis.get('bench'), my.query('SELECT 1'), rabbit]);
    res.json({ n: rows[0].n });
  } catch (err) {
    log.warn({ err }, 'not ready');
    res.status(503).end();
  }
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`service listening ${process.env.PORT}`));
process.on('SIGTERM', () => {
  server.close();
  pg.end();
  redis.quit();
  my.end();
  rabbit.then((c) => c.close()).catch(() => {});
});
