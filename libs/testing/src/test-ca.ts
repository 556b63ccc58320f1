import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  /** PEM of the CA: give it to the egress as EGRESS_EXTRA_CA_FILE. */
  caCertFile: string;
  caPem: string;
  /** A server certificate for `hosts`, signed by the CA. */
  certFile: string;
  keyFile: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * A throw-away certificate authority and one server certificate signed by it, made with the
 * openssl CLI into `dir`. Reused when `dir` already holds one (the demo keeps its CA).
 */
export function createTestCa(dir: string, hosts: string[] = ['localhost', '127.0.0.1', '::1'], options: { days?: number } = {}): TestCa {
  mkdirSync(dir, { recursive: true });
  const ca: TestCa = {
    caCertFile: join(dir, 'ca.pem'),
    caPem: '',
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server-key.pem'),
  };
  if (!existsSync(ca.certFile)) {
    // A negative `days` makes an already expired server certificate (the CA stays valid).
    const days = String(options.days ?? 30);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Tidings Test CA'], dir);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', `/CN=${hosts[0]}`], dir);
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    writeFileSync(join(dir, 'server.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', days, '-extfile', 'server.ext'], dir);
  }
  ca.caPem = readFileSync(ca.caCertFile, 'utf8');
  return ca;
}

/** A client certificate (for mTLS) named `name`, signed by the CA in `caDir`. */
export function createClientCert(caDir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(caDir, `${name}.pem`);
  const keyFile = join(caDir, `${name}-key.pem`);
  if (!existsSync(certFile)) {
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], caDir);
    writeFileSync(join(caDir, `${name}.ext`), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', `${name}.ext`], caDir);
  }
  return { certFile, keyFile };
}
