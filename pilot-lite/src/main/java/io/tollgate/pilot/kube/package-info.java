/**
 * Kubernetes manifests: reading them as trees with file and line, sidecar injection ({@code
 * tollgate inject} and the mutating admission webhook) and {@code tollgate analyze}'s checks of
 * Istio's pod requirements.
 */
package io.tollgate.pilot.kube;
