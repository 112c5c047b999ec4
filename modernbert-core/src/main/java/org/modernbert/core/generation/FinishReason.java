package org.modernbert.core.generation;

/** Why a sequence stopped growing. */
public enum FinishReason {
    /** It produced an eos token (kept as its last new token). */
    EOS("eos"),
    /** It reached {@code max_new_tokens} / {@code max_length}. */
    LENGTH("length"),
    /** Its generated text came to contain one of the {@code stop_strings} (the completing tokens are kept). */
    STOP_STRING("stop_string"),
    /** The request ran longer than {@code max_time}. */
    MAX_TIME("max_time"),
    /** The caller cancelled the request. */
    CANCELLED("cancelled");

    private final String jsonName;

    FinishReason(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name used in JSON output. */
    public String jsonName() {
        return jsonName;
    }
}
