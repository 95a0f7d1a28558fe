// Exact arithmetic shared by pricing and promo codes.
import { microsPerUnit } from './money.ts';

/** Both currencies have 100 minor units; a charge must be a whole number of them. */
const microsPerMinorUnit = microsPerUnit / 100n;

/** True for amounts a card or bank can be charged: whole cents or fen. */
export function isWholeMinorUnits(micros: bigint): boolean {
  return micros % microsPerMinorUnit === 0n;
}

/** A fraction of an amount given in basis points (500 is 5%), rounded down to the micro-unit. */
export function basisPointsOf(micros: bigint, basisPoints: number): bigint {
  return (micros * BigInt(basisPoints)) / 10_000n;
}

/** Rounds down to a whole minor unit. */
export function floorToMinorUnit(micros: bigint): bigint {
  return micros - (micros % microsPerMinorUnit);
}
