/**
 * CEL expressions over the attribute vocabulary: compiled and type-checked once per policy
 * snapshot, evaluated per request against an {@link io.tollgate.adapter.spi.Attributes} view.
 */
package io.tollgate.rules.cel;
