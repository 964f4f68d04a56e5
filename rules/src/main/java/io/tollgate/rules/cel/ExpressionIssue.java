package io.tollgate.rules.cel;

/**
 * {@code ExpressionIssue} is a problem inside one expression, located within the expression text.
 *
 * @param line 1-based line within the expression
 * @param column 1-based column within the expression, 0 if unknown
 * @param message what is wrong
 */
public record ExpressionIssue(int line, int column, String message) {}
