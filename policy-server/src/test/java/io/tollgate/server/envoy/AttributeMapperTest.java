package io.tollgate.server.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.server.attributes.AttributeValues;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttributeMapperTest {
  @Test
  void mapsAnEnvoyRequestOntoTheVocabulary() {
    CheckRequest r =
        EnvoyCheckRequest.http("POST", "ratings:9080", "/ratings/7?stars=5&by=a%20b&stars=1")
            .header("X-User", "alice")
            .principal("spiffe://cluster.local/ns/bookinfo/sa/reviews")
            .source("10.1.2.3", 51000)
            .destination("10.9.9.9", 9080)
            .contextExtension("service", "ratings")
            .sni("ratings.bookinfo")
            .build();
    Attributes a = AttributeMapper.map(r);
    assertThat(a.getString(Vocabulary.REQUEST_METHOD)).isEqualTo("POST");
    assertThat(a.getString(Vocabulary.REQUEST_PATH))
        .isEqualTo("/ratings/7?stars=5&by=a%20b&stars=1");
    assertThat(a.getString(Vocabulary.REQUEST_URL_PATH)).isEqualTo("/ratings/7");
    assertThat(a.get(Vocabulary.REQUEST_QUERY_PARAMS)).isEqualTo(Map.of("stars", "5", "by", "a b"));
    assertThat(a.getString(Vocabulary.REQUEST_HOST)).isEqualTo("ratings:9080");
    assertThat(a.getString(Vocabulary.DESTINATION_SERVICE_HOST)).isEqualTo("ratings");
    assertThat(a.getString(Vocabulary.SOURCE_IP)).isEqualTo("10.1.2.3");
    assertThat(a.get(Vocabulary.SOURCE_PORT)).isEqualTo(51000L);
    assertThat(a.getString(Vocabulary.DESTINATION_IP)).isEqualTo("10.9.9.9");
    assertThat(a.getString(Vocabulary.SOURCE_PRINCIPAL))
        .isEqualTo("spiffe://cluster.local/ns/bookinfo/sa/reviews");
    assertThat(a.getString(Vocabulary.SOURCE_NAMESPACE)).isEqualTo("bookinfo");
    assertThat(a.get(Vocabulary.CONNECTION_MTLS)).isEqualTo(true);
    assertThat(a.getString(Vocabulary.CONNECTION_SNI)).isEqualTo("ratings.bookinfo");
    assertThat(a.getString(Vocabulary.CONTEXT_PROTOCOL)).isEqualTo("HTTP/1.1");
    assertThat(a.get(Vocabulary.CONTEXT_EXTENSIONS)).isEqualTo(Map.of("service", "ratings"));
    assertThat(a.headers()).containsEntry("x-user", "alice").containsEntry(":method", "POST");
    assertThat(a.headers().get("X-USER"))
        .as("header names are case-insensitive")
        .isEqualTo("alice");
    assertThat(a.get(Vocabulary.REQUEST_TIME)).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ratings.shop",
        "ratings.shop:9080",
        "other",
        "other:80",
        "reviews.shop:9080",
        "RATINGS.SHOP",
        "[::1]:9080",
        "10.0.0.7",
        "ratings.shop.evil.example",
        "ratings.shop:9080:1",
        ""
      })
  void theConfiguredDestinationWinsWhateverHostTheCallerSends(String host) {
    Attributes a =
        AttributeMapper.map(
            EnvoyCheckRequest.http("GET", host, "/ratings/1")
                .contextExtension("destination.service.host", "ratings.shop")
                .contextExtension("destination.service.namespace", "shop")
                .build());
    assertThat(a.getString(Vocabulary.DESTINATION_SERVICE_HOST)).isEqualTo("ratings.shop");
    assertThat(a.getString(Vocabulary.DESTINATION_SERVICE_NAMESPACE)).isEqualTo("shop");
    assertThat(a.get(Vocabulary.REQUEST_HOST))
        .as("request.host stays what the caller sent")
        .isEqualTo(host.isEmpty() ? null : host);
  }

  @Test
  void withoutConfiguredDestinationTheHostHeaderNamesIt() {
    Attributes a =
        AttributeMapper.map(EnvoyCheckRequest.http("GET", "ratings.shop:9080", "/").build());
    assertThat(a.getString(Vocabulary.DESTINATION_SERVICE_HOST)).isEqualTo("ratings.shop");
    assertThat(a.get(Vocabulary.DESTINATION_SERVICE_NAMESPACE)).isNull();

    Attributes otherExtensions =
        AttributeMapper.map(
            EnvoyCheckRequest.http("GET", "ratings.shop:9080", "/")
                .contextExtension("service", "x")
                .build());
    assertThat(otherExtensions.getString(Vocabulary.DESTINATION_SERVICE_HOST))
        .isEqualTo("ratings.shop");
  }

  @Test
  void anEmptyConfiguredDestinationIsNotReplacedByTheHostHeader() {
    Attributes a =
        AttributeMapper.map(
            EnvoyCheckRequest.http("GET", "ratings.shop", "/")
                .contextExtension("destination.service.host", "")
                .build());
    assertThat(a.get(Vocabulary.DESTINATION_SERVICE_HOST)).isNull();
    assertThat(a.getString(Vocabulary.REQUEST_HOST)).isEqualTo("ratings.shop");
  }

  @Test
  void theConfiguredDestinationNeedsNoHttpRequest() {
    Attributes a =
        AttributeMapper.map(
            CheckRequest.newBuilder()
                .setAttributes(
                    AttributeContext.newBuilder()
                        .putContextExtensions("destination.service.host", "ratings.shop")
                        .putContextExtensions("destination.service.namespace", "shop"))
                .build());
    assertThat(a.getString(Vocabulary.DESTINATION_SERVICE_HOST)).isEqualTo("ratings.shop");
    assertThat(a.getString(Vocabulary.DESTINATION_SERVICE_NAMESPACE)).isEqualTo("shop");
  }

  @Test
  void headerMapFormAndRawValuesAreRead() {
    AttributeContext.HttpRequest http =
        AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET")
            .setPath("/")
            .setHeaderMap(
                HeaderMap.newBuilder()
                    .addHeaders(HeaderValue.newBuilder().setKey("x-a").setValue("1"))
                    .addHeaders(
                        HeaderValue.newBuilder()
                            .setKey("x-a")
                            .setRawValue(com.google.protobuf.ByteString.copyFromUtf8("2")))
                    .addHeaders(HeaderValue.newBuilder().setKey("Cookie").setValue("c=1")))
            .build();
    Attributes a =
        AttributeMapper.map(
            CheckRequest.newBuilder()
                .setAttributes(
                    AttributeContext.newBuilder()
                        .setRequest(AttributeContext.Request.newBuilder().setHttp(http)))
                .build());
    assertThat(a.headers()).containsEntry("x-a", "1,2").containsEntry("cookie", "c=1");
  }

  @Test
  void absentPartsAreLeftOut() {
    Attributes a = AttributeMapper.map(CheckRequest.getDefaultInstance());
    assertThat(a.get(Vocabulary.REQUEST_PATH)).isNull();
    assertThat(a.get(Vocabulary.SOURCE_PRINCIPAL)).isNull();
    assertThat(a.get(Vocabulary.CONNECTION_MTLS)).isNull();
  }

  @Test
  void metadataBecomesNestedMaps() {
    Struct s =
        Struct.newBuilder()
            .putFields("tenant", Value.newBuilder().setStringValue("acme").build())
            .putFields("tier", Value.newBuilder().setNumberValue(2).build())
            .build();
    Attributes a =
        AttributeMapper.map(
            CheckRequest.newBuilder()
                .setAttributes(
                    AttributeContext.newBuilder()
                        .setMetadataContext(
                            Metadata.newBuilder()
                                .putFilterMetadata("envoy.filters.http.jwt_authn", s)))
                .build());
    assertThat(a.get(Vocabulary.CONTEXT_METADATA))
        .isEqualTo(Map.of("envoy.filters.http.jwt_authn", Map.of("tenant", "acme", "tier", 2.0)));
  }

  @Test
  void hostsAndNamespaces() {
    assertThat(AttributeValues.hostWithoutPort("[::1]:8080")).isEqualTo("::1");
    assertThat(AttributeValues.hostWithoutPort("a.b:80")).isEqualTo("a.b");
    assertThat(AttributeValues.hostWithoutPort("a.b")).isEqualTo("a.b");
    assertThat(AttributeValues.spiffeNamespace("spiffe://td/ns/shop/sa/cart")).isEqualTo("shop");
    assertThat(AttributeValues.spiffeNamespace("spiffe://td/sa/cart")).isEmpty();
    assertThat(AttributeValues.spiffeNamespace("not-spiffe")).isEmpty();
    assertThat(AttributeValues.query("a=1&a=2&b&c=%zz"))
        .isEqualTo(Map.of("a", "1", "b", "", "c", "%zz"));
  }
}
