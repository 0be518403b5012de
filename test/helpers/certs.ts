// A private CA with a server certificate for 127.0.0.1 and a client certificate, made with openssl
// in a temporary folder, for the TLS and mTLS tests.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Certificates {
  /** Path of ca.pem, ca.key, server.pem, server.key, client.pem, client.key. */
  file(name: string): string;
  read(name: string): Buffer;
  remove(): void;
}

export function makeCertificates(): Certificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-certs-'));
  const sh = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem']);
  for (const name of ['server', 'client']) {
    sh(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
    sh(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  }
  return {
    file: (name) => path.join(dir, name),
    read: (name) => fs.readFileSync(path.join(dir, name)),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
