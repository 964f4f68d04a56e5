package io.tollgate.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.testing.Opa;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rego policies evaluated by a real OPA that the runtime starts and supervises. */
class RegoTest {
  static final String OPA_ENVOY =
      """
      package envoy.authz

      import rego.v1

      default allow := false

      allow if {
        input.attributes.request.http.method == "GET"
        not startswith(input.parsed_path[0], "admin")
      }

      allow if {
        input.attributes.request.http.headers["x-role"] == data.roles.writer
      }
      """;

  @TempDir Path tmp;

  RuntimeOptions options(PolicyDir d) {
    return new RuntimeOptions(
        d.dir,
        null,
        null,
        new RegoEngine.Settings(null, Opa.binary(), Duration.ofSeconds(2)),
        Duration.ofSeconds(2),
        null);
  }

  static io.tollgate.adapter.spi.Attributes get(String method, String path, String... headers) {
    return PolicyDir.request(
        Vocabulary.REQUEST_METHOD,
        method,
        Vocabulary.REQUEST_PATH,
        path,
        Vocabulary.REQUEST_URL_PATH,
        path,
        Vocabulary.REQUEST_HEADERS,
        PolicyDir.headers(headers));
  }

  @Test
  void anOpaEnvoyPolicyDecidesEveryRequestWithItsData() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("authz.rego", OPA_ENVOY)
            .write("roles/data.json", "{\"writer\": \"editor\"}");
    try (PolicyRuntime rt = PolicyRuntime.start(options(d))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      PolicyDecision books = rt.check(get("GET", "/books"));
      assertThat(books.allowed()).as("%s", books).isTrue();
      PolicyDecision admin = rt.check(get("GET", "/admin/x"));
      assertThat(admin.allowed()).isFalse();
      assertThat(admin.httpStatus()).isEqualTo(403);
      assertThat(admin.rule()).isEqualTo("envoy.authz.allow");
      assertThat(rt.check(get("POST", "/books")).allowed()).isFalse();
      assertThat(rt.check(get("POST", "/books", "x-role", "editor")).allowed())
          .as("data.roles.writer")
          .isTrue();
    }
  }

  @Test
  void objectResultsCarryHeadersStatusAndBody() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "authz.rego",
                """
        package envoy.authz

        import rego.v1

        default allow := {"allowed": false, "http_status": 401, "body": "who are you?",
          "headers": {"www-authenticate": "Bearer"}}

        allow := {"allowed": true, "headers": {"x-user": user},
          "request_headers_to_remove": ["authorization"],
          "response_headers_to_add": {"x-checked-by": "opa"}} if {
          user := trim_prefix(input.attributes.request.http.headers.authorization, "Bearer ")
          user != input.attributes.request.http.headers.authorization
        }
        """);
    try (PolicyRuntime rt = PolicyRuntime.start(options(d))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      PolicyDecision denied = rt.check(get("GET", "/"));
      assertThat(denied.allowed()).isFalse();
      assertThat(denied.httpStatus()).isEqualTo(401);
      assertThat(denied.body()).isEqualTo("who are you?");
      assertThat(denied.responseHeaders()).contains(HeaderOp.replace("www-authenticate", "Bearer"));

      PolicyDecision ok = rt.check(get("GET", "/", "authorization", "Bearer alice"));
      assertThat(ok.allowed()).isTrue();
      assertThat(ok.requestHeaders())
          .contains(HeaderOp.replace("x-user", "alice"), HeaderOp.remove("authorization"));
      assertThat(ok.responseHeaders()).contains(HeaderOp.replace("x-checked-by", "opa"));
    }
  }

  @Test
  void regoHandlerScopedByARuleBesideYamlAndDrlDenyWins() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "shop.rego",
                """
            package shop

            import rego.v1

            default allow := false
            allow if input.attributes.request.http.headers["x-customer"] != ""
            """)
            .write(
                "rules.yaml",
                """
            kind: Handler
            name: shop-policy
            adapter: rego
            params: {query: shop.allow}
            timeout: 2s
            ---
            kind: Handler
            name: blocked
            adapter: fixed
            params: {allow: false, message: mallory is blocked}
            ---
            kind: Rule
            name: shop-needs-customer
            match: request.url_path.startsWith("/shop")
            actions:
            - handler: shop-policy
            ---
            kind: Rule
            name: no-mallory
            match: '"x-customer" in request.headers && request.headers["x-customer"] == "mallory"'
            actions:
            - handler: blocked
            """)
            .write(
                "night.drl",
                """
            package shop.night
            import io.tollgate.rules.drools.Request
            import io.tollgate.rules.drools.Decision
            rule "no refunds"
            when
                Request(urlPath == "/shop/refund")
                $d : Decision()
            then
                $d.deny(403, "no refunds");
            end
            """);
    try (PolicyRuntime rt = PolicyRuntime.start(options(d))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      assertThat(rt.check(get("GET", "/shop/cart")).rule()).isEqualTo("shop-needs-customer");
      assertThat(rt.check(get("GET", "/shop/cart", "x-customer", "bob")).allowed()).isTrue();
      assertThat(rt.check(get("GET", "/other")).allowed()).as("rego scoped to /shop").isTrue();
      assertThat(rt.check(get("GET", "/shop/cart", "x-customer", "mallory")).rule())
          .isEqualTo("no-mallory");
      assertThat(rt.check(get("GET", "/shop/refund", "x-customer", "bob")).message())
          .contains("no refunds");
    }
  }

  @Test
  void regoErrorsFailTheReloadWithLocationsAndTheOldVersionServes() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("authz.rego", OPA_ENVOY)
            .write("roles/data.json", "{\"writer\": \"editor\"}");
    try (PolicyRuntime rt = PolicyRuntime.start(options(d))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      d.write(
          "authz.rego",
          OPA_ENVOY.replace("not startswith(input.parsed_path[0], \"admin\")", "input.x == "));
      ReloadResult syntax = rt.reload();
      assertThat(syntax.swapped()).isFalse();
      assertThat(syntax.errors())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.file()).isEqualTo("authz.rego");
                assertThat(e.line()).isEqualTo(10);
                assertThat(e.message()).startsWith("Rego parse error:");
              });
      assertThat(rt.check(get("GET", "/books")).allowed()).isTrue();

      d.write("authz.rego", OPA_ENVOY.replace("not startswith(", "not starts_with("));
      ReloadResult undefined = rt.reload();
      assertThat(undefined.errors())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.toString())
                    .isEqualTo("authz.rego:9:3: Rego type error: undefined function starts_with");
              });
      assertThat(rt.check(get("GET", "/admin")).allowed()).isFalse();
      assertThat(rt.check(get("GET", "/books")).allowed()).isTrue();

      d.write("authz.rego", OPA_ENVOY.replace("\"GET\"", "\"HEAD\""));
      assertThat(rt.reload().swapped()).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      assertThat(rt.check(get("GET", "/books")).allowed()).isFalse();
      assertThat(rt.check(get("HEAD", "/books")).allowed()).isTrue();
    }
  }

  @Test
  void cacheHitsOnlyForEqualKeysAndExpires() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "count.rego",
                """
            package counting

            import rego.v1

            allow := {"allowed": true, "headers": {"x-path": input.attributes.request.http.path}}
            """)
            .write(
                "rules.yaml",
                """
            kind: Handler
            name: counted
            adapter: rego
            params: {query: counting.allow}
            timeout: 2s
            cache: {attributes: [request.path], ttl: 300ms, maxEntries: 100}
            ---
            kind: Rule
            name: all
            actions:
            - handler: counted
            """);
    try (PolicyRuntime rt = PolicyRuntime.start(options(d))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      assertThat(rt.check(get("GET", "/a")).requestHeaders())
          .containsExactly(HeaderOp.replace("x-path", "/a"));
      assertThat(rt.check(get("GET", "/a")).requestHeaders())
          .containsExactly(HeaderOp.replace("x-path", "/a"));
      assertThat(rt.counters().cacheHits()).containsEntry("counted", 1L);
      // A different key never sees another key's entry.
      for (int i = 0; i < 50; i++) {
        String p = "/p" + i;
        assertThat(rt.check(get("GET", p)).requestHeaders())
            .containsExactly(HeaderOp.replace("x-path", p));
        assertThat(rt.check(get("GET", p)).requestHeaders())
            .containsExactly(HeaderOp.replace("x-path", p));
      }
      assertThat(rt.counters().cacheHits()).containsEntry("counted", 51L);
      assertThat(rt.counters().cacheMisses()).containsEntry("counted", 51L);
      // Within the 300 ms ttl "/a" is a hit; once it has expired, asking again misses.
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                rt.check(get("GET", "/a"));
                return rt.counters().cacheMisses().get("counted") == 52L;
              });
      assertThat(rt.counters().cacheMisses())
          .as("expired after the ttl")
          .containsEntry("counted", 52L);
    }
  }

  @Test
  void cacheOnAHandlerThatIsNotCacheableIsAnError() {
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "rules.yaml",
                """
        kind: Handler
        name: d
        adapter: fixed
        cache: {attributes: [request.path]}
        ---
        kind: Rule
        name: r
        actions: [{handler: d}]
        """);
    assertThat(PolicyRuntime.validate(d.options()))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.toString())
                    .isEqualTo(
                        "rules.yaml:4:1: handler 'd' (adapter fixed) does not declare its results cacheable; remove 'cache'"));
  }

  @Test
  void withoutOpaARegoPolicySaysWhatToInstall() {
    PolicyDir d = new PolicyDir(tmp).write("authz.rego", OPA_ENVOY);
    RuntimeOptions o =
        new RuntimeOptions(
            d.dir,
            null,
            null,
            new RegoEngine.Settings(null, tmp.resolve("no-such-opa"), Duration.ofSeconds(1)),
            null,
            null);
    assertThat(PolicyRuntime.validate(o))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.message())
                    .contains("go install github.com/open-policy-agent/opa@v1.22.2")
                    .contains("--opa-url"));
  }

  @Test
  void unknownQueryPackageIsAnError() {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("authz.rego", OPA_ENVOY)
            .write("roles/data.json", "{}")
            .write(
                "r.yaml",
                """
        kind: Handler
        name: h
        adapter: rego
        params: {query: envoy.authx.allow}
        ---
        kind: Rule
        name: r
        actions: [{handler: h}]
        """);
    List<ConfigError> errors = PolicyRuntime.validate(options(d));
    assertThat(errors)
        .first()
        .satisfies(
            e ->
                assertThat(e.toString())
                    .isEqualTo(
                        "r.yaml:4:17: no Rego module declares the package of 'envoy.authx.allow'; packages: [envoy.authz]"));
  }

  @Test
  void parsedPathIsTheNormalizedPathAndHttpPathThePathAsSent() {
    Map<String, Object> in =
        io.tollgate.rules.rego.RegoInput.of(
            PolicyDir.request(
                Vocabulary.REQUEST_PATH,
                "//%61dmin/./x?q=1",
                Vocabulary.REQUEST_URL_PATH,
                "/admin/x"));
    assertThat(in.get("parsed_path")).isEqualTo(List.of("admin", "x"));
    assertThat(in.get("parsed_query")).isEqualTo(Map.of("q", List.of("1")));
    @SuppressWarnings("unchecked")
    Map<String, Object> request =
        (Map<String, Object>) ((Map<String, Object>) in.get("attributes")).get("request");
    assertThat(((Map<?, ?>) request.get("http")).get("path")).isEqualTo("//%61dmin/./x?q=1");
  }

  @Test
  void inputHasOpaEnvoysShape() {
    Map<String, Object> in =
        io.tollgate.rules.rego.RegoInput.of(
            PolicyDir.request(
                Vocabulary.REQUEST_METHOD,
                "POST",
                Vocabulary.REQUEST_PATH,
                "/a%20b/c?x=1&x=2&y",
                Vocabulary.SOURCE_IP,
                "10.0.0.1",
                Vocabulary.SOURCE_PORT,
                1234L,
                Vocabulary.REQUEST_HEADERS,
                PolicyDir.headers("Content-Type", "application/json"),
                Vocabulary.REQUEST_BODY,
                "{\"n\":1}"));
    assertThat(in.get("parsed_path")).isEqualTo(List.of("a b", "c"));
    assertThat(in.get("parsed_query")).isEqualTo(Map.of("x", List.of("1", "2"), "y", List.of("")));
    assertThat(in.get("parsed_body")).isEqualTo(Map.of("n", 1));
    @SuppressWarnings("unchecked")
    Map<String, Object> attrs = (Map<String, Object>) in.get("attributes");
    assertThat(attrs.get("source"))
        .isEqualTo(
            Map.of(
                "address",
                Map.of("socketAddress", Map.of("address", "10.0.0.1", "portValue", 1234L))));
  }
}
