// Business days for bank transfer deadlines: Monday to Friday, counted in one fixed UTC offset (Beijing
// time, +08:00, for CNY transfers). Pure arithmetic on epoch milliseconds, so workflow code can call it
// with workflow time and get the same answer on every replay.
//
// Public holidays, and the weekend days China makes working days in exchange for them, are not modelled:
// around a holiday the deadline falls on a day the banks may be closed, and ops extend it by hand.

const millisecondsPerMinute = 60_000;
const millisecondsPerHour = 60 * millisecondsPerMinute;
const millisecondsPerDay = 24 * millisecondsPerHour;

/** A customer gets at least one business day and at most this many. */
export const maximumDeadlineBusinessDays = 30;
/** Offsets in use on Earth run from -12:00 to +14:00. */
const maximumUtcOffsetMinutes = 14 * 60;
/** The hour of the last business day at which the customer is reminded, in the calendar's offset. */
export const reminderLocalHour = 9;

/** The calendar business days are counted in. */
export interface BusinessCalendar {
  /** Beijing time is +480: days start at 00:00 there, which is 16:00 UTC the day before. */
  utcOffsetMinutes: number;
}

export interface BankTransferSchedule {
  /** 09:00 local time on the last business day: the customer is reminded that the order ends today. */
  remindAtMilliseconds: number;
  /** Midnight at the end of the last business day, local time: the order expires if not in review by then. */
  expiresAtMilliseconds: number;
}

/** Days since 1970-01-01 in the calendar's offset. */
function localDayNumber(epochMilliseconds: number, calendar: BusinessCalendar): number {
  return Math.floor((epochMilliseconds + calendar.utcOffsetMinutes * millisecondsPerMinute) / millisecondsPerDay);
}

/** The first instant of a local day, as epoch milliseconds. */
function startOfLocalDay(dayNumber: number, calendar: BusinessCalendar): number {
  return dayNumber * millisecondsPerDay - calendar.utcOffsetMinutes * millisecondsPerMinute;
}

/** Whether a local day is a Saturday or a Sunday (1970-01-01 was a Thursday). */
export function isWeekendDay(dayNumber: number): boolean {
  const weekday = (((dayNumber + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
}

/**
 * When a bank transfer order created at `createdAtMilliseconds` is reminded and expires: the customer has
 * the whole of the next `businessDays` business days after the day of the order, so an order placed on a
 * Friday evening (or on a Saturday) with 3 business days expires at the end of Wednesday.
 */
export function bankTransferSchedule(
  createdAtMilliseconds: number,
  businessDays: number,
  calendar: BusinessCalendar,
): BankTransferSchedule {
  if (!Number.isInteger(businessDays) || businessDays < 1 || businessDays > maximumDeadlineBusinessDays) {
    throw new RangeError(`business days must be a whole number from 1 to ${maximumDeadlineBusinessDays}, not ${businessDays}`);
  }
  if (!Number.isInteger(calendar.utcOffsetMinutes) || Math.abs(calendar.utcOffsetMinutes) > maximumUtcOffsetMinutes) {
    throw new RangeError(`a UTC offset must be whole minutes within ±14:00, not ${calendar.utcOffsetMinutes}`);
  }
  let lastDay = localDayNumber(createdAtMilliseconds, calendar);
  for (let counted = 0; counted < businessDays; ) {
    lastDay += 1;
    if (!isWeekendDay(lastDay)) counted += 1;
  }
  return {
    remindAtMilliseconds: startOfLocalDay(lastDay, calendar) + reminderLocalHour * millisecondsPerHour,
    expiresAtMilliseconds: startOfLocalDay(lastDay + 1, calendar),
  };
}
