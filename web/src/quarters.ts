// Calendar quarters as the analytics API names them (`2026Q3`, UTC).

/** The last `n` quarters up to the one containing `now`, newest first (UTC). */
export function recentQuarters(now: Date, n: number): string[] {
  const out: string[] = [];
  let idx = now.getUTCFullYear() * 4 + Math.floor(now.getUTCMonth() / 3);
  for (let i = 0; i < n; i++, idx--) out.push(`${Math.floor(idx / 4)}Q${(idx % 4) + 1}`);
  return out;
}
