// Reads a small file named in a setting (a PEM certificate or key) without ever blocking the
// process: opened non-blocking and checked with fstat, so a FIFO, a device such as /dev/zero or
// /dev/stdin, or a huge file is refused with a reason instead of hanging start-up or exit or
// filling memory. Symbolic links are followed: Kubernetes mounts secrets through them.

import * as fs from 'fs';

const { O_RDONLY, O_NONBLOCK = 0 } = fs.constants;

/** The file's bytes; throws an Error whose message says why the file cannot be used. */
export function readSmallFile(file: string, maxBytes: number): Buffer {
  const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('it is not a regular file');
    if (st.size > maxBytes) throw new Error(`it is larger than ${maxBytes} bytes`);
    return readOpened(fd, st.size);
  } finally {
    fs.closeSync(fd);
  }
}

/** Up to `size` bytes of an open file, from its start; fewer if it is shorter by now. */
export function readOpened(fd: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let read = 0;
  while (read < size) {
    const n = fs.readSync(fd, bytes, read, size - read, read);
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

