/**
 * Events as text for a bus between processes. Payloads are Prisma rows: JSON alone would turn
 * their Dates into strings (and fail on BigInt), and resolvers expect the row's own types back, so
 * those values travel tagged and are revived on receipt.
 */
export function encodeEvent(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, json: unknown) {
    // `json` is the value after toJSON (a Date is a string by then): look at the original.
    const original = this[key];
    if (original instanceof Date) return { $date: original.getTime() };
    if (typeof original === 'bigint') return { $bigint: original.toString() };
    if (original instanceof Uint8Array) return { $bytes: Buffer.from(original).toString('base64') };
    return json;
  });
}

export function decodeEvent(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const tagged = value as Record<string, unknown>;
    const keys = Object.keys(tagged);
    if (keys.length !== 1) return value;
    if (typeof tagged.$date === 'number') return new Date(tagged.$date);
    if (typeof tagged.$bigint === 'string') return BigInt(tagged.$bigint);
    if (typeof tagged.$bytes === 'string') return new Uint8Array(Buffer.from(tagged.$bytes, 'base64'));
    return value;
  });
}
