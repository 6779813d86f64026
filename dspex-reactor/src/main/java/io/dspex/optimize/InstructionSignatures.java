package io.dspex.optimize;

import io.dspex.signature.Signature;
import java.util.List;

/**
 * The signatures DSPy 3.3's instruction optimizers prompt their proposal LM with, field for field and word for word
 * (typos included): COPRO's {@code BasicGenerateInstruction} and {@code GenerateInstructionGivenAttempts}, the
 * grounded proposer's {@code DescribeProgram}, {@code DescribeModule} and {@code GenerateSingleModuleInstruction},
 * and the dataset summary's {@code DatasetDescriptor}, {@code DatasetDescriptorWithPriorObservations} and
 * {@code ObservationSummarizer}. A DSPy docstring's instructions are its cleaned text (paragraphs separated by one
 * blank line).
 */
final class InstructionSignatures {

    private InstructionSignatures() {
    }

    /** COPRO's first proposal: an instruction and an output prefix from the current instruction. */
    static final Signature BASIC_GENERATE_INSTRUCTION = Signature.builder()
            .instructions("You are an instruction optimizer for large language models. I will give you a "
                    + "``signature`` of fields (inputs and outputs) in English. Your task is to propose an instruction "
                    + "that will lead a good language model to perform the task well. Don't be afraid to be creative.")
            .input("basic_instruction", "str", "The initial instructions before optimization")
            .output("proposed_instruction", "str", "The improved instructions for the language model")
            .output("proposed_prefix_for_output_field", "str",
                    "The string at the end of the prompt, which will help the model start solving the task")
            .build();

    /** COPRO's later proposals, from the instructions tried so far and their scores. */
    static final Signature GENERATE_INSTRUCTION_GIVEN_ATTEMPTS = Signature.builder()
            .instructions("You are an instruction optimizer for large language models. I will give some task "
                    + "instructions I've tried, along with their corresponding validation scores. The instructions are "
                    + "arranged in increasing order based on their scores, where higher scores indicate better "
                    + "quality.\n\nYour task is to propose a new instruction that will lead a good language model to "
                    + "perform the task even better. Don't be afraid to be creative.")
            .input("attempted_instructions", "str")
            .output("proposed_instruction", "str", "The improved instructions for the language model")
            .output("proposed_prefix_for_output_field", "str",
                    "The string at the end of the prompt, which will help the model start solving the task")
            .build();

    /** The program-aware proposer's description of the whole program. */
    static final Signature DESCRIBE_PROGRAM = Signature.builder()
            .instructions("Below is some pseudo-code for a pipeline that solves tasks with calls to language models. "
                    + "Please describe what type of task this program appears to be designed to solve, and how it "
                    + "appears to work.")
            .input("program_code", "str", "Pseudocode for a language model program designed to solve a particular "
                    + "task.")
            .input("program_example", "str", "An example of the program in use.")
            .output("program_description", "str", "Describe what task the program is designed to solve, and how it "
                    + "goes about solving this task.")
            .build();

    /** The program-aware proposer's description of one predictor's role. */
    static final Signature DESCRIBE_MODULE = Signature.builder()
            .instructions("Below is some pseudo-code for a pipeline that solves tasks with calls to language models. "
                    + "Please describe the purpose of one of the specified module in this pipeline.")
            .input("program_code", "str", "Pseudocode for a language model program designed to solve a particular "
                    + "task.")
            .input("program_example", "str", "An example of the program in use.")
            .input("program_description", "str", "Summary of the task the program is designed to solve, and how it "
                    + "goes about solving it.")
            .input("module", "str", "The module in the program that we want to describe.")
            .output("module_description", "str", "Description of the module's role in the broader program.")
            .build();

    /** The first look at the training data. */
    static final Signature DATASET_DESCRIPTOR = Signature.builder()
            .instructions("Given several examples from a dataset please write observations about trends that hold "
                    + "for most or all of the samples. Some areas you may consider in your observations: topics, "
                    + "content, syntax, conciseness, etc. It will be useful to make an educated guess as to the nature "
                    + "of the task this dataset will enable. Don't be afraid to be creative")
            .input("examples", "str", "Sample data points from the dataset")
            .output("observations", "str", "Somethings that holds true for most or all of the data you observed")
            .build();

