/**
 * End-to-end tests of the modules built on predictors (BestOfN, Refine, MultiChainComparison, Parallel) and of usage
 * across a run, with the kit's scripted LM and mock server; DSPy 3.3.1's prompts are fixtures under
 * {@code src/test/resources/io/dspex/modules/dspy331}, made by {@code gen_i16.py} there.
 */
package io.dspex.modules;
