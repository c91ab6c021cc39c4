// Small helpers for benchmarks: median and spread, printed side by side.
export interface Stats { median: number; min: number; max: number; n: number }

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)!, n: s.length };
}

const ms = (v: number) => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`);

export function printTable(title: string, rows: Array<[string, Stats]>): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\n${title}`);
  console.log(`  ${'case'.padEnd(width)}  ${'median'.padStart(9)}  ${'min'.padStart(9)}  ${'max'.padStart(9)}`);
  for (const [name, st] of rows) {
    console.log(`  ${name.padEnd(width)}  ${ms(st.median).padStart(9)}  ${ms(st.min).padStart(9)}  ${ms(st.max).padStart(9)}`);
  }
}
