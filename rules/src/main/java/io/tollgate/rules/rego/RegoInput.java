package io.tollgate.rules.rego;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code RegoInput} builds the {@code input} document a Rego policy sees, in OPA-Envoy's shape, so
 * policies written for OPA-Envoy run unchanged:
 *
 * <pre>
 * input.attributes.source.address.socketAddress.{address,portValue}   source.ip, source.port
 * input.attributes.source.principal                                  source.principal
 * input.attributes.destination.address.socketAddress.{...}           destination.ip, destination.port
 * input.attributes.destination.principal                             destination.principal
 * input.attributes.request.time                                      request.time (RFC 3339)
 * input.attributes.request.http.{id,method,path,host,scheme,protocol,headers,size,body}
 * input.attributes.contextExtensions                                 context.extensions
 * input.attributes.metadataContext.filterMetadata                    context.metadata
 * input.attributes.tlsSession.sni                                    connection.requested_server_name
 * input.parsed_path        request.url_path (normalized) split at "/" and decoded, so that a
 *                          policy on parsed_path sees /admin in //admin or /%61dmin; the path
 *                          as sent stays in attributes.request.http.path
 * input.parsed_query       the query, decoded, every value of a name in a list
 * input.parsed_body        the body as JSON or as a form, when it is one
 * input.truncated_body     false
 * input.version            {"encoding": "protojson", "ext_authz": "v3"}
 * </pre>
 */
public final class RegoInput {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RegoInput() {}

  public static Map<String, Object> of(Attributes a) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    Map<String, Object> source =
        peer(a, Vocabulary.SOURCE_IP, Vocabulary.SOURCE_PORT, Vocabulary.SOURCE_PRINCIPAL);
    Object labels = a.get(Vocabulary.SOURCE_LABELS);
    if (labels != null) {
      source.put("labels", labels);
    }
    attributes.put("source", source);
    attributes.put(
        "destination",
        peer(
            a,
            Vocabulary.DESTINATION_IP,
            Vocabulary.DESTINATION_PORT,
            Vocabulary.DESTINATION_PRINCIPAL));

    Map<String, Object> http = new LinkedHashMap<>();
    put(http, "id", str(a, Vocabulary.REQUEST_ID));
    put(http, "method", str(a, Vocabulary.REQUEST_METHOD));
    Map<String, String> headers = new LinkedHashMap<>();
    a.headers().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
    http.put("headers", headers);
    String path = str(a, Vocabulary.REQUEST_PATH);
    put(http, "path", path);
    put(http, "host", str(a, Vocabulary.REQUEST_HOST));
    put(http, "scheme", str(a, Vocabulary.REQUEST_SCHEME));
    put(http, "protocol", str(a, Vocabulary.CONTEXT_PROTOCOL));
    Object size = a.get(Vocabulary.REQUEST_SIZE);
    if (size != null) {
      http.put("size", String.valueOf(size)); // protojson writes int64 as a string
    }
    String body = str(a, Vocabulary.REQUEST_BODY);
    put(http, "body", body);
    Map<String, Object> request = new LinkedHashMap<>();
    Object time = a.get(Vocabulary.REQUEST_TIME);
    if (time instanceof Instant t) {
      request.put("time", t.toString());
    }
    request.put("http", http);
    attributes.put("request", request);
    Object ext = a.get(Vocabulary.CONTEXT_EXTENSIONS);
    if (ext != null) {
      attributes.put("contextExtensions", ext);
    }
    Object meta = a.get(Vocabulary.CONTEXT_METADATA);
    if (meta != null) {
      attributes.put("metadataContext", Map.of("filterMetadata", meta));
    }
    String sni = str(a, Vocabulary.CONNECTION_SNI);
    if (!sni.isEmpty()) {
      attributes.put("tlsSession", Map.of("sni", sni));
    }

    Map<String, Object> input = new LinkedHashMap<>();
    input.put("attributes", attributes);
    int q = path.indexOf('?');
    String urlPath = str(a, Vocabulary.REQUEST_URL_PATH);
    if (urlPath.isEmpty()) {
      urlPath = q < 0 ? path : path.substring(0, q);
    }
    input.put("parsed_path", parsedPath(urlPath));
    input.put("parsed_query", parsedQuery(q < 0 ? "" : path.substring(q + 1)));
    Object parsedBody = parsedBody(body, headers.getOrDefault("content-type", ""));
    if (parsedBody != null) {
      input.put("parsed_body", parsedBody);
    }
    input.put("truncated_body", false);
    input.put("version", Map.of("encoding", "protojson", "ext_authz", "v3"));
    return input;
  }

  private static Map<String, Object> peer(Attributes a, String ip, String port, String principal) {
    Map<String, Object> peer = new LinkedHashMap<>();
    String address = str(a, ip);
    if (!address.isEmpty()) {
      Map<String, Object> socket = new LinkedHashMap<>();
      socket.put("address", address);
      Object p = a.get(port);
      if (p != null) {
        socket.put("portValue", p);
      }
      peer.put("address", Map.of("socketAddress", socket));
    }
    put(peer, "principal", str(a, principal));
    return peer;
  }

  private static String str(Attributes a, String name) {
    Object v = a.get(name);
    return v == null ? "" : String.valueOf(v);
  }

  private static void put(Map<String, Object> m, String k, String v) {
    if (v != null && !v.isEmpty()) {
      m.put(k, v);
    }
  }

  static List<String> parsedPath(String urlPath) {
    List<String> out = new ArrayList<>();
    String p = urlPath.startsWith("/") ? urlPath.substring(1) : urlPath;
    if (p.isEmpty()) {
      out.add("");
      return out;
    }
    for (String s : p.split("/", -1)) {
      out.add(decode(s, false));
    }
    return out;
  }

  static Map<String, List<String>> parsedQuery(String query) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (query.isEmpty()) {
      return out;
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq), true);
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  private static Object parsedBody(String body, String contentType) {
    if (body == null || body.isEmpty()) {
      return null;
    }
    String ct = contentType.toLowerCase(java.util.Locale.ROOT);
    if (ct.startsWith("application/json")) {
      try {
        return JSON.readValue(body, Object.class);
      } catch (java.io.IOException e) {
        return null;
      }
    }
    if (ct.startsWith("application/x-www-form-urlencoded")) {
      return parsedQuery(body);
    }
    return null;
  }

  private static String decode(String s, boolean plusIsSpace) {
    try {
      return URLDecoder.decode(plusIsSpace ? s : s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
