// npm's entry script, to run on the Node under test: the npm beside that Node, else the system's
// (a Node binary from the registry, as the 3.x pass runs vitest on, comes without one; the `npm`
// on PATH links to its npm-cli.js).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export function npmCli(): string {
  const besideNode = path.join(path.dirname(path.dirname(process.execPath)), 'lib/node_modules/npm/bin/npm-cli.js');
  if (fs.existsSync(besideNode)) return besideNode;
  return fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
}
