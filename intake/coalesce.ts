/**
 * Repeats of one incident, sent together. While a delivery to an incident is in flight, later
 * repeats for it wait; when it returns they go as one `alerts` signal (at most `maxBatch`
 * notices each), and so on while more arrive. Each delivery is answered only once the signal
 * that carries it is acknowledged, that is, written to the incident's history: a 202 never
 * comes before what it carries is durable. One signal for many notices is one request and one
 * history event for the server instead of many.
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
    try {
      return await alone();
    } finally {
      this.flush(incidentId, opened);
    }
  }

  private flush(incidentId: string, lane: Waiting[]): void {
    const batch = lane.splice(0, this.maxBatch);
    if (!batch.length) {
      this.lanes.delete(incidentId);
      return;
    }
    this.send(
      incidentId,
      batch.map((w) => w.notice),
    )
      .then(
        () => batch.forEach((w) => w.resolve()),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      // The next batch goes once this one is answered, however it was answered.
      .finally(() => this.flush(incidentId, lane));
  }
}
