/**
 * A JSON document of exactly `bytes` bytes that looks like a webhook: an event, some nested
 * records (so JSON.parse does real work, not just one long string), and padding to the size.
 */
export function makePayload(bytes) {
  const head = '{"event":"customer.alert.created","account_external_id":"cus_123","severity":"high","items":[';
  const record = (i) => `{"id":${i},"name":"item-${i}","tags":["alpha","beta"],"active":true,"score":${(i % 97) / 7}}`;
  const tailOf = (pad) => `],"note":"${"x".repeat(pad)}"}`;
  let items = "";
  for (let i = 0; ; i++) {
    const next = (items ? "," : "") + record(i);
    if (Buffer.byteLength(head + items + next + tailOf(0)) > bytes * 0.8) break;
    items += next;
  }
  const text = head + items + tailOf(bytes - Buffer.byteLength(head + items + tailOf(0)));
  if (Buffer.byteLength(text) !== bytes) throw new Error(`payload is ${Buffer.byteLength(text)} bytes, wanted ${bytes}`);
  JSON.parse(text);
  return text;
}
