package org.modernbert.api.backend;

/**
 * What a provider's probe found: available (with a short description of what it will use) or
 * unavailable with a reason a person can act on.
 */
public record Availability(boolean available, String detail) {

    public static Availability available(String description) {
        return new Availability(true, description);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason);
    }
}
