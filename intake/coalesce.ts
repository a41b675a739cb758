/**
 * Repeats of one incident, sent together. The first repeat of a quiet incident goes at once;
 * while it is in flight, and until `minGapMs` after it went, later repeats for that incident
 * wait, then go as one `alerts` signal (at most `maxBatch` notices each), and so on while more
 * arrive. Each delivery is answered only once the signal that carries it is acknowledged by the
 * server, which holds it durably from then on: a 202 never comes before what it carries is
 * durable. One signal for many notices is one request, one history event and one workflow task
 * instead of many; the gap bounds what a storm of repeats costs the server (at most one signal
 * per incident per gap, each worth about one Temporal signal: 3-7 ms of the dev server's CPU
 * here, bench:intake's floor) whatever the storm's rate, which leaves room for the first tasks of new incidents.
 */
import type { AlertNotice } from '../contract';

interface Waiting {
  notice: AlertNotice;
  resolve(): void;
  reject(err: unknown): void;
}

/** Send these notices to this incident in one signal; reject as the signal does. */
export type SendBatch = (incidentId: string, notices: AlertNotice[]) => Promise<void>;

export class RepeatCoalescer {
  /** Incidents with a delivery in flight, and the notices waiting behind it. */
  private readonly lanes = new Map<string, Waiting[]>();

  constructor(
    private readonly send: SendBatch,
    private readonly maxBatch = 100,
    /** Least time between two signals to one incident, in ms (0: the next goes when the last returns). */
    private readonly minGapMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Deliver a repeat for `incidentId`. With nothing in flight for it, `alone` delivers it (and
   * its result is returned); otherwise it waits for the next batch and `undefined` is returned
   * once that batch is in the incident's history.
   */
  async repeat<T>(incidentId: string, notice: AlertNotice, alone: () => Promise<T>): Promise<T | undefined> {
    const lane = this.lanes.get(incidentId);
    if (lane) {
      await new Promise<void>((resolve, reject) => lane.push({ notice, resolve, reject }));
      return undefined;
    }
    const opened: Waiting[] = [];
    this.lanes.set(incidentId, opened);
    const sentAt = this.now();
    try {
      return await alone();
    } finally {
      this.next(incidentId, opened, sentAt);
    }
  }

  /** The next batch goes once the last is answered, however it was answered, and the gap is over. */
  private next(incidentId: string, lane: Waiting[], lastSentAt: number): void {
    const wait = lastSentAt + this.minGapMs - this.now();
    if (wait > 0) setTimeout(() => this.flush(incidentId, lane), wait);
    else this.flush(incidentId, lane);
  }

  private flush(incidentId: string, lane: Waiting[]): void {
    const batch = lane.splice(0, this.maxBatch);
    if (!batch.length) {
      this.lanes.delete(incidentId);
      return;
    }
    const sentAt = this.now();
    this.send(
      incidentId,
      batch.map((w) => w.notice),
    )
      .then(
        () => batch.forEach((w) => w.resolve()),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => this.next(incidentId, lane, sentAt));
  }
}
