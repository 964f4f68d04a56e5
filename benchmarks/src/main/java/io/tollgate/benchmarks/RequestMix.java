package io.tollgate.benchmarks;

import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.util.List;

/**
 * {@code RequestMix} is the fixed stream of requests each benchmark policy is checked with: Envoy
 * ext_authz requests as the sidecar sends them (headers a browser or a mesh client sets, SPIFFE
 * principals for mTLS callers), mostly allowed, with denials by YAML rules, list handlers and DRL
 * rules. The same samples drive the JMH benchmark and ghz (see {@link LoadInputs}), and both check
 * the answers before measuring, so a policy change cannot silently change what is measured.
 */
public final class RequestMix {
  /** HTTP status of an allowed request in {@link Sample#expectedStatus}. */
  public static final int ALLOW = 200;

  private static final String SHOP = "spiffe://cluster.local/ns/shop/sa/";
  private static final String BOOKINFO = "spiffe://cluster.local/ns/bookinfo/sa/";
  private static final String BROWSER =
      "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
  private static final String MESH_CLIENT = "grpc-java-netty/1.85.1";

  /**
   * One request and the answer the policy must give.
   *
   * @param name what it is, for messages
   * @param request the Envoy check request
   * @param expectedStatus 200 when it must be allowed, else the status it must be denied with
   */
  public record Sample(String name, CheckRequest request, int expectedStatus) {}

  private RequestMix() {}

  /** The samples for policy {@code name} (one of {@link BenchmarkPolicies#NAMES}). */
  public static List<Sample> forPolicy(String name) {
    return switch (name) {
      case "bookinfo" -> bookinfo();
      case "fifty" -> fifty();
      case "shop-rego", "shop-rego-cached", "shop-cel" -> shop();
      default -> throw new IllegalArgumentException("no request mix for policy '" + name + "'");
    };
  }

  /** For the bundled bookinfo example: 7 allowed, 5 denied. */
  static List<Sample> bookinfo() {
    return List.of(
        new Sample(
            "browse the product page",
            browser("GET", "productpage:9080", "/productpage?u=normal")
                .source("10.1.2.3", 51234)
                .build(),
            ALLOW),
        new Sample(
            "productpage reads reviews",
            mesh("GET", "reviews:9080", "/reviews/0", BOOKINFO + "productpage").build(),
            ALLOW),
        new Sample(
            "reviews reads ratings",
            mesh("GET", "ratings:9080", "/ratings/0", BOOKINFO + "reviews").build(),
            ALLOW),
        new Sample(
            "reviews writes a rating",
            mesh("POST", "ratings:9080", "/ratings/0", BOOKINFO + "reviews")
                .header("content-type", "application/json")
                .build(),
            ALLOW),
        new Sample(
            "productpage reads details",
            mesh("GET", "details:9080", "/details/0", BOOKINFO + "productpage").build(),
            ALLOW),
        new Sample(
            "the admin uses the admin area",
            mesh("GET", "details:9080", "/admin/users", BOOKINFO + "admin").build(),
            ALLOW),
        new Sample(
            "HEAD of the product page",
            browser("HEAD", "productpage:9080", "/productpage").source("10.1.2.4", 51240).build(),
            ALLOW),
        new Sample(
            "POST to the product page",
            browser("POST", "productpage:9080", "/productpage")
                .header("content-type", "application/x-www-form-urlencoded")
                .build(),
            405),
        new Sample(
            "productpage in the admin area",
            mesh("GET", "details:9080", "/admin/users", BOOKINFO + "productpage").build(),
            403),
        new Sample(
            "productpage writes a rating (DRL)",
            mesh("POST", "ratings:9080", "/ratings/0", BOOKINFO + "productpage")
                .header("content-type", "application/json")
                .build(),
            403),
        new Sample(
            "listed source range",
            browser("GET", "productpage:9080", "/productpage").source("203.0.113.9", 40001).build(),
            403),
        new Sample(
            "path traversal (DRL)",
            browser("GET", "details:9080", "/static/../etc/passwd").build(),
            400));
  }

