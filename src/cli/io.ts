/**
 * @fileoverview How commands print: through an `Io`, so tests capture output in memory.
 */

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

// A reader that stops early (`tsbpf disasm x.o | head`) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

/** The process's own stdout and stderr. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};

/** An Io that keeps what it is given, for tests. */
export function memoryIo(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    out(text: string) { io.stdout += text.endsWith("\n") ? text : `${text}\n`; },
    err(text: string) { io.stderr += text.endsWith("\n") ? text : `${text}\n`; },
  };
  return io;
}
