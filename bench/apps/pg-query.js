// An I/O-bound handler: each request runs one PostgreSQL query that waits 2 ms in the server.
const http = require('http');
const { Pool } = require('pg');

const pool = new Pool({ host: '127.0.0.1', user: process.env.PGUSER || 'postgres', database: 'test', max: 10 });
const server = http.createServer(async (req, res) => {
  try {
    const { rows } = await pool.query('SELECT pg_sleep(0.002), $1::int AS n', [1]);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(rows[0]));
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
