// A bench client process for bench/stream.ts: it holds many stream sockets (Node's WebSocket
// global, as the SDK's live client uses) and answers commands from the bench over IPC. Several of
// these run side by side so that no one event loop has to drive 10,000 sockets.
// Times are wall-clock milliseconds (performance.timeOrigin + now), comparable across processes.

interface Socket {
  ws: WebSocket | undefined;
  lastEventId: string | undefined;
  /** Every event id this socket received, to count repeats. */
  seen: Set<string>;
  /** Entity ids of events received since the last resume. */
  resumed: string[];
  repeats: number;
  /** Live again after the last resume. */
  live: boolean;
}

export type ClientCommand =
  | { command: "open"; url: string; token: string; count: number; concurrency: number }
  | { command: "arrivals"; commentIds: string[] }
  | { command: "drop"; forget?: boolean }
  | { command: "resume"; count: number; concurrency: number }
  | { command: "close" };

export interface OpenReport { opened: number; failed: number; errors: string[] }
export interface ArrivalReport { arrivals: Record<string, number[]> }
export interface ResumeReport { startedAt: number; doneAt: number; resumed: number; failed: number; retries: number; errors: string[]; received: string[][]; repeats: number }

const now = () => performance.timeOrigin + performance.now();
const sockets: Socket[] = [];
// comment id → arrival times of its comment.created (one per socket that received it)
const arrivals = new Map<string, number[]>();
let target = { url: "", token: "" };

function connect(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target.url, ["docket.v1", `docket.bearer.${target.token}`]);
    socket.ws = ws;
    let live = false;
    ws.onmessage = (message) => {
      const at = now();
      const data = JSON.parse(message.data as string) as { type: string; event?: { id: string; type: string; entity: { id: string } }; code?: string; detail?: string };
      if (data.type === "welcome") {
        ws.send(JSON.stringify({ type: "subscribe", id: "feed", topic: { kind: "tenant" }, ...(socket.lastEventId ? { after: socket.lastEventId } : {}) }));
      } else if (data.type === "event" && data.event) {
        const id = data.event.id;
        if (socket.seen.has(id)) socket.repeats += 1;
        socket.seen.add(id);
        socket.lastEventId = id;
        socket.resumed.push(data.event.entity.id);
        if (data.event.type === "comment.created") {
          let list = arrivals.get(data.event.entity.id);
          if (!list) arrivals.set(data.event.entity.id, (list = []));
          list.push(at);
        }
      } else if (data.type === "subscribed") {
        live = true;
        socket.live = true;
        resolve();
      } else if (data.type === "error") {
        reject(new Error(`${data.code}: ${data.detail}`));
      }
    };
    ws.onclose = (closed) => {
      if (!live) reject(new Error(`closed ${closed.code} ${closed.reason}`));
    };
    ws.onerror = () => {
      if (!live) reject(new Error("socket error before subscribed"));
    };
  });
}

/** Runs `work` over items with at most `concurrency` at a time; collects failures. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<{ failed: number; errors: string[] }> {
  let next = 0;
  let failed = 0;
  const errors = new Set<string>();
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed += 1;
        errors.add((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { failed, errors: [...errors].slice(0, 5) };
}

async function handle(message: ClientCommand): Promise<unknown> {
  switch (message.command) {
    case "open": {
      target = { url: message.url, token: message.token };
      const fresh = Array.from({ length: message.count }, (): Socket => ({ ws: undefined, lastEventId: undefined, seen: new Set(), resumed: [], repeats: 0, live: false }));
      sockets.push(...fresh);
      const { failed, errors } = await pool(fresh, message.concurrency, connect);
      return { opened: message.count - failed, failed, errors } satisfies OpenReport;
    }
    case "arrivals":
      return { arrivals: Object.fromEntries(message.commentIds.map((id) => [id, arrivals.get(id) ?? []])) } satisfies ArrivalReport;
    case "drop":
      for (const socket of sockets) socket.ws?.close();
      if (message.forget) sockets.length = 0;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return {};
    case "resume": {
      // As the SDK's live client does: a failed attempt is retried after a random delay up to a
      // cap that doubles from 500 ms (full jitter), for at most a minute.
      let retries = 0;
      const failures = new Set<string>();
      const resume = async (socket: Socket) => {
        const giveUpAt = Date.now() + 60_000;
        for (let attempt = 0; ; attempt++) {
          try {
            return await connect(socket);
          } catch (error) {
            failures.add((error as Error).message);
            if (Date.now() > giveUpAt) throw error;
            retries += 1;
            socket.ws?.close();
            await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(30_000, 500 * 2 ** attempt)));
          }
        }
      };
      const chosen = sockets.slice(0, message.count);
      for (const socket of chosen) {
        socket.resumed = [];
        socket.repeats = 0;
        socket.live = false;
      }
      const startedAt = now();
      const { failed } = await pool(chosen, message.concurrency, resume);
      const doneAt = now();
      return {
        startedAt,
        doneAt,
        resumed: chosen.length - failed,
        failed,
        retries,
        errors: [...failures].slice(0, 5),
        // What each socket that is live again received since it reconnected.
        received: chosen.filter((socket) => socket.live).map((socket) => socket.resumed),
        repeats: chosen.reduce((sum, socket) => sum + socket.repeats, 0),
      } satisfies ResumeReport;
    }
    case "close":
      for (const socket of sockets) socket.ws?.close();
      setTimeout(() => process.exit(0), 200);
      return {};
  }
}

process.on("message", (message: ClientCommand & { seq: number }) => {
  handle(message).then(
    (result) => process.send!({ seq: message.seq, result }),
    (error: unknown) => process.send!({ seq: message.seq, error: (error as Error).stack ?? String(error) }),
  );
});
process.on("disconnect", () => process.exit(0));
