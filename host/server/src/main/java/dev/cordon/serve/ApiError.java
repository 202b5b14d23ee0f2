package dev.cordon.serve;

/**
 * A request refused before anything ran: the HTTP status, a stable code for programs and a message for
 * people. Nothing the guest did is ever an ApiError; that is a result.
 */
final class ApiError extends RuntimeException {

    final int status;
    final String code;

    ApiError(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, "bad_request", message);
    }

    static ApiError forbidden(String message) {
        return new ApiError(403, "forbidden", message);
    }
}
