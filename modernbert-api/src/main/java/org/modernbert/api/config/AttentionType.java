package org.modernbert.api.config;

/** The attention pattern of one decoder layer, spelled as in {@code layer_types}. */
public enum AttentionType {
    /** Causal attention over every earlier position; RoPE theta {@code global_rope_theta}. */
    FULL_ATTENTION("full_attention"),
    /** Causal attention over the last {@code local_attention / 2} positions; RoPE theta {@code local_rope_theta}. */
    SLIDING_ATTENTION("sliding_attention");

    private final String hfName;

    AttentionType(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    /** Parses a {@code layer_types} entry; returns null for an unknown name. */
    public static AttentionType fromHfName(String name) {
        for (AttentionType t : values()) {
            if (t.hfName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
