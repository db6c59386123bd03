// Types for the helpers the specs import from stats.mjs.
export function median(values: readonly number[]): number;
export function medianInterval(values: readonly number[], confidence: number): { lo: number; hi: number; coverage: number };
export function judgeInterval(lo: number, hi: number, threshold: number, options: { higherIsBetter: boolean; strict?: boolean }): 'PASS' | 'FAIL' | 'TIE';
