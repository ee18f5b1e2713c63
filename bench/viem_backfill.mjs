// The viem baseline of bench/watch_backfill.py: the same events fetched and decoded by viem (getLogs
// with the event's ABI), over the same node, in ranges of at most `span` blocks.
//   node bench/viem_backfill.mjs URL ADDRESS FROM TO SPAN  ->  one JSON line {events, seconds}
import { createPublicClient, http, parseAbiItem } from "viem";

const [url, address, from, to, span] = process.argv.slice(2);
const client = createPublicClient({ transport: http(url, { timeout: 600_000 }) });
const event = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");
const started = performance.now();
let events = 0;
for (let start = BigInt(from); start <= BigInt(to); start += BigInt(span)) {
  const end = start + BigInt(span) - 1n < BigInt(to) ? start + BigInt(span) - 1n : BigInt(to);
  const logs = await client.getLogs({ address, event, fromBlock: start, toBlock: end, strict: true });
  events += logs.length;
}
console.log(JSON.stringify({ events, seconds: (performance.now() - started) / 1000 }));
