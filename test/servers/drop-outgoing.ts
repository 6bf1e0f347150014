import type { BusTransport } from '../../libs/cache/src/bus/bus-transport';

/**
 * Makes `transport` drop its next `count` payloads instead of sending them, as if they were lost
 * on the way (`publish` still resolves), then send again as before.
 */
export function dropOutgoing(transport: BusTransport, count: number): void {
  const held = transport as { publish: BusTransport['publish'] };
  const send = held.publish;
  let left = count;
  held.publish = (text: string): Promise<void> => {
    if (left > 0) {
      left--;
      if (left === 0) held.publish = send;
      return Promise.resolve();
    }
    return send.call(transport, text);
  };
}
