/** Tests of the DRL allow-list that need its package's view. */
package io.tollgate.rules.drools;
