/**
 * Connection and in-flight request bookkeeping for a graceful close. Node 16's server.close()
 * waits for idle keep-alive connections and has no closeIdleConnections(), so the server has to
 * know itself which sockets are busy.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** After aborting signals at the shutdown deadline, handlers get this long to answer. */
const ABORT_GRACE_MS = 1_000;

export class ConnectionTracker {
  private readonly server: Server;
  /** Requests in progress per socket; 0 means idle keep-alive. */
  private readonly sockets = new Map<Socket, { active: number }>();
  private readonly inFlight = new Set<AbortController>();
  private closed: Promise<void> | undefined;
  closing = false;

  constructor(server: Server) {
    this.server = server;
    server.on('connection', (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.sockets.set(socket, { active: 0 });
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /**
   * Registers a request. Its signal aborts when the client goes away before the response is
   * complete, or at the shutdown deadline. `onDone` runs once, when the response is over.
   */
  begin(req: IncomingMessage, res: ServerResponse, onDone: () => void): AbortSignal {
    const socket = req.socket;
    const conn = this.sockets.get(socket);
    if (conn) conn.active++;
    const controller = new AbortController();
    this.inFlight.add(controller);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.inFlight.delete(controller);
      if (!res.writableFinished) controller.abort();
      if (conn) {
        conn.active--;
        // The response has been handed to the kernel ('finish'), so ending here loses nothing.
        if (this.closing && conn.active === 0) socket.destroy();
      }
      onDone();
    };
    // Node 16 emits 'close' on a response only when the connection goes; 'finish' covers the rest.
    res.once('finish', finish);
    res.once('close', finish);
    return controller.signal;
  }

  /**
   * Stops accepting, drops idle connections, lets busy ones finish; at the deadline aborts the
   * remaining signals, and ABORT_GRACE_MS later drops whatever is still open.
   */
  shutdown(timeoutMs: number): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    let abortTimer: NodeJS.Timeout | undefined;
    let dropTimer: NodeJS.Timeout | undefined;
    this.closed = new Promise<void>((resolve) => {
      // The callback also runs (with ERR_SERVER_NOT_RUNNING) when the server never listened.
      this.server.close(() => resolve());
      for (const [socket, c] of this.sockets) if (c.active === 0) socket.destroy();
      abortTimer = setTimeout(() => {
        for (const c of this.inFlight) c.abort();
        dropTimer = setTimeout(() => {
          for (const socket of this.sockets.keys()) socket.destroy();
        }, ABORT_GRACE_MS);
      }, timeoutMs);
    }).then(() => {
      clearTimeout(abortTimer);
      clearTimeout(dropTimer);
    });
    return this.closed;
  }
}
