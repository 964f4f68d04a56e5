/**
 * One compiled, immutable policy version: its rules, handlers with their deadlines, caches and
 * quarantines, and what each policy engine prepared. Nothing here compiles or does I/O.
 */
package io.tollgate.rules.snapshot;
