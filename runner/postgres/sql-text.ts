/**
 * Quoting for SQL that pgrotate shows to people (precheck hints, setup SQL, pair-check fixes). Statements the
 * runner itself sends use parameters or the driver's escaping instead.
 */

/** A quoted identifier: `"name"`, embedded quotes doubled. Always quoted, so case and keywords are kept. */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A standard string literal: `'text'`, embedded quotes doubled (standard_conforming_strings is on since 9.1). */
export const quoteLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`;
