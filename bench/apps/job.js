// A short-lived job: one HTTP round trip, then the event loop drains.
const http = require('http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/job' }, (res) => {
    res.resume();
    res.on('end', () => server.close());
  });
});
