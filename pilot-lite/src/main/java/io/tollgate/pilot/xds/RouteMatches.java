package io.tollgate.pilot.xds;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.tollgate.pilot.model.VirtualService;

/**
 * {@code RouteMatches} turns a VirtualService match into a route match: the URI (exact, prefix or
 * RE2 regex, optionally ignoring case; every path when none), the method as the {@code :method}
 * header, headers and query parameters.
 */
final class RouteMatches {
  private RouteMatches() {}

  static RouteMatch of(VirtualService.Match m) {
    RouteMatch.Builder match = RouteMatch.newBuilder();
    if (m.uri() == null) {
      match.setPrefix("/");
    } else if (m.uri().exact() != null) {
      match.setPath(m.uri().exact());
    } else if (m.uri().prefix() != null) {
      match.setPrefix(m.uri().prefix());
    } else {
      match.setSafeRegex(RegexMatcher.newBuilder().setRegex(m.uri().regex()));
    }
    if (Boolean.TRUE.equals(m.ignoreUriCase())) {
      match.setCaseSensitive(BoolValue.of(false));
    }
    if (m.method() != null) {
      match.addHeaders(
          HeaderMatcher.newBuilder().setName(":method").setStringMatch(string(m.method())));
    }
    if (m.headers() != null) {
      m.headers()
          .forEach(
              (k, v) ->
                  match.addHeaders(
                      HeaderMatcher.newBuilder().setName(k).setStringMatch(string(v))));
    }
    if (m.queryParams() != null) {
      m.queryParams()
          .forEach(
              (k, v) ->
                  match.addQueryParameters(
                      QueryParameterMatcher.newBuilder().setName(k).setStringMatch(string(v))));
    }
    return match.build();
  }

  private static StringMatcher string(VirtualService.StringMatch m) {
    if (m.exact() != null) {
      return StringMatcher.newBuilder().setExact(m.exact()).build();
    }
    if (m.prefix() != null) {
      return StringMatcher.newBuilder().setPrefix(m.prefix()).build();
    }
    return StringMatcher.newBuilder()
        .setSafeRegex(RegexMatcher.newBuilder().setRegex(m.regex()))
        .build();
  }
}
