/** The one port check, shared by the runtime's options and the gateway's. */

/** `port` when it is a whole number from 0 to 65535; else a `TypeError` naming `where` and showing `shown`. */
export function checkPort(port: number, where: string, shown = String(port)): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`${where} must be a port number from 0 to 65535, got ${shown}`);
  }
  return port;
}
