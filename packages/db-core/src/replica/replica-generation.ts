import { readFileSync } from 'node:fs';
import type { FramePosition } from '../position.ts';

/**
 * Where a libsql-js embedded replica stands, read from its own metadata file
 * `<file>-client_wal_index` (32 bytes: the primary's replication log id, 16 bytes; the last
 * applied frame number, u64 little-endian, all ones before the first frame; 8 more bytes).
 *
 * Why a file: the replication log id is the primary's generation. sqld keeps it across a clean
 * restart (SIGTERM) and starts a new log with a new id, numbering frames again from 1, after a
 * crash (SIGKILL) -- while the rows themselves survive. So neither a generation row stored in
 * the database nor "frame numbers went backwards" detects every crash (a new generation can
 * overtake the old frame count before a replica looks), but the log id does. Measured with
 * sqld 0.24.32 / libsql 0.5.29; `generationFromFrames` is the fallback when the file is absent
 * or has an unexpected shape.
 */
export interface ReplicaMetadata {
  readonly generation: string;
  readonly frame: number;
}

const NO_FRAME = 0xffff_ffff_ffff_ffffn;

export function replicaMetadataPath(file: string): string {
  return `${file}-client_wal_index`;
}

/** Reads the replica's generation and frame; undefined when the replica has not synced yet. */
export function readReplicaMetadata(file: string): ReplicaMetadata | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(replicaMetadataPath(file));
  } catch {
    return undefined;
  }
  if (bytes.length < 24) return undefined;
  const logId = bytes.subarray(0, 16).toString('hex');
  const raw = bytes.readBigUInt64LE(16);
  const frame = raw === NO_FRAME ? 0 : Number(raw);
  return { generation: logId, frame };
}

/**
 * Tracks positions across syncs. Uses the log id when it is known; otherwise treats a frame
 * number going backwards as a new generation (synthesized ids, so positions stay comparable).
 */
export class GenerationTracker {
  #synthetic = 0;
  #current: FramePosition;

  constructor(initial: FramePosition) {
    this.#current = initial;
  }

  get current(): FramePosition {
    return this.#current;
  }

  /** Records a newly observed position; returns whether the generation changed. */
  observe(metadata: ReplicaMetadata | undefined, frameFromSync: number | undefined): boolean {
    const previous = this.#current;
    let next: FramePosition;
    if (metadata !== undefined && !/^0+$/.test(metadata.generation)) {
      next = { generation: metadata.generation, frame: metadata.frame };
    } else {
      const frame = frameFromSync ?? previous.frame;
      const generation =
        frame < previous.frame
          ? `${previous.generation.split('#')[0]}#${++this.#synthetic}`
          : previous.generation;
      next = { generation, frame };
    }
    this.#current = next;
    return previous.generation !== '' && next.generation !== previous.generation;
  }
}
