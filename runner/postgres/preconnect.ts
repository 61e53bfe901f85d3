/**
 * A TCP connection to the target opened while ALTER ROLE runs, for the login that proves the new password.
 * PostgreSQL starts a server process when it accepts a connection, before it reads the startup packet: opening
 * the socket early overlaps that start (≈ 0.5 ms of the login on our 2-core machine) with the ALTER. The login
 * itself — startup packet, SCRAM with the new password — still begins only after the ALTER has committed, on
 * this socket through pg's documented `stream` option; TLS is negotiated on it as on any other.
 */
import net from "node:net";

export class Preconnected {
  private taken = false;

  private constructor(private readonly socket: net.Socket) {}

  /** Opens it; undefined for a Unix-socket host (pg connects those itself). */
  static open(host: string, port: number): Preconnected | undefined {
    if (host.startsWith("/")) return undefined;
    const socket = net.connect(port, host);
    socket.on("error", () => undefined); // until pg takes it; then pg's own listener reports errors too
    socket.setNoDelay(true);
    return new Preconnected(socket);
  }

  /** The socket for pg's `stream`, once; undefined if it failed meanwhile (pg then connects as usual). */
  take(): net.Socket | undefined {
    const s = this.socket;
    if (this.taken || s.destroyed || (!s.connecting && s.readyState !== "open")) return undefined;
    this.taken = true;
    // pg calls stream.connect(port, host), then waits for "connect": say so at once if it is connected already.
    s.connect = function (this: net.Socket) {
      if (!this.connecting) process.nextTick(() => this.emit("connect"));
      return this;
    };
    return s;
  }

  /** Closes it unless pg took it (the ALTER failed, or the login never came). */
  discard(): void {
    if (!this.taken) this.socket.destroy();
  }
}
