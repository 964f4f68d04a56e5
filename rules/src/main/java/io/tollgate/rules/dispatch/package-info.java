/**
 * How a check is decided: {@link io.tollgate.rules.dispatch.Dispatcher} calls the handlers of
 * matching rules under one deadline, {@link io.tollgate.rules.dispatch.Combiner} merges their
 * results in rule order.
 */
package io.tollgate.rules.dispatch;
