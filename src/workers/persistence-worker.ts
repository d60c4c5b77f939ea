// Worker-thread entry of the CommitLog persistence service (commit + flush). Thin: it attaches
// the shared control block, receives segment announcements on its port, and runs the service
// step by step, sleeping on the `wakeups` counter in between. Exits after a final drain once
// `stop` is set. Its time is systemClock.monotonicMs(), the reading the in-thread runner gets from
// the store's clock (a worker cannot be handed a Clock object).
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { PERSISTENCE_POSITIONS, type PersistenceEvent, type PersistenceSettings, type SegmentAnnouncement } from '../flush/persistence-layout.js';
import { defaultMemoryAccess, PersistenceService } from '../flush/persistence-service.js';
import { selectFileIO } from '../io/select-io.js';
import { systemClock } from '../util/clock.js';
import { ControlBlock } from '../util/control-block.js';

const { blockBuffer, settings, port } = workerData as {
  blockBuffer: SharedArrayBuffer;
  settings: PersistenceSettings;
  port: MessagePort;
};

const block = ControlBlock.attach(blockBuffer, PERSISTENCE_POSITIONS);
const io = selectFileIO(settings.ioBackend);
const service: PersistenceService = new PersistenceService(
  io,
  block,
  settings,
  (event: PersistenceEvent) => port.postMessage(event),
  defaultMemoryAccess,
  receiveAnnouncements,
);

port.postMessage({ type: 'ready' } satisfies PersistenceEvent);

function receiveAnnouncements(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    service.addSegment(m.message as SegmentAnnouncement);
  }
}

for (;;) {
  receiveAnnouncements();
  if (block.load('stop') !== 0) break;
  const seen = block.load('wakeups');
  block.store('wakeupsSeen', seen); // from here on a wake() bumps again (see persistence-layout.ts)
  const waitMs = service.step(systemClock.monotonicMs());
  if (waitMs > 0) block.waitChange('wakeups', seen, waitMs);
}
receiveAnnouncements();
service.drain();
service.close();
port.postMessage({ type: 'stopped' } satisfies PersistenceEvent);
port.close();