    /** Each further look at the training data. */
    static final Signature DATASET_DESCRIPTOR_WITH_PRIOR_OBSERVATIONS = Signature.builder()
            .instructions("Given several examples from a dataset please write observations about trends that hold "
                    + "for most or all of the samples. I will also provide you with a few observations I have already "
                    + "made.  Please add your own observations or if you feel the observations are comprehensive say "
                    + "'COMPLETE' Some areas you may consider in your observations: topics, content, syntax, "
                    + "conciceness, etc. It will be useful to make an educated guess as to the nature of the task this "
                    + "dataset will enable. Don't be afraid to be creative")
            .input("examples", "str", "Sample data points from the dataset")
            .input("prior_observations", "str", "Some prior observations I made about the data")
            .output("observations", "str", "Somethings that holds true for most or all of the data you observed or "
                    + "COMPLETE if you have nothing to add")
            .build();

    /** The summary of the observations: the dataset description the proposer shows. */
    static final Signature OBSERVATION_SUMMARIZER = Signature.builder()
            .instructions("Given a series of observations I have made about my dataset, please summarize them into a "
                    + "brief 2-3 sentence summary which highlights only the most important details.")
            .input("observations", "str", "Observations I have made about my dataset")
            .output("summary", "str", "Two to Three sentence summary of only the most significant highlights of my "
                    + "observations")
            .build();

    /**
     * DSPy's {@code TIPS}, in its order: the key and the text ("none" is empty, which leaves the tip field out).
     *
     * @param key  DSPy's name for it
     * @param text what the proposer is told
     */
    record Tip(String key, String text) {
    }

    static final List<Tip> TIPS = List.of(
            new Tip("none", ""),
            new Tip("creative", "Don't be afraid to be creative when creating the new instruction!"),
            new Tip("simple", "Keep the instruction clear and concise."),
            new Tip("description", "Make sure your instruction is very informative and descriptive."),
            new Tip("high_stakes", "The instruction should include a high stakes scenario in which the LM must solve "
                    + "the task!"),
            new Tip("persona", "Include a persona that is relevant to the task in the instruction (ie. \"You are a "
                    + "...\")"));

    /**
     * DSPy's {@code GenerateSingleModuleInstruction} with the fields its switches turn on, in DSPy's order (the
     * instruction-history field is never on in MIPROv2).
     *
     * @param datasetSummary whether the dataset description is shown
     * @param programAware   whether the program's code, description and the module are shown
     * @param tip            whether a tip is shown
     * @return the signature
     */
    static Signature generateSingleModuleInstruction(boolean datasetSummary, boolean programAware, boolean tip) {
        Signature.Builder b = Signature.builder()
                .instructions("Use the information below to learn about a task that we are trying to solve using "
                        + "calls to an LM, then generate a new instruction that will be used to prompt a Language "
                        + "Model to better solve the task.");
        if (datasetSummary) {
            b.input("dataset_description", "str", "A description of the dataset that we are using.");
        }
        if (programAware) {
            b.input("program_code", "str", "Language model program designed to solve a particular task.");
            b.input("program_description", "str", "Summary of the task the program is designed to solve, and how it "
                    + "goes about solving it.");
            b.input("module", "str", "The module to create an instruction for.");
            b.input("module_description", "str", "Description of the module to create an instruction for.");
        }
        b.input("task_demos", "str", "Example inputs/outputs of our module.");
        b.input("basic_instruction", "str", "Basic instruction.");
        if (tip) {
            b.input("tip", "str", "A suggestion for how to go about generating the new instruction.");
        }
        b.output("proposed_instruction", "str", "Propose an instruction that will be used to prompt a Language Model "
                + "to perform this task.");
        return b.build();
    }
}
