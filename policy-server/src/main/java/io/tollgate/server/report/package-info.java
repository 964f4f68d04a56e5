/** The report path: Envoy's access log in, report rules run off the request path. */
package io.tollgate.server.report;
