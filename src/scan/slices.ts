// Buffer#utf8Slice / #latin1Slice: what toString("utf8" | "latin1", s, e) calls, without its argument
// handling, which costs more than the decode itself on a per-record hot path.
type FastSlices = Buffer & { utf8Slice(s: number, e: number): string; latin1Slice(s: number, e: number): string };

export const utf8Slice = (buf: Buffer, s: number, e: number): string => (buf as FastSlices).utf8Slice(s, e);

/** One char per byte: offsets match, and every ASCII byte (JSON's structure) reads as itself. */
export const latin1Slice = (buf: Buffer, s: number, e: number): string => (buf as FastSlices).latin1Slice(s, e);