  /** For policies/fifty: 10 allowed, 6 denied. */
  static List<Sample> fifty() {
    return List.of(
        new Sample(
            "anonymous browsing of the storefront",
            browser("GET", "storefront:8080", "/").source("10.20.1.5", 50110).build(),
            ALLOW),
        new Sample(
            "a tenant lists products through the v2 API",
            mesh("GET", "catalog:8080", "/api/v2/products?limit=50&sort=price", SHOP + "storefront")
                .header("x-tenant", "acme")
                .header("authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln")
                .build(),
            ALLOW),
        new Sample(
            "a shopper adds to the cart",
            browser("POST", "cart:8080", "/cart/items")
                .header("content-type", "application/json")
                .header("x-session-id", "s-7f3a9c")
                .header("origin", "https://shop.example.com")
                .build(),
            ALLOW),
        new Sample(
            "the storefront submits a checkout",
            mesh("POST", "checkout:8080", "/checkout/submit", SHOP + "storefront")
                .header("content-type", "application/json")
                .header("x-tenant", "globex")
                .build(),
            ALLOW),
        new Sample(
            "checkout charges a card",
            mesh("POST", "payments:8080", "/charges", SHOP + "checkout")
                .header("content-type", "application/json")
                .header("idempotency-key", "3b0e5c1e-8d1f-4c59-9b7d-1f0c1a2b3c4d")
                .header("x-currency", "EUR")
                .build(),
            ALLOW),
        new Sample(
            "checkout reads an order",
            mesh("GET", "orders:8080", "/orders/1234", SHOP + "checkout").build(),
            ALLOW),
        new Sample(
            "anonymous search",
            browser("GET", "search:8080", "/search?q=running+shoes&page=2").build(),
            ALLOW),
        new Sample(
            "orders reserves stock",
            mesh("PUT", "inventory:8080", "/inventory/sku-1001", SHOP + "orders")
                .header("content-type", "application/json")
                .build(),
            ALLOW),
        new Sample(
            "anonymous reads reviews",
            browser("GET", "reviews:8080", "/reviews/42").build(),
            ALLOW),
        new Sample(
            "the storefront reads the current user",
            mesh("GET", "users:8080", "/users/me", SHOP + "storefront").build(),
            ALLOW),
        new Sample(
            "the storefront may not call payments",
            mesh("POST", "payments:8080", "/charges", SHOP + "storefront")
                .header("content-type", "application/json")
                .header("idempotency-key", "a1")
                .build(),
            403),
        new Sample(
            "a blocked source range",
            browser("GET", "admin:8080", "/admin/users").source("198.51.100.7", 43001).build(),
            403),
        new Sample(
            "an unknown API version",
            mesh("GET", "catalog:8080", "/api/v4/products", SHOP + "storefront")
                .header("x-tenant", "acme")
                .build(),
            404),
        new Sample(
            "path traversal (DRL, every request)",
            browser("GET", "storefront:8080", "/static/../etc/passwd").build(),
            400),
        new Sample(
            "the admin cancels an order (DRL, orders only)",
            mesh("DELETE", "orders:8080", "/orders/77/cancel", SHOP + "admin").build(),
            403),
        new Sample(
            "a scanner's user agent",
            browser("GET", "search:8080", "/search?q=shoes")
                .header("user-agent", "sqlmap/1.7.2#stable")
                .build(),
            403));
  }

