// The periodic checkpoint save with its fdatasync off the writer thread (Checkpoint.saveInBackground):
// the values are in the file as soon as it returns (pwrite), a save while one still syncs is
// skipped, `idle` waits for the sync, and a failed sync is reported, not thrown.
import { describe, expect, it } from 'vitest';
import { Checkpoint } from '../../src/commitlog/checkpoint.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-checkpoint-');

describe('Checkpoint.saveInBackground', () => {
  it('writes the values at once, skips a save while one syncs, and idle waits for the sync', async () => {
    const dir = newDir();
    const io = new NodeFileIO();
    const cp = new Checkpoint(io, dir);
    const errors: Error[] = [];
    cp.values.confirmPhyOffset = 4096;
    cp.values.consumeQueueDurableOffset = 2048;
    cp.saveInBackground((e) => errors.push(e));
    expect(new Checkpoint(io, dir).values).toMatchObject({ confirmPhyOffset: 4096, consumeQueueDurableOffset: 2048 }); // before the sync ends
    cp.values.confirmPhyOffset = 8192;
    cp.saveInBackground((e) => errors.push(e)); // the first still syncs: skipped
    expect(new Checkpoint(io, dir).values.confirmPhyOffset).toBe(4096);
    await cp.idle;
    cp.saveInBackground((e) => errors.push(e));
    await cp.idle;
    expect(new Checkpoint(io, dir).values.confirmPhyOffset).toBe(8192);
    expect(errors).toEqual([]);
    cp.close();
  });

  it('reports a failed sync through onError', async () => {
    const dir = newDir();
    const io = new NodeFileIO();
    const failing = Object.assign(Object.create(io) as NodeFileIO, { fdatasyncAsync: () => Promise.reject(new Error('EIO: i/o error, fdatasync')) });
    const cp = new Checkpoint(failing, dir);
    const errors: Error[] = [];
    cp.saveInBackground((e) => errors.push(e));
    await cp.idle;
    expect(errors.map((e) => e.message)).toEqual(['EIO: i/o error, fdatasync']);
    cp.close();
  });
});
