// What the span and the log-record processors share: both hand their items to a BatchQueue and
// answer flush, shutdown and the exit's hand-over from it. Subclasses add onEnd / onEmit.

import type { BatchQueue, TakenBatch } from './batch-queue';

export abstract class QueueProcessor<T> {
  protected constructor(protected readonly queue: BatchQueue<T>) {}

  forceFlush(): Promise<void> {
    return this.queue.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }

  takePendingSync(): TakenBatch[] {
    return this.queue.takePendingSync();
  }
}
