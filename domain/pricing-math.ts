// Exact arithmetic shared by pricing and promo codes.
import { microsPerUnit, minorUnitsPerUnit, type Currency } from './money.ts';

/** A fraction of an amount given in basis points (500 is 5%), rounded down to the micro-unit. */
export function basisPointsOf(micros: bigint, basisPoints: number): bigint {
  return (micros * BigInt(basisPoints)) / 10_000n;
}

/** Basis points as a percent with two decimals, in integers: 1250 → "12.50". */
export function percentFromBasisPoints(basisPoints: number | bigint): string {
  const value = BigInt(basisPoints);
  return `${value / 100n}.${(value % 100n).toString().padStart(2, '0')}`;
}

/** Rounds down to a whole minor unit of the currency. */
export function floorToMinorUnit(micros: bigint, currency: Currency): bigint {
  return micros - (micros % (microsPerUnit / minorUnitsPerUnit[currency]));
}
