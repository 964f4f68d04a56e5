/**
 * The mesh as written: the supported subset of Istio's ServiceEntry, VirtualService and
 * DestinationRule, loaded from a directory with {@code file:line:column} for every problem and
 * validated as a whole.
 */
package io.tollgate.pilot.model;
