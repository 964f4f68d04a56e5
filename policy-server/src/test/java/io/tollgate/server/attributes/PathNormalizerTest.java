package io.tollgate.server.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathNormalizerTest {
  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        // RFC 3986 5.4 (the path parts of its examples, resolved against /b/c/d;p) and 5.2.4
        "/b/c/g | /b/c/g",
        "/b/c/./g | /b/c/g",
        "/b/c/g/ | /b/c/g/",
        "/b/c/d;p | /b/c/d;p",
        "/b/c/. | /b/c/",
        "/b/c/./ | /b/c/",
        "/b/c/.. | /b/",
        "/b/c/../ | /b/",
        "/b/c/../g | /b/g",
        "/b/c/../.. | /",
        "/b/c/../../g | /g",
        "/b/c/g. | /b/c/g.",
        "/b/c/.g | /b/c/.g",
        "/b/c/g.. | /b/c/g..",
        "/b/c/..g | /b/c/..g",
        "/b/c/./../g | /b/g",
        "/b/c/./g/. | /b/c/g/",
        "/b/c/g/./h | /b/c/g/h",
        "/b/c/g/../h | /b/c/h",
        "/b/c/g;x=1/./y | /b/c/g;x=1/y",
        "/b/c/g;x=1/../y | /b/c/y",
        "/a/b/c/./../../g | /a/g",
        "/mid/content=5/../6 | /mid/6",
        // RFC 3986 6.2.2: case of escapes, unreserved escapes decoded
        "/a%c2%b1b | /a%C2%B1b",
        "/%7Euser/%41%7a%30%2D%2e%5F | /~user/Az0-._",
        "/x%20y | /x%20y",
        "/x%3f | /x%3F",
        // the bypasses of the issue
        "//admin/x | /admin/x",
        "/./admin/x | /admin/x",
        "/%61dmin/x | /admin/x",
        "/x/../admin | /admin",
        "/%2e%2e/ | null",
        "/x/%2e%2e/admin | /admin",
        "/x/%2E./admin | /admin",
        "/x/.%2e/admin | /admin",
        // slashes: merged, escaped ones and backslashes are slashes
        "/// | /",
        "/a//b///c | /a/b/c",
        "/a// | /a/",
        "/x//../admin | /admin",
        "/admin%2Fx | /admin/x",
        "/admin%2fx | /admin/x",
        "/admin%5Cx | /admin/x",
        "/admin\\x | /admin/x",
        "/public%2F..%2Fadmin | /admin",
        "/public\\..\\admin | /admin",
        // ; parameters stay, as in RFC 3986 and Envoy
        "/admin;jsessionid=1/x | /admin;jsessionid=1/x",
        "/...;/x | /...;/x",
        "/... | /...",
        // the query is not the path
        "/a/./b?x=/../y | /a/b",
        "/a?b#c | /a",
        "?x=1 | /",
        "/ | /",
        "/a | /a",
      },
      nullValues = "null")
  void normalizes(String raw, String normalized) {
    assertThat(PathNormalizer.normalize(raw)).isEqualTo(normalized);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/../x",
        "/..",
        "/a/../../x",
        "/%2e%2e/x",
        "/a/..;/x",
        "/public/..;/admin",
        "/a/.;/x",
        "/a/%2e%2e;x/b",
        "/a%zz",
        "/a%2",
        "/a%",
        "/%u0061dmin",
        "/a%00b",
        "/a\u0000b",
        "/a\nb",
        "/a\u007fb",
        "/a#b",
        "/public#/../admin",
        "admin",
        "*",
        "http://h/admin",
      })
  void refusesWhatCannotBeNormalizedSafely(String raw) {
    assertThat(PathNormalizer.normalize(raw)).isNull();
  }

  @Test
  void noPathIsNoUrlPath() {
    assertThat(PathNormalizer.normalize(null)).isNull();
    assertThat(PathNormalizer.normalize("")).isNull();
    assertThat(PathNormalizer.raw(null)).isNull();
  }

  @Test
  void anAlreadyNormalPathIsReturnedAsItIs() {
    String p = "/api/v1/users/42/orders%20open;v=2/x.json";
    assertThat(PathNormalizer.normalize(p)).isSameAs(p);
    assertThat(PathNormalizer.normalize("/a/b?c=d")).isEqualTo("/a/b");
  }

  @Test
  void theRawPathIsThePathAsSentWithoutTheQuery() {
    assertThat(PathNormalizer.raw("//%61dmin/./x?q=1")).isEqualTo("//%61dmin/./x");
    assertThat(PathNormalizer.raw("/x")).isEqualTo("/x");
  }

  @Test
  void nonAsciiAndCaseAreKept() {
    assertThat(PathNormalizer.normalize("/Caf\u00e9//Admin")).isEqualTo("/Caf\u00e9/Admin");
  }

  @Test
  void aVeryLongPathIsNormalizedInLinearTime() {
    StringBuilder deep = new StringBuilder();
    StringBuilder up = new StringBuilder();
    for (int i = 0; i < 50_000; i++) {
      deep.append("/segment").append(i);
      up.append("/..");
    }
    String normal = deep.toString();
    assertThat(PathNormalizer.normalize(normal)).isSameAs(normal);
    assertThat(PathNormalizer.normalize(deep + up.toString() + "/x")).isEqualTo("/x");
    assertThat(PathNormalizer.normalize(deep + up.toString() + "/..")).isNull();
    assertThat(PathNormalizer.normalize("/" + "/".repeat(100_000) + "a")).isEqualTo("/a");
  }
}
