// Express 5 with three middlewares and a router: GET /api/items/:id → JSON. The shape of a small
// real service (request id, timing header, body parser, a mounted router).
const express = require('express');

const app = express();
let next = 0;
app.use(function requestId(req, res, nextFn) {
  req.id = ++next;
  nextFn();
});
app.use(function timing(req, res, nextFn) {
  res.setHeader('x-started', String(Date.now()));
  nextFn();
});
app.use(express.json());
const api = express.Router();
api.get('/items/:id', (req, res) => res.json({ id: req.params.id, request: req.id }));
app.use('/api', api);
const server = app.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
