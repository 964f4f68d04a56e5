package io.tollgate.rules.testing;

/**
 * {@code CaseResult} is the outcome of one test case.
 *
 * @param file the test file, relative to the policy directory
 * @param name the case's name
 * @param passed whether the decision matched the expectation
 * @param expected what was expected, in words
 * @param actual what the policy decided, in words
 */
public record CaseResult(
    String file, String name, boolean passed, String expected, String actual) {}
