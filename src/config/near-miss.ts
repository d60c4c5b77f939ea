// Near-miss suggestions for unknown config keys: candidates within a small edit distance
// (insert, delete, substitute, swap two neighbours), comparing case-insensitively.

/** Optimal-string-alignment distance (Levenshtein plus adjacent transposition), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // rows[i][j] = distance between s[0, i) and t[0, j); three rows are enough for OSA.
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, prev2[j - 2]! + 1);
      row.push(best);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[t.length]!;
}

/** Candidates within `maxDistance` of `key`, nearest first (ties in candidate order), at most `limit`. */
export function nearMisses(key: string, candidates: Iterable<string>, maxDistance = 2, limit = 3): string[] {
  const scored: { name: string; distance: number; order: number }[] = [];
  let order = 0;
  for (const name of candidates) {
    const distance = editDistance(key, name);
    if (distance <= maxDistance && name !== key) scored.push({ name, distance, order: order++ });
  }
  scored.sort((x, y) => x.distance - y.distance || x.order - y.order);
  return scored.slice(0, limit).map((s) => s.name);
}
