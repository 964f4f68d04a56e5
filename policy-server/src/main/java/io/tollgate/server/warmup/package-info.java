/**
 * Warming a policy version up before it serves: traffic the server sends itself through its own
 * listeners, recognized by a secret only this process knows, decided by the version being warmed
 * and left out of metrics, decision logs, dashboards and users' quotas.
 */
package io.tollgate.server.warmup;
