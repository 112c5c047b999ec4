package org.modernbert.api.config;

/** The {@code problem_type} of a sequence classifier, which picks its loss and its score function. */
public enum ProblemType {
    REGRESSION("regression"),
    SINGLE_LABEL_CLASSIFICATION("single_label_classification"),
    MULTI_LABEL_CLASSIFICATION("multi_label_classification");

    private final String hfName;

    ProblemType(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    public static ProblemType fromHfName(String name) {
        for (ProblemType t : values()) {
            if (t.hfName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
