import { z } from 'zod';

/**
 * The input envelope a client link uses to send `minFrame` with a query over any link
 * (PROTOCOL.md): `{ $liveframe: { minFrame }, input }`.
 */
export const frameEnvelopeSchema = z
  .object({
    $liveframe: z.object({ minFrame: z.string().max(300).optional() }).strict(),
    input: z.unknown(),
  })
  .strict();

export type FrameEnvelope = z.infer<typeof frameEnvelopeSchema>;

/**
 * Splits a raw input into the procedure's own input and the envelope's `minFrame`.
 *
 * @example unwrapFrameEnvelope({ $liveframe: { minFrame: 'g:4' }, input: { id: 1 } }) // { input: { id: 1 }, minFrame: 'g:4' }
 */
export function unwrapFrameEnvelope(raw: unknown): {
  input: unknown;
  minFrame: string | undefined;
  wrapped: boolean;
} {
  if (typeof raw !== 'object' || raw === null || !('$liveframe' in raw)) {
    return { input: raw, minFrame: undefined, wrapped: false };
  }
  const parsed = frameEnvelopeSchema.safeParse(raw);
  // A malformed envelope goes to the procedure's own validation, which rejects it as bad input.
  if (!parsed.success) return { input: raw, minFrame: undefined, wrapped: false };
  return { input: parsed.data.input, minFrame: parsed.data.$liveframe.minFrame, wrapped: true };
}
