package io.tollgate.rules.testing;

/**
 * {@code CaseResult} is the outcome of one test case.
 *
 * @param file the test file, relative to the policy directory
 * @param name the case's name
 * @param passed whether the decision matched the expectation
 * @param expected what was expected, in words
 * @param actual what the policy decided, in words
 * @param matchErrors the rules whose {@code match} failed to evaluate for this case (they matched
 *     if they fail closed, else not); a test that passes only through them deserves a look
 */
public record CaseResult(
    String file,
    String name,
    boolean passed,
    String expected,
    String actual,
    java.util.List<String> matchErrors) {

  public CaseResult {
    matchErrors = java.util.List.copyOf(matchErrors);
  }

  public CaseResult(String file, String name, boolean passed, String expected, String actual) {
    this(file, name, passed, expected, actual, java.util.List.of());
  }
}
