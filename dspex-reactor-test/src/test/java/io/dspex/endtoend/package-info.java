/**
 * End-to-end tests of the library through the test kit, from outside its packages (as a user's code is): the
 * optimizers against {@code Predict}, {@code Evaluate} and {@code ScriptedLm}.
 */
package io.dspex.endtoend;
