using System.Text.Json;

namespace PatternOne.VllmSimulator.Api;

/// <summary>
/// An error answered in vLLM's current shape (vLLM's <c>ErrorResponse</c>, vllm/entrypoints/openai/protocol.py):
/// <c>{"error":{"message":…,"type":"BadRequestError","param":null,"code":400}}</c>.
/// </summary>
public sealed class ApiError : Exception
{
    public ApiError(int status, string message, string? param = null)
        : base(message)
    {
        Status = status;
        Param = param;
    }

    public ApiError()
        : this(StatusCodes.Status500InternalServerError, "Internal server error")
    {
    }

    public ApiError(string message)
        : this(StatusCodes.Status400BadRequest, message)
    {
    }

    public ApiError(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status400BadRequest;
    }

    /// <summary>HTTP status.</summary>
    public int Status { get; }

    /// <summary>The offending parameter, if one.</summary>
    public string? Param { get; }

    /// <summary>vLLM's error type for a status.</summary>
    public static string TypeFor(int status) => status switch
    {
        400 => "BadRequestError",
        401 => "AuthenticationError",
        403 => "PermissionDeniedError",
        404 => "NotFoundError",
        405 => "MethodNotAllowedError",
        408 => "TimeoutError",
        413 => "RequestEntityTooLargeError",
        422 => "UnprocessableEntityError",
        429 => "RateLimitError",
        _ when status >= 500 => "InternalServerError",
        _ => "BadRequestError",
    };

    public static ApiError BadRequest(string message, string? param = null) => new(StatusCodes.Status400BadRequest, message, param);

    public static ApiError ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, $"The model `{model}` does not exist.", "model");

    /// <summary>Writes the error object (without the outer <c>error</c> wrapper's braces' context).</summary>
    public static void WriteErrorObject(Utf8JsonWriter json, int status, string message, string? param)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", message);
        json.WriteString("type", TypeFor(status));
        if (param is null)
        {
            json.WriteNull("param");
        }
        else
        {
            json.WriteString("param", param);
        }

        json.WriteNumber("code", status);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Answers <paramref name="context"/> with the error.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string message, string? param = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteErrorObject(json, status, message, param);
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
