import superjson, { type SuperJSONResult } from 'superjson';

/**
 * superjson for the client's links, decoding every response in place. tRPC hands the transformer
 * a tree it has just made with `JSON.parse` and keeps no other reference to it, so the copy
 * superjson makes by default (to leave the caller's input untouched) only costs: on a socket
 * that receives a pushed `results` event per write, copying each event was a sixth of a viewer's
 * CPU (apps/server/bench/viewers.bench.ts). Encoding is superjson's own.
 *
 * @example wsLink({ client: wsClient, transformer: receivedTransformer })
 */
export const receivedTransformer = {
  serialize: (value: unknown): SuperJSONResult => superjson.serialize(value),
  deserialize: <T = unknown>(payload: SuperJSONResult): T =>
    superjson.deserialize<T>(payload, { inPlace: true }),
};
