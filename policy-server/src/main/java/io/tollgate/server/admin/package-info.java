/**
 * The operator's HTTP endpoint: health and readiness, Prometheus metrics, the serving policy's
 * config, reloads on request, and the quota dashboard.
 */
package io.tollgate.server.admin;
