package io.tollgate.rules.drools;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.util.Map;

/**
 * {@code Request} is the fact DRL rules match on: the request's attributes with bean getters, so
 * that a pattern reads {@code Request(method == "POST", path str[startsWith] "/admin")}. Missing
 * attributes read as empty strings, zero, false or empty maps, as they do in CEL.
 */
public final class Request {
  private final Attributes attributes;

  public Request(Attributes attributes) {
    this.attributes = attributes;
  }

  private String s(String name) {
    String v = attributes.getString(name);
    return v == null ? "" : v;
  }

  @SuppressWarnings("unchecked")
  private Map<String, String> m(String name) {
    Object v = attributes.get(name);
    return v instanceof Map<?, ?> map ? (Map<String, String>) map : Map.of();
  }

  public String getMethod() {
    return s(Vocabulary.REQUEST_METHOD);
  }

  public String getPath() {
    return s(Vocabulary.REQUEST_PATH);
  }

  /** The normalized path without the query ({@code request.url_path}): match paths on this. */
  public String getUrlPath() {
    return s(Vocabulary.REQUEST_URL_PATH);
  }

  /** The path without the query as sent ({@code request.url_path_raw}). */
  public String getUrlPathRaw() {
    return s(Vocabulary.REQUEST_URL_PATH_RAW);
  }

  public String getHost() {
    return s(Vocabulary.REQUEST_HOST);
  }

  public String getScheme() {
    return s(Vocabulary.REQUEST_SCHEME);
  }

  public String getSourceIp() {
    return s(Vocabulary.SOURCE_IP);
  }

  public String getSourcePrincipal() {
    return s(Vocabulary.SOURCE_PRINCIPAL);
  }

  public String getSourceNamespace() {
    return s(Vocabulary.SOURCE_NAMESPACE);
  }

  public String getDestinationHost() {
    return s(Vocabulary.DESTINATION_SERVICE_HOST);
  }

  public String getDestinationPrincipal() {
    return s(Vocabulary.DESTINATION_PRINCIPAL);
  }

  public long getDestinationPort() {
    return attributes.get(Vocabulary.DESTINATION_PORT) instanceof Number n ? n.longValue() : 0L;
  }

  public boolean isMtls() {
    return Boolean.TRUE.equals(attributes.get(Vocabulary.CONNECTION_MTLS));
  }

  /** Request headers, lower-case keys, case-insensitive lookups. */
  public Map<String, String> getHeaders() {
    return attributes.headers();
  }

  public Map<String, String> getQueryParams() {
    return m(Vocabulary.REQUEST_QUERY_PARAMS);
  }

  public Map<String, String> getContextExtensions() {
    return m(Vocabulary.CONTEXT_EXTENSIONS);
  }

  /** One header's value (any case), or the empty string. */
  public String header(String name) {
    String v = attributes.header(name);
    return v == null ? "" : v;
  }

  /** Any attribute by its vocabulary name, or {@code null}. */
  public Object attribute(String name) {
    return attributes.get(name);
  }

  @Override
  public String toString() {
    return "Request[" + getMethod() + " " + getHost() + getPath() + "]";
  }
}
