// Holds a lock (proper-lockfile releases it through signal-exit 3) and reports its own exit
// through signal-exit 4; no SIGTERM handler of its own: signal-exit re-raises the signal.
const http = require('http');
const fs = require('fs');
const path = require('path');
const lockfile = require('proper-lockfile');
const { onExit } = require('signal-exit');

const target = path.join(process.env.LOCK_DIR, 'work.txt');
fs.writeFileSync(target, 'work\n');
lockfile.lockSync(target);
onExit((code, signal) => {
  // Synchronous output only: the process is about to go.
  fs.writeSync(1, `lockfile-worker exit code=${code} signal=${signal}\n`);
});

http
  .createServer((req, res) => {
    const locked = lockfile.checkSync(target);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, locked }));
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`lockfile-worker listening ${process.env.PORT}`));
