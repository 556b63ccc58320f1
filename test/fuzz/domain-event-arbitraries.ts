import fc from 'fast-check';

/**
 * Records a control plane could put on the domain-events topic by mistake, as fast-check
 * arbitraries. `unusable` ones must each be dead-lettered; `odd` ones are valid CloudEvents
 * with extreme content, which may be delivered or dead-lettered but must never stall anything.
 */
export interface FuzzRecord {
  kind: string;
  /** True when the record must end on the DLQ. */
  unusable: boolean;
  value: Buffer | null;
  headers?: Record<string, Buffer | string>;
}

const NODE_FIELDS = ['nodeID', 'deviceName', 'managedBy', 'actor'] as const;
const ENVELOPE_STRINGS = ['specversion', 'id', 'source', 'type', 'time', 'tailnet'] as const;

/** A valid structured-mode nodeCreated for `tailnet`, with `id`. */
export function validEvent(tailnet: string, id: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  return { specversion: '1.0', id, source: '//control.fuzz', type: 'nodeCreated', time: new Date().toISOString(), tailnet, data: { nodeID: 'n1', deviceName: 'laptop', managedBy: 'ops@fuzz', actor: 'ops@fuzz', ...data } };
}

const notAString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }));
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export function fuzzRecords(tailnet: string): fc.Arbitrary<FuzzRecord> {
  const id = fc.uuid();
  return fc.oneof(
    // Not JSON at all (a stray byte or two can make valid JSON, which is still no CloudEvent).
    fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((bytes) => ({ kind: 'random bytes', unusable: true, value: Buffer.from(bytes) })),
    fc.constant({ kind: 'empty value', unusable: true, value: null }),
    // Any JSON that is not an envelope.
    fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: 'random JSON', unusable: true, value: json(v) })),
    // An envelope attribute of the wrong type, or missing.
    fc.tuple(id, fc.constantFrom(...ENVELOPE_STRINGS), fc.option(notAString, { nil: undefined })).map(([eventId, attribute, wrong]) => {
      const event = validEvent(tailnet, eventId);
      if (wrong === undefined) delete event[attribute];
      else event[attribute] = wrong;
      return { kind: `envelope ${attribute} ${wrong === undefined ? 'missing' : 'mistyped'}`, unusable: true, value: json(event) };
    }),
    // `data` of the wrong type, or a field of it.
    fc.tuple(id, fc.constantFrom(...NODE_FIELDS), notAString).map(([eventId, field, wrong]) => ({ kind: `data.${field} mistyped`, unusable: true, value: json(validEvent(tailnet, eventId, { [field]: wrong })) })),
    fc.tuple(id, fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()))).map(([eventId, data]) => ({ kind: 'data not an object', unusable: true, value: json({ ...validEvent(tailnet, eventId), data }) })),
    // An unknown type, and a time that is no time.
    fc.tuple(id, fc.string({ minLength: 1, maxLength: 40 })).map(([eventId, type]) => ({ kind: 'unknown type', unusable: true, value: json({ ...validEvent(tailnet, eventId), type: `x-${type}` }) })),
    fc.tuple(id, fc.string({ maxLength: 30 })).map(([eventId, time]) => ({ kind: 'bad time', unusable: true, value: json({ ...validEvent(tailnet, eventId), time: `t${time}` }) })),
    // JSON nested deeper than any call stack.
    fc.integer({ min: 5_000, max: 200_000 }).map((depth) => ({ kind: 'deep JSON', unusable: true, value: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`) })),
    fc.tuple(id, fc.integer({ min: 5_000, max: 100_000 })).map(([eventId, depth]) => ({
      kind: 'deep JSON in data',
      unusable: false,
      value: Buffer.from(JSON.stringify(validEvent(tailnet, eventId)).replace('"data":{', `"data":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`)),
    })),
    // Binary mode (ce_* headers) with headers of any bytes.
    fc.tuple(fc.subarray([...ENVELOPE_STRINGS.filter((a) => a !== 'specversion')]), fc.uint8Array({ maxLength: 64 }), fc.jsonValue({ maxDepth: 2 })).map(([present, bytes, data]) => ({
      kind: 'binary mode, mangled headers',
      unusable: true,
      value: json(data),
      headers: { ce_specversion: '1.0', ...Object.fromEntries(present.map((a) => [`ce_${a}`, Buffer.from(bytes)])) },
    })),
    // Valid events with extreme content: huge fields, control characters and NULs in ids and names.
    fc.tuple(id, fc.integer({ min: 100_000, max: 900_000 })).map(([eventId, size]) => ({ kind: 'huge deviceName', unusable: false, value: json(validEvent(tailnet, eventId, { deviceName: 'x'.repeat(size) })) })),
    fc.tuple(id, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })).map(([eventId, prefix, name]) => ({
      kind: 'control characters',
      unusable: false,
      value: json(validEvent(tailnet, `${prefix}\u0000${eventId}`, { deviceName: `${name}\u0000\u202e` })),
    })),
  );
}
