// Express 5 "hello": GET /hello → JSON. /__stats reports event-loop delay and memory (not timed).
const { monitorEventLoopDelay } = require('perf_hooks');
const express = require('express');

const delay = monitorEventLoopDelay({ resolution: 10 });
const app = express();
app.get('/hello', (req, res) => res.json({ hello: 'world' }));
app.get('/__stats', (req, res) => res.json({ eventLoopDelayP99Ms: delay.percentile(99) / 1e6, eventLoopDelayMeanMs: delay.mean / 1e6, rss: process.memoryUsage().rss }));
app.post('/__reset', (req, res) => {
  delay.reset();
  res.end();
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  delay.enable();
  console.log(`listening ${server.address().port}`);
});
