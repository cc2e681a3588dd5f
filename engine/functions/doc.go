// Package functions evaluates Velostream's scalar SQL over runtime values:
// operators (Arith, Negate, Compare, Equal, Truthy, CompileLike), casts
// (Cast, CastType), EXTRACT, and the scalar functions found by Lookup. It
// takes types.Value arguments and static types.Type descriptions, and gives
// values, static result types and errors a user can act on. The expression
// evaluator (engine/expr) and the binder share these rules, so the same
// query means the same thing at bind time and at run time.
//
// The rules below are the user-facing semantics; the dialect reference
// quotes them.
//
// # NULL
//
// An operator with a NULL operand yields NULL, and so do functions with a
// NULL argument, except: COALESCE and IFNULL (the first non-NULL value),
// NULLIF (NULL when equal), CONCAT (skips NULLs, like PostgreSQL; the ||
// operator with a NULL side is NULL), GREATEST and LEAST (ignore NULLs; NULL
// only when all are). Compare and Equal report NULL with ok=false; Truthy
// reports it as null, which a WHERE or HAVING treats as false.
//
// # Numbers
//
// Three numeric kinds: BIGINT (int64), DECIMAL (exact: an int64 mantissa
// and a scale of 0..18 digits, from engine/decimal) and DOUBLE (float64).
//
//   - BIGINT op BIGINT is BIGINT. Overflow is detected, never wrapped: the
//     exact result is returned as a DECIMAL instead (9223372036854775807 + 1
//     is 9223372036854775808), and later operations treat it as one.
//   - BIGINT or DECIMAL mixed with DECIMAL is an exact DECIMAL: + and - at
//     scale max(as, bs); * at as+bs, rounded half away from zero to 18 past
//     that. A mantissa that outgrows int64 is promoted to an arbitrary-size
//     decimal (decimal.Big, stored as its digits); past 1000 digits the
//     operation fails with "decimal overflow in <op>".
//   - Anything with DOUBLE is DOUBLE. A finite operation that overflows to
//     infinity is an error ("DOUBLE overflow in *"), not Infinity.
//   - BIGINT / BIGINT truncates toward zero, like PostgreSQL and Flink:
//     7 / 2 is 3, -7 / 2 is -3. Write 7 / 2.0 or CAST for a fraction.
//   - With a DECIMAL operand, / gives an exact DECIMAL at scale
//     max(as, bs, 6), capped at 18, rounded half away from zero: 1 / 3.0 is
//     0.333333, 2.00 / 3 is 0.666667.
//   - % (and MOD) is the remainder of truncated division: it has the sign
//     of the dividend (-7 % 3 is -1); for decimals at scale max(as, bs).
//   - Division or remainder by zero is an error, "division by zero", for
//     every kind (DOUBLE included), never NULL or infinity.
//   - Rounding anywhere (ROUND, casts to DECIMAL(p,s) and BIGINT, interval
//     scaling) is half away from zero: 2.5 -> 3, -2.5 -> -3.
//
// # Comparison
//
// BIGINT and DECIMAL compare exactly, whatever their scales and sizes:
// 623 = 623.00 is true, and 9223372036854775807 < 9223372036854775808 (a
// promoted value). A DOUBLE compares with an exact number through that
// number's nearest DOUBLE (correctly rounded), as in PostgreSQL, Flink and
// Spark: a DOUBLE read from "623.41" equals the literal 623.41, which a
// comparison of the binary value (623.40999999999996816...) would deny. NaN
// equals NaN and sorts above every number (PostgreSQL). Strings compare by
// bytes, which is Unicode code point order for UTF-8. Timestamps and
// intervals by time; FALSE < TRUE. A string compared with a timestamp is
// read as ISO 8601 (an error if it is not one). Other pairs are errors:
// "cannot compare STRING with BIGINT".
//
// # Time
//
// TIMESTAMP is milliseconds since 1970-01-01 UTC; there are no time zones
// and no daylight-saving gaps. INTERVAL is a number of milliseconds.
// TIMESTAMP ± INTERVAL is a TIMESTAMP, TIMESTAMP - TIMESTAMP an INTERVAL,
// INTERVAL ± INTERVAL an INTERVAL, and INTERVAL * or / a number an INTERVAL
// (rounded to the millisecond). Results beyond int64 milliseconds are
// errors ("timestamp out of range").
//
// Timestamp text is ISO 8601 / RFC 3339: '2024-02-29', '2024-02-29 13:05',
// '2024-02-29T13:05:09.123Z', with an optional offset (Z, +02:00, +0200,
// +02; none means UTC). Digits past milliseconds are truncated. CAST to
// STRING prints '2024-02-29T13:05:09.123Z'. Intervals print as
// '1 day 02:03:04.005' and read that or Go-style '1h30m', '250ms'.
//
// TO_TIMESTAMP and DATE_FORMAT also take Java-style patterns (yyyy MM dd
// HH mm ss SSS, MMM, EEE, a, h, D, X, Z, 'literal'); see dtPattern.
//
// # Casts
//
// CAST between every sensible pair: text <-> any kind; numbers among
// themselves (exact decimal parsing of text, including exponents; DOUBLE
// to DECIMAL through the shortest text that reads back, so 0.1e0 becomes
// 0.1); DECIMAL(p,s) rounds to s digits and fails when more than p digits
// remain; DOUBLE/DECIMAL to BIGINT rounds; a number to TIMESTAMP or
// INTERVAL is milliseconds, and back; BOOLEAN <-> BIGINT (0/1) and text
// ('true', 't', 'yes', 'on', '1' and opposites). A failing cast is an error
// naming the value and the type: "cannot cast 'abc' to DECIMAL(12,4)".
//
// # Strings
//
// Positions and lengths count characters (Unicode code points), not bytes:
// LENGTH('héllo') is 5. SUBSTRING follows SQL: positions below 1 are
// clipped but still count, so SUBSTRING('hello', 0, 3) is 'he'. LIKE's _
// matches one character.
//
// TRIM, LTRIM and RTRIM remove spaces only (not tabs or newlines), or the
// characters given as the second argument. LPAD and RPAD cut a longer
// string to the length, as PostgreSQL does. SPLIT_PART counts fields from
// 1; a negative field counts from the end; 0 is an error. POSITION(sub, s)
// and STRPOS(s, sub) return 0 when absent.
//
// # Functions with a rule worth knowing
//
//   - ROUND(x[, d]) keeps the kind of x. DECIMAL rounds exactly to d
//     digits (the scale becomes d when d is smaller than x's scale); DOUBLE
//     rounds the shortest decimal text of x, so ROUND(2.675e0, 2) is 2.68
//     like the decimal 2.675, though the binary double is slightly below.
//   - FLOOR and CEIL keep the kind (a DECIMAL result has scale 0).
//   - POWER(x, y) is exact for a BIGINT or DECIMAL x and a whole y in
//     0..64 when the result fits (a BIGINT; a DECIMAL with at most 18 digits
//     after the point); its static type is then x's type. Otherwise it is
//     a DOUBLE, the static type too, except that the exact case falls back
//     to DOUBLE at run time when the result does not fit.
//   - SQRT, LN, LOG10 and EXP are DOUBLE; the square root or logarithm of
//     a value out of their domain is an error, not NaN.
//   - GREATEST, LEAST, COALESCE and IFNULL return the common type of their
//     arguments (BIGINT with DECIMAL is DECIMAL, anything with DOUBLE is
//     DOUBLE, STRING with TIMESTAMP is TIMESTAMP) and convert the chosen
//     value to it.
//   - EXTRACT: DOW is 0 (Sunday) to 6; WEEK is the ISO 8601 week; SECOND is
//     whole seconds and MILLISECOND the milliseconds within the second
//     (0-999); EPOCH is an exact DECIMAL of seconds with 3 digits.
//   - DATE_TRUNC weeks start on Monday. UNIX_TIMESTAMP rounds down (so
//     -0.5 s is -1). FROM_UNIXTIME keeps fractions to the millisecond.
//   - NOW(), CURRENT_TIMESTAMP and UNIX_TIMESTAMP() read Env.NowMillis, the
//     processing-time clock; Func.Volatile tells the planner not to fold
//     them.
//   - REGEXP_LIKE, REGEXP_EXTRACT and REGEXP_REPLACE take RE2 syntax.
//     PostgreSQL's REGEXP_MATCHES is not provided: it returns a set of
//     arrays, and the dialect has no array type.
//
// Functions that build strings are bounded (LPAD/RPAD to 2^20 characters,
// REPLACE/REGEXP_REPLACE to 16 MiB) so one record cannot exhaust memory;
// regular expressions are RE2 (linear time, no backreferences).
package functions
