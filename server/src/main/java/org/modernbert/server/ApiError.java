package org.modernbert.server;

/**
 * An error answered as OpenAI's error object: {@code {"error": {"message", "type", "param", "code"}}}
 * with an HTTP status. The message is one line a client can act on; never a stack trace.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a field is missing, of the wrong type or out of range. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message);
    }

    static ApiError notFound(String code, String message) {
        return new ApiError(404, "invalid_request_error", null, code, message);
    }

    static ApiError unavailable(String message) {
        return new ApiError(503, "service_unavailable", null, null, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
