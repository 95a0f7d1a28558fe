// Exact arithmetic shared by pricing and promo codes.
import { microsPerUnit, minorUnitsPerUnit, type Currency } from './money.ts';

/** A fraction of an amount given in basis points (500 is 5%), rounded down to the micro-unit. */
export function basisPointsOf(micros: bigint, basisPoints: number): bigint {
  return (micros * BigInt(basisPoints)) / 10_000n;
}

/** Rounds down to a whole minor unit of the currency. */
export function floorToMinorUnit(micros: bigint, currency: Currency): bigint {
  return micros - (micros % (microsPerUnit / minorUnitsPerUnit[currency]));
}
