package io.mcp.ctl;

import picocli.CommandLine.Model.OptionSpec;

/**
 * The options several commands share, built with picocli's programmatic API: it skips the
 * reflection over annotations, which costs tens of milliseconds at every start.
 */
final class Options {
    private Options() {
    }

    static OptionSpec flag(String description, String... names) {
        return OptionSpec.builder(names).type(boolean.class).arity("0").description(description).build();
    }

    static OptionSpec json() {
        return flag("Print one JSON document instead of text.", "--json");
    }

    static OptionSpec help() {
        return OptionSpec.builder("-h", "--help").type(boolean.class).arity("0").usageHelp(true)
                .description("Show this help and exit.").build();
    }

    static boolean isSet(OptionSpec flag) {
        return Boolean.TRUE.equals(flag.getValue());
    }
}