  /**
   * For the shop policy (policies/shop-*: the same rules as Rego for OPA-Envoy and as YAML/CEL):
   * the table of the OPA-Envoy integration test, 13 allowed, 11 denied. Every request gets its own
   * {@code x-request-id} (ghz fills in {@code {{.RequestNumber}}}), as Envoy gives it, and 4 of the
   * 24 carry a query parameter that changes from request to request, so a decision cache keyed by
   * method, path, user, principal and address cannot answer them all.
   */
  static List<Sample> shop() {
    String admin = SHOP + "admin";
    return List.of(
        shopRequest("health", "GET", "/health", null, "", "10.1.1.1", ALLOW),
        shopRequest(
            "catalogue", "GET", "/books?n={{.RequestNumber}}", null, "", "203.0.113.9", ALLOW),
        shopRequest("book", "GET", "/books/42", null, "", "203.0.113.9", ALLOW),
        shopRequest("head", "HEAD", "/books", null, "", "203.0.113.9", 403),
        shopRequest("alice writes", "POST", "/books", "alice", "", "203.0.113.9", ALLOW),
        shopRequest("bob writes", "POST", "/books", "bob", "", "203.0.113.9", 403),
        shopRequest("anonymous writes", "POST", "/books", null, "", "203.0.113.9", 403),
        shopRequest("alice deletes", "DELETE", "/books/1", "alice", "", "203.0.113.9", ALLOW),
        shopRequest("carol updates", "PUT", "/books/1", "carol", "", "203.0.113.9", 403),
        shopRequest("admin anonymous", "GET", "/admin", null, "", "10.1.1.1", 403),
        shopRequest("admin", "GET", "/admin", null, admin, "10.1.1.1", ALLOW),
        shopRequest(
            "admin frontend", "GET", "/admin/users", null, SHOP + "frontend", "10.1.1.1", 403),
        shopRequest(
            "debug", "GET", "/books?debug=true&n={{.RequestNumber}}", null, "", "10.1.1.1", 403),
        shopRequest("no debug", "GET", "/books?debug=false", null, "", "10.1.1.1", ALLOW),
        shopRequest("admin debug", "GET", "/books?debug=true", null, admin, "10.1.1.1", ALLOW),
        shopRequest("alice orders", "GET", "/orders", "alice", "", "10.1.1.1", ALLOW),
        shopRequest("anonymous orders", "GET", "/orders", null, "", "10.1.1.1", 403),
        shopRequest(
            "bob orders",
            "GET",
            "/orders?page=2&n={{.RequestNumber}}",
            "bob",
            "",
            "10.1.1.1",
            ALLOW),
        shopRequest("internal order", "POST", "/orders", "bob", "", "10.0.0.5", ALLOW),
        shopRequest("external order", "POST", "/orders", "bob", "", "192.168.1.5", 403),
        shopRequest("mallory order", "POST", "/orders", "mallory", "", "10.0.0.5", 403),
        shopRequest("root", "GET", "/", null, "", "10.1.1.1", 403),
        shopRequest(
            "alice orders again",
            "GET",
            "/orders?page=3&n={{.RequestNumber}}",
            "alice",
            "",
            "10.1.1.1",
            ALLOW),
        shopRequest("health again", "GET", "/health/live", null, "", "10.1.1.1", ALLOW));
  }

  private static Sample shopRequest(
      String name,
      String method,
      String path,
      String user,
      String principal,
      String ip,
      int status) {
    EnvoyCheckRequest r =
        browser(method, "shop:8080", path)
            .principal(principal)
            .source(ip, 50322)
            .header("x-request-id", "{{.RequestNumber}}");
    if (user != null) {
      r.header("x-user", user);
    }
    return new Sample(name, r.build(), status);
  }

  /** A request from outside the mesh, through the ingress gateway, as a browser sends it. */
  private static EnvoyCheckRequest browser(String method, String authority, String path) {
    return EnvoyCheckRequest.http(method, authority, path)
        .source("10.20.1.9", 50322)
        .header("user-agent", BROWSER)
        .header("accept", "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8")
        .header("accept-language", "en-GB,en;q=0.7")
        .header("x-forwarded-proto", "https")
        .header("x-request-id", "6f1c2a8e-93b4-4d6e-a0b1-8c2d3e4f5a6b")
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }

  /** A request from a workload in the mesh, over mTLS, with its SPIFFE ID. */
  private static EnvoyCheckRequest mesh(
      String method, String authority, String path, String principal) {
    return EnvoyCheckRequest.http(method, authority, path)
        .principal(principal)
        .source("10.20.4.17", 41876)
        .header("user-agent", MESH_CLIENT)
        .header("accept", "application/json")
        .header("x-forwarded-proto", "http")
        .header("x-request-id", "0d6b1f3c-2a4e-4f5b-8c7d-9e0f1a2b3c4d")
        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  }
}
